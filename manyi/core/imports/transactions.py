"""Importing customers' transactions (service orders, purchases, visits) from a spreadsheet:
the dealer management system's repair orders, the till's receipts, a visit log.

The customer of a row is found by its Manyi id, its phone, or its name (within the row's
store, else the whole organisation, and only if no other customer has that name there); when
several are given they must name the same customer. The store is the row's, else the
customer's home store.

Every row is checked first with the rules of `record_transaction` (analytics.services): a
date neither in the future nor before 1900, an amount of at least 0 with at most two
decimals; a `reference` (the source system's id) may appear once in the file and once in the
organisation, so that importing the same file again is refused row by row instead of counting
every transaction twice. With any bad row nothing is written, unless `skip_bad_rows`. Good
rows are written in one transaction with bulk inserts (about 100,000 rows in a few seconds),
and the import leaves one `imported` audit event.
"""

from __future__ import annotations

import datetime as dt
import gc
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.accounts.models import Organisation, Store, User
from manyi.analytics.choices import TransactionKind
from manyi.analytics.models import Transaction
from manyi.analytics.services import clean_amount, clean_occurred_on
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.core.errors import DomainError
from manyi.core.imports import parse
from manyi.core.imports.base import ImportResult, Progress, Row, chunks, no_progress
from manyi.core.imports.bulk import insert_returning_ids
from manyi.core.imports.columns import Column, map_headers
from manyi.core.imports.readers import ImportFileError, Table, read_table
from manyi.customers.models import Customer
from manyi.customers.validation import normalise_phone

CHUNK = 20_000  # rows written per bulk insert
CHECK_BLOCK = 10_000  # rows checked, then let go of, at a time
REFERENCE_QUERY = 2_000  # references looked up per query
AMBIGUOUS = -1  # in a name lookup: several customers have the name

TRANSACTION_COLUMNS = [
    Column(
        "customer_id",
        ("客户编号", "客户id", "客户ID"),
        gettext_lazy("Manyi id of the customer (the number in the customer page's address)"),
    ),
    Column(
        "customer_phone",
        ("客户手机", "客户电话", "手机", "电话", "手机号", "联系电话"),
        gettext_lazy("phone of an existing customer"),
    ),
    Column(
        "customer_name",
        ("客户姓名", "客户名称", "姓名", "客户"),
        gettext_lazy(
            "name of an existing customer, the only one of that name in the row's store (or "
            "the organisation); one of customer_id, customer_phone, customer_name is required"
        ),
    ),
    Column(
        "date",
        ("日期", "交易日期", "消费日期", "服务日期", "到店日期", "开单日期", "occurred_on"),
        gettext_lazy("YYYY-MM-DD; not in the future, not before 1900"),
        required=True,
    ),
    Column(
        "amount",
        ("金额", "消费金额", "交易金额", "实收金额", "结算金额"),
        gettext_lazy(
            "yuan, at least 0, two decimals at most (1234.50, ¥1,234.50); empty: 0 for a visit"
        ),
        required=True,
    ),
    Column(
        "store",
        ("门店", "门店代码", "门店名称"),
        gettext_lazy("store code or name; empty: the customer's store"),
    ),
    Column(
        "kind",
        ("类型", "交易类型", "业务类型"),
        gettext_lazy("service_order, purchase, visit (工单/购买/到店); empty: service_order"),
    ),
    Column(
        "reference",
        ("单号", "工单号", "交易编号", "流水号", "小票号", "订单号"),
        gettext_lazy(
            "id in the source system, at most 64 characters; once per organisation: a file "
            "imported again is refused"
        ),
    ),
]

CUSTOMER_FIELDS = ("customer_id", "customer_phone", "customer_name")

