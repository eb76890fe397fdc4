"""SLA policies and categories through the REST API."""

from __future__ import annotations

import pytest

from manyi.cases.models import Category, SlaPolicy
from manyi.core.tests.api_client import ApiClient, error_of

pytestmark = pytest.mark.django_db

BODY = {
    "name": "VIP 客户",
    "rank": 5,
    "calendar": None,
    "match": {"customer_tier": ["vip"], "category": ["waiting_time"]},
    "targets": [
        {"metric": "first_response", "minutes": 30, "clock": "business"},
        {"metric": "resolution", "minutes": 1440, "clock": "calendar"},
    ],
    "pause_on": ["waiting_customer"],
}


def test_policies_are_listed_in_the_order_they_are_tried(agent):
    ranks = [p["rank"] for p in ApiClient(agent).get("/sla-policies").json()]
    assert ranks == sorted(ranks)
    assert len(ranks) == 4


def test_an_admin_creates_reads_and_changes_a_policy(admin_user, store_a):
    api = ApiClient(admin_user)
    created = api.post("/sla-policies", BODY)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["match"] == BODY["match"]
    assert body["targets"] == BODY["targets"]
    assert (body["is_default"], body["warn_at_percent"]) == (False, 75)
    assert api.get(f"/sla-policies/{body['id']}").json() == body
    changed = api.patch(
        f"/sla-policies/{body['id']}", {"calendar": store_a.calendar_id, "active": False}
    ).json()
    assert (changed["calendar"], changed["active"], changed["name"]) == (
        store_a.calendar_id,
        False,
        "VIP 客户",
    )
    cleared = api.patch(f"/sla-policies/{body['id']}", {"calendar": None}).json()
    assert cleared["calendar"] is None


def test_a_new_policy_applies_to_the_next_case(admin_user, agent, customer):
    customer.tier = "vip"
    customer.save()
    policy = ApiClient(admin_user).post("/sla-policies", BODY).json()
    case = (
        ApiClient(agent)
        .post(
            "/cases",
            {
                "customer": customer.pk,
                "category": "wait_delivery",
                "channel": "phone",
                "summary": "x",
            },
        )
        .json()
    )
    assert case["sla_policy"]["id"] == policy["id"]
    assert {c["target_minutes"] for c in case["sla"]} == {30, 1440}


def test_policy_errors_are_per_field(admin_user):
    api = ApiClient(admin_user)
    response = api.post(
        "/sla-policies",
        {
            **BODY,
            "match": {"store": ["NOPE"], "channel": ["fax"]},
            "targets": [
                {"metric": "resolution", "minutes": 60},
                {"metric": "resolution", "minutes": 90},
            ],
        },
    )
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"match.store", "match.channel", "targets.1.metric"}
    schema_level = api.post("/sla-policies", {**BODY, "targets": [{"metric": "x", "minutes": -1}]})
    assert set(error_of(schema_level)["fields"]) == {"targets.0.metric", "targets.0.minutes"}
    assert not SlaPolicy.objects.filter(name="VIP 客户").exists()


def test_only_admins_write_policies(manager):
    assert ApiClient(manager).post("/sla-policies", BODY).status_code == 403
    policy = SlaPolicy.objects.filter(organisation=manager.organisation).order_by("id")[0]
    response = ApiClient(manager).patch(f"/sla-policies/{policy.pk}", {"rank": 1})
    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.rank != 1


def test_categories_are_the_two_level_taxonomy(agent, org):
    items = ApiClient(agent).get("/categories").json()
    assert len(items) == Category.objects.filter(organisation=org).count()
    by_code = {c["code"]: c for c in items}
    assert by_code["wait_delivery"]["parent"] == by_code["waiting_time"]["id"]
    assert by_code["waiting_time"]["parent"] is None
    assert by_code["wait_delivery"]["name"] == "Late delivery"  # the request asked for English
    zh = ApiClient(agent, language="zh-hans").get("/categories").json()
    assert {c["code"]: c["name"] for c in zh}["wait_delivery"] == "交车延误"
