"""Service guarantees in a real browser (Debian's chromium through Playwright): an agent records
a billing error in the case page's guarantee panel (htmx) and sees the double refund, above
her authority so waiting for approval, in both panels without a reload; the promises and the
report render in Chinese and English.

Screenshots go to `screenshots/` at the repository root (gitignored)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import at
from manyi.accounts.choices import Role
from manyi.cases.models import Category
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import (
    CustomerFactory,
    OrganisationFactory,
    StoreFactory,
    UserFactory,
)
from manyi.recovery.guarantees import detect_breaches, ensure_default_guarantees
from manyi.recovery.models import Guarantee, GuaranteeBreach

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    org = OrganisationFactory(name="申城汽车集团")
    store = StoreFactory(organisation=org, name="浦东店", code="PD")
    agent = UserFactory(store=store, role=Role.AGENT, username="agent", display_name="李客服")
    UserFactory(store=store, role=Role.STORE_MANAGER, username="manager", display_name="陈经理")
    ensure_default_guarantees(org)
    Guarantee.objects.filter(organisation=org).update(starts_at=at(2026, 1, 1, 0, 0))
    category = Category.objects.get(organisation=org, code="billing_error")
    late = open_case(
        agent,
        CustomerFactory(store=store, name="王芳"),
        category,
        summary="投诉两天没人回复",
        received_at=at(2026, 3, 4, 9, 0),
        now=at(2026, 3, 4, 9, 0),
    )
    detect_breaches(now=at(2026, 3, 6, 10, 0))  # no first reply in 48 hours
    billed = open_case(
        agent, CustomerFactory(store=store, name="张伟"), category, summary="保养收费多收了"
    )
    return {"late": late, "billed": billed}


def _set_language(page: Any, base: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])


def test_an_agent_records_a_billing_error_and_the_refund_waits_for_approval(
    browser, live_server, world
):
    base = live_server.url
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    login(page, base, "agent")
    _set_language(page, base, "en")

    page.goto(f"{base}/cases/{world['late'].pk}/")
    panel = page.locator("#guarantee-panel")
    assert "48-hour first reply" in panel.inner_text()
    shot(page, "guarantee-case-broken-en")

    page.goto(f"{base}/cases/{world['billed'].pk}/")
    page.click("#guarantee-panel summary")
    page.select_option(
        "#guarantee-panel select[name=guarantee]",
        label="收费误差双倍返还 Billing error pays double",
    )
    page.fill("#guarantee-panel input[name=amount_involved]", "120")
    page.fill("#guarantee-panel textarea[name=note]", "Labour billed twice")
    page.click("#guarantee-panel button[type=submit]")
    page.wait_for_selector("#guarantee-panel .gb-item")

    panel_text = page.locator("#guarantee-panel").inner_text()
    assert "¥240" in panel_text and "Waiting for approval" in panel_text  # above ¥200
    assert "¥240" in page.locator("#recovery-panel").inner_text()  # swapped in out of band
    assert GuaranteeBreach.objects.filter(case=world["billed"]).count() == 1
    shot(page, "guarantee-case-recorded-en")

    for language in ("zh-hans", "en"):
        _set_language(page, base, language)
        page.goto(f"{base}/recovery/guarantees/")
        shot(page, f"guarantee-list-{language}")
        page.goto(f"{base}/recovery/guarantees/report/?start=2026-01&end=2026-12")
        assert "¥340" in page.locator("#gt-total-payout").inner_text()
        assert page.locator("#gt-total-waiting").inner_text() == "1"
        shot(page, f"guarantee-report-{language}")
    page.close()


def test_an_admin_edits_a_guarantee_in_the_browser(browser, live_server, world):
    admin = UserFactory(
        store=world["late"].store, role=Role.ORG_ADMIN, username="orgadmin", is_staff=True
    )
    base = live_server.url
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    login(page, base, admin.username)
    g = Guarantee.objects.get(organisation=admin.organisation, code="first_reply_48h")
    for language in ("zh-hans", "en"):
        _set_language(page, base, language)
        page.goto(f"{base}/recovery/guarantees/{g.pk}/")
        shot(page, f"guarantee-form-{language}")
    page.fill("#id_amount", "150")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{base}/recovery/guarantees/")
    g.refresh_from_db()
    assert str(g.amount) == "150.00"
    page.close()
