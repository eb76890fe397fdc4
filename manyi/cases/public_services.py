"""Complaints from the public page of a store (no login) and the customer's status look-up.

`submit_public_complaint` is the one write. Its order is deliberate:

1. count the request against the client's IP (every attempt counts, honeypot ones too);
2. a filled honeypot field → `SpamRefused` (400, a generic message; nothing is saved);
3. over the IP limit → `RateLimited` (429);
4. check every field and photo (no write yet) → `ValidationFailed` with every bad field;
5. count the submission against the phone number → `RateLimited` (429);
6. one transaction: find or create the customer, create the case (channel `web`) owned by the
   store's staff member on duty, an internal note that the customer wrote it on the public
   page, the photos as `Attachment` rows, a notification to the owner, and the customer's
   `case_received` message (case number and promised reply time, by SMS in the customer's
   preferred language: a customer first met on this page gets the page's language, a known
   customer keeps theirs), which is sent after commit.

The counters of steps 1 and 5 are written outside that transaction on purpose, so a refused
submission still counts; that is why this service is not wrapped in `transaction.atomic` as a
whole. Photo files are written inside the transaction and removed again if it fails, so a
refused submission leaves no row and no file behind. (A caller that wraps this service in its
own transaction and rolls that back later would leave the files: don't.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from manyi.accounts.choices import Role
from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.choices import Channel, SlaMetric, Status
from manyi.cases.models import OPEN_CASE, Attachment, Case, CaseSla, Category
from manyi.cases.services import create_case
from manyi.core import ratelimit
from manyi.core.errors import DomainError, NotFound, ValidationFailed
from manyi.customers.choices import Language, SourceChannel
from manyi.customers.models import Asset, Customer
from manyi.customers.services import create_customer
from manyi.customers.validation import normalise_phone
from manyi.notifications.customer import is_english, send_to_customer
from manyi.notifications.services import Message, queue_notifications

NAME_MAX = 100
PLATE_MAX = 20
ORDER_NUMBER_MAX = 50
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
NUMBER_MAX = 30
SUMMARY_HEAD = 80

# What the customer reads about the state of the case: plain words, nothing internal.
CUSTOMER_STATUS: dict[str, Promise] = {
    Status.NEW: gettext_lazy("Received; a staff member will contact you soon"),
    Status.ACKNOWLEDGED: gettext_lazy("We have contacted you and are looking into it"),
    Status.IN_PROGRESS: gettext_lazy("Being handled"),
    Status.WAITING_CUSTOMER: gettext_lazy("Waiting for your reply"),
    Status.WAITING_THIRD_PARTY: gettext_lazy("Waiting for a third party (e.g. parts or the maker)"),
    Status.RESOLVED: gettext_lazy("Resolved"),
    Status.CLOSED: gettext_lazy("Closed"),
}


class SpamRefused(DomainError):
    """The honeypot field was filled: a bot. The answer says as little as possible (400)."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__(
            _("Your complaint could not be sent. Please check the form and try again."),
            code="rejected",
        )

    def as_fields(self) -> dict[str, list[str]]:
        return {}


# --------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------


def public_store(store_id: int) -> Store:
    """The store whose public page is open; anything else is 404."""
    store = (
        Store.objects.select_related("organisation", "calendar")
        .filter(pk=store_id, public_intake=True)
        .first()
    )
    if store is None:
        raise NotFound(_("Not found."))
    return store


def public_categories(organisation_id: int) -> list[Category]:
    """The categories a customer may choose: active leaves (a child, or a top-level category
    without active children) under active parents, in the taxonomy's order."""
    rows = list(Category.objects.filter(organisation_id=organisation_id, active=True))
    children: dict[int, list[Category]] = {}
    for c in rows:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    out: list[Category] = []
    for top in (c for c in rows if c.parent_id is None):
        kids = children.get(top.pk)
        if kids:
            for kid in kids:
                kid.parent = top  # shown as a group label; spares a query per child
            out.extend(kids)
        else:
            out.append(top)
    return out


