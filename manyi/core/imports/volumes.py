"""Importing stores' monthly service volumes (how many service orders or visits a store had in
a month) from a spreadsheet: the complaint rate's denominator, complaints per 100 services,
for organisations that do not import every service order as a transaction.

One row per store and month. A month already imported for a store is **replaced** by the
file's count (a corrected report is simply imported again); the same store and month twice
in one file is a row error. Every row is checked first; with any bad row nothing is written,
unless `skip_bad_rows`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.accounts.models import Organisation, Store, User
from manyi.analytics.models import StoreVolume
from manyi.analytics.services import clean_month, clean_services
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.core.errors import DomainError
from manyi.core.imports import parse
from manyi.core.imports.base import ImportResult, Progress, Row, chunks, no_progress, rows_of
from manyi.core.imports.columns import Column, map_headers
from manyi.core.imports.readers import Cell, read_table

CHUNK = 2000

VOLUME_COLUMNS = [
    Column("store", ("门店", "门店代码", "门店名称"), gettext_lazy("store code or name"), True),
    Column(
        "month",
        ("月份", "月", "年月", "统计月份"),
        gettext_lazy("YYYY-MM (2026-03, 2026年3月), or any date of the month"),
        required=True,
    ),
    Column(
        "services",
        ("服务量", "服务次数", "台次", "进厂台次", "来店台次", "工单数", "到店人次", "客流量"),
        gettext_lazy("service orders or visits in the month: a whole number, at least 0"),
        required=True,
    ),
]

_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


@dataclass
class VolumeImportResult(ImportResult):
    replaced: int = 0  # of the imported rows, how many replaced a count imported before


def month(cell: Cell | None) -> dt.date | None:
    """The first day of the month a cell names: “2026-03”, “2026/3”, “2026年3月”, “202603”,
    or any date (an Excel date cell, “2026-03-15”)."""
    if isinstance(cell, dt.date):
        return (cell.date() if isinstance(cell, dt.datetime) else cell).replace(day=1)
    value = parse.text(cell)
    if not value:
        return None
    m = _MONTH.match(value) or re.match(r"^(\d{4})(\d{2})$", value)
    if m:
        if 1 <= int(m.group(2)) <= 12:
            return dt.date(int(m.group(1)), int(m.group(2)), 1)
        raise parse.BadCell(_("Not a month; write it as YYYY-MM."))
    try:
        day = parse.date(value)
    except parse.BadCell:
        raise parse.BadCell(_("Not a month; write it as YYYY-MM.")) from None
    assert day is not None
    return day.replace(day=1)


class _Context:
    def __init__(self, organisation: Organisation) -> None:
        self.today = timezone.localdate()
        stores = list(Store.objects.filter(organisation=organisation))
        self.stores: dict[str, int] = {s.name.lower(): s.pk for s in stores}
        self.stores.update({s.code.lower(): s.pk for s in stores})
        self.seen: dict[tuple[int, dt.date], int] = {}


def _check(row: Row, ctx: _Context) -> tuple[int, dt.date, int] | None:
    code = row.text("store")
    store_id = ctx.stores.get(code.lower()) if code else None
    if store_id is None:
        row.error("store", _("Unknown store code or name.") if code else _("Give the store."))
    first: dt.date | None = row.parsed("month", month)
    if first is None and not row.failed("month"):
        row.error("month", _("A month is required."))
    elif first is not None:
        try:
            clean_month(first, today=ctx.today)
        except DomainError as e:
            row.error("month", e.message)
    services: int | None = row.parsed("services", parse.integer)
    if services is None and not row.failed("services"):
        row.error("services", _("The number of services is required."))
    elif services is not None:
        try:
            clean_services(services)
        except DomainError as e:
            row.error("services", e.message)
    if store_id is not None and first is not None and not row.failed("month"):
        seen = ctx.seen.setdefault((store_id, first), row.number)
        if seen != row.number:
            row.error(
                "month",
                _("The same store and month are on row %(row)d.") % {"row": seen},
            )
    if row.errors:
        return None
    assert store_id is not None and first is not None and services is not None
    return store_id, first, services


def import_volumes(
    *,
    path: Path,
    organisation: Organisation,
    actor: User | None = None,
    skip_bad_rows: bool = False,
    progress: Progress = no_progress,
) -> VolumeImportResult:
    table = read_table(path)
    index, unknown = map_headers(table.headers, VOLUME_COLUMNS)
    result = VolumeImportResult("volumes", path, rows=len(table.rows), ignored_columns=unknown)
    ctx = _Context(organisation)
    good: list[tuple[int, dt.date, int]] = []
    total = len(table.rows)
    for done, row in enumerate(rows_of(table, index), start=1):
        checked = _check(row, ctx)
        if checked is None:
            result.errors.extend(row.errors)
        else:
            good.append(checked)
        if done % 1000 == 0 or done == total:
            progress("check", done, total)
    if result.errors and not skip_bad_rows:
        return result
    now = timezone.now()
    with transaction.atomic():
        existing = set(
            StoreVolume.objects.filter(
                organisation=organisation, month__in={m for _s, m, _n in good}
            ).values_list("store_id", "month")
        )
        result.replaced = sum((s, m) in existing for s, m, _n in good)
        for chunk in chunks(good, CHUNK):
            StoreVolume.objects.bulk_create(
                [
                    StoreVolume(
                        organisation_id=organisation.pk,
                        store_id=store_id,
                        month=first,
                        services=services,
                        updated_at=now,
                    )
                    for store_id, first, services in chunk
                ],
                update_conflicts=True,
                unique_fields=["store", "month"],
                update_fields=["services", "updated_at"],
            )
            result.imported += len(chunk)
            progress("write", result.imported, len(good))
        record_event(
            organisation_id=organisation.pk,
            kind=EventKind.IMPORTED,
            actor=actor,
            message=_("%(n)d monthly store volumes imported from %(file)s (%(replaced)d replaced)")
            % {"n": result.imported, "file": path.name, "replaced": result.replaced},
            changes={"store_volumes": [0, result.imported]},
            at=now,
        )
    return result
