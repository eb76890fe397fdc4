"""Benchmark of filing a complaint as a customer: the public complaint page of a store (the
HTML form, CSRF-protected) and the public JSON endpoint, with the production server.

Run from the repository root against a dedicated PostgreSQL benchmark database (its name must
contain "bench"; every table in it is emptied):

    createdb -h 127.0.0.1 -U postgres manyi_public_bench      # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/manyi_public_bench \\
        .venv/bin/python bench/bench_public.py

What it does:
1. Loads one organisation with one store (10 agents, a supervisor, a store manager, an
   organisation admin; the default categories and SLA policies) and, like the peer's
   database, a history of 20,000 cases (--cases; 5% open, so "who is on duty" counts real
   open cases), with the SQL loaders of bench/common.py.
2. Starts gunicorn (`config.wsgi`, 5 workers, MANYI_DEBUG=0, MANYI_CONN_MAX_AGE=60;
   bench_api_http.py) with the public rate limits raised out of the way
   (MANYI_PUBLIC_RATE_PER_IP, _PER_PHONE and MANYI_PUBLIC_LOOKUP_RATE_PER_IP = 1,000,000,000):
   every request comes from 127.0.0.1, and the default of 10 complaints per IP an hour would
   answer 429 to all but the first ten. The limits' counters are still written on every
   complaint, as in production.
3. GETs the complaint page once, as a browser does first, for the `csrftoken` cookie and the
   form's `csrfmiddlewaretoken`; wrk (bench/wrk/public.lua) then sends that cookie, an Origin
   header and the token with every POST (Django accepts a token again and again).
4. Drives each request with wrk `-t2 -c10` (the peer's load) after a 3 s warm-up, once other
   programs leave the shared CPUs idle:
   - page: POST /complain/<store>/ — the form as a browser sends it (multipart/form-data, the
     form's enctype, with the empty file input; --encoding urlencoded for a plain form body).
     Success is the 302 to the "thank you" page; anything else (a 200 is the form shown again
     with errors, 403 a CSRF refusal, 429 a rate limit) counts as an error.
   - API: POST /api/v1/public/stores/<store>/complaints (multipart/form-data); success is 201.
   - the two GETs around a submission (the empty form, and the "thank you" page the 302 leads
     to, with a session that just filed a complaint), for the whole of a customer's visit.
   Every complaint has a different mobile number (139 + 8 random digits), so each creates a
   customer, as a first-time complainer does; each creates a case, its SLA clocks, timeline
   entries, the staff notification and the customer's SMS in the outbox (delivered by the
   worker, which is not running: its work is not part of the request).
5. After each POST run, checks the cases created against wrk's count of successes: every
   success made one case, and at most the requests still in flight when wrk stopped (they
   complete on the server, wrk no longer counts them) made one more each.
6. Prints one table; --json FILE writes the figures as JSON.

Options: --duration S (each run; default 20), --workers N (5), --port N (8812), --cases N
(20,000), --encoding multipart|urlencoded (the page's body), --only NAME[,NAME] (page, api,
form, done), --patience S (how long to wait for idle CPUs before each run; 90).
Needs PostgreSQL and wrk. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

setup_django()  # before any model is imported

from bench_api_data import migrate_with_model_indexes  # noqa: E402
from bench_api_http import start_server, stop_server, wait_for_quiet  # noqa: E402
from common import (  # noqa: E402
    analyse,
    fast_load,
    load_case_history,
    load_customers,
    machine,
    make_org,
    reset_database,
    timed,
)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from manyi.accounts.models import Store  # noqa: E402
from manyi.cases.models import Case  # noqa: E402
from manyi.cases.public_services import public_categories  # noqa: E402
from manyi.cases.public_views import SESSION_KEY  # noqa: E402
from manyi.customers.models import Customer  # noqa: E402

LUA = Path(__file__).resolve().parent / "wrk" / "public.lua"
ORG_NAME = "公开投诉基准集团"
PEER_PAGE = 74.5  # django-helpdesk 2.3.3, public form, same machine, gunicorn -w 5, wrk -c10
PEER_API = 52.0
HIGH = "1000000000"
RATE_ENV = {
    "MANYI_PUBLIC_RATE_PER_IP": HIGH,
    "MANYI_PUBLIC_RATE_PER_PHONE": HIGH,
    "MANYI_PUBLIC_LOOKUP_RATE_PER_IP": HIGH,
}


@dataclass
class Target:
    name: str
    label: str
    kind: str  # page, api, get
    path: str
    expect: int
    peer: float | None = None
    run: dict[str, Any] = field(default_factory=dict)


@dataclass
class Env:
    org_id: int
    store_id: int
    categories: list[int]
    csrf_cookie: str = ""
    csrf_token: str = ""
    done_cookie: str = ""


def load(n_cases: int) -> Env:
    print(f"Loading 1 organisation, 1 store and {n_cases:,} cases:")
    now = timezone.now()
    with timed("reset the database"):
        reset_database()
    with timed("organisation, 1 store, 13 staff, categories, SLA policies"):
        org = make_org(stores=1, agents_per_store=10, name=ORG_NAME)
    if n_cases:
        n_customers = max(1000, n_cases // 2)
        with timed(f"{n_customers:,} customers"), fast_load(("customers_customer",)):
            load_customers(org, n_customers)
        with (
            timed(f"{n_cases:,} cases over 3 years, 2 SLA clocks each"),
            fast_load(("cases_case", "cases_casesla")),
        ):
            load_case_history(org, cases=n_cases, now=now)
    with timed("VACUUM ANALYZE"):
        analyse()
    store = Store.objects.get(pk=org.store_ids[0])
    assert store.public_intake, "the store's public page is closed"
    categories = [c.pk for c in public_categories(org.org_id)]
    assert categories, "no category a customer may choose"
    return Env(org_id=org.org_id, store_id=store.pk, categories=categories)


def targets(env: Env) -> list[Target]:
    s = env.store_id
    return [
        Target(
            "page",
            "page: file a complaint (POST → 302)",
            "page",
            f"/complain/{s}/",
            302,
            PEER_PAGE,
        ),
        Target(
            "api",
            "API: file a complaint (POST → 201)",
            "api",
            f"/api/v1/public/stores/{s}/complaints",
            201,
            PEER_API,
        ),
        Target("form", "page: the empty form (GET)", "get", f"/complain/{s}/", 200),
        Target("done", "page: thank-you page (GET after 302)", "get", f"/complain/{s}/done/", 200),
    ]


def fetch_csrf(env: Env, port: int) -> None:
    """GET the complaint page as a browser does first: the csrftoken cookie and the form's
    csrfmiddlewaretoken."""
    url = f"http://127.0.0.1:{port}/complain/{env.store_id}/"
    with urllib.request.urlopen(url, timeout=10) as r:
        html = r.read().decode()
        cookies = r.headers.get_all("Set-Cookie") or []
    name = settings.CSRF_COOKIE_NAME
    cookie = next((c.split(";", 1)[0] for c in cookies if c.startswith(f"{name}=")), "")
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not cookie or not m:
        sys.exit(f"no CSRF cookie or token on {url}")
    env.csrf_cookie, env.csrf_token = cookie, m.group(1)


def make_done_session(env: Env) -> None:
    """A session that just filed a complaint (what the 302 leaves in the browser)."""
    from django.contrib.sessions.backends.db import SessionStore

    case = Case.objects.filter(store_id=env.store_id).order_by("-id").first()
    assert case is not None
    s = SessionStore()
    s[SESSION_KEY] = case.pk
    s.create()
    env.done_cookie = f"{settings.SESSION_COOKIE_NAME}={s.session_key}"


def run_wrk(
    env: Env,
    t: Target,
    port: int,
    *,
    encoding: str,
    seconds: int,
    threads: int = 2,
    conns: int = 10,
) -> dict[str, Any]:
    variables = {
        "WRK_KIND": t.kind,
        "WRK_PATH": t.path,
        "WRK_EXPECT": str(t.expect),
        "WRK_ENCODING": encoding,
        "WRK_CATS": ",".join(map(str, env.categories)),
        "WRK_ORIGIN": f"http://127.0.0.1:{port}",
    }
    if t.kind == "page":
        variables["WRK_CSRF"] = env.csrf_token
        variables["WRK_COOKIE"] = env.csrf_cookie
    elif t.name == "done":
        variables["WRK_COOKIE"] = env.done_cookie
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s"]
    out = subprocess.run(
        [*cmd, str(LUA), f"http://127.0.0.1:{port}"],
        env=dict(os.environ, **variables),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    m = re.search(r"WRK_JSON (\{.*\})", out)
    assert m, out
    r: dict[str, Any] = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["ok_rps"] = r["ok"] / (r["duration_us"] / 1e6)
    r["errors_socket"] = sum(r[f"errors_{k}"] for k in ("connect", "read", "write", "timeout"))
    r["errors"] = r["requests"] - r["ok"] + r["errors_socket"]
    sample = re.search(r"WRK_SAMPLE (.*)", out)
    if sample:
        r["sample"] = sample.group(1)[:400]
    return r


def counts(env: Env) -> tuple[int, int]:
    cases = Case.objects.filter(organisation_id=env.org_id).count()
    customers = Customer.objects.filter(organisation_id=env.org_id).count()
    return cases, customers


def settled_counts(env: Env) -> tuple[int, int]:
    """The counts once the requests in flight when wrk stopped have finished on the server."""
    last = counts(env)
    while True:
        time.sleep(0.5)
        now = counts(env)
        if now == last:
            return now
        last = now


def run_load(env: Env, ts: list[Target], port: int, a: argparse.Namespace) -> None:
    for t in ts:
        if t.name == "done" and not env.done_cookie:
            make_done_session(env)
        quiet = wait_for_quiet(0.25, a.patience)
        warm = run_wrk(env, t, port, encoding=a.encoding, seconds=3)  # every worker warm
        if warm["ok"] == 0:
            sys.exit(f"{t.label}: no request succeeded in the warm-up: {warm.get('sample', '')}")
        cases0, customers0 = settled_counts(env)
        r = run_wrk(env, t, port, encoding=a.encoding, seconds=a.duration)
        r["busy_before"] = quiet
        if t.kind != "get":
            cases1, customers1 = settled_counts(env)
            r["cases_created"] = cases1 - cases0
            r["customers_created"] = customers1 - customers0
            r["in_flight"] = r["sent"] - r["requests"]
            # Every success made one case; requests in flight at the stop may have made one.
            r["count_ok"] = r["ok"] <= r["cases_created"] <= r["ok"] + r["in_flight"]
        t.run = r
        line = (
            f"  {t.label:<38} {r['ok_rps']:7.1f}/s  p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  "
            f"p99 {r['p99']:6.1f} ms  errors {r['errors']}  (CPU busy before: {quiet:.0%})"
        )
        if "cases_created" in r:
            line += (
                f"\n  {'':<38} wrk successes {r['ok']:,}, cases created {r['cases_created']:,}"
                f" ({r['in_flight']} in flight at the stop), customers created "
                f"{r['customers_created']:,}: {'consistent' if r['count_ok'] else 'MISMATCH'}"
            )
        if r["errors"]:
            line += f"\n  {'':<38} statuses {r['codes']}; first error: {r.get('sample', '')}"
        print(line, flush=True)


def report(ts: list[Target], a: argparse.Namespace) -> None:
    print(
        f"\nwrk -t2 -c10 -d{a.duration}s, gunicorn -w {a.workers} (req/s counts successes only; "
        "errors = answers other than the expected status + socket errors; busy = CPU used by "
        "other programs just before the run):"
    )
    head = (
        f"{'request':<38} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>6} "
        f"{'created':>8} {'busy':>5} | peer"
    )
    print(head)
    print("-" * len(head))
    for t in ts:
        r = t.run
        if not r:
            continue
        created = f"{r['cases_created']:,}" if "cases_created" in r else "–"
        peer = ""
        if t.peer:
            peer = f"django-helpdesk {t.peer:g}/s: ×{r['ok_rps'] / t.peer:.1f}"
        print(
            f"{t.label:<38} {r['ok_rps']:7.1f} {r['p50']:6.1f} {r['p95']:6.1f} {r['p99']:6.1f} "
            f"{r['errors']:6d} {created:>8} {r['busy_before']:5.0%} | {peer}"
        )
    for t in ts:
        r = t.run
        if r and "cases_created" in r:
            print(
                f"{t.name}: wrk counted {r['ok']:,} successes, {r['cases_created']:,} cases were "
                f"created ({r['in_flight']} requests in flight when wrk stopped) — "
                f"{'consistent' if r['count_ok'] else 'MISMATCH'}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=20, help="seconds of each run")
    ap.add_argument("--workers", type=int, default=5)
    ap.add_argument("--port", type=int, default=8812)
    ap.add_argument("--cases", type=int, default=20_000, help="cases loaded beforehand")
    ap.add_argument("--encoding", choices=("multipart", "urlencoded"), default="multipart")
    ap.add_argument("--only", default="", help="comma-separated: page, api, form, done")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--patience",
        type=int,
        default=90,
        help="seconds to wait before each run for other programs to leave the CPUs idle",
    )
    a = ap.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_public.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    print(machine())
    migrate_with_model_indexes()
    env = load(a.cases)
    ts = targets(env)
    if a.only:
        ts = [t for t in ts if t.name in a.only.split(",")]
    connection.close()
    # The server inherits these (bench_api_http.start_server copies os.environ).
    os.environ.update(RATE_ENV)
    print(
        "\nRate limits raised so that they do not throttle the benchmark (all requests come "
        "from 127.0.0.1): " + ", ".join(f"{k}={v}" for k, v in RATE_ENV.items())
    )
    log = Path("/tmp") / f"bench_public_gunicorn_{a.port}.log"
    print(f"gunicorn config.wsgi -w {a.workers} on 127.0.0.1:{a.port}, DEBUG off (log {log})")
    print(f"Page bodies: {a.encoding}; API bodies: multipart")
    proc = start_server(a.port, a.workers, log)
    try:
        fetch_csrf(env, a.port)
        run_load(env, ts, a.port, a)
    finally:
        stop_server(proc)
    report(ts, a)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "at": timezone.now().isoformat(),
                    "cases_loaded": a.cases,
                    "duration": a.duration,
                    "workers": a.workers,
                    "encoding": a.encoding,
                    "rate_limits": RATE_ENV,
                    "figures": [
                        {"name": t.name, "label": t.label, "path": t.path, **t.run} for t in ts
                    ],
                },
                indent=1,
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
