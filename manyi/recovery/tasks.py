"""Thin tasks of service recovery: one service call each."""

from django_tasks import task

from manyi.recovery.guarantees import detect_breaches


@task()
def detect_guarantee_breaches() -> dict[str, int]:
    """Pay every broken guarantee not paid yet. The worker's scheduler enqueues this every
    minute next to the SLA sweep (manyi.core.worker), so a payout follows its breach within
    about a minute."""
    return {"paid": detect_breaches()}
