"""Cases through the REST API: taking a complaint, reading it with its SLA, changing it with
optimistic locking, the case actions and the timeline."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from conftest import at
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import Case, CaseSla
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import AssetFactory

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 9, 10, 0)  # a Monday morning


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def case_body(who, **overrides):
    body = {
        "customer": who.pk,
        "category": "wait_delivery",
        "channel": "phone",
        "summary": "交车延误两天",
    }
    body.update(overrides)
    return body


def take(api, who, **overrides):
    response = api.post("/cases", case_body(who, **overrides))
    assert response.status_code == 201, response.content
    return response.json()


# --- taking a complaint ---------------------------------------------------------------


def test_taking_a_complaint_returns_its_number_owner_and_due_times(agent, customer):
    case = take(ApiClient(agent), customer, received_at="2026-03-06T17:00:00+08:00")
    assert case["number"] == "TS2026-000001"
    assert case["status"] == "new"
    assert case["owner"]["id"] == agent.pk
    assert case["store"]["code"] == "PD"
    assert case["received_at"] == "2026-03-06T17:00:00+08:00"
    sla = {c["metric"]: c for c in case["sla"]}
    # 480 business minutes from Friday 17:00: 60 on Friday, then Monday 09:00-17:30.
    assert sla["first_response"]["due_at"] == "2026-03-09T17:30:00+08:00"
    assert sla["first_response"]["state"] == "active"
    # Friday 17:00 to Monday 10:00: 60 + 60 business minutes, 65 hours on the wall clock.
    assert sla["first_response"]["business_minutes_elapsed"] == 120
    assert sla["first_response"]["calendar_minutes_elapsed"] == 65 * 60
    assert sla["resolution"]["due_at"] == "2026-03-09T17:00:00+08:00"
    assert case["next_due_at"] == "2026-03-09T17:00:00+08:00"
    assert case["version"] == 1
    assert Case.objects.get(pk=case["id"]).received_at == at(2026, 3, 6, 17, 0)


def test_received_at_defaults_to_now_and_times_carry_the_offset(agent, customer):
    case = take(ApiClient(agent), customer)
    assert case["received_at"] == "2026-03-09T10:00:00+08:00"
    assert case["created_at"].endswith("+08:00")


def test_times_are_shown_in_the_store_calendar_time_zone(agent, customer, store_a):
    store_a.calendar.timezone = "Asia/Urumqi"
    store_a.calendar.save()
    case = take(ApiClient(agent), customer, received_at="2026-03-09T09:30:00+08:00")
    assert case["received_at"] == "2026-03-09T07:30:00+06:00"


def test_category_by_id_asset_and_owner_are_taken(agent, supervisor, customer, category):
    asset = AssetFactory.create(customer=customer)
    case = take(
        ApiClient(agent),
        customer,
        category=category.pk,
        asset=asset.pk,
        owner=supervisor.pk,
        severity="critical",
        nature="venting",
        complainer_type="irate",
        threatens_media=True,
        description="客户说要发微博",
    )
    assert case["category"]["code"] == "wait_delivery"
    assert case["asset"]["id"] == asset.pk
    assert case["owner"]["id"] == supervisor.pk
    assert case["sla_policy"]["name"].endswith("Critical")
    assert case["threatens_media"] is True
    assert case["nature"] == "venting"


def test_a_bad_complaint_is_refused_field_by_field_and_nothing_is_created(agent, customer):
    api = ApiClient(agent)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"severity": "urgent"}, "severity", "Not one of the allowed values."),
        (
            {"received_at": "2026-03-10T10:00:00+08:00"},
            "received_at",
            "The complaint cannot be received in the future.",
        ),
        ({"category": "no_such_category"}, "category", "Unknown category."),
        ({"category": 999999}, "category", "Unknown category."),
        ({"summary": "长" * 201}, "summary", "At most 200 characters."),
        ({"summary": "   "}, "summary", "A summary is required."),
        ({"customer": 999999}, "customer", "Unknown customer."),
        ({"asset": 999999}, "asset", "This customer has no such vehicle or asset."),
        ({"owner": 999999}, "owner", "Unknown staff member."),
        (
            {"received_at": "2026-03-09T09:00:00"},
            "received_at",
            "Give the time with its time zone.",
        ),
    ]
    for overrides, field, message in cases:
        response = api.post("/cases", case_body(customer, **overrides))
        assert response.status_code == 422, overrides
        error = error_of(response)
        assert (error["code"], error["message"]) == (
            "validation_error",
            "Some fields are not valid.",
        )
        assert error["fields"][field] == [message], overrides
    assert not Case.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_agent_cannot_take_a_complaint_for_another_store(agent, store_b, customer):
    response = ApiClient(agent).post("/cases", case_body(customer, store=store_b.pk))
    assert error_of(response)["fields"] == {"store": ["Unknown store."]}


# --- reading --------------------------------------------------------------------------


def test_reading_a_case_shows_live_sla_minutes(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer, received_at="2026-03-09T09:00:00+08:00")
    with time_machine.travel(at(2026, 3, 9, 14, 0), tick=False):
        read = api.get(f"/cases/{case['id']}").json()
    sla = {c["metric"]: c for c in read["sla"]}
    # 09:00-12:00 and 13:30-14:00 are working time; lunch is not.
    assert sla["first_response"]["business_minutes_elapsed"] == 210
    assert sla["first_response"]["calendar_minutes_elapsed"] == 300
    assert set(sla["first_response"]) >= {
        "metric",
        "due_at",
        "state",
        "business_minutes_elapsed",
        "calendar_minutes_elapsed",
    }


def test_the_customer_phone_is_masked_unless_the_role_may_see_it(agent, supervisor, customer):
    case = take(ApiClient(agent), customer)
    as_agent = ApiClient(agent).get(f"/cases/{case['id']}").json()
    as_supervisor = ApiClient(supervisor).get(f"/cases/{case['id']}").json()
    assert as_agent["customer"] == {"id": customer.pk, "name": "张伟", "phone": "138****5678"}
    assert as_supervisor["customer"]["phone"] == "13812345678"


def test_reading_a_case_costs_the_same_queries_however_much_happened(
    agent, customer, django_assert_max_num_queries
):
    api = ApiClient(agent)
    quiet = take(api, customer)
    busy = take(api, customer)
    api.post(f"/cases/{busy['id']}/respond", {"message": "已致电"})
    for i in range(10):
        api.post(f"/cases/{busy['id']}/comment", {"text": f"备注 {i}"})
    api.post(f"/cases/{busy['id']}/status", {"status": "waiting_customer"})
    # token, case with its references, SLA policy with its calendar, SLA clocks
    with django_assert_max_num_queries(4):
        assert api.get(f"/cases/{quiet['id']}").status_code == 200
    with django_assert_max_num_queries(4):
        assert api.get(f"/cases/{busy['id']}").status_code == 200


# --- changing -------------------------------------------------------------------------


def test_changing_severity_reevaluates_the_sla_and_the_timeline_says_so(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer, received_at="2026-03-09T09:00:00+08:00")
    changed = api.patch(f"/cases/{case['id']}", {"version": 1, "severity": "critical"})
    assert changed.status_code == 200
    body = changed.json()
    assert body["severity"] == "critical"
    assert body["version"] == 2
    assert body["sla_policy"]["name"].endswith("Critical")
    sla = {c["metric"]: c for c in body["sla"]}
    assert sla["first_response"]["due_at"] == "2026-03-09T10:00:00+08:00"
    kinds = [e["kind"] for e in api.get(f"/cases/{case['id']}/timeline").json()["items"]]
    assert kinds == ["created", "changed", "sla"]


def test_a_change_needs_the_version(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    response = api.patch(f"/cases/{case['id']}", {"severity": "high"})
    assert error_of(response)["fields"] == {"version": ["This field is required."]}


def test_two_edits_from_the_same_version_the_second_is_refused(agent, supervisor, customer):
    case = take(ApiClient(agent), customer)
    first = ApiClient(agent).patch(
        f"/cases/{case['id']}", {"version": 1, "summary": "交车延误三天"}
    )
    second = ApiClient(supervisor).patch(f"/cases/{case['id']}", {"version": 1, "severity": "high"})
    assert first.status_code == 200
    assert second.status_code == 409
    error = error_of(second)
    assert error["code"] == "conflict"
    assert "Someone else changed this case" in error["message"]
    assert "version" in error["fields"]
    stored = Case.objects.get(pk=case["id"])
    assert (stored.summary, stored.severity, stored.version) == ("交车延误三天", "normal", 2)


def test_null_for_a_required_field_and_unknown_fields_are_refused(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    response = api.patch(f"/cases/{case['id']}", {"version": 1, "summary": None, "status": "x"})
    fields = error_of(response)["fields"]
    assert fields["status"] == ["Unknown field."]
    response = api.patch(f"/cases/{case['id']}", {"version": 1, "summary": None})
    assert error_of(response)["fields"] == {"summary": ["This field cannot be empty."]}
    assert Case.objects.get(pk=case["id"]).version == 1


def test_the_asset_can_be_set_and_removed(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    asset = AssetFactory.create(customer=customer)
    set_ = api.patch(f"/cases/{case['id']}", {"version": 1, "asset": asset.pk}).json()
    assert set_["asset"]["id"] == asset.pk
    removed = api.patch(f"/cases/{case['id']}", {"version": 2, "asset": None}).json()
    assert removed["asset"] is None


# --- actions --------------------------------------------------------------------------


def test_responding_meets_first_response_and_acknowledges(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    body = api.post(f"/cases/{case['id']}/respond", {"message": "已致电客户", "version": 1})
    assert body.status_code == 200
    answered = body.json()
    assert answered["status"] == "acknowledged"
    assert answered["first_responded_at"] == "2026-03-09T10:00:00+08:00"
    sla = {c["metric"]: c for c in answered["sla"]}
    assert sla["first_response"]["state"] == "fulfilled"
    assert sla["next_update"]["state"] == "active"


def test_a_stale_version_on_an_action_answers_409(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    api.post(f"/cases/{case['id']}/comment", {"text": "备注"})
    api.post(f"/cases/{case['id']}/status", {"status": "in_progress", "version": 1})
    response = api.post(f"/cases/{case['id']}/respond", {"message": "回复", "version": 1})
    assert response.status_code == 409
    assert not AuditEvent.objects.filter(kind=EventKind.RESPONDED).exists()


def test_status_changes_follow_the_allowed_transitions(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    waiting = api.post(f"/cases/{case['id']}/status", {"status": "waiting_customer"})
    assert waiting.json()["status"] == "waiting_customer"
    assert {c["state"] for c in waiting.json()["sla"]} == {"paused"}
    api.post(
        f"/cases/{case['id']}/status",
        {"status": "resolved", "note": "已解决", "outcome": "in_favour"},
    )
    illegal = api.post(f"/cases/{case['id']}/status", {"status": "waiting_customer"})
    assert illegal.status_code == 422
    error = error_of(illegal)
    assert error["code"] == "illegal_transition"
    assert list(error["fields"]) == ["status"]
    reopen = api.post(f"/cases/{case['id']}/status", {"status": "in_progress"})
    assert error_of(reopen)["fields"] == {"note": ["Say why the case is reopened."]}
    reopened = api.post(f"/cases/{case['id']}/status", {"status": "in_progress", "note": "复发"})
    assert reopened.json()["status"] == "in_progress"


def test_assigning_transfers_the_case_to_a_colleague(agent, supervisor, agent_b, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    moved = api.post(f"/cases/{case['id']}/assign", {"owner": supervisor.pk, "note": "请接手"})
    assert moved.json()["owner"]["id"] == supervisor.pk
    # An agent cannot even name a colleague of another store.
    refused = ApiClient(supervisor).post(f"/cases/{case['id']}/assign", {"owner": agent_b.pk})
    assert error_of(refused)["fields"] == {"owner": ["Unknown staff member."]}


def test_escalating_moves_one_step_up_and_notes_the_reason(agent, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    escalated = api.post(f"/cases/{case['id']}/escalate", {"reason": "客户要求主管处理"})
    assert escalated.json()["escalation_level"] == 1
    empty = api.post(f"/cases/{case['id']}/escalate", {"reason": " "})
    assert error_of(empty)["fields"] == {"reason": ["Say why the case is escalated."]}


def test_the_timeline_lists_everything_in_order_with_offsets(agent, supervisor, customer):
    api = ApiClient(agent)
    case = take(api, customer)
    api.post(f"/cases/{case['id']}/respond", {"message": "已致电"})
    api.post(f"/cases/{case['id']}/comment", {"text": "车间说明天好"})
    api.post(f"/cases/{case['id']}/assign", {"owner": supervisor.pk, "note": "升级处理"})
    events = api.get(f"/cases/{case['id']}/timeline").json()
    kinds = [e["kind"] for e in events["items"]]
    assert kinds == ["created", "responded", "status", "commented", "assigned"]
    assert events["total"] == 5
    note = events["items"][3]
    assert note["message"] == "车间说明天好"
    assert note["actor"]["id"] == agent.pk
    assert note["at"] == "2026-03-09T10:00:00+08:00"
    second_page = api.get(f"/cases/{case['id']}/timeline", {"limit": 2, "offset": 4}).json()
    assert [e["kind"] for e in second_page["items"]] == ["assigned"]


def test_clocks_are_stored_for_the_case(agent, customer):
    case = take(ApiClient(agent), customer)
    assert set(CaseSla.objects.filter(case_id=case["id"]).values_list("metric", flat=True)) == {
        "first_response",
        "resolution",
    }
