"""Quick phone intake: the caller is found by phone or created with the case, the case page
shows the due times at once, and a refused complaint leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from manyi.audit.models import AuditEvent
from manyi.cases.models import Case
from manyi.cases.tests.ui_helpers import client_for
from manyi.core.tests.factories import AssetFactory, CustomerFactory
from manyi.customers.models import Asset, Customer

pytestmark = pytest.mark.django_db


def form(category, **overrides):
    data = {
        "phone": "139-0000-8888",
        "customer_name": "周杰",
        "plate": "沪b66666",
        "model": "途观L",
        "vin": "",
        "channel": "phone",
        "category": str(category.pk),
        "severity": "normal",
        "summary": "维修后空调仍然不制冷",
        "description": "",
        "received_at": "",
        "nature": "problem_solving",
        "complainer_type": "voicer",
    }
    data.update(overrides)
    return data


def test_new_caller_creates_customer_vehicle_and_case_and_shows_due_times(agent, category):
    client = client_for(agent)
    response = client.post("/cases/new/", form(category))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    customer = Customer.objects.get(phone="13900008888")
    assert customer.name == "周杰" and customer.store == agent.store
    assert case.customer == customer and case.owner == agent and case.store == agent.store
    assert case.asset is not None and case.asset.plate == "沪B66666"
    page = client.get(response["Location"]).content.decode()
    for clock in case.slas.all():
        local = timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")
        assert f'data-metric="{clock.metric}"' in page
        assert local in page
        assert f'data-due="{clock.due_at.isoformat()}"' in page
    assert {c.metric for c in case.slas.all()} >= {"first_response", "resolution"}


def test_known_caller_is_used_with_the_chosen_vehicle(agent, customer, category):
    car = AssetFactory(customer=customer, plate="沪A12345")
    response = client_for(agent).post(
        "/cases/new/",
        form(
            category,
            phone="+86 138 1234 5678",
            customer_name="",
            plate="",
            model="",
            asset=str(car.pk),
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.customer == customer and case.asset == car
    assert Customer.objects.count() == 1


def test_lookup_shows_the_caller_and_their_vehicles_with_masked_phone(agent, customer):
    AssetFactory(customer=customer, plate="沪A12345", model="帕萨特")
    html = client_for(agent).get("/cases/new/lookup/?phone=138 1234 5678").content.decode()
    assert 'data-lookup="found"' in html
    assert "张伟" in html and "沪A12345" in html
    assert "138****5678" in html and "13812345678" not in html


def test_lookup_of_an_unknown_number_offers_new_customer_fields(agent):
    html = client_for(agent).get("/cases/new/lookup/?phone=13900008888").content.decode()
    assert 'data-lookup="new"' in html and 'name="customer_name"' in html
    html = client_for(agent).get("/cases/new/lookup/?phone=1390000").content.decode()
    assert 'data-lookup="incomplete"' in html


def test_lookup_never_reveals_a_customer_of_another_store(agent, customer_b, other_org):
    html = client_for(agent).get(f"/cases/new/lookup/?phone={customer_b.phone}").content.decode()
    assert customer_b.name not in html and 'data-lookup="elsewhere"' in html
    other = other_org["customer"]
    html = client_for(agent).get(f"/cases/new/lookup/?phone={other.phone}").content.decode()
    assert other.name not in html and 'data-lookup="new"' in html


def _nothing_created() -> None:
    assert Case.objects.count() == 0
    assert Customer.objects.filter(phone="13900008888").count() == 0
    assert Asset.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_bad_phone_shows_field_error_and_creates_nothing(agent, category):
    response = client_for(agent).post("/cases/new/", form(category, phone="12345"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="f-phone"' in html and "has-error" in html
    assert response.context["form"].errors["phone"]
    _nothing_created()


def test_missing_summary_shows_field_error_and_creates_nothing(agent, category):
    response = client_for(agent).post("/cases/new/", form(category, summary="  "))
    assert response.status_code == 200
    assert "summary" in response.context["form"].errors
    _nothing_created()


def test_error_after_customer_creation_rolls_everything_back(agent, category):
    # The VIN fails its check digit only when the vehicle is added, after the customer exists.
    response = client_for(agent).post("/cases/new/", form(category, vin="LSVAU033512345670"))
    assert response.status_code == 200
    assert "vin" in response.context["form"].errors
    _nothing_created()


def test_new_caller_needs_a_name(agent, category):
    response = client_for(agent).post("/cases/new/", form(category, customer_name=""))
    assert "customer_name" in response.context["form"].errors
    assert 'name="customer_name"' in response.content.decode()  # the field is shown again
    _nothing_created()


def test_vehicle_of_another_customer_is_refused(agent, customer, category):
    stranger = AssetFactory(customer=CustomerFactory(store=agent.store))
    response = client_for(agent).post(
        "/cases/new/", form(category, phone=customer.phone, asset=str(stranger.pk))
    )
    assert "asset" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_number_of_a_customer_in_another_store_is_refused(agent, customer_b, category):
    response = client_for(agent).post("/cases/new/", form(category, phone=customer_b.phone))
    assert "phone" in response.context["form"].errors
    assert Case.objects.count() == 0
    assert Customer.objects.filter(phone=customer_b.phone).count() == 1


def test_category_of_another_organisation_is_refused(agent, other_org):
    foreign = other_org["case"].category
    response = client_for(agent).post("/cases/new/", form(foreign))
    assert "category" in response.context["form"].errors
    assert Case.objects.filter(organisation=agent.organisation).count() == 0


def test_complaint_taken_on_paper_keeps_its_received_time(agent, category):
    earlier = timezone.localtime() - dt.timedelta(days=1)
    value = earlier.strftime("%Y-%m-%dT%H:%M")
    response = client_for(agent).post("/cases/new/", form(category, received_at=value))
    assert response.status_code == 302
    case = Case.objects.get()
    assert timezone.localtime(case.received_at).strftime("%Y-%m-%dT%H:%M") == value


def test_intake_page_autofocuses_the_phone_field(agent):
    html = client_for(agent).get("/cases/new/").content.decode()
    assert 'id="id_phone"' in html and "autofocus" in html.split('id="id_phone"')[1][:400]
