"""The three controls' reads at scale (bench/bench_analytics.py): the staff rows cost no query
per staff member, and transactions are read only for the stores and months without an
imported volume."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import at
from manyi.accounts.choices import Role
from manyi.analytics.selectors import Filters, three_controls
from manyi.analytics.tests import data
from manyi.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = at(2026, 4, 15, 12, 0)
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


def _filters(store: object) -> Filters:
    return Filters(start=JAN, end=dt.date(2026, 2, 28), store_ids=(store.pk,))  # type: ignore[attr-defined]


def _controls(manager: object, store: object) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as queries:
        result = three_controls(manager, _filters(store), now=NOW)  # type: ignore[arg-type]
    return [q["sql"] for q in queries.captured_queries], result


def test_staff_rows_take_no_query_per_staff_member(manager, store_a, customer, category):
    data.complaint(manager, customer, category, at(2026, 1, 5, 10, 0))
    few, _ = _controls(manager, store_a)
    for i in range(6):
        agent = UserFactory(store=store_a, role=Role.AGENT, display_name=f"客服{i}")
        data.complaint(agent, customer, category, at(2026, 1, 6 + i, 10, 0))
    many, result = _controls(manager, store_a)
    assert len(many) == len(few)
    by_name = {r.label: r.complaints for r in result.by_staff}  # type: ignore[attr-defined]
    # the display names (read with the others, not one query each), one complaint each
    assert all(by_name[f"客服{i}"] == 1 for i in range(6))
    assert sum(by_name.values()) == 7


def test_transactions_are_read_only_for_months_without_a_volume(manager, store_a, customer):
    data.transactions(store_a, customer, dt.date(2026, 2, 10), 20, "service_order")
    data.volume(store_a, JAN, 100)
    sql, result = _controls(manager, store_a)
    # February has no volume: its 20 service orders are its services
    assert sum("analytics_transaction" in q for q in sql) == 1
    services = {c.month: c.services for c in result.cells}  # type: ignore[attr-defined]
    assert services == {JAN: 100, FEB: 20}

    data.volume(store_a, FEB, 300)  # now every month has one: the volume wins, no read
    sql, result = _controls(manager, store_a)
    assert not any("analytics_transaction" in q for q in sql)
    services = {c.month: c.services for c in result.cells}  # type: ignore[attr-defined]
    assert services == {JAN: 100, FEB: 300}
