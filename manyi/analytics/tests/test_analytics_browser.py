"""The analytics pages in a real browser (Debian's chromium through Playwright): a store manager
opens the three controls and the lost customers' Pareto; the ECharts charts draw and the pages
render in Chinese and English. Screenshots go to `screenshots/` at the repository root."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import at
from manyi.analytics.tests import data
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD = "?start=2026-01-01&end=2026-06-30"
REASONS = {"pricing": 6, "core_service_failure": 4, "response_to_failure": 3, "competition": 1}


@pytest.fixture
def world(store_a, store_b, manager, agent, admin_user, customer, customer_b, category):
    survey = data.survey(admin_user)
    for month in range(1, 7):
        data.volume(store_a, dt.date(2026, month, 1), 100 + 10 * month)
        data.volume(store_b, dt.date(2026, month, 1), 80)
        for day in range(1, 2 + month % 4):
            data.complaint(agent, customer, category, at(2026, month, day * 3, 10, 0))
        data.complaint(manager, customer_b, category, at(2026, month, 9, 10, 0))
        due = at(2026, month, 12, 17, 0)
        data.followup(customer, agent, due, "done", completed_at=due - dt.timedelta(hours=1))
        data.followup(customer, agent, due, "expired" if month % 2 else "done", completed_at=due)
        for i in range(5):
            bad = i < 1 + month % 3
            data.answer(survey, store_a, at(2026, month, 15, 12, i), dissatisfied=bad, staff=agent)
    for reason, n in REASONS.items():
        for _ in range(n):
            CustomerFactory(store=store_a, lost_at=at(2026, 3, 3, 12, 0), lost_reason=reason)


def test_the_analytics_pages_draw_their_charts(live_server: Any, browser: Any, world: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/analytics/{PERIOD}")
    page.wait_for_selector('[data-chart="controls-trend"][data-rendered="1"]')
    assert page.locator('#table-stores [data-figure="complaint-rate"]').count() == 2
    shot(page, "analytics-controls-zh")

    page.goto(f"{live_server.url}/analytics/lost/{PERIOD}")
    page.wait_for_selector('[data-chart="lost-pareto"][data-rendered="1"]')
    assert page.locator('[data-table="lost"] tbody tr').count() == len(REASONS)
    shot(page, "analytics-lost-zh")

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/analytics/{PERIOD}")
    page.wait_for_selector('[data-chart="controls-trend"][data-rendered="1"]')
    assert "Complaint rate" in page.content()
    shot(page, "analytics-controls-en")
    page.goto(f"{live_server.url}/analytics/lost/{PERIOD}")
    page.wait_for_selector('[data-chart="lost-pareto"][data-rendered="1"]')
    shot(page, "analytics-lost-en")
