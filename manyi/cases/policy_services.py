"""Creating and changing SLA policies, checked field by field.

Changes apply to cases created or re-evaluated afterwards; due times already set on open
cases stay until the case's severity, category or channel changes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation, Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.calendars.models import BusinessCalendar
from manyi.cases.choices import Channel, Severity, SlaClockKind, SlaMetric, Status
from manyi.cases.models import Category, SlaPolicy, SlaTarget
from manyi.core.errors import ValidationFailed
from manyi.customers.choices import Tier

POLICY_FIELDS = (
    "name",
    "rank",
    "calendar",
    "match",
    "targets",
    "pause_on",
    "warn_at_percent",
    "active",
)
MATCH_KEYS = ("severity", "channel", "category", "customer_tier", "store")
MAX_TARGET_MINUTES = 1_000_000
MAX_RANK = 1_000_000
# Resolving and closing stop the clocks; only the statuses of an open case can pause them.
PAUSABLE_STATUSES = tuple(s for s in Status.values if s not in (Status.RESOLVED, Status.CLOSED))

Errors = dict[str, list[str]]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _string_list(value: object) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return None
    out: list[str] = []
    for v in value:
        v = v.strip()
        if v and v not in out:
            out.append(v)
    return out


def _unknown(values: list[str]) -> str:
    return _("Unknown values: %(values)s.") % {"values": ", ".join(values)}


def _clean_match(organisation: Organisation, raw: object, errors: Errors) -> dict[str, list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors["match"] = [_("Enter an object.")]
        return {}
    allowed = {
        "severity": set(Severity.values),
        "channel": set(Channel.values),
        "customer_tier": set(Tier.values),
    }
    match: dict[str, list[str]] = {}
    for key, value in raw.items():
        name = f"match.{key}"
        if key not in MATCH_KEYS:
            errors[name] = [_("Unknown condition.")]
            continue
        values = _string_list(value)
        if values is None:
            errors[name] = [_("Enter a list of codes.")]
            continue
        if not values:
            continue  # an empty list matches anything: leave the condition out
        if key in allowed:
            bad = [v for v in values if v not in allowed[key]]
        elif key == "category":
            known = set(
                Category.objects.filter(organisation=organisation, code__in=values).values_list(
                    "code", flat=True
                )
            )
            bad = [v for v in values if v not in known]
        else:
            known = set(
                Store.objects.filter(organisation=organisation, code__in=values).values_list(
                    "code", flat=True
                )
            )
            bad = [v for v in values if v not in known]
        if bad:
            errors[name] = [_unknown(bad)]
        match[key] = values
    return match


def _clean_targets(raw: object, errors: Errors) -> list[tuple[str, int, str]]:
    if not isinstance(raw, list | tuple):
        errors["targets"] = [_("Enter a list of targets.")]
        return []
    if not raw:
        errors["targets"] = [_("Give at least one target.")]
        return []
    targets: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        prefix = f"targets.{i}"
        if not isinstance(item, dict):
            errors[prefix] = [_("Enter an object.")]
            continue
        unknown = sorted(set(item) - {"metric", "minutes", "clock"})
        for key in unknown:
            errors[f"{prefix}.{key}"] = [_("Unknown field.")]
        metric = item.get("metric")
        raw_minutes = item.get("minutes")
        minutes: int = 0
        if isinstance(raw_minutes, int) and not isinstance(raw_minutes, bool):
            minutes = raw_minutes
        clock = item.get("clock", SlaClockKind.BUSINESS)
        ok = not unknown
        if metric not in SlaMetric.values:
            errors[f"{prefix}.metric"] = [_("Not one of the allowed values.")]
            ok = False
        elif metric in seen:
            errors[f"{prefix}.metric"] = [_("This metric has a target already.")]
            ok = False
        if not _is_int(raw_minutes):
            errors[f"{prefix}.minutes"] = [_("Enter a whole number.")]
            ok = False
        elif minutes <= 0:
            errors[f"{prefix}.minutes"] = [_("Must be more than 0 minutes.")]
            ok = False
        elif minutes > MAX_TARGET_MINUTES:
            errors[f"{prefix}.minutes"] = [_("At most %(n)d minutes.") % {"n": MAX_TARGET_MINUTES}]
            ok = False
        if clock not in SlaClockKind.values:
            errors[f"{prefix}.clock"] = [_("Not one of the allowed values.")]
            ok = False
        if isinstance(metric, str):
            seen.add(metric)
        if ok:
            targets.append((str(metric), minutes, str(clock)))
    return targets


def _clean(
    organisation: Organisation, data: dict[str, Any], policy: SlaPolicy | None
) -> dict[str, Any]:
    errors: Errors = {}
    out: dict[str, Any] = {}
    for key in sorted(set(data) - set(POLICY_FIELDS)):
        errors[key] = [_("Unknown field.")]
    if policy is None:
        for key in ("name", "targets"):
            if key not in data:
                errors[key] = [_("This field is required.")]
    if "name" in data:
        name = data["name"].strip() if isinstance(data["name"], str) else ""
        if not name:
            errors["name"] = [_("A name is required.")]
        elif len(name) > 200:
            errors["name"] = [_("At most %(n)d characters.") % {"n": 200}]
        out["name"] = name
    if "rank" in data:
        rank = data["rank"]
        if not _is_int(rank):
            errors["rank"] = [_("Enter a whole number.")]
        elif not 0 <= rank <= MAX_RANK:
            errors["rank"] = [_("Between 0 and %(n)d.") % {"n": MAX_RANK}]
        out["rank"] = rank
    if "calendar" in data:
        out["calendar"] = _clean_calendar(organisation, data["calendar"], errors)
    if "match" in data:
        out["match"] = _clean_match(organisation, data["match"], errors)
        if out["match"] and policy is not None and policy.is_default:
            errors["match"] = [_("The default policy applies to every case; it has no conditions.")]
    if "targets" in data:
        out["targets"] = _clean_targets(data["targets"], errors)
    if "pause_on" in data:
        statuses = _string_list(data["pause_on"])
        if statuses is None:
            errors["pause_on"] = [_("Enter a list of statuses.")]
        else:
            bad = [s for s in statuses if s not in PAUSABLE_STATUSES]
            if bad:
                errors["pause_on"] = [
                    _unknown(bad) + " " + _("Only the statuses of an open case can pause clocks.")
                ]
            out["pause_on"] = statuses
    if "warn_at_percent" in data:
        pct = data["warn_at_percent"]
        if not _is_int(pct) or not 1 <= pct <= 100:
            errors["warn_at_percent"] = [_("Between 1 and 100.")]
        out["warn_at_percent"] = pct
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Enter true or false.")]
        elif not data["active"] and policy is not None and policy.is_default:
            errors["active"] = [_("The default policy cannot be switched off.")]
        out["active"] = data["active"]
    if errors:
        raise ValidationFailed(errors)
    return out


def _clean_calendar(
    organisation: Organisation, value: object, errors: Errors
) -> BusinessCalendar | None:
    if value is None:
        return None
    if isinstance(value, BusinessCalendar):
        calendar: BusinessCalendar | None = value
        if value.organisation_id != organisation.pk:
            calendar = None
    elif isinstance(value, int) and not isinstance(value, bool):
        calendar = BusinessCalendar.objects.filter(organisation=organisation, pk=value).first()
    else:
        calendar = None
    if calendar is None:
        errors["calendar"] = [_("Unknown calendar.")]
    return calendar


def _describe(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "rank": policy.rank,
        "calendar": policy.calendar_id,
        "match": policy.match,
        "targets": sorted(
            [t.metric, t.minutes, t.clock] for t in SlaTarget.objects.filter(policy=policy)
        ),
        "pause_on": policy.pause_on,
        "warn_at_percent": policy.warn_at_percent,
        "active": policy.active,
    }


@transaction.atomic
def save_sla_policy(
    *,
    organisation: Organisation,
    actor: User | None,
    data: dict[str, Any],
    policy: SlaPolicy | None = None,
) -> SlaPolicy:
    """Create an SLA policy (`policy` None: `name` and `targets` required) or change the
    fields of `data` on `policy`. `data` holds JSON-like values: `calendar` is an id (or a
    calendar of the organisation), `targets` a list of {"metric", "minutes", "clock"} that
    replaces the policy's targets. Raises ValidationFailed with one message per bad field
    (nested ones as "targets.1.minutes", "match.category")."""
    if policy is not None:
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.organisation_id != organisation.pk:
            raise ValidationFailed({"__all__": [_("Unknown SLA policy.")]})
    clean = _clean(organisation, data, policy)
    before = _describe(policy) if policy is not None else {}
    targets = clean.pop("targets", None)
    if policy is None:
        clean.setdefault("pause_on", ["waiting_customer", "waiting_third_party"])
        policy = SlaPolicy.objects.create(organisation=organisation, **clean)
    else:
        for key, value in clean.items():
            setattr(policy, key, value)
        policy.save()
    if targets is not None:
        SlaTarget.objects.filter(policy=policy).delete()
        SlaTarget.objects.bulk_create(
            SlaTarget(policy=policy, metric=m, minutes=n, clock=c) for m, n, c in targets
        )
    after = _describe(policy)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        record_event(
            organisation_id=organisation.pk,
            kind=EventKind.CREATED if not before else EventKind.CHANGED,
            actor=actor,
            message=_("SLA policy “%(name)s”") % {"name": policy.name},
            changes=changes,
        )
    return policy
