"""The overdue sweep flags each late follow-up call and unreturned message exactly once and
tells the person and their supervisor; the omission rate counts what was not done on time."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import at
from manyi.followups import services
from manyi.followups.choices import FollowUpState
from manyi.followups.models import FollowUp, PhoneMessage
from manyi.followups.selectors import omission_rate
from manyi.followups.tests.helpers import resolved_case
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 10, 0)


def test_flag_overdue_flags_each_once_and_tells_the_person_and_the_supervisor(
    agent, supervisor, customer, category
):
    _case, f = resolved_case(agent, customer, category, at=MON)  # due Mon 9 March 18:00
    message = services.take_message(
        actor=supervisor,
        for_user=agent,
        caller_name="王先生",
        caller_phone="13912345678",
        reason="回电",
        received_at=MON,
        now=MON,
    )  # due Tue 3 March 18:00
    assert services.flag_overdue(now=at(2026, 3, 3, 17, 59)) == {
        "followups": 0,
        "messages": 0,
        "notifications": 0,
    }
    later = at(2026, 3, 9, 18, 1)
    first = services.flag_overdue(now=later)
    assert first["followups"] == 1 and first["messages"] == 1
    again = services.flag_overdue(now=later + dt.timedelta(minutes=5))
    assert again == {"followups": 0, "messages": 0, "notifications": 0}

    f.refresh_from_db()
    assert f.missed and f.flagged_at == later
    assert f.state == FollowUpState.OPEN  # still callable
    message.refresh_from_db()
    assert message.flagged_at == later
    late_calls = Notification.objects.filter(kind="followup_overdue")
    assert sorted(late_calls.values_list("recipient__username", flat=True)) == [
        "agent",
        "supervisor",
    ]
    late_messages = Notification.objects.filter(kind="message_overdue")
    assert sorted(late_messages.values_list("recipient__username", flat=True)) == [
        "agent",
        "supervisor",
    ]
    # Neither the person nor the supervisor gets the caller's number by notification.
    for note in late_messages:
        assert "王先生" in note.body
        assert "12345678" not in note.body and "12345678" not in note.subject


def test_a_rescheduled_call_is_watched_again(agent, supervisor, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    services.flag_overdue(now=at(2026, 3, 10, 9, 0))
    f = services.record_attempt(
        actor=agent, followup=f, result="no_answer", now=at(2026, 3, 10, 9, 30)
    )
    assert f.flagged_at is None and f.due_at == at(2026, 3, 11, 18, 0)
    assert services.flag_overdue(now=at(2026, 3, 12, 9, 0))["followups"] == 1
    assert Notification.objects.filter(kind="followup_overdue", recipient=agent).count() == 2


def test_done_and_returned_work_is_not_flagged(agent, supervisor, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    services.record_attempt(
        actor=agent, followup=f, result="reached", satisfaction="yes", now=at(2026, 3, 9, 9, 0)
    )
    m = services.take_message(
        actor=supervisor,
        for_user=agent,
        caller_name="李",
        caller_phone="13912345678",
        reason="x",
        received_at=MON,
        now=MON,
    )
    services.return_message(actor=agent, message=m, note="", now=MON)
    assert services.flag_overdue(now=at(2026, 4, 1, 9, 0))["notifications"] == 0


def test_omission_rate_counts_calls_and_messages_not_done_on_time(
    agent, supervisor, store_a, store_b, agent_b, customer, customer_b, category
):
    def call(who, cust, day):
        return services.schedule_followup(
            actor=who,
            customer=cust,
            reason="customer_care",
            assigned_to=who,
            scheduled_for=day,
            now=MON,
        )

    on_time = call(agent, customer, dt.date(2026, 3, 3))
    services.record_attempt(
        actor=agent, followup=on_time, result="reached", satisfaction="yes", now=at(2026, 3, 3, 9)
    )
    late = call(agent, customer, dt.date(2026, 3, 3))
    services.record_attempt(actor=agent, followup=late, result="refused", now=at(2026, 3, 4, 9, 0))
    call(agent, customer, dt.date(2026, 3, 4))  # never called: open past due
    cancelled = call(agent, customer, dt.date(2026, 3, 4))
    FollowUp.objects.filter(pk=cancelled.pk).update(state=FollowUpState.CANCELLED)
    call(agent, customer, dt.date(2026, 3, 20))  # due after the period
    call(agent_b, customer_b, dt.date(2026, 3, 3))  # another store

    def message(received, returned):
        m = services.take_message(
            actor=supervisor,
            for_user=agent,
            caller_name="来电人",
            caller_phone="13912345678",
            reason="x",
            received_at=received,
            now=received,
        )
        if returned is not None:
            services.return_message(actor=agent, message=m, note="", now=returned)

    message(at(2026, 3, 2, 9, 0), at(2026, 3, 3, 10, 0))  # due Tue 18:00, on time
    message(at(2026, 3, 2, 9, 0), at(2026, 3, 4, 10, 0))  # late
    message(at(2026, 3, 3, 9, 0), None)  # due Wed 18:00, never returned

    start, end, now = at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), at(2026, 3, 10, 9, 0)
    assert omission_rate([store_a.pk], start, end, now=now) == (4, 6, 4 / 6)
    assert omission_rate([store_a.pk, store_b.pk], start, end, now=now) == (5, 7, 5 / 7)
    # Before the deadlines have passed, open work is not missed yet.
    assert omission_rate([store_a.pk], start, end, now=at(2026, 3, 2, 12, 0))[0] == 2
    assert omission_rate([store_a.pk], at(2026, 1, 1), at(2026, 2, 1), now=now) == (0, 0, None)
    assert PhoneMessage.objects.count() == 3