def store_zone(store: Store) -> ZoneInfo:
    name = store.calendar.timezone if store.calendar is not None else settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo(settings.TIME_ZONE)


def promised_first_response(case: Case) -> dt.datetime | None:
    """When the first reply is due (the `first_response` clock), while it still runs."""
    return (
        CaseSla.objects.filter(case=case, metric=SlaMetric.FIRST_RESPONSE)
        .values_list("due_at", flat=True)
        .first()
    )


@dataclass(frozen=True)
class PublicStatus:
    """What the customer may see of a case: no staff names, notes or internal fields."""

    number: str
    status: str
    status_text: str
    store_name: str
    category_name: str
    received_at: dt.datetime
    updated_at: dt.datetime
    reply_due_at: dt.datetime | None
    replied_at: dt.datetime | None
    timezone: str


def public_status(case: Case) -> PublicStatus:
    replied = case.first_responded_at
    return PublicStatus(
        number=case.number,
        status=case.status,
        status_text=str(CUSTOMER_STATUS.get(case.status, case.get_status_display())),
        store_name=case.store.name,
        category_name=case.category.name(),
        received_at=case.received_at,
        updated_at=case.updated_at,
        reply_due_at=None if replied else promised_first_response(case),
        replied_at=replied,
        timezone=str(store_zone(case.store)),
    )


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    upload: UploadedFile[bytes]
    name: str
    content_type: str
    extension: str
    size: int


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes, or None: JPEG, PNG or WebP.
    The name and the browser's content type are not trusted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def _display_name(raw: str | None, extension: str) -> str:
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or f"photo.{extension}")[-200:]


def check_photos(photos: Sequence[UploadedFile[bytes]]) -> tuple[list[Photo], list[str]]:
    """The photos that pass, and a message for each that does not."""
    max_files = int(settings.MANYI_UPLOAD_MAX_FILES)
    max_bytes = int(settings.MANYI_UPLOAD_MAX_BYTES)
    megabytes = max_bytes / (1024 * 1024)
    errors: list[str] = []
    good: list[Photo] = []
    uploads = [p for p in photos if p is not None]
    if len(uploads) > max_files:
        errors.append(_("At most %(n)d photos.") % {"n": max_files})
        return [], errors
    for upload in uploads:
        shown = _display_name(upload.name, "jpg")
        size = int(upload.size or 0)
        if size == 0:
            errors.append(_("%(name)s is empty.") % {"name": shown})
            continue
        if size > max_bytes:
            errors.append(
                _("%(name)s is larger than %(mb)s MB.") % {"name": shown, "mb": f"{megabytes:g}"}
            )
            continue
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        kind = sniff_image(head)
        if kind is None:
            errors.append(_("%(name)s is not a JPEG, PNG or WebP picture.") % {"name": shown})
            continue
        content_type, extension = kind
        good.append(
            Photo(
                upload=upload,
                name=_display_name(upload.name, extension),
                content_type=content_type,
                extension=extension,
                size=size,
            )
        )
    return good, errors


def _category(organisation_id: int, category: Category | int | str | None) -> Category | None:
    if isinstance(category, Category):
        category_id: int | None = category.pk
    else:
        try:
            category_id = int(category) if category not in (None, "") else None
        except (TypeError, ValueError):
            category_id = None
    if category_id is None:
        return None
    for c in public_categories(organisation_id):
        if c.pk == category_id:
            return c
    return None


def _length_error(value: str, limit: int) -> str:
    return _("At most %(max)d characters (this one has %(n)d).") % {"max": limit, "n": len(value)}


@dataclass(frozen=True)
class _Clean:
    name: str
    phone: str
    plate: str
    order_number: str
    category: Category
    description: str
    photos: list[Photo]


