"""Two (and four) workers detecting guarantee breaches at once, a worker killed in the middle,
and a user holding a case: every breach pays exactly once. PostgreSQL only: SQLite serialises
writers, so there is nothing to race.

Each worker is a thread with its own database connection; a Barrier starts them together and
small batches make them interleave (manyi/core/tests/concurrency.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connections, transaction

from conftest import at
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.models import CaseSla
from manyi.cases.sweep import sweep
from manyi.core.tests.concurrency import (
    needs_row_locks,
    run_at_once,
    run_script,
    wait_for_backend_to_end,
)
from manyi.core.tests.factories import CustomerFactory
from manyi.notifications.models import CustomerMessage, Notification
from manyi.recovery.guarantees import detect_breaches, ensure_default_guarantees
from manyi.recovery.models import Guarantee, GuaranteeBreach, RecoveryAction

pytestmark = [
    needs_row_locks,
    pytest.mark.django_db(transaction=True),
]

RECEIVED = at(2026, 3, 4, 9, 0)
NOW = at(2026, 3, 5, 10, 0)  # every first response is overdue


@pytest.fixture
def breaches(org, agent, agent_b, manager, category):
    """24 cases in two stores with a breached first response, and the first-reply guarantee
    bound to the SLA clock (`within_minutes` cleared)."""
    ensure_default_guarantees(org)
    Guarantee.objects.filter(organisation=org, code="first_reply_48h").update(
        starts_at=at(2026, 1, 1, 0, 0), within_minutes=None
    )
    for i in range(24):
        owner = (agent, agent_b)[i % 2]
        services.create_case(
            actor=owner,
            customer=CustomerFactory(store=owner.store),
            channel="phone",
            category=category,
            summary=f"投诉{i}",
            received_at=RECEIVED,
            now=RECEIVED,
        )
    sweep(now=NOW)
    clocks = set(
        CaseSla.objects.filter(state="breached", metric="first_response").values_list(
            "id", flat=True
        )
    )
    assert len(clocks) == 24
    return clocks


def _assert_paid_exactly_once(clocks: set[int]) -> None:
    keys = Counter(GuaranteeBreach.objects.values_list("source_key", flat=True))
    assert set(keys.values()) == {1}
    assert {int(k.split(":")[1]) for k in keys} == clocks
    breach_ids = set(GuaranteeBreach.objects.values_list("id", flat=True))
    actions = Counter(RecoveryAction.objects.values_list("guarantee_breach_id", flat=True))
    assert set(actions) == breach_ids and set(actions.values()) == {1}
    messages = Counter(
        CustomerMessage.objects.filter(kind="guarantee_payout").values_list("dedupe_key", flat=True)
    )
    assert set(messages) == {f"guarantee:{pk}" for pk in breach_ids}
    assert set(messages.values()) == {1}
    events = Counter(AuditEvent.objects.filter(kind="guarantee").values_list("case_id", flat=True))
    assert len(events) == len(clocks) and set(events.values()) == {1}
    notes = Counter(
        Notification.objects.filter(kind="guarantee_breach").values_list(
            "recipient_id", "dedupe_key"
        )
    )
    assert set(notes.values()) == {1}
    assert {key for _, key in notes} == {f"guarantee:{pk}" for pk in breach_ids}


def test_two_workers_detecting_at_once_pay_each_breach_once(breaches):
    results = run_at_once(lambda: detect_breaches(now=NOW, batch=3), 2)

    assert sum(results) == len(breaches)
    _assert_paid_exactly_once(breaches)
    assert detect_breaches(now=NOW) == 0


def test_four_workers_with_batches_of_one_pay_each_breach_once(breaches):
    results = run_at_once(lambda: detect_breaches(now=NOW, batch=1), 4)

    assert sum(results) == len(breaches)
    _assert_paid_exactly_once(breaches)


def test_detection_skips_a_case_a_user_holds_and_pays_it_on_the_next_run(breaches):
    held = CaseSla.objects.filter(id__in=breaches).order_by("id").first().case
    locked, release = threading.Event(), threading.Event()

    def user_saves() -> None:
        try:
            with transaction.atomic():
                services.comment_on_case(actor=held.owner, case=held, text="正在联系客户")
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    user = threading.Thread(target=user_saves)
    user.start()
    assert locked.wait(timeout=30)
    try:
        t0 = time.perf_counter()
        paid = detect_breaches(now=NOW)
        waited = time.perf_counter() - t0
    finally:
        release.set()
        user.join(timeout=30)

    assert waited < 5
    assert paid == len(breaches) - 1
    assert not GuaranteeBreach.objects.filter(case=held).exists()
    assert detect_breaches(now=NOW) == 1
    _assert_paid_exactly_once(breaches)


def test_two_workers_measuring_48_hours_pay_each_late_case_once(breaches):
    Guarantee.objects.filter(code="first_reply_48h").update(within_minutes=48 * 60)
    later = RECEIVED + dt.timedelta(hours=49)  # no case has a first reply after 48 hours

    results = run_at_once(lambda: detect_breaches(now=later, batch=3), 2)

    assert sum(results) == len(breaches)
    keys = Counter(GuaranteeBreach.objects.values_list("source_key", flat=True))
    assert set(keys.values()) == {1} and all(k.startswith("within:") for k in keys)
    assert {int(k.split(":")[1]) for k in keys} == set(
        CaseSla.objects.filter(id__in=breaches).values_list("case_id", flat=True)
    )
    actions = Counter(RecoveryAction.objects.values_list("guarantee_breach_id", flat=True))
    assert len(actions) == len(breaches) and set(actions.values()) == {1}
    messages = Counter(
        CustomerMessage.objects.filter(kind="guarantee_payout").values_list("dedupe_key", flat=True)
    )
    assert len(messages) == len(breaches) and set(messages.values()) == {1}
    assert detect_breaches(now=later) == 0


KILLED_WORKER = """
import os, signal, sys, datetime as dt
import django
django.setup()
from django.db import connection, transaction
from manyi.recovery import guarantees
now = dt.datetime.fromisoformat(sys.argv[1])
with connection.cursor() as cur:
    cur.execute("SELECT pg_backend_pid()")
    print(cur.fetchone()[0], flush=True)
original = guarantees._pay_out
def pay_and_die(**kwargs):
    original(**kwargs)
    print(kwargs["breach"].source_key, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # killed after paying, before the commit
guarantees._pay_out = pay_and_die
guarantees.detect_breaches(now=now, batch=5)
"""


def test_a_worker_killed_before_its_payout_commits_loses_nothing(breaches):
    proc = run_script(KILLED_WORKER, NOW.isoformat())

    assert proc.returncode == -9, proc.stderr
    backend_pid, paid_key = proc.stdout.split()
    assert paid_key.startswith("sla:")
    wait_for_backend_to_end(int(backend_pid))
    assert not GuaranteeBreach.objects.exists()
    assert not RecoveryAction.objects.exists()
    assert not CustomerMessage.objects.exists()

    assert detect_breaches(now=NOW) == len(breaches)
    _assert_paid_exactly_once(breaches)