# Words for the kind besides the value and its English label.
KIND_WORDS: dict[str, str] = {
    "工单": "service_order", "维修": "service_order", "保养": "service_order",
    "维修保养": "service_order", "服务": "service_order", "售后": "service_order",
    "service": "service_order", "购买": "purchase", "消费": "purchase", "购车": "purchase",
    "销售": "purchase", "购物": "purchase", "sale": "purchase", "到店": "visit",
    "来店": "visit", "到访": "visit", "进店": "visit",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Checked:
    customer_id: int
    store_id: int
    occurred_on: dt.date
    amount: Decimal
    kind: str
    reference: str


class _Good:
    """The good rows column by column, in about 50 bytes a row besides the reference (a list
    of _Checked takes several times as much): millions of rows fit. Days and kinds are
    shared objects."""

    def __init__(self) -> None:
        self.customer_ids = array("q")
        self.store_ids = array("q")
        self.cents = array("q")
        self.days: list[dt.date] = []
        self.kinds: list[str] = []
        self.references: list[str] = []
        self._days: dict[dt.date, dt.date] = {}
        self._kinds = {k: k for k in TransactionKind.values}

    def __len__(self) -> int:
        return len(self.days)

    def append(self, c: _Checked) -> None:
        self.customer_ids.append(c.customer_id)
        self.store_ids.append(c.store_id)
        self.cents.append(int(c.amount * 100))
        self.days.append(self._days.setdefault(c.occurred_on, c.occurred_on))
        self.kinds.append(self._kinds[c.kind])
        self.references.append(c.reference)

    def amount(self, i: int) -> Decimal:
        return Decimal(f"{self.cents[i] // 100}.{self.cents[i] % 100:02d}")

    def rows(self, start: int, stop: int, organisation_id: int) -> list[dict[str, Any]]:
        return [
            {
                "organisation_id": organisation_id,
                "store_id": self.store_ids[i],
                "customer_id": self.customer_ids[i],
                "occurred_on": self.days[i],
                "amount": self.amount(i),
                "kind": self.kinds[i],
                "reference": self.references[i],
            }
            for i in range(start, min(stop, len(self)))
        ]

    def tuples(self, organisation_id: int, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
        """Every row in the order of COPY_COLUMNS."""
        for i in range(len(self)):
            yield (
                organisation_id,
                self.store_ids[i],
                self.customer_ids[i],
                self.days[i],
                self.amount(i),
                self.kinds[i],
                self.references[i],
                now,
            )


@contextmanager
def _no_gc() -> Iterator[None]:
    """Millions of small objects and no reference cycles: the cyclic garbage collector would
    run over and over for nothing (it doubles the time of a million-row import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Context:
    """What rows are checked against, loaded in a few queries: the organisation's stores and
    (as plain ids, not model instances: there may be a million) its customers."""

    def __init__(self, organisation: Organisation, table: Table, index: dict[str, int]) -> None:
        self.today = timezone.localdate()
        stores = list(Store.objects.filter(organisation=organisation))
        self.stores: dict[str, int] = {s.name.lower(): s.pk for s in stores}
        self.stores.update({s.code.lower(): s.pk for s in stores})
        customers = Customer.objects.filter(organisation=organisation)
        self.home_store: dict[int, int] = dict(customers.values_list("id", "store_id"))
        self.by_phone: dict[str, int] = {}
        if "customer_phone" in index:
            self.by_phone = dict(customers.exclude(phone="").values_list("phone", "id"))
        self.by_name: dict[str, int] = {}
        self.by_store_name: dict[tuple[int, str], int] = {}
        if "customer_name" in index:
            for pk, store_id, name in customers.values_list("id", "store_id", "name"):
                key = name.strip()
                self.by_name[key] = AMBIGUOUS if key in self.by_name else pk
                both = (store_id, key)
                self.by_store_name[both] = AMBIGUOUS if both in self.by_store_name else pk
        self.taken_references: set[str] = set()
        if "reference" in index:
            self.taken_references = _taken(organisation, set(_column(table, index["reference"])))
        self.file_references: dict[str, int] = {}


def _taken(organisation: Organisation, wanted: set[str]) -> set[str]:
    """Which of `wanted` the organisation has imported before. A few references are looked
    up; against many (a big file imported again), one pass over the organisation's
    references is faster than thousands of lookups scattered over a big table."""
    wanted.discard("")
    existing = (
        Transaction.objects.filter(organisation=organisation)
        .exclude(reference="")  # the unique index's condition: the index serves the query
        .values_list("reference", flat=True)
    )
    if len(wanted) > 10 * REFERENCE_QUERY:
        return {r for r in existing.iterator(chunk_size=20_000) if r in wanted}
    taken: set[str] = set()
    for chunk in chunks(sorted(wanted), REFERENCE_QUERY):
        taken.update(existing.filter(reference__in=chunk))
    return taken


def _column(table: Table, i: int) -> Iterable[str]:
    for _number, cells in table.rows:
        yield parse.text(cells[i]) if i < len(cells) else ""


def _kind(row: Row) -> str | None:
    word = row.text("kind")
    found = KIND_WORDS.get(word.lower())
    if found is not None:
        return found
    kind: str | None = row.parsed(
        "kind", parse.choice, field="kind", choices=TransactionKind, default="service_order"
    )
    return kind


def _customer(row: Row, ctx: _Context, store_id: int | None) -> int | None:
    """The customer the row names; every identifier given must name the same one."""
    found: list[tuple[str, int]] = []
    raw_id = row.text("customer_id")
    if raw_id:
        pk = row.parsed("customer_id", parse.integer)
        if pk is not None and pk in ctx.home_store:
            found.append(("customer_id", pk))
        elif pk is not None:
            row.error("customer_id", _("No customer of the organisation has this id."))
    raw_phone = row.text("customer_phone")
    try:
        phone = normalise_phone(raw_phone)
    except DomainError as e:
        row.error("customer_phone", e.message)
    else:
        if phone:
            pk = ctx.by_phone.get(phone)
            if pk is None:
                row.error(
                    "customer_phone",
                    _("No customer has this phone number; import the customers first."),
                )
            else:
                found.append(("customer_phone", pk))
    name = row.text("customer_name")
    if name:
        if store_id is not None:
            pk = ctx.by_store_name.get((store_id, name))
            missing = _("No customer of this store has this name.")
        else:
            pk = ctx.by_name.get(name)
            missing = _("No customer has this name.")
        if pk is None:
            row.error("customer_name", missing)
        elif pk == AMBIGUOUS:
            row.error(
                "customer_name",
                _("Several customers have this name; give the phone or the customer id."),
            )
        else:
            found.append(("customer_name", pk))
    if not (raw_id or raw_phone or name):
        row.error(
            next(f for f in CUSTOMER_FIELDS if row.has(f)),
            _("Give the customer: id, phone or name."),
        )
        return None
    if len(found) < (bool(raw_id) + bool(raw_phone) + bool(name)):
        return None  # an identifier given is wrong: reported above
    first_field, customer_id = found[0]
    for field, pk in found[1:]:
        if pk != customer_id:
            row.error(
                field,
                _("%(a)s and %(b)s name different customers.") % {"a": first_field, "b": field},
            )
            return None
    return customer_id


def _check(row: Row, ctx: _Context) -> _Checked | None:
    code = row.text("store")
    store_id = ctx.stores.get(code.lower()) if code else None
    if code and store_id is None:
        row.error("store", _("Unknown store code or name."))
    customer_id = _customer(row, ctx, store_id)
    if store_id is None and customer_id is not None:
        store_id = ctx.home_store[customer_id]
    occurred_on: dt.date | None = row.parsed("date", parse.date)
    if occurred_on is None and not row.failed("date"):
        row.error("date", _("A date is required."))
    elif occurred_on is not None:
        try:
            clean_occurred_on(occurred_on, today=ctx.today)
        except DomainError as e:
            row.error("date", e.message)
    kind = _kind(row)
    amount: Decimal | None = None
    raw_amount = row.text("amount")
    if raw_amount:
        try:
            amount = clean_amount(raw_amount)
        except DomainError as e:
            row.error("amount", e.message)
    elif kind == TransactionKind.VISIT:
        amount = Decimal("0.00")
    else:
        row.error("amount", _("An amount is required (it may be empty only for a visit)."))
    reference = row.text("reference")
    if reference:
        first = ctx.file_references.setdefault(reference, row.number)
        if len(reference) > 64:
            row.error("reference", _("At most %(n)d characters.") % {"n": 64})
        elif first != row.number:
            row.error("reference", _("The same reference is on row %(row)d.") % {"row": first})
        elif reference in ctx.taken_references:
            row.error(
                "reference",
                _(
                    "A transaction with this reference was imported before; nothing is imported "
                    "twice."
                ),
            )
    if row.errors:
        return None
    assert customer_id is not None and store_id is not None
    assert occurred_on is not None and amount is not None and kind is not None
    return _Checked(customer_id, store_id, occurred_on, amount, kind, reference)


def import_transactions(
    *,
    path: Path,
    organisation: Organisation,
    actor: User | None = None,
    skip_bad_rows: bool = False,
    progress: Progress = no_progress,
) -> ImportResult:
    with _no_gc():
        table = read_table(path)
        index, unknown = map_headers(table.headers, TRANSACTION_COLUMNS)
        if not any(f in index for f in CUSTOMER_FIELDS):
            raise ImportFileError(
                _("Required columns are missing: one of %(cols)s.")
                % {"cols": ", ".join(CUSTOMER_FIELDS)}
            )
        total = len(table.rows)
        result = ImportResult("transactions", path, rows=total, ignored_columns=unknown)
        good = _check_all(table, index, _Context(organisation, table, index), result, progress)
        if result.errors and not skip_bad_rows:
            return result
        result.imported = _write(
            good, organisation=organisation, actor=actor, path=path, progress=progress
        )
    return result


def _check_all(
    table: Table, index: dict[str, int], ctx: _Context, result: ImportResult, progress: Progress
) -> _Good:
    """Check every row, in order; each block of rows is let go once checked, so that the
    file's cells and the good rows are not held at full size together."""
    good = _Good()
    total = len(table.rows)
    done = 0
    while table.rows:
        block = table.rows[:CHECK_BLOCK]
        del table.rows[:CHECK_BLOCK]
        for number, cells in block:
            row = Row(number, cells, table, index)
            checked = _check(row, ctx)
            if checked is None:
                result.errors.extend(row.errors)
            else:
                good.append(checked)
        done += len(block)
        progress("check", done, total)
    return good


def _write(
    good: _Good,
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
            if connection.vendor == "postgresql":
                done = _copy(good, organisation_id=organisation.pk, now=now, progress=progress)
            else:
                for start in range(0, len(good), CHUNK):
                    rows = good.rows(start, start + CHUNK, organisation.pk)
                    insert_returning_ids(Transaction, rows, now=now)
                    done += len(rows)
                    progress("write", done, len(good))
            record_event(
                organisation_id=organisation.pk,
                kind=EventKind.IMPORTED,
                actor=actor,
                message=_("%(n)d transactions imported from %(file)s")
                % {"n": done, "file": path.name},
                changes={"transactions": [0, done]},
                at=now,
            )
    except IntegrityError as e:
        # A transaction with one of these references was recorded while we were checking.
        raise ImportFileError(
            _("Nothing was imported: the data changed during the import (%(e)s). Try again.")
            % {"e": e}
        ) from e
    return done


COPY_COLUMNS = (
    "organisation_id", "store_id", "customer_id", "occurred_on", "amount", "kind", "reference",
    "created_at",
)  # fmt: skip


def _copy(good: _Good, *, organisation_id: int, now: dt.datetime, progress: Progress) -> int:
    """PostgreSQL: one COPY, twice as fast as INSERT … SELECT from JSON (about 100,000 rows a
    second here) and the same typed values."""
    quote = connection.ops.quote_name
    # Only the quoted names of the model's table and columns go into the statement.
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(Transaction._meta.db_table), ", ".join(quote(c) for c in COPY_COLUMNS)
    )
    done = 0
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in good.tuples(organisation_id, now):
            copy.write_row(row)
            done += 1
            if done % CHUNK == 0:
                progress("write", done, len(good))
    progress("write", done, len(good))
    return done
