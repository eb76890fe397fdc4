"""Tests for the pure business-calendar engine (no Django needed)."""

from __future__ import annotations

import copy
import pickle
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from manyi.calendars.engine import (
    CalendarSpec,
    add_business_minutes,
    business_minutes_between,
    day_windows,
    is_business_time,
    official_data_years,
    validate_calendar_dict,
    years_without_official_data,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")

DAY = [["09:00", "12:00"], ["13:30", "18:00"]]
WEEK = {"mon": DAY, "tue": DAY, "wed": DAY, "thu": DAY, "fri": DAY, "sat": [], "sun": []}
DAY_WINDOWS = ((540, 720), (810, 1080))  # minutes after midnight
DAY_MINUTES = 180 + 270


def spec(**overrides: object) -> CalendarSpec:
    data: dict[str, object] = {"timezone": "Asia/Shanghai", "weekly_hours": WEEK}
    data.update(overrides)
    return CalendarSpec.from_dict(data)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=SH)


def add(s: CalendarSpec, start: datetime, minutes: int) -> datetime:
    result = add_business_minutes(s, start, minutes)
    assert result.tzinfo is UTC
    return result


# --------------------------------------------------------------------------------------
# Basic arithmetic with hand-computed expectations (2025-06-03 is a Tuesday)
# --------------------------------------------------------------------------------------


def test_add_within_a_window() -> None:
    assert add(spec(), sh(2025, 6, 3, 9, 0), 45) == sh(2025, 6, 3, 9, 45)


def test_lunch_break_is_skipped() -> None:
    # 60 minutes until 12:00, the remaining 30 after 13:30.
    assert add(spec(), sh(2025, 6, 3, 11, 0), 90) == sh(2025, 6, 3, 14, 0)
    assert business_minutes_between(spec(), sh(2025, 6, 3, 11, 0), sh(2025, 6, 3, 14, 0)) == 90


def test_landing_exactly_on_window_end_returns_that_end() -> None:
    assert add(spec(), sh(2025, 6, 3, 11, 0), 60) == sh(2025, 6, 3, 12, 0)
    assert add(spec(), sh(2025, 6, 3, 17, 0), 60) == sh(2025, 6, 3, 18, 0)
    # A full day from the first window start ends at 18:00, not at 09:00 next day.
    assert add(spec(), sh(2025, 6, 3, 9, 0), DAY_MINUTES) == sh(2025, 6, 3, 18, 0)
    assert add(spec(), sh(2025, 6, 3, 9, 0), DAY_MINUTES + 1) == sh(2025, 6, 4, 9, 1)


def test_end_of_day_rollover_to_next_working_day() -> None:
    assert add(spec(), sh(2025, 6, 3, 17, 0), 120) == sh(2025, 6, 4, 10, 0)


def test_weekend_is_skipped() -> None:
    assert add(spec(), sh(2025, 6, 6, 17, 0), 120) == sh(2025, 6, 9, 10, 0)  # Fri -> Mon
    assert business_minutes_between(spec(), sh(2025, 6, 6, 17, 0), sh(2025, 6, 9, 10, 0)) == 120


def test_start_outside_working_time_counts_from_next_window() -> None:
    s = spec()
    assert add(s, sh(2025, 6, 3, 7, 0), 30) == sh(2025, 6, 3, 9, 30)  # early morning
    assert add(s, sh(2025, 6, 3, 12, 30), 30) == sh(2025, 6, 3, 14, 0)  # lunch
    assert add(s, sh(2025, 6, 3, 18, 0), 30) == sh(2025, 6, 4, 9, 30)  # at closing time
    assert add(s, sh(2025, 6, 7, 10, 0), 30) == sh(2025, 6, 9, 9, 30)  # Saturday


def test_multi_day_add_hand_computed() -> None:
    # Tue 10:00 + 2000 min: Tue has 120 + 270 = 390 left -> 1610; Wed, Thu, Fri 450 each
    # -> 260; Mon 09:00-12:00 (180) -> 80; 13:30 + 80 = 14:50 on Mon 2025-06-09.
    assert add(spec(), sh(2025, 6, 3, 10, 0), 2000) == sh(2025, 6, 9, 14, 50)
    assert business_minutes_between(spec(), sh(2025, 6, 3, 10, 0), sh(2025, 6, 9, 14, 50)) == 2000


