"""The action forms of the case page: respond, note, status, transfer, escalate, edit; a stale
form is refused with a clear message instead of overwriting someone else's change."""

from __future__ import annotations

import pytest

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import Case
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.tests.factories import UserFactory
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category)


def post(user, case, action, **data):
    data.setdefault("version", str(Case.objects.get(pk=case.pk).version))
    return client_for(user).post(f"/cases/{case.pk}/{action}/", data, **HX)


def test_respond_records_the_response_and_meets_first_response(agent, case):
    response = post(agent, case, "respond", message="已致电客户致歉", channel="phone")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "已致电客户致歉" in html  # the fragment with the timeline
    case.refresh_from_db()
    assert case.first_responded_at is not None and case.status == "acknowledged"
    assert case.slas.get(metric="first_response").state == "fulfilled"


def test_note_is_added_to_the_timeline(agent, case):
    html = post(agent, case, "note", text="需要经理确认补偿").content.decode()
    assert "需要经理确认补偿" in html
    assert AuditEvent.objects.filter(case=case, kind=EventKind.COMMENTED).count() == 1
    case.refresh_from_db()
    assert case.first_responded_at is None  # a note is not a response


def test_empty_note_shows_a_field_error(agent, case):
    response = post(agent, case, "note", text="")
    assert response.context["forms"]["note"].errors["text"]
    assert response.context["active_tab"] == "note"
    assert not AuditEvent.objects.filter(case=case, kind=EventKind.COMMENTED).exists()


def test_status_form_offers_only_legal_transitions(agent, case):
    form = client_for(agent).get(f"/cases/{case.pk}/").context["forms"]["status"]
    offered = {value for value, _label in form.fields["status"].choices}
    assert offered == {
        "acknowledged",
        "in_progress",
        "waiting_customer",
        "waiting_third_party",
        "resolved",
    }
    response = post(agent, case, "status", status="closed", note="")
    assert "status" in response.context["forms"]["status"].errors
    case.refresh_from_db()
    assert case.status == "new"


def test_status_change_pauses_and_resolving_then_reopen_needs_a_reason(agent, case):
    post(agent, case, "status", status="waiting_customer", note="等客户提供发票")
    case.refresh_from_db()
    assert case.status == "waiting_customer"
    assert case.slas.get(metric="resolution").state == "paused"
    post(agent, case, "status", status="resolved", note="", outcome="in_favour")
    case.refresh_from_db()
    assert case.status == "resolved"
    response = post(agent, case, "status", status="in_progress", note="")
    assert "note" in response.context["forms"]["status"].errors
    case.refresh_from_db()
    assert case.status == "resolved"
    post(agent, case, "status", status="in_progress", note="客户反馈问题复发")
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert AuditEvent.objects.filter(case=case, kind=EventKind.REOPENED).exists()


def test_transfer_to_a_colleague_notifies_them(agent, supervisor, case):
    response = post(agent, case, "transfer", owner=str(supervisor.pk), note="请主管跟进")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.owner == supervisor
    assert Notification.objects.filter(recipient=supervisor, case=case).exists()


def test_transfer_is_limited_to_colleagues_in_scope(agent, agent_b, case, other_org):
    form = client_for(agent).get(f"/cases/{case.pk}/").context["forms"]["transfer"]
    offered = set(form.fields["owner"].queryset)
    assert agent_b not in offered and other_org["user"] not in offered and agent not in offered
    response = post(agent, case, "transfer", owner=str(other_org["user"].pk), note="")
    assert "owner" in response.context["forms"]["transfer"].errors
    case.refresh_from_db()
    assert case.owner == agent


def test_escalate_moves_the_case_up_and_needs_a_reason(agent, supervisor, case):
    response = post(agent, case, "escalate", reason="")
    assert "reason" in response.context["forms"]["escalate"].errors
    post(agent, case, "escalate", reason="客户威胁投诉到媒体")
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert Notification.objects.filter(recipient=supervisor, case=case, kind="escalated").exists()


