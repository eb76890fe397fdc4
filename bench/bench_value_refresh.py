"""Customer value refresh benchmark: `refresh_customer_values` on 3,000,000 transactions of
420,000 customers in PostgreSQL, and the churn-risk list on top of it.

Run from the repository root against a dedicated database (created if missing):

    .venv/bin/python bench/ensure_database.py postgres://postgres@127.0.0.1:5432/bench_value_d
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_value_d \\
        .venv/bin/python bench/bench_value_refresh.py      # --customers 420000 --cases 200000

The transactions are `bench_value.simulate` (the BG/NBD + Gamma-Gamma process with the CDNOW
parameters read in days, four years 2022–2025; see that script), loaded with one COPY into
an organisation of 20 stores whose customers are made with `common.load_customers`. `--cases`
open cases (one per customer from the lowest id up, i.e. spread over every store) give the
churn list an open-complaint flag to look up.

What is timed: the refresh with its parts (read, models, write: the ValueModelFit's seconds
is the whole), a second refresh (replacing the rows), and the churn-risk list's first and
tenth page for an organisation admin (every store) and for one store, plus the value page's
summary; each page query is printed with its plan's top line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    analyse,
    fast_load,
    load_average,
    load_customers,
    machine,
    make_org,
    migrate,
    reset_database,
    setup_django,
)

setup_django()

from bench_value import LOG_DAYS, START, simulate  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def load_transactions(org_id: int, lo: int, customers: int) -> int:
    from django.db import connection
    from django.utils import timezone

    ids, stamps, amounts, _exact = simulate(customers)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, store_id FROM customers_customer WHERE organisation_id = %s ORDER BY id",
            [org_id],
        )
        pairs = np.array(cur.fetchall(), dtype=np.int64)
    customer = ids - 100_000 + lo
    store = pairs[customer - lo, 1]
    frame = pd.DataFrame(
        {
            "organisation_id": org_id,
            "store_id": store,
            "customer_id": customer,
            "occurred_on": np.datetime_as_string(stamps.astype("datetime64[D]")),
            "amount": np.char.mod("%.2f", amounts),
            "kind": "purchase",
            "reference": "",
            "created_at": timezone.now().isoformat(),
        }
    )
    text = frame.to_csv(sep="\t", header=False, index=False, lineterminator="\n")
    columns = ", ".join(frame.columns)
    with (
        fast_load(("analytics_transaction",)),
        connection.cursor() as cur,
        cur.cursor.copy(f"COPY analytics_transaction ({columns}) FROM STDIN") as copy,
    ):
        copy.write(text.encode())
    return len(frame)


def load_open_cases(org, cases: int, now) -> None:  # type: ignore[no-untyped-def]
    """`cases` open cases, customer i for case i from the lowest customer id (the cases table
    only: the churn list reads no SLA clock)."""
    from django.db import connection

    lo, hi = org.customer_ids
    stores = len(org.store_ids)
    owners = ", ".join(f"({k}, {s}, {org.agents[s][0]})" for k, s in enumerate(org.store_ids))
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH m(k, store_id, owner_id) AS (VALUES {owners})
            INSERT INTO cases_case (
                organisation_id, number, customer_id, store_id, channel, category_id, severity,
                nature, complainer_type, threatens_media, threatens_regulator, threatens_lawyer,
                repeat_complaint, summary, description, received_at, owner_id, status,
                escalation_level, reopen_count, sla_policy_id, outcome, root_cause,
                root_cause_note, corrective_action, version, created_at, updated_at)
            SELECT %s, 'BM-' || i, c.id, c.store_id, 'phone', %s, 'normal', 'problem_solving',
                   'voicer', false, false, false, false, '交车延误', '', %s, m.owner_id,
                   'in_progress', 0, 0, %s, '', '', '', '', 1, %s, %s
            FROM generate_series(0, %s - 1) AS g(i)
            JOIN customers_customer c ON c.id = %s + i * 2
            JOIN m ON m.store_id = c.store_id
            """,
            [org.org_id, org.category_id, now, org.policy_id, now, now, cases, lo],
        )
    assert stores and hi


