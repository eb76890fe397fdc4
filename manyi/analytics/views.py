"""The analytics pages: the three controls, the lost customers' switching reasons and the
recovery economics, each with its CSV / XLSX exports.

Analytics is for supervisors and up: agents get 403. Supervisors see their own store, store
managers and organisation admins every store of the organisation (stores_for)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from manyi.accounts.choices import Role
from manyi.accounts.models import User
from manyi.analytics import exports, selectors, snapshots
from manyi.analytics.forms import AnalyticsFilterForm

View = Callable[..., HttpResponse]
FORMATS = ("csv", "xlsx")


def analyst_view(
    *, methods: Sequence[str] | None = ("GET",), managers_only: bool = False
) -> Callable[[View], View]:
    """Signed in, in an organisation, and not an agent (with `managers_only`, a store manager
    or an organisation admin); `methods`: the HTTP methods allowed (None: any, the view
    checks)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not isinstance(user, User) or user.organisation_id is None:
                raise PermissionDenied
            if user.role == Role.AGENT and not user.is_superuser:
                raise PermissionDenied
            if managers_only and not user.is_org_wide:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        checked = wrapper if methods is None else require_http_methods(list(methods))(wrapper)
        return login_required(checked)

    return decorator


analyst_required = analyst_view()


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _form(
    request: HttpRequest, *, with_staff: bool = True, with_category: bool = True
) -> AnalyticsFilterForm:
    return AnalyticsFilterForm(
        request.GET or None,
        user=_user(request),
        today=timezone.localdate(),
        with_staff=with_staff,
        with_category=with_category,
    )


def _chart(controls: selectors.Controls) -> dict[str, Any]:
    months = controls.by_month
    return {
        "months": [r.label for r in months],
        "complaint": [r.complaint_rate for r in months],
        "omission": [r.omission_rate for r in months],
        "dissatisfaction": [r.dissatisfaction_rate for r in months],
        "texts": {
            "complaint": _("Complaints per 100 services"),
            "omission": _("Omission rate (%)"),
            "dissatisfaction": _("Dissatisfaction rate (%)"),
        },
    }


@analyst_required
def controls(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    live = request.GET.get("live") == "1"
    result, snapshot = snapshots.served("controls", _user(request), form.filters(), live=live)
    context = {"form": form, "c": result, "chart": _chart(result), "snapshot": snapshot}
    return render(request, "analytics/controls.html", context)


@analyst_required
def controls_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    live = request.GET.get("live") == "1"
    result = snapshots.served("controls", _user(request), _form(request).filters(), live=live)[0]
    if table == "stores":
        data = exports.controls_table(result.by_store, first=_("Store"))
    elif table == "months":
        data = exports.controls_table(result.by_month, first=_("Month"))
    elif table == "store_months":
        data = exports.controls_table(result.cells, first=_("Store"), with_month=True)
    elif table == "staff":
        data = exports.controls_table(result.by_staff, first=_("Staff"))
    else:
        raise Http404
    return exports.write(fmt, f"three-controls-{table}", _("Three controls"), data)


@analyst_required
def lost(request: HttpRequest) -> HttpResponse:
    form = _form(request, with_staff=False, with_category=False)
    result = selectors.lost_reasons(_user(request), form.filters())
    chart = {
        "labels": [r.label for r in result.rows],
        "counts": [r.count for r in result.rows],
        "cumulative": [r.cumulative for r in result.rows],
        "texts": {"count": _("Lost customers"), "cumulative": _("Cumulative (%)")},
    }
    context = {"form": form, "lost": result, "chart": chart, "f": form.filters()}
    return render(request, "analytics/lost.html", context)


@analyst_required
def lost_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    form = _form(request, with_staff=False, with_category=False)
    result = selectors.lost_reasons(_user(request), form.filters())
    return exports.write(
        fmt, "lost-customers", _("Lost customers"), exports.lost_table(result.rows)
    )


def _recovery(
    request: HttpRequest,
) -> tuple[AnalyticsFilterForm, selectors.Recovery, snapshots.Snapshot | None]:
    form = _form(request, with_staff=False)
    live = request.GET.get("live") == "1"
    result, snapshot = snapshots.served("recovery", _user(request), form.filters(), live=live)
    return form, result, snapshot


@analyst_required
def recovery(request: HttpRequest) -> HttpResponse:
    form, result, snapshot = _recovery(request)
    chart = {
        "kinds": [r.label for r in result.by_kind],
        "cost": [float(r.yuan) for r in result.by_kind],
        "texts": {"cost": _("Cost (yuan)")},
    }
    context = {
        "form": form,
        "r": result,
        "chart": chart,
        "f": result.filters,
        "snapshot": snapshot,
    }
    return render(request, "analytics/recovery.html", context)


@analyst_required
def recovery_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    result = _recovery(request)[1]
    tables = {
        "kinds": (result.by_kind, _("Action kind")),
        "categories": (result.by_category, _("Category")),
        "stores": (result.by_store, _("Store")),
        "months": (result.by_month, _("Month")),
        "guarantees": (result.guarantees, _("Store")),
    }
    if table not in tables:
        raise Http404
    rows, first = tables[table]
    data = exports.recovery_table(rows, first=first)
    return exports.write(fmt, f"recovery-{table}", _("Recovery economics"), data)
