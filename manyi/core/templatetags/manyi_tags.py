"""Template helpers shared by every page: masked personal data, badges, SLA countdowns and
audit events in words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from manyi.audit.presenters import EventView, describe
from manyi.core.scoping import mask_id_number, mask_phone

register = template.Library()

STATUS_COLOURS = {
    "new": "b-blue",
    "acknowledged": "b-cyan",
    "in_progress": "b-purple",
    "waiting_customer": "b-amber",
    "waiting_third_party": "b-amber",
    "resolved": "b-green",
    "closed": "b-grey",
}
SEVERITY_COLOURS = {"low": "b-grey", "normal": "b-blue", "high": "b-orange", "critical": "b-red"}
SLA_STATE_COLOURS = {
    "active": "b-blue",
    "paused": "b-grey",
    "fulfilled": "b-green",
    "breached": "b-red",
}


def _may_see(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.can_view_personal_data)


@register.filter
def phone_for(value: str, user: Any) -> str:
    """`{{ customer.phone|phone_for:request.user }}`: masked unless the user may see it."""
    return value if _may_see(user) else mask_phone(value or "")


@register.filter
def id_number_for(value: str, user: Any) -> str:
    return value if _may_see(user) else mask_id_number(value or "")


@register.simple_tag
def status_badge(case_or_status: Any) -> SafeString:
    """A coloured badge for a case status (pass the case or the status value)."""
    from manyi.cases.choices import Status

    value = getattr(case_or_status, "status", case_or_status)
    label = Status(value).label if value in Status.values else value
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        STATUS_COLOURS.get(value, "b-grey"),
        value,
        label,
    )


@register.simple_tag
def severity_badge(case_or_severity: Any) -> SafeString:
    from manyi.cases.choices import Severity

    value = getattr(case_or_severity, "severity", case_or_severity)
    label = Severity(value).label if value in Severity.values else value
    return format_html(
        '<span class="badge {}">{}</span>', SEVERITY_COLOURS.get(value, "b-grey"), label
    )


@register.simple_tag
def sla_state_badge(state: str, warned: bool = False) -> SafeString:
    from manyi.cases.choices import SlaState

    label = SlaState(state).label if state in SlaState.values else state
    colour = SLA_STATE_COLOURS.get(state, "b-grey")
    if state == "active" and warned:
        return format_html('<span class="badge b-amber">{} · {}</span>', label, _("warned"))
    return format_html('<span class="badge {}">{}</span>', colour, label)


def duration_text(minutes: int) -> str:
    """1 d 2 h / 1 h 20 min / 35 min."""
    minutes = abs(int(minutes))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


def countdown_text(due: dt.datetime, now: dt.datetime) -> str:
    seconds = (due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    if seconds < 0:
        return _("overdue %(t)s") % {"t": duration_text(minutes)}
    return _("due in %(t)s") % {"t": duration_text(minutes)}


@register.simple_tag
def countdown(due: dt.datetime | None, now: dt.datetime | None = None) -> SafeString:
    """A live "due in 1 h 20 min / overdue 35 min" element; manyi.js refreshes it every 30 s."""
    if due is None:
        return format_html('<span class="muted">—</span>')
    now = now or timezone.now()
    seconds = (due - now).total_seconds()
    state = "is-overdue" if seconds < 0 else ("is-soon" if seconds <= 3600 else "")
    return format_html(
        '<span class="countdown {}" data-due="{}" title="{}">{}</span>',
        state,
        due.isoformat(),
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        countdown_text(due, now),
    )


@register.simple_tag
def countdown_i18n() -> SafeString:
    """The countdown's phrases for manyi.js, from the same translations as the server text."""
    from django.utils.html import json_script

    return json_script(
        {
            "dueIn": _("due in %(t)s"),
            "overdue": _("overdue %(t)s"),
            "days": _("%(d)d d %(h)d h"),
            "hours": _("%(h)d h %(m)d min"),
            "minutes": _("%(m)d min"),
        },
        "manyi-i18n",
    )


@register.simple_tag
def describe_event(event: Any) -> EventView:
    """`{% describe_event ev as view %}`: an AuditEvent in the current language."""
    return describe(event)


@register.filter
def sla_metric(value: str) -> str:
    from manyi.cases.choices import SlaMetric

    return str(SlaMetric(value).label) if value in SlaMetric.values else value


@register.filter
def sla_clock(value: str) -> str:
    from manyi.cases.choices import SlaClockKind

    return str(SlaClockKind(value).label) if value in SlaClockKind.values else value


@register.filter
def clock_used(clock: Any) -> int:
    """Minutes a live clock has used, counted on its own kind of clock."""
    if clock.clock == "business":
        return int(clock.business_minutes_elapsed)
    return int(clock.calendar_minutes_elapsed)


@register.filter
def minutes_text(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    return duration_text(minutes)


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (empty value removes one)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is None:
        return ""
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
