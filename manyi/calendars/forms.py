"""The business-calendar form: weekly hours as one text line per weekday
("09:00-12:00, 13:30-18:00"), holidays and make-up days one date per line. Parsed here with
translated messages, then checked with manyi.calendars.engine.validate_calendar_dict."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from itertools import pairwise
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.calendars.engine import WEEKDAYS, validate_calendar_dict
from manyi.calendars.models import BusinessCalendar

WEEKDAY_LABELS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
MAX_RANGE_DAYS = 62

_DASH = re.compile(r"\s*[-–—~～至到]\s*")
_SPLIT = re.compile(r"[,，;；、]+")
_WINDOW = re.compile(r"^(\d{1,2})(?:[:：](\d{2}))?-(\d{1,2})(?:[:：](\d{2}))?$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_RANGE = re.compile(r"\s*(?:~|～|\.\.|至|到)\s*")


def _minutes(hours: str, minutes: str | None) -> int | None:
    h, m = int(hours), int(minutes or 0)
    if m > 59 or h > 24 or (h == 24 and m != 0):
        return None
    return h * 60 + m


def _hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def parse_windows(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:30-18:00" → [["09:00", "12:00"], ["13:30", "18:00"]]; empty means no
    working time. Raises forms.ValidationError with every problem found."""
    text = (text or "").strip()
    if not text:
        return []
    parts: list[str] = []
    for piece in _SPLIT.split(_DASH.sub("-", text)):
        piece = piece.strip()
        tokens = piece.split()
        # "09:00-12:00 13:30-18:00" is two windows; "9 to 12" is one bad one.
        if len(tokens) > 1 and all(_WINDOW.match(t) for t in tokens):
            parts.extend(tokens)
        elif piece:
            parts.append(piece)
    errors: list[str] = []
    windows: list[tuple[int, int]] = []
    for part in parts:
        match = _WINDOW.match(part)
        if match is None:
            errors.append(
                _("“%(part)s” is not a time window; write it like 09:00-12:00.") % {"part": part}
            )
            continue
        start = _minutes(match.group(1), match.group(2))
        end = _minutes(match.group(3), match.group(4))
        bad = [
            f"{g1}:{g2 or '00'}"
            for value, g1, g2 in (
                (start, match.group(1), match.group(2)),
                (end, match.group(3), match.group(4)),
            )
            if value is None
        ]
        if bad:
            for time in bad:
                errors.append(_("%(time)s is not a valid time (00:00 to 24:00).") % {"time": time})
            continue
        assert start is not None and end is not None
        if start == 24 * 60:
            errors.append(_("24:00 can only end a window."))
        elif start >= end:
            errors.append(
                _("In %(window)s the start must be before the end.")
                % {"window": f"{_hhmm(start)}-{_hhmm(end)}"}
            )
        else:
            windows.append((start, end))
    windows.sort()
    for (s1, e1), (s2, e2) in pairwise(windows):
        if s2 < e1:
            errors.append(
                _("The windows %(a)s and %(b)s overlap.")
                % {"a": f"{_hhmm(s1)}-{_hhmm(e1)}", "b": f"{_hhmm(s2)}-{_hhmm(e2)}"}
            )
    if errors:
        raise forms.ValidationError(errors)
    return [[_hhmm(s), _hhmm(e)] for s, e in windows]


def format_windows(windows: list[list[str]] | None) -> str:
    return ", ".join(f"{s}-{e}" for s, e in (windows or []))


def _parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text.strip())
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_dates(text: str) -> list[str]:
    """One date per line (YYYY-MM-DD; a range "2026-10-01 ~ 2026-10-07" is fine; anything
    after the date, such as a note, is ignored) → sorted ISO dates."""
    errors: list[str] = []
    dates: set[dt.date] = set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.split("#")[0].strip()
        if not line:
            continue
        pieces = _RANGE.split(line, maxsplit=1)
        first = _parse_date(pieces[0].split()[0]) if pieces[0].split() else None
        last = first
        if len(pieces) == 2:
            last = _parse_date(pieces[1].split()[0]) if pieces[1].split() else None
        if first is None or last is None:
            errors.append(
                _("Line %(n)d: “%(text)s” is not a date; write YYYY-MM-DD.")
                % {"n": number, "text": line}
            )
            continue
        if last < first or (last - first).days > MAX_RANGE_DAYS:
            errors.append(
                _("Line %(n)d: a range runs forwards and spans at most %(days)d days.")
                % {"n": number, "days": MAX_RANGE_DAYS}
            )
            continue
        dates.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    if errors:
        raise forms.ValidationError(errors)
    return sorted(d.isoformat() for d in dates)


