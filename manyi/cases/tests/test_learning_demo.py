"""The demo data learns from its cases too: every resolved or closed demo case has an
outcome, every closed one a root cause, its note and a corrective action."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from manyi.cases.choices import Outcome, RootCause
from manyi.cases.models import Case
from manyi.core.demo import build_plan, load_demo

NOW = dt.datetime(2026, 3, 18, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_every_planned_resolution_has_an_outcome_and_every_closing_a_lesson():
    plan = build_plan(size="full", now=NOW)
    steps = [s for c in plan.cases for s in c.steps if s.action == "status"]
    resolutions = [s for s in steps if s.args["status"] == "resolved"]
    closings = [s for s in steps if s.args["status"] == "closed"]
    assert resolutions and closings
    assert all(s.args["outcome"] in Outcome.values for s in resolutions)
    assert {s.args["outcome"] for s in resolutions} == set(Outcome.values)
    for s in closings:
        assert s.args["root_cause"] in RootCause.values
        assert s.args["root_cause_note"] and s.args["corrective_action"]
    assert len({s.args["root_cause"] for s in closings}) >= 5


@pytest.mark.django_db
def test_loaded_demo_cases_carry_outcome_and_root_cause(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = load_demo(size="small", now=NOW).organisation
    done = Case.objects.filter(organisation=org, status__in=["resolved", "closed"])
    closed = done.filter(status="closed")
    assert closed.exists()
    assert not done.filter(outcome="").exists()
    assert not closed.filter(root_cause="").exists()
    assert not closed.filter(root_cause_note="").exists()
    assert not closed.filter(corrective_action="").exists()
