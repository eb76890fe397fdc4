"""Customers through the REST API: search, create, read with masking, versioned changes,
assets and the timeline."""

from __future__ import annotations

import pytest

from manyi.audit.models import AuditEvent
from manyi.cases.services import create_case
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import CustomerFactory
from manyi.customers.models import Asset, Customer

pytestmark = pytest.mark.django_db


def test_a_full_phone_number_finds_the_customer_for_everyone(agent, supervisor, customer):
    for user in (agent, supervisor):
        for query in ("13812345678", "138 1234 5678", "+86 138-1234-5678"):
            items = ApiClient(user).get("/customers", {"q": query}).json()["items"]
            assert [c["id"] for c in items] == [customer.pk], (user, query)


def test_part_of_a_phone_number_is_searchable_only_by_roles_that_see_phones(
    agent, supervisor, customer
):
    assert ApiClient(supervisor).get("/customers", {"q": "1234"}).json()["total"] == 1
    assert ApiClient(supervisor).get("/customers", {"q": "3812345"}).json()["total"] == 1
    # The masked form shows the last four digits; nothing more may be probed.
    assert ApiClient(agent).get("/customers", {"q": "5678"}).json()["total"] == 1
    assert ApiClient(agent).get("/customers", {"q": "3812345"}).json()["total"] == 0


def test_search_by_name_and_pagination(agent, store_a, customer):
    for i in range(4):
        CustomerFactory.create(store=store_a, name=f"王{i}", phone=f"1391111000{i}")
    api = ApiClient(agent)
    page = api.get("/customers", {"q": "王", "limit": 3}).json()
    assert (len(page["items"]), page["total"], page["total_is_exact"]) == (3, 4, True)
    assert api.get("/customers", {"q": "张"}).json()["items"][0]["id"] == customer.pk


def test_personal_data_is_masked_unless_the_role_may_see_it(agent, supervisor, customer):
    customer.email = "zhangwei@example.com"
    customer.save()
    masked = ApiClient(agent).get(f"/customers/{customer.pk}").json()
    plain = ApiClient(supervisor).get(f"/customers/{customer.pk}").json()
    assert (masked["phone"], masked["id_number"], masked["email"]) == (
        "138****5678",
        "1101************34",
        "z***@example.com",
    )
    assert (plain["phone"], plain["id_number"], plain["email"]) == (
        "13812345678",
        "110101199003071234",
        "zhangwei@example.com",
    )
    listed = ApiClient(agent).get("/customers").json()["items"][0]
    assert listed["phone"] == "138****5678"


def test_a_per_person_grant_unmasks(agent, customer):
    agent.view_personal_data = True
    agent.save()
    assert ApiClient(agent).get(f"/customers/{customer.pk}").json()["phone"] == "13812345678"


def test_creating_a_customer_normalises_the_phone(agent, store_a):
    response = ApiClient(agent).post(
        "/customers",
        {"name": " 王芳 ", "phone": "+86 136-1111-2222", "tier": "vip", "tags": ["老客户"]},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["store"] == store_a.pk
    assert body["tier"] == "vip"
    stored = Customer.objects.get(pk=body["id"])
    assert (stored.name, stored.phone) == ("王芳", "13611112222")
    assert body["phone"] == "136****2222"


def test_a_duplicate_or_bad_phone_is_a_field_error(agent, customer):
    api = ApiClient(agent)
    dup = api.post("/customers", {"name": "张伟二", "phone": "138-1234-5678"})
    assert dup.status_code == 422
    assert list(error_of(dup)["fields"]) == ["phone"]
    bad = api.post("/customers", {"name": "李四", "phone": "12345", "email": "no-at-sign"})
    assert set(error_of(bad)["fields"]) == {"phone", "email"}
    odd = api.post("/customers", {"name": "李四", "gender": "x"})
    assert error_of(odd)["fields"] == {"gender": ["Not one of the allowed values."]}
    assert Customer.objects.count() == 1


def test_changing_a_customer_needs_the_current_version(agent, supervisor, customer):
    first = ApiClient(agent).patch(
        f"/customers/{customer.pk}", {"version": 1, "watch_list": True, "watch_reason": "媒体"}
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = ApiClient(supervisor).patch(f"/customers/{customer.pk}", {"version": 1, "notes": "x"})
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "conflict"
    customer.refresh_from_db()
    assert (customer.watch_list, customer.notes, customer.version) == (True, "", 2)


def test_a_change_is_in_the_timeline_with_personal_data_masked(agent, supervisor, customer):
    ApiClient(supervisor).patch(f"/customers/{customer.pk}", {"version": 1, "phone": "13900001111"})
    masked = ApiClient(agent).get(f"/customers/{customer.pk}/timeline").json()["items"]
    plain = ApiClient(supervisor).get(f"/customers/{customer.pk}/timeline").json()["items"]
    assert masked[-1]["changes"]["phone"] == ["138****5678", "139****1111"]
    assert plain[-1]["changes"]["phone"] == ["13812345678", "13900001111"]


def test_the_timeline_hides_cases_of_other_stores_from_store_bound_roles(
    agent, agent_b, manager, customer, category
):
    create_case(
        actor=agent_b,
        customer=customer,
        store=agent_b.store,
        channel="phone",
        category=category,
        summary="在徐汇店投诉",
    )
    assert AuditEvent.objects.filter(customer=customer, case__isnull=False).count() == 1
    assert ApiClient(agent).get(f"/customers/{customer.pk}/timeline").json()["items"] == []
    assert len(ApiClient(manager).get(f"/customers/{customer.pk}/timeline").json()["items"]) == 1


def test_null_clears_optional_fields_but_not_the_name(agent, customer):
    api = ApiClient(agent)
    cleared = api.patch(f"/customers/{customer.pk}", {"version": 1, "id_number": None})
    assert cleared.json()["id_number"] == ""
    refused = api.patch(f"/customers/{customer.pk}", {"version": 2, "name": None})
    assert error_of(refused)["fields"] == {"name": ["This field cannot be empty."]}


def test_adding_a_vehicle_checks_the_vin(agent, customer):
    api = ApiClient(agent)
    bad = api.post(f"/customers/{customer.pk}/assets", {"vin": "LSVAU033512345670"})
    assert bad.status_code == 422
    assert list(error_of(bad)["fields"]) == ["vin"]
    good = api.post(
        f"/customers/{customer.pk}/assets",
        {"vin": "lsvau033312345671", "plate": "沪a12345", "model": "朗逸", "mileage": 12000},
    )
    assert good.status_code == 201, good.content
    assert good.json()["vin"] == "LSVAU033312345671"
    assert good.json()["plate"] == "沪A12345"
    detail = api.get(f"/customers/{customer.pk}").json()
    assert [a["id"] for a in detail["assets"]] == [good.json()["id"]]
    assert Asset.objects.count() == 1


def test_a_customer_of_another_store_is_not_found_for_an_agent(agent, customer_b):
    assert ApiClient(agent).get(f"/customers/{customer_b.pk}").status_code == 404
    response = ApiClient(agent).post("/customers", {"name": "新客户", "store": customer_b.store_id})
    assert error_of(response)["fields"] == {"store": ["Unknown store."]}
