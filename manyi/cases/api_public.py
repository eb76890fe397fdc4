"""The public complaint endpoint: what the public page of a store does, as JSON. No token
(`auth=None`): these operations are meant to be called from a store's own website or app.

- `POST /public/stores/{store_id}/complaints` takes `multipart/form-data` (form fields plus
  up to 3 files in `photos`), so one request carries the photos too; there is no JSON variant.
- `GET /public/stores/{store_id}/categories` lists what a complaint may be about.
- `POST /public/case-status` looks a case up by number and phone (both must match).

Abuse protection: there is no CSRF check (a cross-origin API without cookies has no session
to forge); instead every request counts against per-IP limits (and each complaint against a
per-phone limit) kept in the database (manyi.core.ratelimit) → 429 `rate_limited` with a
`Retry-After` header; a filled honeypot field `website` → 400 `rejected`, with nothing
saved; photos are size- and type-checked (JPEG/PNG/WebP by their first bytes) → 422. A store
whose public page is closed answers 404. Before any of this, manyi.core.upload_limits refuses
a body larger than all photos at their largest + 64 KB → 413 `too_large` (unread), one of
unknown length → 411 `length_required`, more than MANYI_UPLOAD_MAX_FILES + 2 files → 400
`too_many_files`.
"""

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from manyi.cases import public_services as svc
from manyi.core.api_support import Input, Output, error_body, local
from manyi.core.errors import NotFound
from manyi.core.ratelimit import RateLimited, client_ip

router = Router(tags=["public"])


class PublicStoreRef(Output):
    id: int
    name: str


class ComplaintIn(Schema):
    """Form fields of a public complaint (multipart/form-data)."""

    name: str = ""
    phone: str = ""
    plate: str = ""
    order_number: str = ""
    category: int | None = None
    description: str = ""
    website: str = ""  # the honeypot: people leave it empty


class ComplaintOut(Output):
    number: str
    store: PublicStoreRef
    status: str
    status_text: str
    received_at: dt.datetime
    reply_due_at: dt.datetime | None
    message: str


class PublicCategory(Output):
    id: int
    name: str
    group: str | None


class PublicCategories(Output):
    store: PublicStoreRef
    items: list[PublicCategory]


class CaseStatusIn(Input):
    store_id: int
    number: str
    phone: str


class CaseStatusOut(Output):
    number: str
    store: PublicStoreRef
    status: str
    status_text: str
    category: str
    received_at: dt.datetime
    updated_at: dt.datetime
    reply_due_at: dt.datetime | None
    replied_at: dt.datetime | None


def _rate_limited(error: RateLimited) -> HttpResponse:
    response = JsonResponse(
        error_body(error.code, error.message), status=429, json_dumps_params={"ensure_ascii": False}
    )
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


@router.post(
    "/public/stores/{store_id}/complaints",
    response={201: ComplaintOut},
    auth=None,
    summary="Send a complaint to a store (public, no token; multipart/form-data)",
    description=(
        "Fields: name, phone, category (id from the categories operation), description "
        "(10 to 2000 characters), optional plate and order_number, optional files `photos` "
        "(at most 3; JPEG, PNG or WebP; 5 MB each), and `website`, a honeypot that must stay "
        "empty. Creates a case with channel `web` and answers with its number and when the "
        "first reply is due, and sends the customer an SMS with the number. 429 "
        "`rate_limited` when the client or the phone number sent too many; 400 `rejected` for "
        "a filled honeypot; 413 `too_large` for a request larger than the photos allow (read "
        "from Content-Length, before the body), 411 `length_required` without a length, 400 "
        "`too_many_files` for more than 2 files beyond the photos allowed."
    ),
)
def submit_complaint(
    request: HttpRequest,
    store_id: int,
    payload: Form[ComplaintIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # ninja: optional file list
) -> Status[ComplaintOut] | HttpResponse:
    store = svc.public_store(store_id)
    try:
        case = svc.submit_public_complaint(
            store=store,
            name=payload.name,
            phone=payload.phone,
            plate=payload.plate,
            order_number=payload.order_number,
            category=payload.category,
            description=payload.description,
            photos=list(photos or []),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            ip=client_ip(request),
            honeypot=payload.website,
        )
    except RateLimited as e:
        return _rate_limited(e)
    tz = str(svc.store_zone(store))
    due = svc.promised_first_response(case)
    received = local(case.received_at, tz)
    assert received is not None
    due_local = local(due, tz)
    if due_local is not None:
        message = _("We will reply to you before %(due)s.") % {
            "due": due_local.strftime("%Y-%m-%d %H:%M")
        }
    else:
        message = _("We will reply to you as soon as possible.")
    return Status(
        201,
        ComplaintOut(
            number=case.number,
            store=PublicStoreRef(id=store.pk, name=store.name),
            status=case.status,
            status_text=str(svc.CUSTOMER_STATUS[case.status]),
            received_at=received,
            reply_due_at=due_local,
            message=message,
        ),
    )


@router.get(
    "/public/stores/{store_id}/categories",
    response=PublicCategories,
    auth=None,
    summary="What a complaint to a store may be about (public, no token)",
)
def list_categories(request: HttpRequest, store_id: int) -> PublicCategories:
    store = svc.public_store(store_id)
    items = [
        PublicCategory(
            id=c.pk,
            name=c.name(),
            group=c.parent.name() if c.parent_id is not None and c.parent is not None else None,
        )
        for c in svc.public_categories(store.organisation_id)
    ]
    return PublicCategories(store=PublicStoreRef(id=store.pk, name=store.name), items=items)


@router.post(
    "/public/case-status",
    response=CaseStatusOut,
    auth=None,
    summary="The status of a complaint by its number and phone (public, no token)",
    description=(
        "Both the number and the customer's phone must match, else 404. Every look-up counts "
        "against the client's IP: 429 `rate_limited` after too many."
    ),
)
def case_status(request: HttpRequest, payload: CaseStatusIn) -> CaseStatusOut | HttpResponse:
    store = svc.public_store(payload.store_id)
    try:
        case = svc.lookup_case(
            organisation_id=store.organisation_id,
            number=payload.number,
            phone=payload.phone,
            ip=client_ip(request),
        )
    except RateLimited as e:
        return _rate_limited(e)
    if case is None:
        raise NotFound(_("We found no complaint with this number and phone number."))
    status = svc.public_status(case)
    received = local(status.received_at, status.timezone)
    updated = local(status.updated_at, status.timezone)
    assert received is not None and updated is not None
    return CaseStatusOut(
        number=status.number,
        store=PublicStoreRef(id=case.store.pk, name=status.store_name),
        status=status.status,
        status_text=status.status_text,
        category=status.category_name,
        received_at=received,
        updated_at=updated,
        reply_due_at=local(status.reply_due_at, status.timezone),
        replied_at=local(status.replied_at, status.timezone),
    )
