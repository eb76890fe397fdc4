"""Micro-benchmark for manyi.calendars.engine.

Run from the repository root:  .venv/bin/python bench/bench_calendar.py [calls]

Prints calls per second (one core) for add_business_minutes and
business_minutes_between on a Mon-Fri 09:00-12:00 + 13:30-18:00 calendar with
China's official holidays, random starts over 2024-2027 (fixed seed).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from manyi.calendars.engine import (
    CalendarSpec,
    add_business_minutes,
    business_minutes_between,
)

SEED = 20240601
DEFAULT_CALLS = 200_000


def make_spec() -> CalendarSpec:
    day = [["09:00", "12:00"], ["13:30", "18:00"]]
    return CalendarSpec.from_dict(
        {
            "timezone": "Asia/Shanghai",
            "weekly_hours": {
                "mon": day,
                "tue": day,
                "wed": day,
                "thu": day,
                "fri": day,
                "sat": [],
                "sun": [],
            },
            "official_cn_holidays": True,
        }
    )


def make_inputs(n: int) -> tuple[list[datetime], list[int], list[datetime]]:
    rng = random.Random(SEED)
    lo = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp())
    starts = [datetime.fromtimestamp(rng.randrange(lo, hi), UTC) for _ in range(n)]
    minutes = [rng.randint(60, 2880) for _ in range(n)]
    ends = [s + timedelta(minutes=rng.randint(0, 14 * 24 * 60)) for s in starts]
    return starts, minutes, ends


def bench(label: str, fn: object, calls: int) -> None:
    assert callable(fn)
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    print(f"{label:<34} {calls:>8} calls  {elapsed:7.3f} s  {calls / elapsed:>12,.0f} calls/s")


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CALLS
    spec = make_spec()
    starts, minutes, ends = make_inputs(calls)

    # Cold run fills the per-date cache; the second run is the steady state.
    for rnd in ("cold", "warm"):

        def run_add() -> None:
            for s, m in zip(starts, minutes, strict=True):
                add_business_minutes(spec, s, m)

        def run_between() -> None:
            for s, e in zip(starts, ends, strict=True):
                business_minutes_between(spec, s, e)

        bench(f"add_business_minutes ({rnd})", run_add, calls)
        bench(f"business_minutes_between ({rnd})", run_between, calls)

    # Sanity: the two functions agree.
    for s, m in zip(starts[:1000], minutes[:1000], strict=True):
        assert business_minutes_between(spec, s, add_business_minutes(spec, s, m)) == m


if __name__ == "__main__":
    main()