def _clean(
    *,
    store: Store,
    name: str,
    phone: str,
    plate: str,
    order_number: str,
    category: Category | int | str | None,
    description: str,
    photos: Sequence[UploadedFile[bytes]],
) -> _Clean:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Please enter your name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_length_error(name, NAME_MAX)]
    normalised = ""
    if not (phone or "").strip():
        errors["phone"] = [_("Please enter your phone number so that we can call you back.")]
    else:
        try:
            normalised = normalise_phone(phone)
        except DomainError as e:
            errors["phone"] = [e.message]
    plate = " ".join((plate or "").split()).upper()
    if len(plate) > PLATE_MAX:
        errors["plate"] = [_length_error(plate, PLATE_MAX)]
    order_number = (order_number or "").strip()
    if len(order_number) > ORDER_NUMBER_MAX:
        errors["order_number"] = [_length_error(order_number, ORDER_NUMBER_MAX)]
    chosen = _category(store.organisation_id, category)
    if chosen is None:
        errors["category"] = [_("Please choose what your complaint is about.")]
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN:
        errors["description"] = [
            _("Please tell us what happened in at least %(n)d characters.") % {"n": DESCRIPTION_MIN}
        ]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [_length_error(description, DESCRIPTION_MAX)]
    good, photo_errors = check_photos(photos)
    if photo_errors:
        errors["photos"] = photo_errors
    if errors:
        raise ValidationFailed(errors)
    assert chosen is not None
    return _Clean(
        name=name,
        phone=normalised,
        plate=plate,
        order_number=order_number,
        category=chosen,
        description=description,
        photos=good,
    )


# --------------------------------------------------------------------------------------
# Who takes it
# --------------------------------------------------------------------------------------


def staff_on_duty(store: Store) -> User | None:
    """The store's active agent with the fewest open cases; without one a supervisor, then
    the store manager, then an organisation admin (each: fewest open cases first)."""
    rank = SqlCase(
        When(role=Role.AGENT, then=Value(0)),
        When(role=Role.SUPERVISOR, then=Value(1)),
        When(role=Role.STORE_MANAGER, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        User.objects.filter(organisation_id=store.organisation_id, is_active=True)
        .filter(
            Q(store=store, role__in=[Role.AGENT, Role.SUPERVISOR, Role.STORE_MANAGER])
            | Q(role=Role.ORG_ADMIN)
        )
        .annotate(
            duty_rank=rank,
            # A correlated count along the partial index of open cases per owner: a JOIN and
            # GROUP BY would read every case the staff ever owned.
            open_cases=Coalesce(
                Subquery(
                    Case.objects.filter(OPEN_CASE, owner=OuterRef("pk"))
                    .order_by()
                    .values("owner")
                    .annotate(n=Count("*"))
                    .values("n")[:1]
                ),
                Value(0),
            ),
        )
        .order_by("duty_rank", "open_cases", "pk")
        .first()
    )


# --------------------------------------------------------------------------------------
# Rate limits
# --------------------------------------------------------------------------------------


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.MANYI_PUBLIC_RATE_WINDOW))


def _phone_key(organisation_id: int, phone: str) -> str:
    # Only a digest of the number goes into the counter table.
    digest = hashlib.sha256(f"{organisation_id}:{phone}".encode()).hexdigest()[:40]
    return f"public:submit:phone:{digest}"


def _refuse(message: str, now: dt.datetime) -> ratelimit.RateLimited:
    return ratelimit.RateLimited(message, retry_after=ratelimit.seconds_left(now, _window()))


# --------------------------------------------------------------------------------------
# The write
# --------------------------------------------------------------------------------------


def _staff_text(clean: _Clean, *, customer: Customer, language: str) -> tuple[str, str]:
    """Summary and description of the case, in the staff's language."""
    lines = [clean.description]
    extra: list[str] = []
    if clean.plate:
        extra.append(_("Plate: %(plate)s") % {"plate": clean.plate})
    if clean.order_number:
        extra.append(_("Order number: %(number)s") % {"number": clean.order_number})
    if customer.name != clean.name:
        extra.append(_("Name given on the form: %(name)s") % {"name": clean.name})
    if language != settings.LANGUAGE_CODE:
        names = dict(settings.LANGUAGES)
        extra.append(
            _("The customer wrote in %(language)s.") % {"language": names.get(language, language)}
        )
    if extra:
        lines += ["", *extra]
    flat = " ".join(clean.description.split())
    head = flat[:SUMMARY_HEAD] + ("…" if len(flat) > SUMMARY_HEAD else "")
    summary = f"{clean.category.name(settings.LANGUAGE_CODE)}：{head}"[:200]
    return summary, "\n".join(lines)


