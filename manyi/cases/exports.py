"""The case list as CSV or XLSX: the same scope and filters as the page, phones masked for
people without the personal-data permission. Rows are streamed, never held all at once."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.core.exports import safe
from manyi.core.scoping import mask_phone

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from manyi.accounts.models import User
    from manyi.cases.models import Case

CHUNK = 2000


def headers() -> list[str]:
    return [
        _("Number"),
        _("Received at"),
        _("Store"),
        _("Customer"),
        _("Phone"),
        _("Vehicle"),
        _("Channel"),
        _("Category"),
        _("Severity"),
        _("Status"),
        _("Owner"),
        _("Next due"),
        _("Breached"),
        _("About to breach"),
        _("Summary"),
    ]


def _time(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def rows(qs: QuerySet[Case], *, user: User) -> Iterator[list[str]]:
    """One list of strings per case, in the current language."""
    unmasked = user.can_view_personal_data
    yes, no = _("yes"), _("no")
    for case in qs.iterator(chunk_size=CHUNK):
        phone = case.customer.phone
        yield [
            case.number,
            _time(case.received_at),
            case.store.name,
            case.customer.name,
            phone if unmasked else mask_phone(phone),
            str(case.asset) if case.asset_id and case.asset else "",
            str(case.get_channel_display()),
            case.category.label(),
            str(case.get_severity_display()),
            str(case.get_status_display()),
            str(case.owner),
            _time(case.next_due_at),
            yes if getattr(case, "is_breached", False) else no,
            yes if getattr(case, "is_due_soon", False) else no,
            case.summary,
        ]


def _filename(ext: str) -> str:
    return f"cases-{timezone.localtime():%Y%m%d-%H%M}.{ext}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(qs: QuerySet[Case], *, user: User, language: str | None = None) -> Iterable[str]:
    """CSV text line by line; `language` keeps the labels in the request's language while the
    response streams after the view has returned."""
    writer = csv.writer(_Echo())
    with translation.override(language or translation.get_language()):
        yield "\ufeff"  # a byte-order mark so Excel opens UTF-8 Chinese correctly
        yield writer.writerow(headers())
        for row in rows(qs, user=user):
            yield writer.writerow([safe(v) for v in row])


def csv_response(qs: QuerySet[Case], *, user: User) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (
            line.encode("utf-8")
            for line in csv_lines(qs, user=user, language=translation.get_language())
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def xlsx_bytes(qs: QuerySet[Case], *, user: User) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]  # openpyxl ships no stubs

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Cases"))
    ws.append(headers())
    for row in rows(qs, user=user):
        ws.append([safe(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(qs: QuerySet[Case], *, user: User) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(qs, user=user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response