def test_zero_minutes_returns_start_unchanged() -> None:
    s = spec()
    inside = sh(2025, 6, 3, 10, 0, 30)
    outside = sh(2025, 6, 7, 10, 0)  # Saturday
    assert add(s, inside, 0) == inside
    assert add(s, outside, 0) == outside


def test_sub_minute_precision_and_floor_rule() -> None:
    s = spec()
    start = sh(2025, 6, 3, 9, 0, 30)
    assert add(s, start, 10) == sh(2025, 6, 3, 9, 10, 30)
    assert business_minutes_between(s, start, sh(2025, 6, 3, 9, 10, 29, 999_999)) == 9
    assert business_minutes_between(s, start, sh(2025, 6, 3, 9, 10, 30)) == 10
    # 11:59:30 + 1 minute: 30 s before lunch, 30 s after.
    assert add(s, sh(2025, 6, 3, 11, 59, 30), 1) == sh(2025, 6, 3, 13, 30, 30)


def test_between_edge_cases() -> None:
    s = spec()
    assert business_minutes_between(s, sh(2025, 6, 3, 10), sh(2025, 6, 3, 10)) == 0
    assert business_minutes_between(s, sh(2025, 6, 3, 11), sh(2025, 6, 3, 10)) == 0
    assert business_minutes_between(s, sh(2025, 6, 7, 0), sh(2025, 6, 8, 23)) == 0  # weekend
    assert business_minutes_between(s, sh(2025, 6, 2), sh(2025, 6, 9)) == 5 * DAY_MINUTES
    assert business_minutes_between(s, sh(2025, 6, 3, 12, 10), sh(2025, 6, 3, 13, 40)) == 10


def test_is_business_time() -> None:
    s = spec(holidays=["2025-06-04"])
    assert is_business_time(s, sh(2025, 6, 3, 9, 0))
    assert is_business_time(s, sh(2025, 6, 3, 11, 59, 59))
    assert not is_business_time(s, sh(2025, 6, 3, 12, 0))
    assert is_business_time(s, sh(2025, 6, 3, 13, 30))
    assert not is_business_time(s, sh(2025, 6, 3, 18, 0))
    assert not is_business_time(s, sh(2025, 6, 3, 8, 59, 59))
    assert not is_business_time(s, sh(2025, 6, 4, 10, 0))  # own holiday
    assert not is_business_time(s, sh(2025, 6, 7, 10, 0))  # Saturday
    assert is_business_time(s, datetime(2025, 6, 3, 2, 0, tzinfo=UTC))  # 10:00 CST


# --------------------------------------------------------------------------------------
# Own holidays and make-up days
# --------------------------------------------------------------------------------------


def test_own_holiday_is_skipped() -> None:
    s = spec(holidays=["2025-06-04"])
    assert day_windows(s, date(2025, 6, 4)) == ()
    assert add(s, sh(2025, 6, 3, 17, 0), 120) == sh(2025, 6, 5, 10, 0)
    assert business_minutes_between(s, sh(2025, 6, 3), sh(2025, 6, 6)) == 2 * DAY_MINUTES


def test_own_make_up_day_uses_monday_hours() -> None:
    s = spec(extra_workdays=["2025-06-07"])  # a Saturday
    assert day_windows(s, date(2025, 6, 7)) == DAY_WINDOWS
    assert add(s, sh(2025, 6, 6, 17, 0), 120) == sh(2025, 6, 7, 10, 0)


def test_make_up_day_follows_monday_even_if_monday_differs() -> None:
    week = dict(WEEK, mon=[["08:00", "10:00"]])
    s = spec(weekly_hours=week, extra_workdays=["2025-06-08"])  # a Sunday
    assert day_windows(s, date(2025, 6, 8)) == ((480, 600),)