def _find_or_create_customer(
    store: Store, clean: _Clean, owner: User, *, language: str
) -> Customer:
    """The organisation's customer with this phone; a new one (source `web`, preferred
    language that of the page) when there is none. A known customer's preferred language is
    left as it is."""
    existing = Customer.objects.filter(
        organisation_id=store.organisation_id, phone=clean.phone
    ).first()
    if existing is not None:
        return existing
    try:
        return create_customer(
            actor=owner,
            store=store,
            name=clean.name,
            phone=clean.phone,
            source_channel=SourceChannel.WEB,
            language=Language.EN if is_english(language) else Language.ZH_HANS,
        )
    except DomainError:
        # Another submission with this number created the customer a moment ago.
        again = Customer.objects.filter(
            organisation_id=store.organisation_id, phone=clean.phone
        ).first()
        if again is None:
            raise
        return again


def _asset(customer: Customer, plate: str) -> Asset | None:
    """The customer's own vehicle with this plate, if there is one (never created from the
    public page: what a stranger types does not become a vehicle record)."""
    if not plate:
        return None
    wanted = plate.replace(" ", "")
    for asset in Asset.objects.filter(customer=customer).exclude(plate=""):
        if asset.plate.replace(" ", "").upper() == wanted:
            return asset
    return None


