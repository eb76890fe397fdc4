"""`manyi followups due` prints the calls to make per person; the worker schedules the
overdue sweep."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from conftest import at
from manyi.cli import main
from manyi.core.tests.factories import CustomerFactory
from manyi.followups import services
from manyi.followups.tests.helpers import resolved_case

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 9, 10, 0)  # Monday


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("manyi_followups", *args, stdout=out)
    return out.getvalue()


def test_due_prints_calls_per_person_with_overdue_messages_and_next_customer(
    agent, supervisor, store_a, customer, category
):
    resolved_case(agent, customer, category, at=at(2026, 2, 27, 10, 0))  # due Fri 6th: overdue
    resolved_case(agent, customer, category, at=at(2026, 3, 2, 10, 0))  # due today
    services.schedule_followup(
        actor=supervisor,
        customer=CustomerFactory(store=store_a, name="钱七"),
        reason="prospect",
        assigned_to=supervisor,
        scheduled_for=dt.date(2026, 3, 9),
    )
    services.schedule_followup(  # tomorrow: not due today
        actor=supervisor,
        customer=customer,
        reason="prospect",
        assigned_to=supervisor,
        scheduled_for=dt.date(2026, 3, 10),
    )
    services.take_message(
        actor=supervisor, for_user=agent, caller_name="x", caller_phone="13912345678", reason="x"
    )
    out = run("due", "--org", agent.organisation.name)
    lines = out.splitlines()
    agent_line = next(line for line in lines if str(agent) in line)
    assert [cell.strip() for cell in agent_line.split("│")[1:-1]] == [
        str(agent),
        "浦东店",
        "2",
        "1",
        "1",
        "张伟",
        "2026-03-06 18:00",
    ]
    supervisor_line = next(line for line in lines if str(supervisor) in line)
    assert "钱七" in supervisor_line
    total_label = translation.gettext("total")  # the command speaks the active language
    total = next(line for line in lines if total_label in line)
    assert [c.strip() for c in total.split("│")[3:6]] == ["3", "1", "1"]
    # Another day: tomorrow's call shows; today's and earlier ones too (still open).
    tomorrow = run("due", "--date", "2026-03-10")
    assert "钱七" in tomorrow
    sup = next(line for line in tomorrow.splitlines() if str(supervisor) in line)
    assert sup.split("│")[3].strip() == "2"


def test_due_with_nothing_to_do_says_so(org, agent):
    assert "2026-03-09" in run("due")


def test_due_refuses_a_bad_date(org):
    with pytest.raises(CommandError):
        run("due", "--date", "9 March")


def test_the_console_command_has_followups(agent, capsys):
    assert main(["--help"]) == 0
    assert "followups due" in capsys.readouterr().out
    main(["followups", "due"])
    assert "2026-03-09" in capsys.readouterr().out


def test_the_scheduler_enqueues_the_overdue_sweep_once(settings):
    from django_tasks_db.models import DBTaskResult

    from manyi.core.worker import schedule_followup_sweep

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    first = schedule_followup_sweep()
    assert first is not None
    assert schedule_followup_sweep() is None
    task = DBTaskResult.objects.get(task_path="manyi.followups.tasks.flag_overdue_followups")
    assert str(task.id) == first


def test_the_task_runs_the_sweep(agent, customer, category):
    from manyi.followups.tasks import flag_overdue_followups

    resolved_case(agent, customer, category, at=at(2026, 2, 27, 10, 0))
    assert flag_overdue_followups.call()["followups"] == 1
