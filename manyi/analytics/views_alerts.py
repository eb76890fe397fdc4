"""The early-warning pages: the alert list with the current state of every series, an alert
with its chart and the cases behind it, handling an alert, the settings with their
false-alarm trade-off, and the export of an alert's chart.

Like every analytics page they are for supervisors and up (agents get 403); supervisors see
their own store's alerts and series, store managers and organisation admins every store's.
Store managers and organisation admins acknowledge and close alerts; supervisors read them.
The settings are edited by organisation admins, read by store managers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from manyi.accounts.choices import Role
from manyi.accounts.models import User
from manyi.analytics import exports, snapshots, warning
from manyi.analytics.alerts import can_handle, handle_alert
from manyi.analytics.choices import AlertState, ChartMethod, ChartPeriod
from manyi.analytics.forms import AnalyticsFilterForm
from manyi.analytics.forms_alerts import AlertSettingsForm, HandleAlertForm
from manyi.analytics.models import Alert, AlertSettings
from manyi.analytics.views import FORMATS, _user, analyst_required, analyst_view
from manyi.cases.choices import Channel
from manyi.cases.models import Category
from manyi.core.errors import DomainError
from manyi.core.scoping import cases_for, stores_for
from manyi.metrics import control

LIST_LIMIT = 200
CASES_LIMIT = 100


def _org(user: User) -> int:
    org = user.organisation_id
    assert org is not None  # the decorators refuse users without an organisation
    return int(org)


def _alerts_for(user: User) -> Any:
    return Alert.objects.filter(
        organisation_id=_org(user), store__in=stores_for(user)
    ).select_related("store", "category", "handled_by")


def _alert(user: User, pk: int) -> Alert:
    alert = _alerts_for(user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    assert isinstance(alert, Alert)
    return alert


def _category_name(category: Category | None) -> str:
    return category.name() if category is not None else _("All categories")


@dataclass(frozen=True)
class SeriesRow:
    store: str
    category_id: int | None
    category: str
    period: dt.date
    complaints: int
    services: int
    rate: float | None
    centre: float | None
    value: float | None
    limit: float | None
    out: bool
    phase: str


STATE_TTL = 600
"""Seconds the list page keeps the state of the series (in the "analytics" cache, a database
table shared by every web process) before computing it again."""


def _series_rows(series: list[warning.Series]) -> list[SeriesRow]:
    rows = []
    for s in series:
        i = s.last
        rows.append(
            SeriesRow(
                store=s.store,
                category_id=s.category_id,
                category=s.category or _("All categories"),
                period=s.periods[i],
                complaints=int(s.complaints[i]),
                services=round(float(s.services[i])),
                rate=s.rate(i),
                centre=s.centre,
                value=s.value(i),
                limit=s.limit(i),
                out=bool(s.alerting is not None and s.alerting[i]),
                phase=s.phase,
            )
        )
    return rows


def _series_rows_sorted(rows: list[SeriesRow]) -> list[SeriesRow]:
    return sorted(rows, key=lambda r: not r.out)  # out of control first, then as computed


def _state(
    settings: AlertSettings, store_ids: tuple[int, ...]
) -> tuple[list[SeriesRow], dt.datetime]:
    """The latest complete period of every series of the stores, and when it was computed.

    Computing it reads every complaint and service of the charted periods (four GROUP BY
    queries over some 30 weeks of cases and transactions: about a second with a million
    cases), so the page keeps it for STATE_TTL seconds, keyed by the settings (any change
    computes it again), the day and the stores. The sweep and the alerts never use this
    cache."""
    today = timezone.localdate()
    key = "manyi:alert-state:" + ":".join(
        [
            str(settings.organisation_id),
            settings.updated_at.isoformat() if settings.updated_at else "",
            today.isoformat(),
            ",".join(str(pk) for pk in sorted(store_ids)),
            translation.get_language() or "",
        ]
    )
    cache = caches[snapshots.CACHE]  # shared by every web process (a database table)
    cached = cache.get(key)
    if cached is not None:
        rows, computed_at = cached
        return list(rows), computed_at
    rows = _series_rows(warning.series(settings, store_ids=store_ids, today=today))
    computed_at = timezone.now()
    cache.set(key, (rows, computed_at), STATE_TTL)
    return rows, computed_at


@analyst_required
def alerts(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = AnalyticsFilterForm(
        request.GET or None, user=user, today=timezone.localdate(), with_staff=False
    )
    f = form.filters()
    state = request.GET.get("state") or AlertState.OPEN
    if state not in AlertState.values:
        state = AlertState.OPEN
    qs = _alerts_for(user).filter(store_id__in=f.store_ids)
    if f.category_id:
        qs = qs.filter(category_id=f.category_id)
    counts = qs.aggregate(**{s.value: Count("id", filter=Q(state=s.value)) for s in AlertState})
    listed = list(qs.filter(state=state).order_by("-created_at", "-pk")[:LIST_LIMIT])
    settings = warning.settings_for(_org(user))
    rows, computed_at = _state(settings, f.store_ids)
    if f.category_id:
        rows = [r for r in rows if r.category_id in (None, f.category_id)]
    tabs = [(s.value, s.label, counts[s.value], _query(request, state=s.value)) for s in AlertState]
    context = {
        "form": form,
        "state": state,
        "tabs": tabs,
        "alerts": listed,
        "limited": len(listed) == LIST_LIMIT,
        "limit_count": LIST_LIMIT,
        "rows": _series_rows_sorted(rows),
        "computed_at": computed_at,
        "settings": settings,
        "is_cusum": settings.method == ChartMethod.CUSUM,
        "can_edit_settings": user.is_org_wide,
    }
    return render(request, "analytics/alerts.html", context)


def _query(request: HttpRequest, **changes: str) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        params[key] = value
    return "?" + params.urlencode()


def _chart(alert: Alert) -> dict[str, Any]:
    c = alert.chart or {}
    return {
        "periods": c.get("periods", []),
        "rate": c.get("rate", []),
        "value": c.get("value", []),
        "ucl": c.get("ucl", []),
        "lcl": c.get("lcl", []),
        "centre": c.get("centre"),
        "alerting": c.get("alerting", []),
        "watch_from": c.get("watch_from", 0),
        "cusum": alert.method == ChartMethod.CUSUM,
        "texts": {
            "rate": _("Complaints per 100 services"),
            "value": _("CUSUM upper sum")
            if alert.method == ChartMethod.CUSUM
            else (_("EWMA") if alert.method == ChartMethod.EWMA else _("Rate")),
            "centre": _("Centre line"),
            "ucl": _("Upper control limit"),
            "signal": _("Out of control"),
            "watched": _("Watched periods"),
        },
    }


def _signal_bounds(alert: Alert) -> tuple[dt.date, dt.date]:
    return alert.signal_start, warning.period_end(alert.last_period, alert.period)


def _drilldown(alert: Alert) -> str:
    first, last = _signal_bounds(alert)
    params: dict[str, Any] = {
        "store": alert.store_id,
        "received_from": first.isoformat(),
        "received_to": last.isoformat(),
        "exclude_channel": Channel.SURVEY,
    }
    if alert.category_id:
        params["category"] = alert.category_id
    return reverse("cases:list") + "?" + urlencode(params)


def _cases(user: User, alert: Alert) -> Any:
    first, last = _signal_bounds(alert)
    tz = timezone.get_current_timezone()
    qs = (
        cases_for(user)
        .filter(
            store_id=alert.store_id,
            received_at__gte=dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            received_at__lt=dt.datetime.combine(
                last + dt.timedelta(days=1), dt.time.min, tzinfo=tz
            ),
        )
        .exclude(channel=Channel.SURVEY)
    )
    if alert.category_id:
        qs = qs.filter(Q(category_id=alert.category_id) | Q(category__parent_id=alert.category_id))
    return qs.select_related("category__parent", "owner").order_by("-received_at")


@analyst_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    alert = _alert(user, pk)
    cases = list(_cases(user, alert)[: CASES_LIMIT + 1])
    context = {
        "alert": alert,
        "category": _category_name(alert.category),
        "chart": _chart(alert),
        "cases": cases[:CASES_LIMIT],
        "more_cases": len(cases) > CASES_LIMIT,
        "drilldown": _drilldown(alert),
        "period_end": _signal_bounds(alert)[1],
        "is_cusum": alert.method == ChartMethod.CUSUM,
        "can_handle": can_handle(user),
        "handle_form": HandleAlertForm(
            initial={
                "state": AlertState.ACKNOWLEDGED
                if alert.state == AlertState.OPEN
                else AlertState.CLOSED
            }
        ),
        "sigma_z": (alert.chart or {}).get("sigma_z"),
        "phase": (alert.chart or {}).get("phase"),
    }
    return render(request, "analytics/alerts_detail.html", context)


@require_POST
@analyst_view(methods=None)  # POST only: require_POST above
def alert_handle(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    alert = _alert(user, pk)
    if not can_handle(user):
        raise PermissionDenied
    form = HandleAlertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a state for the alert."))
        return redirect("analytics:alert_detail", pk=alert.pk)
    try:
        handle_alert(
            alert=alert, by=user, state=form.cleaned_data["state"], note=form.cleaned_data["note"]
        )
    except DomainError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Alert saved."))
    return redirect("analytics:alert_detail", pk=alert.pk)


@dataclass(frozen=True)
class ArlRow:
    shift: float
    arl: float


def _arl(settings: AlertSettings, shift: float, method: str | None = None) -> float:
    method = method or settings.method
    if method == ChartMethod.EWMA:
        return control.arl_ewma(float(settings.ewma_lambda), float(settings.ewma_l), shift=shift)
    if method == ChartMethod.CUSUM:
        return control.arl_cusum(float(settings.cusum_k), float(settings.cusum_h), shift=shift)
    return control.arl_shewhart(float(settings.sigma), shift=shift)


SHIFTS = (0.0, 0.5, 1.0, 2.0)


def tradeoff(settings: AlertSettings, *, stores: int, categories: int) -> dict[str, Any]:
    """The average run lengths of the settings' chart (upper side, normal theory) and what
    they mean for the organisation: how often a false alarm comes per store and overall."""
    rows = {
        m.value: [ArlRow(shift=d, arl=_arl(settings, d, m.value)) for d in SHIFTS]
        for m in ChartMethod
    }
    arl0 = rows[settings.method][0].arl
    per_store = categories + 1
    return {
        "rows": rows[settings.method],
        "others": [(m.label, rows[m.value]) for m in ChartMethod if m.value != settings.method],
        "arl0": arl0,
        "series_per_store": per_store,
        "series": per_store * max(stores, 1),
        "store_every": arl0 / per_store,
        "org_every": arl0 / (per_store * max(stores, 1)),
        "stores": stores,
        "categories": categories,
        "weeks": settings.period == ChartPeriod.WEEK,
        "exact": settings.method == ChartMethod.U,
    }


@analyst_view(methods=None)  # GET and POST: the view checks
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.is_org_wide:
        raise PermissionDenied
    can_edit = user.is_superuser or user.role == Role.ORG_ADMIN
    settings = warning.settings_for(_org(user))
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = AlertSettingsForm(request.POST, instance=settings)
        if form.is_valid():
            form.save()
            messages.success(request, _("Early-warning settings saved."))
            return redirect("analytics:alert_settings")
        settings = warning.settings_for(_org(user))  # the saved values
    else:
        form = AlertSettingsForm(instance=settings)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    stores = stores_for(user).count()
    categories = Category.objects.filter(
        organisation_id=_org(user), parent__isnull=True, active=True
    ).count()
    context = {
        "form": form,
        "settings": settings,
        "can_edit": can_edit,
        "t": tradeoff(settings, stores=stores, categories=categories),
    }
    return render(request, "analytics/alerts_settings.html", context)


@analyst_required
def alert_chart_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    alert = _alert(_user(request), pk)
    c = alert.chart or {}
    periods = c.get("periods", [])
    headers = [
        _("Period beginning"),
        _("Complaints"),
        _("Services"),
        _("Complaints per 100 services"),
        _("Centre line"),
        _("Charted value"),
        _("Lower control limit"),
        _("Upper control limit"),
        _("Watched"),
        _("Out of control"),
    ]

    def at(key: str, i: int) -> Any:
        values = c.get(key) or []
        return values[i] if i < len(values) else None

    watch_from = int(c.get("watch_from", 0))
    rows = [
        [
            dt.date.fromisoformat(p),
            at("complaints", i),
            at("services", i),
            at("rate", i),
            c.get("rate_centre"),
            at("value", i),
            at("lcl", i),
            at("ucl", i),
            _("yes") if i >= watch_from else _("no"),
            _("yes") if at("alerting", i) else _("no"),
        ]
        for i, p in enumerate(periods)
    ]
    return exports.write(fmt, f"alert-{alert.pk}", _("Early warning"), (headers, rows))
