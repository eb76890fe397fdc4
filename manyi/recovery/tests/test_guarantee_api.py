"""The guarantee API: list, create and replace guarantees (organisation admins), list the
breaches in the caller's stores, record a staff event on a case; another organisation's ids
answer 404 and change nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import at
from manyi.cases.sweep import sweep
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
    assert first["in_force_from"].startswith("2026-01-01")
    assert rows["billing_error_double"]["metric"] is None


def test_an_admin_creates_and_replaces_a_guarantee(admin_user, org):
    api = ApiClient(admin_user)

    created = api.post("/guarantees", NEW)

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["code"], body["amount"], body["channels"]) == ("resolve_3d", "300.00", ["web"])
    replaced = put(api, f"/guarantees/{body['id']}", {**NEW, "amount": "350", "channels": []})
    assert replaced.status_code == 200, replaced.json()
    assert (replaced.json()["amount"], replaced.json()["channels"]) == ("350.00", [])
    assert Guarantee.objects.get(pk=body["id"]).amount == Decimal("350.00")


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
    sweep(now=at(2026, 3, 5, 10, 0))
    assert detect_breaches(now=at(2026, 3, 5, 10, 0)) == 2

    everything = ApiClient(manager).get("/guarantee-breaches").json()
    assert everything["total"] == 2
    assert {b["case"]["id"] for b in everything["items"]} == {mine.pk, theirs.pk}
    item = everything["items"][0]
    assert item["source"] == "sla" and item["payout"] == "100.00"
    assert item["payout_action"]["state"] == "approved"
    assert item["recorded_by"] is None

    own = ApiClient(agent).get("/guarantee-breaches").json()
    assert [b["case"]["id"] for b in own["items"]] == [mine.pk]
    store = ApiClient(manager).get("/guarantee-breaches", {"store": agent_b.store_id}).json()
    assert [b["case"]["id"] for b in store["items"]] == [theirs.pk]
    later = ApiClient(manager).get("/guarantee-breaches", {"from": "2026-03-06T00:00:00"}).json()
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


def test_a_staff_event_through_the_api_pays_double(agent, customer, category, defaults):
    case = open_case(agent, customer, category)
    response = ApiClient(agent).post(
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
    assert body["recorded_by"]["id"] == agent.pk


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
