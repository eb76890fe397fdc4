"""Messages to customers: an outbox row (`CustomerMessage`) written in the caller's transaction,
logged on the case as an automatic outbound communication and delivered after commit by email
(Django's mail framework), SMS (manyi.notifications.sms) or WeChat (manyi.notifications.wechat).

The text of each kind is the organisation's `MessageTemplate` for that key when an admin wrote
one, else the built-in default in DEFAULT_TEMPLATES. Notices sent here are transactional (a
guarantee payout, a case received or resolved): they go out whatever the customer's marketing
consent, and never twice for one customer and dedupe key.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.audit.models import AuditEvent, EventKind
from manyi.audit.services import diff, record_event, snapshot
from manyi.notifications.models import (
    CustomerChannel,
    CustomerMessage,
    DeliveryState,
    MessageTemplate,
)
from manyi.notifications.services import claim_pending, schedule_on_commit_once
from manyi.notifications.sms import get_sms_backend
from manyi.notifications.wechat import get_wechat_backend

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from manyi.accounts.models import User
    from manyi.cases.models import Case
    from manyi.customers.models import Customer

log = logging.getLogger(__name__)

# kind: (subject_zh, body_zh, subject_en, body_en). Placeholders in {braces}; an unknown one
# stays visible as written.
DEFAULT_TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "guarantee_payout": (
        "服务承诺赔付通知（{case_number}）",
        "{customer_name}您好：很抱歉，我们没有兑现对您的服务承诺“{guarantee_text}”"
        "（投诉单号 {case_number}）。按照承诺，我们将向您赔付{payout}：{action}。"
        "如有疑问，请随时与我们联系。",
        "Our service guarantee to you ({case_number})",
        "Dear {customer_name}, we are sorry: we did not keep our service guarantee "
        '"{guarantee_text}" on your case {case_number}. As promised, we will pay you {payout}: '
        "{action}. Please contact us with any question.",
    ),
    "case_received": (
        "我们已收到您的投诉（{case_number}）",
        "{customer_name}您好：我们已收到您的投诉，单号 {case_number}。"
        "我们将在 {due_at} 前与您联系。感谢您告诉我们。",
        "We have received your complaint ({case_number})",
        "Dear {customer_name}, we have received your complaint, number {case_number}. "
        "We will contact you by {due_at}. Thank you for telling us.",
    ),
    "case_resolved": (
        "您的投诉已处理（{case_number}）",
        "{customer_name}您好：您的投诉 {case_number} 已处理完毕。"
        "如果您对处理结果仍不满意，请直接回复或致电我们，我们会继续跟进。",
        "Your complaint has been resolved ({case_number})",
        "Dear {customer_name}, your complaint {case_number} has been resolved. "
        "If you are not satisfied with the result, reply or call us and we will follow up.",
    ),
    "survey_invitation": (
        "{store_name}邀请您评价本次服务",
        "{customer_name}您好：感谢您选择{store_name}。请花一两分钟告诉我们您的感受"
        "（{survey_name}）：{link} 链接在 {expires} 前有效。",
        "{store_name} would like your opinion",
        "Dear {customer_name}, thank you for choosing {store_name}. Please take a minute or two "
        "to tell us how we did ({survey_name}): {link} The link is valid until {expires}.",
    ),
}

# What each built-in kind is for and which placeholders it takes (the settings page shows it).
KIND_LABELS: dict[str, _StrPromise] = {
    "guarantee_payout": _("Service guarantee payout"),
    "case_received": _("Complaint received"),
    "case_resolved": _("Complaint resolved"),
    "survey_invitation": _("Survey invitation"),
}
KIND_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "guarantee_payout": ("customer_name", "case_number", "guarantee_text", "payout", "action"),
    "case_received": ("customer_name", "case_number", "due_at"),
    "case_resolved": ("customer_name", "case_number"),
    "survey_invitation": (
        "customer_name",
        "store_name",
        "survey_name",
        "link",
        "expires",
        "case_number",
    ),
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, context: Mapping[str, str]) -> str:
    """`text` with its {placeholders} replaced from `context`; unknown ones stay as written,
    and a malformed template (a lone brace) is filled placeholder by placeholder."""
    try:
        return text.format_map(_KeepMissing(context))
    except (ValueError, IndexError, AttributeError, KeyError, TypeError):
        return _PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), m.group(0))), text)


def is_english(language: str | None) -> bool:
    return (language or "").lower().startswith("en")


def template_texts(
    *, organisation_id: int, kind: str, language: str = "zh-hans"
) -> tuple[str, str]:
    """(subject, body) of `kind` in `language`: the organisation's template, else the default.
    An English text left empty in the template falls back to the Chinese one."""
    default = DEFAULT_TEMPLATES.get(kind, ("", "", "", ""))
    override = MessageTemplate.objects.filter(organisation_id=organisation_id, key=kind).first()
    if override is not None:
        zh = (override.subject_zh, override.body_zh)
        en = (override.subject_en or override.subject_zh, override.body_en or override.body_zh)
    else:
        zh = (default[0], default[1])
        en = (default[2] or default[0], default[3] or default[1])
    return en if is_english(language) else zh


def render_message(
    *, organisation_id: int, kind: str, context: Mapping[str, str], language: str = "zh-hans"
) -> tuple[str, str]:
    subject, body = template_texts(organisation_id=organisation_id, kind=kind, language=language)
    return fill(subject, context), fill(body, context)


def pick_channel(case: Case, customer: Customer) -> tuple[str, str] | None:
    """(channel, address) to reach the customer of `case`, or None when there is none.

    A WeChat case goes back by WeChat, an email case (or a customer without a phone) by email,
    anything else by SMS; WeChat is the last resort when the customer left nothing else."""
    from manyi.cases.choices import Channel

    if case.channel == Channel.WECHAT and customer.wechat_id:
        return CustomerChannel.WECHAT, customer.wechat_id
    if customer.email and (case.channel == Channel.EMAIL or not customer.phone):
        return CustomerChannel.EMAIL, customer.email
    if customer.phone:
        return CustomerChannel.SMS, customer.phone
    if customer.wechat_id:
        return CustomerChannel.WECHAT, customer.wechat_id
    return None


@transaction.atomic
def send_to_customer(
    *,
    case: Case,
    kind: str,
    context: dict[str, str],
    dedupe_key: str,
    actor: User | None = None,
    now: dt.datetime | None = None,
    language: str | None = None,
) -> CustomerMessage | None:
    """Tell the customer of `case` something (`kind`), once per dedupe key, in the customer's
    preferred language (`Customer.language`) unless `language` overrides it.

    Writes the outbox row, logs an automatic outbound communication (a MESSAGE_SENT event on
    the timeline; it does not meet SLA clocks) and delivers after commit. A repeat returns the
    existing row and sends nothing. When the customer has no phone, email or WeChat id, returns
    None and notes on the timeline that the customer could not be told."""
    from manyi.cases.services import log_communication

    now = now or timezone.now()
    customer = case.customer
    key = dedupe_key[:120]
    existing = CustomerMessage.objects.filter(customer=customer, dedupe_key=key).first()
    if existing is not None:
        return existing
    values = {"customer_name": customer.name, "case_number": case.number, **context}
    subject, body = render_message(
        organisation_id=case.organisation_id,
        kind=kind,
        context=values,
        language=language or customer.language,
    )
    target = pick_channel(case, customer)
    if target is None:
        _note_unreachable(case=case, kind=kind, body=body, now=now)
        return None
    channel, to = target
    try:
        with transaction.atomic():
            message = CustomerMessage.objects.create(
                organisation_id=case.organisation_id,
                customer=customer,
                case=case,
                channel=channel,
                to=to,
                kind=kind,
                dedupe_key=key,
                subject=subject[:200],
                body=body,
            )
    except IntegrityError:  # another transaction queued it first
        return CustomerMessage.objects.get(customer=customer, dedupe_key=key)
    log_communication(
        actor=actor,
        case=case,
        direction="outbound",
        medium=channel,
        content=body,
        at=now,
        automatic=True,
        now=now,
    )
    schedule_customer_delivery_on_commit()
    return message


def _note_unreachable(*, case: Case, kind: str, body: str, now: dt.datetime) -> None:
    from django.utils.translation import gettext

    message = gettext(
        "The customer could not be told (%(kind)s): there is no phone number, email address "
        "or WeChat id on file. Tell them another way:\n%(text)s"
    ) % {"kind": KIND_LABELS.get(kind, kind), "text": body}
    already = AuditEvent.objects.filter(
        case=case, kind=EventKind.COMMENTED, message=message
    ).exists()
    if not already:
        record_event(
            organisation_id=case.organisation_id,
            kind=EventKind.COMMENTED,
            actor=None,
            case=case,
            message=message,
            at=now,
        )


def schedule_customer_delivery_on_commit() -> None:
    """One delivery task per transaction, however many customer messages it queued."""
    schedule_on_commit_once(schedule_customer_delivery)


def schedule_customer_delivery() -> None:
    from manyi.notifications.tasks import deliver_customer_messages as task

    try:
        task.enqueue()
    except Exception:  # the periodic sweep delivers what is left
        log.exception("could not enqueue customer message delivery")


def schedule_outbox_sweep() -> str | None:
    """Enqueue the delivery task unless one is already waiting (the worker's scheduler calls
    this every minute): it sends what an on-commit enqueue missed or a dead worker left
    claimed. Never raises; a failure is logged and the next minute tries again."""
    from manyi.core.worker import _enqueue_unless_waiting
    from manyi.notifications.tasks import deliver_customer_messages as task

    try:
        return _enqueue_unless_waiting(task)
    except Exception:
        log.exception("could not enqueue the customer message sweep")
        return None


def deliver_customer_messages(*, limit: int = 500) -> int:
    """Send pending customer messages; returns how many were sent.

    Rows are claimed like staff notifications (notifications.services.claim_pending), so two
    workers never send one message twice and a stale claim (services.STALE_CLAIM) is taken over.
    When the mail server cannot be reached, the email rows are released (they stay pending) and
    the SMS and WeChat rows still go out; a message that fails alone is marked failed."""
    ids = claim_pending(CustomerMessage.objects.all(), limit=limit, now=timezone.now())
    if not ids:
        return 0
    batch = list(CustomerMessage.objects.filter(id__in=ids).order_by("id"))
    mail = None
    if any(m.channel == CustomerChannel.EMAIL for m in batch):
        mail = get_connection()
        try:
            mail.open()
        except Exception:
            log.exception("mail server unreachable; customer emails stay pending")
            CustomerMessage.objects.filter(
                id__in=[m.pk for m in batch if m.channel == CustomerChannel.EMAIL],
                state=DeliveryState.SENDING,
            ).update(state=DeliveryState.PENDING, claimed_at=None)
            batch = [m for m in batch if m.channel != CustomerChannel.EMAIL]
            mail = None
    sms = get_sms_backend() if any(m.channel == CustomerChannel.SMS for m in batch) else None
    wechat = (
        get_wechat_backend() if any(m.channel == CustomerChannel.WECHAT for m in batch) else None
    )
    sent: list[int] = []
    failed: list[CustomerMessage] = []
    try:
        for m in batch:
            try:
                if m.channel == CustomerChannel.EMAIL and mail is not None:
                    mail.send_messages(
                        [
                            EmailMessage(
                                subject=m.subject,
                                body=m.body,
                                to=[m.to],
                                from_email=settings.DEFAULT_FROM_EMAIL,
                                connection=mail,
                            )
                        ]
                    )
                elif m.channel == CustomerChannel.SMS and sms is not None:
                    sms.send(to=m.to, text=m.body)
                elif m.channel == CustomerChannel.WECHAT and wechat is not None:
                    wechat.send(openid=m.to, text=m.body)
                else:
                    raise ValueError(f"unknown channel {m.channel!r}")
                sent.append(m.pk)
            except Exception as e:  # one bad address must not stop the others
                log.exception("customer message %s failed", m.pk)
                m.error = str(e)[:2000]
                failed.append(m)
    finally:
        if mail is not None:
            mail.close()
    done = timezone.now()
    CustomerMessage.objects.filter(id__in=sent).update(
        state=DeliveryState.SENT, sent_at=done, attempts=F("attempts") + 1, error=""
    )
    for m in failed:
        CustomerMessage.objects.filter(pk=m.pk).update(
            state=DeliveryState.FAILED, attempts=F("attempts") + 1, error=m.error
        )
    return len(sent)


# --- admin-edited texts -------------------------------------------------------------------


def unknown_placeholders(text: str, kind: str) -> list[str]:
    """The {placeholders} of `text` that `kind` does not fill."""
    known = set(KIND_PLACEHOLDERS.get(kind, ()))
    return sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - known)


TEMPLATE_FIELDS = ("subject_zh", "body_zh", "subject_en", "body_en")


def _audit_message_template(
    *,
    organisation_id: int,
    key: str,
    kind: EventKind,
    actor: User | None,
    changes: dict[str, list[object]],
    reset: bool = False,
) -> None:
    """An organisation-level audit event (no case, no customer) for an edited customer
    message text."""
    from django.utils.translation import gettext

    values = {"name": str(KIND_LABELS.get(key, key))}
    message = (
        gettext("Customer message “%(name)s”: back to the built-in text") % values
        if reset
        else gettext("Customer message “%(name)s”") % values
    )
    record_event(
        organisation_id=organisation_id,
        kind=kind,
        actor=actor,
        message=message,
        changes=changes,
    )


@transaction.atomic
def save_message_template(
    *,
    organisation_id: int,
    key: str,
    subject_zh: str,
    body_zh: str,
    subject_en: str = "",
    body_en: str = "",
    actor: User | None = None,
) -> MessageTemplate:
    """Create or replace the organisation's text of the built-in message `key`; a real change
    is recorded in the audit trail with `actor`."""
    from django.utils.translation import gettext

    from manyi.core.errors import ValidationFailed

    values = {
        "subject_zh": subject_zh.strip(),
        "body_zh": body_zh.strip(),
        "subject_en": subject_en.strip(),
        "body_en": body_en.strip(),
    }
    errors: dict[str, list[str]] = {}
    if key not in DEFAULT_TEMPLATES:
        errors["key"] = [gettext("Unknown message.")]
    else:
        if not values["body_zh"]:
            errors["body_zh"] = [gettext("The Chinese text is required.")]
        for field, value in values.items():
            if field.startswith("subject") and len(value) > 200:
                errors[field] = [gettext("At most %(n)d characters.") % {"n": 200}]
            unknown = unknown_placeholders(value, key)
            if unknown and field not in errors:
                errors[field] = [
                    gettext("Unknown placeholder %(names)s. Use: %(known)s.")
                    % {
                        "names": ", ".join("{" + u + "}" for u in unknown),
                        "known": ", ".join("{" + k + "}" for k in KIND_PLACEHOLDERS[key]),
                    }
                ]
    if errors:
        raise ValidationFailed(errors)
    existing = (
        MessageTemplate.objects.select_for_update()
        .filter(organisation_id=organisation_id, key=key)
        .first()
    )
    before = snapshot(existing, TEMPLATE_FIELDS) if existing is not None else {}
    template, created = MessageTemplate.objects.update_or_create(
        organisation_id=organisation_id, key=key, defaults=values
    )
    changes = diff(before, snapshot(template, TEMPLATE_FIELDS))
    if created or changes:
        _audit_message_template(
            organisation_id=organisation_id,
            key=key,
            kind=EventKind.CREATED if created else EventKind.CHANGED,
            actor=actor,
            changes=changes,
        )
    return template


@transaction.atomic
def reset_message_template(*, organisation_id: int, key: str, actor: User | None = None) -> bool:
    """Drop the organisation's text of `key`: the built-in text applies again (recorded in
    the audit trail with `actor` when there was a text to drop)."""
    existing = list(
        MessageTemplate.objects.select_for_update().filter(organisation_id=organisation_id, key=key)
    )
    deleted, _rows = MessageTemplate.objects.filter(
        organisation_id=organisation_id, key=key
    ).delete()
    if deleted and existing:
        before = snapshot(existing[0], TEMPLATE_FIELDS)
        _audit_message_template(
            organisation_id=organisation_id,
            key=key,
            kind=EventKind.CHANGED,
            actor=actor,
            changes={k: [v, None] for k, v in before.items() if v},
            reset=True,
        )
    return deleted > 0
