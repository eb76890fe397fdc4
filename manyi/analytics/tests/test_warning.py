"""The early-warning series (manyi.analytics.warning): complaints and services per store ×
top-level category × ISO week in Shanghai dates, transactions first and the month's volume
spread over its days otherwise, the phase II centre from the baseline, hand-computed."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from conftest import at
from manyi.analytics import warning
from manyi.analytics.tests import data
from manyi.analytics.tests.data_alerts import NOW, WEEKS, weekly, weekly_settings
from manyi.cases.models import Category

pytestmark = pytest.mark.django_db


def test_the_window_is_the_baseline_then_the_watched_complete_weeks(org: Any) -> None:
    s = weekly_settings(org)
    assert warning.window(s, NOW.date()) == WEEKS
    assert warning.last_complete(dt.date(2026, 4, 13), "week") == dt.date(2026, 4, 6)
    assert warning.last_complete(dt.date(2026, 4, 13), "day") == dt.date(2026, 4, 12)


def test_counts_and_services_per_week_in_shanghai_dates(
    org: Any, store_a: Any, store_b: Any, agent: Any, customer: Any, category: Any
) -> None:
    s = weekly_settings(org)
    # February: no transactions, 280 services imported → 10 a day. March: transactions, so
    # the March volume is ignored. April: 300 imported → 10 a day.
    data.volume(store_a, dt.date(2026, 2, 1), 280)
    data.volume(store_a, dt.date(2026, 3, 1), 9999)
    data.volume(store_a, dt.date(2026, 4, 1), 300)
    data.transactions(store_a, customer, dt.date(2026, 3, 5), 30, "service_order")
    data.transactions(store_a, customer, dt.date(2026, 3, 5), 10, "visit")
    data.transactions(store_a, customer, dt.date(2026, 3, 5), 5, "purchase")  # not a service
    # Sunday 1 March 23:30 in Shanghai (15:30 UTC): the week of 23 February.
    data.complaint(agent, customer, category, at(2026, 3, 1, 23, 30))
    # Monday 2 March 00:30 in Shanghai (still 1 March in UTC): the week of 2 March.
    data.complaint(agent, customer, category, at(2026, 3, 2, 0, 30))
    data.complaint(agent, customer, category, at(2026, 3, 3, 9, 0), channel="survey")  # no
    billing = Category.objects.get(organisation=org, code="billing_error")
    data.complaint(agent, customer, billing, at(2026, 4, 7, 9, 0))
    data.complaint(agent, customer, category, at(2026, 4, 14, 9, 0))  # current week: not yet

    out = {(x.store_id, x.category_id): x for x in warning.series(s, today=NOW.date())}
    waiting = Category.objects.get(organisation=org, code="waiting_time")
    price = Category.objects.get(organisation=org, code="price_billing")
    # Store A: all categories, waiting time, price and billing; store B: all categories only.
    assert set(out) == {
        (store_a.pk, None),
        (store_a.pk, waiting.pk),
        (store_a.pk, price.pk),
        (store_b.pk, None),
    }
    a = out[(store_a.pk, None)]
    # 16 Feb: 7 × 10; 23 Feb: 6 February days × 10 + 1 March (a month with transactions) 0;
    # 2 March: 30 + 10; 30 March: 30, 31 March 0 + 1–5 April 5 × 10; 6 April: 7 × 10.
    assert a.services.tolist() == [70, 60, 40, 0, 0, 0, 50, 70]
    assert a.complaints.tolist() == [0, 1, 1, 0, 0, 0, 0, 1]
    assert out[(store_a.pk, waiting.pk)].complaints.tolist() == [0, 1, 1, 0, 0, 0, 0, 0]
    assert out[(store_a.pk, price.pk)].complaints.tolist() == [0, 0, 0, 0, 0, 0, 0, 1]
    # Rates per 100 services: 1 / 60 × 100.
    assert a.rate(1) == pytest.approx(100 / 60)
    assert a.rate(3) is None
    assert out[(store_b.pk, None)].chart is None  # no services at all: no chart


def test_the_centre_and_limits_come_from_the_baseline(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any
) -> None:
    s = weekly_settings(org)
    weekly(agent, customer, category, [1, 2, 1, 2, 1, 2, 8, 1])
    a = next(x for x in warning.series(s, today=NOW.date()) if x.category_id is None)
    # Baseline: 6 complaints in 4 × 100 services → 1.5 per 100; UCL 1.5 + 3 √1.5 = 5.174.
    assert a.phase == "II"
    assert a.centre == pytest.approx(1.5)
    assert a.limit(6) == pytest.approx(1.5 + 3 * math.sqrt(1.5))
    # Only week 7 (30 March, 8 complaints) lies above; it is watched and has ≥ 3 complaints.
    assert a.runs() == [(6, 6)]
    snap = a.snapshot()
    assert snap["periods"][6] == "2026-03-30" and snap["complaints"][6] == 8
    assert snap["watch_from"] == 4 and snap["alerting"][6] is True


def test_a_baseline_without_complaints_falls_back_to_phase_one(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any
) -> None:
    s = weekly_settings(org)
    weekly(agent, customer, category, [0, 0, 0, 0, 1, 1, 1, 1])
    a = next(x for x in warning.series(s, today=NOW.date()) if x.category_id is None)
    assert a.phase == "I"
    assert a.centre == pytest.approx(4 / 8)  # pooled: 4 complaints in 8 × 100 services


def test_laney_sigma_z_below_one_is_taken_as_one(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any
) -> None:
    s = weekly_settings(org, laney=True)
    weekly(agent, customer, category, [2, 2, 2, 2, 2, 2, 9, 2])
    a = next(x for x in warning.series(s, today=NOW.date()) if x.category_id is None)
    # The baseline is flat (σ_z = 0): the limits stay the Poisson ones, 2 + 3 √2.
    assert a.chart is not None and a.chart.sigma_z == 1.0
    assert a.limit(6) == pytest.approx(2 + 3 * math.sqrt(2))
    assert a.runs() == [(6, 6)]


def test_the_series_take_four_queries(
    org: Any,
    store_a: Any,
    store_b: Any,
    agent: Any,
    customer: Any,
    category: Any,
    django_assert_max_num_queries: Any,
) -> None:
    s = weekly_settings(org)
    weekly(agent, customer, category, [1, 2, 1, 2, 1, 2, 8, 1])
    with django_assert_max_num_queries(5):
        warning.series(s, today=NOW.date())


def test_daily_series_count_shanghai_days(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any
) -> None:
    s = weekly_settings(org, period="day")
    # Yesterday (14 April) is the last complete day: 4 baseline + 7 watched days from 4 April.
    assert warning.window(s, NOW.date())[0] == dt.date(2026, 4, 4)
    data.transactions(store_a, customer, dt.date(2026, 4, 13), 20, "visit")
    data.complaint(agent, customer, category, at(2026, 4, 13, 23, 30))  # 15:30 UTC, same day
    data.complaint(agent, customer, category, at(2026, 4, 14, 0, 30))  # 13 April in UTC
    data.complaint(agent, customer, category, at(2026, 4, 15, 9, 0))  # today: not charted
    a = next(x for x in warning.series(s, today=NOW.date()) if x.category_id is None)
    assert a.periods[-2:] == [dt.date(2026, 4, 13), dt.date(2026, 4, 14)]
    assert a.complaints.tolist()[-2:] == [1, 1]
    assert a.services.tolist()[-2:] == [20, 0]
    assert a.rate(len(a.periods) - 2) == pytest.approx(5.0)  # 1 per 20 services
