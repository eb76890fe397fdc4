"""Watch-list customers carry a visible warning on every screen that shows them, and their
new cases start at the organisation's configured severity (or higher)."""

from __future__ import annotations

import re

import pytest

from manyi.accounts.models import Organisation
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

BADGE = "data-watch-list"


@pytest.fixture
def watched(store_a):
    return CustomerFactory(
        store=store_a,
        name="王大炮",
        phone="13611112222",
        watch_list=True,
        watch_reason="威胁找媒体曝光",
    )


def row(html: str, number: str) -> str:
    m = re.search(rf'<tr[^>]*data-case="{re.escape(number)}"[^>]*>.*?</tr>', html, re.S)
    assert m is not None, number
    return m.group(0)


# --- the warning on every screen -----------------------------------------------------------


def test_case_list_rows_warn_about_watch_list_customers(agent, customer, watched, category):
    risky = open_case(agent, watched, category, summary="又来投诉")
    calm = open_case(agent, customer, category)
    html = client_for(agent).get("/cases/").content.decode()
    assert BADGE in row(html, risky.number)
    assert "威胁找媒体曝光" in row(html, risky.number)  # the reason, on hover and for readers
    assert BADGE not in row(html, calm.number)


def test_dashboard_rows_warn_about_watch_list_customers(agent, customer, watched, category):
    risky = open_case(agent, watched, category, summary="又来投诉")
    calm = open_case(agent, customer, category)
    html = client_for(agent).get("/").content.decode()
    assert BADGE in row(html, risky.number)
    assert BADGE not in row(html, calm.number)


def test_intake_lookup_warns_and_says_the_starting_severity(agent, customer, watched):
    client = client_for(agent, "en")
    html = client.get("/cases/new/lookup/", {"phone": watched.phone}).content.decode()
    assert BADGE in html and "威胁找媒体曝光" in html
    assert "starts at severity “High” at least" in html
    calm = client.get("/cases/new/lookup/", {"phone": customer.phone}).content.decode()
    assert 'data-lookup="found"' in calm and BADGE not in calm


def test_customer_list_and_page_warn_about_watch_list_customers(agent, customer, watched):
    client = client_for(agent)
    html = client.get("/customers/").content.decode()
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    risky = next(r for r in rows if "王大炮" in r)
    calm = next(r for r in rows if "张伟" in r)
    assert BADGE in risky and "威胁找媒体曝光" in risky
    assert BADGE not in calm
    page = client.get(f"/customers/{watched.pk}/").content.decode()
    assert BADGE in page and "watch-banner" in page and "威胁找媒体曝光" in page
    assert BADGE not in client.get(f"/customers/{customer.pk}/").content.decode()


def test_case_page_warns_in_the_customer_card(agent, watched, category):
    case = open_case(agent, watched, category)
    html = client_for(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'class="alert-watch"' in html and "威胁找媒体曝光" in html


def test_staff_put_a_customer_on_the_watch_list_from_the_customer_page(agent, customer):
    client = client_for(agent)
    edit = client.get(f"/customers/{customer.pk}/edit/")
    assert 'name="watch_list"' in edit.content.decode()
    data = {
        "name": customer.name,
        "store": customer.store_id,
        "tier": customer.tier,
        "contact_consent": "on",
        "watch_list": "on",
        "watch_reason": "",
        "version": customer.version,
    }
    refused = client.post(f"/customers/{customer.pk}/edit/", data)
    assert refused.context["form"].errors["watch_reason"]
    data["watch_reason"] = "扬言找12315"
    assert client.post(f"/customers/{customer.pk}/edit/", data).status_code == 302
    customer.refresh_from_db()
    assert customer.watch_list and customer.watch_reason == "扬言找12315"


# --- the severity floor --------------------------------------------------------------------


def test_a_watch_list_customers_new_case_starts_at_the_configured_severity(
    agent, customer, watched, category
):
    assert watched.organisation.watch_list_severity == "high"
    raised = open_case(agent, watched, category, severity="normal")
    assert raised.severity == "high"
    kept = open_case(agent, watched, category, severity="critical")
    assert kept.severity == "critical"
    calm = open_case(agent, customer, category, severity="low")
    assert calm.severity == "low"
    Organisation.objects.filter(pk=watched.organisation_id).update(watch_list_severity="critical")
    watched.refresh_from_db()
    assert open_case(agent, watched, category, severity="high").severity == "critical"


def test_intake_of_a_watch_list_caller_starts_at_the_floor(agent, watched, category):
    response = client_for(agent).post(
        "/cases/new/",
        {
            "phone": watched.phone,
            "channel": "phone",
            "category": category.pk,
            "severity": "low",
            "summary": "又打电话来投诉",
            "nature": "venting",
            "complainer_type": "activist",
        },
    )
    assert response.status_code == 302
    case = watched.cases.get()
    assert case.severity == "high"


def test_the_floor_is_set_on_the_organisation_settings_page(admin_user, agent, watched, category):
    client = client_for(admin_user, "en")
    page = client.get("/settings/organisation/")
    assert page.status_code == 200
    assert 'name="watch_list_severity"' in page.content.decode()
    bad = client.post("/settings/organisation/", {"watch_list_severity": "extreme"})
    assert bad.context["form"].errors["watch_list_severity"]
    saved = client.post("/settings/organisation/", {"watch_list_severity": "critical"})
    assert saved.status_code == 302
    org = Organisation.objects.get(pk=admin_user.organisation_id)
    assert org.watch_list_severity == "critical"
    event = AuditEvent.objects.filter(organisation=org).latest("id")
    assert event.changes == {"watch_list_severity": ["high", "critical"]}
    assert "Critical" in client.get("/settings/").content.decode()
    watched.refresh_from_db()
    assert (
        services.create_case(
            actor=agent, customer=watched, channel="phone", category=category, summary="再投诉"
        ).severity
        == "critical"
    )


def test_only_organisation_admins_change_the_floor(agent, org):
    response = client_for(agent).post("/settings/organisation/", {"watch_list_severity": "low"})
    assert response.status_code in (302, 403, 404)
    org.refresh_from_db()
    assert org.watch_list_severity == "high"