def test_own_make_up_day_with_explicit_hours() -> None:
    s = spec(extra_workdays=["2025-06-07"], extra_workday_hours=[["10:00", "16:00"]])
    assert day_windows(s, date(2025, 6, 7)) == ((600, 960),)
    assert add(s, sh(2025, 6, 6, 17, 0), 120) == sh(2025, 6, 7, 11, 0)
    assert add(s, sh(2025, 6, 6, 17, 0), 60 + 360) == sh(2025, 6, 7, 16, 0)
    assert add(s, sh(2025, 6, 6, 17, 0), 60 + 361) == sh(2025, 6, 9, 9, 1)
    # Weekday hours are unchanged by extra_workday_hours.
    assert day_windows(s, date(2025, 6, 6)) == DAY_WINDOWS


# --------------------------------------------------------------------------------------
# Official Chinese data
# --------------------------------------------------------------------------------------


def test_official_national_day_2025() -> None:
    s = spec(official_cn_holidays=True)
    for day in range(1, 9):
        assert day_windows(s, date(2025, 10, day)) == (), day
    # Tue 2025-09-30 17:00 + 120: one hour on Tuesday, then Oct 1-8 off -> Thu Oct 9.
    assert add(s, sh(2025, 9, 30, 17, 0), 120) == sh(2025, 10, 9, 10, 0)
    assert business_minutes_between(s, sh(2025, 9, 30, 9), sh(2025, 10, 9, 9)) == DAY_MINUTES
    # Without official data the weekdays of that week are plain working days.
    plain = spec()
    assert add(plain, sh(2025, 9, 30, 17, 0), 120) == sh(2025, 10, 1, 10, 0)


def test_official_make_up_sunday_2025_09_28_is_a_working_day() -> None:
    s = spec(official_cn_holidays=True)
    assert day_windows(s, date(2025, 9, 28)) == DAY_WINDOWS
    assert day_windows(s, date(2025, 10, 11)) == DAY_WINDOWS  # make-up Saturday
    assert day_windows(s, date(2025, 9, 27)) == ()  # ordinary Saturday
    assert day_windows(spec(), date(2025, 9, 28)) == ()
    # Sat 2025-09-27 10:00 + 30 -> Sun 09:30.
    assert add(s, sh(2025, 9, 27, 10, 0), 30) == sh(2025, 9, 28, 9, 30)
    assert is_business_time(s, sh(2025, 9, 28, 10, 0))


def test_official_make_up_day_uses_explicit_make_up_hours() -> None:
    s = spec(official_cn_holidays=True, extra_workday_hours=[["10:00", "15:00"]])
    assert day_windows(s, date(2025, 9, 28)) == ((600, 900),)


def test_own_lists_take_precedence_over_official_data() -> None:
    s = spec(official_cn_holidays=True, holidays=["2025-09-28"], extra_workdays=["2025-10-02"])
    assert day_windows(s, date(2025, 9, 28)) == ()
    assert day_windows(s, date(2025, 10, 2)) == DAY_WINDOWS


def test_official_data_years_reads_library_data() -> None:
    years = official_data_years()
    assert years == range(
        min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1
    )
    assert 2004 in years
    assert 2025 in years
    assert 2030 not in years


def test_year_without_official_data_falls_back_silently() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2030, 1, 1))  # the library itself refuses
    s = spec(official_cn_holidays=True, holidays=["2030-01-02"])
    assert date(2030, 1, 1).weekday() == 1  # Tuesday
    # No official New Year's Day in 2030 -> weekly hours; own holiday still applies.
    assert day_windows(s, date(2030, 1, 1)) == DAY_WINDOWS
    assert day_windows(s, date(2030, 1, 2)) == ()
    assert add(s, sh(2030, 1, 1, 17, 0), 120) == sh(2030, 1, 3, 10, 0)
    assert business_minutes_between(s, sh(2030, 1, 1), sh(2030, 1, 4)) == 2 * DAY_MINUTES
    assert years_without_official_data(s, [2025, 2030, 2026, 2030, 2031]) == [2030, 2031]
    assert years_without_official_data(spec(), [2030]) == []


def test_adding_across_the_end_of_official_data() -> None:
    s = spec(official_cn_holidays=True)
    last = official_data_years()[-1]
    start = datetime(last, 12, 31, 17, 0, tzinfo=SH)
    result = add(s, start, 5 * DAY_MINUTES)
    assert result.astimezone(SH).year == last + 1
    assert business_minutes_between(s, start, result) == 5 * DAY_MINUTES


