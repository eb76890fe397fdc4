"""Importing complaint cases from a spreadsheet (a paper register, a previous system).

Every row is checked first; then each case is created through `create_case` (so it gets its
SLA policy and clocks) and moved to the status given, all in one transaction. With any bad
row nothing is written, unless `skip_bad_rows` is given.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation, Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.choices import (
    Channel,
    ComplainerType,
    Nature,
    Outcome,
    RootCause,
    Severity,
    Status,
)
from manyi.cases.models import Case, Category
from manyi.cases.services import change_status, create_case
from manyi.core.errors import DomainError
from manyi.core.imports import parse
from manyi.core.imports.base import ImportResult, Progress, Row, no_progress, rows_of
from manyi.core.imports.columns import CASE_COLUMNS, map_headers
from manyi.core.imports.readers import read_table
from manyi.core.models import Counter
from manyi.customers.models import Customer
from manyi.customers.validation import normalise_phone

# How to reach each status from `new` with allowed transitions.
STATUS_PATH: dict[str, list[str]] = {
    Status.NEW: [],
    Status.ACKNOWLEDGED: [Status.ACKNOWLEDGED],
    Status.IN_PROGRESS: [Status.IN_PROGRESS],
    Status.WAITING_CUSTOMER: [Status.WAITING_CUSTOMER],
    Status.WAITING_THIRD_PARTY: [Status.WAITING_THIRD_PARTY],
    Status.RESOLVED: [Status.RESOLVED],
    Status.CLOSED: [Status.RESOLVED, Status.CLOSED],
}


@dataclass
class _Case:
    row: int
    number: str
    customer: Customer
    store: Store
    owner: User
    status: str
    fields: dict[str, Any]
    learning: dict[str, str]


class _Context:
    def __init__(self, organisation: Organisation, actor: User, now: dt.datetime) -> None:
        self.organisation = organisation
        self.actor = actor
        self.now = now
        self.stores = {s.code.lower(): s for s in Store.objects.filter(organisation=organisation)}
        self.staff = {
            u.username.lower(): u
            for u in User.objects.filter(organisation=organisation, is_active=True)
        }
        self.categories: dict[str, Category] = {}
        for c in Category.objects.filter(organisation=organisation, active=True):
            for key in (c.name_en.lower(), c.name_zh, c.code.lower()):
                self.categories[key] = c
        self.customers = {
            c.phone: c
            for c in Customer.objects.filter(organisation=organisation)
            .exclude(phone="")
            .select_related("store")
        }
        self.taken_numbers = set(
            Case.objects.filter(organisation=organisation).values_list("number", flat=True)
        )
        self.file_numbers: dict[str, int] = {}


def _check(row: Row, ctx: _Context) -> _Case | None:
    customer = None
    try:
        phone = normalise_phone(row.text("customer_phone"))
    except DomainError as e:
        row.error("customer_phone", e.message)
    else:
        customer = ctx.customers.get(phone)
        if customer is None:
            reason = (
                _("A phone number is required.")
                if not phone
                else _("No customer has this phone number; import the customers first.")
            )
            row.error("customer_phone", reason)
    code = row.text("store")
    store = ctx.stores.get(code.lower()) if code else (customer.store if customer else None)
    if code and store is None:
        row.error("store", _("Unknown store code."))
    fields: dict[str, Any] = {}
    for f, choices, default in (
        ("channel", Channel, ""),
        ("severity", Severity, Severity.NORMAL),
        ("nature", Nature, Nature.PROBLEM_SOLVING),
        ("complainer_type", ComplainerType, ComplainerType.VOICER),
    ):
        fields[f] = row.parsed(f, parse.choice, field=f, choices=choices, default=default)
    if fields["channel"] == "":
        row.error("channel", _("A channel is required."))
    category_text = row.text("category")
    fields["category"] = ctx.categories.get(category_text) or ctx.categories.get(
        category_text.lower()
    )
    if fields["category"] is None:
        row.error(
            "category",
            _("Unknown category.") if category_text else _("A category is required."),
        )
    summary = row.text("summary")
    if not summary:
        row.error("summary", _("A summary is required."))
    elif len(summary) > 200:
        row.error(
            "summary", _("At most 200 characters (this one has %(n)d).") % {"n": len(summary)}
        )
    fields["summary"] = summary
    fields["description"] = row.text("description")
    received = row.parsed("received_at", parse.datetime)
    if received is not None and received > ctx.now + dt.timedelta(minutes=5):
        row.error("received_at", _("The complaint cannot be received in the future."))
    fields["received_at"] = received or ctx.now
    username = row.text("owner")
    owner = ctx.staff.get(username.lower()) if username else ctx.actor
    if owner is None:
        row.error("owner", _("No active staff member has this user name."))
    status = row.parsed("status", parse.choice, field="status", choices=Status, default=Status.NEW)
    learning = _learning(row, status)
    number = row.text("number")
    if number:
        first = ctx.file_numbers.setdefault(number, row.number)
        if len(number) > 30:
            row.error("number", _("At most %(n)d characters.") % {"n": 30})
        elif first != row.number:
            row.error("number", _("The same case number is on row %(row)d.") % {"row": first})
        elif number in ctx.taken_numbers:
            row.error("number", _("A case with this number exists."))
    if row.errors:
        return None
    assert customer is not None and store is not None and owner is not None
    return _Case(row.number, number, customer, store, owner, status, fields, learning)


def _learning(row: Row, status: str | None) -> dict[str, str]:
    """The optional outcome and root-cause columns. Old cases may lack them (they are
    imported with `require_learning=False`); an open case cannot have them."""
    values = {
        "outcome": row.parsed(
            "outcome", parse.choice, field="outcome", choices=Outcome, default=""
        ),
        "root_cause": row.parsed(
            "root_cause", parse.choice, field="root_cause", choices=RootCause, default=""
        ),
        "root_cause_note": row.text("root_cause_note"),
        "corrective_action": row.text("corrective_action"),
    }
    if status is None or status in (Status.RESOLVED, Status.CLOSED):
        return {k: v for k, v in values.items() if v}
    for name, value in values.items():
        if value:
            row.error(name, _("Only a resolved or closed case has this; leave it empty."))
    return {}


def import_cases(
    *,
    path: Path,
    organisation: Organisation,
    actor: User,
    skip_bad_rows: bool = False,
    progress: Progress = no_progress,
    now: dt.datetime | None = None,
) -> ImportResult:
    now = now or timezone.now()
    table = read_table(path)
    index, unknown = map_headers(table.headers, CASE_COLUMNS)
    result = ImportResult("cases", path, rows=len(table.rows), ignored_columns=unknown)
    ctx = _Context(organisation, actor, now)
    good: list[_Case] = []
    total = len(table.rows)
    for done, row in enumerate(rows_of(table, index), start=1):
        checked = _check(row, ctx)
        if checked is None:
            result.errors.extend(row.errors)
        else:
            good.append(checked)
        if done % 200 == 0 or done == total:
            progress("check", done, total)
    if result.errors and not skip_bad_rows:
        return result
    with transaction.atomic():
        # Kept numbers first, so that numbers given out meanwhile never take one of them.
        for item in good:
            if item.number:
                _advance_counter(organisation, item.number)
        for done, item in enumerate(good, start=1):
            _write(item, ctx, path)
            if done % 50 == 0 or done == len(good):
                progress("write", done, len(good))
    result.imported = len(good)
    return result


_NUMBER = re.compile(r"^(?P<prefix>.*?)(?P<year>\d{4})-(?P<seq>\d+)$")


def _write(item: _Case, ctx: _Context, path: Path) -> None:
    case = create_case(
        actor=ctx.actor,
        customer=item.customer,
        store=item.store,
        owner=item.owner,
        now=ctx.now,
        **item.fields,
    )
    note = _("Imported from %(file)s, row %(row)d.") % {"file": path.name, "row": item.row}
    if item.number:
        Case.objects.filter(pk=case.pk).update(number=item.number)
        case.number = item.number
    for status in STATUS_PATH[item.status]:
        # Old cases often lack an outcome or root cause: what the file has is kept, nothing
        # is demanded (require_learning=False). All of it goes in with the resolution.
        learning = item.learning if status == Status.RESOLVED else {}
        case = change_status(
            actor=ctx.actor,
            case=case,
            status=status,
            note=note,
            now=ctx.now,
            require_learning=False,
            outcome=learning.get("outcome", ""),
            root_cause=learning.get("root_cause", ""),
            root_cause_note=learning.get("root_cause_note", ""),
            corrective_action=learning.get("corrective_action", ""),
        )
    record_event(
        organisation_id=ctx.organisation.pk,
        kind=EventKind.IMPORTED,
        actor=ctx.actor,
        case=case,
        message=note,
        at=ctx.now,
    )


def _advance_counter(org: Organisation, number: str) -> None:
    """A kept number in the organisation's own pattern (TS2025-000123) moves the counter past
    it, so that later cases never get the same number."""
    m = _NUMBER.match(number)
    if m is None or m["prefix"] != org.case_prefix:
        return
    counter, _created = Counter.objects.get_or_create(organisation=org, key=f"case-{m['year']}")
    Counter.objects.filter(pk=counter.pk).update(value=Greatest(F("value"), int(m["seq"])))
