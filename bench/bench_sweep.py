"""Benchmark of the SLA sweep (manyi.cases.sweep.sweep).

Run from the repository root against a dedicated benchmark database (its name must contain
"bench"; every table in it is emptied):

    createdb -h 127.0.0.1 -U postgres manyi_sweep_bench  # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/manyi_sweep_bench \\
        .venv/bin/python bench/bench_sweep.py             # scenarios a and b
    DATABASE_URL=sqlite:////tmp/manyi_sweep_bench.sqlite3 .venv/bin/python bench/bench_sweep.py a

Scenarios (targets from TARGETS.md):
  a  20,000 open cases, all due: one sweep breaches and escalates 20,000 clocks   (< 0.4 s)
  b  1,000,000 open cases, 10,000 (1%) due                                         (< 1 s)
     then the same sweep once more with nothing left due (the every-minute steady state)
  custom: --cases N --due K

Each scenario loads its data with SQL (bench/common.py), refreshes statistics, prints the
plan of the claim query, runs one sweep timed end to end (all batches, commits included),
counts its SQL statements, and checks the outcome: every due clock breached once, one SLA
event and two timeline entries per breach, one notification per recipient and clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

setup_django()  # before any model is imported

from common import (  # noqa: E402
    analyse,
    fast_load,
    load_cases,
    load_customers,
    machine,
    make_org,
    migrate,
    reset_database,
    timed,
)
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from manyi.audit.models import AuditEvent  # noqa: E402
from manyi.cases import sweep_sql  # noqa: E402
from manyi.cases.choices import OPEN_STATUSES, SlaState  # noqa: E402
from manyi.cases.models import CaseSla, SlaEvent  # noqa: E402
from manyi.cases.sweep import claimable, sweep  # noqa: E402
from manyi.notifications.models import Notification  # noqa: E402


class StatementCounter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.n += 1
        return execute(sql, params, many, context)


def explain_claim(now, batch: int) -> None:  # type: ignore[no-untyped-def]
    """The plan of the claim query: it must reach the due clocks through the partial index."""
    print("  claim query plan (first batch):")
    if connection.vendor == "postgresql":
        params = {
            "now": now,
            "open": sorted(str(s) for s in OPEN_STATUSES),
            "batch": batch,
            "after": 0,
        }
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            cur.execute(
                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sweep_sql.CLAIM_BREACH_SQL, params
            )
            lines = [r[0] for r in cur.fetchall()]
            transaction.set_rollback(True)  # the EXPLAIN ANALYZE locked rows; let them go
    else:
        qs = claimable(CaseSla.objects.filter(state=SlaState.ACTIVE, due_at__lte=now))
        lines = qs.values_list("id", flat=True)[:batch].explain().splitlines()
    for line in lines:
        print("    " + line)


def breakdown(now, batch: int) -> None:  # type: ignore[no-untyped-def]
    """Run the first batch under EXPLAIN ANALYZE and time its deferred foreign-key checks,
    then roll it all back: where a batch's time goes (PostgreSQL only)."""
    from django.utils import translation

    from manyi.cases.sweep import texts

    with translation.override(settings.LANGUAGE_CODE):
        words = texts()
    sql, params = sweep_sql.breach_statement(now=now, batch=batch, after=0, texts=words)
    print(f"  breakdown of one batch of {batch:,} (EXPLAIN ANALYZE, rolled back):")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        t0 = time.perf_counter()
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        statement = time.perf_counter() - t0
        lines = [r[0] for r in cur.fetchall()]
        t0 = time.perf_counter()
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs the deferred foreign-key checks
        fk = time.perf_counter() - t0
        transaction.set_rollback(True)
    for i, line in enumerate(lines):
        if line.startswith("  CTE "):
            node = lines[i + 1].strip().removeprefix("->  ")
            ms = node.split("actual time=")[1].split("..")[1].split(" ")[0]
            print(f"    {line.strip()[4:]:<12} {float(ms):9.1f} ms   {node.split(' (')[0]}")
    print(f"    {'statement':<12} {statement * 1000:9.1f} ms   (with EXPLAIN's own overhead)")
    print(f"    {'FK checks':<12} {fk * 1000:9.1f} ms   deferred foreign-key checks at commit")


