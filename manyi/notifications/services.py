"""Notifications to staff: an outbox row per recipient written in the caller's transaction,
delivered by email (Django's mail framework) and SMS (the adapter) after commit."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from manyi.accounts.models import User
from manyi.notifications.models import DeliveryState, Notification
from manyi.notifications.sms import get_sms_backend

log = logging.getLogger(__name__)
STALE_CLAIM = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Message:
    recipient: User
    kind: str
    dedupe_key: str
    subject: str
    body: str
    case_id: int | None = None


def queue_notifications(messages: Iterable[Message]) -> int:
    """Write outbox rows (one per recipient and dedupe key, repeats ignored) and have them
    delivered after the surrounding transaction commits."""
    rows = [
        Notification(
            organisation_id=m.recipient.organisation_id,
            recipient=m.recipient,
            case_id=m.case_id,
            kind=m.kind,
            dedupe_key=m.dedupe_key[:120],
            subject=m.subject[:200],
            body=m.body,
        )
        for m in messages
        if m.recipient.organisation_id is not None
    ]
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    schedule_delivery_on_commit()
    return len(rows)


def schedule_on_commit_once(fn: Callable[[], object]) -> None:
    """Have `fn` run when the current transaction commits, once however often this is called
    in it (outside a transaction, Django runs it at once)."""
    pending = getattr(connection, "run_on_commit", [])
    if any(entry[1] is fn for entry in pending):
        return
    transaction.on_commit(fn)


def schedule_delivery_on_commit() -> None:
    """One delivery task per transaction, however many notifications it queued."""
    schedule_on_commit_once(schedule_delivery)


def schedule_delivery() -> None:
    """Enqueue the delivery task (call it on commit of the transaction that queued rows)."""
    from manyi.notifications.tasks import deliver_notifications

    try:
        deliver_notifications.enqueue()
    except Exception:  # the sweep delivers what is left on its next run
        log.exception("could not enqueue notification delivery")


def claim_pending(rows: QuerySet[Any], *, limit: int, now: dt.datetime) -> list[int]:
    """Claim up to `limit` outbox rows of `rows` for sending and return their ids, oldest
    first: the pending ones, and those claimed more than STALE_CLAIM ago (their worker died).

    The rows are locked `FOR UPDATE SKIP LOCKED` (PostgreSQL; rows another worker is claiming
    are passed over) and marked `sending` with `claimed_at = now` in a short transaction of
    their own, which commits before the caller sends anything: two workers never send one row
    twice. `rows` is a queryset of an outbox model with `state` (DeliveryState) and
    `claimed_at`, e.g. `Notification.objects.all()`."""
    with transaction.atomic():
        ids = list(
            rows.filter(
                Q(state=DeliveryState.PENDING)
                | Q(state=DeliveryState.SENDING, claimed_at__lt=now - STALE_CLAIM)
            )
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            rows.model._default_manager.filter(id__in=ids).update(
                state=DeliveryState.SENDING, claimed_at=now
            )
    return ids


def deliver_pending(*, limit: int = 500) -> int:
    """Send pending notifications by email and SMS; returns how many were sent.

    Rows are claimed by `claim_pending` (so two workers never send one row twice, and a claim
    older than STALE_CLAIM is taken over). When the mail server cannot be reached at all, the
    claim is released and nothing is sent; a message that fails on its own is marked failed
    with the error, the others go out."""
    ids = claim_pending(Notification.objects.all(), limit=limit, now=timezone.now())
    if not ids:
        return 0
    batch = list(Notification.objects.filter(id__in=ids).select_related("recipient").order_by("id"))
    sms = get_sms_backend()
    mail = get_connection()
    try:
        mail.open()
    except Exception:
        log.exception("mail server unreachable; %d notifications stay pending", len(ids))
        Notification.objects.filter(id__in=ids, state=DeliveryState.SENDING).update(
            state=DeliveryState.PENDING, claimed_at=None
        )
        return 0
    sent: list[int] = []
    failed: list[Notification] = []
    try:
        for n in batch:
            try:
                if n.recipient.email:
                    mail.send_messages(
                        [
                            EmailMessage(
                                subject=n.subject,
                                body=n.body,
                                to=[n.recipient.email],
                                from_email=settings.DEFAULT_FROM_EMAIL,
                                connection=mail,
                            )
                        ]
                    )
                if n.recipient.mobile:
                    sms.send(to=n.recipient.mobile, text=n.subject)
                sent.append(n.pk)
            except Exception as e:  # one bad recipient must not stop the others
                log.exception("notification %s failed", n.pk)
                n.error = str(e)[:2000]
                failed.append(n)
    finally:
        mail.close()
    done = timezone.now()
    Notification.objects.filter(id__in=sent).update(
        state=DeliveryState.SENT, sent_at=done, attempts=F("attempts") + 1, error=""
    )
    for n in failed:
        Notification.objects.filter(pk=n.pk).update(
            state=DeliveryState.FAILED, attempts=F("attempts") + 1, error=n.error
        )
    return len(sent)
