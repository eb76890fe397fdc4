"""Thin tasks of the analytics app: one service call each, and their scheduling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task

from manyi.analytics.alerts import sweep_alerts

ALERT_SWEEP_EVERY = dt.timedelta(hours=1)
_last_enqueued: dt.datetime | None = None


@task()
def sweep_alerts_task() -> dict[str, Any]:
    """Raise early-warning alerts for out-of-control complaint rates (once per signal)."""
    return sweep_alerts()


@task()
def warm_snapshots_task() -> dict[str, Any]:
    """Precompute the heavy analytics pages' default views (manyi.analytics.snapshots)."""
    from manyi.analytics.snapshots import warm_all

    return warm_all()


def schedule_alert_sweep(*, now: dt.datetime | None = None) -> str | None:
    """Enqueue `sweep_alerts_task` at most once an hour; return its id, or None when skipped.

    Hourly is enough: the charts only look at complete days or weeks, so a new signal can
    only appear after midnight or when late services or complaints are imported, and an
    alert an hour later is still early. The sweep is idempotent (at most one alert per
    signal), so a second run would add nothing but work. With the database task backend the
    guard reads the task table (it holds across worker processes and restarts): skipped when
    a sweep is waiting or one was enqueued in the last hour; with another backend a
    per-process clock does it."""
    global _last_enqueued
    now = now or timezone.now()
    from manyi.core.worker import uses_database_backend

    if uses_database_backend(sweep_alerts_task.backend):
        from django_tasks_db.models import DBTaskResult

        mine = DBTaskResult.objects.filter(
            task_path=sweep_alerts_task.module_path, backend_name=sweep_alerts_task.backend
        )
        recent = mine.filter(enqueued_at__gt=now - ALERT_SWEEP_EVERY).exists()
        if recent or mine.ready().exists():
            return None
    elif _last_enqueued is not None and now - _last_enqueued < ALERT_SWEEP_EVERY:
        return None
    result = sweep_alerts_task.enqueue()
    # The same hour: precompute the heavy pages' default views (they must not be older
    # than their max_age: an hour after they are due).
    warm_snapshots_task.enqueue()
    _last_enqueued = now
    return str(result.id)
