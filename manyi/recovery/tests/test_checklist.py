"""The nine-principle checklist of a case: ticks with who and when, idempotent ticking,
unticking, and the timeline."""

from __future__ import annotations

import pytest

from conftest import at
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.errors import DomainError, NotFound
from manyi.recovery import selectors, services
from manyi.recovery.choices import Principle
from manyi.recovery.models import ChecklistTick

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category)


def checklist_events(case):
    return [
        e.changes["principle"]
        for e in AuditEvent.objects.filter(case=case, kind=EventKind.CHECKLIST).order_by("id")
    ]


def test_the_checklist_has_the_nine_principles_in_order(case):
    rows = selectors.checklist(case)
    assert [r.principle for r in rows] == [
        "act_fast",
        "admit",
        "customer_view",
        "no_arguing",
        "feelings",
        "steps",
        "informed",
        "compensation",
        "goodwill",
    ]
    assert all(r.tick is None for r in rows)


def test_ticking_records_who_and_when_and_the_timeline(case, agent):
    tick = services.tick_principle(
        actor=agent, case=case, principle=Principle.ACT_FAST, now=at(2026, 3, 9, 9, 5)
    )
    assert tick.by == agent and tick.at == at(2026, 3, 9, 9, 5)
    row = selectors.checklist(case)[0]
    assert row.tick is not None and row.tick.by == agent
    assert checklist_events(case) == [[None, "act_fast"]]


def test_ticking_twice_keeps_the_first_tick_and_records_nothing_more(case, agent, supervisor):
    services.tick_principle(actor=agent, case=case, principle="admit", now=at(2026, 3, 9, 9, 0))
    again = services.tick_principle(
        actor=supervisor, case=case, principle="admit", now=at(2026, 3, 9, 11, 0)
    )
    assert again.by == agent and again.at == at(2026, 3, 9, 9, 0)
    assert ChecklistTick.objects.filter(case=case).count() == 1
    assert checklist_events(case) == [[None, "admit"]]


def test_unticking_removes_the_tick_once(case, agent, supervisor):
    services.tick_principle(actor=agent, case=case, principle="steps")
    assert services.untick_principle(actor=supervisor, case=case, principle="steps") is True
    assert not ChecklistTick.objects.filter(case=case).exists()
    assert services.untick_principle(actor=supervisor, case=case, principle="steps") is False
    assert checklist_events(case) == [[None, "steps"], ["steps", None]]
    event = AuditEvent.objects.filter(case=case, kind=EventKind.CHECKLIST).latest("id")
    assert event.actor == supervisor


def test_unknown_principle_closed_case_and_scope_are_refused(case, agent, agent_b, other_org):
    with pytest.raises(DomainError) as e:
        services.tick_principle(actor=agent, case=case, principle="bribe")
    assert e.value.field == "principle"
    with pytest.raises(NotFound):
        services.tick_principle(actor=agent_b, case=case, principle="admit")
    with pytest.raises(NotFound):
        services.tick_principle(actor=other_org["user"], case=case, principle="admit")
    from manyi.cases.models import Case

    Case.objects.filter(pk=case.pk).update(status="closed")
    with pytest.raises(DomainError) as e:
        services.tick_principle(actor=agent, case=case, principle="admit")
    assert e.value.code == "case_closed"
    assert not ChecklistTick.objects.exists()
