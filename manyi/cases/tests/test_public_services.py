"""Complaints from the public page (manyi.cases.public_services): the case, its customer and
owner, the photos, and that a refused submission leaves nothing behind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import at
from manyi.accounts.choices import Role
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases import public_services as svc
from manyi.cases.choices import Channel, SlaMetric, Status
from manyi.cases.models import Attachment, Case, CaseSla, Category
from manyi.cases.services import create_case
from manyi.core.errors import NotFound, ValidationFailed
from manyi.core.ratelimit import RateLimited
from manyi.core.tests.factories import AssetFactory, CustomerFactory, StoreFactory, UserFactory
from manyi.customers.models import Customer
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 23, 10, 0)  # a Monday
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
WEBP = b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def photo(name: str = "a.jpg", content: bytes = JPEG, content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def submit(store, **overrides):
    data = {
        "store": store,
        "name": "王芳",
        "phone": "139 1111 2222",
        "category": Category.objects.get(organisation=store.organisation, code="wait_delivery").pk,
        "description": "约好周五交车，到现在还没有消息，打电话也没人接。",
        "language": "zh-hans",
        "ip": "198.51.100.7",
        "now": NOW,
    }
    data.update(overrides)
    return svc.submit_public_complaint(**data)


def nothing_saved(media: Path) -> bool:
    return (
        not Customer.objects.filter(phone="13911112222").exists()
        and not Case.objects.filter(channel=Channel.WEB).exists()
        and not Attachment.objects.exists()
        and files_in(media) == []
    )


def test_submission_creates_a_web_case_for_a_new_customer_owned_by_the_agent_on_duty(
    store_a, agent, supervisor, manager, admin_user, media
):
    case = submit(store_a, plate="沪a 12345", order_number="WO-778", photos=[photo()])
    assert case.channel == Channel.WEB
    assert case.status == Status.NEW
    assert case.store == store_a
    assert case.owner == agent and case.created_by == agent
    customer = case.customer
    assert (customer.name, customer.phone, customer.store) == ("王芳", "13911112222", store_a)
    assert customer.source_channel == "web"
    assert case.summary.startswith("交车延误：约好周五交车")
    assert "约好周五交车" in case.description
    assert "沪A 12345" in case.description and "WO-778" in case.description
    due = CaseSla.objects.get(case=case, metric=SlaMetric.FIRST_RESPONSE).due_at
    assert due is not None and due > NOW
    assert svc.promised_first_response(case) == due
    note = AuditEvent.objects.get(case=case, kind=EventKind.COMMENTED)
    assert note.actor is None and "198.51.100.7" in note.message
    assert Notification.objects.filter(recipient=agent, case=case).exists()
    attachment = case.attachments.get()
    assert (attachment.name, attachment.content_type) == ("a.jpg", "image/jpeg")
    assert attachment.size == len(JPEG)
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == JPEG and stored.suffix == ".jpg"
    assert stored.is_relative_to(media / "attachments")


def test_an_existing_customer_is_found_by_phone_in_the_organisation(
    store_a, store_b, agent, agent_b, customer_b
):
    AssetFactory(customer=customer_b, plate="沪A12345")
    case = submit(store_a, name="李女士", phone="+86 139-8765-4321", plate="沪A 12345")
    assert case.customer == customer_b  # a customer of the other store, same organisation
    assert case.asset is not None and case.asset.plate == "沪A12345"
    assert Customer.objects.filter(phone="13987654321").count() == 1
    assert "李女士" in case.description  # the name typed differs from the record


def test_owner_is_the_agent_with_fewest_open_cases(store_a, agent, supervisor, category):
    busy = agent
    idle = UserFactory(store=store_a, role=Role.AGENT, username="idle")
    create_case(
        actor=busy,
        customer=CustomerFactory(store=store_a),
        channel="phone",
        category=category,
        summary="占用",
    )
    assert svc.staff_on_duty(store_a) == idle
    idle.is_active = False
    idle.save()
    assert svc.staff_on_duty(store_a) == busy


def test_owner_falls_back_to_supervisor_then_manager_then_org_admin(org):
    store = StoreFactory(organisation=org, code="NEW")
    admin = UserFactory(store=None, organisation=org, role=Role.ORG_ADMIN, username="adm")
    assert svc.staff_on_duty(store) == admin
    manager = UserFactory(store=store, role=Role.STORE_MANAGER, username="mgr")
    assert svc.staff_on_duty(store) == manager
    supervisor = UserFactory(store=store, role=Role.SUPERVISOR, username="sup")
    assert svc.staff_on_duty(store) == supervisor
    UserFactory(store=StoreFactory(organisation=org), role=Role.AGENT, username="elsewhere")
    assert svc.staff_on_duty(store) == supervisor  # an agent of another store does not count


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"name": "  "}, {"name"}),
        ({"name": "长" * 101}, {"name"}),
        ({"phone": ""}, {"phone"}),
        ({"phone": "12345"}, {"phone"}),
        ({"category": None}, {"category"}),
        ({"category": "abc"}, {"category"}),
        ({"description": "太慢了"}, {"description"}),
        ({"description": "字" * 2001}, {"description"}),
        ({"plate": "沪" * 21, "order_number": "9" * 51}, {"plate", "order_number"}),
        ({"name": "", "phone": "", "description": ""}, {"name", "phone", "description"}),
    ],
)
def test_bad_input_gives_field_errors_and_saves_nothing(store_a, agent, media, overrides, fields):
    with pytest.raises(ValidationFailed) as caught:
        submit(store_a, photos=[photo()], **overrides)
    assert set(caught.value.fields) == fields
    assert nothing_saved(media)


def test_a_parent_an_inactive_or_another_organisations_category_is_refused(
    store_a, agent, other_org, media
):
    parent = Category.objects.get(organisation=store_a.organisation, code="waiting_time")
    inactive = Category.objects.get(organisation=store_a.organisation, code="wait_reception")
    inactive.active = False
    inactive.save()
    foreign = Category.objects.get(organisation=other_org["org"], code="wait_delivery")
    for category in (parent, inactive, foreign):
        with pytest.raises(ValidationFailed) as caught:
            submit(store_a, category=category.pk)
        assert set(caught.value.fields) == {"category"}
    assert nothing_saved(media)


def test_a_text_file_named_jpg_is_refused(store_a, agent, media):
    fake = photo("holiday.jpg", b"this is not a picture at all", "image/jpeg")
    with pytest.raises(ValidationFailed) as caught:
        submit(store_a, photos=[photo(), fake])
    assert "holiday.jpg" in caught.value.fields["photos"][0]
    assert nothing_saved(media)


def test_a_too_large_photo_and_too_many_photos_are_refused(store_a, agent, media, settings):
    settings.MANYI_UPLOAD_MAX_BYTES = 1000
    big = photo("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000, "image/png")
    with pytest.raises(ValidationFailed) as caught:
        submit(store_a, photos=[big])
    assert "big.png" in caught.value.fields["photos"][0]
    small = [photo(f"{i}.jpg") for i in range(4)]
    with pytest.raises(ValidationFailed) as caught:
        submit(store_a, photos=small)
    assert list(caught.value.fields) == ["photos"]
    assert nothing_saved(media)


def test_png_and_webp_are_stored_with_their_real_type(store_a, agent):
    case = submit(
        store_a,
        photos=[photo("x.jpg", PNG, "image/jpeg"), photo("y", WEBP, "application/octet-stream")],
    )
    types = sorted(case.attachments.values_list("content_type", flat=True))
    assert types == ["image/png", "image/webp"]
    assert sorted(Path(a.file.path).suffix for a in case.attachments.all()) == [".png", ".webp"]


def test_a_failure_after_the_photos_were_written_removes_them(store_a, agent, media, monkeypatch):
    def broken(messages):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(svc, "queue_notifications", broken)
    with pytest.raises(RuntimeError):
        submit(store_a, photos=[photo(), photo("b.png", PNG, "image/png")])
    assert nothing_saved(media)


def test_honeypot_is_refused_and_nothing_is_saved(store_a, agent, media):
    with pytest.raises(svc.SpamRefused) as caught:
        submit(store_a, honeypot="http://spam.example", photos=[photo()])
    assert caught.value.status_code == 400 and caught.value.as_fields() == {}
    assert nothing_saved(media)


def test_per_ip_limit_refuses_the_eleventh_submission(store_a, agent, settings):
    settings.MANYI_PUBLIC_RATE_PER_IP = 10
    for i in range(10):
        submit(store_a, phone=f"1391111{i:04d}")
    with pytest.raises(RateLimited) as caught:
        submit(store_a, phone="13922223333")
    assert caught.value.status_code == 429 and caught.value.retry_after
    assert Case.objects.count() == 10
    # Another client is not affected; the next hour the first one may send again.
    submit(store_a, phone="13922223333", ip="198.51.100.8")
    submit(store_a, phone="13922224444", now=NOW + dt.timedelta(hours=1))


def test_per_phone_limit_refuses_the_fourth_submission_from_any_ip(store_a, agent, settings):
    settings.MANYI_PUBLIC_RATE_PER_PHONE = 3
    for i in range(3):
        submit(store_a, ip=f"198.51.100.{i}")
    with pytest.raises(RateLimited):
        submit(store_a, ip="198.51.100.99")
    assert Case.objects.count() == 3
    submit(store_a, phone="13933334444", ip="198.51.100.99")


def test_invalid_submissions_do_not_use_up_the_phone_limit(store_a, agent, settings):
    settings.MANYI_PUBLIC_RATE_PER_PHONE = 1
    for _ in range(3):
        with pytest.raises(ValidationFailed):
            submit(store_a, description="短")
    submit(store_a)


def test_a_closed_public_page_takes_no_complaints(store_a, agent, media):
    store_a.public_intake = False
    store_a.save()
    with pytest.raises(NotFound):
        svc.public_store(store_a.pk)
    with pytest.raises(NotFound):
        submit(store_a)
    assert nothing_saved(media)


def test_lookup_needs_number_and_phone_of_the_same_case(store_a, agent, other_org):
    case = submit(store_a)
    org_id = store_a.organisation_id
    found = svc.lookup_case(
        organisation_id=org_id, number=case.number.lower(), phone="+8613911112222", ip="1.2.3.4"
    )
    assert found == case
    assert (
        svc.lookup_case(
            organisation_id=org_id, number=case.number, phone="13911119999", ip="1.2.3.4"
        )
        is None
    )
    other = other_org["case"]
    assert (
        svc.lookup_case(
            organisation_id=org_id, number=other.number, phone="13700000000", ip="1.2.3.4"
        )
        is None
    )
    with pytest.raises(ValidationFailed) as caught:
        svc.lookup_case(organisation_id=org_id, number="", phone="abc", ip="1.2.3.4")
    assert set(caught.value.fields) == {"number", "phone"}


def test_lookups_are_rate_limited_per_ip(store_a, agent, settings):
    settings.MANYI_PUBLIC_LOOKUP_RATE_PER_IP = 5
    args = {"organisation_id": store_a.organisation_id, "phone": "13911112222"}
    for i in range(5):
        svc.lookup_case(number=f"TS2026-{i:06d}", ip="1.2.3.4", **args)
    with pytest.raises(RateLimited):
        svc.lookup_case(number="TS2026-000009", ip="1.2.3.4", **args)
    svc.lookup_case(number="TS2026-000009", ip="1.2.3.5", **args)


def test_public_status_speaks_the_customers_words_and_hides_staff(store_a, agent):
    case = submit(store_a)
    status = svc.public_status(case)
    assert status.number == case.number
    assert status.reply_due_at == svc.promised_first_response(case)
    assert status.replied_at is None
    assert status.status_text == str(svc.CUSTOMER_STATUS[Status.NEW])
    assert not any(agent.username in str(v) for v in vars(status).values())
