"""The customer's preferred language (the language Manyi writes to them in): Simplified Chinese
unless staff choose English on the customer page, through the API or in an import file."""

from __future__ import annotations

import csv

import pytest
from django.conf import settings

from manyi.audit.models import AuditEvent
from manyi.cases.tests.ui_helpers import client_for
from manyi.core.errors import ValidationFailed
from manyi.core.imports import import_customers
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.customers.choices import Language
from manyi.customers.models import Customer
from manyi.customers.services import create_customer, update_customer

pytestmark = pytest.mark.django_db


def test_the_choices_are_the_languages_of_the_site(store_a, agent):
    assert list(Language.values) == [code for code, _name in settings.LANGUAGES]
    new = create_customer(actor=agent, store=store_a, name="李娜")
    assert new.language == "zh-hans"


def test_the_language_round_trips_through_the_api(agent, customer):
    api = ApiClient(agent)
    created = api.post("/customers", {"name": "Tom Lee", "language": "en"})
    assert created.status_code == 201, created.content
    assert created.json()["language"] == "en"
    assert Customer.objects.get(pk=created.json()["id"]).language == "en"
    plain = api.post("/customers", {"name": "李娜"}).json()
    assert plain["language"] == "zh-hans"

    assert api.get(f"/customers/{customer.pk}").json()["language"] == "zh-hans"
    changed = api.patch(
        f"/customers/{customer.pk}", {"version": customer.version, "language": "en"}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["language"] == "en"
    assert api.get(f"/customers/{customer.pk}").json()["language"] == "en"
    customer.refresh_from_db()
    assert customer.language == "en"
    event = AuditEvent.objects.filter(customer=customer, kind="changed").latest("id")
    assert event.changes["language"] == ["zh-hans", "en"]
    # null puts the default back, like the other choices
    back = api.patch(f"/customers/{customer.pk}", {"version": customer.version, "language": None})
    assert back.json()["language"] == "zh-hans"


def test_an_unknown_language_is_a_field_error(agent, customer):
    api = ApiClient(agent)
    created = api.post("/customers", {"name": "Jean", "language": "fr"})
    assert created.status_code == 422
    assert error_of(created)["fields"] == {"language": ["Not one of the allowed values."]}
    changed = api.patch(
        f"/customers/{customer.pk}", {"version": customer.version, "language": "EN"}
    )
    assert changed.status_code == 422
    assert list(error_of(changed)["fields"]) == ["language"]
    with pytest.raises(ValidationFailed) as refused:
        update_customer(actor=agent, customer=customer, changes={"language": "fr"})
    assert list(refused.value.as_fields()) == ["language"]
    customer.refresh_from_db()
    assert (customer.language, Customer.objects.count()) == ("zh-hans", 1)


def test_staff_choose_the_language_on_the_customer_page(agent, customer):
    client = client_for(agent, language="en")
    edit = client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'name="language"' in edit and "Preferred language" in edit
    data = {
        "name": customer.name,
        "store": customer.store_id,
        "tier": customer.tier,
        "contact_consent": "on",
        "version": customer.version,
    }
    refused = client.post(f"/customers/{customer.pk}/edit/", {**data, "language": "fr"})
    assert refused.status_code == 200 and "language" in refused.context["form"].errors

    saved = client.post(f"/customers/{customer.pk}/edit/", {**data, "language": "en"})
    assert saved.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "en"
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Preferred language" in page and "<dd>English</dd>" in page
    # A form without the field (an old page) leaves the language alone.
    again = client.post(f"/customers/{customer.pk}/edit/", {**data, "version": customer.version})
    assert again.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "en"


def test_new_customers_from_the_page_get_the_chosen_language(agent, store_a):
    client = client_for(agent, language="en")
    form = {"name": "Tom Lee", "store": store_a.pk, "tier": "regular", "language": "en"}
    assert client.post("/customers/new/", form).status_code == 302
    assert Customer.objects.get(name="Tom Lee").language == "en"


def test_the_import_reads_a_language_column_and_defaults_to_chinese(tmp_path, store_a, org):
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                ["姓名", "手机", "语言"],
                ["Tom Lee", "13900000001", "英文"],
                ["王芳", "13900000002", ""],
                ["Ann", "13900000003", "en"],
            ]
        )
    result = import_customers(path=path, organisation=org, default_store=store_a)
    assert result.ok and result.imported == 3
    languages = dict(Customer.objects.values_list("name", "language"))
    assert languages == {"Tom Lee": "en", "王芳": "zh-hans", "Ann": "en"}

    without = tmp_path / "without.csv"
    with without.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["姓名", "手机"], ["李强", "13900000004"]])
    assert import_customers(path=without, organisation=org, default_store=store_a).ok
    assert Customer.objects.get(name="李强").language == "zh-hans"


def test_an_unknown_language_in_an_import_file_is_reported(tmp_path, store_a, org):
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["name", "phone", "language"], ["Jean", "13900000001", "法语"]])
    result = import_customers(path=path, organisation=org, default_store=store_a)
    assert not result.ok and result.imported == 0
    assert [e.column for e in result.errors] == ["language"]
    assert not Customer.objects.exists()
