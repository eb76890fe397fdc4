"""End to end: the demo data set (`load_demo`, small size, today) in a real browser (Debian's
chromium through Playwright). The demo's organisation admin opens every analytics page with
its default filters; each page answers without an error, every ECharts chart on it draws, and
a screenshot of each goes to `screenshots/demo-analytics-*.png`, in Chinese (the default
language) and for two pages in English."""

from __future__ import annotations

from typing import Any

import pytest

from manyi.analytics.models import Alert, CustomerValue
from manyi.core.demo import ADMIN_USERNAME, DEMO_PASSWORD, load_demo
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (name, path, a selector that only a page with data shows)
PAGES = [
    ("controls", "/analytics/", '#table-stores [data-figure="complaint-rate"]'),
    ("handling", "/analytics/handling/", "[data-table]"),
    ("recovery", "/analytics/recovery/", '[data-figure="recovery-cost"]'),
    ("returns", "/analytics/returns/", "[data-table]"),
    ("alerts", "/analytics/alerts/", "[data-table]"),
    ("value", "/analytics/value/", "[data-table]"),
    ("churn", "/analytics/churn/", "[data-table]"),
    ("lost", "/analytics/lost/", '[data-table="lost"] tbody tr'),
]


@pytest.fixture
def demo(settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo(size="small")


def _charts_drawn(page: Any) -> int:
    """Wait until every chart node of the page has drawn; return how many there are."""
    charts = page.locator("[data-chart]")
    n: int = charts.count()
    for i in range(n):
        charts.nth(i).wait_for(state="attached")
        page.wait_for_function(
            "(i) => document.querySelectorAll('[data-chart]')[i]"
            ".getAttribute('data-rendered') === '1'",
            arg=i,
        )
    return n


def test_every_analytics_page_of_the_demo_opens_and_draws(
    live_server: Any, browser: Any, demo: Any
) -> None:
    org = demo.organisation
    assert CustomerValue.objects.filter(organisation=org).exists()  # the demo refreshed values
    assert Alert.objects.filter(organisation=org).exists()  # and swept for alerts
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server.url, ADMIN_USERNAME, DEMO_PASSWORD)
    drawn = 0
    for name, path, selector in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert page.locator(selector).count() > 0, path
        drawn += _charts_drawn(page)
        shot(page, f"demo-analytics-{name}-zh")
    assert drawn >= len(PAGES) - 1  # nearly every page has at least one chart

    alert = Alert.objects.filter(organisation=org).order_by("-created_at").first()
    assert alert is not None
    page.goto(f"{live_server.url}/analytics/alerts/{alert.pk}/")
    assert _charts_drawn(page) >= 1
    shot(page, "demo-analytics-alert-zh")
    page.goto(f"{live_server.url}/analytics/alerts/settings/")
    shot(page, "demo-analytics-alert-settings-zh")
    page.goto(f"{live_server.url}/cases/?state=open&sort=value")
    shot(page, "demo-cases-by-value-zh")

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    for name, path, _selector in PAGES[:2]:
        page.goto(f"{live_server.url}{path}")
        _charts_drawn(page)
        shot(page, f"demo-analytics-{name}-en")
    assert errors == []
