"""Every table of the results page as CSV (UTF-8 with a BOM, so Excel opens Chinese) or
XLSX (openpyxl), and the raw responses with one column per question.

A table is (header, rows); `TABLES` names them as the export URL's `table` parameter."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from manyi.accounts.models import User
from manyi.core.exports import safe_cell
from manyi.core.scoping import mask_phone
from manyi.surveys.definition import Definition
from manyi.surveys.models import Survey
from manyi.surveys.results import labels
from manyi.surveys.results.figures import (
    BreakdownRow,
    Change,
    SurveyResults,
)
from manyi.surveys.results.frame import (
    ResultFilters,
    answer_columns,
    response_rows,
)

Table = tuple[list[str], list[list[Any]]]


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _yes(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def _change_cells(change: Change | None, digits: int = 2) -> list[Any]:
    if change is None:
        return [None, None, None, None, ""]
    return [
        _r(change.previous, digits),
        change.previous_n,
        _r(change.difference, digits),
        _r(change.p_value, 4),
        _yes(change.significant),
    ]


# --- the tables -------------------------------------------------------------------------------


def summary(results: SurveyResults) -> Table:
    header = [
        _("Figure"),
        _("Value"),
        # xgettext:no-python-format
        _("Lower 95% limit"),
        # xgettext:no-python-format
        _("Upper 95% limit"),
        _("n"),
        _("Fewer answers than the minimum"),
        _("Comparison period"),
        _("n in the comparison period"),
        pgettext("period change", "Change"),
        _("p-value"),
        _("Significant (p < 0.05)"),
    ]
    rows: list[list[Any]] = [
        _row(_("Responses"), results.responses, None, None, results.responses, results.low_n)
    ]
    rows[0][7] = results.previous_responses
    rate = results.response_rate
    rows.append(
        _row(
            _("Response rate (%)"), rate.rate, rate.low, rate.high, rate.n, rate.low_n, rate.change
        )
    )
    if results.nps is not None:
        x = results.nps
        rows.append(_row(_("NPS"), x.score, x.low, x.high, x.n, x.low_n, x.change, 1))
    if results.csat is not None:
        c = results.csat
        rows.append(
            _row(_("CSAT, top-2 box (%)"), c.score, c.low, c.high, c.n, c.low_n, c.change, 1)
        )
        rows.append(_row(_("CSAT mean"), c.mean, None, None, c.n, c.low_n, c.mean_change))
    if results.ces is not None:
        m = results.ces
        rows.append(_row(_("CES mean"), m.mean, m.low, m.high, m.n, m.low_n, m.change))
    if results.csi is not None:
        s = results.csi
        rows.append(_row(_("CSI (0–1000)"), s.index, None, None, s.n, s.low_n, None, 1))
    if results.servqual is not None:
        q = results.servqual
        label = _("SERVQUAL gap, unweighted")
        rows.append(_row(label, q.overall_unweighted, None, None, q.n, q.low_n, None, 3))
        label = _("SERVQUAL gap, weighted")
        rows.append(_row(label, q.overall_weighted, None, None, q.n, q.low_n, None, 3))
    if results.drivers is not None and results.drivers.r2 is not None:
        d = results.drivers
        rows.append(_row(_("Key drivers: R²"), d.r2, d.r2_low, d.r2_high, d.n, d.low_n, None, 3))
    return header, rows


def _row(
    label: str,
    value: float | None,
    low: float | None,
    high: float | None,
    n: int,
    low_n: bool,
    change: Change | None = None,
    digits: int = 2,
) -> list[Any]:
    return [
        label,
        _r(value, digits),
        _r(low, digits),
        _r(high, digits),
        n,
        _yes(low_n),
        *_change_cells(change, digits),
    ]


def _breakdown(first: str, rows: Sequence[BreakdownRow]) -> Table:
    header = [
        first,
        _("Responses"),
        _("NPS"),
        # xgettext:no-python-format
        _("NPS lower 95% limit"),
        # xgettext:no-python-format
        _("NPS upper 95% limit"),
        _("NPS n"),
        _("CSAT mean"),
        _("CSAT top-2 box (%)"),
        _("CSAT n"),
        _("Dissatisfied (%)"),
        _("Fewer answers than the minimum"),
    ]
    return header, [
        [
            r.label,
            r.n,
            _r(r.nps, 1),
            _r(r.nps_low, 1),
            _r(r.nps_high, 1),
            r.nps_n,
            _r(r.csat_mean),
            _r(r.csat_top, 1),
            r.csat_n,
            _r(r.dissatisfied, 1),
            _yes(r.low_n),
        ]
        for r in rows
    ]


def drivers(results: SurveyResults) -> Table:
    header = [
        _("Item"),
        _("Question key"),
        _("Correlation with the outcome"),
        _("Relative weight"),
        _("Share of R² (%)"),
        # xgettext:no-python-format
        _("Lower 95% limit"),
        # xgettext:no-python-format
        _("Upper 95% limit"),
        _("Rank"),
        _("Performance (mean)"),
        _("Quadrant"),
        _("n"),
    ]
    d = results.drivers
    if d is None:
        return header, []
    return header, [
        [
            r.label,
            r.key,
            _r(r.r, 3),
            _r(r.weight, 4),
            _r(r.percent),
            _r(r.percent_low),
            _r(r.percent_high),
            r.rank,
            _r(r.performance, 3),
            labels.quadrant(r.quadrant) if r.quadrant else "",
            d.n,
        ]
        for r in d.rows
    ]


def servqual_items(results: SurveyResults) -> Table:
    header = [
        _("Item"),
        _("Question key"),
        _("Dimension"),
        pgettext("servqual", "Expectation"),
        pgettext("servqual", "Perception"),
        _("Gap"),
        _("n"),
        _("Fewer answers than the minimum"),
    ]
    sq = results.servqual
    rows = [
        [
            r.label,
            r.key,
            r.dimension_label,
            _r(r.expectation, 3),
            _r(r.perception, 3),
            _r(r.gap, 3),
            r.n,
            _yes(r.low_n),
        ]
        for r in (sq.items if sq else ())
    ]
    return header, rows


def servqual_dimensions(results: SurveyResults) -> Table:
    header = [
        _("Dimension"),
        _("Gap"),
        _("Weight (%)"),
        _("n"),
        _("Fewer answers than the minimum"),
    ]
    sq = results.servqual
    return header, [
        [r.label, _r(r.gap, 3), _r(r.weight, 1), r.n, _yes(r.low_n)]
        for r in (sq.dimensions if sq else ())
    ]


def kano(results: SurveyResults) -> Table:
    header = [
        _("Feature"),
        _("Question key"),
        "A",
        "O",
        "M",
        "I",
        "R",
        "Q",
        _("n"),
        _("Category"),
        _("Better"),
        _("Worse"),
        _("Total strength (%)"),
        _("Category strength (%)"),
        _("Significant (Fong)"),
        _("Fewer answers than the minimum"),
    ]
    return header, [
        [
            r.label,
            r.key,
            *(r.counts.get(c, 0) for c in "AOMIRQ"),
            r.n,
            labels.kano_category(r.category) if r.category else "",
            _r(r.better, 3),
            _r(r.worse, 3),
            _r(r.total_strength, 1),
            _r(r.category_strength, 1),
            _yes(r.fong_significant),
            _yes(r.low_n),
        ]
        for r in results.kano
    ]


def fairness(results: SurveyResults) -> Table:
    header = [
        _("Measure"),
        _("Mean"),
        # xgettext:no-python-format
        _("Lower 95% limit"),
        # xgettext:no-python-format
        _("Upper 95% limit"),
        _("Scale"),
        _("n"),
        _("Fewer answers than the minimum"),
    ]
    fig = results.fairness
    if fig is None:
        return header, []
    measures = [*fig.dimensions, fig.handling, fig.return_intent, fig.recommend_intent]
    return header, [
        [
            m.label,
            _r(m.mean),
            _r(m.low),
            _r(m.high),
            f"{m.scale_min}–{m.scale_max}",
            m.n,
            _yes(m.low_n),
        ]
        for m in measures
        if m is not None
    ]


def distribution(results: SurveyResults) -> Table:
    header = [
        _("Question"),
        _("Question key"),
        _("Answer"),
        _("Answer value"),
        _("Count"),
        _("Percent"),
        _("n"),
    ]
    rows: list[list[Any]] = []
    for d in results.distributions:
        if not d.rows:
            rows.append([d.label, d.key, "", "", d.n, None, d.n])
        for r in d.rows:
            rows.append([d.label, d.key, r.label, r.value, r.count, _r(r.percent, 1), d.n])
    return header, rows


TABLES: dict[str, Callable[[SurveyResults], Table]] = {
    "summary": summary,
    "breakdown_store": lambda r: _breakdown(_("Store"), r.by_store),
    "breakdown_staff": lambda r: _breakdown(_("Staff member"), r.by_staff),
    "breakdown_month": lambda r: _breakdown(_("Month"), r.by_month),
    "drivers": drivers,
    "servqual_items": servqual_items,
    "servqual_dimensions": servqual_dimensions,
    "kano": kano,
    "fairness": fairness,
    "distribution": distribution,
}
RESPONSES = "responses"


# --- raw responses ----------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def responses(survey: Survey, user: User, filters: ResultFilters, definition: Definition) -> Table:
    """One row per submitted response in the period, one column per question (a pair's or
    points question's parts in their own columns). Phone numbers are masked unless the user
    may see personal data."""
    columns = answer_columns(definition)
    may_see = user.can_view_personal_data
    header = [
        _("Response"),
        _("Submitted at"),
        _("Store"),
        _("Served by"),
        _("Mode"),
        _("Version"),
        _("Customer"),
        _("Phone"),
        *[name for name, _path in columns],
    ]
    rows = []
    for r in response_rows(survey, user, filters):
        answers = r.answers if isinstance(r.answers, dict) else {}
        values = []
        for _name, path in columns:
            value: Any = answers.get(path[0])
            if len(path) > 1:
                value = value.get(path[1]) if isinstance(value, dict) else None
            values.append(_cell(value))
        rows.append(
            [
                r.pk,
                r.submitted_at.replace(tzinfo=None) if r.submitted_at else None,
                r.store_name,
                r.staff_name,
                r.mode,
                r.version,
                r.customer_name,
                r.phone if may_see else mask_phone(r.phone),
                *values,
            ]
        )
    return header, rows


# --- writers ---------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else safe_cell(value)


def csv_response(filename: str, table: Table) -> HttpResponse:
    header, rows = table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
    writer = csv.writer(response)
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([_text(v) for v in row] for row in rows)
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
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def write(fmt: str, filename: str, sheet: str, table: Table) -> HttpResponse:
    if fmt == "xlsx":
        return xlsx_response(filename, sheet, table)
    return csv_response(filename, table)
