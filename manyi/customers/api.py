"""REST operations on customers and their assets. Phone, ID number and email are masked for
roles without the view-personal-data permission; searching by a full phone number still
finds the customer for everyone."""

import datetime as dt
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from manyi.accounts.models import Store, User
from manyi.audit.models import AuditEvent
from manyi.cases.api_schemas import EventPage, PageParams, event_out, user_ref
from manyi.core.api_support import Input, Output, UserRef, get_or_404, local, page, user_of
from manyi.core.errors import ValidationFailed
from manyi.core.scoping import (
    cases_for,
    customers_for,
    mask_email,
    mask_id_number,
    mask_phone,
    staff_for,
    stores_for,
)
from manyi.customers.choices import (
    AssetKind,
    Gender,
    Language,
    SourceChannel,
    SwitchingReason,
    Tier,
)
from manyi.customers.models import Asset, Customer
from manyi.customers.search import full_phone, phone_condition
from manyi.customers.services import (
    add_asset,
    create_customer,
    mark_customer_lost,
    unmark_customer_lost,
    update_customer,
)

router = Router(tags=["customers"])


class AssetOut(Output):
    id: int
    kind: AssetKind
    vin: str
    plate: str
    model: str
    purchase_date: dt.date | None
    mileage: int | None


class CustomerItem(Output):
    id: int
    name: str
    phone: str = Field(description="Masked (138****5678) unless you may view personal data.")
    tier: Tier
    store: int
    watch_list: bool
    lost_reason: SwitchingReason | None = Field(
        description="Why the customer left (Keaveney's switching reasons); null: not lost."
    )
    lost_at: dt.datetime | None
    version: int


class CustomerPage(Output):
    items: list[CustomerItem]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


class CustomerDetail(CustomerItem):
    email: str
    wechat_id: str
    gender: Gender
    birthday: dt.date | None
    id_number: str = Field(description="Masked unless you may view personal data.")
    address: str
    source_channel: str
    language: Language = Field(
        description="The language Manyi writes to the customer in (zh-hans or en)."
    )
    tags: list[str]
    contact_consent: bool
    watch_reason: str
    lost_note: str
    owner: UserRef | None
    notes: str
    assets: list[AssetOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerFields(Input):
    email: str | None = Field(None, max_length=254)
    wechat_id: str | None = Field(None, max_length=64)
    gender: Gender | None = None
    birthday: dt.date | None = None
    id_number: str | None = Field(None, max_length=18)
    address: str | None = Field(None, max_length=300)
    source_channel: SourceChannel | None = None
    tier: Tier | None = None
    language: Language | None = Field(
        None, description="Messages to the customer are written in this language."
    )
    tags: list[str] | None = None
    contact_consent: bool | None = None
    watch_list: bool | None = None
    watch_reason: str | None = Field(None, max_length=300)
    owner: int | None = Field(None, description="Staff id.")
    notes: str | None = None


class CustomerCreate(CustomerFields):
    name: str = Field(max_length=100, examples=["张伟"])
    phone: str = Field("", max_length=30, examples=["138 1234 5678"])
    store: int | None = Field(None, description="Home store id; default the caller's store.")


class CustomerUpdate(CustomerFields):
    """Send `version` and only the fields to change."""

    version: int = Field(description="The customer version you read; a stale one answers 409.")
    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=30)
    store: int | None = None


class AssetIn(Input):
    kind: AssetKind = AssetKind.VEHICLE
    vin: str = Field("", max_length=17, examples=["LSVAU033312345671"])
    plate: str = Field("", max_length=20, examples=["沪A12345"])
    model: str = Field("", max_length=100, examples=["朗逸"])
    purchase_date: dt.date | None = None
    mileage: int | None = Field(None, ge=0)


class LostIn(Input):
    reason: SwitchingReason = Field(description="Why the customer left.")
    note: str = Field("", max_length=2000, description="What the customer said, where they went.")
    version: int | None = Field(None, description="The customer version you read.")


