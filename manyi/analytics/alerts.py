"""Services of the early warning: the sweep that turns out-of-control points of the complaint
rate series (manyi.analytics.warning) into alerts, and handling an alert.

At most one alert per signal. A signal is a run of consecutive alerting periods of one series
(store × category, method, period); it is keyed by the period where the run began. A run
that continues an alert of the same series (its first period is at most one period after the
alert's last one, or overlaps it) updates that alert — points, last period, figures, chart —
and emails nobody. A new run creates its alert with `get_or_create` under the unique
constraint on the signal, each in its own short transaction: a second sweep, or two at once
(the second insert waits for the first and then finds its row), adds nothing. The emails are
written to the outbox in the transaction that created the alert, with the alert in the
dedupe key, so they are sent once. A handled (acknowledged or closed) alert whose run goes
on is updated but not reopened."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, User
from manyi.analytics import warning
from manyi.analytics.choices import AlertState, ChartMethod
from manyi.analytics.models import Alert, AlertSettings
from manyi.core.errors import DomainError
from manyi.notifications.services import Message, queue_notifications

log = logging.getLogger(__name__)
Key = tuple[int, int | None]


def _figures(s: warning.Series, i: int) -> dict[str, Any]:
    return {
        "complaints": int(s.complaints[i]),
        "services": round(float(s.services[i])),
        "rate": s.rate(i) or 0.0,
        "centre": s.centre or 0.0,
        "limit": s.limit(i) or 0.0,
    }


def _recipients(alert: Alert) -> list[User]:
    return list(
        User.objects.filter(organisation_id=alert.organisation_id, is_active=True)
        .filter(Q(role=Role.STORE_MANAGER, store_id=alert.store_id) | Q(role=Role.ORG_ADMIN))
        .order_by("pk")
    )


def alert_url(alert: Alert) -> str:
    base = str(django_settings.MANYI_BASE_URL).rstrip("/")
    return base + reverse("analytics:alert_detail", args=[alert.pk])


def describe(alert: Alert, *, store: str, category: str) -> tuple[str, str]:
    """(subject, body) of the alert's email in the active language."""
    what = category or _("all categories")
    subject = _("Complaint rate alert: %(store)s, %(category)s") % {
        "store": store,
        "category": what,
    }
    if alert.method == ChartMethod.CUSUM:
        chart = alert.chart or {}
        periods = chart.get("periods") or []
        values = chart.get("value") or []
        last = alert.last_period.isoformat()
        value = values[periods.index(last)] if last in periods else None
        limit = _("CUSUM %(value).2f above the decision interval h = %(limit).2f") % {
            "value": float(value or 0),
            "limit": alert.limit,
        }
    else:
        limit = _("control limit %(limit).2f") % {"limit": alert.limit}
    body = _(
        "The complaint rate of %(store)s (%(category)s) is out of control.\n\n"
        "Period beginning %(start)s: %(complaints)d complaints for %(services)d services, "
        "%(rate).2f complaints per 100 services; the in-control rate is %(centre).2f, "
        "%(limit)s (%(method)s).\n\n"
        "See the chart and the cases behind it: %(url)s"
    ) % {
        "store": store,
        "category": what,
        "start": alert.last_period.isoformat(),
        "complaints": alert.complaints,
        "services": alert.services,
        "rate": alert.rate,
        "centre": alert.centre,
        "limit": limit,
        "method": alert.get_method_display(),
        "url": alert_url(alert),
    }
    return subject, body


def _notify(alert: Alert, s: warning.Series, now: dt.datetime) -> int:
    with translation.override(django_settings.LANGUAGE_CODE):
        subject, body = describe(alert, store=s.store, category=s.category)
        messages = [
            Message(
                recipient=user,
                kind="alert",
                dedupe_key=f"alert:{alert.pk}",
                subject=subject,
                body=body,
            )
            for user in _recipients(alert)
        ]
    sent = queue_notifications(messages)
    if sent:
        Alert.objects.filter(pk=alert.pk).update(notified_at=now)
    return sent