# --------------------------------------------------------------------------------------
# Time zones and DST
# --------------------------------------------------------------------------------------


def test_start_in_utc_and_in_london() -> None:
    s = spec()
    expected = datetime(2025, 6, 3, 2, 30, tzinfo=UTC)  # 10:30 CST
    assert add(s, datetime(2025, 6, 3, 1, 0, tzinfo=UTC), 90) == expected
    assert add(s, datetime(2025, 6, 3, 2, 0, tzinfo=LONDON), 90) == expected  # BST
    # Monday 18:00 in London is already Tuesday 01:00 in Shanghai.
    assert add(s, datetime(2025, 6, 2, 18, 0, tzinfo=LONDON), 30) == sh(2025, 6, 3, 9, 30)
    # Friday 20:00 UTC is Saturday 04:00 in Shanghai -> Monday.
    assert add(s, datetime(2025, 6, 6, 20, 0, tzinfo=UTC), 30) == datetime(
        2025, 6, 9, 1, 30, tzinfo=UTC
    )
    # Winter: London is UTC+0, Shanghai 8 hours ahead.
    assert add(s, datetime(2025, 1, 7, 1, 15, tzinfo=LONDON), 45) == sh(2025, 1, 7, 10, 0)
    assert (
        business_minutes_between(
            s, datetime(2025, 6, 3, 1, 0, tzinfo=UTC), datetime(2025, 6, 3, 3, 0, tzinfo=LONDON)
        )
        == 60
    )


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(spec(), datetime(2025, 6, 3, 10), 10)
    with pytest.raises(ValueError, match="aware"):
        business_minutes_between(spec(), datetime(2025, 6, 3, 10), sh(2025, 6, 4))


