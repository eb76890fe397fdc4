"""The early-warning pages in a real browser (Debian's chromium through Playwright): a store
manager opens the alert list, an alert whose control chart draws, acknowledges it, and reads
the settings. Screenshots go to `screenshots/` at the repository root."""

from __future__ import annotations

from typing import Any

import pytest

from manyi.analytics.alerts import sweep_alerts
from manyi.analytics.models import Alert
from manyi.analytics.tests.data_alerts import NOW, weekly, weekly_settings
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_alert_pages_draw_and_handle(
    live_server: Any,
    browser: Any,
    org: Any,
    store_a: Any,
    manager: Any,
    agent: Any,
    customer: Any,
    category: Any,
) -> None:
    weekly_settings(org)
    weekly(agent, customer, category, [1, 2, 1, 2, 1, 2, 8, 1])
    sweep_alerts(now=NOW)
    alert = Alert.objects.get(category__isnull=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/analytics/alerts/")
    assert page.locator('[data-table="alerts"] tbody tr').count() == 2
    shot(page, "analytics-alerts-zh")
    page.goto(f"{live_server.url}/analytics/alerts/{alert.pk}/")
    page.wait_for_selector('[data-chart="alert-chart"][data-rendered="1"]')
    shot(page, "analytics-alert-detail-zh")

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/analytics/alerts/{alert.pk}/")
    page.wait_for_selector('[data-chart="alert-chart"][data-rendered="1"]')
    page.select_option("#id_state", "acknowledged")
    page.fill("#id_note", "Looking into the late deliveries")
    page.click('#alert-handle-form button[type="submit"]')
    page.wait_for_selector('[data-figure="alert-state"]:has-text("Acknowledged")')
    shot(page, "analytics-alert-detail-en")
    page.goto(f"{live_server.url}/analytics/alerts/settings/")
    assert page.locator('[data-table="arl"] tbody tr').count() == 3
    shot(page, "analytics-alert-settings-en")
