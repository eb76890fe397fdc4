"""The follow-up call's life: scheduled when a case is resolved, called, retried, expired,
finished; "not satisfied" reopens the case and tells the owner and the supervisor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import at
from manyi.accounts.choices import Role
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import SlaPolicy
from manyi.core.errors import ConflictError, DomainError, ValidationFailed
from manyi.core.tests.factories import UserFactory
from manyi.followups import services
from manyi.followups.choices import FollowUpState
from manyi.followups.models import FollowUp, FollowUpAttempt
from manyi.followups.tests.helpers import resolve, resolved_case
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 10, 0)  # Monday


def test_resolving_schedules_a_call_seven_days_later_due_at_the_end_of_that_business_day(
    agent, customer, category
):
    case, f = resolved_case(agent, customer, category, at=MON)
    assert f.state == FollowUpState.OPEN
    assert f.assigned_to == agent and f.reason == "complaint" and f.store_id == case.store_id
    assert f.scheduled_for == dt.date(2026, 3, 9)
    assert f.due_at == at(2026, 3, 9, 18, 0)  # the store calendar closes at 18:00
    event = AuditEvent.objects.filter(case=case, kind=EventKind.FOLLOWUP).get()
    assert event.changes["scheduled_for"] == [None, "2026-03-09"]


def test_a_call_falling_on_a_weekend_is_due_at_the_end_of_the_next_working_day(
    agent, customer, category
):
    _case, f = resolved_case(agent, customer, category, at=at(2026, 3, 7, 11, 0))  # Saturday
    assert f.scheduled_for == dt.date(2026, 3, 14)
    assert f.due_at == at(2026, 3, 16, 18, 0)


def test_followup_days_come_from_the_sla_policy_and_zero_means_no_call(agent, customer, category):
    SlaPolicy.objects.filter(organisation=agent.organisation).update(followup_days=3)
    _case, f = resolved_case(agent, customer, category, at=MON)
    assert f.scheduled_for == dt.date(2026, 3, 5)
    SlaPolicy.objects.filter(organisation=agent.organisation).update(followup_days=0)
    from manyi.cases.services import create_case

    second = create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary="又一次",
        now=MON,
    )
    resolve(second, agent, MON)
    assert not FollowUp.objects.filter(case=second).exists()


def test_no_answer_moves_the_call_to_the_next_working_day_and_the_third_expires_it(
    agent, customer, category
):
    _case, f = resolved_case(agent, customer, category, at=MON)
    first_call = at(2026, 3, 13, 16, 0)  # Friday (the call was due Monday 9th: late)
    f = services.record_attempt(actor=agent, followup=f, result="no_answer", now=first_call)
    assert f.state == FollowUpState.OPEN and f.attempts == 1
    assert f.scheduled_for == dt.date(2026, 3, 16)  # Monday: the weekend is skipped
    assert f.due_at == at(2026, 3, 16, 18, 0)
    assert f.missed  # the first call was made after the due time

    f = services.record_attempt(
        actor=agent,
        followup=f,
        result="no_answer",
        reschedule_to=dt.date(2026, 3, 18),
        now=at(2026, 3, 16, 10, 0),
    )
    assert f.state == FollowUpState.OPEN and f.attempts == 2
    assert (f.scheduled_for, f.due_at) == (dt.date(2026, 3, 18), at(2026, 3, 18, 18, 0))

    f = services.record_attempt(
        actor=agent, followup=f, result="no_answer", note="关机", now=at(2026, 3, 18, 11, 0)
    )
    assert f.state == FollowUpState.EXPIRED
    assert f.result == "no_answer" and f.attempts == 3
    assert f.completed_at == at(2026, 3, 18, 11, 0)
    assert f.missed
    assert list(
        FollowUpAttempt.objects.filter(followup=f).values_list("rescheduled_for", flat=True)
    ) == [
        dt.date(2026, 3, 16),
        dt.date(2026, 3, 18),
        None,
    ]
    with pytest.raises(DomainError):
        services.record_attempt(actor=agent, followup=f, result="reached", satisfaction="yes")


def test_expiry_counts_as_missed_even_when_every_call_was_on_time(agent, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    for day in (9, 10, 11):
        f = services.record_attempt(
            actor=agent, followup=f, result="no_answer", now=at(2026, 3, day, 10, 0)
        )
    assert f.state == FollowUpState.EXPIRED and f.missed


@pytest.mark.parametrize("result", ["wrong_number", "refused"])
def test_wrong_number_and_refused_finish_the_follow_up_without_satisfaction(
    agent, customer, category, result
):
    _case, f = resolved_case(agent, customer, category, at=MON)
    f = services.record_attempt(actor=agent, followup=f, result=result, now=at(2026, 3, 9, 10, 0))
    assert (f.state, f.result, f.satisfaction, f.missed) == (FollowUpState.DONE, result, "", False)
    with pytest.raises(ValidationFailed) as e:
        other = services.schedule_followup(
            actor=agent,
            customer=customer,
            reason="customer_care",
            assigned_to=agent,
            scheduled_for=dt.date(2026, 3, 9),
            now=at(2026, 3, 9, 10, 0),
        )
        services.record_attempt(actor=agent, followup=other, result=result, satisfaction="yes")
    assert "satisfaction" in e.value.fields


def test_reached_and_satisfied_is_done_and_on_the_case_timeline(agent, customer, category):
    case, f = resolved_case(agent, customer, category, at=MON)
    f = services.record_attempt(
        actor=agent,
        followup=f,
        result="reached",
        satisfaction="yes",
        note="客户很满意",
        now=at(2026, 3, 9, 11, 0),
    )
    assert (f.state, f.result, f.satisfaction) == (FollowUpState.DONE, "reached", "yes")
    assert f.completed_at == at(2026, 3, 9, 11, 0) and not f.missed
    event = AuditEvent.objects.filter(case=case, kind=EventKind.FOLLOWUP).order_by("id").last()
    assert event.changes == {"result": [None, "reached"], "satisfaction": [None, "yes"]}
    assert event.message == "客户很满意"
    case.refresh_from_db()
    assert case.status == "resolved"


def test_done_after_the_due_time_is_missed(agent, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    f = services.record_attempt(
        actor=agent, followup=f, result="reached", satisfaction="partly", now=at(2026, 3, 10, 9, 5)
    )
    assert f.state == FollowUpState.DONE and f.missed


def test_reached_needs_the_satisfaction(agent, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    with pytest.raises(ValidationFailed) as e:
        services.record_attempt(actor=agent, followup=f, result="reached")
    assert "satisfaction" in e.value.fields
    with pytest.raises(ValidationFailed) as e:
        services.record_attempt(actor=agent, followup=f, result="maybe")
    assert "result" in e.value.fields
    f.refresh_from_db()
    assert f.attempts == 0 and not FollowUpAttempt.objects.exists()


def test_not_satisfied_reopens_the_case_and_tells_owner_and_supervisor(
    agent, supervisor, customer, category
):
    case, f = resolved_case(agent, customer, category, at=MON)
    services.record_attempt(
        actor=agent,
        followup=f,
        result="reached",
        satisfaction="no",
        note="车还是有异响",
        now=at(2026, 3, 9, 14, 0),
    )
    case.refresh_from_db()
    assert case.status == "in_progress" and case.resolved_at is None
    reopened = AuditEvent.objects.get(case=case, kind=EventKind.REOPENED)
    assert "车还是有异响" in reopened.message
    told = Notification.objects.filter(kind="followup_unsatisfied", case=case)
    assert set(told.values_list("recipient__username", flat=True)) == {"agent", "supervisor"}
    f.refresh_from_db()
    assert f.state == FollowUpState.DONE  # not cancelled by the reopening
    # Resolving again schedules a new call.
    resolve(case, agent, at(2026, 3, 10, 10, 0))
    assert FollowUp.objects.filter(case=case, state=FollowUpState.OPEN).count() == 1


def test_not_satisfied_on_a_case_that_is_open_again_only_tells(
    agent, supervisor, customer, category
):
    from manyi.cases.services import create_case

    case = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="未结", now=MON
    )
    f = services.schedule_followup(
        actor=agent,
        customer=customer,
        case=case,
        reason="service_visit",
        assigned_to=agent,
        scheduled_for=dt.date(2026, 3, 3),
        now=MON,
    )
    services.record_attempt(
        actor=agent, followup=f, result="reached", satisfaction="no", now=at(2026, 3, 3, 9, 0)
    )
    case.refresh_from_db()
    assert case.status == "new"
    assert not AuditEvent.objects.filter(case=case, kind=EventKind.REOPENED).exists()
    assert Notification.objects.filter(kind="followup_unsatisfied").count() == 2


def test_a_stale_version_is_refused(agent, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    services.record_attempt(actor=agent, followup=f, result="no_answer", version=1, now=MON)
    with pytest.raises(ConflictError):
        services.record_attempt(actor=agent, followup=f, result="no_answer", version=1, now=MON)


def test_staff_of_another_store_cannot_record_the_call(agent, agent_b, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    with pytest.raises(DomainError):
        services.record_attempt(actor=agent_b, followup=f, result="refused", now=MON)


def test_rescheduling_into_the_past_or_for_a_reached_call_is_refused(agent, customer, category):
    _case, f = resolved_case(agent, customer, category, at=MON)
    with pytest.raises(ValidationFailed) as e:
        services.record_attempt(
            actor=agent,
            followup=f,
            result="no_answer",
            reschedule_to=dt.date(2026, 3, 1),
            now=at(2026, 3, 9, 9, 0),
        )
    assert "reschedule_to" in e.value.fields
    with pytest.raises(ValidationFailed):
        services.record_attempt(
            actor=agent,
            followup=f,
            result="reached",
            satisfaction="yes",
            reschedule_to=dt.date(2026, 3, 20),
            now=at(2026, 3, 9, 9, 0),
        )


def test_an_unanswered_call_is_moved_at_most_two_weeks_after_the_attempt(
    agent, customer, category, settings
):
    _case, f = resolved_case(agent, customer, category, at=MON)
    attempt = at(2026, 3, 9, 9, 0)
    with pytest.raises(ValidationFailed) as e:
        services.record_attempt(
            actor=agent,
            followup=f,
            result="no_answer",
            reschedule_to=dt.date(2026, 3, 24),  # 15 days later
            now=attempt,
        )
    assert list(e.value.fields) == ["reschedule_to"]
    f.refresh_from_db()
    assert f.attempts == 0 and f.scheduled_for == dt.date(2026, 3, 9)
    f = services.record_attempt(
        actor=agent,
        followup=f,
        result="no_answer",
        reschedule_to=dt.date(2026, 3, 23),  # 14 days: allowed
        now=attempt,
    )
    assert f.scheduled_for == dt.date(2026, 3, 23)
    settings.MANYI_FOLLOWUP_MAX_RESCHEDULE_DAYS = 3
    with pytest.raises(ValidationFailed) as e:
        services.record_attempt(
            actor=agent,
            followup=f,
            result="no_answer",
            reschedule_to=dt.date(2026, 3, 27),
            now=at(2026, 3, 23, 9, 0),
        )
    assert "2026-03-26" in e.value.fields["reschedule_to"][0]


def test_the_call_after_resolving_counts_days_from_the_stores_date_not_the_servers(
    agent, customer, category
):
    # 07:00 on Monday 2 March in the store (Shanghai) is still Sunday 1 March in UTC.
    with timezone.override("UTC"):
        _case, f = resolved_case(agent, customer, category, at=at(2026, 3, 2, 7, 0))
    assert f.scheduled_for == dt.date(2026, 3, 9)
    assert f.due_at == at(2026, 3, 9, 18, 0)


# --- scheduling for other reasons -------------------------------------------------------------


def test_schedule_a_service_visit_call_for_a_colleague(agent, supervisor, customer):
    f = services.schedule_followup(
        actor=supervisor,
        customer=customer,
        reason="service_visit",
        assigned_to=agent,
        scheduled_for=dt.date(2026, 3, 7),  # Saturday
        note="保养后回访",
        now=MON,
    )
    assert f.due_at == at(2026, 3, 9, 18, 0)
    assert f.case is None and f.created_by == supervisor
    event = AuditEvent.objects.get(customer=customer, kind=EventKind.FOLLOWUP)
    assert event.case_id is None
    assert event.changes["followup_reason"] == [None, "service_visit"]
    assert Notification.objects.filter(recipient=agent, kind="followup_assigned").exists()
    # The customer-level outcome goes on the customer's timeline.
    services.record_attempt(
        actor=agent, followup=f, result="reached", satisfaction="yes", now=at(2026, 3, 9, 9, 0)
    )
    assert AuditEvent.objects.filter(customer=customer, kind=EventKind.FOLLOWUP).count() == 2


def test_scheduling_checks_date_assignee_store_and_case(
    agent, agent_b, customer, customer_b, store_a, category, other_org
):
    with pytest.raises(ValidationFailed) as e:
        services.schedule_followup(
            actor=agent,
            customer=customer,
            reason="prospect",
            assigned_to=agent_b,
            scheduled_for=dt.date(2026, 3, 1),
            now=MON,
        )
    assert set(e.value.fields) == {"assigned_to", "scheduled_for"}
    with pytest.raises(ValidationFailed) as e:
        services.schedule_followup(
            actor=agent,
            customer=customer,
            reason="complaint",
            assigned_to=agent,
            scheduled_for=dt.date(2026, 3, 3),
            now=MON,
        )
    assert "case" in e.value.fields
    with pytest.raises(ValidationFailed) as e:
        services.schedule_followup(
            actor=agent,
            customer=other_org["customer"],
            reason="prospect",
            assigned_to=agent,
            scheduled_for=dt.date(2026, 3, 3),
            now=MON,
        )
    assert "customer" in e.value.fields
    inactive = UserFactory(store=store_a, role=Role.AGENT, is_active=False)
    with pytest.raises(ValidationFailed) as e:
        services.schedule_followup(
            actor=agent,
            customer=customer,
            reason="prospect",
            assigned_to=inactive,
            scheduled_for=dt.date(2026, 3, 3),
            now=MON,
        )
    assert "assigned_to" in e.value.fields


def test_reopening_a_case_cancels_its_open_call(agent, customer, category):
    from manyi.cases.services import reopen_case

    case, f = resolved_case(agent, customer, category, at=MON)
    reopen_case(actor=agent, case=case, reason="客户又来电", now=at(2026, 3, 3, 9, 0))
    f.refresh_from_db()
    assert f.state == FollowUpState.CANCELLED
