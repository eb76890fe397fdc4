"""Writes to customers and their assets. Every change is in the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import diff, record_event, snapshot
from manyi.core.errors import ConflictError, DomainError, ValidationFailed
from manyi.customers.choices import (
    AssetKind,
    Gender,
    Language,
    SourceChannel,
    SwitchingReason,
    Tier,
)
from manyi.customers.models import Asset, Customer
from manyi.customers.validation import normalise_phone, validate_vin

CUSTOMER_FIELDS = (
    "name",
    "phone",
    "email",
    "wechat_id",
    "gender",
    "birthday",
    "id_number",
    "address",
    "source_channel",
    "tier",
    "language",
    "tags",
    "contact_consent",
    "watch_list",
    "watch_reason",
    "owner",
    "notes",
    "store",
)


def _clean_customer(data: dict[str, Any], *, organisation_id: int) -> dict[str, Any]:
    """Normalise and validate customer fields; raise ValidationFailed with every bad field."""
    errors: dict[str, list[str]] = {}
    out = dict(data)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            errors["name"] = [_("A name is required.")]
        elif len(out["name"]) > 100:
            errors["name"] = [_("At most 100 characters.")]
    if "phone" in out:
        try:
            out["phone"] = normalise_phone(out["phone"] or "")
        except DomainError as e:
            errors["phone"] = [e.message]
    choice_fields = {"gender": Gender, "tier": Tier, "source_channel": SourceChannel}
    for field, choices in choice_fields.items():
        if field in out and out[field] not in (None, "") and out[field] not in choices.values:
            errors[field] = [_("Not one of the allowed values.")]
        if field in out and out[field] is None:
            out[field] = "" if field != "tier" else Tier.REGULAR
    if "language" in out:
        if out["language"] in (None, ""):
            out["language"] = Language.ZH_HANS
        elif out["language"] not in Language.values:
            errors["language"] = [_("Not one of the allowed values.")]
    if "tags" in out:
        tags = out["tags"] or []
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.replace("，", ",").split(",")]
        out["tags"] = [t for t in tags if t]
    if out.get("watch_list") and not (out.get("watch_reason") or "").strip():
        errors["watch_reason"] = [_("Say why the customer is on the watch list.")]
    for field, limit in (
        ("address", 300),
        ("wechat_id", 64),
        ("id_number", 18),
        ("watch_reason", 300),
    ):
        if field in out and out[field] is not None and len(str(out[field])) > limit:
            errors[field] = [_("At most %(n)d characters.") % {"n": limit}]
        if field in out and out[field] is None:
            out[field] = ""
    for field in ("email", "notes"):
        if field in out and out[field] is None:
            out[field] = ""
    if out.get("email"):
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(out["email"])
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    birthday = out.get("birthday")
    if isinstance(birthday, dt.date) and birthday > dt.date.today():
        errors["birthday"] = [_("The birthday is in the future.")]
    store = out.get("store")
    if store is not None and store.organisation_id != organisation_id:
        errors["store"] = [_("Unknown store.")]
    owner = out.get("owner")
    if owner is not None and owner.organisation_id != organisation_id:
        errors["owner"] = [_("Unknown staff member.")]
    if errors:
        raise ValidationFailed(errors)
    return out


def _phone_taken(organisation_id: int, phone: str, exclude: int | None = None) -> bool:
    if not phone:
        return False
    qs = Customer.objects.filter(organisation_id=organisation_id, phone=phone)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


@transaction.atomic
def create_customer(*, actor: User | None, store: Store, name: str, **fields: Any) -> Customer:
    """Create a customer in `store`'s organisation; the phone must be unique there."""
    organisation_id = store.organisation_id
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field."), field=sorted(unknown)[0])
    data = _clean_customer(
        {"name": name, **fields, "store": store}, organisation_id=organisation_id
    )
    if _phone_taken(organisation_id, data.get("phone", "")):
        raise DomainError(_("A customer with this phone number already exists."), field="phone")
    try:
        with transaction.atomic():
            customer = Customer.objects.create(organisation_id=organisation_id, **data)
    except IntegrityError as e:
        raise DomainError(
            _("A customer with this phone number already exists."), field="phone"
        ) from e
    record_event(
        organisation_id=organisation_id,
        kind=EventKind.CREATED,
        actor=actor,
        customer=customer,
        changes=diff({}, snapshot(customer, [f for f in data if f != "store"])),
    )
    return customer


