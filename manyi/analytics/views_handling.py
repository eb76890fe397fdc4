"""The SLA and handling page (/analytics/handling/) and its CSV / XLSX exports.

For supervisors and up (views.analyst_required): supervisors see their own store, store
managers and organisation admins every store of the organisation."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from manyi.analytics import exports, snapshots
from manyi.analytics import handling as selectors
from manyi.analytics.forms import AnalyticsFilterForm
from manyi.analytics.views import FORMATS, _form, _user, analyst_required


def _handling(
    request: HttpRequest,
) -> tuple[AnalyticsFilterForm, selectors.Handling, snapshots.Snapshot | None]:
    form = _form(request)
    live = request.GET.get("live") == "1"
    result, snapshot = snapshots.served("handling", _user(request), form.filters(), live=live)
    return form, result, snapshot


def _chart(h: selectors.Handling) -> dict[str, Any]:
    return {
        "buckets": h.bucket_labels,
        "times": [
            {
                "metric": t.metric,
                "label": t.label,
                "business": t.business.buckets,
                "wall": t.wall.buckets,
            }
            for t in h.times
        ],
        "attainment": {
            "labels": [a.label for a in h.by_metric],
            "rates": [a.rate for a in h.by_metric],
            "low": [a.interval[0] if a.interval else None for a in h.by_metric],
            "high": [a.interval[1] if a.interval else None for a in h.by_metric],
        },
        "backlog": {
            "labels": [label for label, _n in h.backlog.by_age],
            "counts": [n for _label, n in h.backlog.by_age],
        },
        "texts": {
            "business": _("Business time"),
            "wall": _("Wall-clock time"),
            "cases": _("Cases"),
            # xgettext:no-python-format
            "attainment": _("Attainment (%)"),
            "open": _("Open cases"),
        },
    }


@analyst_required
def handling(request: HttpRequest) -> HttpResponse:
    form, result, snapshot = _handling(request)
    f = result.filters
    links = {
        "period": selectors.case_query(f, sort="received"),
        "breached": selectors.case_query(f, breached="yes", sort="received"),
        "not_breached": selectors.case_query(f, breached="no", sort="received"),
        "running": selectors.case_query(f, state="open", sort="due"),
        "reopened": selectors.case_query(f, reopened="on", sort="received"),
        "escalated": selectors.case_query(f, escalated="on", sort="received"),
        "resolved": selectors.case_query(f, state="closed", sort="received"),
        "backlog": selectors.case_query(f, period=False, state="open", sort="received_asc"),
    }
    owner_rows = [
        (r, selectors.case_query(f, owner=r.owner_id, sort="received")) for r in result.owners
    ]
    status_rows = [
        (s, label, n, selectors.case_query(f, period=False, status=s, sort="received_asc"))
        for s, label, n in result.backlog.by_status
    ]
    context = {
        "form": form,
        "h": result,
        "f": f,
        "links": links,
        "owner_rows": owner_rows,
        "status_rows": status_rows,
        "chart": _chart(result),
        "snapshot": snapshot,
    }
    return render(request, "analytics/handling.html", context)


@analyst_required
def handling_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    tables = {
        "metrics": lambda h: selectors.attainment_table(h.by_metric, with_policy=False),
        "policies": lambda h: selectors.attainment_table(h.by_policy, with_policy=True),
        "times": selectors.distribution_table,
        "stores": lambda h: selectors.group_times_table(h.by_store, first=_("Store")),
        "owners": selectors.owners_table,
        "backlog": selectors.backlog_table,
        "pauses": selectors.pauses_table,
        "suspicious": selectors.suspicious_table,
    }
    if table not in tables:
        raise Http404
    result = _handling(request)[1]
    data = tables[table](result)
    return exports.write(fmt, f"sla-handling-{table}", _("SLA and handling"), data)
