"""REST operations of service recovery: propose, approve, reject, give, the approval queue,
store budgets and the checklist; scoped (another organisation's ids answer 404) and with
field errors in the one error shape."""

from __future__ import annotations

from decimal import Decimal

import pytest

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.recovery import services
from manyi.recovery.models import RecoveryAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category, store_a):
    store_a.monthly_recovery_budget = Decimal("1000")
    store_a.save()
    return open_case(agent, customer, category)


def test_propose_within_authority_answers_201_with_the_approved_action(agent, case):
    response = ApiClient(agent).post(
        f"/cases/{case.pk}/recovery-actions", {"kind": "gift", "value": "150", "note": "保养券"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "approved" and body["kind"] == "gift"
    assert Decimal(body["value"]) == Decimal("150")
    assert body["case"] == {"id": case.pk, "number": case.number}
    assert body["requested_by"]["id"] == agent.pk and body["decided_by"]["id"] == agent.pk
    assert body["budget_warning"] is None
    assert body["requested_at"].endswith("+08:00")
    assert AuditEvent.objects.filter(case=case, kind=EventKind.RECOVERY).count() == 1


def test_over_limit_pending_then_the_queue_and_approval(agent, supervisor, manager, case):
    body = (
        ApiClient(agent)
        .post(f"/cases/{case.pk}/recovery-actions", {"kind": "refund", "value": 900})
        .json()
    )
    assert body["state"] == "pending"
    assert "Budget nearly used" in body["budget_warning"]
    action_id = body["id"]
    own = ApiClient(agent).post(f"/recovery-actions/{action_id}/approve", {})
    assert own.status_code == 422 and error_of(own)["code"] == "own_action"
    queue = (
        ApiClient(supervisor)
        .get("/recovery-actions", {"state": "pending", "mine_to_approve": "true"})
        .json()
    )
    assert [a["id"] for a in queue["items"]] == [action_id] and queue["total"] == 1
    assert (
        ApiClient(agent).get("/recovery-actions", {"mine_to_approve": "true"}).json()["items"] == []
    )
    approved = ApiClient(supervisor).post(
        f"/recovery-actions/{action_id}/approve", {"reason": "客户等太久"}
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert approved.json()["decision_reason"] == "客户等太久"
    given = ApiClient(agent).post(f"/recovery-actions/{action_id}/give", {"note": "已转账"})
    assert given.json()["state"] == "given" and given.json()["given_by"]["id"] == agent.pk


def test_too_low_a_limit_and_a_missing_reason_are_refused(agent, supervisor, case):
    action = services.propose_action(actor=agent, case=case, kind="refund", value="3000").action
    response = ApiClient(supervisor).post(f"/recovery-actions/{action.pk}/approve", {})
    assert response.status_code == 422 and error_of(response)["code"] == "beyond_authority"
    small = services.propose_action(actor=agent, case=case, kind="refund", value="300").action
    response = ApiClient(supervisor).post(f"/recovery-actions/{small.pk}/reject", {"reason": " "})
    assert response.status_code == 422 and "reason" in error_of(response)["fields"]
    response = ApiClient(supervisor).post(f"/recovery-actions/{small.pk}/reject", {})
    assert response.status_code == 422 and "reason" in error_of(response)["fields"]
    pending_give = ApiClient(agent).post(f"/recovery-actions/{small.pk}/give", {})
    assert pending_give.status_code == 422 and error_of(pending_give)["code"] == "illegal_state"


def test_field_errors(agent, case):
    client = ApiClient(agent)
    response = client.post(f"/cases/{case.pk}/recovery-actions", {"kind": "bribe", "value": "x"})
    assert response.status_code == 422
    assert {"kind", "value"} <= set(error_of(response)["fields"])
    response = client.post(f"/cases/{case.pk}/recovery-actions", {"kind": "gift", "value": "-1"})
    assert error_of(response)["fields"] == {"value": ["The amount cannot be negative."]}
    response = client.post(f"/cases/{case.pk}/recovery-actions", {"kind": "gift", "value": "1.234"})
    assert "value" in error_of(response)["fields"]
    chinese = ApiClient(agent, language="zh-hans").post(
        f"/cases/{case.pk}/recovery-actions", {"kind": "gift", "value": "1", "extra": 1}
    )
    assert "extra" in error_of(chinese)["fields"]
    assert not RecoveryAction.objects.exists()


def test_another_organisation_gets_404_everywhere(agent, case, store_a, other_org):
    action = services.propose_action(actor=agent, case=case, kind="gift", value="10").action
    stranger = ApiClient(other_org["user"])
    for method, path, body in (
        ("get", f"/cases/{case.pk}/recovery-actions", None),
        ("post", f"/cases/{case.pk}/recovery-actions", {"kind": "gift", "value": "1"}),
        ("post", f"/recovery-actions/{action.pk}/approve", {}),
        ("post", f"/recovery-actions/{action.pk}/give", {}),
        ("get", f"/recovery-actions/{action.pk}", None),
        ("get", f"/stores/{store_a.pk}/recovery-budget", None),
        ("get", f"/cases/{case.pk}/checklist", None),
    ):
        response = stranger.call(method, path, body)
        assert response.status_code == 404, (method, path)
        assert error_of(response)["code"] == "not_found"
    assert stranger.get("/recovery-actions").json()["items"] == []
    response = stranger.post(f"/cases/{case.pk}/checklist", {"principle": "admit", "ticked": True})
    assert response.status_code == 404


def test_case_actions_list_with_the_suggested_range(agent, admin_user, case, category):
    services.save_guide(actor=admin_user, category=category, severity="", low="50", high="200")
    services.propose_action(actor=agent, case=case, kind="apology", value="0")
    body = ApiClient(agent).get(f"/cases/{case.pk}/recovery-actions").json()
    assert [a["kind"] for a in body["items"]] == ["apology"]
    assert Decimal(body["suggested_range"]["low"]) == 50
    assert body["suggested_range"]["category"] == category.pk


def test_store_budget_by_month(agent, case, store_a, agent_b, store_b):
    services.propose_action(actor=agent, case=case, kind="gift", value="150")
    services.propose_action(actor=agent, case=case, kind="refund", value="700")
    body = ApiClient(agent).get(f"/stores/{store_a.pk}/recovery-budget").json()
    assert Decimal(body["spent"]) == 150 and Decimal(body["pending"]) == 700
    assert Decimal(body["budget"]) == 1000 and body["percent"] == 15 and body["level"] == "ok"
    past = ApiClient(agent).get(f"/stores/{store_a.pk}/recovery-budget", {"month": "2020-01"})
    assert past.json()["month"] == "2020-01" and Decimal(past.json()["spent"]) == 0
    bad = ApiClient(agent).get(f"/stores/{store_a.pk}/recovery-budget", {"month": "2020-13"})
    assert bad.status_code == 422 and "month" in error_of(bad)["fields"]
    assert ApiClient(agent_b).get(f"/stores/{store_a.pk}/recovery-budget").status_code == 404


def test_checklist_get_and_put(agent, case):
    client = ApiClient(agent)
    body = client.get(f"/cases/{case.pk}/checklist").json()
    assert len(body["items"]) == 9 and body["done"] == 0
    assert body["items"][0] == {
        "principle": "act_fast",
        "label": "Act fast",
        "ticked": False,
        "by": None,
        "at": None,
    }

    def put(principle, ticked):
        body = {"principle": principle, "ticked": ticked}
        return client.post(f"/cases/{case.pk}/checklist", body)

    response = put("admit", True)
    assert response.status_code == 200
    item = next(i for i in response.json()["items"] if i["principle"] == "admit")
    assert item["ticked"] and item["by"]["id"] == agent.pk and item["at"]
    assert put("admit", True).json()["done"] == 1  # idempotent
    assert put("admit", False).json()["done"] == 0
    bad = put("bribe", True)
    assert bad.status_code == 422 and "principle" in error_of(bad)["fields"]


def test_a_repeated_post_with_the_same_idempotency_key_records_one_action(agent, case):
    client = ApiClient(agent)
    body = {"kind": "gift", "value": "20"}
    first = client.post(f"/cases/{case.pk}/recovery-actions", body, key="ra-1")
    again = client.post(f"/cases/{case.pk}/recovery-actions", body, key="ra-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert RecoveryAction.objects.count() == 1
