"""The public complaint page and the customer's preferred language: a customer first met on
the English page is written to in English from then on; a customer Manyi already knows keeps
the language on file, and the receipt follows it."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tasks import task_backends

from conftest import at
from manyi.cases import public_services as svc
from manyi.cases.choices import Channel
from manyi.cases.models import Case, Category
from manyi.core.tests.factories import CustomerFactory
from manyi.customers.models import Customer
from manyi.notifications.models import CustomerMessage
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


def run_delivery() -> None:
    backend = task_backends["default"]
    for result in list(backend.results):
        if result.task.func is delivery_task.func:
            result.task.call(*result.args, **result.kwargs)
    backend.results.clear()


def form(store):
    return {
        "name": "Tom Lee",
        "phone": "139 1111 2222",
        "category": str(
            Category.objects.get(organisation=store.organisation, code="wait_delivery").pk
        ),
        "description": "The car was promised for Friday and nobody calls back.",
        "website": "",
    }


def submit(store, language):
    fields = {k: v for k, v in form(store).items() if k != "website"}
    return svc.submit_public_complaint(
        store=store, **fields, language=language, ip="198.51.100.7", now=at(2026, 11, 23, 10, 0)
    )


def test_a_new_customer_on_the_english_page_prefers_english_and_gets_an_english_receipt(
    store_a, agent, django_capture_on_commit_callbacks
):
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.cookies["django_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/complain/{store_a.pk}/", form(store_a))
    assert response.status_code == 302
    case = Case.objects.get(channel=Channel.WEB)
    customer = Customer.objects.get(phone=PHONE)
    assert case.customer == customer and customer.language == "en"
    run_delivery()
    [sms] = MemorySmsBackend.outbox
    assert sms["to"] == PHONE
    assert sms["text"].startswith("Dear Tom Lee, we have received your complaint, number ")
    message = CustomerMessage.objects.get(case=case)
    assert message.subject.startswith("We have received your complaint")


def test_a_new_customer_on_the_chinese_page_prefers_chinese(
    store_a, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(store_a, "zh-hans")
    assert case.customer.language == "zh-hans"
    run_delivery()
    [sms] = MemorySmsBackend.outbox
    assert "我们已收到您的投诉" in sms["text"]


def test_a_known_customer_keeps_their_language_whatever_page_they_use(
    store_a, agent, django_capture_on_commit_callbacks
):
    known = CustomerFactory(store=store_a, name="王芳", phone=PHONE)
    assert known.language == "zh-hans"
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(store_a, "en")
    assert case.customer == known
    known.refresh_from_db()
    assert known.language == "zh-hans"
    run_delivery()
    [sms] = MemorySmsBackend.outbox
    assert "我们已收到您的投诉" in sms["text"]


def test_a_known_english_customer_gets_english_from_the_chinese_page(
    store_a, agent, django_capture_on_commit_callbacks
):
    CustomerFactory(store=store_a, name="Ann Smith", phone=PHONE, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        submit(store_a, "zh-hans")
    run_delivery()
    [sms] = MemorySmsBackend.outbox
    assert sms["text"].startswith("Dear Ann Smith, we have received your complaint")
