"""The SLA sweep: finds clocks whose warning or due time has passed, marks them, escalates the
case and queues notifications, in one transaction per batch.

A batch claims up to `batch` open *cases* that have such a clock, with
`SELECT … FOR UPDATE SKIP LOCKED` on the case rows (healthchecks' `sendalerts` shape), and then
handles every due clock of those cases, changing them with a conditional UPDATE
(`state = 'active'`). Locking the case first is the order the services use (they lock the case,
then change its clocks), so the sweep never waits for a user nor deadlocks with one; two workers
never claim the same case, so a case is never escalated twice for one breach; and a worker that
dies mid-batch rolls its transaction back, so the next run picks the batch up again.

Two implementations with the same behaviour (the tests run both): on PostgreSQL each batch is a
single SQL statement (`manyi.cases.sweep_sql`); elsewhere (SQLite) the ORM writes the batch with
a fixed number of statements. Either way the number of SQL statements per batch does not grow
with the batch size.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.db.models.constants import OnConflict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.accounts.choices import Role
from manyi.accounts.models import User
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases import sweep_sql
from manyi.cases.choices import (
    OPEN_STATUSES,
    EscalationLevel,
    SlaEventKind,
    SlaMetric,
    SlaState,
)
from manyi.cases.models import Case, CaseSla, SlaEvent
from manyi.cases.sweep_sql import BatchResult, Texts
from manyi.notifications.models import Notification
from manyi.notifications.services import schedule_delivery

TOP_LEVEL = int(EscalationLevel.STORE_MANAGER)


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0  # escalation steps taken (a case going 0 → 2 at once counts 2)
    notifications: int = 0
    batches: int = 0


def texts() -> Texts:
    """The translated templates of the sweep's messages, in the active language."""
    return Texts(
        warn_subject=_("Case %(number)s: %(metric)s due %(due)s"),
        warn_body=_("%(metric)s of case %(number)s (%(summary)s) is due at %(due)s."),
        breach_subject=_("Case %(number)s breached %(metric)s: %(summary)s"),
        breach_body=_(
            "%(metric)s of case %(number)s was due at %(due)s and has not "
            "been met. The case is escalated to: %(level)s."
        ),
        metric_labels={str(m.value): str(m.label) for m in SlaMetric},
        level_labels={int(v.value): str(v.label) for v in EscalationLevel},
        timezone=timezone.get_current_timezone_name(),
    )


def sweep(*, now: dt.datetime | None = None, batch: int | None = None) -> SweepResult:
    """Breach, then warn, every clock that is due, batch by batch, until none is left."""
    now = now or timezone.now()
    batch = batch or settings.MANYI_SWEEP_BATCH
    result = SweepResult()
    on_postgres = connection.vendor == "postgresql"
    with translation.override(settings.LANGUAGE_CODE):
        words = texts()
        for kind in ("breach", "warn"):
            after = 0  # batches walk the case ids upwards: no batch rescans an earlier one's
            while True:
                with transaction.atomic():
                    r = _batch(kind, now, batch, after, words, on_postgres=on_postgres)
                if kind == "breach":
                    result.breached += r.clocks
                    result.escalated += r.steps
                else:
                    result.warned += r.clocks
                result.notifications += r.notifications
                result.batches += 1 if r.clocks else 0
                # Fewer than `batch` claimed: nothing is left but cases another worker or a
                # user holds right now; that worker handles all their due clocks, a user's
                # case is swept on the next run.
                if r.claimed < batch:
                    break
                after = r.last_id
    if result.notifications:
        transaction.on_commit(schedule_delivery)
    return result


def _batch(
    kind: str, now: dt.datetime, batch: int, after: int, words: Texts, *, on_postgres: bool
) -> BatchResult:
    if on_postgres:
        make = sweep_sql.breach_statement if kind == "breach" else sweep_sql.warn_statement
        return sweep_sql.run(make(now=now, batch=batch, after=after, texts=words))
    return (_breach_batch if kind == "breach" else _warn_batch)(now, batch, after, words)


# --- the portable ORM implementation ---------------------------------------------------------


def claimable(clocks: QuerySet[CaseSla]) -> QuerySet[Case]:
    """The open cases that have one of `clocks`, in the order they are claimed."""
    return Case.objects.filter(
        id__in=clocks.values("case_id"), status__in=sorted(OPEN_STATUSES)
    ).order_by("id")


def _claim(clocks: QuerySet[CaseSla], batch: int, after: int) -> list[int]:
    """Lock up to `batch` open cases after id `after` that have one of `clocks` and that
    nobody else holds."""
    qs = claimable(clocks).filter(id__gt=after)
    if connection.features.has_select_for_update_skip_locked:
        if connection.features.has_select_for_update_of:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        else:
            qs = qs.select_for_update(skip_locked=True)
    return list(qs.values_list("id", flat=True)[:batch])


