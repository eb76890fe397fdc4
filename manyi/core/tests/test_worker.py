"""The worker: the scheduler enqueues the SLA sweep, the django-tasks-db loop runs it, and the
process stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from manyi.cases.models import CaseSla
from manyi.cases.services import change_status, create_case
from manyi.core.worker import (
    PERIODIC_JOBS,
    SweepScheduler,
    make_db_worker,
    schedule_survey_rules,
    schedule_sweep,
)
from manyi.surveys.models import Invitation
from manyi.surveys.rules import save_rule
from manyi.surveys.services import install_template

SWEEP = "manyi.cases.tasks.sweep_sla"
SURVEY_RULES = "manyi.surveys.tasks.run_survey_rules"


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_scheduling_enqueues_one_sweep_until_a_worker_has_taken_it(db_tasks):
    first = schedule_sweep()
    assert first is not None
    assert schedule_sweep() is None  # one is waiting already: no pile-up
    waiting = DBTaskResult.objects.get(task_path=SWEEP)
    assert str(waiting.id) == first
    assert waiting.status == "READY"


@pytest.mark.django_db(transaction=True)
def test_one_worker_pass_runs_the_scheduled_sweep_against_the_database(
    db_tasks, agent, customer, category
):
    week_ago = timezone.now() - dt.timedelta(days=7)
    case = create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary="一周前的投诉没人回",
        received_at=week_ago,
        now=week_ago,
    )
    schedule_sweep()

    make_db_worker(batch=True, interval=0).run()

    result = DBTaskResult.objects.get(task_path=SWEEP)
    assert result.status == "SUCCESSFUL", result.traceback
    assert result.return_value is not None
    assert result.return_value["breached"] >= 1
    case.refresh_from_db()
    assert case.escalation_level >= 1
    assert CaseSla.objects.get(case=case, metric="first_response").state == "breached"
    # The sweep has run, so the next minute's schedule enqueues a new one.
    assert schedule_sweep() is not None


@pytest.mark.django_db
def test_the_survey_rules_are_scheduled_every_minute_without_piling_up(db_tasks):
    assert ("survey rules", schedule_survey_rules) in PERIODIC_JOBS
    first = schedule_survey_rules()
    assert first is not None
    assert schedule_survey_rules() is None
    assert str(DBTaskResult.objects.get(task_path=SURVEY_RULES).id) == first


@pytest.mark.django_db(transaction=True)
def test_one_worker_pass_invites_for_a_case_closed_under_a_survey_rule(
    db_tasks, admin_user, agent, customer, category
):
    hour = dt.timedelta(hours=1)
    start = timezone.now() - 5 * hour
    survey = install_template(actor=admin_user, template_key="recovery_fairness", now=start)
    save_rule(actor=admin_user, survey=survey, trigger="case_closed", now=start)
    case = create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary="等太久",
        received_at=start + hour,
        now=start + hour,
    )
    change_status(actor=agent, case=case, status="resolved", outcome="in_favour", now=start + hour)
    change_status(actor=agent, case=case, status="closed", require_learning=False, now=start + hour)
    schedule_survey_rules()

    make_db_worker(batch=True, interval=0).run()

    result = DBTaskResult.objects.get(task_path=SURVEY_RULES)
    assert result.status == "SUCCESSFUL", result.traceback
    assert result.return_value == {"sent": 1, "skipped": 0}
    assert Invitation.objects.get().case == case


@pytest.mark.django_db(transaction=True)  # the customer-value job reads the database
def test_the_scheduler_thread_schedules_at_once_and_stops_promptly():
    # The test settings' dummy backend keeps results per thread: look at what the thread saw.
    scheduler = SweepScheduler(interval=3600)
    scheduler.start()
    deadline = time.monotonic() + 10
    while scheduler.ticks == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    scheduler.join(timeout=5)
    assert not scheduler.is_alive()
    assert (scheduler.ticks, scheduler.failures) == (1, 0)
    assert scheduler.last_enqueued is not None


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    """A migrated SQLite file a separate worker process can use."""
    path = tmp_path_factory.mktemp("worker") / "template.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{path}"},
        check=True,
        timeout=300,
    )
    return path


def _sweeps_done(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = ? AND status = 'SUCCESSFUL'",
            (SWEEP,),
        ).fetchone()
    return int(row[0])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_process_sweeps_and_stops_cleanly_on_a_signal(migrated_sqlite, tmp_path, signum):
    db = tmp_path / "worker.sqlite3"
    shutil.copy(migrated_sqlite, db)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "MANYI_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "manyi.cli", "worker", "--interval", "0.2"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while _sweeps_done(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _sweeps_done(db) == 1, "the worker did not run the sweep scheduled at start"
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out.decode()
    assert b"Traceback" not in out
