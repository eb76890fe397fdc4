"""Analytics pages at scale (issue 5): every analytics page with 1,000,000 cases, 3,000,000
transactions and 1,000,000 survey answers on PostgreSQL; target < 500 ms p95 per page, and
the value model refresh under a minute.

Run from the repository root (the database is created if missing and migrated; its name must
contain "bench"; every table in it is emptied before generating unless --reuse finds the
data already there):

    .venv/bin/python bench/bench_analytics.py                      # generate, then time
    .venv/bin/python bench/bench_analytics.py --reuse              # time the data already there
    .venv/bin/python bench/bench_analytics.py --reuse --explain    # + EXPLAIN ANALYZE of slow SQL
    .venv/bin/python bench/bench_analytics.py --reuse --with-value-refresh --with-alert-sweep

Database: $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/bench_analytics. The data set
is described in bench/analytics_data.py (numpy, written with COPY, ~10 minutes).

Timing: the Django test client, signed in as the organisation admin (every store), with the
real middleware and DEBUG off, requests each page once to warm up, then --runs times (default
7); printed: p50, p95 (nearest rank) and max in ms, the SQL statements of one request and the
time spent in SQL. The default period is the last twelve months (the pages' own default); each
page is timed for all stores and again filtered to one store (`store=`). A page that answers
404 (not built yet) or fails (500, being built) is reported as "not available" and skipped.
With --explain, every statement slower than --explain-ms (default 100 ms) of the first timed
request is shown with its EXPLAIN (ANALYZE, BUFFERS) plan.

Options: --runs N, --sql (each page's statements grouped by text, with count and ms),
--scale F (multiply the big tables' sizes: 0.01 for a quick try),
--pages controls,lost,… (by name, see PAGES), --reuse, --explain, --explain-ms MS,
--with-value-refresh (time manyi.analytics.value.refresh_customer_values when it exists,
before the pages: the value, churn and case-list pages read the table it fills),
--with-alert-sweep (time manyi.analytics.alerts.sweep_alerts when it exists).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_analytics"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ensure_database  # noqa: E402
from common import setup_django  # noqa: E402

if os.environ["DATABASE_URL"].startswith("postgres") and ensure_database.main(
    os.environ["DATABASE_URL"]
):
    sys.exit("cannot create or reach the benchmark database")
setup_django()  # before any model is imported

from analytics_data import ORG_NAME, Sizes, generate  # noqa: E402
from common import load_average, machine, migrate, reset_database  # noqa: E402
from django.core.signals import got_request_exception  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

PAGES: list[tuple[str, str]] = [
    ("controls", "/analytics/"),
    ("lost", "/analytics/lost/"),
    ("recovery", "/analytics/recovery/"),
    ("handling", "/analytics/handling/"),
    ("returns", "/analytics/returns/"),
    ("alerts", "/analytics/alerts/"),
    ("value", "/analytics/value/"),
    ("churn", "/analytics/churn/"),
    ("cases by value", "/cases/?sort=value&state=open"),
]
TARGET_MS = 500.0


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float


@dataclass
class Result:
    name: str
    url: str
    status: int
    times_ms: list[float] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    error: str = ""

    @property
    def available(self) -> bool:
        return self.status == 200

    def pct(self, q: float) -> float:
        """Nearest-rank percentile of the timed runs."""
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    @property
    def sql_ms(self) -> float:
        return sum(s.ms for s in self.statements)


def counts() -> dict[str, int]:
    """Rows of the organisation's big tables (estimates would do, but exact is cheap enough
    next to generation and tells whether --reuse can skip it)."""
    from manyi.accounts.models import Organisation

    org = Organisation.objects.filter(name=ORG_NAME).first()
    if org is None:
        return {}
    out = {}
    with connection.cursor() as cur:
        for label, table in (
            ("cases", "cases_case"),
            ("transactions", "analytics_transaction"),
            ("survey responses", "surveys_response"),
            ("customers", "customers_customer"),
            ("SLA clocks", "cases_casesla"),
            ("audit events", "audit_auditevent"),
            ("communications", "cases_communication"),
            ("recovery actions", "recovery_recoveryaction"),
            ("follow-ups", "followups_followup"),
            ("store volumes", "analytics_storevolume"),
        ):
            cur.execute(f"SELECT count(*) FROM {table}")  # the database holds this one org
            out[label] = cur.fetchone()[0]
    return out


def time_page(client: Client, name: str, url: str, runs: int) -> Result:
    errors: list[str] = []

    def failed(sender: Any, request: Any = None, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        errors.append(f"{type(exc).__name__}: {exc}")

    got_request_exception.connect(failed)
    try:
        first = client.get(url)
    finally:
        got_request_exception.disconnect(failed)
    result = Result(name=name, url=url, status=first.status_code)
    if not result.available:
        result.error = "; ".join(errors)[:120]
        return result

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            result.statements.append(Statement(sql, params, (time.perf_counter() - t) * 1000))

    for i in range(runs):
        if i == 0:
            with connection.execute_wrapper(record):
                t0 = time.perf_counter()
                response = client.get(url)
        else:
            t0 = time.perf_counter()
            response = client.get(url)
        result.times_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return result


def explain(result: Result, threshold_ms: float) -> None:
    slow = [s for s in result.statements if s.ms >= threshold_ms]
    for s in sorted(slow, key=lambda s: -s.ms):
        print(f"\n--- {result.name} ({result.url}): {s.ms:.0f} ms\n{s.sql}\nparams: {s.params}")
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + s.sql, s.params)
            print("\n".join(r[0] for r in cur.fetchall()))


def statement_summary(result: Result) -> None:
    """The statements of one request grouped by their text: count and total ms."""
    groups: dict[str, list[float]] = {}
    for s in result.statements:
        groups.setdefault(s.sql, []).append(s.ms)
    print(f"\n--- {result.url}: {len(result.statements)} statements, {result.sql_ms:.0f} ms")
    for sql, times in sorted(groups.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {len(times):>4} × {sum(times):8.1f} ms  {sql[:220]}")


def with_store(url: str, store_id: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}store={store_id}"


def optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pages", default="")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--explain-ms", type=float, default=100.0)
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--with-value-refresh", action="store_true")
    parser.add_argument("--with-alert-sweep", action="store_true")
    # Precompute the snapshot pages' default views first (what the worker does every hour),
    # time it, and time those pages live too (?live=1) with --live-runs runs.
    parser.add_argument("--warm", action="store_true")
    parser.add_argument("--live-runs", type=int, default=1)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL")

    # 404s and the failures of pages being built are reported in the table, not logged.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    migrate()
    print(machine())
    print(load_average())
    sizes = Sizes.scaled(args.scale)
    have = counts()
    if args.reuse and have.get("cases", 0) >= sizes.cases:
        print("\nReusing the data set:")
    else:
        print(
            f"\nGenerating: {sizes.customers:,} customers, {sizes.cases:,} cases, "
            f"{sizes.transactions:,} transactions, {sizes.responses:,} survey responses, "
            f"{sizes.recovery:,} recovery actions, {sizes.followups:,} follow-ups"
        )
        reset_database()
        made = generate(sizes, now=timezone.now())
        print(f"Generated in {made.seconds:.0f} s ({load_average()})")
        have = counts()
    for label, n in have.items():
        print(f"  {label:<20} {n:>12,}")

    from manyi.accounts.models import Organisation, Store, User

    org = Organisation.objects.get(name=ORG_NAME)
    admin = User.objects.get(organisation=org, username="bench_admin")
    # the store with the median number of cases: a typical store
    stores = sorted(
        Store.objects.filter(organisation=org).values_list("pk", flat=True),
    )
    store_id = stores[len(stores) // 2]

    refresh_s = sweep_s = None
    if args.with_value_refresh:
        refresh = optional("manyi.analytics.value", "refresh_customer_values")
        if refresh is None:
            print("refresh_customer_values: not available")
        else:
            t0 = time.perf_counter()
            fit = refresh(organisation=org)
            refresh_s = time.perf_counter() - t0
            print(f"refresh_customer_values: {refresh_s:.1f} s ({fit}; {load_average()})")
    if args.with_alert_sweep:
        sweep = optional("manyi.analytics.alerts", "sweep_alerts")
        if sweep is None:
            print("sweep_alerts: not available")
        else:
            t0 = time.perf_counter()
            out = sweep(organisation=org)
            sweep_s = time.perf_counter() - t0
            brief = {k: (len(v) if isinstance(v, list) else v) for k, v in out.items()}
            print(f"sweep_alerts: {sweep_s:.1f} s ({brief}; {load_average()})")

    snapshot_pages: set[str] = set()
    if args.warm:
        from manyi.analytics import snapshots

        snapshot_pages = set(snapshots.PAGES)
        t0 = time.perf_counter()
        spent = snapshots.warm(org)
        print(
            f"snapshots.warm: {time.perf_counter() - t0:.1f} s in all "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in spent.items())}; 2 languages × "
            f"{1 + len(stores)} store sets; {load_average()})"
        )

    # A page being built may fail: report it (HTTP 500) instead of stopping the benchmark.
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    wanted = {p for p in args.pages.split(",") if p}
    results: list[Result] = []
    print(f"\nPages ({args.runs} timed runs after one warm-up; {load_average()}):\n")
    print(
        f"| {'page':<44} | {'p50 ms':>7} | {'p95 ms':>7} | {'max ms':>7} | {'SQL':>4} "
        f"| {'SQL ms':>7} | {'< 500':>5} |"
    )
    print(f"|{'-' * 46}|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 5}:|{'-' * 8}:|{'-' * 7}|")
    for name, url in PAGES:
        if wanted and name not in wanted:
            continue
        variants = [
            (url, url, args.runs),
            (f"{url} (one store)", with_store(url, store_id), args.runs),
        ]
        if name in snapshot_pages:
            live = url + ("&" if "?" in url else "?") + "live=1"
            variants += [
                (f"{url} live", live, args.live_runs),
                (f"{url} live (one store)", with_store(live, store_id), args.live_runs),
            ]
        for label, target, runs in variants:
            r = time_page(client, name, target, runs)
            results.append(r)
            if not r.available:
                why = f" {r.error}" if r.error else ""
                print(f"| {label:<44} | not available (HTTP {r.status}){why} |")
                break
            ok = "yes" if r.pct(0.95) < TARGET_MS else "NO"
            print(
                f"| {label:<44} | {r.pct(0.5):7.0f} | {r.pct(0.95):7.0f} | {max(r.times_ms):7.0f} "
                f"| {len(r.statements):>4} | {r.sql_ms:7.0f} | {ok:>5} |",
                flush=True,
            )
    timed = [r for r in results if r.available]
    # The target is on the pages as served (snapshots included); the live figures are shown
    # above for what a non-default filter costs.
    served = [r for r in timed if "live=1" not in r.url]
    worst = max((r.pct(0.95) for r in served), default=0.0)
    print(f"\n{load_average()}")

    if args.sql:
        for r in timed:
            statement_summary(r)
    if args.explain:
        for r in timed:
            explain(r, args.explain_ms)

    one, _five, _fifteen = os.getloadavg()
    extra = ""
    if refresh_s is not None:
        extra += f" value_refresh_s={refresh_s:.1f}"
    if sweep_s is not None:
        extra += f" alert_sweep_s={sweep_s:.1f}"
    print(
        f"\nRESULT bench_analytics cases={have.get('cases', 0)} "
        f"transactions={have.get('transactions', 0)} responses={have.get('survey responses', 0)} "
        f"pages={len({r.name for r in timed})} worst_p95_ms={worst:.0f} "
        f"target_met={'yes' if served and worst < TARGET_MS else 'no'}{extra} "
        f"load={one:.2f} at={dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}"
    )


if __name__ == "__main__":
    main()
