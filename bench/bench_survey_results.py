"""Survey results benchmark: the full results computation (manyi.surveys.results) and the
results page, on the real airline data and on synthetic responses.

Run from the repository root against a dedicated benchmark database (its name must contain
"bench"; every table in it is emptied unless --reuse is given):

    DATABASE_URL=sqlite:////tmp/manyi_bench_c.sqlite3 \\
        .venv/bin/python bench/bench_survey_results.py --only airline
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/manyi_bench_c \\
        .venv/bin/python bench/bench_survey_results.py --synthetic 100000,1000000

(a) Airline (../shared/data/airline_passenger_satisfaction, 25,976 answers): a survey from
    the "airline" template (14 service items with role driver, 0 = not applicable stored as
    "na", the overall satisfied / neutral-or-dissatisfied question with scores 1/0, three
    descriptive single choices), the answers written with bulk_create as imported responses,
    spread over 5 stores, 20 staff members and the 12 months before today. Timed: the
    selector `survey_results` (one query of the answers, the frame, every figure, the
    breakdowns) with 0 and with 200 bootstrap replicates, and the page (Django test client,
    GET /surveys/<pk>/results/, HTML rendered), median of --runs.
(b) Synthetic: N responses to an NPS + CSAT + CES + overall + 6 driver items survey (answers
    from a common factor, so the drivers correlate), written with one INSERT … SELECT on
    PostgreSQL (bulk_create on SQLite). Timed as (a). The metrics alone on 1,000,000 answers
    in memory are bench/bench_metrics.py's figures (not repeated here).

Options: --runs R (default 5), --only airline,synthetic, --synthetic N[,N…] (default
100000), --reuse (keep the loaded data), --page-runs R (default: --runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

setup_django()  # before any model is imported

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from common import machine, make_org, migrate, reset_database  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from manyi.accounts.models import Organisation, User  # noqa: E402
from manyi.surveys.definition import parse_definition  # noqa: E402
from manyi.surveys.models import Response, Survey, SurveyVersion  # noqa: E402
from manyi.surveys.results import ResultFilters, survey_results  # noqa: E402
from manyi.surveys.services import install_template  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AIRLINE = (
    ROOT.parent
    / "shared"
    / "data"
    / "airline_passenger_satisfaction"
    / "Airline_Passenger_Satisfaction.csv"
)
ORG_NAME = "问卷结果基准"
SEED = 20260401


def median_of(runs: int, fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """(median, min, max) seconds of `runs` calls, and the last result."""
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times), result


def show(label: str, n: int, timing: tuple[float, float, float, Any]) -> None:
    med, lo, hi, _r = timing
    print(f"  {label:<58} {n:>9,}  {med * 1000:9.0f} ms  ({lo * 1000:.0f}–{hi * 1000:.0f})")


def spread(count: int, org: Any) -> tuple[list[int], list[int], list[dt.datetime]]:
    """Store, staff and submission time of `count` responses: round-robin over the stores
    and their agents, evenly over the 365 days before now."""
    stores = org.store_ids
    staff = [a for s in stores for a in org.agents[s]]
    now = timezone.now()
    step = dt.timedelta(days=365) / max(count, 1)
    at = [now - step * (count - i) for i in range(count)]
    store_of = [stores[i % len(stores)] for i in range(count)]
    staff_of = [staff[(i // len(stores)) % len(staff)] for i in range(count)]
    return store_of, staff_of, at


# --------------------------------------------------------------------------------------
# (a) airline
# --------------------------------------------------------------------------------------


def airline_answers(survey: Survey) -> list[dict[str, Any]]:
    """The CSV as answers keyed by question: items 1–5 (0 → "na"), choices by value."""
    assert survey.current_version is not None
    definition = parse_definition(survey.current_version.definition)
    csv = pd.read_csv(AIRLINE)
    columns: dict[str, pd.Series] = {}
    for q in definition.questions:
        if not q.import_column:
            continue
        col = csv[q.import_column]
        if q.type == "scale":
            columns[q.key] = col.astype(object).where(col.astype(str) != q.na_code, "na")
        else:
            columns[q.key] = col.astype(object)
    frame = pd.DataFrame(columns)
    return [
        {k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def load_airline(org: Any, admin: User) -> Survey:
    survey = install_template(actor=admin, template_key="airline")
    answers = airline_answers(survey)
    store_of, staff_of, at = spread(len(answers), org)
    rows = [
        Response(
            organisation_id=org.org_id,
            survey=survey,
            survey_version_id=survey.current_version_id,
            store_id=store_of[i],
            staff_id=staff_of[i],
            mode="import",
            answers=a,
            dissatisfied=a.get("satisfaction") != "satisfied",
            started_at=at[i],
            updated_at=at[i],
            submitted_at=at[i],
        )
        for i, a in enumerate(answers)
    ]
    Response.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE surveys_response")
    return survey


# --------------------------------------------------------------------------------------
# (b) synthetic
# --------------------------------------------------------------------------------------

DRIVERS = ("friendly", "speed", "explain", "price", "clean", "pickup")


def synthetic_definition() -> dict[str, Any]:
    def scale(key: str, role: str, hi: int = 5) -> dict[str, Any]:
        return {
            "key": key,
            "type": "scale",
            "text_zh": key,
            "text_en": key,
            "scale_min": 1,
            "scale_max": hi,
            "role": role,
        }

    return {
        "questions": [
            {"key": "nps", "type": "nps", "text_zh": "推荐", "text_en": "Recommend", "role": "nps"},
            scale("csat", "csat"),
            scale("ces", "ces", 7),
            scale("overall", "overall"),
            *[scale(k, "driver") for k in DRIVERS],
        ]
    }


def load_synthetic(org: Any, admin: User, n: int) -> Survey:
    now = timezone.now()
    definition = parse_definition(synthetic_definition()).as_json()
    survey = Survey.objects.create(
        organisation_id=org.org_id,
        name_zh=f"合成问卷 {n:,}",
        name_en=f"Synthetic survey {n:,}",
        draft=definition,
        draft_changed=False,
        created_by=admin,
    )
    version = SurveyVersion.objects.create(
        survey=survey, number=1, definition=definition, published_at=now, published_by=admin
    )
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    if connection.vendor == "postgresql":
        _insert_synthetic_sql(org, survey, version, n, now)
    else:
        _insert_synthetic_orm(org, survey, version, n)
    return survey


def _insert_synthetic_sql(org: Any, survey: Survey, version: Any, n: int, now: Any) -> None:
    """One INSERT … SELECT: a latent satisfaction u ~ U(0,1) per response drives every
    answer (plus noise), so the items correlate with the outcome."""
    stores = org.store_ids
    staff = [a for s in stores for a in org.agents[s]]
    item = "least(5, greatest(1, round(1 + 4 * (0.6 * u + 0.4 * random()))))::int"
    drivers = ", ".join(
        f"'{k}', least(5, greatest(1, round(1 + 4 * ({w} * u + {1 - w} * random()))))::int"
        for k, w in zip(DRIVERS, (0.7, 0.6, 0.5, 0.4, 0.3, 0.2), strict=True)
    )
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            f"""
            INSERT INTO surveys_response (
                organisation_id, survey_id, survey_version_id, store_id, staff_id, mode,
                language, answers, nps, csat, dissatisfied, started_at, updated_at,
                submitted_at)
            SELECT %(org)s, %(survey)s, %(version)s,
                   (%(stores)s::bigint[])[1 + i %% %(n_stores)s],
                   (%(staff)s::bigint[])[1 + (i / %(n_stores)s) %% %(n_staff)s],
                   'import', 'zh-hans', a.answers, (a.answers->>'nps')::int,
                   (a.answers->>'csat')::int, (a.answers->>'nps')::int <= 6, at, at, at
            FROM generate_series(1, %(n)s) AS g(i)
            CROSS JOIN LATERAL (SELECT random() AS u, i AS j) r
            CROSS JOIN LATERAL (
                SELECT jsonb_build_object(
                    'nps', least(10, greatest(0, round(10 * (0.7 * u + 0.3 * random()))))::int,
                    'csat', {item},
                    'ces', least(7, greatest(1, round(1 + 6 * (0.5 * u + 0.5 * random()))))::int,
                    'overall', {item},
                    {drivers}) AS answers,
                    %(now)s::timestamptz - (%(n)s - r.j) * (interval '365 days' / %(n)s) AS at
            ) a
            """,
            {
                "org": org.org_id,
                "survey": survey.pk,
                "version": version.pk,
                "stores": stores,
                "n_stores": len(stores),
                "staff": staff,
                "n_staff": len(staff),
                "n": n,
                "now": now,
            },
        )
        cur.execute("ANALYZE surveys_response")


def _insert_synthetic_orm(org: Any, survey: Survey, version: Any, n: int) -> None:
    rng = np.random.default_rng(SEED)
    u = rng.random(n)

    def item(weight: float, lo: int, hi: int) -> Any:
        x = lo + (hi - lo) * (weight * u + (1 - weight) * rng.random(n))
        return np.clip(np.round(x), lo, hi).astype(int)

    columns = {
        "nps": item(0.7, 0, 10),
        "csat": item(0.6, 1, 5),
        "ces": item(0.5, 1, 7),
        "overall": item(0.6, 1, 5),
    }
    for k, w in zip(DRIVERS, (0.7, 0.6, 0.5, 0.4, 0.3, 0.2), strict=True):
        columns[k] = item(w, 1, 5)
    answers = pd.DataFrame(columns).to_dict("records")
    store_of, staff_of, at = spread(n, org)
    for start in range(0, n, 5000):
        Response.objects.bulk_create(
            Response(
                organisation_id=org.org_id,
                survey=survey,
                survey_version=version,
                store_id=store_of[i],
                staff_id=staff_of[i],
                mode="import",
                answers={k: int(v) for k, v in answers[i].items()},
                nps=int(answers[i]["nps"]),
                csat=int(answers[i]["csat"]),
                dissatisfied=int(answers[i]["nps"]) <= 6,
                started_at=at[i],
                updated_at=at[i],
                submitted_at=at[i],
            )
            for i in range(start, min(n, start + 5000))
        )


# --------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------


def time_survey(survey: Survey, admin: User, runs: int, page_runs: int, label: str) -> None:
    n = Response.objects.filter(survey=survey, submitted_at__isnull=False).count()
    print(f"\n{label}: survey {survey.pk}, {n:,} submitted responses")
    filters = ResultFilters()
    survey_results(survey, admin, filters, bootstrap=0)  # warm caches (imports, plans)
    for bootstrap in (0, 200):
        timing = median_of(
            runs, lambda b=bootstrap: survey_results(survey, admin, filters, bootstrap=b)
        )
        show(f"survey_results, bootstrap {bootstrap}", n, timing)
        parts = timing[3].timings
        print("      last run: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in parts.items()))
    client = Client()
    client.force_login(admin)
    url = f"/surveys/{survey.pk}/results/"
    client.get(url)
    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        first = client.get(url)
    assert first.status_code == 200, first.status_code
    timing = median_of(page_runs, lambda: client.get(url))
    show(f"page GET {url} (bootstrap 200, HTML)", n, timing)
    print(
        f"      SQL statements per page: {len(statements)}; "
        f"HTML {len(first.content) / 1024:.0f} KiB"
    )
    res = survey_results(survey, admin, filters, bootstrap=200)
    if res.drivers is not None:
        d = res.drivers

        def ci(low: float | None, high: float | None, digits: int) -> str:
            return "" if low is None or high is None else f" [{low:.{digits}f}, {high:.{digits}f}]"

        r2 = "—" if d.r2 is None else f"{d.r2:.3f}"
        print(
            f"      key drivers: n {d.n:,} (dropped {d.n_dropped:,}), R² {r2}"
            f"{ci(d.r2_low, d.r2_high, 3)}, {d.bootstrap} bootstrap replicates {d.note}"
            f"{d.message}"
        )
        for row in sorted(d.rows, key=lambda r: -(r.percent or 0))[:5]:
            print(
                f"        {row.key:<22} {row.percent or 0:5.1f} %"
                f"{ci(row.percent_low, row.percent_high, 1)}  "
                f"mean {row.performance or 0:.2f}  {row.quadrant}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page-runs", type=int, default=None)
    parser.add_argument("--only", default="airline,synthetic")
    parser.add_argument("--synthetic", default="100000")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    only = set(args.only.split(","))
    page_runs = args.page_runs or args.runs
    sizes = [int(s) for s in args.synthetic.split(",") if s]

    migrate()
    print(machine())
    print(f"load average {os.getloadavg()[0]:.1f}")
    if not args.reuse:
        reset_database()
    org_row = Organisation.objects.filter(name=ORG_NAME).first()
    if org_row is None:
        t0 = time.perf_counter()
        bench_org = make_org(stores=5, agents_per_store=4, name=ORG_NAME)
        print(f"organisation made in {time.perf_counter() - t0:.1f} s")
    else:
        bench_org = None
    admin = User.objects.get(username="bench_admin")
    org_id = admin.organisation_id

    def org_shape() -> Any:
        if bench_org is not None:
            return bench_org
        from common import BenchOrg

        stores = list(
            admin.organisation.stores.order_by("id").values_list("id", flat=True)  # type: ignore[union-attr]
        )
        agents = {
            s: list(
                User.objects.filter(store_id=s, role="agent")
                .order_by("id")
                .values_list("id", flat=True)
            )
            for s in stores
        }
        return BenchOrg(org_id, stores, agents, {}, {}, admin.pk, 0, 0)

    if "airline" in only:
        survey = Survey.objects.filter(organisation_id=org_id, template_key="airline").first()
        if survey is None:
            t0 = time.perf_counter()
            survey = load_airline(org_shape(), admin)
            print(f"airline responses loaded in {time.perf_counter() - t0:.1f} s")
        time_survey(survey, admin, args.runs, page_runs, "Airline")
    if "synthetic" in only:
        for n in sizes:
            survey = Survey.objects.filter(
                organisation_id=org_id, name_en=f"Synthetic survey {n:,}"
            ).first()
            if survey is None:
                t0 = time.perf_counter()
                survey = load_synthetic(org_shape(), admin, n)
                print(f"\n{n:,} synthetic responses loaded in {time.perf_counter() - t0:.1f} s")
            time_survey(survey, admin, args.runs, page_runs, f"Synthetic {n:,}")
    print(f"\nload average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
