"""Template helpers of the customer warnings (watch list, lost customers)."""

from __future__ import annotations

from django import template

from manyi.cases.choices import Severity
from manyi.customers.models import Customer

register = template.Library()


@register.simple_tag
def watch_floor(customer: Customer) -> str:
    """The label of the lowest severity a watch-list customer's new case starts at."""
    value = customer.organisation.watch_list_severity
    return str(Severity(value).label) if value in Severity.values else ""
