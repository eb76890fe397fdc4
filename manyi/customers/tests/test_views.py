"""Customer pages: masking, phone search, scope, create/edit with errors and conflicts,
timeline, vehicles, bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from manyi.audit.models import AuditEvent
from manyi.cases.services import create_case
from manyi.core.tests.factories import AssetFactory, CustomerFactory
from manyi.customers.models import Asset, Customer
from manyi.customers.services import update_customer

pytestmark = pytest.mark.django_db

VALID_VIN = "LSVAU033312345671"


@pytest.fixture
def login(client):
    client.cookies["django_language"] = "en"  # the UI language switch stores it here

    def _login(user):
        client.force_login(user)
        return client

    return _login


def test_agent_sees_masked_phone_and_id_number(login, agent, customer):
    page = login(agent).get(reverse("customers:list")).content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    detail = login(agent).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "138****5678" in detail
    assert "13812345678" not in detail
    assert "110101199003071234" not in detail
    assert "1101************34" in detail


def test_supervisor_sees_full_phone(login, supervisor, customer):
    page = login(supervisor).get(reverse("customers:list")).content.decode()
    assert "13812345678" in page
    detail = login(supervisor).get(reverse("customers:detail", args=[customer.pk]))
    assert "110101199003071234" in detail.content.decode()


def test_personal_data_override_unmasks_for_one_agent(login, agent, customer):
    agent.view_personal_data = True
    agent.save()
    assert "13812345678" in login(agent).get(reverse("customers:list")).content.decode()


@pytest.mark.parametrize(
    "typed",
    ["+86 138-1234-5678", "138 1234 5678", "0086 13812345678", "(138)1234-5678", "13812345678"],
)
def test_full_phone_in_any_format_finds_the_customer(login, agent, customer, store_a, typed):
    CustomerFactory(store=store_a, name="王芳", phone="13812340000")
    response = login(agent).get(reverse("customers:list"), {"q": typed})
    assert list(response.context["page"].object_list) == [customer]


def test_partial_digits_match_only_for_people_who_may_see_phones(
    login, agent, supervisor, customer
):
    found = login(supervisor).get(reverse("customers:list"), {"q": "1234"}).context["page"]
    assert customer in found.object_list
    hidden = login(agent).get(reverse("customers:list"), {"q": "1234"}).context["page"]
    assert customer not in hidden.object_list


def test_search_by_name_and_plate(login, agent, customer, store_a):
    other = CustomerFactory(store=store_a, name="赵敏")
    AssetFactory(customer=other, plate="沪A12345")
    client = login(agent)
    assert list(client.get(reverse("customers:list"), {"q": "张"}).context["page"]) == [customer]
    assert list(client.get(reverse("customers:list"), {"q": "a1234"}).context["page"]) == [other]


def test_filters_by_tier_tag_store_and_watch_list(login, manager, customer, customer_b, store_b):
    vip = CustomerFactory(store=store_b, name="VIP", tier="vip", tags=["车主", "老客户"])
    watched = CustomerFactory(
        store=store_b, name="W", watch_list=True, watch_reason="威胁曝光", tags=["车主2"]
    )
    client = login(manager)
    url = reverse("customers:list")

    def names(**params):
        return {c.name for c in client.get(url, params).context["page"].object_list}

    assert names(tier="vip") == {"VIP"}
    assert names(tag="车主") == {"VIP"}  # exact tag, not "车主2"
    assert names(watch_list="on") == {"W"}
    assert names(store=store_b.pk) == {"VIP", "W", customer_b.name}
    page = client.get(url).content.decode()
    assert "row-watch" in page
    assert vip.name in page and watched.name in page


def test_agent_list_shows_only_own_store(login, agent, customer, customer_b):
    page = login(agent).get(reverse("customers:list")).context["page"]
    assert list(page.object_list) == [customer]


def test_other_store_customer_is_404_for_agent(login, agent, customer_b):
    client = login(agent)
    assert client.get(reverse("customers:detail", args=[customer_b.pk])).status_code == 404
    assert client.get(reverse("customers:edit", args=[customer_b.pk])).status_code == 404
    response = client.post(reverse("customers:asset_add", args=[customer_b.pk]), {"plate": "沪A1"})
    assert response.status_code == 404


def test_other_organisation_customer_is_404_even_for_admin(login, admin_user, other_org):
    client = login(admin_user)
    pk = other_org["customer"].pk
    assert client.get(reverse("customers:detail", args=[pk])).status_code == 404
    assert client.post(reverse("customers:edit", args=[pk]), {"name": "x"}).status_code == 404
    assert other_org["customer"].name not in client.get(reverse("customers:list")).content.decode()


def test_login_required(client, customer):
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def _form(store, **overrides):
    data = {
        "name": "陈静",
        "phone": "+86 139-1111-2222",
        "store": store.pk,
        "tier": "regular",
        "contact_consent": "on",
        "tags": "车主, 老客户",
    }
    data.update(overrides)
    return data


def test_create_customer_normalises_phone_and_records_the_event(login, agent, store_a):
    response = login(agent).post(reverse("customers:new"), _form(store_a))
    customer = Customer.objects.get(name="陈静")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.phone == "13911112222"
    assert customer.tags == ["车主", "老客户"]
    assert AuditEvent.objects.filter(customer=customer, kind="created").count() == 1


def test_create_with_bad_fields_shows_field_errors_and_writes_nothing(login, agent, store_a):
    response = login(agent).post(
        reverse("customers:new"),
        _form(store_a, phone="12345", watch_list="on", watch_reason="", email="not-an-email"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "phone" in form.errors
    assert "watch_reason" in form.errors
    assert "email" in form.errors
    assert "Enter a mainland China mobile" in response.content.decode()
    assert not Customer.objects.filter(name="陈静").exists()
    assert not AuditEvent.objects.exists()


def test_create_with_a_taken_phone_is_refused(login, agent, customer, store_a):
    response = login(agent).post(reverse("customers:new"), _form(store_a, phone="138 1234 5678"))
    assert response.context["form"].errors["phone"] == [
        "A customer with this phone number already exists."
    ]
    assert Customer.objects.filter(phone="13812345678").count() == 1


def test_agent_cannot_create_in_another_store(login, agent, store_b):
    response = login(agent).post(reverse("customers:new"), _form(store_b))
    assert "store" in response.context["form"].errors
    assert not Customer.objects.filter(name="陈静").exists()


def _edit_data(customer, **overrides):
    data = {
        "name": customer.name,
        "phone": customer.phone,
        "store": customer.store_id,
        "tier": customer.tier,
        "contact_consent": "on" if customer.contact_consent else "",
        "version": customer.version,
        "id_number": customer.id_number,
    }
    data.update(overrides)
    return data


def test_edit_records_before_and_after_on_the_timeline(login, supervisor, customer):
    client = login(supervisor)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]), _edit_data(customer, tier="vip")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.tier == "vip"
    assert customer.version == 2
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Regular → VIP" in page
    assert "Changed the customer" in page


def test_stale_edit_is_refused_with_a_clear_message(login, supervisor, manager, customer):
    client = login(supervisor)
    opened = _edit_data(customer, tier="vip", name="张伟（改）")
    update_customer(actor=manager, customer=customer, changes={"notes": "经理先保存"})
    response = client.post(reverse("customers:edit", args=[customer.pk]), opened)
    assert response.status_code == 200
    assert "Someone else saved this customer" in response.content.decode()
    customer.refresh_from_db()
    assert customer.tier == "regular"
    assert customer.name == "张伟"
    assert customer.notes == "经理先保存"


def test_edit_with_errors_changes_nothing(login, supervisor, customer):
    response = login(supervisor).post(
        reverse("customers:edit", args=[customer.pk]),
        _edit_data(customer, tier="vip", phone="99999"),
    )
    assert "phone" in response.context["form"].errors
    customer.refresh_from_db()
    assert customer.tier == "regular"
    assert customer.version == 1


def test_agent_edit_form_has_no_personal_fields_and_keeps_them(login, agent, customer):
    client = login(agent)
    page = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert "13812345678" not in page
    assert 'name="phone"' not in page
    data = _edit_data(customer, phone="13000000000", id_number="", name="张伟伟")
    assert client.post(reverse("customers:edit", args=[customer.pk]), data).status_code == 302
    customer.refresh_from_db()
    assert customer.name == "张伟伟"
    assert customer.phone == "13812345678"
    assert customer.id_number == "110101199003071234"


def test_timeline_masks_phone_changes_for_agents(login, agent, supervisor, customer):
    update_customer(actor=supervisor, customer=customer, changes={"phone": "13922223333"})
    page = login(agent).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "138****5678 → 139****3333" in page
    assert "13922223333" not in page


def test_timeline_includes_case_events_newest_first(login, agent, customer, category):
    case = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="交车延误"
    )
    update_customer(actor=agent, customer=customer, changes={"tier": "vip"})
    response = login(agent).get(reverse("customers:detail", args=[customer.pk]))
    events = [event for event, _view in response.context["timeline"]]
    assert events[0].kind == "changed"
    assert events[1].case_id == case.pk
    page = response.content.decode()
    assert case.number in page
    assert "交车延误" in page


def test_watch_list_banner_shows_the_reason(login, agent, store_a):
    reason = "扬言找媒体曝光"
    watched: Customer = CustomerFactory(store=store_a, watch_list=True, watch_reason=reason)  # type: ignore[assignment]  # factory_boy is untyped
    page = login(agent).get(reverse("customers:detail", args=[watched.pk])).content.decode()
    assert "watch-banner" in page
    assert "扬言找媒体曝光" in page


def test_add_vehicle_with_bad_vin_shows_the_field_error(login, agent, customer):
    client = login(agent)
    url = reverse("customers:asset_add", args=[customer.pk])
    bad = VALID_VIN[:8] + "9" + VALID_VIN[9:]
    response = client.post(url, {"kind": "vehicle", "vin": bad, "plate": "沪A88888"})
    assert response.context["asset_form"].errors["vin"] == [
        "The VIN check digit (9th character) should be 3."
    ]
    assert not Asset.objects.exists()
    response = client.post(
        url,
        {"kind": "vehicle", "vin": VALID_VIN.lower(), "plate": "沪a88888"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    asset = Asset.objects.get(customer=customer)
    assert (asset.vin, asset.plate) == (VALID_VIN, "沪A88888")
    assert "沪A88888" in response.content.decode()
    assert "<html" not in response.content.decode()  # only the swapped fragment


@pytest.mark.parametrize("count", [5, 30])
def test_customer_list_queries_do_not_grow_with_rows(
    login, manager, store_a, category, count, django_assert_max_num_queries
):
    for i in range(count):
        c: Customer = CustomerFactory(store=store_a, owner=manager, tags=["车主"])  # type: ignore[assignment]  # factory_boy is untyped
        AssetFactory(customer=c)
        if i % 3 == 0:
            create_case(actor=manager, customer=c, channel="phone", category=category, summary="s")
    client = login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("customers:list"))
    assert len(response.context["page"].object_list) == min(count, 25)


def test_timeline_hides_cases_of_another_store_from_an_agent(
    login, agent, manager, customer, store_b, category
):
    other_store_case = create_case(
        actor=manager,
        customer=customer,
        store=store_b,
        channel="phone",
        category=category,
        summary="在徐汇店投诉",
    )
    agent_page = login(agent).get(reverse("customers:detail", args=[customer.pk]))
    assert other_store_case.number not in agent_page.content.decode()
    manager_page = login(manager).get(reverse("customers:detail", args=[customer.pk]))
    assert other_store_case.number in manager_page.content.decode()