class CustomerFilters(Schema):
    q: str | None = Field(
        None,
        max_length=100,
        description="Name, or phone number: a full number finds the customer for everyone; "
        "part of a number only for roles that see phone numbers.",
    )
    store: int | None = None
    watch_list: bool | None = None
    lost: bool | None = Field(None, description="true: lost customers only; false: the others.")
    lost_reason: SwitchingReason | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def asset_out(asset: Asset) -> dict[str, Any]:
    return {
        "id": asset.pk,
        "kind": asset.kind,
        "vin": asset.vin,
        "plate": asset.plate,
        "model": asset.model,
        "purchase_date": asset.purchase_date,
        "mileage": asset.mileage,
    }


def customer_item(c: Customer, viewer: User) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "phone": c.phone if viewer.can_view_personal_data else mask_phone(c.phone),
        "tier": c.tier,
        "store": c.store_id,
        "watch_list": c.watch_list,
        "lost_reason": c.lost_reason or None,
        "lost_at": local(c.lost_at, getattr(c, "store_tz", None)),
        "version": c.version,
    }


def customer_detail(c: Customer, viewer: User) -> dict[str, Any]:
    unmasked = viewer.can_view_personal_data
    tz = getattr(c, "store_tz", None)
    out = customer_item(c, viewer)
    out.update(
        {
            "email": c.email if unmasked else mask_email(c.email),
            "wechat_id": c.wechat_id,
            "gender": c.gender,
            "birthday": c.birthday,
            "id_number": c.id_number if unmasked else mask_id_number(c.id_number),
            "address": c.address,
            "source_channel": c.source_channel,
            "language": c.language,
            "tags": c.tags or [],
            "contact_consent": c.contact_consent,
            "watch_reason": c.watch_reason,
            "lost_note": c.lost_note,
            "owner": user_ref(c.owner),
            "notes": c.notes,
            "assets": [asset_out(a) for a in c.assets.all()],
            "created_at": local(c.created_at, tz),
            "updated_at": local(c.updated_at, tz),
        }
    )
    return out


def detail_qs(user: User) -> QuerySet[Customer]:
    return (
        customers_for(user)
        .select_related("owner")
        .annotate(store_tz=F("store__calendar__timezone"))
        .prefetch_related(Prefetch("assets", queryset=Asset.objects.order_by("id")))
    )


def _search(q: str, viewer: User) -> Q:
    phone = phone_condition(q, viewer)
    if full_phone(q) and phone is not None:
        return phone
    name = Q(name__icontains=q.strip())
    return name | phone if phone is not None else name


def _refs(user: User, sent: dict[str, Any]) -> dict[str, Any]:
    """Turn the store and owner ids of a body into records inside the caller's scope."""
    errors: dict[str, list[str]] = {}
    out = dict(sent)
    if "store" in out:
        store: Store | None = None
        if out["store"] is not None:
            store = stores_for(user).filter(pk=out["store"]).first()
        if store is None:
            errors["store"] = [_("Unknown store.")]
        out["store"] = store
    if "owner" in out and out["owner"] is not None:
        out["owner"] = staff_for(user).filter(pk=out["owner"]).first()
        if out["owner"] is None:
            errors["owner"] = [_("Unknown staff member.")]
    if errors:
        raise ValidationFailed(errors)
    return out


