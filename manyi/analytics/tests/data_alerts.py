"""Constructed data for the early-warning tests: weekly complaints over weekly services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import at
from manyi.analytics.models import AlertSettings
from manyi.analytics.tests import data

# Wednesday 15 April 2026: the last complete week began on Monday 6 April; with a baseline of
# four weeks and four watched weeks the charts run from Monday 16 February.
NOW = at(2026, 4, 15, 12, 0)
WEEKS = [dt.date(2026, 2, 16) + dt.timedelta(weeks=i) for i in range(8)]


def weekly_settings(org: Any, **kw: Any) -> AlertSettings:
    values: dict[str, Any] = {
        "method": "u",
        "period": "week",
        "laney": False,
        "sigma": 3,
        "baseline_periods": 4,
        "min_complaints": 3,
        **kw,
    }
    obj, _ = AlertSettings.objects.update_or_create(organisation=org, defaults=values)
    return obj


def weekly(
    owner: Any, customer: Any, category: Any, complaints: list[int], services: int = 100
) -> None:
    """`services` service orders on the Monday of each of WEEKS and complaints[i] complaints
    on the Tuesday of week i (10:00 Shanghai)."""
    store = customer.store
    for week, n in zip(WEEKS, complaints, strict=False):
        data.transactions(store, customer, week, services, "service_order")
        day = week + dt.timedelta(days=1)
        for _ in range(n):
            data.complaint(owner, customer, category, at(day.year, day.month, day.day, 10, 0))
