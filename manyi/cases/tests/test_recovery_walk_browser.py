"""One complaint walked end to end in a real browser (Debian's chromium through Playwright):
a customer sends it from the store's public page on a phone; the agent calls back, proposes a
recovery above her authority and works the checklist; the supervisor approves it from the
queue; the agent gives it, resolves the case, and a week later (the follow-up's date moved to
today) records the follow-up call on the workbench. The case timeline shows every step.

Screenshots of each step go to `screenshots/walk-*.png` at the repository root (gitignored);
the last page also in English.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from typing import Any

import pytest
from django.utils import timezone, translation

from manyi.accounts.choices import Role
from manyi.audit.models import AuditEvent
from manyi.cases.choices import Channel, Outcome, Status
from manyi.cases.models import Attachment, Case
from manyi.cases.public_services import promised_first_response, public_categories, store_zone
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import OrganisationFactory, StoreFactory, UserFactory
from manyi.followups.choices import ContactResult, FollowUpState, Satisfaction
from manyi.followups.models import FollowUp
from manyi.recovery.choices import ActionKind, ActionState, Principle
from manyi.recovery.models import ChecklistTick, RecoveryAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT = 15_000  # ms: generous for a loaded CI machine, short enough to fail fast when broken

PHONE = "13955556666"
DESCRIPTION = "保养后车辆右前方一直有异响，回店两次都没有修好，希望尽快给个说法。"


def _png_1x1() -> bytes:
    """A valid 1×1 red PNG, built here so the test needs no fixture file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    """One store with exactly one agent (so the public page's "staff on duty" is her), her
    supervisor, and a store manager."""
    org = OrganisationFactory(name="申城汽车集团")
    store = StoreFactory(organisation=org, name="浦东店", code="PD")
    supervisor = UserFactory(
        store=store, role=Role.SUPERVISOR, username="supervisor", display_name="王主管"
    )
    agent = UserFactory(
        store=store, role=Role.AGENT, username="agent", display_name="李客服", supervisor=supervisor
    )
    UserFactory(store=store, role=Role.STORE_MANAGER, username="manager", display_name="陈经理")
    return {
        "org": org,
        "store": store,
        "agent": agent,
        "supervisor": supervisor,
        "category": public_categories(org.pk)[0],
    }


def _shot(page: Any, name: str) -> None:
    # A full-page shot of a scrolled page draws the sticky navigation bar mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"walk-{name}")


