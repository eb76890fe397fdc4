"""Thin tasks: one service call."""

from django_tasks import task

from manyi.surveys.rules import run_rules


@task()
def run_survey_rules() -> dict[str, int]:
    """Invite for closed cases and reached follow-ups that an active rule covers (once each)."""
    return run_rules()
