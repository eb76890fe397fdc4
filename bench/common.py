"""Shared helpers of the benchmarks: Django set-up, a guard against touching anything but a
benchmark database, machine facts, and fast bulk loaders written in SQL.

Loading a million cases through the ORM one by one takes hours; the loaders here write
organisations and staff with the ORM (a few hundred rows), then customers, cases and SLA clocks
with one `INSERT … SELECT` each over `generate_series` (PostgreSQL) or a recursive CTE
(SQLite), so 1,000,000 cases with 2,000,000 clocks load in about a minute on PostgreSQL.

Use from a bench script:

    from common import setup_django
    setup_django()                      # before importing any model
    from common import BenchOrg, load_cases, make_org, reset_database
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    """Configure Django from DATABASE_URL; refuse any database whose name lacks "bench"."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ.get("DATABASE_URL", "")
    if "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit(
            "Set DATABASE_URL to a dedicated benchmark database whose name contains 'bench', "
            "e.g. postgres://postgres@127.0.0.1:5432/manyi_bench or sqlite:///var/bench.sqlite3"
        )
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return cpu


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> str:
    """One line about the machine and the database server."""
    from django.db import connection

    cpu = cpu_name()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT current_setting('server_version')")
            db = f"PostgreSQL {cur.fetchone()[0]}"
        else:
            cur.execute("SELECT sqlite_version()")
            db = f"SQLite {cur.fetchone()[0]}"
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {db}, "
        f"database {connection.settings_dict['NAME']}"
    )


@contextmanager
def timed(label: str, sink: dict[str, float] | None = None) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    elapsed = time.perf_counter() - t0
    if sink is not None:
        sink[label] = elapsed
    print(f"  {label:<52} {elapsed:8.3f} s", flush=True)


def reset_database() -> None:
    """Empty every table of the benchmark database (it keeps its schema)."""
    from django.db import connection

    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE"
            )
        else:
            cur.execute("PRAGMA foreign_keys = OFF")
            for t in tables:
                cur.execute(f"DELETE FROM {connection.ops.quote_name(t)}")
            cur.execute("PRAGMA foreign_keys = ON")


def analyse() -> None:
    """Refresh planner statistics (and the visibility map) after a bulk load."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for t in (
                "customers_customer",
                "cases_case",
                "cases_casesla",
                "cases_slaevent",
                "audit_auditevent",
                "notifications_notification",
            ):
                cur.execute(f"VACUUM ANALYZE {t}")
        else:
            cur.execute("ANALYZE")


@dataclass
class BenchOrg:
    org_id: int
    store_ids: list[int]
    # per store: its agents (half of them report to a supervisor, half do not)
    agents: dict[int, list[int]]
    supervisors: dict[int, int]
    managers: dict[int, int]
    admin_id: int
    category_id: int
    policy_id: int
    customer_ids: list[int] = field(default_factory=list)


def make_org(*, stores: int = 20, agents_per_store: int = 10, name: str = "基准集团") -> BenchOrg:
    """An organisation with the default taxonomy and policies, `stores` stores each with a
    supervisor, a store manager and agents, and an organisation admin."""
    from manyi.accounts.choices import Role
    from manyi.accounts.models import Organisation, Store, User
    from manyi.accounts.services import install_default_categories, install_default_policies
    from manyi.calendars.models import BusinessCalendar
    from manyi.cases.models import Category, SlaPolicy

    org = Organisation.objects.create(name=name, case_prefix="BM")
    install_default_categories(org)
    install_default_policies(org)
    cal = BusinessCalendar.objects.create(organisation=org, name="标准工作时间")
    store_objs = Store.objects.bulk_create(
        Store(organisation=org, name=f"门店{i:02d}", code=f"S{i:02d}", calendar=cal)
        for i in range(stores)
    )
    # "!" is an unusable password hash: no slow hashing for a few hundred benchmark users.
    common: dict[str, Any] = {"organisation": org, "password": "!", "is_active": True}
    admin = User.objects.create(
        username="bench_admin", role=Role.ORG_ADMIN, store=store_objs[0], **common
    )
    sups, mgrs = {}, {}
    for s in store_objs:
        sups[s.pk] = User.objects.create(
            username=f"sup_{s.code}",
            role=Role.SUPERVISOR,
            store=s,
            email=f"sup_{s.code}@bench.example",
            mobile="13900000002",
            display_name=f"主管{s.code}",
            **common,
        )
        mgrs[s.pk] = User.objects.create(
            username=f"mgr_{s.code}",
            role=Role.STORE_MANAGER,
            store=s,
            email=f"mgr_{s.code}@bench.example",
            mobile="13900000003",
            display_name=f"店长{s.code}",
            **common,
        )
    agents: dict[int, list[int]] = {}
    for s in store_objs:
        made = User.objects.bulk_create(
            User(
                username=f"agent_{s.code}_{j}",
                role=Role.AGENT,
                store=s,
                supervisor=sups[s.pk] if j % 2 == 0 else None,
                email=f"agent_{s.code}_{j}@bench.example",
                mobile=f"139{s.pk:04d}{j:04d}",
                display_name=f"客服{s.code}-{j}",
                **common,
            )
            for j in range(agents_per_store)
        )
        agents[s.pk] = [u.pk for u in made]
    return BenchOrg(
        org_id=org.pk,
        store_ids=[s.pk for s in store_objs],
        agents=agents,
        supervisors={k: v.pk for k, v in sups.items()},
        managers={k: v.pk for k, v in mgrs.items()},
        admin_id=admin.pk,
        category_id=Category.objects.get(organisation=org, code="wait_delivery").pk,
        policy_id=SlaPolicy.objects.get(organisation=org, is_default=True).pk,
    )


@contextmanager
def fast_load(tables: tuple[str, ...]) -> Iterator[None]:
    """On PostgreSQL: load without foreign-key triggers (the loaders write consistent data) and
    without the tables' secondary indexes, rebuilt afterwards from their own definitions —
    building an index once is far faster than a million insertions into it. Needs a superuser
    (the benchmark database's owner here); elsewhere it does nothing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.tablename = ANY(%s) AND NOT EXISTS (
                   SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [list(tables)],
        )
        indexes = cur.fetchall()
        cur.execute("SET session_replication_role = replica")
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = DEFAULT")
            cur.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cur.execute(definition)


