"""Two sweep workers at once, and a worker killed in the middle of a batch, on PostgreSQL: no
breach, escalation step or notification is lost or doubled.

Each worker is a thread with its own database connection; a Barrier starts them together and
small batches make them interleave. (SQLite serialises writers, so there is nothing to race.)
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connections, transaction
from django.db.models import Count

from conftest import at
from manyi.accounts.choices import Role
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.choices import SlaState
from manyi.cases.models import Case, CaseSla, SlaEvent
from manyi.cases.sweep import SweepResult, sweep
from manyi.core.tests.concurrency import (
    needs_row_locks,
    run_at_once,
    run_script,
    wait_for_backend_to_end,
)
from manyi.core.tests.factories import CustomerFactory, UserFactory
from manyi.notifications.models import Notification

pytestmark = [
    needs_row_locks,
    pytest.mark.django_db(transaction=True),
]

NOW = at(2026, 3, 7, 12, 0)  # Saturday noon


@pytest.fixture
def backlog(org, store_a, store_b, agent, supervisor, manager, agent_b, admin_user, category):
    """36 open cases in three shapes (and six with nothing due), spread over owners whose
    escalation goes to their supervisor, their store's supervisor, or the organisation admin.
    Returns {case id: expected escalation level}."""
    loner = UserFactory(store=store_a, role=Role.AGENT, username="loner", supervisor=None)
    owners = [agent, loner, agent_b]
    expected: dict[int, int] = {}
    for i in range(42):
        owner = owners[i % 3]
        customer = CustomerFactory(store=owner.store)
        shape = i % 7
        received = {
            0: at(2026, 3, 2, 9, 0),  # Mon: first response and resolution overdue
            1: at(2026, 3, 2, 9, 0),
            2: at(2026, 3, 5, 9, 0),  # Thu: first response overdue only
            3: at(2026, 3, 5, 9, 0),
            4: at(2026, 3, 2, 9, 0),  # Mon, answered at 10:00: next_update and resolution
            5: at(2026, 3, 5, 9, 0),
            6: at(2026, 3, 6, 14, 0),  # Fri afternoon: nothing due yet
        }[shape]
        case = services.create_case(
            actor=owner,
            customer=customer,
            channel="phone",
            category=category,
            summary=f"投诉{i}",
            received_at=received,
            now=received,
        )
        if shape == 4:
            services.respond_to_case(
                actor=owner, case=case, message="已回电", now=at(2026, 3, 2, 10, 0)
            )
        expected[case.pk] = {0: 2, 1: 2, 2: 1, 3: 1, 4: 2, 5: 1, 6: 0}[shape]
    return expected


def _due_clocks() -> set[int]:
    return set(
        CaseSla.objects.filter(state=SlaState.ACTIVE, due_at__lte=NOW).values_list("id", flat=True)
    )


def _assert_swept_exactly_once(due: set[int], expected: dict[int, int]) -> None:
    clocks = CaseSla.objects.filter(id__in=due)
    assert set(clocks.values_list("state", flat=True)) == {SlaState.BREACHED}
    per_clock = Counter(SlaEvent.objects.filter(kind="breached").values_list("case_id", "metric"))
    assert set(per_clock) == set(clocks.values_list("case_id", "metric"))
    assert set(per_clock.values()) == {1}
    levels = dict(Case.objects.values_list("id", "escalation_level"))
    assert levels == expected
    steps = dict(
        AuditEvent.objects.filter(kind="escalated")
        .values("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    assert steps == {pk: lv for pk, lv in expected.items() if lv}
    # The breach notifications: the owner, plus the target of every level reached, once each.
    breach_notes = Counter(
        Notification.objects.filter(kind="sla_breach").values_list("recipient_id", "dedupe_key")
    )
    assert set(breach_notes.values()) == {1}
    assert {key.split(":")[1] for _, key in breach_notes} == {str(pk) for pk in due}
    for case in Case.objects.filter(escalation_level__gt=0).select_related("owner"):
        keys = Notification.objects.filter(case=case, kind="sla_breach")
        assert (
            keys.filter(recipient=case.owner).count()
            == CaseSla.objects.filter(case=case, id__in=due).count()
        )


def test_two_workers_sweeping_at_once_breach_and_escalate_each_clock_once(backlog):
    due = _due_clocks()
    assert len(due) == 12 * 2 + 12 * 1 + 6 * 2 + 6 * 1  # 54 clocks in 36 cases

    results: list[SweepResult] = run_at_once(lambda: sweep(now=NOW, batch=3), 2)

    assert sum(r.breached for r in results) == len(due)
    assert sum(r.escalated for r in results) == sum(backlog.values())
    _assert_swept_exactly_once(due, backlog)
    assert sweep(now=NOW).breached == 0


def test_four_workers_with_batches_of_one_do_not_double_anything(backlog):
    due = _due_clocks()

    results: list[SweepResult] = run_at_once(lambda: sweep(now=NOW, batch=1), 4)

    assert sum(r.breached for r in results) == len(due)
    _assert_swept_exactly_once(due, backlog)


KILLED_WORKER = """
import os, signal, sys, datetime as dt
import django
django.setup()
from django.db import connection, transaction
from django.utils import translation
from manyi.cases import sweep, sweep_sql
now = dt.datetime.fromisoformat(sys.argv[1])
with connection.cursor() as cur:
    cur.execute("SELECT pg_backend_pid()")
    print(cur.fetchone()[0], flush=True)