def _signal(
    settings: AlertSettings,
    s: warning.Series,
    first: int,
    last: int,
    existing: list[Alert],
    now: dt.datetime,
    result: dict[str, Any],
) -> None:
    step = warning.step(settings.period)
    start, end = s.periods[first], s.periods[last]
    figures = _figures(s, last)
    points = last - first + 1
    for alert in existing:
        if alert.signal_start <= end and alert.last_period >= start - step:
            if end > alert.last_period:
                added = sum(1 for i in range(first, last + 1) if s.periods[i] > alert.last_period)
                updated = Alert.objects.filter(pk=alert.pk, last_period__lt=end).update(
                    last_period=end,
                    points=alert.points + added,
                    chart=s.snapshot(),
                    **figures,
                )
                if updated:
                    result["updated"].append(alert.pk)
            return
    with transaction.atomic():
        signal: dict[str, Any] = {
            "store_id": s.store_id,
            "category_id": s.category_id,
            "method": settings.method,
            "period": settings.period,
            "signal_start": start,
        }
        alert, created = Alert.objects.get_or_create(
            **signal,
            defaults={
                "organisation_id": settings.organisation_id,
                "last_period": end,
                "points": points,
                "chart": s.snapshot(),
                "created_at": now,
                **figures,
            },
        )
        if not created:
            return
        result["raised"].append(alert.pk)
        if settings.email:
            result["emails"] += _notify(alert, s, now)


def sweep_organisation(settings: AlertSettings, *, now: dt.datetime) -> dict[str, Any]:
    """Raise and update the alerts of one organisation (see the module docstring)."""
    result: dict[str, Any] = {"series": 0, "raised": [], "updated": [], "emails": 0}
    today = timezone.localdate(now)
    all_series = warning.series(settings, today=today)
    result["series"] = len(all_series)
    watched_from = warning.window(settings, today)[settings.baseline_periods]
    recent: dict[Key, list[Alert]] = {}
    for alert in Alert.objects.filter(
        organisation_id=settings.organisation_id,
        method=settings.method,
        period=settings.period,
        last_period__gte=watched_from - warning.step(settings.period),
    ).order_by("signal_start"):
        recent.setdefault((alert.store_id, alert.category_id), []).append(alert)
    for s in all_series:
        for first, last in s.runs():
            _signal(settings, s, first, last, recent.get(s.key, []), now, result)
    return result


def sweep_alerts(
    *, organisation: Organisation | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Sweep every organisation whose early warning is on (or only `organisation`); returns
    {"organisations", "series", "raised": [alert ids], "updated": [alert ids], "emails"}."""
    now = now or timezone.now()
    orgs = (
        Organisation.objects.all()
        if organisation is None
        else Organisation.objects.filter(pk=organisation.pk)
    )
    total: dict[str, Any] = {
        "organisations": 0,
        "series": 0,
        "raised": [],
        "updated": [],
        "emails": 0,
    }
    for org_id in orgs.order_by("pk").values_list("pk", flat=True):
        settings = warning.settings_for(org_id)
        if not settings.enabled:
            continue
        try:
            r = sweep_organisation(settings, now=now)
        except Exception:  # one organisation's bad data must not stop the others
            log.exception("early-warning sweep failed for organisation %s", org_id)
            continue
        total["organisations"] += 1
        total["series"] += r["series"]
        total["raised"] += r["raised"]
        total["updated"] += r["updated"]
        total["emails"] += r["emails"]
    return total


HANDLE_STATES = (AlertState.ACKNOWLEDGED, AlertState.CLOSED)


def can_handle(user: User) -> bool:
    """Store managers and organisation admins acknowledge and close alerts; supervisors
    only read them (an alert is about the whole store's complaint rate, the manager's
    business)."""
    return user.is_superuser or user.role in (Role.STORE_MANAGER, Role.ORG_ADMIN)


def handle_alert(
    *, alert: Alert, by: User, state: str, note: str = "", now: dt.datetime | None = None
) -> Alert:
    """Acknowledge or close an alert (or reopen it: state "open"), with a note."""
    if not can_handle(by) or by.organisation_id != alert.organisation_id:
        raise DomainError(_("Only store managers and organisation admins handle alerts."))
    if state not in AlertState.values:
        raise DomainError(_("Choose acknowledged or closed."), field="state")
    if state == alert.state and not note.strip():
        raise DomainError(_("The alert is already in this state."), field="state")
    now = now or timezone.now()
    with transaction.atomic():
        alert.state = state
        alert.handled_by = by
        alert.handled_at = now
        if note.strip():
            alert.note = note.strip()
        alert.save(update_fields=["state", "handled_by", "handled_at", "note"])
    return alert