@router.get("/customers", response=CustomerPage, summary="List and search customers")
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]) -> dict[str, Any]:
    user = user_of(request)
    qs = customers_for(user)
    if filters.q and filters.q.strip():
        qs = qs.filter(_search(filters.q, user))
    if filters.store is not None:
        qs = qs.filter(store_id=filters.store)
    if filters.watch_list is not None:
        qs = qs.filter(watch_list=filters.watch_list)
    if filters.lost is True:
        qs = qs.exclude(lost_reason="")
    elif filters.lost is False:
        qs = qs.filter(lost_reason="")
    if filters.lost_reason is not None:
        qs = qs.filter(lost_reason=filters.lost_reason)
    qs = qs.order_by("name", "id")
    rows, total, exact = page(qs, limit=filters.limit, offset=filters.offset)
    return {
        "items": [customer_item(c, user) for c in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.post("/customers", response={201: CustomerDetail}, summary="Create a customer")
def add_customer(request: HttpRequest, payload: CustomerCreate) -> Status[dict[str, Any]]:
    """The phone number is normalised (+86, spaces and dashes removed) and must be unique in
    the organisation."""
    user = user_of(request)
    sent = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if "store" not in sent:
        if user.store_id is None:
            raise ValidationFailed({"store": [_("Choose the customer's store.")]})
        sent["store"] = user.store_id
    fields = _refs(user, sent)
    store = fields.pop("store")
    name = fields.pop("name")
    customer = create_customer(actor=user, store=store, name=name, **fields)
    return Status(201, customer_detail(get_or_404(detail_qs(user), customer.pk), user))


@router.get("/customers/{customer_id}", response=CustomerDetail, summary="Read a customer")
def get_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    user = user_of(request)
    return customer_detail(get_or_404(detail_qs(user), customer_id), user)


@router.patch("/customers/{customer_id}", response=CustomerDetail, summary="Change a customer")
def change_customer(
    request: HttpRequest, customer_id: int, payload: CustomerUpdate
) -> dict[str, Any]:
    """A stale `version` answers 409 and changes nothing. null clears a field."""
    user = user_of(request)
    customer = get_or_404(customers_for(user), customer_id)
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version")
    for key in ("name", "store"):
        if key in sent and sent[key] is None:
            raise ValidationFailed({key: [_("This field cannot be empty.")]})
    update_customer(actor=user, customer=customer, changes=_refs(user, sent), version=version)
    return customer_detail(get_or_404(detail_qs(user), customer_id), user)


@router.post(
    "/customers/{customer_id}/assets", response={201: AssetOut}, summary="Add a vehicle or asset"
)
def add_customer_asset(
    request: HttpRequest, customer_id: int, payload: AssetIn
) -> Status[dict[str, Any]]:
    """A VIN of 17 characters is checked (no I, O, Q; check digit in 9th position)."""
    user = user_of(request)
    customer = get_or_404(customers_for(user), customer_id)
    asset = add_asset(actor=user, customer=customer, **payload.model_dump())
    return Status(201, asset_out(asset))


@router.post(
    "/customers/{customer_id}/lost", response=CustomerDetail, summary="Mark a customer as lost"
)
def mark_lost(request: HttpRequest, customer_id: int, payload: LostIn) -> dict[str, Any]:
    """Record why the customer left; marking again corrects the reason and the note. The
    customer's timeline shows it."""
    user = user_of(request)
    customer = get_or_404(customers_for(user), customer_id)
    mark_customer_lost(
        actor=user,
        customer=customer,
        reason=payload.reason,
        note=payload.note,
        version=payload.version,
    )
    return customer_detail(get_or_404(detail_qs(user), customer_id), user)


@router.delete(
    "/customers/{customer_id}/lost",
    response=CustomerDetail,
    summary="The customer came back: clear the lost mark",
)
def unmark_lost(request: HttpRequest, customer_id: int, note: str = "") -> dict[str, Any]:
    """422 if the customer is not marked as lost."""
    user = user_of(request)
    customer = get_or_404(customers_for(user), customer_id)
    unmark_customer_lost(actor=user, customer=customer, note=note[:2000])
    return customer_detail(get_or_404(detail_qs(user), customer_id), user)


@router.get(
    "/customers/{customer_id}/timeline", response=EventPage, summary="The customer's timeline"
)
def customer_timeline(
    request: HttpRequest, customer_id: int, params: Query[PageParams]
) -> dict[str, Any]:
    """Everything that happened with the customer and their cases, oldest first."""
    user = user_of(request)
    customer = get_or_404(
        customers_for(user).annotate(store_tz=F("store__calendar__timezone")).only("id"),
        customer_id,
    )
    events = AuditEvent.objects.filter(customer_id=customer.pk)
    if not user.is_org_wide:
        # The customer's cases in other stores stay out of sight of store-bound roles.
        events = events.filter(Q(case__isnull=True) | Q(case__in=cases_for(user).values("pk")))
    events = events.select_related("actor").order_by("at", "id")
    rows, total, exact = page(events, limit=params.limit, offset=params.offset)
    tz = getattr(customer, "store_tz", None)
    return {
        "items": [event_out(e, user, tz) for e in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
    }