def _staff_page(browser: Any, base: str, username: str) -> Any:
    """A logged-in desktop page in its own browser context (own cookies)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(WAIT)
    page = context.new_page()
    login(page, base, username)
    return page


def _customer_sends_complaint(browser: Any, base: str, world: dict[str, Any]) -> Case:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(WAIT)
    page = context.new_page()
    page.goto(f"{base}/complain/{world['store'].pk}/")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.fill("#id_name", "赵敏")
    page.fill("#id_phone", PHONE)
    page.select_option("#id_category", str(world["category"].pk))
    page.fill("#id_description", DESCRIPTION)
    page.fill("#id_plate", "沪C 88888")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "异响位置.png", "mimeType": "image/png", "buffer": _png_1x1()}],
    )
    _shot(page, "01-public-form-zh")
    page.click("button.pub-btn")
    page.wait_for_url(f"{base}/complain/{world['store'].pk}/done/")

    case = Case.objects.select_related("store__calendar", "customer").get(channel=Channel.WEB)
    number = page.locator("#case-number").inner_text().strip()
    assert number == case.number
    due = promised_first_response(case)
    assert due is not None
    promised = timezone.localtime(due, store_zone(case.store)).strftime("%Y-%m-%d %H:%M")
    assert promised in page.locator("#promise").inner_text()
    _shot(page, "02-public-done-zh")
    context.close()

    assert case.owner == world["agent"]  # the only agent of the store is on duty
    assert case.customer.name == "赵敏" and case.customer.phone == PHONE
    assert case.first_responded_at is None
    photo = Attachment.objects.get(case=case)
    assert photo.content_type == "image/png" and photo.size == len(_png_1x1())
    return case


def _agent_calls_back(page: Any, base: str, case: Case) -> None:
    page.goto(f"{base}/cases/{case.pk}/")
    page.wait_for_selector("#communications-panel")
    assert case.number in page.locator(".case-head").inner_text()
    assert page.locator("#attachments").count() == 1  # the customer's photo
    assert page.locator("#id_comm_direction").input_value() == "outbound"
    page.select_option("#id_comm_medium", "call")
    page.fill("#id_comm_content", "已致电赵女士致歉，约好明天上午到店复检异响。")
    page.click("#communications-panel button[type=submit]")
    page.wait_for_selector("#communications-panel .comm-log li.comm-outbound")
    page.wait_for_selector(".timeline .k-responded")
    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert case.status == Status.ACKNOWLEDGED


def _agent_proposes_recovery(page: Any, case: Case) -> RecoveryAction:
    panel = page.locator("#recovery-panel")
    assert "200" in panel.locator(".ra-form .hint").inner_text()  # her authority
    page.select_option("#id_ra-kind", ActionKind.FREE_SERVICE)
    page.fill("#id_ra-value", "800")
    page.fill("#id_ra-note", "免费做一次底盘检查和四轮定位")
    page.click("#recovery-panel .ra-form button[type=submit]")
    page.wait_for_selector("#recovery-panel tr.ra-pending")
    action = RecoveryAction.objects.get(case=case)
    assert action.state == ActionState.PENDING
    assert action.kind == ActionKind.FREE_SERVICE and action.value == 800
    row = page.locator(f"#ra-{action.pk}")
    # She cannot decide her own action: no approve button, only "waiting".
    assert row.locator(".ra-decide").count() == 0

    # Two principles of the checklist; each tick re-renders the panel, so wait in between.
    for principle in (Principle.ACT_FAST, Principle.ADMIT):
        page.check(f"#principle-{principle} input[type=checkbox]")
        page.wait_for_selector(f"#principle-{principle}.done")
    assert set(ChecklistTick.objects.filter(case=case).values_list("principle", flat=True)) == {
        Principle.ACT_FAST,
        Principle.ADMIT,
    }
    assert page.locator("#checklist-panel .count").inner_text().strip().startswith("2/")
    _shot(page, "03-case-recovery-pending-zh")
    return action


def _supervisor_approves(
    page: Any, base: str, case: Case, action: RecoveryAction, supervisor: Any
) -> None:
    page.goto(f"{base}/recovery/")
    row = page.locator(f"#queue-{action.pk}")
    row.wait_for()
    assert case.number in row.inner_text()
    _shot(page, "04-approval-queue-zh")
    row.locator('input[name="reason"]').fill("多次返修，按指引上限内补偿")
    row.locator("button.btn-primary").click()
    page.wait_for_selector(f"#queue-{action.pk}", state="detached")
    page.wait_for_selector("#approval-queue .empty")
    action.refresh_from_db()
    assert action.state == ActionState.APPROVED
    assert action.decided_by_id == supervisor.pk
    _shot(page, "05-approval-done-zh")


def _agent_gives_it(page: Any, base: str, case: Case, action: RecoveryAction) -> None:
    page.goto(f"{base}/cases/{case.pk}/")
    row = page.locator(f"#ra-{action.pk}")
    row.wait_for()
    assert "多次返修" in row.inner_text()  # the approver's reason is shown
    row.locator(".ra-steps button.btn").click()
    page.wait_for_selector(f"#ra-{action.pk}.ra-given")
    action.refresh_from_db()
    assert action.state == ActionState.GIVEN and action.given_by_id == case.owner_id


def _agent_resolves(page: Any, case: Case) -> FollowUp:
    page.click('[data-tab="status"]')
    page.select_option("#id_status_status", Status.RESOLVED)
    outcome = page.locator("#id_status_outcome")
    outcome.wait_for(state="visible")  # only shown when resolving
    outcome.select_option(Outcome.IN_FAVOUR)
    page.fill("#id_status_note", "复检后更换减震器顶胶，异响消除，客户认可。")
    page.click('[data-panel="status"] button[type=submit]')
    page.wait_for_selector("#followups-panel .fu-panel li")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.outcome == Outcome.IN_FAVOUR
    followup = FollowUp.objects.get(case=case)
    assert followup.state == FollowUpState.OPEN
    assert followup.assigned_to_id == case.owner_id
    assert followup.scheduled_for == timezone.localdate() + dt.timedelta(days=7)
    assert followup.scheduled_for.isoformat() in page.locator("#followups-panel").inner_text()
    _shot(page, "06-case-resolved-zh")
    return followup


def _a_week_later(followup: FollowUp) -> None:
    """Time travel: the call falls due today (only its date moves, not the flow)."""
    now = timezone.now()
    FollowUp.objects.filter(pk=followup.pk).update(
        scheduled_for=timezone.localdate(now), due_at=now + dt.timedelta(hours=2)
    )


def _agent_records_the_call(page: Any, base: str, followup: FollowUp) -> None:
    page.goto(f"{base}/followups/")
    row = page.locator(f"#fu-{followup.pk}")
    row.wait_for()
    assert followup.case is not None and followup.case.number in row.inner_text()
    row.locator("details.fu-record > summary").click()
    prefix = f"fu{followup.pk}"
    page.check(f'input[name="{prefix}-result"][value="{ContactResult.REACHED}"]')
    page.check(f'input[name="{prefix}-satisfaction"][value="{Satisfaction.YES}"]')
    page.fill(f"#id_{prefix}-note", "客户表示异响已解决，对处理满意。")
    _shot(page, "07-followup-workbench-zh")
    row.locator("button[type=submit]").click()
    # htmx swaps the row: the recording form is gone and the row shows the outcome.
    page.wait_for_selector(f"#fu-{followup.pk} details.fu-record", state="detached")
    followup.refresh_from_db()
    assert followup.state == FollowUpState.DONE
    assert followup.result == ContactResult.REACHED
    assert followup.satisfaction == Satisfaction.YES
    with translation.override("zh-hans"):
        satisfied = str(Satisfaction.YES.label)
    assert satisfied in page.locator(f"#fu-{followup.pk}").inner_text()
    _shot(page, "08-followup-done-zh")


def _timeline_tells_the_story(page: Any, base: str, case: Case) -> None:
    page.goto(f"{base}/cases/{case.pk}/")
    page.wait_for_selector(".timeline")
    timeline = page.locator(".timeline")
    assert timeline.locator(".k-created").count() == 1
    assert timeline.locator(".k-responded").count() == 1
    assert timeline.locator(".k-checklist").count() == 2
    # proposed, approved, given
    assert timeline.locator(".k-recovery").count() == 3
    assert timeline.locator(".k-status").count() >= 2  # acknowledged, resolved
    # scheduled, then the call
    assert timeline.locator(".k-followup").count() == 2
    text = timeline.inner_text()
    assert "多次返修" in text  # the approval's reason
    assert "王主管" in text and "李客服" in text
    kinds = list(AuditEvent.objects.filter(case=case).values_list("kind", flat=True))
    for kind in ("created", "responded", "recovery", "checklist", "status", "followup"):
        assert kind in kinds
    _shot(page, "09-case-timeline-zh")

    page.click('form.lang-switch button[value="en"]')
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "en"
    assert re.search(rf"/cases/{case.pk}/$", page.url)
    assert case.number in page.locator(".case-head").inner_text()
    _shot(page, "10-case-timeline-en")


def test_a_public_complaint_walks_through_recovery_approval_resolution_and_follow_up(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    case = _customer_sends_complaint(browser, base, world)

    agent = _staff_page(browser, base, "agent")
    _agent_calls_back(agent, base, case)
    action = _agent_proposes_recovery(agent, case)

    boss = _staff_page(browser, base, "supervisor")
    _supervisor_approves(boss, base, case, action, world["supervisor"])
    boss.context.close()

    _agent_gives_it(agent, base, case, action)
    followup = _agent_resolves(agent, case)
    _a_week_later(followup)
    _agent_records_the_call(agent, base, followup)
    _timeline_tells_the_story(agent, base, case)
