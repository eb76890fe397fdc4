"""Thin tasks: one service call."""

from django_tasks import task

from manyi.followups.services import flag_overdue


@task()
def flag_overdue_followups() -> dict[str, int]:
    """Flag overdue follow-up calls and unreturned phone messages (once each)."""
    return flag_overdue()