def submit_public_complaint(
    *,
    store: Store,
    name: str,
    phone: str,
    plate: str = "",
    order_number: str = "",
    category: Category | int | str | None,
    description: str,
    photos: Sequence[UploadedFile[bytes]] = (),
    language: str = "",
    ip: str,
    honeypot: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Take a complaint from the public page; see the module docstring for the order of
    checks. Raises SpamRefused (400), RateLimited (429), NotFound (404: the page is closed)
    or ValidationFailed (422, every bad field at once)."""
    now = now or timezone.now()
    window = _window()
    ip_allowed = ratelimit.hit(
        f"public:submit:ip:{ratelimit.ip_key(ip)}",
        limit=int(settings.MANYI_PUBLIC_RATE_PER_IP),
        window=window,
        now=now,
    )
    if (honeypot or "").strip():
        raise SpamRefused()
    if not ip_allowed:
        raise _refuse(
            _(
                "Too many complaints were sent from your network. Please try again later, or "
                "call the store."
            ),
            now,
        )
    if not store.public_intake:
        raise NotFound(_("Not found."))
    clean = _clean(
        store=store,
        name=name,
        phone=phone,
        plate=plate,
        order_number=order_number,
        category=category,
        description=description,
        photos=photos,
    )
    if not ratelimit.hit(
        _phone_key(store.organisation_id, clean.phone),
        limit=int(settings.MANYI_PUBLIC_RATE_PER_PHONE),
        window=window,
        now=now,
    ):
        raise _refuse(
            _(
                "We have already received several complaints from this phone number. Please "
                "wait for our call, or call the store."
            ),
            now,
        )
    owner = staff_on_duty(store)
    if owner is None:
        raise DomainError(
            _("This store cannot take complaints online at the moment. Please call the store.")
        )
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    written: list[str] = []
    try:
        with transaction.atomic():
            case = _write(
                store=store,
                clean=clean,
                owner=owner,
                language=language,
                ip=ip,
                now=now,
                written=written,
            )
    except BaseException:
        for stored in written:
            with contextlib.suppress(OSError):  # nothing more to do about a stuck file
                default_storage.delete(stored)
        raise
    return case


def _write(
    *,
    store: Store,
    clean: _Clean,
    owner: User,
    language: str,
    ip: str,
    now: dt.datetime,
    written: list[str],
) -> Case:
    # Everything staff read is written in the staff's language, whatever the customer chose.
    with translation.override(settings.LANGUAGE_CODE):
        customer = _find_or_create_customer(store, clean, owner, language=language)
        summary, description = _staff_text(clean, customer=customer, language=language)
        case = create_case(
            actor=owner,
            owner=owner,
            customer=customer,
            store=store,
            channel=Channel.WEB,
            category=clean.category,
            summary=summary,
            description=description,
            asset=_asset(customer, clean.plate),
            received_at=now,
            now=now,
        )
        record_event(
            organisation_id=case.organisation_id,
            kind=EventKind.COMMENTED,
            actor=None,
            case=case,
            message=ngettext(
                "The customer sent this complaint on the public complaint page of %(store)s "
                "(IP %(ip)s, %(photos)d photo); it was given to %(owner)s, who was on duty.",
                "The customer sent this complaint on the public complaint page of %(store)s "
                "(IP %(ip)s, %(photos)d photos); it was given to %(owner)s, who was on duty.",
                len(clean.photos),
            )
            % {"store": store.name, "ip": ip, "photos": len(clean.photos), "owner": owner},
            at=now,
        )
        for photo in clean.photos:
            attachment = Attachment(
                case=case, name=photo.name, content_type=photo.content_type, size=photo.size
            )
            attachment.file.save(f"{uuid.uuid4().hex}.{photo.extension}", photo.upload, save=False)
            written.append(str(attachment.file.name))
            attachment.save()
        queue_notifications(
            [
                Message(
                    recipient=owner,
                    kind="assigned",
                    case_id=case.pk,
                    dedupe_key=f"public:{case.pk}",
                    subject=_("New complaint from the public page: %(number)s %(summary)s")
                    % {"number": case.number, "summary": case.summary},
                    body=_(
                        "%(customer)s sent complaint %(number)s on the public page of "
                        "%(store)s. It is yours; please contact the customer."
                    )
                    % {"customer": customer.name, "number": case.number, "store": store.name},
                )
            ]
        )
        _confirm_to_customer(case, store=store, now=now)
    return case


def _confirm_to_customer(case: Case, *, store: Store, now: dt.datetime) -> None:
    """The `case_received` message: the case number and the promised first reply, by SMS to
    the phone the customer gave (send_to_customer picks the channel; a public case has a
    phone), in the customer's preferred language (English for a new customer who used the
    English page). Written to the outbox in this
    transaction and delivered after commit. Without a running first-response clock there is
    no promise to repeat, so nothing is sent (the "thank you" page shows the number)."""
    due = promised_first_response(case)
    if due is None:
        return
    send_to_customer(
        case=case,
        kind="case_received",
        context={"due_at": timezone.localtime(due, store_zone(store)).strftime("%Y-%m-%d %H:%M")},
        dedupe_key=f"received:{case.pk}",
        actor=None,
        now=now,
    )


def lookup_case(
    *,
    organisation_id: int,
    number: str,
    phone: str,
    ip: str,
    now: dt.datetime | None = None,
) -> Case | None:
    """The case with this number whose customer has this phone, or None; both must match.
    Every look-up counts against the client's IP, so numbers cannot be tried in bulk."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    number = (number or "").strip().upper()
    if not number:
        errors["number"] = [_("Please enter the complaint number.")]
    elif len(number) > NUMBER_MAX:
        errors["number"] = [_length_error(number, NUMBER_MAX)]
    normalised = ""
    if not (phone or "").strip():
        errors["phone"] = [_("Please enter the phone number you gave us.")]
    else:
        try:
            normalised = normalise_phone(phone)
        except DomainError as e:
            errors["phone"] = [e.message]
    if not ratelimit.hit(
        f"public:lookup:ip:{ratelimit.ip_key(ip)}",
        limit=int(settings.MANYI_PUBLIC_LOOKUP_RATE_PER_IP),
        window=_window(),
        now=now,
    ):
        raise _refuse(_("Too many look-ups from your network. Please try again later."), now)
    if errors:
        raise ValidationFailed(errors)
    return (
        Case.objects.select_related("store__calendar", "category")
        .filter(organisation_id=organisation_id, number=number, customer__phone=normalised)
        .first()
    )