def _timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(zoneinfo.available_timezones())
    first = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Urumqi"]
    return [(z, z) for z in first if z in zones] + [(z, z) for z in zones if z not in first]


class CalendarForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"), initial="Asia/Shanghai")
    holidays = forms.CharField(
        label=gettext_lazy("Holidays (closed days)"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "2027-01-01\n2027-02-05 ~ 2027-02-11"}
        ),
        help_text=gettext_lazy(
            "One date per line, YYYY-MM-DD; a range as 2027-02-05 ~ 2027-02-11."
        ),
    )
    extra_workdays = forms.CharField(
        label=gettext_lazy("Make-up working days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "2027-02-14"}),
        help_text=gettext_lazy("Weekend days that are working days, one per line."),
    )
    extra_workday_hours = forms.CharField(
        label=gettext_lazy("Hours on make-up working days"),
        required=False,
        help_text=gettext_lazy("Empty: Monday's hours."),
    )
    official_cn_holidays = forms.BooleanField(
        label=gettext_lazy("Include China's official holidays and make-up days"),
        required=False,
        initial=True,
        help_text=gettext_lazy("From the chinesecalendar data, for the years it covers."),
    )

    def __init__(self, *args: Any, calendar: BusinessCalendar | None = None, **kwargs: Any) -> None:
        if calendar is not None and "initial" not in kwargs:
            kwargs["initial"] = calendar_initial(calendar)
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _timezone_choices()  # type: ignore[attr-defined]
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=WEEKDAY_LABELS[day],
                required=False,
                widget=forms.TextInput(attrs={"placeholder": gettext_lazy("closed")}),
            )
            if calendar is None:
                self.fields[f"hours_{day}"].initial = (
                    "09:00-12:00, 13:30-18:00" if day not in ("sat", "sun") else ""
                )

    def weekday_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        weekly: dict[str, list[list[str]]] = {}
        for day in WEEKDAYS:
            name = f"hours_{day}"
            if name in self.errors:
                continue
            try:
                weekly[day] = parse_windows(cleaned.get(name) or "")
            except forms.ValidationError as e:
                self.add_error(name, e)
                continue
            # The engine has the last word on each weekday.
            for message in validate_calendar_dict({"weekly_hours": {day: weekly[day]}}).get(
                "weekly_hours", []
            ):
                self.add_error(name, message)
        self._parse_field(cleaned, "extra_workday_hours", parse_windows)
        self._parse_field(cleaned, "holidays", parse_dates)
        self._parse_field(cleaned, "extra_workdays", parse_dates)
        if "holidays" not in self.errors and "extra_workdays" not in self.errors:
            both = sorted(
                set(cleaned.get("holidays") or []) & set(cleaned.get("extra_workdays") or [])
            )
            if both:
                self.add_error(
                    "extra_workdays",
                    _("%(dates)s cannot be both a holiday and a make-up working day.")
                    % {"dates": ", ".join(both)},
                )
        if not self.errors:
            data = self.calendar_data(cleaned, weekly)
            for field, messages in validate_calendar_dict(data).items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        cleaned["weekly_hours"] = weekly
        return cleaned

    def _parse_field(self, cleaned: dict[str, Any], name: str, parse: Any) -> None:
        if name in self.errors:
            return
        try:
            cleaned[name] = parse(cleaned.get(name) or "")
        except forms.ValidationError as e:
            self.add_error(name, e)

    @staticmethod
    def calendar_data(
        cleaned: dict[str, Any], weekly: dict[str, list[list[str]]]
    ) -> dict[str, Any]:
        return {
            "name": cleaned.get("name", ""),
            "timezone": cleaned.get("timezone", ""),
            "weekly_hours": weekly,
            "holidays": cleaned.get("holidays") or [],
            "extra_workdays": cleaned.get("extra_workdays") or [],
            "extra_workday_hours": cleaned.get("extra_workday_hours") or None,
            "official_cn_holidays": bool(cleaned.get("official_cn_holidays")),
        }

    def to_data(self) -> dict[str, Any]:
        return self.calendar_data(self.cleaned_data, self.cleaned_data["weekly_hours"])


def calendar_initial(calendar: BusinessCalendar) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "holidays": "\n".join(sorted(calendar.holidays or [])),
        "extra_workdays": "\n".join(sorted(calendar.extra_workdays or [])),
        "extra_workday_hours": format_windows(calendar.extra_workday_hours),
        "official_cn_holidays": calendar.official_cn_holidays,
    }
    for day in WEEKDAYS:
        initial[f"hours_{day}"] = format_windows((calendar.weekly_hours or {}).get(day))
    return initial
