"""Delivery of the notification outbox: by email through Django's mail framework and by the SMS
adapter, each notification once — also with two workers delivering at once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, connections
from django.utils import timezone

from manyi.accounts.choices import Role
from manyi.core.tests.factories import UserFactory
from manyi.notifications.models import DeliveryState, Notification
from manyi.notifications.services import Message, deliver_pending, queue_notifications
from manyi.notifications.sms import MemorySmsBackend

pytestmark = pytest.mark.django_db

BROKEN_MOBILE = "13900000666"


class SmsGatewayRefusingOneNumber(MemorySmsBackend):
    def send(self, *, to: str, text: str) -> None:
        if to == BROKEN_MOBILE:
            raise RuntimeError("gateway: number blocked")
        super().send(to=to, text=text)


class UnreachableMailServer(LocmemBackend):
    def open(self) -> bool:
        raise ConnectionRefusedError("smtp: connection refused")


def queue(users, n_each=1, prefix="msg"):
    return queue_notifications(
        Message(
            recipient=u,
            kind="test",
            dedupe_key=f"{prefix}:{i}",
            subject=f"{prefix} {u.username} {i}",
            body=f"body {i}",
        )
        for u in users
        for i in range(n_each)
    )


def test_pending_notifications_go_out_once_by_email_and_sms(agent, supervisor, mailoutbox):
    queue([agent, supervisor])

    assert deliver_pending() == 2

    assert sorted((m.to[0], m.subject, m.body) for m in mailoutbox) == [
        (agent.email, "msg agent 0", "body 0"),
        (supervisor.email, "msg supervisor 0", "body 0"),
    ]
    assert sorted(s["to"] for s in MemorySmsBackend.outbox) == [agent.mobile, supervisor.mobile]
    rows = Notification.objects.all()
    assert {(n.state, n.attempts) for n in rows} == {(DeliveryState.SENT, 1)}
    assert all(n.sent_at is not None for n in rows)
    assert deliver_pending() == 0
    assert len(mailoutbox) == 2 and len(MemorySmsBackend.outbox) == 2


def test_the_same_dedupe_key_is_queued_once(agent, mailoutbox):
    queue([agent])
    queue([agent])

    assert Notification.objects.count() == 1
    assert deliver_pending() == 1
    assert len(mailoutbox) == 1


def test_a_recipient_without_email_gets_the_sms_only(store_a, mailoutbox):
    no_mail = UserFactory(store=store_a, role=Role.AGENT, email="", mobile="13900000009")
    queue([no_mail])

    assert deliver_pending() == 1

    assert mailoutbox == []
    assert MemorySmsBackend.outbox == [{"to": "13900000009", "text": f"msg {no_mail.username} 0"}]


def test_one_failing_message_does_not_stop_the_others(store_a, agent, supervisor, settings):
    settings.MANYI_SMS_BACKEND = f"{__name__}.SmsGatewayRefusingOneNumber"
    blocked = UserFactory(store=store_a, role=Role.AGENT, mobile=BROKEN_MOBILE)
    queue([agent, blocked, supervisor])

    assert deliver_pending() == 2

    failed = Notification.objects.get(recipient=blocked)
    assert failed.state == DeliveryState.FAILED
    assert failed.attempts == 1
    assert "number blocked" in failed.error
    assert set(Notification.objects.exclude(recipient=blocked).values_list("state", flat=True)) == {
        DeliveryState.SENT
    }
    assert deliver_pending() == 0  # a failed message is not retried behind the admin's back


def test_unreachable_mail_server_sends_nothing_and_keeps_them_pending(
    agent, supervisor, settings, mailoutbox
):
    queue([agent, supervisor])
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"

    assert deliver_pending() == 0

    assert set(Notification.objects.values_list("state", "claimed_at")) == {
        (DeliveryState.PENDING, None)
    }
    assert MemorySmsBackend.outbox == []  # no SMS without its email
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_pending() == 2
    assert len(mailoutbox) == 2


def test_a_stale_claim_is_taken_over_and_a_fresh_one_is_left_alone(agent, supervisor, mailoutbox):
    queue([agent, supervisor])
    now = timezone.now()
    Notification.objects.filter(recipient=agent).update(
        state=DeliveryState.SENDING, claimed_at=now - dt.timedelta(minutes=11)
    )  # its worker died
    Notification.objects.filter(recipient=supervisor).update(
        state=DeliveryState.SENDING, claimed_at=now - dt.timedelta(minutes=1)
    )  # its worker is still at it

    assert deliver_pending() == 1

    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert Notification.objects.get(recipient=supervisor).state == DeliveryState.SENDING


def test_each_run_sends_at_most_the_limit(agent, mailoutbox):
    queue([agent], n_each=5)

    assert [deliver_pending(limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert sorted(m.subject for m in mailoutbox) == [f"msg agent {i}" for i in range(5)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_send_each_notification_once(store_a, supervisor):
    users = [
        UserFactory(store=store_a, role=Role.AGENT, mobile=f"1390000{i:04d}") for i in range(3)
    ]
    users.append(supervisor)
    queue(users, n_each=20)
    mail.outbox = []
    barrier = threading.Barrier(2)
    sent = [0, 0]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            while n := deliver_pending(limit=7):
                sent[i] += n
        except BaseException as e:  # reported by the test thread
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors, errors
    assert sum(sent) == 80
    emails = Counter((m.to[0], m.subject) for m in mail.outbox)
    assert len(emails) == 80 and set(emails.values()) == {1}
    sms = Counter((s["to"], s["text"]) for s in MemorySmsBackend.outbox)
    assert len(sms) == 80 and set(sms.values()) == {1}
    assert set(Notification.objects.values_list("state", "attempts")) == {(DeliveryState.SENT, 1)}
