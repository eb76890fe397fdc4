"""The data set of the analytics benchmark (bench/bench_analytics.py): one organisation with
two years of history at the size of the issue's speed target, generated with numpy and
written with PostgreSQL COPY.

Sizes (defaults; `scale` multiplies the big tables): 20 stores with two teams each, ~220
staff, the default category taxonomy (top-level categories with children), 300,000
customers, 1,000,000 cases over the last 730 days, their first-response and resolution
clocks (CaseSla), ~3.3 status changes per case in the timeline (AuditEvent: status changes,
waiting pauses and their resumption, reopenings), inbound customer messages (some of them
minutes before a pause: the "gaming the clock" pattern), 3,000,000 transactions, one
StoreVolume per store and month, 1,000,000 survey responses to one published survey (the
dissatisfied ones behind the "survey" channel's cases are their `loop_case`), ~100,000
recovery actions and ~300,000 follow-ups.

Distributions (fixed seed, see `generate`):

- customers: home store weighted (0.5–1.5), 10 % VIP, 6 % lost in the two years with a
  switching reason (15 % without one); a customer's activity weight ~ Gamma(0.8), which drives
  both their transactions and their complaints (frequent customers complain more);
- transactions: a customer buys uniformly in their own active window (first seen anywhere in
  the period, active for Exp(900 days)); 85 % at the home store; 70 % service orders, 20 %
  purchases, 10 % visits (no spending); amount Gamma(2, 400) yuan;
- cases: received uniformly over the 730 days (ids in time order), 90 % at the customer's
  home store, owner an agent of the store; channels phone 33 %, WeChat 20 %, walk-in 15 %,
  survey 8 %, web 8 %, email 6 %, social media 4 %, regulator 3 %, letter 2 %, manufacturer
  1 %; severity low 15 / normal 70 / high 12 / critical 3 %; older than 45 days: 85 % closed,
  14.7 % resolved, 0.3 % still open; newer: open with probability 0.03 + 0.9·exp(−age/5 days)
  (new 15 %, acknowledged 15 %, in progress 45 %, waiting for the customer 15 %, for a third
  party 10 %); first response after LogNormal(median 45 min, σ 1.2), resolution after
  LogNormal(median 1.5 days, σ 1), closing LogNormal(median 2 days) later; 5 % reopened (a
  fifth of them twice), 3 % escalated (level 1, a third level 2);
- clocks: the default policy's targets; business minutes ≈ 35 % of the wall-clock minutes (a
  working week of 40 of 168 hours, rounded up), breached when over the target (a breached
  clock keeps `breached_at` and is fulfilled late, as `SlaEngine.fulfil` leaves it); waiting
  cases' resolution clocks paused;
- timeline: a status change at the first response, at resolution and at closing; 20 % of the
  answered cases paused once (to waiting for the customer, back to in progress hours later);
  a reopening (resolved → in progress) half-way for reopened cases;
- inbound messages: 40 % of the pauses have one 1–15 minutes before them; 15 % of cases one at
  a random time in their life;
- survey responses: submitted uniformly over the two years, 30 % about a closed case (a day
  after closing); answers from one latent satisfaction, dissatisfied when CSAT ≤ 2 (~12 %);
- recovery actions on random answered cases (apology and explanation cost nothing; given
  60 %, approved 20 %, rejected 10 %, pending 5 %, cancelled 5 %);
- follow-ups: 60 % after a resolved complaint (a week after resolution), 40 % after a service
  visit; past ones done 85 % (8 % of those late), expired 6 %, cancelled 4 %, still open 5 %.

Guarantee payouts (RecoveryAction.guarantee_breach) and phone messages are not generated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from common import fast_load, make_org

SEED = 20261122
DAY = 86400
ORG_NAME = "分析基准集团"
BIG_TABLES = (
    "customers_customer",
    "cases_case",
    "cases_casesla",
    "audit_auditevent",
    "cases_communication",
    "analytics_transaction",
    "surveys_response",
    "recovery_recoveryaction",
    "followups_followup",
)


@dataclass
class Sizes:
    customers: int = 300_000
    cases: int = 1_000_000
    transactions: int = 3_000_000
    responses: int = 1_000_000
    recovery: int = 100_000
    followups: int = 300_000

    @classmethod
    def scaled(cls, scale: float) -> Sizes:
        base = cls()
        return cls(*(max(1000, int(getattr(base, f) * scale)) for f in base.__dataclass_fields__))


# --------------------------------------------------------------------------------------
# COPY helpers
# --------------------------------------------------------------------------------------


def ts(seconds: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Epoch seconds as timestamptz text (UTC); None where `mask` is False."""
    text = np.char.add(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"), "+00")
    out = text.astype(object)
    if mask is not None:
        out[~mask] = None
    return out


def day(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as a date in Shanghai (UTC+8), as text."""
    return np.datetime_as_string((seconds + 8 * 3600).astype("datetime64[s]"), unit="D")


def copy_frame(table: str, frame: pd.DataFrame, chunk: int = 250_000) -> int:
    """COPY `frame` (columns named as the table's) into `table`, `chunk` rows at a time."""
    from django.db import connection

    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in frame.columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for start in range(0, len(frame), chunk):
            buf = io.StringIO()
            frame.iloc[start : start + chunk].to_csv(
                buf,
                sep="\t",
                header=False,
                index=False,
                na_rep="\\N",
                float_format="%.2f",
                quoting=csv.QUOTE_NONE,
                quotechar="\x07",  # never in the data: text goes as it is (no tab, no backslash)
            )
            copy.write(buf.getvalue())
    return len(frame)


def ids_after(table: str, before: int, n: int) -> np.ndarray:
    """The ids COPY gave the `n` rows written after `before` (checked contiguous)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT min(id), max(id), count(*) FROM {table} WHERE id > %s", [before])
        lo, hi, count = cur.fetchone()
    assert count == n and hi - lo + 1 == n, f"{table}: ids not contiguous"
    return np.arange(lo, hi + 1, dtype=np.int64)


def max_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        return int(cur.fetchone()[0])


def pick(rng: np.random.Generator, values: list[Any], weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p / p.sum())]


# --------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------


@dataclass
class Generated:
    org_id: int
    admin_id: int
    store_ids: list[int]
    counts: dict[str, int]
    seconds: float


def generate(sizes: Sizes, *, now: dt.datetime, log: Any = print) -> Generated:
    """Write the whole data set (the database must be empty) and VACUUM ANALYZE it."""
    from django.db import connection

    from manyi.accounts.models import Team, User
    from manyi.analytics.models import StoreVolume
    from manyi.cases.models import Category, SlaTarget
    from manyi.surveys.models import Survey, SurveyVersion

    t_start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    now_s = int(now.timestamp()) // 60 * 60
    t0 = now_s - 730 * DAY
    created = ts(np.array([now_s]))[0]

    # ---- organisation, stores, teams, staff (ORM: a few hundred rows)
    org = make_org(stores=20, agents_per_store=9, name=ORG_NAME)
    stores = np.array(org.store_ids, dtype=np.int64)
    n_stores = len(stores)
    for s in org.store_ids:
        a, b = Team.objects.bulk_create(
            [Team(store_id=s, name="A班"), Team(store_id=s, name="B班")]
        )
        agents = org.agents[s]
        User.objects.filter(pk__in=agents[0::2]).update(team=a)
        User.objects.filter(pk__in=agents[1::2]).update(team=b)
        User.objects.filter(pk=org.supervisors[s]).update(team=a)
    agent_mat = np.array([org.agents[s] for s in org.store_ids], dtype=np.int64)  # stores × 9
    sup_of = np.array([org.supervisors[s] for s in org.store_ids], dtype=np.int64)
    children = list(
        Category.objects.filter(organisation_id=org.org_id, parent__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cat_ids = np.array(children, dtype=np.int64)
    cat_w = 1.0 / np.arange(1, len(cat_ids) + 1) ** 0.8
    targets = {
        t.metric: t
        for t in SlaTarget.objects.filter(policy_id=org.policy_id).exclude(metric="next_update")
    }
    fr_target = targets["first_response"]
    res_target = targets["resolution"]
    log(
        f"  org {org.org_id}: {n_stores} stores, {agent_mat.size} agents, {len(cat_ids)} "
        f"sub-categories; targets first response {fr_target.minutes} {fr_target.clock}, "
        f"resolution {res_target.minutes} {res_target.clock}"
    )
    counts: dict[str, int] = {}

    with fast_load(BIG_TABLES):
        # ---- customers
        t = time.perf_counter()
        nc = sizes.customers
        store_w = rng.uniform(0.5, 1.5, n_stores)
        c_store_idx = rng.choice(n_stores, size=nc, p=store_w / store_w.sum())
        activity = rng.gamma(0.8, 1.0, nc)
        lost = rng.random(nc) < 0.06
        lost_at = t0 + rng.integers(0, 730 * DAY, nc)
        reasons = pick(
            rng,
            [
                "",
                "pricing",
                "inconvenience",
                "core_service_failure",
                "service_encounter_failure",
                "response_to_failure",
                "competition",
                "ethical_problems",
                "involuntary",
            ],
            [15, 18, 10, 22, 17, 9, 6, 1, 2],
            nc,
        )
        idx = np.arange(nc)
        customers = pd.DataFrame(
            {
                "organisation_id": org.org_id,
                "store_id": stores[c_store_idx],
                "name": np.char.add("客户", idx.astype(str)),
                "phone": np.char.add("139", np.char.zfill(idx.astype(str), 8)),
                "email": "",
                "wechat_id": "",
                "gender": "",
                "id_number": "",
                "address": "",
                "source_channel": pick(
                    rng, ["walk_in", "phone", "referral", "wechat"], [5, 2, 1, 2], nc
                ),
                "tier": np.where(rng.random(nc) < 0.1, "vip", "regular"),
                "tags": "[]",
                "language": "zh-hans",
                "contact_consent": True,
                "watch_list": False,
                "watch_reason": "",
                "lost_at": ts(lost_at, lost),
                "lost_reason": np.where(lost, reasons, ""),
                "lost_note": "",
                "notes": "",
                "version": 1,
                "created_at": ts(t0 - rng.integers(0, 365 * DAY, nc)),
                "updated_at": created,
            }
        )
        before = max_id("customers_customer")
        counts["customers"] = copy_frame("customers_customer", customers)
        cust_ids = ids_after("customers_customer", before, nc)
        del customers
        log(f"  customers            {nc:>10,}  {time.perf_counter() - t:6.1f} s")

        # ---- transactions
        t = time.perf_counter()
        nt = sizes.transactions
        p_act = activity / activity.sum()
        tc = rng.choice(nc, size=nt, p=p_act)
        first_seen = t0 + rng.integers(0, 700 * DAY, nc)
        last_seen = np.minimum(now_s, first_seen + rng.exponential(900 * DAY, nc).astype(np.int64))
        when = first_seen[tc] + (rng.random(nt) * (last_seen[tc] - first_seen[tc])).astype(np.int64)
        t_store = np.where(rng.random(nt) < 0.85, c_store_idx[tc], rng.integers(0, n_stores, nt))
        kind = pick(rng, ["service_order", "purchase", "visit"], [70, 20, 10], nt)
        amount = np.where(kind == "visit", 0.0, np.round(rng.gamma(2.0, 400.0, nt), 2))
        transactions = pd.DataFrame(
            {
                "organisation_id": org.org_id,
                "store_id": stores[t_store],
                "customer_id": cust_ids[tc],
                "occurred_on": day(when),
                "amount": amount,
                "kind": kind,
                "reference": "",
                "created_at": created,
            }
        )
        counts["transactions"] = copy_frame("analytics_transaction", transactions)
        del transactions, tc, when, t_store, kind, amount
        log(f"  transactions         {nt:>10,}  {time.perf_counter() - t:6.1f} s")

        # ---- cases
        t = time.perf_counter()
        n = sizes.cases
        received = np.sort(t0 + rng.integers(0, 730 * DAY, n))
        cc = rng.choice(nc, size=n, p=p_act)
        k_store = np.where(rng.random(n) < 0.9, c_store_idx[cc], rng.integers(0, n_stores, n))
        owner = agent_mat[k_store, rng.integers(0, agent_mat.shape[1], n)]
        channel = pick(
            rng,
            [
                "phone",
                "wechat",
                "walk_in",
                "survey",
                "web",
                "email",
                "social_media",
                "regulator",
                "letter",
                "manufacturer",
            ],
            [33, 20, 15, 8, 8, 6, 4, 3, 2, 1],
            n,
        )
        age = (now_s - received) / DAY
        p_open = np.where(age > 45, 0.003, 0.03 + 0.9 * np.exp(-age / 5))
        is_open = rng.random(n) < p_open
        open_status = pick(
            rng,
            ["new", "acknowledged", "in_progress", "waiting_customer", "waiting_third_party"],
            [15, 15, 45, 15, 10],
            n,
        )
        status = np.where(
            is_open, open_status, np.where(rng.random(n) < 0.85, "closed", "resolved")
        )
        answered = status != "new"
        first_resp = received + np.minimum(
            (rng.lognormal(np.log(45), 1.2, n) * 60).astype(np.int64), 20 * DAY
        )
        first_resp = np.minimum(first_resp, now_s)
        done = (status == "resolved") | (status == "closed")
        resolved = first_resp + (rng.lognormal(np.log(1.5 * DAY), 1.0, n)).astype(np.int64)
        too_late = done & (resolved > now_s)
        resolved = np.where(too_late, first_resp + (now_s - first_resp) // 2, resolved)
        closed_at = resolved + rng.lognormal(np.log(2 * DAY), 0.7, n).astype(np.int64)
        status = np.where((status == "closed") & (closed_at > now_s), "resolved", status)
        closed = status == "closed"
        reopen = np.where(answered & (rng.random(n) < 0.05), np.where(rng.random(n) < 0.2, 2, 1), 0)
        escalation = np.where(rng.random(n) < 0.03, np.where(rng.random(n) < 1 / 3, 2, 1), 0)
        waiting = (status == "waiting_customer") | (status == "waiting_third_party")
        res_due = received + res_target.minutes * 60 * 3  # business → wall clock, roughly
        next_due = np.where(
            status == "new",
            received + fr_target.minutes * 60 * 3,
            np.where(is_open & ~waiting, res_due, 0),
        )
        outcome = pick(
            rng, ["in_favour", "partly", "not_resolved", "withdrawn"], [60, 25, 10, 5], n
        )
        root = pick(
            rng,
            ["people", "process", "product", "policy", "third_party", "customer", "unknown"],
            [30, 30, 15, 5, 8, 5, 7],
            n,
        )
        number = np.char.add("BA-", np.arange(1, n + 1).astype(str))
        cases = pd.DataFrame(
            {
                "organisation_id": org.org_id,
                "number": number,
                "customer_id": cust_ids[cc],
                "store_id": stores[k_store],
                "channel": channel,
                "category_id": cat_ids[rng.choice(len(cat_ids), size=n, p=cat_w / cat_w.sum())],
                "severity": pick(rng, ["low", "normal", "high", "critical"], [15, 70, 12, 3], n),
                "nature": pick(rng, ["problem_solving", "venting", "expectation"], [70, 20, 10], n),
                "complainer_type": pick(
                    rng,
                    ["passive", "voicer", "irate", "activist", "terrorist"],
                    [10, 65, 18, 6, 1],
                    n,
                ),
                "threatens_media": rng.random(n) < 0.01,
                "threatens_regulator": rng.random(n) < 0.01,
                "threatens_lawyer": rng.random(n) < 0.005,
                "repeat_complaint": rng.random(n) < 0.08,
                "summary": "交车延误，客户要求说明原因",
                "description": "",
                "received_at": ts(received),
                "owner_id": owner,
                "status": status,
                "escalation_level": escalation,
                "reopen_count": reopen,
                "sla_policy_id": org.policy_id,
                "next_due_at": ts(next_due, next_due > 0),
                "first_responded_at": ts(first_resp, answered),
                "last_responded_at": ts(np.where(done, resolved, first_resp), answered),
                "resolved_at": ts(resolved, done),
                "closed_at": ts(closed_at, closed),
                "created_by_id": owner,
                "outcome": np.where(done, outcome, ""),
                "root_cause": np.where(closed, root, ""),
                "root_cause_note": "",
                "corrective_action": "",
                "version": 1,
                "created_at": ts(received),
                "updated_at": ts(np.where(closed, closed_at, np.where(done, resolved, received))),
            }
        )
        before = max_id("cases_case")
        counts["cases"] = copy_frame("cases_case", cases)
        case_ids = ids_after("cases_case", before, n)
        del cases, number, outcome, root
        log(f"  cases                {n:>10,}  {time.perf_counter() - t:6.1f} s")

        # ---- SLA clocks: first response and resolution per case
        t = time.perf_counter()
        biz = 0.35

        def clock_frame(
            metric: str,
            target: Any,
            end: np.ndarray,
            ended: np.ndarray,
            paused: np.ndarray,
        ) -> pd.DataFrame:
            wall_min = np.maximum(0, (np.where(ended, end, now_s) - received) // 60)
            business = np.ceil(wall_min * biz).astype(np.int64)
            elapsed = business if target.clock == "business" else wall_min
            over = elapsed > target.minutes
            due = received + target.minutes * 60 * (3 if target.clock == "business" else 1)
            running = ~ended & ~paused
            breached_at = received + np.ceil(target.minutes / biz).astype(np.int64) * 60
            state = np.where(
                over, "breached", np.where(ended, "fulfilled", np.where(paused, "paused", "active"))
            )
            return pd.DataFrame(
                {
                    "case_id": case_ids,
                    "metric": metric,
                    "target_minutes": target.minutes,
                    "clock": target.clock,
                    "state": state,
                    "started_at": ts(received),
                    "running_since": ts(received, running),
                    "due_at": ts(due, running | over),
                    "warn_at": ts(due - target.minutes * 15, running & ~over),
                    "warned_at": None,
                    "breached_at": ts(np.minimum(breached_at, now_s), over),
                    "fulfilled_at": ts(end, ended),
                    "business_minutes_elapsed": np.where(ended | paused, business, 0),
                    "calendar_minutes_elapsed": np.where(ended | paused, wall_min, 0),
                    "cycle": 1,
                }
            )

        fr = clock_frame("first_response", fr_target, first_resp, answered, np.zeros(n, bool))
        counts["clocks"] = copy_frame("cases_casesla", fr)
        del fr
        res = clock_frame("resolution", res_target, resolved, done, waiting)
        counts["clocks"] += copy_frame("cases_casesla", res)
        del res
        log(f"  SLA clocks           {counts['clocks']:>10,}  {time.perf_counter() - t:6.1f} s")

        # ---- timeline (status changes, pauses, reopenings) and inbound messages
        t = time.perf_counter()
        end_of = np.where(done, resolved, now_s)
        paused_once = answered & ~waiting & (rng.random(n) < 0.2) & (end_of - first_resp > 7200)
        pause_at = first_resp + (rng.random(n) * 0.5 * (end_of - first_resp)).astype(np.int64)
        resume_at = np.minimum(
            pause_at + rng.lognormal(np.log(6 * 3600), 1.0, n).astype(np.int64), end_of - 60
        )
        pause_at = np.where(waiting, np.minimum(first_resp + 600, now_s), pause_at)
        reopen_at = first_resp + (end_of - first_resp) // 2
        pieces: list[tuple[np.ndarray, str, str, np.ndarray]] = [
            (answered, "status", '{"status": ["new", "in_progress"]}', first_resp),
            (done, "status", '{"status": ["in_progress", "resolved"]}', resolved),
            (closed, "status", '{"status": ["resolved", "closed"]}', closed_at),
            (paused_once, "status", '{"status": ["in_progress", "waiting_customer"]}', pause_at),
            (paused_once, "status", '{"status": ["waiting_customer", "in_progress"]}', resume_at),
            (
                waiting,
                "status",
                '{"status": ["in_progress", "waiting_customer"]}',
                pause_at,
            ),
            (reopen > 0, "status", '{"status": ["in_progress", "resolved"]}', reopen_at - 3600),
            (reopen > 0, "reopened", '{"status": ["resolved", "in_progress"]}', reopen_at),
        ]
        audit = 0
        for mask, kind_, changes, at in pieces:
            sel = np.flatnonzero(mask)
            frame = pd.DataFrame(
                {
                    "organisation_id": org.org_id,
                    "case_id": case_ids[sel],
                    "customer_id": cust_ids[cc[sel]],
                    "actor_id": owner[sel],
                    "kind": kind_,
                    "message": "",
                    "changes": changes,
                    "at": ts(at[sel]),
                }
            )
            audit += copy_frame("audit_auditevent", frame)
        counts["audit events"] = audit
        # inbound messages: 40 % of the pauses 1-15 minutes after one, 15 % of cases at random
        gaming = np.flatnonzero((paused_once | waiting) & (rng.random(n) < 0.4))
        random_msg = np.flatnonzero(answered & (rng.random(n) < 0.15))
        msg_case = np.concatenate([gaming, random_msg])
        msg_at = np.concatenate(
            [
                pause_at[gaming] - rng.integers(60, 900, len(gaming)),
                received[random_msg]
                + (rng.random(len(random_msg)) * (end_of - received)[random_msg]).astype(np.int64),
            ]
        )
        comms = pd.DataFrame(
            {
                "organisation_id": org.org_id,
                "case_id": case_ids[msg_case],
                "direction": "inbound",
                "medium": pick(rng, ["call", "wechat", "sms"], [5, 4, 1], len(msg_case)),
                "content": "客户来电询问进度",
                "at": ts(msg_at),
                "automatic": False,
            }
        )
        counts["communications"] = copy_frame("cases_communication", comms)
        del comms
        log(
            f"  timeline + messages  {audit + counts['communications']:>10,}  "
            f"{time.perf_counter() - t:6.1f} s"
        )

        # ---- survey responses
        t = time.perf_counter()
        from bench_survey_results import synthetic_definition

        from manyi.surveys.definition import parse_definition

        definition = parse_definition(synthetic_definition()).as_json()
        admin = User.objects.get(pk=org.admin_id)
        survey = Survey.objects.create(
            organisation_id=org.org_id,
            name_zh="服务满意度回访",
            name_en="Service satisfaction",
            draft=definition,
            draft_changed=False,
            created_by=admin,
        )
        version = SurveyVersion.objects.create(
            survey=survey, number=1, definition=definition, published_at=now, published_by=admin
        )
        survey.current_version = version
        survey.save(update_fields=["current_version"])
        nr = sizes.responses
        loop = np.flatnonzero(channel == "survey")[:nr]
        n_loop = len(loop)
        n_rest = nr - n_loop
        closed_idx = np.flatnonzero(closed)
        about = rng.random(n_rest) < 0.3
        about_case = closed_idx[rng.integers(0, len(closed_idx), n_rest)]
        r_store_idx = np.where(about, k_store[about_case], rng.integers(0, n_stores, n_rest))
        r_customer = np.where(
            about, cust_ids[cc[about_case]], cust_ids[rng.integers(0, nc, n_rest)]
        )
        r_staff = np.where(
            about,
            owner[about_case],
            agent_mat[r_store_idx, rng.integers(0, agent_mat.shape[1], n_rest)],
        )
        r_at = np.where(
            about,
            np.minimum(closed_at[about_case] + DAY, now_s - 60),
            t0 + rng.integers(0, 730 * DAY, n_rest),
        )
        u = np.concatenate([rng.random(n_loop) * 0.2, rng.beta(4, 1.6, n_rest)])

        def item(weight: float, lo: int, hi: int) -> np.ndarray:
            x = lo + (hi - lo) * (weight * u + (1 - weight) * rng.random(nr))
            return np.clip(np.round(x), lo, hi).astype(np.int64)

        nps, csat = item(0.8, 0, 10), item(0.85, 1, 5)
        answers = pd.Series(np.char.add('{"nps": ', nps.astype(str)), dtype=object)
        answers += ', "csat": ' + pd.Series(csat.astype(str))
        answers += ', "ces": ' + pd.Series(item(0.5, 1, 7).astype(str))
        answers += ', "overall": ' + pd.Series(item(0.7, 1, 5).astype(str))
        for key, w in zip(
            ("friendly", "speed", "explain", "price", "clean", "pickup"),
            (0.7, 0.6, 0.5, 0.4, 0.3, 0.2),
            strict=True,
        ):
            answers += f', "{key}": ' + pd.Series(item(w, 1, 5).astype(str))
        answers += "}"
        submitted = np.concatenate([received[loop] - 600, r_at])
        responses = pd.DataFrame(
            {
                "organisation_id": org.org_id,
                "survey_id": survey.pk,
                "survey_version_id": version.pk,
                "store_id": np.concatenate([stores[k_store[loop]], stores[r_store_idx]]),
                "customer_id": np.concatenate([cust_ids[cc[loop]], r_customer]),
                "staff_id": np.concatenate([owner[loop], r_staff]),
                "case_id": np.concatenate(
                    [np.full(n_loop, -1), np.where(about, case_ids[about_case], -1)]
                ),
                "loop_case_id": np.concatenate([case_ids[loop], np.full(n_rest, -1)]),
                "mode": "import",
                "language": "zh-hans",
                "answers": answers.to_numpy(),
                "nps": nps,
                "csat": csat,
                "dissatisfied": csat <= 2,
                "started_at": ts(submitted - 120),
                "updated_at": ts(submitted),
                "submitted_at": ts(submitted),
                "entry_key": "",
            }
        )
        for col in ("case_id", "loop_case_id"):
            responses[col] = responses[col].astype(object).where(responses[col] > 0, None)
        counts["survey responses"] = copy_frame("surveys_response", responses)
        del responses, answers
        log(f"  survey responses     {nr:>10,}  {time.perf_counter() - t:6.1f} s")

        # ---- recovery actions
        t = time.perf_counter()
        na = sizes.recovery
        answered_idx = np.flatnonzero(answered)
        ac = answered_idx[rng.choice(len(answered_idx), size=na, replace=False)]
        a_kind = pick(
            rng,
            [
                "apology",
                "explanation",
                "refund",
                "partial_refund",
                "discount",
                "free_service",
                "repair",
                "gift",
                "goodwill_points",
            ],
            [25, 10, 5, 10, 20, 12, 8, 6, 4],
            na,
        )
        value = np.where(
            np.isin(a_kind, ["apology", "explanation"]), 0.0, np.round(rng.gamma(1.5, 300, na), 2)
        )
        a_state = pick(
            rng, ["given", "approved", "rejected", "pending", "cancelled"], [60, 20, 10, 5, 5], na
        )
        requested = np.minimum(first_resp[ac] + rng.integers(600, 2 * DAY, na), now_s - 60)
        decided = np.minimum(requested + rng.integers(600, DAY, na), now_s)
        given = np.minimum(decided + rng.integers(600, DAY, na), now_s)
        actions = pd.DataFrame(
            {
                "organisation_id": org.org_id,
                "store_id": stores[k_store[ac]],
                "case_id": case_ids[ac],
                "kind": a_kind,
                "value": value,
                "note": "",
                "state": a_state,
                "requested_by_id": owner[ac],
                "requested_at": ts(requested),
                "decided_by_id": np.where(a_state == "pending", -1, sup_of[k_store[ac]]),
                "decided_at": ts(decided, a_state != "pending"),
                "decision_reason": "",
                "given_by_id": np.where(a_state == "given", owner[ac], -1),
                "given_at": ts(given, a_state == "given"),
            }
        )
        for col in ("decided_by_id", "given_by_id"):
            actions[col] = actions[col].astype(object).where(actions[col] > 0, None)
        counts["recovery actions"] = copy_frame("recovery_recoveryaction", actions)
        del actions
        log(f"  recovery actions     {na:>10,}  {time.perf_counter() - t:6.1f} s")

        # ---- follow-ups
        t = time.perf_counter()
        nf = sizes.followups
        after_case = rng.random(nf) < 0.6
        done_idx = np.flatnonzero(done)
        fc = done_idx[rng.integers(0, len(done_idx), nf)]
        f_store_idx = np.where(after_case, k_store[fc], rng.integers(0, n_stores, nf))
        visit_at = t0 + rng.integers(0, 730 * DAY, nf)
        scheduled = np.where(after_case, resolved[fc], visit_at) + 7 * DAY
        scheduled_day = (scheduled + 8 * 3600) // DAY * DAY - 8 * 3600  # Shanghai midnight
        due_at = scheduled_day + 18 * 3600  # 18:00 that day
        past = due_at < now_s
        f_state = np.where(
            past, pick(rng, ["done", "expired", "cancelled", "open"], [85, 6, 4, 5], nf), "open"
        )
        late = (f_state == "done") & (rng.random(nf) < 0.08)
        completed = np.where(
            late,
            np.minimum(due_at + rng.integers(600, 2 * DAY, nf), now_s),
            due_at - rng.integers(600, 8 * 3600, nf),
        )
        f_done = f_state == "done"
        followups = pd.DataFrame(
            {
                "organisation_id": org.org_id,
                "store_id": stores[f_store_idx],
                "customer_id": np.where(
                    after_case, cust_ids[cc[fc]], cust_ids[rng.integers(0, nc, nf)]
                ),
                "case_id": np.where(after_case, case_ids[fc], -1),
                "reason": np.where(after_case, "complaint", "service_visit"),
                "assigned_to_id": np.where(
                    after_case,
                    owner[fc],
                    agent_mat[f_store_idx, rng.integers(0, agent_mat.shape[1], nf)],
                ),
                "scheduled_for": day(scheduled_day),
                "due_at": ts(due_at),
                "state": f_state,
                "attempts": np.where(f_done, rng.integers(1, 4, nf), 0),
                "result": np.where(f_done, "reached", ""),
                "satisfaction": np.where(
                    f_done, pick(rng, ["yes", "partly", "no"], [75, 18, 7], nf), ""
                ),
                "note": "",
                "completed_at": ts(completed, f_done),
                "missed": late | (f_state == "expired"),
                "flagged_at": ts(due_at + 3600, (f_state == "open") & past),
                "created_at": ts(scheduled - 7 * DAY),
                "version": 1,
            }
        )
        followups["case_id"] = (
            followups["case_id"].astype(object).where(followups["case_id"] > 0, None)
        )
        counts["follow-ups"] = copy_frame("followups_followup", followups)
        del followups
        log(f"  follow-ups           {nf:>10,}  {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()

    log(f"  indexes rebuilt                    {time.perf_counter() - t:6.1f} s")

    # ---- store volumes: ~25-45 services per complaint, per store and month
    month_of = pd.to_datetime(received + 8 * 3600, unit="s").to_period("M")
    per = (
        pd.Series(1, index=pd.MultiIndex.from_arrays([k_store, month_of]))
        .groupby(level=[0, 1])
        .sum()
    )
    StoreVolume.objects.bulk_create(
        StoreVolume(
            organisation_id=org.org_id,
            store_id=int(stores[s]),
            month=m.to_timestamp().date(),
            services=int(c * rng.uniform(25, 45)),
        )
        for (s, m), c in per.items()
    )
    counts["store volumes"] = len(per)

    t = time.perf_counter()
    with connection.cursor() as cur:
        for table in (*BIG_TABLES, "analytics_storevolume"):
            cur.execute(f"VACUUM ANALYZE {table}")
    log(f"  VACUUM ANALYZE                     {time.perf_counter() - t:6.1f} s")
    return Generated(
        org_id=org.org_id,
        admin_id=org.admin_id,
        store_ids=org.store_ids,
        counts=counts,
        seconds=time.perf_counter() - t_start,
    )
