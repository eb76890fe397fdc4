"""The intake flow in a real browser (Debian's chromium through Playwright): an agent takes a
phone complaint with the keyboard only and lands on the case page with its due times.

Screenshots of the main pages in Chinese and English go to `screenshots/` at the repository
root (gitignored) for a human to look at.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from manyi.accounts.choices import Role
from manyi.cases.choices import Severity
from manyi.cases.models import Case, Category
from manyi.cases.tests.ui_helpers import make_breached, make_due_in, open_case
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import (
    AssetFactory,
    CustomerFactory,
    OrganisationFactory,
    StoreFactory,
    UserFactory,
)
from manyi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    """A store with an agent, a known caller with a car, and a few cases in every SLA state."""
    org = OrganisationFactory(name="申城汽车集团")
    store = StoreFactory(organisation=org, name="浦东店", code="PD")
    other = StoreFactory(organisation=org, name="徐汇店", code="XH")
    supervisor = UserFactory(store=store, role=Role.SUPERVISOR, display_name="王主管")
    agent = UserFactory(
        store=store, role=Role.AGENT, username="agent", display_name="李客服", supervisor=supervisor
    )
    UserFactory(store=store, role=Role.STORE_MANAGER, username="manager", display_name="陈经理")
    known = CustomerFactory(store=store, name="张伟", phone="13812345678")
    AssetFactory(customer=known, plate="沪A12345", model="帕萨特")
    categories = list(Category.objects.filter(organisation=org, parent__isnull=False)[:6])
    summaries = [
        "交车延误两天，客户很不满意",
        "保养后发动机异响仍未解决",
        "收费单上多收了工时费",
        "前台接待态度冷淡",
        "预约三次都没有空位",
        "承诺回电但一直没有回",
    ]
    for i, summary in enumerate(summaries):
        cust = CustomerFactory(store=store if i % 3 else other, name=f"客户{i}")
        case = open_case(
            agent if cust.store_id == store.pk else supervisor,
            cust,
            categories[i],
            summary=summary,
            severity=[Severity.NORMAL, Severity.HIGH, Severity.CRITICAL][i % 3],
        )
        if i == 1:
            make_breached(case)
        if i == 2:
            make_due_in(case, 40)
    return {"org": org, "agent": agent, "known": known, "category": categories[0]}


def _open_intake(page: Any, base: str) -> None:
    """Open the intake page and wait for the phone field to take the focus.

    Chromium applies `autofocus` at its next rendering step, which can come after the load event
    that `goto` waits for; typing before that would go nowhere.
    """
    page.goto(f"{base}/cases/new/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_phone'")


def _take_complaint(page: Any, phone: str, name: str, summary: str) -> None:
    """Keyboard only: the phone field has the focus when the page opens."""
    page.keyboard.type(phone)
    page.wait_for_selector('#lookup [data-lookup="new"]')
    page.keyboard.press("Tab")  # customer name
    page.keyboard.type(name)
    page.keyboard.press("Tab")  # plate
    page.keyboard.type("沪B66666")
    page.keyboard.press("Tab")  # model
    page.keyboard.type("途观L")
    page.keyboard.press("Tab")  # VIN (left empty)
    page.keyboard.press("Tab")  # channel: phone by default
    page.keyboard.press("Tab")  # category
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # severity
    page.keyboard.press("ArrowDown")  # normal -> high
    page.keyboard.press("Tab")  # summary
    page.keyboard.type(summary)


def test_agent_takes_a_phone_complaint_with_the_keyboard(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    login(page, base, "agent")
    _open_intake(page, base)

    _take_complaint(page, "139 0000 8888", "周杰", "维修后空调仍然不制冷")
    shot(page, "intake-zh")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))

    case = Case.objects.get(summary="维修后空调仍然不制冷")
    assert case.customer.name == "周杰" and case.customer.phone == "13900008888"
    assert case.asset is not None and case.asset.plate == "沪B66666"
    assert case.severity == Severity.HIGH
    assert case.owner == world["agent"]
    clocks = page.locator("#clocks .clock")
    assert clocks.count() >= 2
    first = page.locator('#clocks [data-metric="first_response"]')
    assert first.locator(".due").inner_text().strip() != ""
    assert first.locator(".countdown").get_attribute("data-due")
    assert page.locator('#clocks [data-metric="resolution"] .countdown').count() == 1
    shot(page, "case-detail-zh")

    # Answer the customer from the case page: htmx swaps the page body in place.
    page.click('[data-panel="respond"] textarea')
    page.keyboard.type("已致电客户致歉，明天上午给出处理方案")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".timeline .k-responded")
    assert "已致电客户致歉" in page.locator(".timeline").inner_text()
    assert page.locator('#clocks [data-metric="first_response"] .badge').inner_text() != ""
    shot(page, "case-detail-responded-zh")
    case.refresh_from_db()
    assert case.first_responded_at is not None and case.version == 2
    # The tabs still work after the swap, and the forms carry the new version.
    page.click('[data-tab="note"]')
    assert page.locator('[data-panel="note"]').is_visible()
    assert page.locator('[data-panel="note"] input[name="version"]').get_attribute("value") == "2"


def test_known_caller_is_found_and_case_created_on_their_car(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    login(page, base, "agent")
    page.goto(f"{base}/cases/new/")
    page.click("#id_phone")
    page.keyboard.type("13812345678")
    found = page.wait_for_selector('#lookup [data-lookup="found"]')
    assert "张伟" in found.inner_text() and "沪A12345" in found.inner_text()
    page.keyboard.press("Tab")  # the vehicle radio group (first car chosen)
    page.keyboard.press("Tab")  # channel
    page.keyboard.press("Tab")  # category
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # severity
    page.keyboard.press("Tab")  # summary
    page.keyboard.type("等待时间太长")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))
    case = Case.objects.get(summary="等待时间太长")
    assert case.customer == world["known"]
    assert case.asset is not None and case.asset.plate == "沪A12345"
    assert Customer.objects.filter(phone="13812345678").count() == 1


def test_screenshots_in_chinese_and_english(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    case = Case.objects.filter(organisation=world["org"]).order_by("id").first()
    assert case is not None
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    login(page, base, "manager")
    for lang in ("zh", "en"):
        if lang == "en":
            page.click('form.lang-switch button[value="en"]')
            page.wait_for_load_state("networkidle")
            assert page.get_attribute("html", "lang") == "en"
        else:
            assert page.get_attribute("html", "lang") == "zh-CN"
        page.goto(f"{base}/")
        assert page.locator("#by-store").count() == 1
        shot(page, f"dashboard-{lang}")
        page.goto(f"{base}/cases/")
        assert page.locator("tr.row-breached").count() >= 1
        assert page.locator("tr.row-warning").count() >= 1
        shot(page, f"case-list-{lang}")
        if lang == "zh":
            # Changing a filter refreshes the results in place and keeps it in the address.
            page.select_option("#id_breached", "yes")
            page.wait_for_url(re.compile(r".*breached=yes.*"))
            page.wait_for_function("document.querySelectorAll('tr[data-case]').length === 1")
            assert page.locator("tr.row-breached").count() == 1
            assert "breached=yes" in page.get_attribute('a[href*="export.csv"]', "href")
        page.goto(f"{base}/cases/new/")
        page.click("#id_phone")
        page.keyboard.type("13812345678")
        page.wait_for_selector('#lookup [data-lookup="found"]')
        shot(page, f"intake-found-{lang}")
        page.goto(f"{base}/cases/{case.pk}/")
        page.wait_for_selector("#clocks")
        shot(page, f"case-detail-manager-{lang}")
