"""Audit events in words, in the reader's current language.

An event stores identifiers (kind, field names, choice values, ISO times); this module turns
them into a title, detail lines and a body when the page is rendered, so the same event reads
in Chinese or English depending on who looks at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.audit.models import AuditEvent, EventKind

# Labels of keys that are not model fields.
_EXTRA_LABELS = {
    "event": lambda: _("event"),
    "metric": lambda: _("SLA metric"),
    "due_at": lambda: _("due"),
    "due": lambda: _("due"),
    "to": lambda: _("to"),
    "automatic": lambda: _("automatic"),
    "sla_policy": lambda: _("SLA policy"),
    "asset": lambda: _("vehicle / asset"),
    "action_kind": lambda: _("recovery action"),
    "action_state": lambda: _("state"),
    "value": lambda: _("value (yuan)"),
    "principle": lambda: _("principle"),
    "guarantee": lambda: _("guarantee"),
    "payout": lambda: _("payout (yuan)"),
    "result": lambda: _("result"),
    "satisfaction": lambda: _("satisfaction"),
    "followup_reason": lambda: _("follow-up reason"),
    "scheduled_for": lambda: _("call on"),
    "direction": lambda: _("direction"),
    "medium": lambda: _("medium"),
    "message_channel": lambda: _("sent by"),
    "survey": lambda: _("survey"),
    "survey_response": lambda: _("survey answer"),
    "published_version": lambda: _("published version"),
}
_TIME_FIELDS = frozenset({"due_at", "received_at", "birthday", "purchase_date"})


@dataclass(frozen=True)
class EventView:
    """What the timeline shows for one event."""

    event_id: int
    kind: str  # a CSS-friendly key: "status", "sla-breached", …
    title: str
    details: list[str] = field(default_factory=list)
    body: str = ""
    actor: str = ""
    at: dt.datetime | None = None


def _models() -> list[type[models.Model]]:
    from manyi.cases.models import Case
    from manyi.customers.models import Asset, Customer

    return [Case, Customer, Asset]


def field_label(name: str) -> str:
    if name in _EXTRA_LABELS:
        return str(_EXTRA_LABELS[name]())
    for model in _models():
        try:
            f = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        label = getattr(f, "verbose_name", name)
        return str(label)
    return name.replace("_", " ")


def _choices(name: str) -> Mapping[str, Any] | None:
    from manyi.cases.choices import (
        Channel,
        ComplainerType,
        Direction,
        EscalationLevel,
        Medium,
        Nature,
        Outcome,
        RootCause,
        Severity,
        SlaEventKind,
        SlaMetric,
        Status,
    )
    from manyi.customers.choices import Gender, Language, SourceChannel, SwitchingReason, Tier
    from manyi.followups.choices import ContactResult, Reason, Satisfaction
    from manyi.notifications.models import CustomerChannel
    from manyi.recovery.choices import ActionKind, ActionState, Principle

    table: dict[str, Any] = {
        "status": Status,
        "severity": Severity,
        "channel": Channel,
        "nature": Nature,
        "complainer_type": ComplainerType,
        "metric": SlaMetric,
        "event": SlaEventKind,
        "tier": Tier,
        "gender": Gender,
        "source_channel": SourceChannel,
        "escalation_level": EscalationLevel,
        "outcome": Outcome,
        "root_cause": RootCause,
        "direction": Direction,
        "medium": Medium,
        "lost_reason": SwitchingReason,
        "language": Language,
        "action_kind": ActionKind,
        "action_state": ActionState,
        "principle": Principle,
        "result": ContactResult,
        "satisfaction": Satisfaction,
        "followup_reason": Reason,
        "message_channel": CustomerChannel,
    }
    enum = table.get(name)
    if enum is None:
        return None
    return {str(v): label for v, label in enum.choices}


def _time(value: str) -> str:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if isinstance(parsed, dt.datetime) and "T" in value:
        if timezone.is_aware(parsed):
            parsed = timezone.localtime(parsed)
        return parsed.strftime("%Y-%m-%d %H:%M")
    return value


def value_text(name: str, value: Any, categories: Mapping[int, str] | None = None) -> str:
    """One stored value in words."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if name == "category" and isinstance(value, dict):
        cat_id = value.get("id")
        if categories and isinstance(cat_id, int) and cat_id in categories:
            return categories[cat_id]
        return str(value.get("label", cat_id))
    if isinstance(value, dict) and "label" in value:
        return str(value["label"])
    if name == "due" and isinstance(value, dict):
        return "; ".join(
            f"{value_text('metric', m)} {_time(v) if v else '—'}" for m, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(value_text(name, v, categories) for v in value)
    choices = _choices(name)
    if choices is not None:
        return str(choices.get(str(value), value))
    if name in _TIME_FIELDS and isinstance(value, str):
        return _time(value)
    return str(value)


def _change(name: str, pair: Any, categories: Mapping[int, str] | None) -> str:
    before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
    label = field_label(name)
    if before in (None, "", []):
        return _("%(field)s: %(after)s") % {
            "field": label,
            "after": value_text(name, after, categories),
        }
    return _("%(field)s: %(before)s → %(after)s") % {
        "field": label,
        "before": value_text(name, before, categories),
        "after": value_text(name, after, categories),
    }


def _after(changes: Mapping[str, Any], key: str) -> Any:
    pair = changes.get(key)
    if isinstance(pair, list) and len(pair) == 2:
        return pair[1]
    return None


def _before(changes: Mapping[str, Any], key: str) -> Any:
    pair = changes.get(key)
    if isinstance(pair, list) and len(pair) == 2:
        return pair[0]
    return None


def describe(event: AuditEvent, *, categories: Mapping[int, str] | None = None) -> EventView:
    """The event in the current language. `categories` maps ids to current category names."""
    ch: Mapping[str, Any] = event.changes or {}
    kind = event.kind
    css = kind
    details: list[str] = []
    body = event.message or ""
    is_case = event.case_id is not None

    def v(name: str, value: Any) -> str:
        return value_text(name, value, categories)

    is_settings = not is_case and event.customer_id is None  # e.g. a template or guarantee
    if kind == EventKind.CREATED and is_settings:
        title = _("Created: %(what)s") % {"what": body}
        body = ""
        details = [_change(k, p, categories) for k, p in ch.items()]
    elif kind == EventKind.CHANGED and is_settings:
        title = _("Changed: %(what)s") % {"what": body}
        body = ""
        details = [_change(k, p, categories) for k, p in ch.items()]
    elif kind == EventKind.CREATED:
        title = _("Created the case") if is_case else _("Created the customer")
        if is_case:
            shown = [v(k, _after(ch, k)) for k in ("channel", "category", "severity") if k in ch]
            details = [" · ".join(shown)] if shown else []
        else:
            details = [_change(k, p, categories) for k, p in ch.items()]
        if is_case and body:
            details.append(_("SLA policy: %(name)s") % {"name": body})
            body = ""
    elif kind == EventKind.CHANGED:
        title = _("Changed the case") if is_case else _("Changed the customer")
        details = [_change(k, p, categories) for k, p in ch.items()]
    elif kind == EventKind.STATUS:
        title = _("Changed the status from %(before)s to %(after)s") % {
            "before": v("status", _before(ch, "status")),
            "after": v("status", _after(ch, "status")),
        }
        details = [_change(k, ch[k], categories) for k in ch if k != "status"]
    elif kind == EventKind.RESPONDED:
        how = (
            v("medium", _after(ch, "medium"))
            if "medium" in ch
            else v("channel", _after(ch, "channel"))
        )
        title = _("Responded to the customer (%(channel)s)") % {"channel": how}
    elif kind == EventKind.COMMENTED:
        title = _("Added an internal note")
    elif kind == EventKind.ASSIGNED:
        title = _("Transferred the case from %(before)s to %(after)s") % {
            "before": v("owner", _before(ch, "owner")),
            "after": v("owner", _after(ch, "owner")),
        }
    elif kind == EventKind.ESCALATED:
        level = v("escalation_level", _after(ch, "escalation_level"))
        target = _after(ch, "to")
        target_text = f"{level} ({target})" if target else level
        if _after(ch, "automatic"):
            title = _("Escalated automatically to %(target)s") % {"target": target_text}
        else:
            title = _("Escalated to %(target)s") % {"target": target_text}
    elif kind == EventKind.REOPENED:
        title = _("Reopened the case")
    elif kind == EventKind.SLA:
        what = _after(ch, "event")
        metric = v("metric", _after(ch, "metric"))
        due = v("due_at", _after(ch, "due_at"))
        css = f"sla-{what}" if what else "sla"
        if what == "warned":
            title = _("SLA warning: %(metric)s is due at %(due)s") % {"metric": metric, "due": due}
        elif what == "breached":
            title = _("SLA breached: %(metric)s was due at %(due)s") % {
                "metric": metric,
                "due": due,
            }
        elif what == "reevaluated":
            title = _("SLA re-evaluated")
            details = [_change(k, ch[k], categories) for k in ("sla_policy", "due") if k in ch]
        else:
            title = _("SLA: %(event)s") % {"event": v("event", what)}
            details = [_change(k, p, categories) for k, p in ch.items() if k != "event"]
    elif kind == EventKind.NOTIFIED:
        title = _("Notified")
    elif kind == EventKind.IMPORTED:
        title = _("Imported")
        details = [_change(k, p, categories) for k, p in ch.items()]
    else:
        title = str(EventKind(kind).label) if kind in EventKind.values else kind
        details = [_change(k, p, categories) for k, p in ch.items()]
    return EventView(
        event_id=event.pk,
        kind=css,
        title=str(title),
        details=[str(d) for d in details],
        body=body,
        actor=str(event.actor) if event.actor_id and event.actor else str(_("System")),
        at=event.at,
    )


def category_ids(events: Iterable[AuditEvent]) -> set[int]:
    ids: set[int] = set()
    for e in events:
        pair = (e.changes or {}).get("category")
        if isinstance(pair, list):
            for value in pair:
                if isinstance(value, dict) and isinstance(value.get("id"), int):
                    ids.add(value["id"])
    return ids


def describe_all(events: Iterable[AuditEvent]) -> list[EventView]:
    """Describe many events; category names come from one query, in the current language."""
    from manyi.cases.models import Category

    events = list(events)
    ids = category_ids(events)
    categories: dict[int, str] = {}
    if ids:
        categories = {
            c.pk: c.label() for c in Category.objects.filter(pk__in=ids).select_related("parent")
        }
    return [describe(e, categories=categories) for e in events]
