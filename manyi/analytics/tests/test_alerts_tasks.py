"""The early warning outside the pages: the worker's task and its hourly guard, the
`manyi alerts` command and the demo's spike."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command

from manyi.analytics import tasks
from manyi.analytics.demo import raise_demo_alerts
from manyi.analytics.models import Alert
from manyi.analytics.tests.data_alerts import NOW, weekly, weekly_settings

pytestmark = pytest.mark.django_db


def test_the_sweep_is_enqueued_at_most_once_an_hour(monkeypatch: Any) -> None:
    monkeypatch.setattr(tasks, "_last_enqueued", None)
    assert tasks.schedule_alert_sweep(now=NOW) is not None
    assert tasks.schedule_alert_sweep(now=NOW + dt.timedelta(minutes=59)) is None
    assert tasks.schedule_alert_sweep(now=NOW + dt.timedelta(minutes=61)) is not None


def test_the_task_runs_the_sweep(org: Any, monkeypatch: Any) -> None:
    calls: list[int] = []

    def fake() -> dict[str, Any]:
        calls.append(1)
        return {"raised": []}

    monkeypatch.setattr(tasks, "sweep_alerts", fake)
    assert tasks.sweep_alerts_task.call() == {"raised": []}
    assert calls == [1]


def test_the_command_sweeps_and_lists(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any, monkeypatch: Any
) -> None:
    weekly_settings(org)
    weekly(agent, customer, category, [1, 2, 1, 2, 1, 2, 8, 1])
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out = io.StringIO()
    call_command("manyi_alerts", "sweep", "--org", org.name, stdout=out)
    assert Alert.objects.count() == 2
    assert "2026-03-30" in out.getvalue()
    listed = io.StringIO()
    call_command("manyi_alerts", "list", stdout=listed)
    # Two alerts, each a signal of one week: "2026-03-30 – 2026-03-30".
    assert listed.getvalue().count("2026-03-30 – 2026-03-30") == 2


def test_the_demo_spike_raises_an_alert(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any
) -> None:
    weekly_settings(org)
    weekly(agent, customer, category, [1, 2, 1, 2, 1, 2, 1, 1])
    result = raise_demo_alerts(org, NOW)
    assert result["spike_cases"] > 0
    assert result["raised"]
    alert = Alert.objects.get(category_id=category.parent_id)
    # Both spiked weeks are one signal: 30 March and 6 April.
    assert (alert.signal_start, alert.last_period, alert.points) == (
        dt.date(2026, 3, 30),
        dt.date(2026, 4, 6),
        2,
    )