def page_times(label: str, fn, runs: int = 5) -> None:  # type: ignore[no-untyped-def]
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    print(
        f"  {label:<58} median {statistics.median(seconds) * 1000:7.1f} ms, "
        f"max {max(seconds) * 1000:7.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=420_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument(
        "--reuse", action="store_true", help="time the pages on the data already loaded"
    )
    args = parser.parse_args()

    import datetime as dt
    from zoneinfo import ZoneInfo

    from manyi.accounts.models import Organisation
    from manyi.analytics import value
    from manyi.analytics.models import CustomerValue

    migrate()
    if args.reuse:
        from manyi.analytics.models import ValueModelFit

        fit = ValueModelFit.objects.order_by("-pk").first()
        assert fit is not None, "nothing to reuse: run without --reuse first"
        print(machine())
        pages(fit.organisation_id, fit.computed_at)
        return
    print(machine())
    print(load_average())
    reset_database()
    t0 = time.perf_counter()
    org = make_org(stores=20, agents_per_store=2)
    load_customers(org, args.customers)
    n = load_transactions(org.org_id, org.customer_ids[0], args.customers)
    now = dt.datetime.combine(
        START.astype("datetime64[D]").item() + dt.timedelta(days=LOG_DAYS - 1),
        dt.time(12),
        tzinfo=ZoneInfo("Asia/Shanghai"),
    )
    if args.cases:
        load_open_cases(org, args.cases, now)
    analyse()
    print(
        f"\nLoaded {n:,} transactions of {args.customers:,} customers in "
        f"{time.perf_counter() - t0:.1f} s\n"
    )

    organisation = Organisation.objects.get(pk=org.org_id)
    today = now.date()
    t = time.perf_counter()
    log = value.read_transactions(org.org_id, today)
    read = time.perf_counter() - t
    t = time.perf_counter()
    frame, _models = value.build_table(log, today=today, retention_years=5.0)
    build = time.perf_counter() - t
    print(f"  read_transactions (COPY → pandas)      {read:7.2f} s  ({log.customer.size:,} rows)")
    print(f"  build_table (summary, fits, figures)   {build:7.2f} s  ({len(frame):,} customers)")
    for run in (1, 2):
        t = time.perf_counter()
        fit = value.refresh_customer_values(organisation=organisation, now=now)
        wall = time.perf_counter() - t
        print(
            f"  refresh_customer_values, run {run}         {wall:7.2f} s  "
            f"(fit.seconds {fit.seconds:.2f}; error: {fit.error or 'none'})"
        )
    print(f"\nBG/NBD {fit.bgnbd}\nGamma-Gamma {fit.gamma_gamma}")
    print(
        f"CustomerValue rows: {CustomerValue.objects.filter(organisation_id=org.org_id).count():,}"
    )
    analyse()

    pages(org.org_id, now)


def pages(org_id: int, now: Any) -> None:
    from django.db import connection

    from manyi.accounts.choices import Role
    from manyi.accounts.models import Store, User
    from manyi.analytics import churn

    admin = User.objects.get(organisation_id=org_id, role=Role.ORG_ADMIN)
    stores = tuple(
        Store.objects.filter(organisation_id=org_id).order_by("pk").values_list("pk", flat=True)
    )
    sup = User.objects.filter(
        organisation_id=org_id, role=Role.SUPERVISOR, store_id=stores[0]
    ).get()
    print(f"\nPages ({load_average()})")
    for who, user, ids in (
        ("admin, every store", admin, stores),
        ("supervisor, one store", sup, (stores[0],)),
    ):
        for flag in ("", "open_complaint", "low_score"):
            for number in (1, 10):
                page_times(
                    f"churn list, {who}, flag={flag or 'any'}, page {number}",
                    lambda u=user, i=ids, f=flag, n=number: churn.churn_page(
                        u, i, flag=f, now=now, number=n
                    ),
                )
        page_times(f"value page summary, {who}", lambda u=user, i=ids: churn.value_summary(u, i))
    with CaptureQueriesContext(connection) as queries:
        churn.churn_page(admin, stores, now=now)
    sql = queries.captured_queries[0]["sql"]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
        plan = [r[0] for r in cur.fetchall()]
    print("\nPlan of the churn list's id query, admin, page 1:\n  " + "\n  ".join(plan[:30]))


if __name__ == "__main__":
    main()
