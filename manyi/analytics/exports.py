"""Any analytics table as CSV (UTF-8 with a BOM, so that Excel opens Chinese) or XLSX.

A table is (header, rows); cells are text, numbers, dates or None (an empty cell). Text goes
through `safe` so that a spreadsheet never runs a cell as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from manyi.core.exports import safe_cell

Table = tuple[list[str], list[list[Any]]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(value)


def csv_response(filename: str, table: Table) -> HttpResponse:
    header, rows = table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return response


def xlsx_response(filename: str, sheet: str, table: Table) -> HttpResponse:
    header, rows = table
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    ws.append([safe_cell(v) for v in header])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def write(fmt: str, filename: str, sheet: str, table: Table) -> HttpResponse:
    """The table in `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        return xlsx_response(filename, sheet, table)
    return csv_response(filename, table)


# --- the tables of the pages ----------------------------------------------------------------


def controls_table(rows: list[Any], *, first: str, with_month: bool = False) -> Table:
    """Rows of selectors.Row: the three controls with their n."""
    header = [first]
    if with_month:
        header.append(_("Month"))
    header += [
        _("Complaints"),
        _("Services"),
        _("Complaints per 100 services"),
        _("Follow-ups and messages missed"),
        _("Follow-ups and messages due"),
        _("Omission rate (%)"),
        _("Dissatisfied answers"),
        _("Answers"),
        _("Dissatisfaction rate (%)"),
    ]
    out: list[list[Any]] = []
    for r in rows:
        line: list[Any] = [r.label]
        if with_month:
            line.append(f"{r.month:%Y-%m}")
        line += [
            r.complaints,
            r.services,
            r.complaint_rate,
            r.missed,
            r.due,
            r.omission_rate,
            r.dissatisfied,
            r.responses,
            r.dissatisfaction_rate,
        ]
        out.append(line)
    return header, out


def lost_table(rows: list[Any]) -> Table:
    header = [_("Switching reason"), _("Lost customers"), _("Share (%)"), _("Cumulative (%)")]
    return header, [[r.label, r.count, r.share, r.cumulative] for r in rows]


def recovery_table(rows: list[Any], *, first: str) -> Table:
    """Rows of selectors.CostRow: actions and their cost in yuan."""
    header = [first, _("Actions"), _("Cost (yuan)")]
    return header, [[r.label, r.n, r.yuan] for r in rows]
