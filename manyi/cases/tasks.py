"""Thin tasks: ids in, one service call."""

from django_tasks import task

from manyi.cases.sweep import sweep
from manyi.notifications.services import deliver_pending


@task()
def sweep_sla() -> dict[str, int]:
    result = sweep()
    # Deliver what an earlier run queued but did not send (a worker that died, say).
    sent = deliver_pending()
    return {
        "warned": result.warned,
        "breached": result.breached,
        "escalated": result.escalated,
        "sent": sent,
    }
