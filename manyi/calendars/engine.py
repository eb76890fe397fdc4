"""Pure business-calendar arithmetic (no Django).

A :class:`CalendarSpec` describes *when people work*: weekly working windows in
local wall-clock time, the organisation's own holidays and make-up working days
(调休), and optionally China's official holiday data (``chinese_calendar``).

The functions in this module answer SLA-clock questions about such a calendar:

* :func:`add_business_minutes` -- the instant reached after *n* working minutes,
* :func:`business_minutes_between` -- working minutes elapsed between two instants,
* :func:`is_business_time` -- is an instant inside a working window,
* :func:`day_windows` -- the working windows of one local date.

Time rules
----------
* Windows are local wall-clock times of the spec's time zone (``zoneinfo``).  Each
  window boundary is turned into an aware local datetime and then into UTC, so a
  window spanning a DST change has its *real* length (e.g. 01:00-04:00 on the
  spring-forward day in America/New_York lasts two hours).  A boundary that falls
  in a DST gap (a wall time that does not exist) is moved to the transition
  instant, i.e. the first real instant after the gap.  An ambiguous wall time (the
  repeated hour when clocks go back) means its first occurrence.
* Windows are half-open ``[start, end)``: the start instant is working time, the
  end instant is not.
* Internally everything is counted in whole microseconds since the Unix epoch, so
  arithmetic is exact.  ``add_business_minutes`` keeps sub-minute precision (a
  start at 09:00:30 plus 10 minutes is 09:10:30).  ``business_minutes_between``
  counts the exact working time in ``[start, end)`` and **floors** it to whole
  minutes.  Hence ``business_minutes_between(s, add_business_minutes(s, n)) == n``
  for every ``s`` and ``n >= 0``, not only for ``s`` on a whole minute.

Day resolution order (see :func:`day_windows`): own holidays, own make-up days,
official data (holiday / make-up weekend day) when enabled and the year is covered,
otherwise the weekly hours.  Years outside the official data never raise; they
simply use the weekly hours and the organisation's own lists.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any, Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_WEEKLY_HOURS",
    "WEEKDAYS",
    "CalendarSpec",
    "WeeklyHours",
    "add_business_minutes",
    "business_minutes_between",
    "day_windows",
    "is_business_time",
    "official_data_years",
    "validate_calendar_dict",
    "years_without_official_data",
]

WEEKDAYS: Final[tuple[str, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DAY_WINDOWS: Final = (("09:00", "12:00"), ("13:30", "18:00"))
#: Used by :meth:`CalendarSpec.from_dict` when ``weekly_hours`` is missing.
DEFAULT_WEEKLY_HOURS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "mon": _DAY_WINDOWS,
    "tue": _DAY_WINDOWS,
    "wed": _DAY_WINDOWS,
    "thu": _DAY_WINDOWS,
    "fri": _DAY_WINDOWS,
    "sat": (),
    "sun": (),
}

_US_PER_SECOND: Final = 1_000_000
_US_PER_MINUTE: Final = 60 * _US_PER_SECOND
_US_PER_DAY: Final = 86_400 * _US_PER_SECOND
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_MAX_ORDINAL: Final = date.max.toordinal()
#: add_business_minutes gives up after this many consecutive days without working time.
_MAX_EMPTY_DAYS: Final = 3 * 366
_MINUTES_PER_DAY: Final = 24 * 60

_TIME_RE: Final = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
_DATE_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TimeWindow = tuple[str, str]
MinuteWindow = tuple[int, int]


# --------------------------------------------------------------------------------------
# Official Chinese holiday data, precomputed once at import.
# --------------------------------------------------------------------------------------


def _load_official() -> tuple[frozenset[date], frozenset[date], range]:
    module: Any = importlib.import_module("chinese_calendar")
    holidays = frozenset(d for d in module.holidays if type(d) is date)
    workdays = frozenset(d for d in module.workdays if type(d) is date)
    if not holidays:  # pragma: no cover - the library always ships data
        return holidays, workdays, range(0)
    # Same coverage rule as chinese_calendar itself (min/max year of its holiday keys).
    years = range(min(holidays).year, max(holidays).year + 1)
    return holidays, workdays, years


_OFFICIAL_HOLIDAYS, _OFFICIAL_WORKDAYS, _OFFICIAL_YEARS = _load_official()


def official_data_years() -> range:
    """Years covered by the installed ``chinese_calendar`` data (e.g. ``range(2004, 2027)``)."""
    return _OFFICIAL_YEARS


def years_without_official_data(spec: CalendarSpec, years: Iterable[int]) -> list[int]:
    """Those of ``years`` (sorted, de-duplicated) that have no official data.

    Empty when the spec does not use official data at all.
    """
    if not spec.official_cn_holidays:
        return []
    return sorted({y for y in years if y not in _OFFICIAL_YEARS})


# --------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------


def _parse_time(value: object) -> int | None:
    """``"HH:MM"`` -> minutes after midnight (``"24:00"`` -> 1440); ``None`` if malformed."""
    if not isinstance(value, str):
        return None
    return _parse_time_str(value)


@lru_cache(maxsize=4096)
def _parse_time_str(value: str) -> int | None:
    match = _TIME_RE.match(value)
    if match is None:
        return None
    if match.group(3) is not None:
        return _MINUTES_PER_DAY
    return int(match.group(1)) * 60 + int(match.group(2))


def _is_sequence(value: object) -> bool:
    """A list-like value (not a string); fast path for list/tuple, ABC check otherwise."""
    kind = type(value)
    if kind is list or kind is tuple:
        return True
    return not isinstance(value, str | bytes) and isinstance(value, Sequence)


def _check_windows(value: object, label: str) -> tuple[list[str], tuple[MinuteWindow, ...]]:
    """Validate a list of ``[start, end]`` pairs; return (errors, sorted minute windows)."""
    errors: list[str] = []
    if not _is_sequence(value):
        return [f"{label}: expected a list of [start, end] pairs."], ()
    parsed: list[MinuteWindow] = []
    for index, pair in enumerate(cast("Sequence[Any]", value), start=1):
        where = f"{label}: window {index}"
        if not _is_sequence(pair) or len(pair) != 2:
            errors.append(f"{where}: expected a [start, end] pair.")
            continue
        start_raw, end_raw = pair[0], pair[1]
        start, end = _parse_time(start_raw), _parse_time(end_raw)
        bad = False
        if start is None:
            errors.append(f"{where}: invalid start time {start_raw!r}; expected HH:MM.")
            bad = True
        elif start == _MINUTES_PER_DAY:
            errors.append(f"{where}: 24:00 is only allowed as an end time.")
            bad = True
        if end is None:
            errors.append(f"{where}: invalid end time {end_raw!r}; expected HH:MM.")
            bad = True
        if bad or start is None or end is None:
            continue
        if start >= end:
            errors.append(f"{where}: start {start_raw} must be before end {end_raw}.")
            continue
        parsed.append((start, end))
    parsed.sort()
    for (s1, e1), (s2, e2) in pairwise(parsed):
        if s2 < e1:
            errors.append(
                f"{label}: windows {_fmt(s1)}-{_fmt(e1)} and {_fmt(s2)}-{_fmt(e2)} overlap."
            )
    return errors, tuple(parsed)


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _check_timezone(value: object) -> list[str]:
    if not isinstance(value, str) or not value:
        return ["Time zone must be a non-empty string such as 'Asia/Shanghai'."]
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return [f"Unknown time zone {value!r}."]
    return []


def _check_weekly(value: object) -> tuple[list[str], dict[str, tuple[MinuteWindow, ...]]]:
    if not isinstance(value, Mapping):
        return ['Expected an object mapping "mon".."sun" to lists of windows.'], {}
    errors: list[str] = []
    parsed: dict[str, tuple[MinuteWindow, ...]] = {}
    for key, windows in value.items():
        if key not in WEEKDAYS:
            errors.append(f"Unknown weekday {key!r}; use one of {', '.join(WEEKDAYS)}.")
            continue
        day_errors, day_parsed = _check_windows(windows, key)
        errors.extend(day_errors)
        parsed[key] = day_parsed
    return errors, parsed


def _check_date_list(value: object, label: str) -> tuple[list[str], set[date]]:
    if value is None:  # treated like a missing key
        return [], set()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return [f"{label}: expected a list of YYYY-MM-DD dates."], set()
    errors: list[str] = []
    dates: set[date] = set()
    for item in value:
        if isinstance(item, str) and _DATE_RE.match(item):
            try:
                dates.add(date.fromisoformat(item))
                continue
            except ValueError:
                pass
        errors.append(f"{label}: invalid date {item!r}; expected YYYY-MM-DD.")
    return errors, dates


def _conflicts(holidays: Iterable[date], extra_workdays: Iterable[date]) -> list[str]:
    both = sorted(set(holidays) & set(extra_workdays))
    return [f"{d.isoformat()} is both a holiday and a make-up working day." for d in both]


def validate_calendar_dict(d: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validate the JSON shape accepted by :meth:`CalendarSpec.from_dict`.

    Returns ``{field: [messages]}``; an empty dict means valid.  Missing keys are
    fine (they get defaults), as is ``null`` for ``holidays`` / ``extra_workdays``;
    unknown top-level keys are ignored.
    """
    if not isinstance(d, Mapping):
        return {"__all__": ["Expected a JSON object."]}
    errors: dict[str, list[str]] = {}

    def add(key: str, messages: list[str]) -> None:
        if messages:
            errors.setdefault(key, []).extend(messages)

    if "timezone" in d:
        add("timezone", _check_timezone(d["timezone"]))
    if "weekly_hours" in d:
        add("weekly_hours", _check_weekly(d["weekly_hours"])[0])
    holiday_errors, holidays = _check_date_list(d.get("holidays", ()), "holidays")
    add("holidays", holiday_errors)
    extra_errors, extra = _check_date_list(d.get("extra_workdays", ()), "extra_workdays")
    add("extra_workdays", extra_errors)
    add("extra_workdays", _conflicts(holidays, extra))
    extra_hours = d.get("extra_workday_hours")
    if extra_hours is not None:
        add("extra_workday_hours", _check_windows(extra_hours, "extra_workday_hours")[0])
    official = d.get("official_cn_holidays", False)
    if not isinstance(official, bool):
        add("official_cn_holidays", ["Must be true or false."])
    return errors


