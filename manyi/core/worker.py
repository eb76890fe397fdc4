"""The background worker: django-tasks-db's worker loop plus a scheduler thread that enqueues,
every minute, the SLA sweep, the follow-up sweep (overdue calls and messages), the guarantee
breach detection, the survey rules (invitations after a closed case or a reached follow-up)
and the delivery of pending messages to customers; every hour the early-warning sweep and the
precomputed analytics pages, and every day the refresh of customers' values (their own guards
skip the other minutes).

The scheduler only enqueues; the task runs in whichever worker claims it, so several worker
processes can run side by side (the sweep itself claims rows, see manyi.cases.sweep).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 60.0


def uses_database_backend(alias: str = "default") -> bool:
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[alias], DatabaseBackend)


def _enqueue_unless_waiting(task: Any) -> str | None:
    """Enqueue `task` unless one is already waiting to run; return its id, or None when
    skipped. Skipping keeps a busy or stopped worker from piling up identical sweeps."""
    if uses_database_backend(task.backend):
        from django_tasks_db.models import DBTaskResult

        waiting = (
            DBTaskResult.objects.ready()
            .filter(task_path=task.module_path, backend_name=task.backend)
            .exists()
        )
        if waiting:
            return None
    result = task.enqueue()
    return str(result.id)


def schedule_sweep() -> str | None:
    """Enqueue `sweep_sla` unless one is already waiting to run; return its id, or None when
    skipped."""
    from manyi.cases.tasks import sweep_sla

    return _enqueue_unless_waiting(sweep_sla)


def schedule_followup_sweep() -> str | None:
    """Enqueue `flag_overdue_followups` (overdue follow-up calls and unreturned phone
    messages) unless one is already waiting to run."""
    from manyi.followups.tasks import flag_overdue_followups

    return _enqueue_unless_waiting(flag_overdue_followups)


def schedule_guarantee_detection() -> str | None:
    """Enqueue `detect_guarantee_breaches` unless one is already waiting to run. Scheduled
    after the two sweeps, so a breach or missed call they find is paid in the same minute."""
    from manyi.recovery.tasks import detect_guarantee_breaches

    return _enqueue_unless_waiting(detect_guarantee_breaches)


def schedule_survey_rules() -> str | None:
    """Enqueue `run_survey_rules` (invite after a case closed or a follow-up call reached the
    customer) unless one is already waiting to run."""
    from manyi.surveys.tasks import run_survey_rules

    return _enqueue_unless_waiting(run_survey_rules)


def schedule_customer_messages() -> None:
    """Deliver messages to customers left pending (their on-commit delivery task failed)."""
    from manyi.notifications.customer import schedule_outbox_sweep

    schedule_outbox_sweep()


def schedule_alert_sweep() -> str | None:
    """Enqueue the early-warning sweep (control charts of complaint rates) at most once an
    hour (manyi.analytics.tasks.schedule_alert_sweep)."""
    from manyi.analytics.tasks import schedule_alert_sweep as schedule

    return schedule()


def schedule_value_refresh() -> list[int]:
    """Enqueue the nightly refresh of customers' values (an organisation whose value model
    was fitted more than 20 hours ago, manyi.analytics.value_tasks)."""
    from manyi.analytics.value_tasks import schedule_value_refresh as schedule

    return schedule()


def purge_rate_counters() -> int:
    """Drop the public pages' rate-limit counters older than a day."""
    import datetime as dt

    from django.utils import timezone

    from manyi.core.ratelimit import purge_old

    return purge_old(timezone.now() - dt.timedelta(days=1))


PERIODIC_JOBS = (
    ("follow-up sweep", schedule_followup_sweep),
    ("guarantee breach detection", schedule_guarantee_detection),
    ("survey rules", schedule_survey_rules),
    ("customer messages", schedule_customer_messages),
    ("early-warning sweep", schedule_alert_sweep),
    ("customer values", schedule_value_refresh),
)
PURGE_EVERY_TICKS = 60


class SweepScheduler(threading.Thread):
    """Enqueues the SLA sweep and the PERIODIC_JOBS at start and then every `interval` seconds
    until stopped; purges old rate-limit counters every PURGE_EVERY_TICKS ticks."""

    def __init__(self, interval: float = SWEEP_INTERVAL_SECONDS) -> None:
        super().__init__(name="manyi-sweep-scheduler", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()
        self.ticks = 0
        self.failures = 0
        self.last_enqueued: str | None = None

    def tick(self) -> None:
        close_old_connections()
        try:
            self.last_enqueued = schedule_sweep() or self.last_enqueued
        except Exception:  # a locked or restarting database: try again next minute
            self.failures += 1
            log.exception("could not enqueue the SLA sweep")
        # The others are independent of the SLA sweep and of each other; guarantee detection
        # comes after the two sweeps so a breach or missed call they find is paid at once.
        for name, job in PERIODIC_JOBS:
            try:
                job()
            except Exception:  # as above
                self.failures += 1
                log.exception("could not run the periodic job %s", name)
        if self.ticks % PURGE_EVERY_TICKS == 0:
            try:
                purge_rate_counters()
            except Exception:
                log.exception("could not purge rate-limit counters")
        self.ticks += 1

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                self.tick()
                self.stopped.wait(self.interval)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


def make_db_worker(
    *,
    interval: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
    queue_names: list[str] | None = None,
    backend_name: str = "default",
) -> Any:
    """django-tasks-db's Worker, built as its `db_worker` command builds it."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=queue_names or ["default"],
        interval=interval,
        batch=batch,
        backend_name=backend_name,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def run_worker(*, interval: float = 1.0, sweep_interval: float = SWEEP_INTERVAL_SECONDS) -> None:
    """Run until SIGTERM or SIGINT. A task being run is finished first; a second signal stops
    at once (django-tasks-db's behaviour)."""
    scheduler = SweepScheduler(sweep_interval)
    scheduler.start()
    try:
        if uses_database_backend():
            worker = make_db_worker(interval=interval)
            original = worker.shutdown

            def shutdown(signum: int, frame: FrameType | None) -> None:
                scheduler.stop()
                original(signum, frame)

            worker.shutdown = shutdown
            worker.configure_signals()
            worker.run()
        else:
            # Another backend (Redis, ...) runs tasks in its own workers: only schedule here.
            stop = threading.Event()

            def on_signal(signum: int, frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
            while not stop.wait(1.0):
                pass
    except SystemExit as e:
        if e.code not in (0, None):
            raise
    finally:
        scheduler.stop()
        scheduler.join(timeout=10)