def _max_params() -> int:
    """How many parameters one statement may carry."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return 30_000


def _insert_all(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """Insert the rows with one statement. (bulk_create splits them into chunks of 999
    parameters on SQLite, so the statements per batch would grow with the batch, although
    SQLite has taken at least 32,766 since 3.32.)"""
    if not objs:
        return
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if len(objs) * len(fields) > _max_params():
        model._default_manager.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    model._default_manager._insert(  # type: ignore[attr-defined]  # QuerySet._insert is what bulk_create calls per chunk
        objs, fields=fields, on_conflict=OnConflict.IGNORE if ignore_conflicts else None
    )


def _notification(
    recipient: User, *, kind: str, case: Case, dedupe_key: str, subject: str, body: str
) -> Notification | None:
    if recipient.organisation_id is None:  # the platform superuser gets no outbox rows
        return None
    return Notification(
        organisation_id=recipient.organisation_id,
        recipient=recipient,
        case_id=case.pk,
        kind=kind,
        dedupe_key=dedupe_key[:120],
        subject=subject[:200],
        body=body,
    )


def _write(
    sla_events: list[SlaEvent], audit: list[AuditEvent], notes: list[Notification | None]
) -> int:
    _insert_all(sla_events)
    _insert_all(audit)
    rows = [n for n in notes if n is not None]
    _insert_all(rows, ignore_conflicts=True)  # one per (recipient, dedupe key)
    return len(rows)


def _due_text(due_at: dt.datetime | None) -> str:
    return timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M") if due_at else "-"


def _name(user: User | None) -> str | None:
    return str(user) if user is not None else None


class _Chain:
    """The escalation targets of the stores in a batch, loaded with a fixed number of queries
    (the same rules as services.escalation_target)."""

    def __init__(self, cases: list[Case]) -> None:
        store_ids = {c.store_id for c in cases}
        org_ids = {c.organisation_id for c in cases}
        staff = User.objects.filter(is_active=True).order_by("id")
        self.supervisors: dict[int, User] = {}
        self.managers: dict[int, User] = {}
        self.admins: dict[int, User] = {}
        for u in staff.filter(
            store_id__in=store_ids, role__in=[Role.SUPERVISOR, Role.STORE_MANAGER]
        ):
            target = self.supervisors if u.role == Role.SUPERVISOR else self.managers
            if u.store_id is not None:
                target.setdefault(u.store_id, u)
        for u in staff.filter(organisation_id__in=org_ids, role=Role.ORG_ADMIN):
            if u.organisation_id is not None:
                self.admins.setdefault(u.organisation_id, u)

    def target(self, case: Case, level: int) -> User | None:
        if level == EscalationLevel.SUPERVISOR:
            sup = case.owner.supervisor
            if sup is not None and sup.is_active:
                return sup
            return self.supervisors.get(case.store_id) or self.target(
                case, EscalationLevel.STORE_MANAGER
            )
        if level >= EscalationLevel.STORE_MANAGER:
            return self.managers.get(case.store_id) or self.admins.get(case.organisation_id)
        return None


def _sla_rows(c: CaseSla, case: Case, kind: str, now: dt.datetime) -> tuple[SlaEvent, AuditEvent]:
    return (
        SlaEvent(
            case_id=case.pk,
            metric=c.metric,
            kind=kind,
            at=now,
            due_at=c.due_at,
            policy_id=case.sla_policy_id,
            business_minutes_elapsed=c.business_minutes_elapsed,
            calendar_minutes_elapsed=c.calendar_minutes_elapsed,
            data={"cycle": c.cycle},
        ),
        AuditEvent(
            organisation_id=case.organisation_id,
            case_id=case.pk,
            customer_id=case.customer_id,
            kind=EventKind.SLA,
            at=now,
            changes={
                "event": [None, kind],
                "metric": [None, c.metric],
                "due_at": [None, c.due_at.isoformat() if c.due_at else None],
            },
        ),
    )


def _breach_batch(now: dt.datetime, batch: int, after: int, words: Texts) -> BatchResult:
    due = CaseSla.objects.filter(state=SlaState.ACTIVE, due_at__lte=now)
    case_ids = _claim(due, batch, after)
    if not case_ids:
        return BatchResult(claimed=0, clocks=0)
    clocks = list(
        CaseSla.objects.filter(case_id__in=case_ids, state=SlaState.ACTIVE, due_at__lte=now)
        .select_related("case__owner__supervisor")
        .order_by("case_id", "id")
    )
    if not clocks:  # another worker handled them between our two statements
        return BatchResult(claimed=len(case_ids), clocks=0, last_id=case_ids[-1])
    CaseSla.objects.filter(id__in=[c.pk for c in clocks], state=SlaState.ACTIVE).update(
        state=SlaState.BREACHED, breached_at=now, warn_at=None
    )
    cases = {c.case_id: c.case for c in clocks}
    old_level = {pk: case.escalation_level for pk, case in cases.items()}
    steps = Tally(c.case_id for c in clocks)
    new_level = {pk: min(old_level[pk] + n, TOP_LEVEL) for pk, n in steps.items()}
    by_level: dict[int, list[int]] = {}
    for pk, level in new_level.items():
        if level != old_level[pk]:
            by_level.setdefault(level, []).append(pk)
    for level, ids in sorted(by_level.items()):
        Case.objects.filter(id__in=ids).update(escalation_level=level)
    chain = _Chain(list(cases.values()))
    sla_events: list[SlaEvent] = []
    audit: list[AuditEvent] = []
    notes: list[Notification | None] = []
    for i, c in enumerate(clocks):
        case = cases[c.case_id]
        event, entry = _sla_rows(c, case, SlaEventKind.BREACHED, now)
        sla_events.append(event)
        audit.append(entry)
        level = new_level[case.pk]
        metric = words.metric_labels.get(c.metric, c.metric)
        subject = words.breach_subject % {
            "number": case.number,
            "metric": metric,
            "summary": case.summary,
        }
        body = words.breach_body % {
            "metric": metric,
            "number": case.number,
            "due": _due_text(c.due_at),
            "level": words.level_labels[level],
        }
        recipients = {case.owner.pk: case.owner}
        for step in range(EscalationLevel.SUPERVISOR, level + 1):
            target = chain.target(case, step)
            if target is not None:
                recipients.setdefault(target.pk, target)
        notes.extend(
            _notification(
                r,
                kind="sla_breach",
                case=case,
                dedupe_key=f"sla:{c.pk}:{c.cycle}:breached",
                subject=subject,
                body=body,
            )
            for r in recipients.values()
        )
        last_of_case = i + 1 == len(clocks) or clocks[i + 1].case_id != c.case_id
        if last_of_case:  # the escalation steps follow the case's breaches in its timeline
            audit.extend(
                AuditEvent(
                    organisation_id=case.organisation_id,
                    case_id=case.pk,
                    customer_id=case.customer_id,
                    kind=EventKind.ESCALATED,
                    at=now,
                    message="",
                    changes={
                        "escalation_level": [step - 1, step],
                        "to": [None, _name(chain.target(case, step))],
                        "automatic": [None, True],
                    },
                )
                for step in range(old_level[case.pk] + 1, level + 1)
            )
    queued = _write(sla_events, audit, notes)
    return BatchResult(
        claimed=len(case_ids),
        clocks=len(clocks),
        steps=sum(new_level[pk] - old_level[pk] for pk in new_level),
        notifications=queued,
        last_id=case_ids[-1],
    )


def _warn_batch(now: dt.datetime, batch: int, after: int, words: Texts) -> BatchResult:
    warnable = CaseSla.objects.filter(
        state=SlaState.ACTIVE, warned_at__isnull=True, warn_at__lte=now, due_at__gt=now
    )
    case_ids = _claim(warnable, batch, after)
    if not case_ids:
        return BatchResult(claimed=0, clocks=0)
    clocks = list(
        warnable.filter(case_id__in=case_ids)
        .select_related("case__owner")
        .order_by("case_id", "id")
    )
    if not clocks:
        return BatchResult(claimed=len(case_ids), clocks=0, last_id=case_ids[-1])
    CaseSla.objects.filter(
        id__in=[c.pk for c in clocks], state=SlaState.ACTIVE, warned_at__isnull=True
    ).update(warned_at=now, warn_at=None)
    sla_events: list[SlaEvent] = []
    audit: list[AuditEvent] = []
    notes: list[Notification | None] = []
    for c in clocks:
        case = c.case
        event, entry = _sla_rows(c, case, SlaEventKind.WARNED, now)
        sla_events.append(event)
        audit.append(entry)
        metric = words.metric_labels.get(c.metric, c.metric)
        due = _due_text(c.due_at)
        notes.append(
            _notification(
                case.owner,
                kind="sla_warning",
                case=case,
                dedupe_key=f"sla:{c.pk}:{c.cycle}:warned",
                subject=words.warn_subject % {"number": case.number, "metric": metric, "due": due},
                body=words.warn_body
                % {"metric": metric, "number": case.number, "summary": case.summary, "due": due},
            )
        )
    queued = _write(sla_events, audit, notes)
    return BatchResult(
        claimed=len(case_ids), clocks=len(clocks), notifications=queued, last_id=case_ids[-1]
    )