def ny_spec(windows: list[list[str]]) -> CalendarSpec:
    every_day = {k: windows for k in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return CalendarSpec.from_dict({"timezone": "America/New_York", "weekly_hours": every_day})


def test_start_whose_utc_date_is_ahead_of_the_local_date() -> None:
    s = ny_spec([["20:00", "24:00"]])
    # 2025-06-04 01:00 UTC is 2025-06-03 21:00 EDT: still inside Tuesday's window.
    start = datetime(2025, 6, 4, 1, 0, tzinfo=UTC)
    assert is_business_time(s, start)
    assert add(s, start, 60) == datetime(2025, 6, 4, 2, 0, tzinfo=UTC)
    assert add(s, start, 180) == datetime(2025, 6, 4, 4, 0, tzinfo=UTC)  # 24:00 EDT
    assert add(s, start, 181) == datetime(2025, 6, 5, 0, 1, tzinfo=UTC)  # 20:01 EDT
    assert business_minutes_between(s, start, datetime(2025, 6, 4, 3, 0, tzinfo=UTC)) == 120


def test_dst_days_have_their_real_length() -> None:
    s = ny_spec([["00:00", "24:00"]])
    spring = datetime(2025, 3, 9, tzinfo=NY)  # 23-hour day
    autumn = datetime(2025, 11, 2, tzinfo=NY)  # 25-hour day
    next_spring = datetime(2025, 3, 10, tzinfo=NY)
    next_autumn = datetime(2025, 11, 3, tzinfo=NY)
    assert business_minutes_between(s, spring, next_spring) == 23 * 60
    assert business_minutes_between(s, autumn, next_autumn) == 25 * 60
    assert add(s, spring, 23 * 60) == next_spring
    assert add(s, autumn, 25 * 60) == next_autumn
    assert business_minutes_between(s, datetime(2025, 3, 8, tzinfo=NY), next_spring) == 47 * 60


def test_dst_windows_across_the_change() -> None:
    s = ny_spec([["01:00", "04:00"]])
    # Spring forward at 02:00 -> 03:00: 01:00 EST (06:00Z) .. 04:00 EDT (08:00Z).
    start = datetime(2025, 3, 9, 1, 0, tzinfo=NY)
    assert business_minutes_between(s, start, datetime(2025, 3, 9, 5, tzinfo=NY)) == 120
    assert add(s, start, 120) == datetime(2025, 3, 9, 8, 0, tzinfo=UTC)
    assert add(s, start, 121) == datetime(2025, 3, 10, 1, 1, tzinfo=NY)
    # Fall back at 02:00 -> 01:00: 01:00 EDT (05:00Z) .. 04:00 EST (09:00Z) = 4 hours.
    start = datetime(2025, 11, 2, 1, 0, tzinfo=NY)
    assert business_minutes_between(s, start, datetime(2025, 11, 2, 5, tzinfo=NY)) == 240
    assert add(s, start, 240) == datetime(2025, 11, 2, 9, 0, tzinfo=UTC)
    # Ordinary day: 3 hours.
    day = datetime(2025, 6, 3, 1, 0, tzinfo=NY)
    assert business_minutes_between(s, day, datetime(2025, 6, 3, 5, tzinfo=NY)) == 180


def test_dst_window_starting_inside_the_gap() -> None:
    # 02:30 does not exist on 2025-03-09; the window starts at the transition (03:00 EDT).
    s = ny_spec([["02:30", "04:00"]])
    assert not is_business_time(s, datetime(2025, 3, 9, 6, 59, tzinfo=UTC))
    assert is_business_time(s, datetime(2025, 3, 9, 7, 0, tzinfo=UTC))
    assert add(s, datetime(2025, 3, 9, 0, 0, tzinfo=NY), 60) == datetime(
        2025, 3, 9, 8, 0, tzinfo=UTC
    )
    assert (
        business_minutes_between(
            s, datetime(2025, 3, 9, tzinfo=NY), datetime(2025, 3, 10, tzinfo=NY)
        )
        == 60
    )


def test_dst_round_trip_around_changes() -> None:
    s = ny_spec([["00:30", "02:30"], ["08:00", "17:00"]])
    rng = random.Random(7)
    base = datetime(2025, 3, 7, tzinfo=UTC)
    for _ in range(300):
        start = base + timedelta(minutes=rng.randrange(0, 4 * 24 * 60))
        n = rng.randrange(0, 2000)
        assert business_minutes_between(s, start, add(s, start, n)) == n
    base = datetime(2025, 10, 31, tzinfo=UTC)
    for _ in range(300):
        start = base + timedelta(minutes=rng.randrange(0, 4 * 24 * 60))
        n = rng.randrange(0, 2000)
        assert business_minutes_between(s, start, add(s, start, n)) == n


# --------------------------------------------------------------------------------------
# Properties against an independent minute-by-minute reference
# --------------------------------------------------------------------------------------


def reference_add(s: CalendarSpec, start: datetime, minutes: int) -> datetime:
    """Naive per-minute walk in local wall time (valid for zones without DST)."""
    local = start.astimezone(SH).replace(tzinfo=None)
    cache: dict[date, set[int]] = {}

    def working(t: datetime) -> bool:
        d = t.date()
        if d not in cache:
            cache[d] = {m for a, b in day_windows(s, d) for m in range(a, b)}
        return t.hour * 60 + t.minute in cache[d]

    while not working(local):
        local += timedelta(minutes=1)
    left = minutes
    while True:
        if working(local):
            left -= 1
        local += timedelta(minutes=1)
        if left == 0:
            return local.replace(tzinfo=SH).astimezone(UTC)


def test_add_matches_minute_by_minute_reference() -> None:
    s = spec(official_cn_holidays=True, holidays=["2025-06-04"], extra_workdays=["2025-06-07"])
    rng = random.Random(12345)
    base = datetime(2025, 5, 20, tzinfo=SH)
    for _ in range(120):
        start = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        n = rng.randrange(1, 3000)
        assert add(s, start, n) == reference_add(s, start, n), (start, n)


def test_round_trip_property() -> None:
    s = spec(
        official_cn_holidays=True,
        holidays=["2025-06-04", "2026-03-03"],
        extra_workdays=["2025-06-07"],
        extra_workday_hours=[["10:00", "15:00"]],
    )
    rng = random.Random(20250601)
    lo = datetime(2024, 1, 1, tzinfo=UTC)
    span_s = 4 * 365 * 86_400
    for _ in range(3000):
        start = lo + timedelta(seconds=rng.randrange(span_s), microseconds=rng.randrange(10**6))
        if rng.random() < 0.5:
            start = start.replace(second=0, microsecond=0)
        n = rng.choice([rng.randrange(0, 120), rng.randrange(60, 2880), rng.randrange(0, 100_000)])
        end = add(s, start, n)
        assert end >= start
        assert business_minutes_between(s, start, end) == n, (start, n)
        if n:
            # One microsecond earlier is less than n whole minutes.
            assert business_minutes_between(s, start, end - timedelta(microseconds=1)) == n - 1
            assert is_business_time(s, end - timedelta(microseconds=1))


def test_between_is_additive() -> None:
    s = spec(official_cn_holidays=True)
    rng = random.Random(99)
    lo = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(500):
        a, b, c = sorted(lo + timedelta(minutes=rng.randrange(0, 200_000)) for _ in range(3))
        # Whole-minute instants, so flooring never loses anything here.
        total = business_minutes_between(s, a, c)
        assert total == business_minutes_between(s, a, b) + business_minutes_between(s, b, c)


def test_between_year_with_official_data_matches_library_workday_count() -> None:
    s = spec(official_cn_holidays=True)
    workdays = chinese_calendar.get_workdays(date(2025, 1, 1), date(2025, 12, 31))
    assert business_minutes_between(s, sh(2025, 1, 1), sh(2026, 1, 1)) == len(workdays) * 450


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


def test_negative_minutes_raise() -> None:
    with pytest.raises(ValueError, match="minutes"):
        add_business_minutes(spec(), sh(2025, 6, 3, 10), -1)


def test_calendar_without_working_time_raises() -> None:
    empty = CalendarSpec(weekly_hours={})
    with pytest.raises(ValueError, match="no working time"):
        add_business_minutes(empty, sh(2025, 6, 3, 10), 1)
    assert business_minutes_between(empty, sh(2025, 6, 3), sh(2025, 7, 3)) == 0
    assert add_business_minutes(empty, sh(2025, 6, 3, 10), 0) == sh(2025, 6, 3, 10)


def test_calendar_whose_working_time_runs_out_raises_instead_of_looping() -> None:
    # Only one make-up day (Sat 2020-01-04, 10:00-12:00): the search gives up after
    # ~3 years without any working time.
    s = CalendarSpec(
        weekly_hours={},
        extra_workdays=frozenset({date(2020, 1, 4)}),
        extra_workday_hours=(("10:00", "12:00"),),
    )
    assert add_business_minutes(s, sh(2020, 1, 1), 60) == sh(2020, 1, 4, 11, 0)
    assert add_business_minutes(s, sh(2020, 1, 1), 120) == sh(2020, 1, 4, 12, 0)
    with pytest.raises(ValueError, match="no working time"):
        add_business_minutes(s, sh(2025, 6, 3, 10), 1)
    with pytest.raises(ValueError, match="no working time"):
        add_business_minutes(s, sh(2020, 1, 1), 121)


# --------------------------------------------------------------------------------------
# Spec construction and validation
# --------------------------------------------------------------------------------------


def test_from_dict_defaults_and_hashability() -> None:
    s = CalendarSpec.from_dict({})
    assert s.timezone == "Asia/Shanghai"
    assert s.weekly_hours["mon"] == (("09:00", "12:00"), ("13:30", "18:00"))
    assert s.weekly_hours["sat"] == ()
    assert s.holidays == frozenset()
    assert s.extra_workday_hours is None
    assert s.official_cn_holidays is False
    full = spec(holidays=["2025-06-04"], extra_workday_hours=[["10:00", "16:00"]])
    same = spec(holidays=["2025-06-04"], extra_workday_hours=[["10:00", "16:00"]])
    assert same == full
    assert hash(same) == hash(full)
    assert full == CalendarSpec.from_dict(full.to_dict())
    assert full.holidays == frozenset({date(2025, 6, 4)})
    assert {full: 1}[copy.deepcopy(full)] == 1
    assert pickle.loads(pickle.dumps(full)) == full  # noqa: S301
    # Built directly with plain dicts/lists it is still hashable.
    direct = CalendarSpec(
        weekly_hours={"mon": [("09:00", "10:00")]},
        holidays={date(2025, 1, 1)},  # type: ignore[arg-type]
    )
    assert isinstance(hash(direct), int)
    assert direct.weekly_hours["tue"] == ()


def test_missing_weekday_means_no_work() -> None:
    s = spec(weekly_hours={"mon": DAY})
    assert day_windows(s, date(2025, 6, 2)) == DAY_WINDOWS
    assert day_windows(s, date(2025, 6, 3)) == ()


def test_24_00_end_and_touching_windows() -> None:
    s = spec(weekly_hours={"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]})
    assert day_windows(s, date(2025, 6, 2)) == ((1200, 1440),)
    # Mon 23:00 + 90: one hour on Monday, 30 minutes after midnight Tuesday.
    assert add(s, sh(2025, 6, 2, 23, 0), 90) == sh(2025, 6, 3, 0, 30)
    assert add(s, sh(2025, 6, 2, 23, 0), 60) == sh(2025, 6, 3, 0, 0)
    assert is_business_time(s, sh(2025, 6, 3, 0, 0))


def test_validation_accepts_a_valid_calendar() -> None:
    valid = {
        "timezone": "Europe/London",
        "weekly_hours": WEEK,
        "holidays": ["2025-12-25"],
        "extra_workdays": ["2025-12-27"],
        "extra_workday_hours": [["10:00", "24:00"]],
        "official_cn_holidays": False,
    }
    assert validate_calendar_dict(valid) == {}
    assert validate_calendar_dict({}) == {}


def test_validation_messages() -> None:
    errors = validate_calendar_dict(
        {
            "timezone": "Mars/Olympus_Mons",
            "weekly_hours": {
                "mon": [["9:00", "12:00"], ["13:00", "25:00"]],
                "tue": [["12:00", "09:00"]],
                "wed": [["09:00", "12:00"], ["11:00", "14:00"]],
                "thu": [["24:00", "24:00"]],
                "monday": [],
            },
            "holidays": ["2025-13-01", "2025/01/02", "2025-10-01"],
            "extra_workdays": ["2025-10-01", 20251002],
            "extra_workday_hours": [["10:00"]],
            "official_cn_holidays": "yes",
        }
    )
    assert set(errors) == {
        "timezone",
        "weekly_hours",
        "holidays",
        "extra_workdays",
        "extra_workday_hours",
        "official_cn_holidays",
    }
    assert errors["timezone"] == ["Unknown time zone 'Mars/Olympus_Mons'."]
    weekly = "\n".join(errors["weekly_hours"])
    assert "mon: window 1: invalid start time '9:00'" in weekly
    assert "mon: window 2: invalid end time '25:00'" in weekly
    assert "tue: window 1: start 12:00 must be before end 09:00" in weekly
    assert "wed: windows 09:00-12:00 and 11:00-14:00 overlap" in weekly
    assert "thu: window 1: 24:00 is only allowed as an end time" in weekly
    assert "Unknown weekday 'monday'" in weekly
    holidays = "\n".join(errors["holidays"])
    assert "invalid date '2025-13-01'" in holidays
    assert "invalid date '2025/01/02'" in holidays
    assert "2025-10-01" not in holidays
    extra = "\n".join(errors["extra_workdays"])
    assert "invalid date 20251002" in extra
    assert "2025-10-01 is both a holiday and a make-up working day" in extra
    assert "expected a [start, end] pair" in errors["extra_workday_hours"][0]
    assert errors["official_cn_holidays"] == ["Must be true or false."]


def test_touching_windows_are_not_overlapping() -> None:
    touching = {"weekly_hours": {"mon": [["09:00", "12:00"], ["12:00", "13:00"]]}}
    assert validate_calendar_dict(touching) == {}


def test_invalid_spec_raises_value_error() -> None:
    with pytest.raises(ValueError, match="timezone"):
        CalendarSpec.from_dict({"timezone": "Nowhere/Special"})
    with pytest.raises(ValueError, match="overlap"):
        CalendarSpec(weekly_hours={"mon": [("09:00", "12:00"), ("10:00", "11:00")]})
    with pytest.raises(ValueError, match="both a holiday"):
        CalendarSpec(
            weekly_hours={},
            holidays=frozenset({date(2025, 1, 1)}),
            extra_workdays=frozenset({date(2025, 1, 1)}),
        )
