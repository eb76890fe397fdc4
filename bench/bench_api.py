"""Benchmark of the REST API and the staff pages under load, with the production server.

Run from the repository root against a dedicated PostgreSQL benchmark database (its name must
contain "bench"; every table in it is emptied unless --reuse is given):

    createdb -h 127.0.0.1 -U postgres manyi_api_bench      # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/manyi_api_bench \\
        .venv/bin/python bench/bench_api.py --cases 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/manyi_api_bench \\
        .venv/bin/python bench/bench_api.py --cases 1000000

What it does:
1. Loads one organisation (20 stores, each with a supervisor, a store manager and 10 agents,
   and an organisation admin), customers and N cases with SQL (bench/common.py): a 3-year
   history, 5% of the cases open (the newest, and a few old ones), some breached and some
   about to breach, each case with a `created` timeline entry and every 10th case with the
   timeline of a real case (responded, note, transferred, status changes).
2. Issues an API token for the organisation admin and staff sessions for the admin and an
   agent, counts the SQL statements of each request in-process (Django's test client), and
   times each view in-process (median of 30 calls, no HTTP).
3. Starts gunicorn (`config.wsgi`, 5 workers, MANYI_DEBUG=0, MANYI_CONN_MAX_AGE=60;
   bench_api_http.py) and drives each request with wrk (bench/wrk/manyi.lua): a 3 s warm-up,
   then one connection (-t1 -c1: latency without queueing) and `-t2 -c10` (the peer's load:
   throughput and latency under load). Before each run it waits for other programs to leave
   the shared CPUs idle. Case creations run last and are checked against the rows created.
4. Prints one table; --json FILE writes the figures as JSON.

Options: --reuse (keep the data of the last run), --duration S (the -c10 runs; default 20),
--port N (8811), --workers N (5), --only NAME[,NAME] (a subset of the requests), --no-load
(in-process figures only), --explain (EXPLAIN ANALYZE of each statement of a request that
takes more than 5 ms), --patience S (how long to wait for idle CPUs before each run; 90).
Needs PostgreSQL and wrk (`apt-get install -y wrk`). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

setup_django()  # before any model is imported

from bench_api_data import ORG_NAME, load, migrate_with_model_indexes  # noqa: E402
from bench_api_http import run_wrk, start_server, stop_server, wait_for_quiet  # noqa: E402
from common import (  # noqa: E402
    machine,
)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models.functions import Mod  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from manyi.accounts.models import Organisation, Store, User  # noqa: E402
from manyi.accounts.services import issue_token  # noqa: E402
from manyi.cases.models import Case  # noqa: E402
from manyi.customers.models import Customer  # noqa: E402

# --------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    label: str
    path: str  # may contain {id} (a case id with a timeline) and {cust}
    auth: str  # "token", "admin", "agent"
    method: str = "GET"
    body: str | None = None
    target_ms: float | None = None  # p95 (lists) or p50 of one connection (single reads)
    ids: list[int] | None = None  # the ids "{id}" takes (default: every 10th case)
    sql: int | None = None
    inproc_ms: float | None = None
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Env:
    token: str
    cookies: dict[str, str]
    case_lo: int
    case_hi: int
    cust_lo: int
    cust_hi: int
    store_id: int
    admin: User
    agent: User
    agent_case_ids: list[int]


def prepare() -> Env:
    org = Organisation.objects.get(name=ORG_NAME)
    admin = User.objects.get(organisation=org, username="bench_admin")
    # The store of the cases with a full timeline (ids ≡ 0 mod 10 fall in 2 of the 20 stores).
    store = Store.objects.filter(
        pk__in=Case.objects.filter(organisation=org)
        .alias(tenth=Mod("id", 10))
        .filter(tenth=0)
        .values("store_id")[:1]
    ).first()
    assert store is not None
    agent = User.objects.filter(store=store, role="agent").order_by("username").first()
    assert agent is not None
    ids = Case.objects.filter(organisation=org)
    first = ids.order_by("id").values_list("id", flat=True).first()
    last = ids.order_by("-id").values_list("id", flat=True).first()
    custs = Customer.objects.filter(organisation=org)
    cookies = {}
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    for who, user in (("admin", admin), ("agent", agent)):
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        cookies[who] = f"{settings.SESSION_COOKIE_NAME}={s.session_key}"
    assert first is not None and last is not None
    # The agent's store's cases with a full timeline (ids ≡ 0 mod 10), spread over the years.
    agent_ids = list(
        Case.objects.filter(organisation=org, store=store)
        .alias(tenth=Mod("id", 10))
        .filter(tenth=0)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return Env(
        token=issue_token(user=admin),
        cookies=cookies,
        case_lo=first,
        case_hi=last,
        cust_lo=custs.order_by("id").values_list("id", flat=True).first() or 0,
        cust_hi=custs.order_by("-id").values_list("id", flat=True).first() or 0,
        store_id=store.pk,
        admin=admin,
        agent=agent,
        agent_case_ids=agent_ids[:: max(1, len(agent_ids) // 500)][:500],
    )


def targets(env: Env) -> list[Target]:
    body = json.dumps(
        {
            "customer": "{cust}",
            "category": "wait_delivery",
            "channel": "phone",
            "severity": "normal",
            "summary": "交车延误两天，客户要求说明原因",
        },
        ensure_ascii=False,
    ).replace('"{cust}"', "{cust}")
    s = env.store_id
    return [
        Target("ceiling", "no database work (login form)", "/login/", "none"),
        Target("api_read", "API: read one case", "/api/v1/cases/{id}", "token", target_ms=20),
        Target(
            "api_list", "API: list, newest first", "/api/v1/cases?limit=25", "token", target_ms=60
        ),
        Target(
            "api_list_store",
            "API: list, open, one store",
            f"/api/v1/cases?limit=25&open=true&store={s}",
            "token",
            target_ms=60,
        ),
        Target(
            "api_list_due",
            "API: list, open, nearest deadline",
            "/api/v1/cases?limit=25&open=true&ordering=next_due_at",
            "token",
            target_ms=60,
        ),
        Target("page_case", "page: one case, org admin", "/cases/{id}/", "admin", target_ms=50),
        Target(
            "page_case_agent",
            "page: one case, agent",
            "/cases/{id}/",
            "agent",
            target_ms=50,
            ids=env.agent_case_ids,
        ),
        Target("page_dash_admin", "page: dashboard, org admin", "/", "admin", target_ms=300),
        Target("page_dash_agent", "page: dashboard, agent", "/", "agent", target_ms=300),
        Target("page_list", "page: case list (default)", "/cases/", "admin", target_ms=300),
        Target(
            "page_list_store",
            "page: case list, open, one store",
            f"/cases/?state=open&store={s}",
            "admin",
            target_ms=300,
        ),
        Target(
            "api_create",
            "API: create a case (POST)",
            "/api/v1/cases",
            "token",
            method="POST",
            body=body,
        ),
    ]


def read_id(env: Env, i: int) -> int:
    """The i-th case with a full timeline (ids ≡ 0 mod 10)."""
    lo = (env.case_lo + 9) // 10
    hi = env.case_hi // 10
    return 10 * (lo + (i * 7919) % (hi - lo + 1))


def in_process(env: Env, t: Target, explain: bool) -> None:
    """SQL statements of one request, and the median time of the view without HTTP."""
    client = Client()
    headers: dict[str, str] = {}
    if t.auth == "token":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {env.token}"
    elif t.auth != "none":
        client.force_login(env.admin if t.auth == "admin" else env.agent)

    def call(i: int) -> Any:
        case_id = t.ids[i % len(t.ids)] if t.ids else read_id(env, i)
        path = t.path.replace("{id}", str(case_id))
        if t.method == "POST":
            data = (t.body or "").replace("{cust}", str(env.cust_lo + i))
            return client.post(path, data, content_type="application/json", **headers)
        return client.get(path, **headers)

    if t.method == "POST":
        # As a real request runs it (its own transaction): two cases more in the database.
        call(0)  # warm caches (and the token's first-use stamp)
        with CaptureQueriesContext(connection) as q:
            r = call(1)
        assert r.status_code == 201, (t.name, r.status_code, r.content[:300])
        t.sql = len(q.captured_queries)
        times = []
        for i in range(20):
            t0 = time.perf_counter()
            call(i + 2)
            times.append((time.perf_counter() - t0) * 1000)
        t.inproc_ms = statistics.median(times)
        return
    call(0)  # warm caches
    with CaptureQueriesContext(connection) as q:
        r = call(1)
    assert r.status_code == 200, (t.name, r.status_code, r.content[:300])
    captured = list(q.captured_queries)  # the next request clears Django's query log
    t.sql = len(captured)
    times = []
    for i in range(30):
        t0 = time.perf_counter()
        call(i + 2)
        times.append((time.perf_counter() - t0) * 1000)
    t.inproc_ms = statistics.median(times)
    if explain:
        explain_slow(captured, t.name)


def explain_slow(queries: list[dict[str, Any]], name: str, over_ms: float = 5.0) -> None:
    for sql in (q["sql"] for q in queries):
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute(sql)
            ms = (time.perf_counter() - t0) * 1000
            if ms < over_ms:
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
            print(f"\n--- {name}: {ms:.1f} ms ---\n{sql}\n")
            print("\n".join("    " + r[0] for r in cur.fetchall()))


# --------------------------------------------------------------------------------------
# The load
# --------------------------------------------------------------------------------------


def wrk(
    env: Env, t: Target, port: int, *, threads: int, conns: int, seconds: int
) -> dict[str, Any]:
    variables = {
        "WRK_METHOD": t.method,
        "WRK_PATH": t.path.replace("{id}", "{id}0"),  # ids ≡ 0 mod 10 have a full timeline
        "WRK_ID_LO": str((env.case_lo + 9) // 10),
        "WRK_ID_HI": str(env.case_hi // 10),
        "WRK_CUST_LO": str(env.cust_lo),
        "WRK_CUST_HI": str(env.cust_hi),
    }
    if t.auth == "token":
        variables["WRK_AUTH"] = f"Bearer {env.token}"
    elif t.auth != "none":
        variables["WRK_COOKIE"] = env.cookies[t.auth]
    if t.body:
        variables["WRK_BODY"] = t.body
    if t.ids:
        variables["WRK_IDS"] = ",".join(map(str, t.ids))
        variables["WRK_PATH"] = t.path
    return run_wrk(port, variables, threads=threads, conns=conns, seconds=seconds)


def count_cases() -> int:
    return Case.objects.filter(organisation__name=ORG_NAME).count()


def run_load(env: Env, ts: list[Target], port: int, seconds: int, patience: int) -> None:
    for t in ts:
        quiet = wait_for_quiet(0.25, patience)
        wrk(env, t, port, threads=2, conns=10, seconds=3)  # warm every worker up
        before = count_cases()
        if t.method != "POST":
            t.runs["c1"] = wrk(env, t, port, threads=1, conns=1, seconds=max(5, seconds // 2))
        t.runs["c10"] = wrk(env, t, port, threads=2, conns=10, seconds=seconds)
        r = t.runs["c10"]
        r["busy_before"] = quiet
        if t.method == "POST":
            r["created"] = count_cases() - before
        print(
            f"  {t.label:<36} c10 {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f}  "
            f"p95 {r['p95']:6.1f}  p99 {r['p99']:6.1f} ms  non-2xx {r['errors_status']}"
            + (f"  rows created {r['created']:,}" if "created" in r else "")
            + f"  (CPU busy before: {quiet:.0%})",
            flush=True,
        )


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def busy_before(run: dict[str, Any]) -> str:
    """How busy other programs kept the CPUs just before the run."""
    return f"{run['busy_before']:.0%}" if "busy_before" in run else "–"


def verdict(t: Target) -> str:
    c1, c10 = t.runs.get("c1"), t.runs.get("c10")
    if t.name == "ceiling":
        return "django-helpdesk's: 367 req/s"
    if t.name == "api_create" and c10:
        ok = c10["rps"] >= 370 and c10["errors_status"] == 0
        return f"≥ 370/s: {'met' if ok else 'NOT met'}"
    if t.target_ms is None or not c10 or not c1:
        return ""
    if t.name.startswith("api_list"):
        ok = c10["p95"] < t.target_ms
        return f"p95 < {t.target_ms:.0f} ms under -c10: {'met' if ok else 'NOT met'}"
    ok1 = c1["p95"] < t.target_ms
    ok10 = c10["p95"] < t.target_ms
    return (
        f"< {t.target_ms:.0f} ms: c1 p95 {'met' if ok1 else 'NOT met'}, "
        f"c10 p95 {'met' if ok10 else 'NOT met'}"
    )


def report(ts: list[Target], n_cases: int) -> None:
    print(
        f"\nFigures at {n_cases:,} cases (ms; c1 = wrk -t1 -c1, c10 = wrk -t2 -c10; busy = CPU "
        "used by other programs just before the run):"
    )
    head = (
        f"{'request':<36} {'SQL':>4} {'view':>6} | {'c1 p50':>7} {'p95':>6} {'p99':>6} | "
        f"{'c10 req/s':>9} {'p50':>6} {'p95':>6} {'p99':>6} {'err':>4} {'busy':>4} | target"
    )
    print(head)
    print("-" * len(head))
    for t in ts:
        c1, c10 = t.runs.get("c1", {}), t.runs.get("c10", {})

        def f(d: dict[str, Any], k: str, w: int, p: int = 1) -> str:
            return f"{d[k]:{w}.{p}f}" if d.get(k) is not None else " " * (w - 1) + "–"

        print(
            f"{t.label:<36} {t.sql if t.sql is not None else '–':>4} "
            f"{f(t.__dict__, 'inproc_ms', 6)} | {f(c1, 'p50', 7)} {f(c1, 'p95', 6)} "
            f"{f(c1, 'p99', 6)} | {f(c10, 'rps', 9)} {f(c10, 'p50', 6)} {f(c10, 'p95', 6)} "
            f"{f(c10, 'p99', 6)} {c10.get('errors_status', '–'):>4} {busy_before(c10):>4} | "
            f"{verdict(t)}"
        )
    create = next((t for t in ts if t.name == "api_create" and "c10" in t.runs), None)
    if create:
        r = create.runs["c10"]
        print(
            f"\nCreations: wrk counted {r['requests'] - r['errors_status']:,} answers 201, "
            f"{r['created']:,} rows created (requests still in flight when wrk stopped "
            "complete on the server)."
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    ap.add_argument("--duration", type=int, default=20, help="seconds of each -c10 run")
    ap.add_argument("--port", type=int, default=8811)
    ap.add_argument("--workers", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated request names")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--no-load", action="store_true", help="in-process figures only")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--patience",
        type=int,
        default=90,
        help="seconds to wait before each run for other programs to leave the CPUs idle",
    )
    a = ap.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_api.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    if shutil.which("wrk") is None and not a.no_load:
        sys.exit("wrk is missing: apt-get install -y wrk")
    print(machine())
    migrate_with_model_indexes()
    if not a.reuse:
        load(a.cases)
    n_cases = count_cases()
    env = prepare()
    ts = targets(env)
    if a.only:
        ts = [t for t in ts if t.name in a.only.split(",")]
    print(f"\nIn-process (Django test client, {n_cases:,} cases): SQL statements, median ms")
    for t in ts:
        in_process(env, t, a.explain)
        ms = f"{t.inproc_ms:7.1f} ms" if t.inproc_ms is not None else ""
        print(f"  {t.label:<36} {t.sql:3d} SQL  {ms}", flush=True)
    connection.close()
    if not a.no_load:
        log = Path("/tmp") / f"bench_api_gunicorn_{a.port}.log"
        print(f"\ngunicorn config.wsgi -w {a.workers} on 127.0.0.1:{a.port} (log {log})")
        proc = start_server(a.port, a.workers, log)
        try:
            run_load(env, ts, a.port, a.duration, a.patience)
        finally:
            stop_server(proc)
    report(ts, n_cases)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    "cases": n_cases,
                    "machine": machine(),
                    "at": timezone.now().isoformat(),
                    "figures": [
                        {k: v for k, v in t.__dict__.items() if k not in ("body",)} for t in ts
                    ],
                },
                indent=1,
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
