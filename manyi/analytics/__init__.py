"""Operational analytics: the data they stand on (customers' transactions and service orders,
stores' monthly service volumes) and, later, the three controls, SLA and recovery economics."""
