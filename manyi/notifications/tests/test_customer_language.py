"""Customer messages are written in the customer's preferred language unless the caller asks
for another; customer messages and staff notifications are claimed for sending the same way
(`claim_pending`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from manyi.cases.tests.ui_helpers import open_case
from manyi.core.tests.factories import CustomerFactory
from manyi.notifications.customer import deliver_customer_messages, send_to_customer
from manyi.notifications.models import CustomerMessage, DeliveryState, Notification
from manyi.notifications.services import (
    STALE_CLAIM,
    Message,
    claim_pending,
    queue_notifications,
)
from manyi.notifications.sms import MemorySmsBackend

pytestmark = pytest.mark.django_db


def _case(agent, category, i=0, **customer_fields):
    customer = CustomerFactory(store=agent.store, phone=f"1390000{i:04d}", **customer_fields)
    return open_case(agent, customer, category)


def test_the_message_follows_the_customers_language_unless_overridden(agent, category):
    english = _case(agent, category, 1, name="Tom Lee", language="en")
    chinese = _case(agent, category, 2, name="王芳")

    to_tom = send_to_customer(case=english, kind="case_resolved", context={}, dedupe_key="r")
    to_wang = send_to_customer(case=chinese, kind="case_resolved", context={}, dedupe_key="r")
    assert to_tom is not None and to_wang is not None
    assert to_tom.subject.startswith("Your complaint has been resolved")
    assert to_wang.subject.startswith("您的投诉已处理")

    override = send_to_customer(
        case=english, kind="case_resolved", context={}, dedupe_key="r-zh", language="zh-hans"
    )
    assert override is not None and override.body.startswith("Tom Lee您好")


def test_claim_pending_takes_pending_and_stale_rows_oldest_first_up_to_the_limit(agent, category):
    now = timezone.now()
    rows = []
    for i in range(4):
        case = _case(agent, category, i)
        message = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="c")
        assert message is not None
        rows.append(message)
    fresh, stale, pending, sent = rows
    CustomerMessage.objects.filter(pk=fresh.pk).update(
        state=DeliveryState.SENDING, claimed_at=now - dt.timedelta(minutes=1)
    )
    CustomerMessage.objects.filter(pk=stale.pk).update(
        state=DeliveryState.SENDING, claimed_at=now - STALE_CLAIM - dt.timedelta(seconds=1)
    )
    CustomerMessage.objects.filter(pk=sent.pk).update(state=DeliveryState.SENT)

    assert claim_pending(CustomerMessage.objects.all(), limit=1, now=now) == [stale.pk]
    assert claim_pending(CustomerMessage.objects.all(), limit=10, now=now) == [pending.pk]
    assert claim_pending(CustomerMessage.objects.all(), limit=10, now=now) == []
    claimed = CustomerMessage.objects.filter(pk__in=[stale.pk, pending.pk])
    assert set(claimed.values_list("state", "claimed_at")) == {(DeliveryState.SENDING, now)}
    assert CustomerMessage.objects.get(pk=fresh.pk).claimed_at == now - dt.timedelta(minutes=1)

    # The worker sends what is still pending; the stale and fresh claims are not its own.
    CustomerMessage.objects.filter(pk=pending.pk).update(state=DeliveryState.PENDING)
    assert deliver_customer_messages() == 1
    assert [sms["to"] for sms in MemorySmsBackend.outbox] == [pending.to]


def test_claim_pending_serves_staff_notifications_too(agent, supervisor):
    queue_notifications(
        Message(recipient=user, kind="k", dedupe_key="d", subject="s", body="b")
        for user in (agent, supervisor)
    )
    now = timezone.now()
    ids = claim_pending(Notification.objects.filter(recipient=supervisor), limit=10, now=now)
    assert ids == [Notification.objects.get(recipient=supervisor).pk]
    assert Notification.objects.get(recipient=agent).state == DeliveryState.PENDING
