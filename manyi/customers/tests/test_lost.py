"""Lost customers: staff mark a customer lost with one of Keaveney's eight switching reasons
and a note (service, customer page, list filter, API), and clear it when they come back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.tests.ui_helpers import client_for
from manyi.core.errors import ConflictError, DomainError
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import CustomerFactory
from manyi.customers.services import mark_customer_lost, unmark_customer_lost

pytestmark = pytest.mark.django_db


# --- the service ---------------------------------------------------------------------------


def test_marking_lost_records_reason_note_time_and_a_timeline_event(agent, customer):
    now = timezone.now() - dt.timedelta(hours=1)
    lost = mark_customer_lost(
        actor=agent, customer=customer, reason="competition", note="去了隔壁4S店", now=now
    )
    customer.refresh_from_db()
    assert (customer.lost_reason, customer.lost_note, customer.lost_at) == (
        "competition",
        "去了隔壁4S店",
        now,
    )
    assert customer.version == lost.version == 2
    event = AuditEvent.objects.get(customer=customer, kind=EventKind.LOST)
    assert event.changes == {"lost_reason": [None, "competition"]}
    assert event.message == "去了隔壁4S店" and event.actor == agent and event.case is None


@pytest.mark.parametrize("reason", ["", "bored"])
def test_a_missing_or_unknown_reason_is_refused_on_the_reason_field(agent, customer, reason):
    with pytest.raises(DomainError) as refused:
        mark_customer_lost(actor=agent, customer=customer, reason=reason, note="")
    assert list(refused.value.as_fields()) == ["reason"]
    customer.refresh_from_db()
    assert customer.lost_reason == "" and customer.lost_at is None
    assert not AuditEvent.objects.filter(customer=customer, kind=EventKind.LOST).exists()


def test_marking_again_corrects_the_reason_and_keeps_the_date(agent, customer):
    first = timezone.now() - dt.timedelta(days=3)
    mark_customer_lost(actor=agent, customer=customer, reason="pricing", note="", now=first)
    mark_customer_lost(
        actor=agent, customer=customer, reason="response_to_failure", note="投诉没处理好"
    )
    customer.refresh_from_db()
    assert (customer.lost_reason, customer.lost_at) == ("response_to_failure", first)
    changes = [e.changes for e in AuditEvent.objects.filter(customer=customer, kind=EventKind.LOST)]
    assert changes == [
        {"lost_reason": [None, "pricing"]},
        {"lost_reason": ["pricing", "response_to_failure"]},
    ]


def test_a_stale_version_is_refused(agent, customer):
    with pytest.raises(ConflictError):
        mark_customer_lost(
            actor=agent, customer=customer, reason="pricing", note="", version=customer.version + 1
        )


def test_unmarking_clears_the_mark_and_is_in_the_timeline(agent, customer):
    mark_customer_lost(actor=agent, customer=customer, reason="inconvenience", note="搬家了")
    unmark_customer_lost(actor=agent, customer=customer, note="客户回来保养了")
    customer.refresh_from_db()
    assert (customer.lost_reason, customer.lost_note, customer.lost_at) == ("", "", None)
    event = AuditEvent.objects.filter(customer=customer).latest("id")
    assert event.kind == EventKind.CHANGED
    assert event.changes == {"lost_reason": ["inconvenience", None]}
    assert event.message == "客户回来保养了"
    with pytest.raises(DomainError):
        unmark_customer_lost(actor=agent, customer=customer, note="")


# --- the customer pages --------------------------------------------------------------------


def test_staff_mark_a_customer_lost_on_the_customer_page(agent, customer):
    client = client_for(agent, "en")
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="lost"' in page and "Mark as lost" in page
    response = client.post(
        f"/customers/{customer.pk}/lost/",
        {"reason": "core_service_failure", "note": "三次没修好", "version": customer.version},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.lost_reason == "core_service_failure"
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Lost: Core service failure" in page
    assert "三次没修好" in page
    assert 'class="k-lost"' in page  # the timeline entry
    assert "The customer came back" in page


def test_the_customer_page_shows_the_service_error_next_to_the_reason(agent, customer):
    response = client_for(agent).post(f"/customers/{customer.pk}/lost/", {"reason": ""})
    assert response.status_code == 200
    assert response.context["lost_form"].errors["reason"]
    assert 'id="id_lost_reason-errors"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.lost_reason == ""


def test_the_customer_came_back_on_the_customer_page(agent, customer):
    mark_customer_lost(actor=agent, customer=customer, reason="pricing", note="")
    customer.refresh_from_db()
    response = client_for(agent).post(
        f"/customers/{customer.pk}/lost/clear/", {"note": "又回来了", "version": customer.version}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.lost_reason == ""


def test_another_stores_customer_cannot_be_marked_lost(agent, customer_b):
    response = client_for(agent).post(f"/customers/{customer_b.pk}/lost/", {"reason": "pricing"})
    assert response.status_code == 404
    customer_b.refresh_from_db()
    assert customer_b.lost_reason == ""


def test_the_customer_list_filters_lost_customers_and_shows_why(agent, customer, store_a):
    CustomerFactory(store=store_a, name="留下的客户")
    priced = CustomerFactory(store=store_a, name="嫌贵的客户")
    mark_customer_lost(actor=agent, customer=customer, reason="competition", note="")
    mark_customer_lost(actor=agent, customer=priced, reason="pricing", note="")
    client = client_for(agent, "en")

    def names(response):
        return {c.name for c in response.context["page"].object_list}

    everyone = client.get("/customers/")
    assert {"张伟", "留下的客户", "嫌贵的客户"} <= names(everyone)
    lost = client.get("/customers/", {"lost": "on"})
    assert names(lost) == {"张伟", "嫌贵的客户"}
    html = lost.content.decode()
    assert "Lost: Competition" in html and "Lost: Pricing" in html
    assert names(client.get("/customers/", {"lost_reason": "pricing"})) == {"嫌贵的客户"}
    assert "留下的客户" not in html


# --- the API -------------------------------------------------------------------------------


def test_api_marks_lists_and_clears_lost_customers(agent, customer, store_a):
    CustomerFactory(store=store_a, name="忠实客户")
    api = ApiClient(agent)
    marked = api.post(
        f"/customers/{customer.pk}/lost", {"reason": "ethical_problems", "note": "觉得被骗"}
    )
    assert marked.status_code == 200, marked.content
    body = marked.json()
    assert body["lost_reason"] == "ethical_problems" and body["lost_note"] == "觉得被骗"
    assert body["lost_at"] is not None
    lost = api.get("/customers", {"lost": "true"}).json()
    assert [c["id"] for c in lost["items"]] == [customer.pk]
    assert lost["items"][0]["lost_reason"] == "ethical_problems"
    kept = api.get("/customers", {"lost": "false"}).json()
    assert customer.pk not in {c["id"] for c in kept["items"]} and kept["total"] == 1
    assert api.get("/customers", {"lost_reason": "pricing"}).json()["total"] == 0
    timeline = api.get(f"/customers/{customer.pk}/timeline").json()["items"]
    assert timeline[-1]["kind"] == "lost"
    assert timeline[-1]["changes"] == {"lost_reason": [None, "ethical_problems"]}

    cleared = api.delete(f"/customers/{customer.pk}/lost", {"note": "回来了"})
    assert cleared.status_code == 200
    assert cleared.json()["lost_reason"] is None and cleared.json()["lost_at"] is None
    again = api.delete(f"/customers/{customer.pk}/lost")
    assert again.status_code == 422
    assert "reason" in error_of(again)["fields"]


def test_api_refuses_an_unknown_reason(agent, customer):
    response = ApiClient(agent).post(f"/customers/{customer.pk}/lost", {"reason": "bored"})
    assert response.status_code == 422
    assert "reason" in str(error_of(response)["fields"])
    customer.refresh_from_db()
    assert customer.lost_reason == ""
