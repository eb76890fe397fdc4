"""Phone messages for absent colleagues: due by the end of the next working day on the store's
calendar (across weekends, holidays and make-up working days), who may mark them returned."""

from __future__ import annotations

import pytest
from django.utils import translation

from conftest import at
from manyi.accounts.choices import Role
from manyi.audit.models import AuditEvent, EventKind
from manyi.core.errors import DomainError, ValidationFailed
from manyi.core.tests.factories import UserFactory
from manyi.followups import services
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def take(actor, for_user, received_at, **kw):
    data = {"caller_name": "王先生", "caller_phone": "139 1234 5678", "reason": "询问保养费用"}
    data.update(kw)
    return services.take_message(
        actor=actor, for_user=for_user, received_at=received_at, now=received_at, **data
    )


def test_a_message_taken_on_friday_is_due_at_the_end_of_monday(agent, supervisor):
    m = take(supervisor, agent, at(2026, 3, 6, 15, 30))
    assert m.due_at == at(2026, 3, 9, 18, 0)
    assert m.caller_phone == "13912345678"  # normalised
    assert m.store == agent.store and m.taken_by == supervisor


def test_a_message_taken_before_national_day_is_due_after_the_holiday(agent, supervisor):
    # National Day 2026: 1–7 October off; Thursday the 8th is the next working day.
    m = take(supervisor, agent, at(2026, 9, 30, 17, 0))
    assert m.due_at == at(2026, 10, 8, 18, 0)


def test_a_make_up_saturday_counts_as_the_next_working_day(agent, supervisor):
    # Saturday 10 October 2026 is an official make-up working day (调休).
    m = take(supervisor, agent, at(2026, 10, 9, 10, 0))
    assert m.due_at == at(2026, 10, 10, 18, 0)


def test_a_message_taken_on_a_weekend_is_due_at_the_end_of_the_next_working_day(agent, supervisor):
    m = take(supervisor, agent, at(2026, 3, 7, 11, 0))  # Saturday → Monday
    assert m.due_at == at(2026, 3, 9, 18, 0)


def test_the_recipient_is_told_and_a_known_caller_is_linked(agent, supervisor, customer):
    m = take(supervisor, agent, at(2026, 3, 2, 9, 0), caller_phone="+86 138-1234-5678")
    assert m.customer == customer
    note = Notification.objects.get(recipient=agent, kind="phone_message")
    # No phone number in a notification (it stays in mailboxes): the name, and the number is
    # on the workbench.
    assert "13812345678" not in note.body and "5678" not in note.body
    assert "王先生" in note.body


def test_the_notification_says_whom_to_call_and_where_the_number_is(agent, supervisor):
    with translation.override("en"):
        take(supervisor, agent, at(2026, 3, 2, 9, 0), caller_phone="13812345678")
    note = Notification.objects.get(recipient=agent, kind="phone_message")
    assert "Please call 王先生 back by 2026-03-03 18:00" in note.body
    assert "workbench" in note.body and "1381234" not in note.body + note.subject


def test_bad_input_is_refused_field_by_field(agent, supervisor, other_org):
    with pytest.raises(ValidationFailed) as e:
        take(supervisor, agent, at(2026, 3, 2, 9, 0), caller_phone="12345", caller_name=" ")
    assert set(e.value.fields) == {"caller_phone", "caller_name"}
    with pytest.raises(ValidationFailed) as e:
        take(supervisor, other_org["user"], at(2026, 3, 2, 9, 0))
    assert set(e.value.fields) == {"for_user"}


def test_only_the_recipient_their_supervisor_or_a_manager_may_mark_it_returned(
    agent, supervisor, manager, store_a
):
    colleague = UserFactory(store=store_a, role=Role.AGENT, username="colleague")
    m = take(colleague, agent, at(2026, 3, 2, 9, 0))
    with pytest.raises(DomainError):
        services.return_message(actor=colleague, message=m, note="")
    for who in (agent, supervisor, manager):
        m2 = take(colleague, agent, at(2026, 3, 2, 9, 0))
        returned = services.return_message(
            actor=who, message=m2, note="已回电", now=at(2026, 3, 2, 11, 0)
        )
        assert returned.returned_at == at(2026, 3, 2, 11, 0) and returned.return_note == "已回电"
    services.return_message(actor=agent, message=m, note="")
    with pytest.raises(DomainError):
        services.return_message(actor=agent, message=m, note="")


def test_taking_and_returning_a_message_from_a_customer_is_on_their_timeline(
    agent, supervisor, customer
):
    with translation.override("en"):
        m = take(supervisor, agent, at(2026, 3, 2, 9, 0), caller_phone="13812345678")
    assert m.customer == customer
    taken = AuditEvent.objects.get(customer=customer, kind=EventKind.FOLLOWUP)
    assert taken.case_id is None and taken.actor == supervisor
    assert taken.message == f"Phone message taken for {agent}: 询问保养费用"
    assert taken.at == at(2026, 3, 2, 9, 0)
    with translation.override("en"):
        services.return_message(actor=agent, message=m, note="已约周三", now=at(2026, 3, 2, 15, 0))
    returned = AuditEvent.objects.filter(customer=customer, kind=EventKind.FOLLOWUP).latest("id")
    assert returned.pk != taken.pk and returned.actor == agent
    assert returned.message == f"Phone message for {agent} returned: 已约周三"
    assert returned.at == at(2026, 3, 2, 15, 0)
    # Both show on the customer's timeline, and read as they should there.
    from manyi.audit.presenters import describe_all
    from manyi.customers.selectors import customer_timeline

    shown = describe_all(customer_timeline(user=agent, customer=customer))
    bodies = {e.event_id: e.body for e in shown}
    assert bodies[taken.pk] == taken.message and bodies[returned.pk] == returned.message


def test_a_message_from_an_unknown_caller_records_no_customer_event(agent, supervisor):
    m = take(supervisor, agent, at(2026, 3, 2, 9, 0), caller_phone="13700001111")
    services.return_message(actor=agent, message=m, note="", now=at(2026, 3, 2, 15, 0))
    assert m.customer is None
    assert not AuditEvent.objects.filter(kind=EventKind.FOLLOWUP).exists()
