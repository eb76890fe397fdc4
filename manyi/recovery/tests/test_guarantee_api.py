"""The guarantee API: list, create and replace guarantees (organisation admins), list the
breaches in the caller's stores, record a staff event on a case; another organisation's ids
answer 404 and change nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import at
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import CustomerFactory
from manyi.recovery.guarantees import detect_breaches, ensure_default_guarantees
from manyi.recovery.models import Guarantee, GuaranteeBreach, RecoveryAction

pytestmark = pytest.mark.django_db

IN_FORCE = at(2026, 1, 1, 0, 0)

NEW = {
    "code": "resolve_3d",
    "name": "三天解决",
    "text_zh": "三天内解决，否则赠送保养一次。",
    "text_en": "Resolved within three days, or a free service.",
    "trigger": "sla_breach",
    "metric": "resolution",
    "channels": ["web"],
    "payout_kind": "fixed",
    "action_kind": "free_service",
    "amount": "300",
    "starts_at": "2026-12-01T00:00:00+08:00",
}


@pytest.fixture
def defaults(org):
    ensure_default_guarantees(org)
    Guarantee.objects.filter(organisation=org).update(starts_at=IN_FORCE)
    return {g.code: g for g in Guarantee.objects.filter(organisation=org)}


def put(api: ApiClient, path: str, body: dict) -> object:
    return api.client.put(
        api.url(path), json.dumps(body), content_type="application/json", headers=api._headers()
    )


def test_everyone_lists_the_guarantees(agent, defaults):
    response = ApiClient(agent).get("/guarantees")
    assert response.status_code == 200
    rows = {g["code"]: g for g in response.json()}
    assert set(rows) == {"first_reply_48h", "billing_error_double"}
    first = rows["first_reply_48h"]
    assert (first["trigger"], first["metric"], first["amount"], first["channels"]) == (
        "sla_breach",
        "first_response",
        "100.00",
        [],
    )
    assert first["within_minutes"] == 2880
    assert rows["billing_error_double"]["within_minutes"] is None
    assert first["in_force_from"].startswith("2026-01-01")
    assert rows["billing_error_double"]["metric"] is None


def test_an_admin_creates_and_replaces_a_guarantee(admin_user, org):
    api = ApiClient(admin_user)

    created = api.post("/guarantees", {**NEW, "within_minutes": 4320})

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["code"], body["amount"], body["channels"]) == ("resolve_3d", "300.00", ["web"])
    assert body["within_minutes"] == 4320
    replaced = put(api, f"/guarantees/{body['id']}", {**NEW, "amount": "350", "channels": []})
    assert replaced.status_code == 200, replaced.json()
    assert (replaced.json()["amount"], replaced.json()["channels"]) == ("350.00", [])
    assert replaced.json()["within_minutes"] is None  # PUT replaces every field
    g = Guarantee.objects.get(pk=body["id"])
    assert (g.amount, g.within_minutes) == (Decimal("350.00"), None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"within_minutes": 0}, "within_minutes"),
        ({"within_minutes": 86401}, "within_minutes"),
        ({"within_minutes": 60, "metric": "next_update"}, "within_minutes"),
    ],
)
def test_a_bad_within_minutes_answers_422(admin_user, org, change, field):
    response = ApiClient(admin_user).post("/guarantees", {**NEW, **change})
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert not Guarantee.objects.exists()


def test_replacing_what_breaks_a_guarantee_moves_its_start_to_now(admin_user, defaults):
    g = defaults["first_reply_48h"]
    body = {
        "code": "first_reply_48h",
        "name": g.name,
        "text_zh": g.text_zh,
        "trigger": "sla_breach",
        "metric": "first_response",
        "within_minutes": 1440,
        "amount": "100",
    }
    response = put(ApiClient(admin_user), f"/guarantees/{g.pk}", body)
    assert response.status_code == 200, response.json()
    assert response.json()["within_minutes"] == 1440
    g.refresh_from_db()
    assert g.starts_at > IN_FORCE and response.json()["in_force_from"] > "2026-01-02"


def test_a_bad_guarantee_answers_422_with_its_fields(admin_user, org):
    response = ApiClient(admin_user).post(
        "/guarantees", {**NEW, "metric": None, "amount": "0", "channels": ["fax"]}
    )
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert "channels.0" in fields  # refused by the schema before the service runs
    response = ApiClient(admin_user).post("/guarantees", {**NEW, "metric": None, "amount": "0"})
    assert response.status_code == 422
    assert {"metric", "amount"} <= set(error_of(response)["fields"])
    assert not Guarantee.objects.exists()


def test_only_an_admin_changes_guarantees(manager, defaults):
    api = ApiClient(manager)
    assert api.post("/guarantees", NEW).status_code == 403
    g = defaults["first_reply_48h"]
    assert put(api, f"/guarantees/{g.pk}", NEW).status_code == 403
    assert Guarantee.objects.get(pk=g.pk).code == "first_reply_48h"


def test_breaches_are_listed_for_the_callers_stores_with_their_payout(
    org, agent, agent_b, manager, customer, category, defaults
):
    mine = open_case(
        agent, customer, category, received_at=at(2026, 3, 4, 9), now=at(2026, 3, 4, 9)
    )
    theirs = open_case(
        agent_b,
        CustomerFactory(store=agent_b.store),
        category,
        received_at=at(2026, 3, 4, 9),
        now=at(2026, 3, 4, 9),
    )
    assert detect_breaches(now=at(2026, 3, 6, 10, 0)) == 2  # no first reply in 48 hours

    everything = ApiClient(manager).get("/guarantee-breaches").json()
    assert everything["total"] == 2
    assert {b["case"]["id"] for b in everything["items"]} == {mine.pk, theirs.pk}
    item = everything["items"][0]
    assert item["source"] == "within" and item["payout"] == "100.00"
    assert item["payout_action"]["state"] == "approved"
    assert item["recorded_by"] is None

    own = ApiClient(agent).get("/guarantee-breaches").json()
    assert [b["case"]["id"] for b in own["items"]] == [mine.pk]
    store = ApiClient(manager).get("/guarantee-breaches", {"store": agent_b.store_id}).json()
    assert [b["case"]["id"] for b in store["items"]] == [theirs.pk]
    later = ApiClient(manager).get("/guarantee-breaches", {"from": "2026-03-07T00:00:00"}).json()
    assert later["total"] == 0
    in_march = (
        ApiClient(manager)
        .get(
            "/guarantee-breaches",
            {
                "from": "2026-03-01T00:00:00+08:00",
                "to": "2026-04-01T00:00:00+08:00",
                "guarantee": defaults["first_reply_48h"].pk,
            },
        )
        .json()
    )
    assert in_march["total"] == 2


def test_a_staff_event_through_the_api_pays_double(agent, manager, customer, category, defaults):
    case = open_case(agent, customer, category)
    response = ApiClient(manager).post(  # ¥240 is within a store manager's authority
        f"/cases/{case.pk}/guarantee-events",
        {
            "guarantee_id": defaults["billing_error_double"].pk,
            "amount_involved": "120",
            "note": "保养多收 120 元",
        },
        key="billing-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["payout"], body["amount_involved"], body["source"]) == (
        "240.00",
        "120.00",
        "event",
    )
    action = RecoveryAction.objects.get(pk=body["payout_action"]["id"])
    assert (action.kind, action.value, action.state, action.decided_by) == (
        "refund",
        Decimal("240.00"),
        "approved",
        None,
    )
    assert body["recorded_by"]["id"] == manager.pk


def test_a_staff_event_beyond_the_callers_authority_answers_with_a_pending_payout(
    agent, supervisor, customer, category, defaults
):
    from manyi.notifications.models import CustomerMessage

    case = open_case(agent, customer, category)
    response = ApiClient(agent).post(  # ¥240 is above an agent's ¥200
        f"/cases/{case.pk}/guarantee-events",
        {
            "guarantee_id": defaults["billing_error_double"].pk,
            "amount_involved": "120",
            "note": "保养多收 120 元",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["payout_action"]["state"] == "pending"
    assert not CustomerMessage.objects.exists()
    action_id = response.json()["payout_action"]["id"]
    approved = ApiClient(supervisor).post(f"/recovery-actions/{action_id}/approve", {})
    assert approved.status_code == 200, approved.json()
    assert CustomerMessage.objects.filter(kind="guarantee_payout").count() == 1


def test_a_staff_event_for_a_measured_guarantee_answers_422(agent, customer, category, defaults):
    case = open_case(agent, customer, category)
    response = ApiClient(agent).post(
        f"/cases/{case.pk}/guarantee-events",
        {"guarantee_id": defaults["first_reply_48h"].pk, "note": "x"},
    )
    assert response.status_code == 422
    assert "guarantee" in error_of(response)["fields"]


def test_another_organisations_ids_answer_404_and_change_nothing(
    admin_user, agent, customer, category, defaults, other_org
):
    ensure_default_guarantees(other_org["org"])
    theirs = Guarantee.objects.get(organisation=other_org["org"], code="billing_error_double")
    their_case = other_org["case"]
    mine = open_case(agent, customer, category)
    api = ApiClient(admin_user)

    assert put(api, f"/guarantees/{theirs.pk}", NEW).status_code == 404
    assert (
        api.post(
            f"/cases/{their_case.pk}/guarantee-events",
            {
                "guarantee_id": defaults["billing_error_double"].pk,
                "amount_involved": "1",
                "note": "x",
            },
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"/cases/{mine.pk}/guarantee-events",
            {"guarantee_id": theirs.pk, "amount_involved": "1", "note": "x"},
        ).status_code
        == 404
    )
    listed = api.get("/guarantee-breaches", {"guarantee": theirs.pk}).json()
    assert listed["total"] == 0
    assert {g["id"] for g in api.get("/guarantees").json()} == {g.pk for g in defaults.values()}
    theirs.refresh_from_db()
    assert theirs.code == "billing_error_double"
    assert not GuaranteeBreach.objects.exists() and not RecoveryAction.objects.exists()