# --------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------


class WeeklyHours(Mapping[str, tuple[TimeWindow, ...]]):
    """Immutable, hashable ``weekday -> windows`` mapping with all seven days present."""

    __slots__ = ("_data", "_hash")

    def __init__(self, source: Mapping[str, Sequence[Sequence[str]]]) -> None:
        data: dict[str, tuple[TimeWindow, ...]] = {}
        for key in WEEKDAYS:
            windows = source.get(key, ())
            pairs = [(str(w[0]), str(w[1])) for w in windows]
            pairs.sort(key=lambda p: (_parse_time(p[0]) or 0, p))
            data[key] = tuple(pairs)
        self._data = data
        self._hash = hash(tuple(data.items()))

    def __getitem__(self, key: str) -> tuple[TimeWindow, ...]:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WeeklyHours):
            return self._data == other._data
        return super().__eq__(other)

    def __repr__(self) -> str:
        return f"WeeklyHours({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (WeeklyHours, (self._data,))


@dataclass(frozen=True)
class CalendarSpec:
    """A business calendar.  Immutable and hashable; values are normalised on creation.

    ``weekly_hours`` maps ``"mon".."sun"`` to ``(start, end)`` windows as ``"HH:MM"``
    strings (``"24:00"`` allowed as an end); missing weekdays have no working time.
    ``extra_workday_hours`` are the hours of make-up working days (own list and, when
    ``official_cn_holidays`` is set, official make-up weekend days); ``None`` means
    Monday's hours.  Raises ``ValueError`` for invalid values.
    """

    weekly_hours: Mapping[str, Sequence[tuple[str, str]]]
    timezone: str = "Asia/Shanghai"
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    extra_workday_hours: Sequence[tuple[str, str]] | None = None
    official_cn_holidays: bool = False

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        tz_errors = _check_timezone(self.timezone)
        if tz_errors:
            errors["timezone"] = tz_errors
        weekly_errors, _ = _check_weekly(self.weekly_hours)
        if weekly_errors:
            errors["weekly_hours"] = weekly_errors
        for name in ("holidays", "extra_workdays"):
            value: object = getattr(self, name)
            if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                errors[name] = [f"{name}: expected a set of dates."]
                continue
            items = list(value)
            if any(type(item) is not date for item in items):
                errors[name] = [f"{name}: every item must be a datetime.date (not a datetime)."]
                continue
            object.__setattr__(self, name, frozenset(items))
        if "holidays" not in errors and "extra_workdays" not in errors:
            conflicts = _conflicts(self.holidays, self.extra_workdays)
            if conflicts:
                errors["extra_workdays"] = conflicts
        if self.extra_workday_hours is not None:
            hours_errors, _ = _check_windows(self.extra_workday_hours, "extra_workday_hours")
            if hours_errors:
                errors["extra_workday_hours"] = hours_errors
        if not isinstance(self.official_cn_holidays, bool):
            errors["official_cn_holidays"] = ["Must be a bool."]
        if errors:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
            raise ValueError(f"Invalid calendar: {details}")
        if not isinstance(self.weekly_hours, WeeklyHours):
            object.__setattr__(self, "weekly_hours", WeeklyHours(self.weekly_hours))
        if self.extra_workday_hours is not None:
            pairs = tuple((str(s), str(e)) for s, e in self.extra_workday_hours)
            object.__setattr__(
                self,
                "extra_workday_hours",
                tuple(sorted(pairs, key=lambda p: (_parse_time(p[0]) or 0, p))),
            )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CalendarSpec:
        """Build a spec from the JSON shape; missing keys get defaults.

        Defaults: ``timezone`` "Asia/Shanghai", ``weekly_hours``
        :data:`DEFAULT_WEEKLY_HOURS` (Mon-Fri 09:00-12:00 + 13:30-18:00), no holidays,
        no make-up days, ``extra_workday_hours`` ``None`` (Monday's hours),
        ``official_cn_holidays`` false.  Raises ``ValueError`` listing the problems
        reported by :func:`validate_calendar_dict`.
        """
        errors = validate_calendar_dict(d)
        if errors:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
            raise ValueError(f"Invalid calendar: {details}")
        extra_hours = d.get("extra_workday_hours")
        return cls(
            weekly_hours=WeeklyHours(d.get("weekly_hours", DEFAULT_WEEKLY_HOURS)),
            timezone=d.get("timezone", "Asia/Shanghai"),
            holidays=frozenset(_check_date_list(d.get("holidays", ()), "holidays")[1]),
            extra_workdays=frozenset(
                _check_date_list(d.get("extra_workdays", ()), "extra_workdays")[1]
            ),
            extra_workday_hours=(
                None if extra_hours is None else tuple((s, e) for s, e in extra_hours)
            ),
            official_cn_holidays=bool(d.get("official_cn_holidays", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (inverse of :meth:`from_dict`)."""
        return {
            "timezone": self.timezone,
            "weekly_hours": {k: [list(w) for w in v] for k, v in self.weekly_hours.items()},
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "extra_workdays": sorted(d.isoformat() for d in self.extra_workdays),
            "extra_workday_hours": (
                None
                if self.extra_workday_hours is None
                else [list(w) for w in self.extra_workday_hours]
            ),
            "official_cn_holidays": self.official_cn_holidays,
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep pickles/copies small: drop the compiled cache.
        return (
            CalendarSpec,
            (
                self.weekly_hours,
                self.timezone,
                self.holidays,
                self.extra_workdays,
                self.extra_workday_hours,
                self.official_cn_holidays,
            ),
        )

    @cached_property
    def _state(self) -> _State:
        # cached_property writes straight into the instance __dict__, which works on a
        # frozen dataclass; equal specs share one compiled state (and its day cache).
        state = _STATES.get(self)
        if state is None:
            if len(_STATES) >= _MAX_STATES:
                _STATES.clear()
            state = _STATES[self] = _State(self)
        return state


# --------------------------------------------------------------------------------------
# Compiled state with a per-date cache
# --------------------------------------------------------------------------------------

# (total_us, first_start_us, last_end_us, next_midnight_us, ((start_us, end_us), ...))
_DayEntry = tuple[int, int, int, int, tuple[tuple[int, int], ...]]

_MAX_STATES: Final = 512
_STATES: dict[CalendarSpec, _State] = {}


def _td_us(delta: timedelta | None) -> int:
    if delta is None:  # pragma: no cover - zoneinfo always answers
        raise ValueError("time zone returned no UTC offset")
    return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds


def _to_us(moment: datetime) -> int:
    """Aware datetime -> microseconds since the Unix epoch (exact)."""
    try:
        delta = moment - _EPOCH
    except TypeError:
        if isinstance(moment, datetime):
            raise ValueError(f"datetime must be timezone-aware, got {moment!r}") from None
        raise TypeError(f"expected an aware datetime, got {type(moment).__name__}") from None
    return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds


def _from_us(us: int) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=us)
    except OverflowError:
        raise ValueError("result is outside the supported date range") from None


class _State:
    __slots__ = ("days", "has_work", "makeup", "official", "spec", "tz", "weekly")

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.timezone)
        self.weekly: tuple[tuple[MinuteWindow, ...], ...] = tuple(
            _check_windows(spec.weekly_hours.get(key, ()), key)[1] for key in WEEKDAYS
        )
        if spec.extra_workday_hours is None:
            self.makeup = self.weekly[0]
        else:
            self.makeup = _check_windows(spec.extra_workday_hours, "extra_workday_hours")[1]
        self.official = spec.official_cn_holidays
        self.days: dict[int, _DayEntry] = {}
        # Cheap proof that a calendar can never have working time.
        self.has_work = any(self.weekly) or (
            bool(self.makeup) and (bool(spec.extra_workdays) or self.official)
        )

    def local_windows(self, d: date) -> tuple[MinuteWindow, ...]:
        spec = self.spec
        if d in spec.holidays:
            return ()
        if d in spec.extra_workdays:
            return self.makeup
        if self.official and d.year in _OFFICIAL_YEARS:
            if d in _OFFICIAL_HOLIDAYS:
                return ()
            if d in _OFFICIAL_WORKDAYS and d.weekday() >= 5:
                return self.makeup
        return self.weekly[d.weekday()]

    def local_to_us(self, ordinal: int, minute: int) -> int:
        """Local wall time (date ordinal, minutes after midnight) -> UTC microseconds."""
        if minute >= _MINUTES_PER_DAY:
            ordinal += minute // _MINUTES_PER_DAY
            minute %= _MINUTES_PER_DAY
        d = date.fromordinal(ordinal)
        wall_us = (ordinal - _EPOCH_ORDINAL) * _US_PER_DAY + minute * _US_PER_MINUTE
        local = datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=self.tz)
        off0 = _td_us(local.utcoffset())
        off1 = _td_us(local.replace(fold=1).utcoffset())
        if off0 >= off1:
            # Normal wall time (equal offsets) or ambiguous one (fold=0: first occurrence).
            return wall_us - off0
        # DST gap: the wall time does not exist.  Use the transition instant, found by
        # bisection in (wall - off_after, wall - off_before] at one-second resolution.
        lo = (wall_us - off1) // _US_PER_SECOND
        hi = -(-(wall_us - off0) // _US_PER_SECOND)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _td_us(datetime.fromtimestamp(mid, self.tz).utcoffset()) == off1:
                hi = mid
            else:
                lo = mid
        return hi * _US_PER_SECOND

    def day(self, ordinal: int) -> _DayEntry:
        entry = self.days.get(ordinal)
        if entry is None:
            entry = self._build(ordinal)
            self.days[ordinal] = entry
        return entry

    def _build(self, ordinal: int) -> _DayEntry:
        if not 1 <= ordinal < _MAX_ORDINAL:
            raise ValueError("date is outside the supported date range")
        windows: list[tuple[int, int]] = []
        for start_min, end_min in self.local_windows(date.fromordinal(ordinal)):
            start = self.local_to_us(ordinal, start_min)
            end = self.local_to_us(ordinal, end_min)
            if windows and start < windows[-1][1]:
                start = windows[-1][1]  # defensive: never let windows overlap
            if end > start:
                if windows and windows[-1][1] == start:
                    windows[-1] = (windows[-1][0], end)  # merge touching windows
                else:
                    windows.append((start, end))
        next_midnight = self.local_to_us(ordinal + 1, 0)
        if not windows:
            return (0, next_midnight, next_midnight, next_midnight, ())
        total = sum(e - s for s, e in windows)
        return (total, windows[0][0], windows[-1][1], next_midnight, tuple(windows))


# --------------------------------------------------------------------------------------
# Public arithmetic
# --------------------------------------------------------------------------------------


def day_windows(spec: CalendarSpec, d: date) -> tuple[tuple[int, int], ...]:
    """Working windows of local date ``d`` as minutes after local midnight, sorted.

    Resolution order: own holidays (no work); own make-up days (make-up hours); if
    ``official_cn_holidays`` and the year is covered: official holiday (no work),
    official make-up day on a weekend (make-up hours); otherwise the weekly hours.
    Make-up hours are ``extra_workday_hours`` or, when ``None``, Monday's hours.
    """
    return spec._state.local_windows(d)


def is_business_time(spec: CalendarSpec, at: datetime) -> bool:
    """Whether the aware instant ``at`` is inside a working window (``[start, end)``)."""
    state = spec._state
    t = _to_us(at)
    windows = state.day(at.astimezone(state.tz).toordinal())[4]
    return any(start <= t < end for start, end in windows)


def add_business_minutes(spec: CalendarSpec, start: datetime, minutes: int) -> datetime:
    """The instant reached after ``minutes`` working minutes counted from ``start``.

    ``start`` must be timezone-aware (any zone); the result is an aware UTC datetime.
    Outside working time, counting begins at the next window start.  A result that
    lands exactly on a window's end is that end (not the next window's start).
    ``minutes == 0`` returns ``start`` unchanged (the same instant, expressed in UTC),
    even outside working time.  Sub-minute parts of ``start`` are kept.

    Raises ``ValueError`` for negative minutes, a naive ``start``, a calendar without
    any working time (detected up front, or after more than three years of
    consecutive days without working time), or a result beyond ``date.max``.
    """
    if not isinstance(minutes, int):
        raise TypeError(f"minutes must be an int, got {type(minutes).__name__}")
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, got {minutes}")
    t = _to_us(start)
    if minutes == 0:
        return start.astimezone(UTC)
    state = spec._state
    if not state.has_work:
        raise ValueError("calendar has no working time at all")
    remaining = minutes * _US_PER_MINUTE
    ordinal = start.astimezone(state.tz).toordinal()
    days = state.days
    empty = 0
    while True:
        entry = days.get(ordinal)
        if entry is None:
            entry = state.day(ordinal)
        total = entry[0]
        if total and t < entry[2]:
            empty = 0
            if t <= entry[1] and remaining > total:
                remaining -= total  # the whole day is consumed
            else:
                for w_start, w_end in entry[4]:
                    if w_end <= t:
                        continue
                    cur = w_start if w_start > t else t
                    available = w_end - cur
                    if remaining <= available:
                        return _from_us(cur + remaining)
                    remaining -= available
        else:
            empty += 1
            if empty > _MAX_EMPTY_DAYS:
                raise ValueError(
                    f"calendar has no working time for more than {_MAX_EMPTY_DAYS} "
                    f"consecutive days after {date.fromordinal(ordinal - empty + 1)}"
                )
        ordinal += 1


def business_minutes_between(spec: CalendarSpec, start: datetime, end: datetime) -> int:
    """Whole working minutes in ``[start, end)``; 0 if ``end <= start``.

    The exact working time (microsecond precision) is floored to whole minutes, so
    ``business_minutes_between(s, add_business_minutes(spec, s, n)) == n``.
    Both instants must be timezone-aware (any zones).
    """
    t = _to_us(start)
    t_end = _to_us(end)
    if t_end <= t:
        return 0
    state = spec._state
    ordinal = start.astimezone(state.tz).toordinal()
    days = state.days
    acc = 0
    while True:
        entry = days.get(ordinal)
        if entry is None:
            entry = state.day(ordinal)
        total = entry[0]
        if total:
            if entry[1] >= t_end:
                break
            if t <= entry[1] and entry[2] <= t_end:
                acc += total
            else:
                for w_start, w_end in entry[4]:
                    lo = w_start if w_start > t else t
                    hi = w_end if w_end < t_end else t_end
                    if hi > lo:
                        acc += hi - lo
        if entry[3] >= t_end:
            break
        ordinal += 1
    return acc // _US_PER_MINUTE


def working_day_end(spec: CalendarSpec, d: date, *, search_days: int = 400) -> datetime:
    """The end of the first working day on or after local date ``d``, as an aware instant.

    "Return a message by the end of the next working day" is
    ``working_day_end(spec, received_date + 1 day)``. A calendar with no working day in
    ``search_days`` (closed all year) answers the end of ``d`` itself rather than failing."""
    tz = ZoneInfo(spec.timezone)
    for offset in range(search_days):
        day = d + timedelta(days=offset)
        windows = day_windows(spec, day)
        if windows:
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            return (midnight + timedelta(minutes=windows[-1][1])).astimezone(tz)
    return datetime(d.year, d.month, d.day, tzinfo=tz) + timedelta(days=1)
