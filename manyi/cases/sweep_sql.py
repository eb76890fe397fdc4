"""The SLA sweep's batches on PostgreSQL: one SQL statement per batch, whatever its size.

Each statement claims up to `batch` open cases that have a clock to warn or breach (each case
locked with `FOR UPDATE SKIP LOCKED`: cases another worker or a user holds are skipped, never
waited for), then, with data-modifying CTEs, updates their clocks, raises the escalation level,
and appends the SLA events, the timeline entries and the outbox notifications — all in the
caller's transaction. Nothing crosses into Python per row: a batch costs what the database
needs to write its rows (docs/benchmarks.md), not the building of model instances.

The behaviour is the same as the portable ORM path in `manyi.cases.sweep` (the tests run both):
same rows, same texts (translated templates are passed in and applied with `format()`), same
escalation chain as `services.escalation_target`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from manyi.cases.choices import OPEN_STATUSES, EscalationLevel

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def pg_format(template: str, names: Sequence[str]) -> str:
    """Turn a Python `%(name)s` template into a PostgreSQL `format()` string whose arguments
    are `names` in this order (a translation may reorder the placeholders)."""

    def repl(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%%"
        return f"%{names.index(m.group(1)) + 1}$s"

    return _PLACEHOLDER.sub(repl, template)


@dataclass(frozen=True)
class Texts:
    """Translated message templates and labels, fetched once per sweep."""

    warn_subject: str
    warn_body: str
    breach_subject: str
    breach_body: str
    metric_labels: Mapping[str, str]
    level_labels: Mapping[int, str]
    timezone: str


@dataclass(frozen=True)
class BatchResult:
    claimed: int  # cases claimed
    clocks: int  # clocks warned or breached
    steps: int = 0  # escalation steps taken
    notifications: int = 0
    last_id: int = 0  # the highest case id claimed: the next batch starts after it


# Escalation targets per store (the same rules as services.escalation_target): the first active
# supervisor of the store; the first active store manager, else the organisation's first admin.
_CHAIN = """
    chain AS MATERIALIZED (
        SELECT st.store_id,
            (SELECT u.id FROM accounts_user u
              WHERE u.store_id = st.store_id AND u.organisation_id = st.organisation_id
                AND u.role = 'supervisor' AND u.is_active
              ORDER BY u.id LIMIT 1) AS store_supervisor,
            COALESCE(
              (SELECT u.id FROM accounts_user u
                WHERE u.store_id = st.store_id AND u.organisation_id = st.organisation_id
                  AND u.role = 'store_manager' AND u.is_active
                ORDER BY u.id LIMIT 1),
              (SELECT u.id FROM accounts_user u
                WHERE u.organisation_id = st.organisation_id
                  AND u.role = 'org_admin' AND u.is_active
                ORDER BY u.id LIMIT 1)) AS manager
        FROM (SELECT DISTINCT store_id, organisation_id FROM lvl) st
    ),
    tgt AS (
        SELECT l.*, COALESCE(sup.id, ch.store_supervisor, ch.manager) AS lvl1,
               ch.manager AS lvl2
        FROM lvl l
        JOIN accounts_user o ON o.id = l.owner_id
        LEFT JOIN accounts_user sup ON sup.id = o.supervisor_id AND sup.is_active
        JOIN chain ch ON ch.store_id = l.store_id
    ),"""

_DUE_TEXT = "COALESCE(to_char(k.due_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI'), '-')"
_METRIC = "(%(metric_labels)s::jsonb ->> k.metric)"
_USER_NAME = (
    "COALESCE(NULLIF(u.display_name, ''), NULLIF(btrim(u.first_name || ' ' || u.last_name), ''),"
    " u.username)"
)

# Claim: open cases with a clock past its due time, in id order, after the previous batch's
# last one. The due clocks come from the partial index sla_active_due; each of their cases is
# then looked up by primary key and locked, unless someone else holds it (a lateral subquery,
# so the planner cannot walk the primary key of every open case instead, and LIMIT stops the
# locking at `batch` cases).
CLAIM_BREACH_SQL = """
    SELECT c.* FROM (
        SELECT DISTINCT s.case_id FROM cases_casesla s
        WHERE s.state = 'active' AND s.due_at <= %(now)s AND s.case_id > %(after)s
        ORDER BY s.case_id
    ) due CROSS JOIN LATERAL (
        SELECT c.id, c.organisation_id, c.customer_id, c.store_id, c.owner_id, c.number,
               c.summary, c.escalation_level, c.sla_policy_id
        FROM cases_case c
        WHERE c.id = due.case_id AND c.status = ANY(%(open)s)
        FOR UPDATE SKIP LOCKED
    ) c
    LIMIT %(batch)s"""

BREACH_SQL = f"""
WITH claimed AS ({CLAIM_BREACH_SQL}
),
clk AS (
    UPDATE cases_casesla s
    SET state = 'breached', breached_at = %(now)s, warn_at = NULL
    FROM claimed c
    WHERE s.case_id = c.id AND s.state = 'active' AND s.due_at <= %(now)s
    RETURNING s.id, s.case_id, s.metric, s.due_at, s.cycle,
              s.business_minutes_elapsed AS bme, s.calendar_minutes_elapsed AS cme
),
lvl AS (
    SELECT c.*, LEAST(c.escalation_level + n.n, %(top)s) AS new_level
    FROM claimed c
    JOIN (SELECT case_id, count(*) AS n FROM clk GROUP BY case_id) n ON n.case_id = c.id
),
esc AS (
    UPDATE cases_case c SET escalation_level = l.new_level
    FROM lvl l
    WHERE c.id = l.id AND l.new_level > l.escalation_level
    RETURNING c.id
),{_CHAIN}
sla_events AS (
    INSERT INTO cases_slaevent (case_id, metric, kind, at, policy_id, due_at,
                                business_minutes_elapsed, calendar_minutes_elapsed, data)
    SELECT k.case_id, k.metric, 'breached', %(now)s, c.sla_policy_id, k.due_at, k.bme, k.cme,
           jsonb_build_object('cycle', k.cycle)
    FROM clk k JOIN claimed c ON c.id = k.case_id
    ORDER BY k.id
    RETURNING 1
),
timeline AS (
    INSERT INTO audit_auditevent (organisation_id, case_id, customer_id, actor_id, kind,
                                  message, changes, at)
    SELECT e.organisation_id, e.case_id, e.customer_id, NULL, e.kind, '', e.changes, %(now)s
    FROM (
        SELECT c.organisation_id, c.id AS case_id, c.customer_id, 'sla' AS kind,
               jsonb_build_object('event', jsonb_build_array(NULL, 'breached'),
                                  'metric', jsonb_build_array(NULL, k.metric),
                                  'due_at', jsonb_build_array(NULL, to_jsonb(k.due_at)))
                   AS changes,
               0 AS o1, k.id AS o2
        FROM clk k JOIN claimed c ON c.id = k.case_id
        UNION ALL
        SELECT t.organisation_id, t.id, t.customer_id, 'escalated',
               jsonb_build_object('escalation_level', jsonb_build_array(step - 1, step),
                                  'to', jsonb_build_array(NULL, {_USER_NAME}),
                                  'automatic', jsonb_build_array(NULL, true)),
               1, t.id * 10 + step
        FROM tgt t
        CROSS JOIN LATERAL generate_series(t.escalation_level + 1, t.new_level) AS step
        LEFT JOIN accounts_user u ON u.id = CASE WHEN step = 1 THEN t.lvl1 ELSE t.lvl2 END
    ) e
    ORDER BY e.case_id, e.o1, e.o2
    RETURNING 1
),
notes AS (
    INSERT INTO notifications_notification (organisation_id, recipient_id, case_id, kind,
                                            dedupe_key, subject, body, state, attempts, error,
                                            created_at)
    SELECT DISTINCT ON (k.id, r.uid)
           u.organisation_id, r.uid, k.case_id, 'sla_breach',
           left('sla:' || k.id || ':' || k.cycle || ':breached', 120),
           left(format(%(subject)s, t.number, {_METRIC}, t.summary), 200),
           format(%(body)s, {_METRIC}, t.number, {_DUE_TEXT},
                  %(level_labels)s::jsonb ->> t.new_level::text),
           'pending', 0, '', %(created)s
    FROM clk k
    JOIN tgt t ON t.id = k.case_id
    CROSS JOIN LATERAL (VALUES (t.owner_id),
                               (CASE WHEN t.new_level >= 1 THEN t.lvl1 END),
                               (CASE WHEN t.new_level >= 2 THEN t.lvl2 END)) AS r(uid)
    JOIN accounts_user u ON u.id = r.uid AND u.organisation_id IS NOT NULL
    ORDER BY k.id, r.uid
    ON CONFLICT (recipient_id, dedupe_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM clk),
       (SELECT COALESCE(sum(new_level - escalation_level), 0) FROM lvl),
       (SELECT count(*) FROM notes), (SELECT COALESCE(max(id), 0) FROM claimed),
       (SELECT count(*) FROM sla_events), (SELECT count(*) FROM timeline),
       (SELECT count(*) FROM esc)
"""  # noqa: S608 (built from constants; every value is a parameter)

# Claim: open cases with a clock past its warning time (partial index sla_active_warn).
CLAIM_WARN_SQL = """
    SELECT c.* FROM (
        SELECT DISTINCT s.case_id FROM cases_casesla s
        WHERE s.state = 'active' AND s.warned_at IS NULL AND s.warn_at <= %(now)s
          AND s.due_at > %(now)s AND s.case_id > %(after)s
        ORDER BY s.case_id
    ) due CROSS JOIN LATERAL (
        SELECT c.id, c.organisation_id, c.customer_id, c.owner_id, c.number, c.summary,
               c.sla_policy_id
        FROM cases_case c
        WHERE c.id = due.case_id AND c.status = ANY(%(open)s)
        FOR UPDATE SKIP LOCKED
    ) c
    LIMIT %(batch)s"""

WARN_SQL = f"""
WITH claimed AS ({CLAIM_WARN_SQL}
),
clk AS (
    UPDATE cases_casesla s
    SET warned_at = %(now)s, warn_at = NULL
    FROM claimed c
    WHERE s.case_id = c.id AND s.state = 'active' AND s.warned_at IS NULL
      AND s.warn_at <= %(now)s AND s.due_at > %(now)s
    RETURNING s.id, s.case_id, s.metric, s.due_at, s.cycle,
              s.business_minutes_elapsed AS bme, s.calendar_minutes_elapsed AS cme
),
sla_events AS (
    INSERT INTO cases_slaevent (case_id, metric, kind, at, policy_id, due_at,
                                business_minutes_elapsed, calendar_minutes_elapsed, data)
    SELECT k.case_id, k.metric, 'warned', %(now)s, c.sla_policy_id, k.due_at, k.bme, k.cme,
           jsonb_build_object('cycle', k.cycle)
    FROM clk k JOIN claimed c ON c.id = k.case_id
    ORDER BY k.id
    RETURNING 1
),
timeline AS (
    INSERT INTO audit_auditevent (organisation_id, case_id, customer_id, actor_id, kind,
                                  message, changes, at)
    SELECT c.organisation_id, c.id, c.customer_id, NULL, 'sla', '',
           jsonb_build_object('event', jsonb_build_array(NULL, 'warned'),
                              'metric', jsonb_build_array(NULL, k.metric),
                              'due_at', jsonb_build_array(NULL, to_jsonb(k.due_at))),
           %(now)s
    FROM clk k JOIN claimed c ON c.id = k.case_id
    ORDER BY k.id
    RETURNING 1
),
notes AS (
    INSERT INTO notifications_notification (organisation_id, recipient_id, case_id, kind,
                                            dedupe_key, subject, body, state, attempts, error,
                                            created_at)
    SELECT u.organisation_id, u.id, k.case_id, 'sla_warning',
           left('sla:' || k.id || ':' || k.cycle || ':warned', 120),
           left(format(%(subject)s, c.number, {_METRIC}, {_DUE_TEXT}), 200),
           format(%(body)s, {_METRIC}, c.number, c.summary, {_DUE_TEXT}),
           'pending', 0, '', %(created)s
    FROM clk k
    JOIN claimed c ON c.id = k.case_id
    JOIN accounts_user u ON u.id = c.owner_id AND u.organisation_id IS NOT NULL
    ORDER BY k.id
    ON CONFLICT (recipient_id, dedupe_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM clk), 0,
       (SELECT count(*) FROM notes), (SELECT COALESCE(max(id), 0) FROM claimed),
       (SELECT count(*) FROM sla_events), (SELECT count(*) FROM timeline)
"""  # noqa: S608 (built from constants; every value is a parameter)


def _params(
    *, now: dt.datetime, batch: int, after: int, texts: Texts, subject: str, body: str
) -> dict[str, Any]:
    return {
        "now": now,
        "batch": batch,
        "after": after,
        "open": sorted(str(s) for s in OPEN_STATUSES),
        "top": int(EscalationLevel.STORE_MANAGER),
        "tz": texts.timezone,
        "metric_labels": json.dumps(dict(texts.metric_labels), ensure_ascii=False),
        "level_labels": json.dumps(
            {str(k): v for k, v in texts.level_labels.items()}, ensure_ascii=False
        ),
        "subject": subject,
        "body": body,
        "created": dt.datetime.now(dt.UTC),
    }


Statement = tuple[str, dict[str, Any]]


def breach_statement(*, now: dt.datetime, batch: int, after: int, texts: Texts) -> Statement:
    return BREACH_SQL, _params(
        now=now,
        batch=batch,
        after=after,
        texts=texts,
        subject=pg_format(texts.breach_subject, ["number", "metric", "summary"]),
        body=pg_format(texts.breach_body, ["metric", "number", "due", "level"]),
    )


def warn_statement(*, now: dt.datetime, batch: int, after: int, texts: Texts) -> Statement:
    return WARN_SQL, _params(
        now=now,
        batch=batch,
        after=after,
        texts=texts,
        subject=pg_format(texts.warn_subject, ["number", "metric", "due"]),
        body=pg_format(texts.warn_body, ["metric", "number", "summary", "due"]),
    )


def run(statement: Statement) -> BatchResult:
    sql, params = statement
    with connection.cursor() as cur:
        # The planner's cost estimate of this statement crosses jit_above_cost; compiling it
        # takes longer (≈0.4 s) than running it.
        cur.execute("SET LOCAL jit = off")
        cur.execute(sql, params)
        row = cur.fetchone()
    assert row is not None
    return BatchResult(
        claimed=row[0], clocks=row[1], steps=int(row[2]), notifications=row[3], last_id=row[4]
    )
