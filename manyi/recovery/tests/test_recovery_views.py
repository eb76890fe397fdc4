"""The recovery panel and the checklist on the case page, the approval queue and the recovery
settings pages, in Chinese (the default) and English."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.accounts.choices import Role
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.tests.factories import CustomerFactory, UserFactory
from manyi.recovery import services
from manyi.recovery.models import ChecklistTick, CompensationGuide, RecoveryAction

pytestmark = pytest.mark.django_db

HX_PANEL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "recovery-panel"}
HX_QUEUE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "approval-queue"}
HX_CHECKLIST = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "checklist-panel"}


@pytest.fixture
def case(agent, customer, category, store_a):
    store_a.monthly_recovery_budget = Decimal("1000")
    store_a.save()
    return open_case(agent, customer, category)


def propose(client, case, **data):
    body = {"ra-kind": "refund", "ra-value": "0", "ra-note": ""}
    body.update({f"ra-{k}": v for k, v in data.items()})
    return client.post(f"/recovery/cases/{case.pk}/actions/", body, **HX_PANEL)


def test_case_page_shows_both_panels_in_chinese_and_english(agent, admin_user, case, category):
    services.save_guide(actor=admin_user, category=category, severity="", low="50", high="200")
    zh = client_for(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'id="recovery-panel"' in zh and 'id="checklist-panel"' in zh
    assert 'lang="zh-CN"' in zh
    assert "¥50–¥200" in zh
    en = client_for(agent, "en").get(f"/cases/{case.pk}/").content.decode()
    assert 'lang="en"' in en
    assert "Recovery actions" in en and "Suggested compensation ¥50–¥200" in en
    assert "Nine principles" in en and "Act fast" in en and "Persist to win back goodwill" in en
    assert "Your authority: up to ¥200." in en


def test_recording_within_authority_is_approved_and_the_panel_comes_back(agent, case):
    response = propose(client_for(agent, "en"), case, kind="gift", value="150", note="送保养券")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="recovery-panel"' in html
    assert "Recorded and approved" in html and "送保养券" in html and "¥150" in html
    action = RecoveryAction.objects.get(case=case)
    assert action.state == "approved" and action.value == Decimal("150")
    assert "Given to the customer" in html  # the next step is offered


def test_over_limit_waits_and_a_supervisor_sees_approve_buttons(agent, supervisor, case):
    html = propose(client_for(agent, "en"), case, kind="refund", value="600").content.decode()
    assert "Waiting for approval" in html and "Approve" not in html  # not her own
    action = RecoveryAction.objects.get(case=case)
    page = client_for(supervisor, "en").get(f"/cases/{case.pk}/").content.decode()
    assert f"/recovery/actions/{action.pk}/approve/" in page
    html = (
        client_for(supervisor, "en")
        .post(f"/recovery/actions/{action.pk}/approve/", {"reason": "同意"}, **HX_PANEL)
        .content.decode()
    )
    assert "Approved." in html and "同意" in html
    action.refresh_from_db()
    assert action.state == "approved" and action.decided_by == supervisor


def test_budget_warning_shows_when_recording(supervisor, case):
    # The supervisor's ¥1,000 covers all four, so they are spent at once.
    client = client_for(supervisor, "en")
    html = propose(client, case, kind="gift", value="200").content.decode()
    assert "Budget nearly used" not in html
    for _ in range(3):
        html = propose(client, case, kind="gift", value="200").content.decode()
    assert "Budget nearly used" in html and "msg-warning" in html
    assert "budget-warning" in html  # the budget line turns amber


def test_bad_input_shows_field_errors_and_saves_nothing(agent, case):
    html = propose(client_for(agent, "en"), case, kind="refund", value="-5").content.decode()
    assert 'id="f-ra-value"' in html and "has-error" in html
    html = propose(client_for(agent, "en"), case, kind="bribe", value="5").content.decode()
    assert "has-error" in html
    assert not RecoveryAction.objects.exists()


def test_reject_without_reason_is_refused_with_a_message(agent, supervisor, case):
    action = services.propose_action(actor=agent, case=case, kind="refund", value="600").action
    client = client_for(supervisor, "en")
    html = client.post(f"/recovery/actions/{action.pk}/reject/", {"reason": ""}, **HX_PANEL)
    assert "Say why the action is rejected." in html.content.decode()
    action.refresh_from_db()
    assert action.state == "pending"


def test_give_without_htmx_redirects_back_to_the_case(agent, case):
    action = services.propose_action(actor=agent, case=case, kind="gift", value="20").action
    response = client_for(agent).post(
        f"/recovery/actions/{action.pk}/give/", {"next": f"/cases/{case.pk}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    action.refresh_from_db()
    assert action.state == "given"


def test_actions_of_another_store_or_organisation_are_404(agent, agent_b, case, other_org):
    action = services.propose_action(actor=agent, case=case, kind="gift", value="20").action
    assert client_for(agent_b).post(f"/recovery/actions/{action.pk}/give/").status_code == 404
    assert propose(client_for(other_org["user"]), case, value="5").status_code == 404
    assert (
        client_for(agent).post(f"/recovery/cases/{other_org['case'].pk}/checklist/admit/", {})
    ).status_code == 404


def test_ticking_the_checklist_with_htmx(agent, case):
    client = client_for(agent, "en")
    url = f"/recovery/cases/{case.pk}/checklist/feelings/"
    html = client.post(url, {"ticked": "1"}, **HX_CHECKLIST).content.decode()
    assert 'id="checklist-panel"' in html and "1/9" in html and str(agent) in html
    assert ChecklistTick.objects.get(case=case).principle == "feelings"
    html = client.post(url, {}, **HX_CHECKLIST).content.decode()
    assert "0/9" in html and not ChecklistTick.objects.exists()
    assert client.post(f"/recovery/cases/{case.pk}/checklist/bribe/", {}).status_code == 404


def test_approval_queue_in_both_languages(agent, supervisor, manager, case):
    small = services.propose_action(actor=agent, case=case, kind="refund", value="600").action
    big = services.propose_action(actor=agent, case=case, kind="refund", value="3000").action
    zh = client_for(supervisor).get("/recovery/").content.decode()
    assert 'lang="zh-CN"' in zh and case.number in zh and case.customer.name in zh
    assert f"/recovery/actions/{small.pk}/approve/" in zh
    assert f"/recovery/actions/{big.pk}/approve/" not in zh  # beyond her authority
    en = client_for(manager, "en").get("/recovery/").content.decode()
    assert "Waiting for my approval" in en and "Store budgets" in en
    assert f"/recovery/actions/{big.pk}/approve/" in en
    mine = client_for(agent, "en").get("/recovery/").content.decode()
    assert "My requests waiting for approval" in mine and "Nothing is waiting" in mine


def test_approving_from_the_queue_reloads_the_page_with_the_message(agent, supervisor, case):
    action = services.propose_action(actor=agent, case=case, kind="refund", value="600").action
    client = client_for(supervisor, "en")
    response = client.post(f"/recovery/actions/{action.pk}/approve/", {"reason": ""}, **HX_QUEUE)
    # The budgets and recent actions on the page change too, so htmx reloads it.
    assert response.status_code == 204 and response.headers["HX-Refresh"] == "true"
    action.refresh_from_db()
    assert action.state == "approved"
    html = client.get("/recovery/").content.decode()
    assert "Approved." in html and f"queue-{action.pk}" not in html


def test_a_refused_decision_from_the_queue_returns_the_queue_with_the_error(
    agent, supervisor, case
):
    action = services.propose_action(actor=agent, case=case, kind="refund", value="600").action
    response = client_for(supervisor, "en").post(
        f"/recovery/actions/{action.pk}/reject/", {"reason": ""}, **HX_QUEUE
    )
    html = response.content.decode()
    assert 'id="approval-queue"' in html and "<html" not in html
    assert f"queue-{action.pk}" in html


def test_settings_pages_are_for_org_admins(agent, supervisor, admin_user, category, store_a):
    for url in ("/recovery/guides/", "/recovery/limits/"):
        assert client_for(supervisor).get(url).status_code == 403
        assert 'lang="zh-CN"' in client_for(admin_user).get(url).content.decode()
        assert client_for(admin_user, "en").get(url).status_code == 200
    client = client_for(admin_user, "en")
    response = client.post(
        "/recovery/guides/",
        {"category": str(category.pk), "severity": "high", "low": "100", "high": "50"},
    )
    assert "has-error" in response.content.decode()
    response = client.post(
        "/recovery/guides/",
        {"category": str(category.pk), "severity": "high", "low": "100", "high": "300"},
    )
    assert response.status_code == 302
    guide = CompensationGuide.objects.get()
    assert guide.category == category and guide.high == Decimal("300")
    assert "Suggested compensation ranges" in client.get("/recovery/guides/").content.decode()
    client.post(f"/recovery/guides/{guide.pk}/delete/")
    assert not CompensationGuide.objects.exists()


def test_admin_edits_limits_budgets_and_a_personal_limit(org, admin_user, agent, store_a):
    client = client_for(admin_user, "en")
    page = client.get("/recovery/limits/").content.decode()
    assert "Authority limits by role" in page and "Monthly recovery budgets" in page
    response = client.post(
        "/recovery/limits/",
        {
            "form": "limits",
            "agent": "300",
            "supervisor": "1000",
            "store_manager": "",
            "store_manager_unlimited": "on",
            "org_admin": "",
            "org_admin_unlimited": "on",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.authority_limits["agent"] == "300.00"
    assert org.authority_limits["store_manager"] is None
    client.post("/recovery/limits/", {"form": "budgets", f"store_{store_a.pk}": "6000"})
    store_a.refresh_from_db()
    assert store_a.monthly_recovery_budget == Decimal("6000")
    client.post("/recovery/limits/", {"form": "personal", "staff": agent.pk, "limit": "888"})
    agent.refresh_from_db()
    assert agent.authority_limit == Decimal("888")
    assert "¥888" in client.get("/recovery/limits/").content.decode()


LIMITS = {
    "form": "limits",
    "agent": "300",
    "supervisor": "1000",
    "store_manager": "5000",
    "org_admin": "",
    "org_admin_unlimited": "on",
}


def test_an_empty_limit_needs_the_unlimited_box(org, admin_user):
    response = client_for(admin_user, "en").post("/recovery/limits/", {**LIMITS, "supervisor": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="f-supervisor"' in html and "Enter an amount, or tick Unlimited." in html
    org.refresh_from_db()
    assert org.authority_limits == {}  # nothing saved: not even the valid roles


def test_unlimited_with_an_amount_is_refused(org, admin_user):
    response = client_for(admin_user, "en").post(
        "/recovery/limits/", {**LIMITS, "agent_unlimited": "on"}
    )
    assert response.status_code == 200
    assert "Clear the amount, or untick Unlimited." in response.content.decode()
    org.refresh_from_db()
    assert org.authority_limits == {}


def test_unlimited_is_stored_as_null_and_shown_ticked(org, admin_user):
    client = client_for(admin_user, "en")
    response = client.post(
        "/recovery/limits/", {**LIMITS, "supervisor": "", "supervisor_unlimited": "on"}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.authority_limits["supervisor"] is None
    assert org.authority_limits["agent"] == "300.00"
    assert services.limits_for(org)["supervisor"] is None
    html = client.get("/recovery/limits/").content.decode()
    assert re.search(r'<input type="checkbox" name="supervisor_unlimited"[^>]* checked', html)
    assert not re.search(r'<input type="checkbox" name="agent_unlimited"[^>]* checked', html)
    assert re.search(r'<input type="number" name="agent" value="300.00"', html)
    assert not re.search(r'<input type="number" name="supervisor" value=', html)


def test_case_page_panels_cost_the_same_with_many_actions(
    agent, supervisor, case, django_assert_max_num_queries
):
    services.propose_action(actor=agent, case=case, kind="gift", value="10")
    client = client_for(supervisor)
    client.get(f"/cases/{case.pk}/")  # warm up session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    other = UserFactory(store=case.store, role=Role.AGENT)
    for i in range(6):
        services.propose_action(actor=other, case=case, kind="refund", value=str(300 + i))
        services.propose_action(actor=agent, case=case, kind="gift", value=str(10 + i))
    for principle in ("act_fast", "admit", "steps", "informed"):
        services.tick_principle(actor=other, case=case, principle=principle)
    with django_assert_max_num_queries(len(few)):
        html = client.get(f"/cases/{case.pk}/").content.decode()
    assert html.count('class="ra-') >= 13 and "4/9" in html


def test_the_panels_take_a_fixed_few_queries(agent, case, rf, django_assert_max_num_queries):
    from django.template import Context, Template

    from manyi.cases.selectors import case_for

    principles = ["admit", "steps", "informed", "feelings", "goodwill"]
    for i, principle in enumerate(principles):
        services.propose_action(actor=agent, case=case, kind="gift", value=str(i + 1))
        services.tick_principle(actor=agent, case=case, principle=principle)
    request = rf.get("/")
    request.user = agent
    loaded = case_for(agent, case.pk)
    page = Template("{% load recovery_tags %}{% recovery_panel case %}{% checklist_panel case %}")
    # actions, guide, budget, the viewer's organisation (role limits), ticks
    with django_assert_max_num_queries(5):
        html = page.render(Context({"request": request, "user": agent, "case": loaded}))
    assert html.count('class="ra-') >= 5 and "5/9" in html


def _section(html: str, card_id: str) -> str:
    """The HTML of one card of the page, up to the next card."""
    start = html.index(f'id="{card_id}"')
    end = html.find('<div class="card"', start)
    return html[start : end if end != -1 else len(html)]


def test_the_recovery_page_flags_watch_list_customers_in_every_table(
    agent, supervisor, category, store_a
):
    watched = CustomerFactory(
        store=store_a, name="王麻子", watch_list=True, watch_reason="曾投诉媒体"
    )
    case = open_case(agent, watched, category)
    services.propose_action(actor=agent, case=case, kind="refund", value="600")  # waits
    html = client_for(agent, "en").get("/recovery/").content.decode()
    for card in ("my-requests", "recent-actions"):
        part = _section(html, card)
        assert "王麻子" in part and "data-watch-list" in part and "曾投诉媒体" in part
    queue = _section(
        client_for(supervisor, "en").get("/recovery/").content.decode(), "approval-queue"
    )
    assert "王麻子" in queue and "data-watch-list" in queue


def test_the_recovery_page_costs_the_same_with_many_customers(
    agent, category, store_a, django_assert_max_num_queries
):
    first = open_case(agent, CustomerFactory(store=store_a, watch_list=True), category)
    services.propose_action(actor=agent, case=first, kind="refund", value="600")
    client = client_for(agent)
    client.get("/recovery/")  # warm up session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/recovery/").status_code == 200
    for i in range(5):
        case = open_case(agent, CustomerFactory(store=store_a, watch_list=True), category)
        services.propose_action(actor=agent, case=case, kind="refund", value=str(600 + i))
    with django_assert_max_num_queries(len(few)):
        html = client.get("/recovery/").content.decode()
    assert html.count("data-watch-list") == 12  # six requests, each in two tables
