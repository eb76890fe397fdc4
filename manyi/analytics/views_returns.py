"""The return-after-complaints page (/analytics/returns/): the TARP table, the recovery paradox
check and recovery fairness against return, each exportable to CSV and XLSX.

The period is that of the complaints (the cohort's reference days). By default it is the twelve
calendar months ending a year ago, so that every customer's 12-month window is over."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics import exports, snapshots
from manyi.analytics import returns as selectors
from manyi.analytics.forms import AnalyticsFilterForm
from manyi.analytics.views import FORMATS, _user, analyst_required


def _result(
    request: HttpRequest,
) -> tuple[AnalyticsFilterForm, selectors.Returns, snapshots.Snapshot | None]:
    today = timezone.localdate()
    # The form's default period ends on its `today`: a year back, the windows are over.
    form = AnalyticsFilterForm(
        request.GET or None,
        user=_user(request),
        today=today - dt.timedelta(days=selectors.WINDOW_DAYS + 1),
        with_staff=False,
    )
    live = request.GET.get("live") == "1"
    result, snapshot = snapshots.served("returns", _user(request), form.filters(), live=live)
    return form, result, snapshot


def _series(rows: list[selectors.Share], label: Any = None) -> dict[str, Any]:
    return {
        "labels": [label(r) if label else r.label for r in rows],
        "rates": [r.rate for r in rows],
        "lows": [r.low for r in rows],
        "highs": [r.high for r in rows],
        "ns": [r.n for r in rows],
    }


def _chart(result: selectors.Returns) -> dict[str, Any]:
    overall = [r for r in result.fairness if r.key == selectors.OVERALL]
    return {
        "tarp": _series(result.tarp),
        "paradox": _series(result.paradox),
        "fairness": _series(overall, lambda r: r.band_label),
        "texts": {
            "rate": _("Came back within 12 months (%)"),
            # xgettext:no-python-format
            "interval": _("95% interval"),
            "n": _("customers"),
        },
    }


@analyst_required
def returns(request: HttpRequest) -> HttpResponse:
    form, result, snapshot = _result(request)
    context = {
        "form": form,
        "r": result,
        "snapshot": snapshot,
        "f": result.filters,
        "chart": _chart(result),
        "min_n": selectors.MIN_N,
        "window": selectors.WINDOW_DAYS,
        "fast_hours": int(selectors.FAST_WITHOUT_CLOCK.total_seconds() // 3600),
    }
    return render(request, "analytics/returns.html", context)


def _header(first: list[str], *, satisfaction: bool = False) -> list[str]:
    header = [
        *first,
        _("Customers counted"),
        _("Came back"),
        _("Return rate (%)"),
        # xgettext:no-python-format
        _("95% interval, low (%)"),
        # xgettext:no-python-format
        _("95% interval, high (%)"),
        _("Too recent"),
    ]
    if satisfaction:
        header += [
            _("Mean NPS"),
            _("Customers with an NPS"),
            _("Mean CSAT"),
            _("Customers with a CSAT"),
        ]
    return header


def _line(r: selectors.Share) -> list[Any]:
    return [r.n, r.back, r.rate, r.low, r.high, r.recent]


def export_table(result: selectors.Returns, name: str) -> exports.Table:
    """The page's table `name` ("tarp", "paradox", "fairness") for the exports."""
    if name == "tarp":
        return _header([_("Group")]), [[r.label, *_line(r)] for r in result.tarp]
    if name == "paradox":
        rows = [[r.label, *_line(r), r.nps, r.nps_n, r.csat, r.csat_n] for r in result.paradox]
        return _header([_("Group")], satisfaction=True), rows
    if name == "fairness":
        header = _header([_("Fairness dimension"), _("Score band")])
        return header, [[r.label, r.band_label, *_line(r)] for r in result.fairness]
    raise Http404


@analyst_required
def returns_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS or table not in ("tarp", "paradox", "fairness"):
        raise Http404
    result = _result(request)[1]
    data = export_table(result, table)
    return exports.write(fmt, f"returns-{table}", _("Return after complaints"), data)