with translation.override("zh-hans"):
    words = sweep.texts()
with transaction.atomic():
    statement = sweep_sql.breach_statement(now=now, batch=int(sys.argv[2]), after=0, texts=words)
    r = sweep_sql.run(statement)
    print(r.clocks, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # killed before the batch commits
"""


def test_worker_killed_in_the_middle_of_a_batch_loses_nothing(backlog):
    due = _due_clocks()
    proc = run_script(KILLED_WORKER, NOW.isoformat(), "10")

    assert proc.returncode == -9, proc.stderr
    backend_pid, claimed = (int(x) for x in proc.stdout.split())
    assert claimed > 0  # it had breached clocks when it died
    wait_for_backend_to_end(backend_pid)
    assert set(CaseSla.objects.filter(id__in=due).values_list("state", flat=True)) == {"active"}
    assert not SlaEvent.objects.filter(kind="breached").exists()
    assert not Notification.objects.filter(kind="sla_breach").exists()

    result = sweep(now=NOW, batch=10)

    assert result.breached == len(due)
    _assert_swept_exactly_once(due, backlog)


def test_sweep_skips_a_case_a_user_is_saving_instead_of_waiting(
    agent, supervisor, customer, category
):
    received = at(2026, 3, 4, 9, 0)  # first response due Thu 09:30
    saving, other = (
        services.create_case(
            actor=agent,
            customer=customer,
            channel="phone",
            category=category,
            summary=summary,
            received_at=received,
            now=received,
        )
        for summary in ("正在处理", "无人处理")
    )
    locked, release = threading.Event(), threading.Event()

    def user_answers() -> None:
        try:
            with transaction.atomic():
                services.respond_to_case(
                    actor=agent, case=saving, message="已回电", now=at(2026, 3, 5, 10, 0)
                )
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    user = threading.Thread(target=user_answers)
    user.start()
    assert locked.wait(timeout=30)
    try:
        t0 = time.perf_counter()
        result = sweep(now=at(2026, 3, 5, 10, 0))
        waited = time.perf_counter() - t0
    finally:
        release.set()
        user.join(timeout=30)

    assert waited < 5
    assert result.breached == 1
    assert CaseSla.objects.get(case=other, metric="first_response").state == SlaState.BREACHED
    answered = CaseSla.objects.get(case=saving, metric="first_response")
    assert answered.fulfilled_at is not None  # the user's answer went through
    # ... after the due time: late all the same, though the sweep never marked it.
    assert answered.state == SlaState.BREACHED
    assert answered.breached_at == answered.due_at
    assert sweep(now=at(2026, 3, 5, 10, 0)).breached == 0
    saving.refresh_from_db()
    assert saving.escalation_level == 0
