"""The public complaint page of a store: no login, works without JavaScript, CSRF-protected,
in Chinese and English; and the staff-only attachment download."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client, RequestFactory
from django.utils import timezone

from manyi.cases import public_views
from manyi.cases.choices import Channel, SlaMetric
from manyi.cases.models import Attachment, Case, CaseSla, Category
from manyi.customers.models import Customer

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def url(store, name: str = "form") -> str:
    return f"/complain/{store.pk}/" + {"form": "", "done": "done/", "status": "status/"}[name]


def form_data(store, **overrides):
    data = {
        "name": "王芳",
        "phone": "13911112222",
        "category": str(
            Category.objects.get(organisation=store.organisation, code="wait_delivery").pk
        ),
        "description": "约好周五交车，到现在还没有消息，打电话也没人接。",
        "plate": "",
        "order_number": "",
        "website": "",
    }
    data.update(overrides)
    return data


def public_client(language: str | None = None, **kwargs) -> Client:
    kwargs.setdefault("REMOTE_ADDR", "198.51.100.7")
    client = Client(**kwargs)
    if language:
        client.cookies["django_language"] = language
    return client


def web_cases() -> int:
    return Case.objects.filter(channel=Channel.WEB).count()


def test_form_page_is_public_and_chinese_by_default(store_a, agent):
    response = public_client().get(url(store_a))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert store_a.name in html
    assert "交车延误" in html and "Late delivery" not in html  # category names in Chinese
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert 'name="website"' in html  # the honeypot
    assert 'name="photos"' in html and "multiple" in html
    assert 'value="en"' in html  # the switch offers English
    assert "manyi/public.css" in html and "mainnav" not in html  # no staff navigation
    assert "<script" not in html  # nothing needs JavaScript


def test_form_page_in_english(store_a, agent):
    html = public_client("en").get(url(store_a)).content.decode()
    assert '<html lang="en">' in html
    assert "Late delivery" in html and "交车延误" not in html
    assert "Tell us what went wrong" in html
    assert 'value="zh-hans"' in html


def test_language_switch_works_without_javascript(store_a, agent):
    client = public_client()
    client.get(url(store_a))
    response = client.post("/i18n/setlang/", {"language": "en", "next": url(store_a)}, follow=True)
    assert '<html lang="en">' in response.content.decode()


def test_sending_the_form_redirects_to_the_number_and_the_promised_reply_time(store_a, agent):
    client = public_client()
    photo = SimpleUploadedFile("car.jpg", JPEG, content_type="image/jpeg")
    response = client.post(url(store_a), {**form_data(store_a), "photos": [photo]})
    assert response.status_code == 302 and response["Location"] == url(store_a, "done")
    case = Case.objects.get(channel=Channel.WEB)
    assert case.owner == agent and case.attachments.count() == 1
    html = client.get(url(store_a, "done")).content.decode()
    due = CaseSla.objects.get(case=case, metric=SlaMetric.FIRST_RESPONSE).due_at
    assert case.number in html
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in html
    assert f"?number={case.number}" in html


def test_done_page_without_a_sent_complaint_goes_back_to_the_form(store_a, agent):
    response = public_client().get(url(store_a, "done"))
    assert response.status_code == 302 and response["Location"] == url(store_a)


def test_bad_input_shows_field_errors_keeps_what_was_typed_and_saves_nothing(store_a, agent, media):
    photo = SimpleUploadedFile("car.jpg", JPEG, content_type="image/jpeg")
    data = form_data(store_a, phone="12345", description="太慢了", plate="沪A12345")
    response = public_client("en").post(url(store_a), {**data, "photos": [photo]})
    html = response.content.decode()
    assert response.status_code == 200
    for field in ("phone", "description"):
        assert f'class="pub-field has-error" id="f-{field}"' in html, field
        assert f'<ul class="pub-errors" id="{field}-errors">' in html, field
    assert "Please tell us what happened in at least 10 characters." in html
    assert 'id="f-name"' in html and 'class="pub-field has-error" id="f-name"' not in html
    assert 'value="王芳"' in html and 'value="沪A12345"' in html and "太慢了" in html
    assert "choose them again" in html
    assert web_cases() == 0 and not Customer.objects.filter(phone="13911112222").exists()
    assert Attachment.objects.count() == 0 and not any(media.rglob("*.*"))


def test_a_wrong_photo_type_is_explained_next_to_the_photos(store_a, agent):
    fake = SimpleUploadedFile("notes.jpg", b"plain text, not a picture", content_type="image/jpeg")
    response = public_client("en").post(url(store_a), {**form_data(store_a), "photos": [fake]})
    html = response.content.decode()
    assert 'class="pub-field has-error" id="f-photos"' in html
    assert "notes.jpg is not a JPEG, PNG or WebP picture." in html
    assert web_cases() == 0


def test_honeypot_gets_a_generic_400_and_nothing_is_saved(store_a, agent):
    response = public_client("en").post(
        url(store_a), form_data(store_a, website="http://x.example")
    )
    assert response.status_code == 400
    assert "could not be sent" in response.content.decode()
    assert web_cases() == 0 and not Customer.objects.filter(phone="13911112222").exists()


def test_the_eleventh_submission_from_one_ip_is_refused_with_429(store_a, agent, settings):
    settings.MANYI_PUBLIC_RATE_PER_IP = 10
    client = public_client("en")
    for i in range(10):
        response = client.post(url(store_a), form_data(store_a, phone=f"1391111{i:04d}"))
        assert response.status_code == 302
    response = client.post(url(store_a), form_data(store_a, phone="13922223333"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many complaints were sent from your network" in response.content.decode()
    assert web_cases() == 10


def test_the_fourth_submission_for_one_phone_is_refused_with_429(store_a, agent):
    for i in range(3):
        assert (
            public_client(REMOTE_ADDR=f"10.0.0.{i}")
            .post(url(store_a), form_data(store_a))
            .status_code
            == 302
        )
    response = public_client("en", REMOTE_ADDR="10.0.0.9").post(url(store_a), form_data(store_a))
    assert response.status_code == 429
    assert "this phone number" in response.content.decode()
    assert web_cases() == 3


def test_csrf_is_enforced_on_the_form(store_a, agent):
    client = public_client(enforce_csrf_checks=True)
    assert client.post(url(store_a), form_data(store_a)).status_code == 403
    assert web_cases() == 0
    page = client.get(url(store_a)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(url(store_a), {**form_data(store_a), "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and web_cases() == 1


def test_csrf_is_enforced_on_the_status_lookup(store_a, agent):
    client = public_client(enforce_csrf_checks=True)
    response = client.post(url(store_a, "status"), {"number": "TS2026-000001", "phone": "1"})
    assert response.status_code == 403


def test_a_store_with_a_closed_page_answers_404(store_a, agent):
    store_a.public_intake = False
    store_a.save()
    client = public_client()
    for name in ("form", "done", "status"):
        assert client.get(url(store_a, name)).status_code == 404
    assert client.post(url(store_a), form_data(store_a)).status_code == 404
    assert public_client().get("/complain/999999/").status_code == 404
    assert web_cases() == 0


def test_status_lookup_with_the_right_phone_shows_the_status_in_customer_words(store_a, agent):
    client = public_client("en")
    client.post(url(store_a), form_data(store_a))
    case = Case.objects.get(channel=Channel.WEB)
    prefilled = client.get(url(store_a, "status"), {"number": case.number}).content.decode()
    assert f'value="{case.number}"' in prefilled
    html = client.post(
        url(store_a, "status"), {"number": case.number.lower(), "phone": "139-1111-2222"}
    ).content.decode()
    assert 'id="status"' in html and case.number in html
    assert "Received; a staff member will contact you soon" in html
    assert "Last update" in html and "We will reply before" in html
    assert "Late delivery" in html
    assert agent.display_name not in html and case.summary not in html  # nothing internal


def test_status_lookup_with_a_wrong_phone_finds_nothing(store_a, agent):
    client = public_client("en")
    client.post(url(store_a), form_data(store_a))
    case = Case.objects.get(channel=Channel.WEB)
    html = client.post(
        url(store_a, "status"), {"number": case.number, "phone": "13999999999"}
    ).content.decode()
    assert 'id="status"' not in html
    assert "We found no complaint with this number and phone number." in html
    bad = client.post(url(store_a, "status"), {"number": "", "phone": "abc"}).content.decode()
    assert bad.count('class="pub-errors"') == 2


def test_status_lookups_are_rate_limited(store_a, agent, settings):
    settings.MANYI_PUBLIC_LOOKUP_RATE_PER_IP = 2
    client = public_client("en")
    for _ in range(2):
        client.post(url(store_a, "status"), {"number": "TS2026-000001", "phone": "13911112222"})
    response = client.post(
        url(store_a, "status"), {"number": "TS2026-000001", "phone": "13911112222"}
    )
    assert response.status_code == 429 and "Too many look-ups" in response.content.decode()


# --- staff download -------------------------------------------------------------------


def _download(user, pk):
    request = RequestFactory().get(f"/cases/attachments/{pk}/")
    request.user = user
    return public_views.attachment_download(request, pk=pk)


def test_staff_who_see_the_case_download_its_photo_and_others_get_404(
    store_a, agent, agent_b, manager, other_org
):
    photo = SimpleUploadedFile("car.jpg", JPEG, content_type="image/jpeg")
    public_client().post(url(store_a), {**form_data(store_a), "photos": [photo]})
    attachment = Attachment.objects.get()
    for user in (agent, manager):
        response = _download(user, attachment.pk)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == JPEG
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
    for outsider in (agent_b, other_org["user"]):  # another store; another organisation
        with pytest.raises(Http404):
            _download(outsider, attachment.pk)
    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    response = public_views.attachment_download(anonymous, pk=attachment.pk)
    assert response.status_code == 302 and "login" in response["Location"]
