"""The next days of a calendar as an admin sees them: working windows and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.calendars.engine import CalendarSpec, day_windows, official_data_years
from manyi.calendars.models import BusinessCalendar

# chinese_calendar names its holidays in English; these make them translatable.
OFFICIAL_NAMES = {
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "National Day": gettext_lazy("National Day"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": gettext_lazy("Anti-Fascist 70th Day"),
}


@dataclass(frozen=True)
class PreviewDay:
    date: dt.date
    windows: list[str]
    minutes: int
    reason: str
    kind: str  # css key: work, closed, holiday, makeup, nodata


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _official_name(d: dt.date, table: dict[dt.date, str]) -> str:
    name = table.get(d, "")
    return str(OFFICIAL_NAMES.get(name, name))


def _reason(
    spec: CalendarSpec, d: dt.date, windows: tuple[tuple[int, int], ...]
) -> tuple[str, str]:
    if d in spec.holidays:
        return _("Holiday of this calendar"), "holiday"
    if d in spec.extra_workdays:
        return _("Make-up working day of this calendar"), "makeup"
    if spec.official_cn_holidays:
        if d.year not in official_data_years():
            kind = "nodata"
            label = _("No official data for %(year)d: weekly hours") % {"year": d.year}
            return label, kind
        if d in chinese_calendar.holidays:
            name = _official_name(d, chinese_calendar.holidays)
            return _("Official holiday: %(name)s") % {"name": name}, "holiday"
        if d in chinese_calendar.workdays and d.weekday() >= 5:
            name = _official_name(d, chinese_calendar.workdays)
            return _("Official make-up working day: %(name)s") % {"name": name}, "makeup"
    if windows:
        return _("Working day"), "work"
    return _("Closed"), "closed"


def preview(
    calendar: BusinessCalendar, *, days: int = 14, start: dt.date | None = None
) -> list[PreviewDay]:
    """`days` days from today (in the calendar's time zone) with their windows."""
    spec = calendar.spec()
    first = start or timezone.now().astimezone(ZoneInfo(spec.timezone)).date()
    out = []
    for i in range(days):
        d = first + dt.timedelta(days=i)
        windows = day_windows(spec, d)
        reason, kind = _reason(spec, d, windows)
        out.append(
            PreviewDay(
                date=d,
                windows=[f"{_fmt(s)}–{_fmt(e)}" for s, e in windows],
                minutes=sum(e - s for s, e in windows),
                reason=reason,
                kind=kind,
            )
        )
    return out