@transaction.atomic
def update_customer(
    *, actor: User | None, customer: Customer, changes: dict[str, Any], version: int | None = None
) -> Customer:
    """Change fields of a customer. With `version`, refuse if someone saved it in between."""
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field."), field=sorted(unknown)[0])
    data = _clean_customer(changes, organisation_id=customer.organisation_id)
    if "phone" in data and _phone_taken(customer.organisation_id, data["phone"], customer.pk):
        raise DomainError(_("A customer with this phone number already exists."), field="phone")
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if version is not None and current.version != version:
        raise ConflictError(
            _("Someone else saved this customer after you opened it. Reload and try again.")
        )
    before = snapshot(current, data.keys())
    for field, value in data.items():
        setattr(current, field, value)
    after = snapshot(current, data.keys())
    changed = diff(before, after)
    if not changed:
        return current
    current.version += 1
    current.save()
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        customer=current,
        changes=changed,
    )
    return current


@transaction.atomic
def add_asset(
    *,
    actor: User | None,
    customer: Customer,
    kind: str = AssetKind.VEHICLE,
    vin: str = "",
    plate: str = "",
    model: str = "",
    purchase_date: dt.date | None = None,
    mileage: int | None = None,
) -> Asset:
    errors: dict[str, list[str]] = {}
    if kind not in AssetKind.values:
        errors["kind"] = [_("Not one of the allowed values.")]
    try:
        vin = validate_vin(vin)
    except DomainError as e:
        errors["vin"] = [e.message]
    if mileage is not None and mileage < 0:
        errors["mileage"] = [_("Mileage cannot be negative.")]
    if purchase_date is not None and purchase_date > dt.date.today():
        errors["purchase_date"] = [_("The purchase date is in the future.")]
    if len(plate) > 20:
        errors["plate"] = [_("At most %(n)d characters.") % {"n": 20}]
    if len(model) > 100:
        errors["model"] = [_("At most %(n)d characters.") % {"n": 100}]
    if not (vin or plate or model):
        errors["plate"] = [_("Give at least a plate, a model or a VIN.")]
    if errors:
        raise ValidationFailed(errors)
    asset = Asset.objects.create(
        customer=customer,
        kind=kind,
        vin=vin,
        plate=plate.strip().upper(),
        model=model.strip(),
        purchase_date=purchase_date,
        mileage=mileage,
    )
    record_event(
        organisation_id=customer.organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        customer=customer,
        changes={"asset": [None, str(asset)]},
    )
    return asset


def _locked_customer(customer: Customer, version: int | None) -> Customer:
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if version is not None and current.version != version:
        raise ConflictError(
            _("Someone else saved this customer after you opened it. Reload and try again.")
        )
    return current


@transaction.atomic
def mark_customer_lost(
    *,
    actor: User | None,
    customer: Customer,
    reason: str,
    note: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Customer:
    """Record that the customer left, with one of Keaveney's eight switching reasons (learn
    from lost customers, DOMAIN.md §3). Marking again corrects the reason and the note; the
    date the customer was lost stays."""
    now = now or timezone.now()
    if reason not in SwitchingReason.values:
        message = (
            _("Choose why the customer left.")
            if not reason
            else _("Not one of the allowed values.")
        )
        raise DomainError(message, field="reason")
    note = (note or "").strip()
    current = _locked_customer(customer, version)
    before = current.lost_reason or None
    if before == reason and current.lost_note == note:
        return current
    current.lost_reason = reason
    current.lost_note = note
    if current.lost_at is None:
        current.lost_at = now
    current.version += 1
    current.save(update_fields=["lost_reason", "lost_note", "lost_at", "version", "updated_at"])
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.LOST,
        actor=actor,
        customer=current,
        message=note,
        changes={"lost_reason": [before, reason]},
        at=now,
    )
    return current


@transaction.atomic
def unmark_customer_lost(
    *,
    actor: User | None,
    customer: Customer,
    note: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Customer:
    """The customer came back (or was marked lost by mistake): clear the switching reason."""
    now = now or timezone.now()
    current = _locked_customer(customer, version)
    if not current.lost_reason and current.lost_at is None:
        raise DomainError(_("The customer is not marked as lost."), field="reason")
    before = current.lost_reason or None
    current.lost_reason = ""
    current.lost_note = ""
    current.lost_at = None
    current.version += 1
    current.save(update_fields=["lost_reason", "lost_note", "lost_at", "version", "updated_at"])
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        customer=current,
        message=(note or "").strip(),
        changes={"lost_reason": [before, None]},
        at=now,
    )
    return current
