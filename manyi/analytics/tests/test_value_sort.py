"""The case list sorted by the customer's value at risk (sort=value): highest first,
customers without a value last."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import at
from manyi.analytics.tests import data
from manyi.analytics.tests.test_churn import value
from manyi.cases.selectors import CaseFilters, case_list
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_open_cases_sort_by_the_customers_value_at_risk(manager, agent, store_a, category):
    low, high, unscored, none = (
        CustomerFactory(store=store_a, phone=f"1350000000{i}") for i in range(4)
    )
    value(low, "10")
    value(high, "900")
    value(unscored, "", p_alive=None)  # a value row, but the model could not score them
    when = at(2026, 4, 1, 9, 0)
    cases = {}
    # Received in an order unlike the expected one, so the fallback order cannot pass it.
    for i, c in enumerate((none, low, unscored, high)):
        cases[c.pk] = data.complaint(agent, c, category, when + dt.timedelta(hours=i))
    got = list(case_list(manager, CaseFilters(sort="value", state="open")))
    assert got[:2] == [cases[high.pk], cases[low.pk]]
    # Without a value at risk: last, newest first among them.
    assert got[2:] == [cases[unscored.pk], cases[none.pk]]


def test_the_case_list_shows_the_value_column_only_when_sorted_by_value(
    client, manager, agent, store_a, category
):
    from django.urls import reverse

    c = CustomerFactory(store=store_a, phone="13500000011")
    value(c, "900")
    data.complaint(agent, c, category, at(2026, 4, 1, 9, 0))
    client.force_login(manager)
    page = client.get(reverse("cases:list"), {"sort": "value"}).content.decode()
    assert 'data-figure="value-at-risk"' in page
    page = client.get(reverse("cases:list")).content.decode()
    assert 'data-figure="value-at-risk"' not in page
