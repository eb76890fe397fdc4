"""The analytics filters on edge input: a period in year 1 or 9999 (out of range once turned
into instants in the time zone) is moved into the supported range, never a server error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from manyi.analytics.forms import FIRST_DAY, LAST_DAY, AnalyticsFilterForm

pytestmark = pytest.mark.django_db

PAGES = [
    "analytics:controls",
    "analytics:lost",
    "analytics:recovery",
    "analytics:handling",
    "analytics:returns",
    "analytics:alerts",
]
EXTREMES = [
    {"start": "0001-01-01", "end": "0001-01-31"},
    {"start": "9999-12-01", "end": "9999-12-31"},
]


@pytest.mark.parametrize("params", EXTREMES)
@pytest.mark.parametrize("name", PAGES)
def test_a_period_in_year_1_or_9999_is_no_server_error(
    client: Any, manager: Any, customer: Any, name: str, params: dict[str, str]
) -> None:
    client.force_login(manager)
    assert client.get(reverse(name), params).status_code == 200


def test_the_period_is_kept_within_the_supported_years(manager: Any) -> None:
    today = dt.date(2026, 3, 15)
    data = {"start": "0001-01-01", "end": "9999-12-31"}
    f = AnalyticsFilterForm(data, user=manager, today=today).filters()
    assert (f.start, f.end) == (FIRST_DAY, LAST_DAY)
    f = AnalyticsFilterForm({"start": "2025-01-01"}, user=manager, today=today).filters()
    assert (f.start, f.end) == (dt.date(2025, 1, 1), today)
