"""Size limits of the public pages: a body larger than the photos allow is refused with 413
before Django reads it, an unmeasured one with 411, too many files with 400; staff pages are
not limited by this middleware."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, RequestFactory

from manyi.cases.choices import Channel
from manyi.cases.models import Attachment, Case, Category
from manyi.core.tests.api_client import error_of
from manyi.core.upload_limits import PublicRequestSizeMiddleware, max_request_bytes

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def small_limits(settings):
    """3 photos of at most 10 KB: the body may be 3 × 10 KB + 64 KB = 94 KB."""
    settings.MANYI_UPLOAD_MAX_FILES = 3
    settings.MANYI_UPLOAD_MAX_BYTES = 10 * 1024
    return settings


def data(store, **overrides):
    values = {
        "name": "王芳",
        "phone": "13911112222",
        "category": str(
            Category.objects.get(organisation=store.organisation, code="wait_delivery").pk
        ),
        "description": "约好周五交车，到现在还没有消息，打电话也没人接。",
        "website": "",
    }
    values.update(overrides)
    return values


def big_photo(kb: int = 200) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.jpg", JPEG + b"\x00" * kb * 1024, content_type="image/jpeg")


def web_cases() -> int:
    return Case.objects.filter(channel=Channel.WEB).count()


def page_client(language: str = "en") -> Client:
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.cookies["django_language"] = language
    return client


def api_client(language: str = "en") -> Client:
    return Client(REMOTE_ADDR="198.51.100.7", headers={"Accept-Language": language})


class NeverRead:
    """A wsgi.input that fails the test if anything reads the body."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


def test_the_limit_is_every_photo_at_its_largest_plus_64_kb(small_limits):
    assert max_request_bytes() == 3 * 10 * 1024 + 64 * 1024


def test_too_large_a_complaint_form_is_refused_with_413_in_the_pages_language(
    store_a, agent, small_limits
):
    response = page_client().post(
        f"/complain/{store_a.pk}/", {**data(store_a), "photos": [big_photo()]}
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "too large" in text and "at most 3 photos of at most 10" in text
    assert web_cases() == 0 and Attachment.objects.count() == 0
    zh = page_client("zh-hans").post(
        f"/complain/{store_a.pk}/", {**data(store_a), "photos": [big_photo()]}
    )
    assert zh.status_code == 413 and zh["Content-Language"] == "zh-hans"


def test_too_large_a_public_api_request_gets_413_in_the_error_shape(store_a, agent, small_limits):
    response = api_client().post(
        f"/api/v1/public/stores/{store_a.pk}/complaints",
        {**data(store_a), "photos": [big_photo()]},
    )
    assert response.status_code == 413
    body = response.json()
    assert set(body) == {"error"}
    assert error_of(response)["code"] == "too_large"
    assert error_of(response)["fields"] == {}
    assert "too large" in error_of(response)["message"]
    assert response["Content-Language"] == "en"
    assert web_cases() == 0


def test_the_body_is_not_read_when_the_declared_length_is_too_large(store_a, agent):
    declared = str(max_request_bytes() + 1)
    for path in (f"/complain/{store_a.pk}/", f"/api/v1/public/stores/{store_a.pk}/complaints"):
        response = Client().generic(
            "POST",
            path,
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=declared,
            **{"wsgi.input": NeverRead()},
        )
        assert response.status_code == 413, path


def test_a_request_just_under_the_limit_goes_on_to_the_page(store_a, agent, small_limits):
    photo = SimpleUploadedFile("ok.jpg", JPEG, content_type="image/jpeg")
    response = page_client().post(f"/complain/{store_a.pk}/", {**data(store_a), "photos": [photo]})
    assert response.status_code == 302
    assert web_cases() == 1


@pytest.mark.parametrize(
    "meta",
    [
        {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": ""},
        {"CONTENT_LENGTH": "lots"},
        {"CONTENT_LENGTH": "-5"},
    ],
    ids=["chunked", "not-a-number", "negative"],
)
def test_an_unmeasured_body_is_refused_with_411(store_a, agent, meta):
    response = Client(headers={"Accept-Language": "en"}).generic(
        "POST",
        f"/api/v1/public/stores/{store_a.pk}/complaints",
        b"",
        content_type="multipart/form-data; boundary=x",
        **meta,
    )
    assert response.status_code == 411
    assert error_of(response)["code"] == "length_required"
    assert "Content-Length" in error_of(response)["message"]
    page = Client().generic("POST", f"/complain/{store_a.pk}/", b"", **meta)
    assert page.status_code == 411


def test_reading_pages_without_a_body_is_not_limited(store_a, agent):
    assert page_client().get(f"/complain/{store_a.pk}/").status_code == 200
    response = api_client().get(f"/api/v1/public/stores/{store_a.pk}/categories")
    assert response.status_code == 200


def test_other_addresses_are_not_limited_by_this_middleware():
    def view(request):
        return HttpResponse("reached")

    middleware = PublicRequestSizeMiddleware(view)
    factory = RequestFactory()
    for path in ("/cases/new/", "/api/v1/cases", "/complainers/"):
        request = factory.generic("POST", path, b"", CONTENT_LENGTH=str(max_request_bytes() * 10))
        assert middleware(request).content == b"reached", path
    request = factory.generic("POST", "/complain/1/", b"", CONTENT_LENGTH=str(10**9))
    assert middleware(request).status_code == 413


def test_at_most_two_files_more_than_the_photos_are_parsed(store_a, agent):
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FILES == (
        django_settings.MANYI_UPLOAD_MAX_FILES + 2
    )
    photos = [
        SimpleUploadedFile(f"p{i}.jpg", JPEG, content_type="image/jpeg")
        for i in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    response = page_client().post(f"/complain/{store_a.pk}/", {**data(store_a), "photos": photos})
    assert response.status_code == 400
    api = api_client().post(
        f"/api/v1/public/stores/{store_a.pk}/complaints", {**data(store_a), "photos": photos}
    )
    assert api.status_code == 400, api.content
    assert error_of(api)["code"] == "too_many_files"
    assert "at most 3 photos" in error_of(api)["message"]
    assert web_cases() == 0
    # One or two files too many still get the page's own field error.
    few = photos[: django_settings.MANYI_UPLOAD_MAX_FILES + 1]
    response = page_client().post(f"/complain/{store_a.pk}/", {**data(store_a), "photos": few})
    assert response.status_code == 200 and "At most 3 photos." in response.content.decode()


def test_a_broken_form_body_is_a_400_in_the_error_shape(store_a, agent):
    response = api_client().generic(
        "POST",
        f"/api/v1/public/stores/{store_a.pk}/complaints",
        b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
    assert web_cases() == 0