def test_editing_severity_re_evaluates_the_sla_and_the_timeline_says_so(agent, case):
    before = case.slas.get(metric="first_response").due_at
    data = {
        "summary": case.summary,
        "severity": "critical",
        "category": str(case.category_id),
        "channel": case.channel,
        "nature": case.nature,
        "complainer_type": case.complainer_type,
        "asset": "",
        "description": "",
    }
    response = post(agent, case, "edit", **data)
    case.refresh_from_db()
    assert case.severity == "critical"
    assert case.slas.get(metric="first_response").due_at < before
    html = response.content.decode()
    assert AuditEvent.objects.filter(case=case, kind=EventKind.SLA).exists()
    assert "Critical" in html or "严重" in html


def test_stale_form_gets_the_conflict_message_and_changes_nothing(agent, supervisor, case):
    stale = str(case.version)
    post(supervisor, case, "respond", message="主管已回复", channel="phone")
    response = post(agent, case, "status", status="resolved", note="", version=stale)
    assert response.status_code == 200
    flash = response.context["flash"]
    assert flash[0] == "error"
    # Chinese is the default language: "someone else changed this case … reload"
    assert "其他人已对其进行了修改" in flash[1]
    case.refresh_from_db()
    assert case.status == "acknowledged"
    # The form comes back with what the user chose, on top of the current version.
    form = response.context["forms"]["status"]
    assert form.data["version"] == str(case.version)
    assert 'role="alert"' in response.content.decode()


def test_stale_edit_does_not_overwrite(agent, supervisor, case):
    stale = str(case.version)
    post(supervisor, case, "respond", message="主管已回复", channel="phone")
    data = {
        "summary": "我改的概要",
        "severity": case.severity,
        "category": str(case.category_id),
        "channel": case.channel,
        "nature": case.nature,
        "complainer_type": case.complainer_type,
        "version": stale,
    }
    response = post(agent, case, "edit", **data)
    assert response.context["flash"][0] == "error"
    case.refresh_from_db()
    assert case.summary != "我改的概要"


def test_action_without_htmx_redirects_to_the_case(agent, case):
    response = client_for(agent).post(
        f"/cases/{case.pk}/note/", {"version": case.version, "text": "无 htmx 的备注"}
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"


def test_action_on_a_case_outside_scope_answers_404(agent_b, case):
    response = post(agent_b, case, "note", text="越权")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(case=case, kind=EventKind.COMMENTED).exists()


def test_unknown_action_answers_404(agent, case):
    assert post(agent, case, "delete").status_code == 404


def test_case_page_shows_watch_list_warning_and_masked_phone(agent, supervisor, case):
    customer = case.customer
    customer.watch_list = True
    customer.watch_reason = "多次投诉并威胁曝光"
    customer.save()
    html = client_for(agent).get(f"/cases/{case.pk}/").content.decode()
    assert "多次投诉并威胁曝光" in html and "138****5678" in html and "13812345678" not in html
    assert "13812345678" in client_for(supervisor).get(f"/cases/{case.pk}/").content.decode()
    granted = UserFactory(store=agent.store, view_personal_data=True)
    assert "13812345678" in client_for(granted).get(f"/cases/{case.pk}/").content.decode()


def test_refusal_about_no_form_field_is_shown_as_a_message(agent, case):
    from manyi.cases import services

    services.change_status(actor=agent, case=case, status="resolved", outcome="in_favour")
    # A resolved case cannot be escalated: the refusal names `status`, which the escalate
    # form does not have. (A late response is no longer refused: it goes into the
    # communication log without counting as a response.)
    response = post(agent, case, "escalate", reason="客户又来电")
    assert response.context["flash"][0] == "error"
    assert 'role="alert"' in response.content.decode()
    case.refresh_from_db()
    assert case.escalation_level == 0
    assert not AuditEvent.objects.filter(case=case, kind=EventKind.ESCALATED).exists()
