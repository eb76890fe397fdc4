"""A complaint from the public page is confirmed to the customer: the `case_received` message
with the case number and the promised reply time goes by SMS to the phone they gave, in the
language of the page they used, after the transaction commits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import task_backends

from conftest import at
from manyi.cases import public_services as svc
from manyi.cases.choices import Channel, SlaMetric
from manyi.cases.models import Case, CaseSla, Category, Communication
from manyi.notifications.models import CustomerMessage, DeliveryState
from manyi.notifications.sms import MemorySmsBackend
from manyi.notifications.tasks import deliver_customer_messages as delivery_task

pytestmark = pytest.mark.django_db

PHONE = "13911112222"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _no_leftover_tasks():
    task_backends["default"].results.clear()


def run_delivery() -> int:
    """Run the delivery tasks the dummy backend collected (the worker's part)."""
    backend = task_backends["default"]
    ran = 0
    for result in list(backend.results):
        if result.task.func is delivery_task.func:
            result.task.call(*result.args, **result.kwargs)
            ran += 1
    backend.results.clear()
    return ran


def form(store, **overrides):
    data = {
        "name": "王芳",
        "phone": "139 1111 2222",
        "category": str(
            Category.objects.get(organisation=store.organisation, code="wait_delivery").pk
        ),
        "description": "约好周五交车，到现在还没有消息，打电话也没人接。",
        "website": "",
    }
    data.update(overrides)
    return data


def promised(case: Case) -> str:
    due = CaseSla.objects.get(case=case, metric=SlaMetric.FIRST_RESPONSE).due_at
    return timezone.localtime(due).strftime("%Y-%m-%d %H:%M")


def test_the_customer_gets_an_sms_with_the_number_after_commit(
    store_a, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = svc.submit_public_complaint(
            store=store_a,
            **{k: v for k, v in form(store_a).items() if k != "website"},
            language="zh-hans",
            ip="198.51.100.7",
            now=at(2026, 11, 23, 10, 0),
        )
        assert MemorySmsBackend.outbox == []  # nothing leaves before the commit
    assert run_delivery() == 1
    assert len(MemorySmsBackend.outbox) == 1
    sms = MemorySmsBackend.outbox[0]
    assert sms["to"] == PHONE
    assert case.number in sms["text"] and "王芳" in sms["text"]
    assert "我们已收到您的投诉" in sms["text"]
    assert promised(case) in sms["text"]
    message = CustomerMessage.objects.get(case=case)
    assert message.kind == "case_received" and message.dedupe_key == f"received:{case.pk}"
    assert message.state == DeliveryState.SENT
    # In the communication log as an automatic message; it is not the first response.
    entry = Communication.objects.get(case=case)
    assert entry.automatic and entry.direction == "outbound" and entry.medium == "sms"
    case.refresh_from_db()
    assert case.first_responded_at is None and case.status == "new"


def test_the_english_page_sends_the_english_text(
    store_a, agent, django_capture_on_commit_callbacks
):
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.cookies["django_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/complain/{store_a.pk}/", form(store_a))
    assert response.status_code == 302
    case = Case.objects.get(channel=Channel.WEB)
    run_delivery()
    [sms] = MemorySmsBackend.outbox
    assert sms["to"] == PHONE
    assert sms["text"].startswith("Dear 王芳, we have received your complaint, number ")
    assert case.number in sms["text"] and promised(case) in sms["text"]


def test_the_chinese_page_sends_the_chinese_text(
    store_a, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(REMOTE_ADDR="198.51.100.7").post(
            f"/complain/{store_a.pk}/", form(store_a)
        )
    assert response.status_code == 302
    case = Case.objects.get(channel=Channel.WEB)
    run_delivery()
    [sms] = MemorySmsBackend.outbox
    assert sms["text"].startswith("王芳您好：我们已收到您的投诉，单号 " + case.number)


def test_the_public_api_confirms_too(store_a, agent, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="198.51.100.7", headers={"Accept-Language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/public/stores/{store_a.pk}/complaints", form(store_a))
    assert response.status_code == 201
    number = response.json()["number"]
    run_delivery()
    [sms] = MemorySmsBackend.outbox
    assert sms["to"] == PHONE and number in sms["text"] and sms["text"].startswith("Dear ")


def test_a_refused_submission_sends_nothing(store_a, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(REMOTE_ADDR="198.51.100.7").post(
            f"/complain/{store_a.pk}/", form(store_a, description="短")
        )
    assert response.status_code == 200
    run_delivery()
    assert MemorySmsBackend.outbox == [] and not CustomerMessage.objects.exists()
