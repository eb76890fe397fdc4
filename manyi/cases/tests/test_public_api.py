"""The public complaint endpoint (/api/v1/public/…): no token, multipart with photos, the one
error shape, 429 for rate limits, 400 for the honeypot, 404 for a closed page."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from manyi.cases.choices import Channel, SlaMetric
from manyi.cases.models import Attachment, Case, CaseSla, Category
from manyi.core.tests.api_client import error_of
from manyi.customers.models import Customer

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def client() -> Client:
    return Client(REMOTE_ADDR="198.51.100.7", headers={"Accept-Language": "en"})


def complaints(store) -> str:
    return f"/api/v1/public/stores/{store.pk}/complaints"


def fields(store, **overrides):
    data = {
        "name": "王芳",
        "phone": "13911112222",
        "category": Category.objects.get(organisation=store.organisation, code="wait_delivery").pk,
        "description": "约好周五交车，到现在还没有消息，打电话也没人接。",
    }
    data.update(overrides)
    return data


def web_cases() -> int:
    return Case.objects.filter(channel=Channel.WEB).count()


def test_categories_are_listed_without_a_token_in_the_asked_language(store_a, client):
    body = client.get(f"/api/v1/public/stores/{store_a.pk}/categories").json()
    assert body["store"] == {"id": store_a.pk, "name": store_a.name}
    late = next(c for c in body["items"] if c["name"] == "Late delivery")
    assert late["group"] == "Waiting time"
    zh = Client(headers={"Accept-Language": "zh-CN"}).get(
        f"/api/v1/public/stores/{store_a.pk}/categories"
    )
    assert any(c["name"] == "交车延误" for c in zh.json()["items"])
    # Only leaves: a parent with children is a group, not a choice.
    assert all(c["name"] != "Waiting time" for c in body["items"])


def test_multipart_complaint_with_a_photo_creates_a_web_case(store_a, agent, client):
    photo = SimpleUploadedFile("car.jpg", JPEG, content_type="image/jpeg")
    response = client.post(complaints(store_a), {**fields(store_a), "photos": [photo]})
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert case.channel == Channel.WEB and case.owner == agent
    assert case.attachments.count() == 1
    due = CaseSla.objects.get(case=case, metric=SlaMetric.FIRST_RESPONSE).due_at
    assert body["reply_due_at"] == timezone.localtime(due).isoformat()
    assert body["reply_due_at"].endswith("+08:00")
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in body["message"]
    assert body["status"] == "new" and body["store"]["id"] == store_a.pk


def test_bad_input_answers_422_with_field_messages_and_saves_nothing(store_a, agent, client):
    fake = SimpleUploadedFile("x.jpg", b"not a picture", content_type="image/jpeg")
    response = client.post(
        complaints(store_a),
        {**fields(store_a, name="", phone="123", description="短"), "photos": [fake]},
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"name", "phone", "description", "photos"}
    assert web_cases() == 0 and Attachment.objects.count() == 0
    assert not Customer.objects.filter(phone="13911112222").exists()


def test_a_category_that_is_not_a_number_is_a_field_error(store_a, agent, client):
    response = client.post(complaints(store_a), fields(store_a, category="abc"))
    assert response.status_code == 422
    assert "category" in error_of(response)["fields"]


def test_honeypot_answers_400_rejected_and_saves_nothing(store_a, agent, client):
    response = client.post(complaints(store_a), fields(store_a, website="http://spam.example"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "rejected" and error["fields"] == {}
    assert web_cases() == 0


def test_rate_limits_answer_429_in_the_error_shape(store_a, agent, client, settings):
    settings.MANYI_PUBLIC_RATE_PER_PHONE = 3
    for _ in range(3):
        assert client.post(complaints(store_a), fields(store_a)).status_code == 201
    response = client.post(complaints(store_a), fields(store_a))
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0
    settings.MANYI_PUBLIC_RATE_PER_IP = 4
    response = client.post(complaints(store_a), fields(store_a, phone="13922223333"))
    assert response.status_code == 429 and "network" in error_of(response)["message"]
    assert web_cases() == 3


def test_a_closed_or_unknown_store_answers_404(store_a, agent, client):
    store_a.public_intake = False
    store_a.save()
    for response in (
        client.post(complaints(store_a), fields(store_a)),
        client.get(f"/api/v1/public/stores/{store_a.pk}/categories"),
        client.get("/api/v1/public/stores/999999/categories"),
    ):
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert web_cases() == 0


def test_case_status_needs_the_right_phone(store_a, agent, client):
    number = client.post(complaints(store_a), fields(store_a)).json()["number"]

    def status(phone: str):
        return client.post(
            "/api/v1/public/case-status",
            json.dumps({"store_id": store_a.pk, "number": number, "phone": phone}),
            content_type="application/json",
        )

    ok = status("+86 139 1111 2222")
    assert ok.status_code == 200
    body = ok.json()
    assert body["number"] == number and body["status"] == "new"
    assert body["status_text"] == "Received; a staff member will contact you soon"
    assert body["category"] == "Late delivery" and body["replied_at"] is None
    assert body["reply_due_at"].endswith("+08:00")
    assert "owner" not in body and "summary" not in body
    wrong = status("13999999999")
    assert wrong.status_code == 404 and error_of(wrong)["code"] == "not_found"


def test_case_status_lookups_are_rate_limited(store_a, client, settings):
    settings.MANYI_PUBLIC_LOOKUP_RATE_PER_IP = 2
    body = json.dumps({"store_id": store_a.pk, "number": "TS2026-000001", "phone": "13911112222"})
    for _ in range(2):
        response = client.post("/api/v1/public/case-status", body, content_type="application/json")
        assert response.status_code == 404
    response = client.post("/api/v1/public/case-status", body, content_type="application/json")
    assert response.status_code == 429 and error_of(response)["code"] == "rate_limited"
