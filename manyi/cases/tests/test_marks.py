"""The case page works out a case's marks from its clocks; the lists and the dashboard work
them out in SQL. Both must say the same thing about every case."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from manyi.cases import selectors, services
from manyi.cases.choices import SlaState
from manyi.cases.models import CaseSla
from manyi.cases.tests.ui_helpers import make_breached, make_due_in, open_case


def _sql_marks(user, now):  # type: ignore[no-untyped-def]
    qs = selectors.with_marks(selectors.cases_for(user), now=now)
    return {c.pk: (c.is_breached, c.is_due_soon) for c in qs}


def test_case_page_marks_match_the_list_marks_in_every_sla_state(agent, customer, category):
    plain = open_case(agent, customer, category)
    breached = make_breached(open_case(agent, customer, category))
    overdue_not_swept = make_due_in(open_case(agent, customer, category), -5)
    soon = make_due_in(open_case(agent, customer, category), 30)
    later = make_due_in(open_case(agent, customer, category), 600)
    warned = open_case(agent, customer, category)
    CaseSla.objects.filter(case=warned, state=SlaState.ACTIVE).update(
        warned_at=timezone.now() - dt.timedelta(minutes=1)
    )
    resolved_late = make_breached(open_case(agent, customer, category))
    resolved_late = services.change_status(
        actor=agent, case=resolved_late, status="resolved", outcome="in_favour"
    )
    resolved_soon = make_due_in(open_case(agent, customer, category), 30)
    services.change_status(actor=agent, case=resolved_soon, status="resolved", outcome="in_favour")

    now = timezone.now()
    expected = {
        plain.pk: (False, False),
        breached.pk: (True, False),
        overdue_not_swept.pk: (True, False),
        soon.pk: (False, True),
        later.pk: (False, False),
        warned.pk: (False, True),
        resolved_late.pk: (True, False),
        resolved_soon.pk: (False, False),
    }
    assert _sql_marks(agent, now) == expected
    for pk, marks in expected.items():
        case = selectors.case_for(agent, pk, now=now)
        assert (case.is_breached, case.is_due_soon) == marks, case.number


def test_dashboard_figures_match_the_list_marks(agent, supervisor, customer, category):
    make_breached(open_case(agent, customer, category))
    make_due_in(open_case(agent, customer, category), -5)
    make_due_in(open_case(supervisor, customer, category), 30)
    warned = open_case(agent, customer, category)
    CaseSla.objects.filter(case=warned, state=SlaState.ACTIVE).update(
        warned_at=timezone.now() - dt.timedelta(minutes=1)
    )
    open_case(agent, customer, category)
    done = make_breached(open_case(agent, customer, category))
    services.change_status(actor=agent, case=done, status="resolved", outcome="in_favour")

    now = timezone.now()
    board = selectors.dashboard(supervisor, now=now)
    marks = selectors.with_marks(
        selectors.cases_for(supervisor).filter(status__in=selectors.OPEN), now=now
    )
    assert board.scope_open == marks.count() == 5
    assert board.scope_breached == sum(c.is_breached for c in marks) == 2
    assert board.scope_due_soon == sum(c.is_due_soon for c in marks) == 2
    assert (board.my_open, board.my_breached, board.my_due_soon) == (1, 0, 1)
    assert [c.is_breached for c in board.breached] == [True, True]
    assert {c.pk for c in board.due_soon} == {c.pk for c in marks if c.is_due_soon}
    (store,) = board.by_store
    assert (store.open, store.breached) == (5, 2)
