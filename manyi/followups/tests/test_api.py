"""Follow-ups and phone messages through the REST API: my calls today and overdue, scheduling,
recording an outcome, taking and returning messages; another organisation's ids answer 404."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from conftest import at
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.followups import services
from manyi.followups.models import FollowUp, PhoneMessage
from manyi.followups.tests.helpers import resolved_case

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 9, 10, 0)  # Monday morning


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_mine_due_today_and_overdue(agent, supervisor, customer, category):
    case, due_today = resolved_case(agent, customer, category, at=at(2026, 3, 2, 10, 0))
    _case, overdue = resolved_case(agent, customer, category, at=at(2026, 2, 27, 10, 0))
    services.schedule_followup(
        actor=supervisor,
        customer=customer,
        reason="prospect",
        assigned_to=supervisor,
        scheduled_for=dt.date(2026, 3, 9),
    )
    api = ApiClient(agent)
    body = api.get("/followups", {"mine": "true", "due": "today"}).json()
    assert [i["id"] for i in body["items"]] == [overdue.pk, due_today.pk]  # nearest due first
    item = body["items"][1]
    assert item["due_at"] == "2026-03-09T18:00:00+08:00"
    assert item["customer"]["phone"] == "13812345678"  # the agent makes the call: in full
    assert item["case"] == {"id": case.pk, "number": case.number}
    assert item["overdue"] is False and item["max_attempts"] == 3
    body = api.get("/followups", {"mine": "true", "due": "overdue"}).json()
    assert [i["id"] for i in body["items"]] == [overdue.pk]
    assert body["items"][0]["overdue"] is True
    everyone = ApiClient(supervisor).get("/followups", {"due": "today"}).json()
    assert everyone["total"] == 3


def test_a_calls_number_is_full_for_the_caller_and_masked_for_others_without_permission(
    agent, supervisor, customer, category
):
    _case, f = resolved_case(agent, customer, category, at=at(2026, 3, 2, 10, 0))
    assert not agent.can_view_personal_data
    mine = ApiClient(agent).get(f"/followups/{f.pk}").json()
    assert mine["customer"]["phone"] == "13812345678"
    assert ApiClient(supervisor).get(f"/followups/{f.pk}").json()["customer"]["phone"] == (
        "13812345678"
    )
    supervisor.view_personal_data = False
    supervisor.save(update_fields=["view_personal_data"])
    other = ApiClient(supervisor).get(f"/followups/{f.pk}").json()
    assert other["customer"]["phone"] == "138****5678"
    listed = ApiClient(supervisor).get("/followups").json()["items"]
    assert [i["customer"]["phone"] for i in listed] == ["138****5678"]


def test_schedule_and_record_outcomes(agent, customer):
    api = ApiClient(agent)
    response = api.post(
        "/followups",
        {"customer": customer.pk, "reason": "service_visit", "scheduled_for": "2026-03-09"},
    )
    assert response.status_code == 201, response.json()
    f = response.json()
    assert f["assigned_to"]["id"] == agent.pk and f["state"] == "open"
    response = api.post(f"/followups/{f['id']}/attempts", {"result": "reached"})
    assert response.status_code == 422
    assert "satisfaction" in error_of(response)["fields"]
    response = api.post(
        f"/followups/{f['id']}/attempts", {"result": "no_answer", "version": f["version"]}
    )
    body = response.json()
    assert body["attempts"] == 1 and body["scheduled_for"] == "2026-03-10"
    response = api.post(
        f"/followups/{f['id']}/attempts", {"result": "refused", "version": f["version"]}
    )
    assert response.status_code == 409
    response = api.post(
        f"/followups/{f['id']}/attempts",
        {"result": "reached", "satisfaction": "partly", "note": "还行", "version": body["version"]},
    )
    assert response.json()["state"] == "done" and response.json()["satisfaction"] == "partly"


def test_scheduling_refuses_bad_references(agent, agent_b, customer, other_org):
    api = ApiClient(agent)
    response = api.post(
        "/followups",
        {
            "customer": other_org["customer"].pk,
            "reason": "prospect",
            "scheduled_for": "2026-03-09",
            "assigned_to": agent_b.pk,
            "case": other_org["case"].pk,
        },
    )
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"customer", "case", "assigned_to"}
    response = api.post(
        "/followups", {"customer": customer.pk, "reason": "prospect", "scheduled_for": "2026-03-01"}
    )
    assert "scheduled_for" in error_of(response)["fields"]


def test_take_list_and_return_messages(agent, supervisor, customer):
    response = ApiClient(supervisor).post(
        "/phone-messages",
        {
            "for_user": agent.pk,
            "caller_name": "张伟",
            "caller_phone": "138-1234-5678",
            "reason": "想问维修进度",
        },
    )
    assert response.status_code == 201, response.json()
    m = response.json()
    assert m["due_at"] == "2026-03-10T18:00:00+08:00"
    assert m["customer"] == customer.pk and m["caller_phone"] == "13812345678"
    api = ApiClient(agent)
    body = api.get("/phone-messages", {"mine": "true", "open": "true"}).json()
    assert [i["id"] for i in body["items"]] == [m["id"]]
    assert body["items"][0]["caller_phone"] == "13812345678"  # the recipient sees it in full
    supervisor.view_personal_data = False
    supervisor.save(update_fields=["view_personal_data"])
    others = ApiClient(supervisor).get("/phone-messages").json()["items"]
    assert [i["caller_phone"] for i in others] == ["138****5678"]
    response = api.post(f"/phone-messages/{m['id']}/return", {"note": "已回电"})
    assert response.status_code == 200 and response.json()["returned_at"] is not None
    response = api.post(f"/phone-messages/{m['id']}/return", {})
    assert response.status_code == 422
    response = ApiClient(agent).post(
        "/phone-messages",
        {"for_user": supervisor.pk, "caller_name": "x", "caller_phone": "123", "reason": "x"},
    )
    assert "caller_phone" in error_of(response)["fields"]


def test_a_colleague_may_not_mark_someone_elses_message_returned(agent, supervisor, store_a):
    from manyi.accounts.choices import Role
    from manyi.core.tests.factories import UserFactory

    colleague = UserFactory(store=store_a, role=Role.AGENT, username="colleague")
    m = services.take_message(
        actor=supervisor, for_user=agent, caller_name="x", caller_phone="13912345678", reason="x"
    )
    response = ApiClient(colleague).post(f"/phone-messages/{m.pk}/return", {})
    assert response.status_code == 403
    m.refresh_from_db()
    assert m.returned_at is None


def test_other_organisations_ids_answer_404(agent, customer, category, other_org):
    _case, f = resolved_case(agent, customer, category, at=at(2026, 3, 2, 10, 0))
    m = services.take_message(
        actor=agent, for_user=agent, caller_name="x", caller_phone="13912345678", reason="x"
    )
    outsider = ApiClient(other_org["user"])
    assert outsider.get(f"/followups/{f.pk}").status_code == 404
    response = outsider.post(f"/followups/{f.pk}/attempts", {"result": "refused"})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert outsider.post(f"/phone-messages/{m.pk}/return", {}).status_code == 404
    assert outsider.get("/followups").json()["total"] == 0
    assert outsider.get("/phone-messages").json()["total"] == 0
    f.refresh_from_db()
    assert f.attempts == 0
    assert FollowUp.objects.count() == 1 and PhoneMessage.objects.count() == 1


def test_agents_of_another_store_get_404_too(agent, agent_b, customer, category):
    _case, f = resolved_case(agent, customer, category, at=at(2026, 3, 2, 10, 0))
    assert ApiClient(agent_b).get(f"/followups/{f.pk}").status_code == 404