def check(due: int) -> None:
    breached = CaseSla.objects.filter(state=SlaState.BREACHED).count()
    events = SlaEvent.objects.filter(kind="breached").count()
    timeline = AuditEvent.objects.filter(kind__in=["sla", "escalated"]).count()
    notes = Notification.objects.filter(kind="sla_breach").count()
    print(
        f"  check: {breached} clocks breached, {events} SLA events, {timeline} timeline "
        f"entries, {notes} notifications"
    )
    assert breached == events == due, "a due clock was missed or breached twice"
    assert timeline == 2 * due, "a breach without its escalation entry, or a double"
    assert notes == 2 * due, "every breach notifies the owner and the supervisor once"


def run(label: str, *, cases: int, due: int, batch: int, steady_state: bool, explain: bool) -> None:
    print(f"\n== {label}: {cases:,} open cases, {due:,} due, batch {batch:,}")
    now = timezone.now().replace(microsecond=0)
    sink: dict[str, float] = {}
    with timed("reset", sink):
        reset_database()
    with timed("load organisation, 20 stores, 241 staff", sink):
        org = make_org()
    n_customers = max(2000, (cases // 10) // 20 * 20)
    with (
        timed(f"load {n_customers:,} customers, {cases:,} cases, {2 * cases:,} clocks", sink),
        fast_load(("customers_customer", "cases_case", "cases_casesla")),
    ):
        load_customers(org, n_customers)
        load_cases(org, cases=cases, due=due, now=now)
    with timed("VACUUM ANALYZE / ANALYZE", sink):
        analyse()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("CHECKPOINT")  # the load's dirty pages are not written during the sweep
    explain_claim(now, batch)
    if explain and connection.vendor == "postgresql":
        breakdown(now, batch)
    load1 = os.getloadavg()[0]
    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        t0 = time.perf_counter()
        result = sweep(now=now, batch=batch)
        elapsed = time.perf_counter() - t0
    print(
        f"  SWEEP {elapsed:8.3f} s   {result}   {counter.n} SQL statements "
        f"({elapsed / max(result.breached, 1) * 1e6:.0f} µs per breach; "
        f"load average {load1:.2f} before)"
    )
    check(due)
    if steady_state:
        idle_sweep(now, batch, "nothing due, right after")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("VACUUM cases_casesla")  # what autovacuum does soon after
        idle_sweep(now, batch, "nothing due, after VACUUM")


def idle_sweep(now, batch: int, label: str) -> None:  # type: ignore[no-untyped-def]
    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        t0 = time.perf_counter()
        again = sweep(now=now, batch=batch)
        idle = time.perf_counter() - t0
    assert again.breached == again.warned == 0
    print(f"  SWEEP {label}: {idle * 1000:.1f} ms, {counter.n} SQL statements")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="*", help="a, b and/or custom (default: all)")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--due", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=settings.MANYI_SWEEP_BATCH)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="first run one batch under EXPLAIN ANALYZE (rolled back) and print its parts",
    )
    args = parser.parse_args()
    scenarios = args.scenario or (["a", "b"] if connection.vendor == "postgresql" else ["a"])
    if set(scenarios) - {"a", "b", "custom"}:
        parser.error("scenarios are a, b and custom")
    migrate()
    print(f"machine: {machine()}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    common = {"batch": args.batch, "explain": args.breakdown}
    for s in scenarios:
        if s == "a":
            run("a", cases=20_000, due=20_000, steady_state=False, **common)
        elif s == "b":
            run("b", cases=1_000_000, due=10_000, steady_state=True, **common)
        else:
            run("custom", cases=args.cases, due=args.due, steady_state=True, **common)


if __name__ == "__main__":
    main()