def _series(n: int) -> tuple[str, str]:
    """(WITH-prefix, FROM-item) giving rows i = 1..n."""
    from django.db import connection

    n = int(n)
    if connection.vendor == "postgresql":
        return "", f"generate_series(1, {n}) AS g(i)"
    return (
        f"g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}),",
        "g",
    )


def _plus_minutes(instant_param: str, minutes_expr: str) -> str:
    """SQL for `instant + minutes` (instant a bound datetime parameter)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"({instant_param}::timestamptz + ({minutes_expr}) * interval '1 minute')"
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {instant_param}, ({minutes_expr}) || ' minutes')"


def _mapping(org: BenchOrg) -> tuple[str, int]:
    """A CTE `m(k, store_id, owner_id)`: k = 0..S*A-1 spreads rows over stores and agents."""
    rows = []
    per = min(len(v) for v in org.agents.values())
    n_stores = len(org.store_ids)
    for k in range(n_stores * per):
        store = org.store_ids[k % n_stores]
        rows.append(f"({k}, {store}, {org.agents[store][k // n_stores]})")
    return "m(k, store_id, owner_id) AS (VALUES " + ", ".join(rows) + ")", n_stores * per


def load_customers(org: BenchOrg, n: int) -> None:
    """`n` customers (a multiple of the number of stores), customer j in store j % S."""
    from django.db import connection
    from django.utils import timezone

    n_stores = len(org.store_ids)
    assert n % n_stores == 0
    series_cte, series_from = _series(n)
    mapping, size = _mapping(org)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = f"""
        WITH {"RECURSIVE" if series_cte else ""} {series_cte} {mapping}
        INSERT INTO customers_customer (
            organisation_id, store_id, name, phone, email, wechat_id, gender, id_number,
            address, source_channel, tier, language, tags, contact_consent, watch_list,
            watch_reason, notes, lost_reason, lost_note, version, created_at, updated_at)
        SELECT %s, m.store_id, '客户' || i, '13' || substr('000000000' || i, -9, 9), '', '',
               '', '', '', '', 'regular', 'zh-hans', '[]', %s, %s, '', '', '', '', 1, %s, %s
        FROM {series_from} JOIN m ON m.k = (i %% {size})
    """
    if connection.vendor == "postgresql":
        sql = sql.replace("substr('000000000' || i, -9, 9)", "lpad(i::text, 9, '0')")
    with connection.cursor() as cur:
        cur.execute(sql, [org.org_id, True, False, now, now])
        cur.execute(
            "SELECT min(id), max(id), count(*) FROM customers_customer WHERE organisation_id = %s",
            [org.org_id],
        )
        lo, hi, count = cur.fetchone()
    assert hi - lo + 1 == count == n, "customer ids are not contiguous"
    org.customer_ids = [lo, hi]


def load_cases(
    org: BenchOrg,
    *,
    cases: int,
    due: int,
    now: Any,
    warn_due: int = 0,
    start: int = 1,
) -> None:
    """`cases` open cases numbered from `start`, each with a first_response clock (fulfilled
    for even ids, running with a future due time for odd ones) and a resolution clock.

    The resolution clocks of `due` of the cases, spread evenly over the ids, fell due 1-120
    minutes before `now` (they breach at the next sweep); `warn_due` others passed their
    warning time but are not yet due; all the others are due 1-11 days after `now`.
    """
    from django.db import connection

    assert org.customer_ids, "load_customers first"
    lo, hi = org.customer_ids
    n_customers = hi - lo + 1
    assert n_customers % len(org.store_ids) == 0
    series_cte, series_from = _series(cases)
    mapping, size = _mapping(org)
    assert n_customers % size == 0 or size % len(org.store_ids) == 0
    p_now = connection.ops.adapt_datetimefield_value(now)
    received = _plus_minutes("%s", "-3000 - (i %% 997)")
    next_due = _plus_minutes("%s", "1440 + (i %% 14400)")
    offset = start - 1
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH {"RECURSIVE" if series_cte else ""} {series_cte} {mapping}
            INSERT INTO cases_case (
                organisation_id, number, customer_id, store_id, channel, category_id, severity,
                nature, complainer_type, threatens_media, threatens_regulator, threatens_lawyer,
                repeat_complaint, summary, description, received_at, owner_id, status,
                escalation_level, reopen_count, sla_policy_id, next_due_at, outcome,
                root_cause, root_cause_note, corrective_action, version, created_at, updated_at)
            SELECT %s, 'BM-' || (i + {offset}), %s + ((i + {offset}) %% %s), m.store_id, 'phone',
                   %s, 'normal', 'problem_solving', 'voicer', %s, %s, %s, %s,
                   '交车延误，客户要求说明原因', '', {received}, m.owner_id, 'in_progress',
                   0, 0, %s,
                   {next_due}, '', '', '', '', 1, %s, %s
            FROM {series_from} JOIN m ON m.k = ((i + {offset}) %% {size})
            """,
            [org.org_id, lo, n_customers, org.category_id]
            + [False] * 4
            + [p_now, org.policy_id, p_now, p_now, p_now],
        )
        cur.execute("SELECT max(id) FROM cases_case WHERE organisation_id = %s", [org.org_id])
        first_new = cur.fetchone()[0] - cases + 1
        cur.execute("SELECT count(*) FROM cases_case WHERE id >= %s", [first_new])
        assert cur.fetchone()[0] == cases, "case ids are not contiguous"
        # first_response: fulfilled on even case numbers, running (not yet due) on odd ones.
        started = _plus_minutes("%s", "-3000")
        fr_due = _plus_minutes("%s", "2880 + (c.id %% 1440)")
        fr_warn = _plus_minutes("%s", "2000 + (c.id %% 1440)")
        cur.execute(
            f"""
            INSERT INTO cases_casesla (
                case_id, metric, target_minutes, clock, state, started_at, running_since,
                due_at, warn_at, warned_at, breached_at, fulfilled_at,
                business_minutes_elapsed, calendar_minutes_elapsed, cycle)
            SELECT c.id, 'first_response', 480, 'business',
                   CASE WHEN c.id %% 2 = 0 THEN 'fulfilled' ELSE 'active' END,
                   {started},
                   CASE WHEN c.id %% 2 = 0 THEN NULL ELSE {started} END,
                   CASE WHEN c.id %% 2 = 0 THEN NULL ELSE {fr_due} END,
                   CASE WHEN c.id %% 2 = 0 THEN NULL ELSE {fr_warn} END,
                   NULL, NULL,
                   CASE WHEN c.id %% 2 = 0 THEN %s ELSE NULL END,
                   CASE WHEN c.id %% 2 = 0 THEN 45 ELSE 0 END,
                   CASE WHEN c.id %% 2 = 0 THEN 45 ELSE 0 END, 1
            FROM cases_case c WHERE c.id >= %s
            """,
            [p_now] * 5 + [first_new],
        )
        # resolution: every `step`-th new case is due 1-120 minutes before `now` (spread over
        # the id range, as real deadlines are); the case after each of the first `warn_due` of
        # them passed its warning time; the others are due days ahead.
        step = max(1, cases // max(due, 1)) if due else cases + 1
        first, n_due, n_warn = int(first_new), int(due), int(warn_due)
        grp = f"""CASE WHEN (c.id - {first}) %% {step} = 0 AND (c.id - {first}) / {step} < {n_due}
                      THEN 0
                      WHEN {step} > 1 AND (c.id - {first}) %% {step} = 1
                           AND (c.id - {first}) / {step} < {n_warn} THEN 1
                      ELSE 2 END"""
        res_due = f"""CASE x.grp WHEN 0 THEN {_plus_minutes("%s", "-1 - (x.id %% 120)")}
                                 WHEN 1 THEN {_plus_minutes("%s", "30 + (x.id %% 60)")}
                                 ELSE {_plus_minutes("%s", "1440 + (x.id %% 14400)")} END"""
        res_warn = f"""CASE x.grp WHEN 0 THEN NULL
                                  WHEN 1 THEN {_plus_minutes("%s", "-5 - (x.id %% 60)")}
                                  ELSE {_plus_minutes("%s", "1000 + (x.id %% 14400)")} END"""
        res_warned = f"CASE x.grp WHEN 0 THEN {_plus_minutes('%s', '-600')} ELSE NULL END"
        cur.execute(
            f"""
            INSERT INTO cases_casesla (
                case_id, metric, target_minutes, clock, state, started_at, running_since,
                due_at, warn_at, warned_at, breached_at, fulfilled_at,
                business_minutes_elapsed, calendar_minutes_elapsed, cycle)
            SELECT x.id, 'resolution', 4320, 'calendar', 'active', {started}, {started},
                   {res_due}, {res_warn}, {res_warned}, NULL, NULL, 0, 0, 1
            FROM (SELECT c.id, {grp} AS grp FROM cases_case c WHERE c.id >= {first}) x
            """,
            [p_now] * 8,
        )


# --------------------------------------------------------------------------------------
# A case history (bench_api.py): most cases closed, the recent ones open, with timelines
# --------------------------------------------------------------------------------------


@dataclass
class HistoryShape:
    """What `load_case_history` wrote (case ids lo..hi)."""

    lo: int
    hi: int
    open_cases: int
    breached: int
    due_soon: int


def load_case_history(
    org: BenchOrg, *, cases: int, now: Any, open_share: float = 0.05, years: float = 3.0
) -> HistoryShape:
    """`cases` cases of a `years`-long history up to `now`, each with a first_response and a
    resolution clock, as the services and the sweep leave them (PostgreSQL only; run it
    inside `fast_load` of cases_case and cases_casesla).

    Received times are spread evenly (ids in time order). The newest `open_share` of the
    cases, and every 997th older one, are open: i ≡ 0 (mod 10) new (first response running),
    1 acknowledged, 2 waiting for the customer, 3 for a third party (clocks paused), 4-9 in
    progress; of those in progress, i ≡ 5 or 15 (mod 20) breached their resolution clock
    1-600 minutes ago (still running, escalated once) and i ≡ 7 (mod 20) is due within the
    hour (warned). All other cases are resolved (1 in 5) or closed, every clock fulfilled.
    `next_due_at` is the earliest due time of the running clocks, as `refresh_next_due`
    keeps it."""
    from django.db import connection

    assert connection.vendor == "postgresql", "load_case_history needs PostgreSQL"
    assert org.customer_ids, "load_customers first"
    c_lo, c_hi = org.customer_ids
    n = int(cases)
    n_open = max(1, int(n * open_share))
    step = years * 365 * 1440 / n  # minutes between two cases
    mapping, size = _mapping(org)
    p_now = connection.ops.adapt_datetimefield_value(now)
    minutes = "* interval '1 minute'"
    is_open = f"(i > {n - n_open} OR i %% 997 = 0)"
    received = f"(%(now)s::timestamptz - (({n} - i) * {step} + 30) {minutes})"
    fr_due = f"(%(now)s::timestamptz + (60 + i %% 400) {minutes})"
    res_due = f"""(%(now)s::timestamptz + CASE WHEN i %% 20 IN (5, 15) THEN -(1 + i %% 600)
                                            WHEN i %% 20 = 7 THEN 5 + i %% 50
                                            ELSE 1440 + i %% 14400 END {minutes})"""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH {mapping}, s AS (
                SELECT i, m.store_id, m.owner_id, {received} AS received,
                       CASE WHEN NOT {is_open} THEN
                                CASE WHEN i %% 5 = 0 THEN 'resolved' ELSE 'closed' END
                            ELSE CASE i %% 10 WHEN 0 THEN 'new' WHEN 1 THEN 'acknowledged'
                                      WHEN 2 THEN 'waiting_customer'
                                      WHEN 3 THEN 'waiting_third_party'
                                      ELSE 'in_progress' END END AS status
                FROM generate_series(1, {n}) AS g(i) JOIN m ON m.k = i %% {size})
            INSERT INTO cases_case (
                organisation_id, number, customer_id, store_id, channel, category_id, severity,
                nature, complainer_type, threatens_media, threatens_regulator, threatens_lawyer,
                repeat_complaint, summary, description, received_at, owner_id, status,
                escalation_level, sla_policy_id, next_due_at, first_responded_at,
                last_responded_at, resolved_at, closed_at, created_by_id, outcome, root_cause,
                root_cause_note, corrective_action, version, created_at, updated_at)
            SELECT %(org)s, 'BM-' || i, %(c_lo)s + (i %% %(n_cust)s), store_id, 'phone',
                   %(category)s, 'normal', 'problem_solving', 'voicer', false, false, false,
                   false, '交车延误，客户要求说明原因', '', received, owner_id, status,
                   CASE WHEN status = 'in_progress' AND i %% 20 IN (5, 15) THEN 1 ELSE 0 END,
                   %(policy)s,
                   CASE WHEN status = 'new' THEN {fr_due}
                        WHEN status IN ('acknowledged', 'in_progress') THEN {res_due} END,
                   CASE WHEN status <> 'new' THEN received + interval '50 minutes' END,
                   CASE WHEN status <> 'new' THEN received + interval '26 hours' END,
                   CASE WHEN status IN ('resolved', 'closed')
                        THEN received + interval '2 days' END,
                   CASE WHEN status = 'closed' THEN received + interval '3 days' END,
                   owner_id,
                   CASE WHEN status IN ('resolved', 'closed') THEN 'in_favour' ELSE '' END,
                   CASE WHEN status = 'closed' THEN 'process' ELSE '' END,
                   CASE WHEN status = 'closed' THEN '预约排班未考虑工位' ELSE '' END,
                   CASE WHEN status = 'closed' THEN '按工位数限制预约' ELSE '' END,
                   1, received, received
            FROM s ORDER BY i
            """,
            {
                "now": p_now,
                "org": org.org_id,
                "c_lo": c_lo,
                "n_cust": c_hi - c_lo + 1,
                "category": org.category_id,
                "policy": org.policy_id,
            },
        )
        cur.execute(
            "SELECT min(id), max(id) FROM cases_case WHERE organisation_id = %s", [org.org_id]
        )
        lo, hi = cur.fetchone()
        assert hi - lo + 1 == n, "case ids are not contiguous"
        clock = f"""
            INSERT INTO cases_casesla (
                case_id, metric, target_minutes, clock, state, started_at, running_since,
                due_at, warn_at, warned_at, breached_at, fulfilled_at,
                business_minutes_elapsed, calendar_minutes_elapsed, cycle)
            SELECT c.id, %(metric)s, %(target)s, %(kind)s, x.state, c.received_at,
                   CASE WHEN x.state IN ('active', 'breached') THEN c.received_at END,
                   CASE WHEN x.state IN ('active', 'breached') THEN x.due END,
                   CASE WHEN x.state = 'active' AND NOT x.warned
                        THEN x.due - %(target)s * 0.25 {minutes} END,
                   CASE WHEN x.warned THEN x.due - %(target)s * 0.25 {minutes} END,
                   CASE WHEN x.state = 'breached' THEN x.due END,
                   CASE WHEN x.state = 'fulfilled' THEN c.received_at + %(done)s::interval END,
                   CASE WHEN x.state = 'fulfilled' THEN 50 + c.id %% 400 ELSE 0 END,
                   CASE WHEN x.state = 'fulfilled' THEN 50 + c.id %% 3000 ELSE 0 END, 1
            FROM cases_case c CROSS JOIN LATERAL (SELECT c.id - {lo} + 1 AS i) g
            CROSS JOIN LATERAL (SELECT %(state)s AS state, %(due)s AS due,
                                       %(warned)s AS warned) x
            WHERE c.organisation_id = %(org)s ORDER BY c.id
        """
        first_response = {
            "metric": "first_response",
            "target": 480,
            "kind": "business",
            "done": "50 minutes",
            "state": "CASE WHEN c.status = 'new' THEN 'active' ELSE 'fulfilled' END",
            "due": f"CASE WHEN c.status = 'new' THEN {fr_due} END",
            "warned": "false",
        }
        resolution = {
            "metric": "resolution",
            "target": 4320,
            "kind": "calendar",
            "done": "2 days",
            "state": """CASE WHEN c.status IN ('resolved', 'closed') THEN 'fulfilled'
                             WHEN c.status IN ('waiting_customer', 'waiting_third_party')
                                  THEN 'paused'
                             WHEN c.status = 'in_progress' AND i %% 20 IN (5, 15)
                                  THEN 'breached'
                             ELSE 'active' END""",
            "due": f"""CASE WHEN c.status IN ('new', 'acknowledged', 'in_progress')
                            THEN {res_due} END""",
            "warned": "(c.status = 'in_progress' AND i %% 20 IN (5, 7, 15))",
        }
        for spec in (first_response, resolution):
            sql = clock
            for key in ("state", "due", "warned"):
                sql = sql.replace(f"%({key})s", spec[key])
            cur.execute(
                sql,
                {
                    "now": p_now,
                    "org": org.org_id,
                    "metric": spec["metric"],
                    "target": spec["target"],
                    "kind": spec["kind"],
                    "done": spec["done"],
                },
            )
        cur.execute(
            """SELECT count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')),
                      count(*) FILTER (WHERE escalation_level = 1),
                      count(*) FILTER (WHERE status = 'in_progress' AND next_due_at > %s
                                       AND next_due_at <= %s::timestamptz + interval '1 hour')
               FROM cases_case WHERE organisation_id = %s""",
            [p_now, p_now, org.org_id],
        )
        open_cases, breached, due_soon = cur.fetchone()
    return HistoryShape(lo, hi, open_cases, breached, due_soon)


def load_timelines(org: BenchOrg, templates: list[tuple[str, str, str]], *, every: int = 10) -> int:
    """A timeline for every case (PostgreSQL only; inside `fast_load` of audit_auditevent):
    the first template (kind, message, changes as JSON text), normally `created`, on every case
    at its received time, and all the others an hour apart on every `every`-th case (ids
    ≡ 0 mod `every`), by the case's owner. Returns the number of events written."""
    from django.db import connection

    assert connection.vendor == "postgresql", "load_timelines needs PostgreSQL"
    written = 0
    with connection.cursor() as cur:
        for k, (kind, message, changes) in enumerate(templates):
            only = "" if k == 0 else f"AND c.id %% {int(every)} = 0"
            cur.execute(
                f"""
                INSERT INTO audit_auditevent (
                    organisation_id, case_id, customer_id, actor_id, kind, message, changes, at)
                SELECT c.organisation_id, c.id, c.customer_id, c.owner_id, %s, %s, %s::jsonb,
                       c.received_at + {k} * interval '1 hour'
                FROM cases_case c WHERE c.organisation_id = %s {only}
                """,
                [kind, message, changes, org.org_id],
            )
            written += cur.rowcount
    return written
