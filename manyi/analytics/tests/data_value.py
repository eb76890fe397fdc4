"""Constructed transactions for the customer value and churn-risk tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from manyi.analytics.models import Transaction
from manyi.core.tests.factories import CustomerFactory

TODAY = dt.date(2026, 4, 15)


def purchases(customer: Any, *visits: tuple[dt.date, str]) -> None:
    """One transaction per (day, amount) at the customer's home store."""
    Transaction.objects.bulk_create(
        Transaction(
            organisation_id=customer.organisation_id,
            store_id=customer.store_id,
            customer=customer,
            occurred_on=day,
            amount=Decimal(amount),
        )
        for day, amount in visits
    )


def population(store: Any, n: int = 60, *, prefix: str = "139") -> list[Any]:
    """`n` customers with varied, deterministic histories over the two years before TODAY:
    customer i first buys 700 − 10·i days ago, comes back every 20 + 3·(i mod 7) days and
    stops after 2 + (i mod 9) visits (some still coming, some long gone); amounts vary."""
    people = []
    rows = []
    for i in range(n):
        c = CustomerFactory(store=store, phone=f"{prefix}{i:08d}")
        people.append(c)
        first = TODAY - dt.timedelta(days=700 - 10 * i)
        gap = 20 + 3 * (i % 7)
        for k in range(2 + i % 9):
            day = first + dt.timedelta(days=gap * k)
            if day > TODAY:
                break
            rows.append(
                Transaction(
                    organisation_id=store.organisation_id,
                    store=store,
                    customer=c,
                    occurred_on=day,
                    amount=Decimal(100 + 37 * ((i + k) % 11)),
                )
            )
    Transaction.objects.bulk_create(rows)
    return people
