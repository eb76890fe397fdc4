"""Importing customers (and one vehicle per row) from a spreadsheet.

Every row is checked first with the same rules as `create_customer` and `add_asset`; then all
good rows are written in one transaction with bulk inserts (100,000 rows in well under a
minute), each customer with one `imported` audit event. With any bad row nothing is written,
unless `skip_bad_rows` is given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation, Store, User
from manyi.audit.models import AuditEvent, EventKind
from manyi.audit.services import diff, json_value
from manyi.core.errors import DomainError, ValidationFailed
from manyi.core.imports import parse
from manyi.core.imports.base import (
    ImportResult,
    Progress,
    Row,
    chunks,
    no_progress,
    rows_of,
)
from manyi.core.imports.bulk import insert_returning_ids
from manyi.core.imports.columns import CUSTOMER_COLUMNS, map_headers
from manyi.core.imports.readers import ImportFileError, read_table
from manyi.customers.choices import AssetKind, Gender, Language, SourceChannel, Tier
from manyi.customers.models import Asset, Customer
from manyi.customers.services import _clean_customer
from manyi.customers.validation import validate_vin

VEHICLE_FIELDS = ("vin", "plate", "model", "purchase_date", "mileage")
TEXT_FIELDS = ("email", "wechat_id", "id_number", "address", "notes", "tags")
CHUNK = 5000


class _Context:
    def __init__(self, organisation: Organisation, default_store: Store | None) -> None:
        self.organisation = organisation
        self.stores = {s.code.lower(): s for s in Store.objects.filter(organisation=organisation)}
        if default_store is None and len(self.stores) == 1:
            default_store = next(iter(self.stores.values()))
        self.default_store = default_store
        self.staff = {
            u.username.lower(): u
            for u in User.objects.filter(organisation=organisation, is_active=True)
        }
        self.taken_phones = set(
            Customer.objects.filter(organisation=organisation)
            .exclude(phone="")
            .values_list("phone", flat=True)
        )
        self.file_phones: dict[str, int] = {}
        self.today = timezone.localdate()


def _check(row: Row, ctx: _Context) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    data: dict[str, Any] = {"name": row.text("name"), "phone": row.text("phone")}
    for f in TEXT_FIELDS:
        if row.has(f):
            data[f] = row.text(f)
    choice_fields = (
        ("gender", Gender, ""),
        ("tier", Tier, Tier.REGULAR),
        ("source_channel", SourceChannel, ""),
        ("language", Language, Language.ZH_HANS),
    )
    for f, choices, default in choice_fields:
        data[f] = row.parsed(f, parse.choice, field=f, choices=choices, default=default)
    data["birthday"] = row.parsed("birthday", parse.date)
    data["contact_consent"] = row.parsed("contact_consent", parse.boolean, default=True)
    code = row.text("store")
    store = ctx.stores.get(code.lower()) if code else ctx.default_store
    if store is None:
        row.error(
            "store",
            _("Unknown store code.") if code else _("Give the store code (or use --store)."),
        )
    data["store"] = store
    username = row.text("owner")
    data["owner"] = ctx.staff.get(username.lower()) if username else None
    if username and data["owner"] is None:
        row.error("owner", _("No active staff member has this user name."))
    try:
        cleaned = _clean_customer(
            {k: v for k, v in data.items() if not row.failed(k)},
            organisation_id=ctx.organisation.pk,
        )
    except ValidationFailed as e:
        for f, messages in e.as_fields().items():
            for message in messages:
                row.error(f, message)
        cleaned = {}
    phone = cleaned.get("phone", "")
    if phone:
        first = ctx.file_phones.setdefault(phone, row.number)
        if first != row.number:
            row.error("phone", _("The same phone number is on row %(row)d.") % {"row": first})
        elif phone in ctx.taken_phones:
            row.error("phone", _("A customer with this phone number already exists."))
    asset = _check_vehicle(row, ctx)
    if row.errors:
        return None
    return cleaned, asset


def _check_vehicle(row: Row, ctx: _Context) -> dict[str, Any] | None:
    if not any(row.text(f) for f in VEHICLE_FIELDS):
        return None
    asset: dict[str, Any] = {"kind": AssetKind.VEHICLE}
    try:
        asset["vin"] = validate_vin(row.text("vin"))
    except DomainError as e:
        row.error("vin", e.message)
    asset["plate"] = row.text("plate").upper()
    asset["model"] = row.text("model")
    for f, limit in (("plate", 20), ("model", 100)):
        if len(asset[f]) > limit:
            row.error(f, _("At most %(n)d characters.") % {"n": limit})
    purchase: dt.date | None = row.parsed("purchase_date", parse.date)
    if purchase is not None and purchase > ctx.today:
        row.error("purchase_date", _("The purchase date is in the future."))
    asset["purchase_date"] = purchase
    mileage: int | None = row.parsed("mileage", parse.integer)
    if mileage is not None and mileage < 0:
        row.error("mileage", _("Mileage cannot be negative."))
    asset["mileage"] = mileage
    if not (asset.get("vin") or asset["plate"] or asset["model"]) and not row.failed("vin"):
        row.error("plate", _("Give at least a plate, a model or a VIN."))
    return asset


def import_customers(
    *,
    path: Path,
    organisation: Organisation,
    actor: User | None = None,
    default_store: Store | None = None,
    skip_bad_rows: bool = False,
    progress: Progress = no_progress,
) -> ImportResult:
    table = read_table(path)
    index, unknown = map_headers(table.headers, CUSTOMER_COLUMNS)
    result = ImportResult("customers", path, rows=len(table.rows), ignored_columns=unknown)
    ctx = _Context(organisation, default_store)
    good: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []
    total = len(table.rows)
    for done, row in enumerate(rows_of(table, index), start=1):
        checked = _check(row, ctx)
        if checked is None:
            result.errors.extend(row.errors)
        else:
            good.append((row.number, *checked))
        if done % 1000 == 0 or done == total:
            progress("check", done, total)
    if result.errors and not skip_bad_rows:
        return result
    result.imported = _write(
        good, organisation=organisation, actor=actor, path=path, progress=progress
    )
    return result


def _write(
    good: list[tuple[int, dict[str, Any], dict[str, Any] | None]],
    *,
    organisation: Organisation,
    actor: User | None,
    path: Path,
    progress: Progress,
) -> int:
    now = timezone.now()
    done = 0
    try:
        with transaction.atomic():
            for chunk in chunks(good, CHUNK):
                customer_rows = []
                for _number, data, _asset in chunk:
                    row = {k: v for k, v in data.items() if k not in ("store", "owner")}
                    row["organisation_id"] = organisation.pk
                    row["store_id"] = data["store"].pk
                    row["owner_id"] = data["owner"].pk if data.get("owner") else None
                    customer_rows.append(row)
                ids = insert_returning_ids(Customer, customer_rows, now=now)
                asset_rows, events = [], []
                for customer_id, (number, data, asset) in zip(ids, chunk, strict=True):
                    changes = diff({}, {f: json_value(v) for f, v in data.items() if f != "store"})
                    if asset is not None:
                        asset_rows.append({**asset, "customer_id": customer_id})
                        label = " ".join(p for p in (asset["plate"], asset["model"]) if p)
                        changes["asset"] = [None, label or asset.get("vin", "")]
                    events.append(
                        {
                            "organisation_id": organisation.pk,
                            "customer_id": customer_id,
                            "actor_id": actor.pk if actor is not None else None,
                            "kind": EventKind.IMPORTED,
                            "message": _("%(file)s, row %(row)d")
                            % {"file": path.name, "row": number},
                            "changes": changes,
                            "at": now,
                        }
                    )
                insert_returning_ids(Asset, asset_rows, now=now)
                insert_returning_ids(AuditEvent, events, now=now)
                done += len(chunk)
                progress("write", done, len(good))
    except IntegrityError as e:
        # Someone added a customer with one of these phone numbers while we were checking.
        raise ImportFileError(
            _("Nothing was imported: the data changed during the import (%(e)s). Try again.")
            % {"e": e}
        ) from e
    return done
