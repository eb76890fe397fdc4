"""Creating and changing business calendars."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation
from manyi.calendars.engine import validate_calendar_dict, years_without_official_data
from manyi.calendars.models import BusinessCalendar, default_weekly_hours
from manyi.core.errors import ValidationFailed

CALENDAR_FIELDS = (
    "name",
    "timezone",
    "weekly_hours",
    "holidays",
    "extra_workdays",
    "extra_workday_hours",
    "official_cn_holidays",
)


def _check(organisation: Organisation, data: dict[str, Any], exclude: int | None) -> None:
    errors = validate_calendar_dict(data)
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    else:
        qs = BusinessCalendar.objects.filter(organisation=organisation, name=name)
        if exclude:
            qs = qs.exclude(pk=exclude)
        if qs.exists():
            errors["name"] = [_("Another calendar has this name.")]
    if errors:
        raise ValidationFailed({k: [str(m) for m in v] for k, v in errors.items()})


@transaction.atomic
def create_calendar(*, organisation: Organisation, data: dict[str, Any]) -> BusinessCalendar:
    unknown = set(data) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValidationFailed({k: [_("Unknown field.")] for k in sorted(unknown)})
    full = {
        "timezone": "Asia/Shanghai",
        "weekly_hours": default_weekly_hours(),
        "holidays": [],
        "extra_workdays": [],
        "extra_workday_hours": None,
        "official_cn_holidays": True,
        **data,
    }
    _check(organisation, full, None)
    full["name"] = full["name"].strip()
    return BusinessCalendar.objects.create(organisation=organisation, **full)


@transaction.atomic
def update_calendar(*, calendar: BusinessCalendar, data: dict[str, Any]) -> BusinessCalendar:
    unknown = set(data) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValidationFailed({k: [_("Unknown field.")] for k in sorted(unknown)})
    merged = {"name": calendar.name, **calendar.as_dict(), **data}
    _check(calendar.organisation, merged, calendar.pk)
    for k, v in data.items():
        setattr(calendar, k, v.strip() if k == "name" else v)
    calendar.save()
    return calendar


def missing_official_years(calendar: BusinessCalendar) -> list[int]:
    """Years from last year to two years ahead that have no official holiday data: the UI
    warns admins, because those years fall back to weekly hours plus the calendar's own days."""
    year = timezone.localdate().year
    return years_without_official_data(calendar.spec(), range(year - 1, year + 3))
