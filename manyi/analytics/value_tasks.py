"""Thin tasks of customer value: the daily refresh of each organisation's `CustomerValue`
table (`schedule_value_refresh`, called by the worker's scheduler every minute, enqueues an
organisation's refresh once its last fit is `STALE_AFTER` old)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from manyi.accounts.models import Organisation
from manyi.analytics.models import ValueModelFit

#: A fit younger than this is fresh: the scheduler leaves the organisation alone.
STALE_AFTER = dt.timedelta(hours=20)


@task()
def refresh_values_task(organisation_id: int) -> dict[str, object]:
    """Recompute one organisation's customer values (`refresh_customer_values`)."""
    from manyi.analytics.value import refresh_customer_values

    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None:
        return {"organisation": organisation_id, "skipped": "gone"}
    fit = refresh_customer_values(organisation=org)
    return {
        "organisation": organisation_id,
        "customers": fit.customers,
        "seconds": fit.seconds,
        "error": fit.error,
    }


def _waiting(organisation_id: int) -> bool:
    """A refresh of this organisation is already queued or running (database backend
    only)."""
    from manyi.core.worker import uses_database_backend

    if not uses_database_backend(refresh_values_task.backend):
        return False
    from django_tasks_db.models import DBTaskResult

    # Queued or running: a refresh of a million transactions takes a while.
    waiting = DBTaskResult.objects.ready() | DBTaskResult.objects.running()
    return waiting.filter(
        task_path=refresh_values_task.module_path, args_kwargs__args=[organisation_id]
    ).exists()


def schedule_value_refresh(now: dt.datetime | None = None) -> list[int]:
    """Enqueue the refresh of every organisation whose fit is missing or older than
    STALE_AFTER and that has none queued; returns the organisations enqueued. Safe to call
    every minute."""
    now = now or timezone.now()
    fresh = ValueModelFit.objects.filter(computed_at__gt=now - STALE_AFTER).values(
        "organisation_id"
    )
    enqueued = []
    for org_id in Organisation.objects.exclude(pk__in=fresh).values_list("pk", flat=True):
        if _waiting(org_id):
            continue
        refresh_values_task.enqueue(org_id)
        enqueued.append(org_id)
    return enqueued
