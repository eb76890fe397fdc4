"""Service guarantees (服务承诺, DOMAIN.md §4): promises with the condition that breaks them and
what they pay, and the payout when one is broken.

A guarantee binds to a fact the system measures:

- `sla_breach` with `within_minutes` (metric first_response or resolution): the case's first
  reply (`Case.first_responded_at`) or resolution (`Case.resolved_at`) did not come within
  that many wall-clock minutes of receiving the complaint: the guarantee measures what it
  promises ("first reply within 48 hours"), whatever the SLA policy's targets;
- `sla_breach` without it: an SLA clock (`CaseSla`) of a case breached for the guarantee's
  metric. The guarantee then pays when the *SLA policy's* target is missed, so its text must
  state that target (the guarantee pages show the targets);
- `followup_missed`: a follow-up call of a case not made by its due time (`FollowUp.missed`);
- `staff_event`: staff record it on a case (a billing error), with the amount involved.

A broken guarantee is one `GuaranteeBreach` row, unique per (guarantee, source_key) where the
source key names the breaking fact (`sla:<clock id>:<cycle>`, `within:<case id>:<metric>`,
`followup:<id>`, `event:<uuid>`). Its payout is a recovery action, the case owner and the store
manager are notified and the case timeline shows it: all in the transaction that inserted the
breach row, so a payout happens exactly when its breach row commits.

- A breach the system found (SLA, follow-up), or one staff record within their authority
  limit, is approved by the guarantee itself (state approved, nobody's decision) and the
  customer is told at once through the case's channel.
- A staff event whose payout is beyond the recorder's authority waits for approval like any
  recovery action above one's limit (state pending, the approvers are notified); the customer
  is told when someone approves it (`tell_customer_of_payout`, called by
  `services.approve_action`), and never if it is rejected.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.choices import Channel, EscalationLevel, SlaMetric, SlaState
from manyi.cases.models import Case, CaseSla
from manyi.core.db import lock_self
from manyi.core.errors import DomainError, ValidationFailed
from manyi.notifications.services import Message, queue_notifications
from manyi.recovery.choices import ActionKind, ActionState, PayoutKind, TriggerKind
from manyi.recovery.models import Guarantee, GuaranteeBreach, RecoveryAction
from manyi.recovery.services import ask_approvers, authority_limit, covers

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")
MAX_MULTIPLIER = Decimal("9999.99")
CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
EVENT_KEY_RE = re.compile(r"^[0-9a-f]{32}$")
# A payout is something of value: an apology or an explanation cannot pay a guarantee.
PAYOUT_KINDS = tuple(k for k in ActionKind.values if k not in ("apology", "explanation"))
# The triggers the detection sweep looks for (staff events are recorded by hand).
DETECTED = (TriggerKind.SLA_BREACH, TriggerKind.FOLLOWUP_MISSED)
# `within_minutes`: the metrics it can measure, the case's timestamp of each, and its bounds.
WITHIN_TIMESTAMPS = {
    SlaMetric.FIRST_RESPONSE.value: "first_responded_at",
    SlaMetric.RESOLUTION.value: "resolved_at",
}
MAX_WITHIN_MINUTES = 60 * 24 * 60  # 60 days

GUARANTEE_FIELDS = (
    "code",
    "name",
    "text_zh",
    "text_en",
    "trigger",
    "metric",
    "channels",
    "payout_kind",
    "action_kind",
    "amount",
    "multiplier",
    "within_minutes",
    "active",
    "starts_at",
)
# Changing one of these (or re-activating) changes which facts break the guarantee: the new
# rule applies from the change on, so facts before it do not pay (save_guarantee).
BINDING_FIELDS = ("trigger", "metric", "channels", "within_minutes")

# The two guarantees of the seeds (DOMAIN.md §4) every organisation starts with. The first
# measures the 48 hours it promises (`within_minutes`), not the SLA policy's first-response
# target (1-8 business hours in the default policies).
DEFAULT_GUARANTEES: list[dict[str, Any]] = [
    {
        "code": "first_reply_48h",
        "name": "48小时首次答复 48-hour first reply",
        "text_zh": "您的投诉，我们保证在 48 小时内首次答复；做不到，赠送 100 元维修保养代金券。",
        "text_en": "We give a first reply to your complaint within 48 hours, or you get a "
        "¥100 service voucher.",
        "trigger": TriggerKind.SLA_BREACH,
        "metric": SlaMetric.FIRST_RESPONSE,
        "within_minutes": 48 * 60,
        "channels": [],
        "payout_kind": PayoutKind.FIXED,
        "action_kind": ActionKind.DISCOUNT,
        "amount": Decimal("100.00"),
    },
    {
        "code": "billing_error_double",
        "name": "收费误差双倍返还 Billing error pays double",
        "text_zh": "收费出现误差，我们双倍返还多收的金额。",
        "text_en": "If we overcharge you, we refund double the amount overcharged.",
        "trigger": TriggerKind.STAFF_EVENT,
        "metric": "",
        "channels": [],
        "payout_kind": PayoutKind.MULTIPLE,
        "action_kind": ActionKind.REFUND,
        "amount": Decimal("0"),
        "multiplier": Decimal("2"),
    },
]


class NotAllowed(DomainError):
    """The caller's role may not change guarantees (answers 403)."""

    status_code = 403

    def __init__(self, message: str) -> None:
        super().__init__(message, code="forbidden")

    def as_fields(self) -> dict[str, list[str]]:
        return {}


def in_force_from(guarantee: Guarantee) -> dt.datetime:
    """Facts from this instant on break the guarantee: `starts_at`, else its creation."""
    return guarantee.starts_at or guarantee.created_at


def within_text(minutes: int) -> str:
    """A `within_minutes` for people: "48 h", or "90 min" when not whole hours."""
    if minutes % 60 == 0:
        return _("%(n)d h") % {"n": minutes // 60}
    return _("%(n)d min") % {"n": minutes}


# --------------------------------------------------------------------------------------
# Defining guarantees
# --------------------------------------------------------------------------------------


def _money(value: Any, errors: dict[str, list[str]], field: str, *, limit: Decimal) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter a number.")]
        return Decimal("0")
    if not number.is_finite():
        errors[field] = [_("Enter a number.")]
        return Decimal("0")
    if number != number.quantize(CENT):
        errors[field] = [_("At most two decimal places.")]
        return Decimal("0")
    if number < 0:
        errors[field] = [_("Must be at least %(n)s.") % {"n": 0}]
    elif number > limit:
        errors[field] = [_("Must be at most %(n)s.") % {"n": limit}]
    return number.quantize(CENT)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean(
    organisation: Organisation, data: dict[str, Any], guarantee: Guarantee | None
) -> dict[str, Any]:
    """The guarantee's fields after `data` is applied, checked; ValidationFailed otherwise."""
    current: dict[str, Any] = {}
    if guarantee is not None:
        current = {f: getattr(guarantee, f) for f in GUARANTEE_FIELDS}
    unknown = sorted(set(data) - set(GUARANTEE_FIELDS))
    errors: dict[str, list[str]] = {k: [_("Unknown field.")] for k in unknown}
    merged = {**current, **{k: v for k, v in data.items() if k in GUARANTEE_FIELDS}}
    clean: dict[str, Any] = {}

    code = _text(merged.get("code"))
    if not code:
        errors["code"] = [_("This field is required.")]
    elif not CODE_RE.match(code):
        errors["code"] = [_("Use up to 40 letters, digits, dots, dashes or underscores.")]
    else:
        taken = Guarantee.objects.filter(organisation=organisation, code=code)
        if guarantee is not None:
            taken = taken.exclude(pk=guarantee.pk)
        if taken.exists():
            errors["code"] = [_("Another guarantee has this code.")]
    clean["code"] = code

    name = _text(merged.get("name"))
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(n)d characters.") % {"n": 100}]
    clean["name"] = name
    clean["text_zh"] = _text(merged.get("text_zh"))
    if not clean["text_zh"]:
        errors["text_zh"] = [_("Write the promise as the customer reads it.")]
    clean["text_en"] = _text(merged.get("text_en"))

    trigger = merged.get("trigger") or ""
    if trigger not in TriggerKind.values:
        errors["trigger"] = [_("Not one of the allowed values.")]
    clean["trigger"] = trigger

    metric = merged.get("metric") or ""
    if trigger == TriggerKind.SLA_BREACH:
        if not metric:
            errors["metric"] = [_("Choose the SLA metric whose breach breaks the guarantee.")]
        elif metric not in SlaMetric.values:
            errors["metric"] = [_("Not one of the allowed values.")]
    else:
        metric = ""
    clean["metric"] = metric

    channels = merged.get("channels") or []
    if not isinstance(channels, list | tuple) or not all(isinstance(c, str) for c in channels):
        errors["channels"] = [_("Enter a list.")]
        channels = []
    bad = sorted({c for c in channels if c not in Channel.values})
    if bad:
        errors["channels"] = [_("Unknown values: %(values)s.") % {"values": ", ".join(bad)}]
    chosen = [c for c in Channel.values if c in channels]  # in the choices' order, no repeats
    clean["channels"] = [] if trigger == TriggerKind.STAFF_EVENT else chosen

    within = merged.get("within_minutes")
    if isinstance(within, str):
        within = within.strip()
        if within.isdigit():
            within = int(within)
    if within in ("", None):
        within = None
    elif isinstance(within, bool) or not isinstance(within, int):
        errors["within_minutes"] = [_("Enter a whole number of minutes.")]
        within = None
    elif trigger != TriggerKind.SLA_BREACH or metric not in WITHIN_TIMESTAMPS:
        errors["within_minutes"] = [
            _(
                "Only a guarantee on the first response or the resolution of a case can be "
                "measured in minutes from receiving the complaint."
            )
        ]
    elif within <= 0:
        errors["within_minutes"] = [_("Must be at least %(n)s.") % {"n": 1}]
    elif within > MAX_WITHIN_MINUTES:
        errors["within_minutes"] = [
            _("At most 60 days (%(n)d minutes).") % {"n": MAX_WITHIN_MINUTES}
        ]
    clean["within_minutes"] = within

    payout_kind = merged.get("payout_kind") or PayoutKind.FIXED
    if payout_kind not in PayoutKind.values:
        errors["payout_kind"] = [_("Not one of the allowed values.")]
    elif payout_kind == PayoutKind.MULTIPLE and trigger in DETECTED:
        errors["payout_kind"] = [
            _(
                "A multiple needs the amount involved, which only staff can record: "
                "use a fixed amount for this condition."
            )
        ]
    clean["payout_kind"] = payout_kind

    action_kind = merged.get("action_kind") or ActionKind.DISCOUNT
    if action_kind not in PAYOUT_KINDS:
        errors["action_kind"] = [_("Choose something of value to pay the guarantee with.")]
    clean["action_kind"] = action_kind

    amount = _money(merged.get("amount"), errors, "amount", limit=MAX_MONEY)
    multiplier = _money(
        merged.get("multiplier", Decimal("2")), errors, "multiplier", limit=MAX_MULTIPLIER
    )
    if payout_kind == PayoutKind.FIXED and "amount" not in errors and amount <= 0:
        errors["amount"] = [_("A fixed payout needs an amount above zero.")]
    if payout_kind == PayoutKind.MULTIPLE and "multiplier" not in errors and multiplier <= 0:
        errors["multiplier"] = [_("The multiple must be above zero.")]
    clean["amount"] = amount
    clean["multiplier"] = multiplier if multiplier > 0 else Decimal("2")

    active = merged.get("active", True)
    if not isinstance(active, bool):
        errors["active"] = [_("Enter true or false.")]
    clean["active"] = bool(active)

    starts_at = merged.get("starts_at")
    if isinstance(starts_at, str) and starts_at:
        try:
            starts_at = dt.datetime.fromisoformat(starts_at)
        except ValueError:
            starts_at = "bad"
    if starts_at in ("", None):
        starts_at = None
    elif not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        errors["starts_at"] = [_("Give the time with its time zone.")]
        starts_at = None
    clean["starts_at"] = starts_at

    if errors:
        raise ValidationFailed(errors)
    return clean


def _describe(g: Guarantee) -> dict[str, Any]:
    return {
        "code": g.code,
        "name": g.name,
        "trigger": g.trigger,
        "metric": g.metric or None,
        "channels": list(g.channels or []),
        "payout_kind": g.payout_kind,
        "action_kind": g.action_kind,
        "amount": str(g.amount),
        "multiplier": str(g.multiplier),
        "within_minutes": g.within_minutes,
        "active": g.active,
        "starts_at": g.starts_at.isoformat() if g.starts_at else None,
    }


def _binding(values: dict[str, Any]) -> tuple[Any, ...]:
    """What decides which facts break a guarantee (channels in any order)."""
    return tuple(
        sorted(values.get(f) or []) if f == "channels" else values.get(f) for f in BINDING_FIELDS
    )


@transaction.atomic
def save_guarantee(
    *,
    actor: User,
    organisation: Organisation,
    data: dict[str, Any],
    guarantee: Guarantee | None = None,
    now: dt.datetime | None = None,
) -> Guarantee:
    """Create a guarantee (`guarantee` None) or change the fields given in `data` on it.

    Organisation admins only. `data` holds the model's field names with plain values (amounts
    as Decimal or strings, `channels` a list of case channels, `within_minutes` an int or None,
    `starts_at` an aware datetime or None). Raises ValidationFailed with one message per bad
    field. Payouts already made stay as they were.

    Changing what breaks it (trigger, metric, channels, within_minutes) or re-activating it
    moves `starts_at` to now (or later, if it was or is set later): facts before the change
    were judged by the old rule, or while the guarantee was off, and do not pay."""
    now = now or timezone.now()
    if not actor.is_org_admin or actor.organisation_id != organisation.pk:
        raise NotAllowed(_("Only an organisation admin may change service guarantees."))
    if guarantee is not None:
        guarantee = Guarantee.objects.select_for_update().get(pk=guarantee.pk)
        if guarantee.organisation_id != organisation.pk:
            raise ValidationFailed({"__all__": [_("Unknown guarantee.")]})
    clean = _clean(organisation, data, guarantee)
    before = _describe(guarantee) if guarantee is not None else {}
    if guarantee is not None:
        was = {f: getattr(guarantee, f) for f in BINDING_FIELDS}
        if _binding(was) != _binding(clean) or (clean["active"] and not guarantee.active):
            floor = max(in_force_from(guarantee), now)
            clean["starts_at"] = max(clean["starts_at"] or floor, floor)
    if guarantee is None:
        try:
            with transaction.atomic():
                guarantee = Guarantee.objects.create(organisation=organisation, **clean)
        except IntegrityError:  # the same code saved at the same moment
            raise ValidationFailed({"code": [_("Another guarantee has this code.")]}) from None
    else:
        for key, value in clean.items():
            setattr(guarantee, key, value)
        guarantee.save()
    after = _describe(guarantee)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        record_event(
            organisation_id=organisation.pk,
            kind=EventKind.CHANGED if before else EventKind.CREATED,
            actor=actor,
            message=_("Service guarantee “%(name)s”") % {"name": guarantee.name},
            changes=changes,
        )
    return guarantee


def ensure_default_guarantees(organisation: Organisation) -> list[Guarantee]:
    """Give the organisation the DEFAULT_GUARANTEES it does not have yet (by code); returns
    the ones created. Safe to call again (demo data, a new organisation)."""
    created: list[Guarantee] = []
    for spec in DEFAULT_GUARANTEES:
        if Guarantee.objects.filter(organisation=organisation, code=spec["code"]).exists():
            continue
        clean = _clean(organisation, dict(spec), None)
        try:
            with transaction.atomic():
                created.append(Guarantee.objects.create(organisation=organisation, **clean))
        except IntegrityError:  # created meanwhile by another call
            continue
    return created


# --------------------------------------------------------------------------------------
# Paying out
# --------------------------------------------------------------------------------------


def payout_for(guarantee: Guarantee, amount_involved: Decimal | None) -> Decimal:
    if guarantee.payout_kind == PayoutKind.MULTIPLE:
        base = amount_involved or Decimal("0")
        return (base * guarantee.multiplier).quantize(CENT, rounding=ROUND_HALF_UP)
    return guarantee.amount.quantize(CENT)


def _site_language() -> Any:
    """Stored texts (reasons, notes, staff notifications) are written in the site language,
    as the SLA sweep writes its notifications."""
    return translation.override(settings.LANGUAGE_CODE)


def _pay_out(
    *,
    breach: GuaranteeBreach,
    guarantee: Guarantee,
    case: Case,
    actor: User | None,
    now: dt.datetime,
) -> RecoveryAction:
    """The payout of a breach just inserted: the recovery action, the timeline entry, the
    notifications to the owner and the store manager, and either the message to the customer
    (approved at once) or the request to the approvers (pending).

    Found by the system (`actor` None) or recorded by someone whose authority limit covers the
    payout, the guarantee approves it at once. Beyond the recorder's limit it waits for
    approval: the customer is told when it is approved (`tell_customer_of_payout`)."""
    from manyi.cases.services import escalation_target

    pending = actor is not None and not covers(authority_limit(actor), breach.payout)
    values = {
        "name": guarantee.name,
        "number": case.number,
        "summary": case.summary,
        "payout": breach.payout,
        "note": breach.note,
        "actor": str(actor) if actor is not None else "",
    }
    with _site_language():
        reason = _("Approved by the service guarantee “%(name)s”") % {"name": guarantee.name}
        values["action"] = str(ActionKind(guarantee.action_kind).label)
        if pending:
            subject = (
                _("Case %(number)s: guarantee “%(name)s” broken, ¥%(payout)s waiting for approval")
                % values
            )
            body = (
                _(
                    "The service guarantee “%(name)s” was broken on case %(number)s "
                    "(%(summary)s). %(actor)s recorded it; the payout, %(action)s worth "
                    "¥%(payout)s, is above their authority and waits for approval. The customer "
                    "is told once it is approved. %(note)s"
                )
                % values
            )
        else:
            subject = _("Case %(number)s: guarantee “%(name)s” broken, ¥%(payout)s paid") % values
            body = (
                _(
                    "The service guarantee “%(name)s” was broken on case %(number)s "
                    "(%(summary)s). The customer gets %(action)s worth ¥%(payout)s, approved by "
                    "the guarantee, and has been told. %(note)s"
                )
                % values
            )
    action = RecoveryAction.objects.create(
        organisation_id=case.organisation_id,
        store_id=case.store_id,
        case=case,
        kind=guarantee.action_kind,
        value=breach.payout,
        note=f"{guarantee.name}: {breach.note}" if breach.note else guarantee.name,
        state=ActionState.PENDING if pending else ActionState.APPROVED,
        requested_by=actor,
        requested_at=now,
        decided_by=None,
        decided_at=None if pending else now,
        decision_reason="" if pending else reason,
        guarantee_breach=breach,
    )
    record_event(
        organisation_id=case.organisation_id,
        kind=EventKind.GUARANTEE,
        actor=actor,
        case=case,
        message=breach.note,
        changes={
            "guarantee": [None, guarantee.name],
            "payout": [None, str(breach.payout)],
            "action_kind": [None, guarantee.action_kind],
            "action_state": [None, action.state],
        },
        at=now,
    )
    if pending:
        assert actor is not None  # pending only when a person recorded it
        ask_approvers(action, actor=actor, note=action.note)
    else:
        tell_customer_of_payout(action, now=now)
    recipients: dict[int, User] = {}
    for user in (case.owner, escalation_target(case, EscalationLevel.STORE_MANAGER)):
        if user is not None and user.is_active:
            recipients.setdefault(user.pk, user)
    queue_notifications(
        Message(
            recipient=user,
            kind="guarantee_breach",
            dedupe_key=f"guarantee:{breach.pk}",
            subject=subject,
            body=body,
            case_id=case.pk,
        )
        for user in recipients.values()
    )
    return action


def tell_customer_of_payout(action: RecoveryAction, *, now: dt.datetime) -> None:
    """Tell the customer of the case that a broken guarantee pays them `action`, through the
    case's channel and in the customer's preferred language, once per breach (dedupe key
    `guarantee:<breach id>`). For an approved payout: at once when the guarantee approved it,
    else when someone approves it (`services.approve_action`). Does nothing for another
    action or state."""
    from manyi.notifications.customer import is_english, send_to_customer

    if action.guarantee_breach_id is None or action.state not in (
        ActionState.APPROVED,
        ActionState.GIVEN,
    ):
        return
    breach = action.guarantee_breach
    assert breach is not None
    case = action.case
    english = is_english(case.customer.language)
    with translation.override("en" if english else "zh-hans"):  # the customer's language
        customer_action = str(ActionKind(action.kind).label)
    guarantee = breach.guarantee
    send_to_customer(
        case=case,
        kind="guarantee_payout",
        context={
            "guarantee_text": (guarantee.text_en or guarantee.text_zh)
            if english
            else guarantee.text_zh,
            "payout": f"¥{breach.payout}",
            "action": customer_action,
        },
        dedupe_key=f"guarantee:{breach.pk}",
        actor=action.decided_by or action.requested_by,
        now=now,
    )


def _insert_breach(**fields: Any) -> GuaranteeBreach | None:
    """INSERT … ON CONFLICT DO NOTHING that says whether it inserted: the row, or None when
    (guarantee, source_key) exists already (another worker or an earlier run paid it)."""
    try:
        with transaction.atomic():
            return GuaranteeBreach.objects.create(**fields)
    except IntegrityError:
        return None


@transaction.atomic
def record_staff_event(
    *,
    actor: User,
    case: Case,
    guarantee: Guarantee,
    amount_involved: Decimal | None,
    note: str,
    now: dt.datetime | None = None,
    event_key: str | None = None,
) -> GuaranteeBreach:
    """Record that a `staff_event` guarantee was broken on `case` (a billing error of
    `amount_involved` yuan) and pay it out: fixed, or the guarantee's multiple of the amount
    involved (a ¥120 overcharge with "pays double" pays ¥240). Within the actor's authority
    limit the payout is approved at once and the customer told; beyond it, it waits for
    approval (`breach.payout_action.state` pending) and the customer is told on approval.

    `event_key` (32 hex digits, e.g. rendered into the form) makes a repeated submission return
    the breach recorded the first time instead of paying twice; without one every call is a
    new event."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if actor.organisation_id is None or case.organisation_id != actor.organisation_id:
        raise DomainError(_("Unknown case."), field="case", code="not_found")
    if guarantee.organisation_id != case.organisation_id:
        raise DomainError(_("Unknown guarantee."), field="guarantee", code="not_found")
    if guarantee.trigger != TriggerKind.STAFF_EVENT:
        errors["guarantee"] = [_("This guarantee is broken by what the system measures.")]
    elif not guarantee.active:
        errors["guarantee"] = [_("This guarantee is no longer active.")]
    elif in_force_from(guarantee) > now:
        errors["guarantee"] = [_("This guarantee is not in force yet.")]
    amount: Decimal | None = None
    if amount_involved is not None and amount_involved != "":
        amount = _money(amount_involved, errors, "amount_involved", limit=MAX_MONEY)
    needs_amount = guarantee.payout_kind == PayoutKind.MULTIPLE
    if needs_amount and "amount_involved" not in errors and (amount is None or amount <= 0):
        errors["amount_involved"] = [_("Give the amount involved, e.g. what was overcharged.")]
    text = (note or "").strip()
    if not text:
        errors["note"] = [_("Say what happened.")]
    if event_key is not None and not EVENT_KEY_RE.match(event_key):
        errors["__all__"] = [_("The form is out of date. Reload the page and try again.")]
    if errors:
        raise ValidationFailed(errors)
    current = (
        Case.objects.select_for_update(**lock_self())
        .select_related("customer", "store", "owner")
        .get(pk=case.pk)
    )
    key = f"event:{event_key or uuid.uuid4().hex}"
    breach = _insert_breach(
        organisation_id=current.organisation_id,
        guarantee=guarantee,
        store_id=current.store_id,
        case=current,
        customer_id=current.customer_id,
        source_key=key,
        amount_involved=amount,
        payout=payout_for(guarantee, amount),
        note=text,
        recorded_by=actor,
        at=now,
    )
    if breach is None:  # the same form sent twice: the first one paid
        first = GuaranteeBreach.objects.get(guarantee=guarantee, source_key=key)
        if first.case_id != current.pk:
            raise ValidationFailed(
                {"__all__": [_("The form is out of date. Reload the page and try again.")]}
            )
        return first
    _pay_out(breach=breach, guarantee=guarantee, case=current, actor=actor, now=now)
    return breach


# --------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A fact that breaks `guarantee` and has no breach row yet."""

    guarantee: Guarantee
    case_id: int
    source_key: str
    at: dt.datetime
    note: str


def _clock_key() -> Concat:
    return Concat(
        Value("sla:"),
        Cast("pk", CharField()),
        Value(":"),
        Cast("cycle", CharField()),
        output_field=CharField(),
    )


def _followup_key() -> Concat:
    return Concat(Value("followup:"), Cast("pk", CharField()), output_field=CharField())


def _within_key(metric: str) -> Concat:
    return Concat(
        Value("within:"), Cast("pk", CharField()), Value(f":{metric}"), output_field=CharField()
    )


def _paid(g: Guarantee, key: str = "key") -> Exists:
    return Exists(GuaranteeBreach.objects.filter(guarantee_id=g.pk, source_key=OuterRef(key)))


def _matches(g: Guarantee, *, organisation_id: int, channel: str, at: dt.datetime) -> bool:
    return (
        g.organisation_id == organisation_id
        and at >= in_force_from(g)
        and (not g.channels or channel in g.channels)
    )


def _sla_found(
    guarantees: list[Guarantee], *, now: dt.datetime, after: int, limit: int
) -> tuple[list[Found], int, int]:
    """Breached clocks (ids above `after`) that break one of `guarantees` unpaid: (found, rows
    read, last clock id)."""
    condition: Any = Q()  # Q | (Q & ~Exists)
    for g in guarantees:
        one = Q(
            case__organisation_id=g.organisation_id,
            metric=g.metric,
            breached_at__gte=in_force_from(g),
        )
        if g.channels:
            one &= Q(case__channel__in=g.channels)
        condition |= one & ~_paid(g)
    rows = list(
        CaseSla.objects.annotate(key=_clock_key())
        .filter(
            condition,
            state=SlaState.BREACHED,
            breached_at__isnull=False,
            breached_at__lte=now,
            id__gt=after,
        )
        .order_by("id")
        .values_list(
            "id",
            "case_id",
            "metric",
            "cycle",
            "breached_at",
            "case__organisation_id",
            "case__channel",
        )[:limit]
    )
    found: list[Found] = []
    with _site_language():
        for clock_id, case_id, metric, cycle, breached_at, org_id, channel in rows:
            assert breached_at is not None  # filtered on
            for g in guarantees:
                if g.metric == metric and _matches(
                    g, organisation_id=org_id, channel=channel, at=breached_at
                ):
                    note = _("%(metric)s missed its target (breached %(at)s).") % {
                        "metric": SlaMetric(metric).label,
                        "at": timezone.localtime(breached_at).strftime("%Y-%m-%d %H:%M"),
                    }
                    found.append(Found(g, case_id, f"sla:{clock_id}:{cycle}", breached_at, note))
    return found, len(rows), rows[-1][0] if rows else after


def _followup_found(
    guarantees: list[Guarantee], *, now: dt.datetime, after: int, limit: int
) -> tuple[list[Found], int, int]:
    """Missed follow-ups of cases (ids above `after`) that break one of `guarantees` unpaid."""
    from manyi.followups.models import FollowUp

    condition: Any = Q()  # Q | (Q & ~Exists)
    for g in guarantees:
        one = Q(organisation_id=g.organisation_id, due_at__gte=in_force_from(g))
        if g.channels:
            one &= Q(case__channel__in=g.channels)
        condition |= one & ~_paid(g)
    rows = list(
        FollowUp.objects.annotate(key=_followup_key())
        .filter(condition, missed=True, case__isnull=False, due_at__lte=now, id__gt=after)
        .order_by("id")
        .values_list("id", "case_id", "due_at", "organisation_id", "case__channel")[:limit]
    )
    found: list[Found] = []
    with _site_language():
        for fu_id, case_id, due_at, org_id, channel in rows:
            for g in guarantees:
                if _matches(g, organisation_id=org_id, channel=channel, at=due_at):
                    note = _("The follow-up call due %(at)s was missed.") % {
                        "at": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
                    }
                    found.append(Found(g, case_id, f"followup:{fu_id}", due_at, note))
    return found, len(rows), rows[-1][0] if rows else after


def _within_limit(g: Guarantee) -> dt.timedelta:
    assert g.within_minutes is not None
    return dt.timedelta(minutes=g.within_minutes)


def _within_found(
    guarantees: list[Guarantee], *, now: dt.datetime, after: int, limit: int
) -> tuple[list[Found], int, int]:
    """Cases (ids above `after`) whose first response or resolution did not come within the
    `within_minutes` of one of `guarantees` (all with `within_minutes` and such a metric) of
    receiving the complaint, unpaid: not there and the time is up, or came later."""
    condition: Any = Q()  # Q | (Q & ~Exists)
    for g in guarantees:
        span = _within_limit(g)
        stamp = WITHIN_TIMESTAMPS[g.metric]
        late = Q(**{f"{stamp}__isnull": True}, received_at__lte=now - span) | Q(
            **{f"{stamp}__gt": F("received_at") + span}
        )
        one = Q(organisation_id=g.organisation_id, received_at__gte=in_force_from(g)) & late
        if g.channels:
            one &= Q(channel__in=g.channels)
        condition |= one & ~_paid(g, f"key_{g.metric}")
    rows = list(
        Case.objects.annotate(**{f"key_{m}": _within_key(m) for m in WITHIN_TIMESTAMPS})
        .filter(condition, id__gt=after)
        .order_by("id")
        .values_list(
            "id", "organisation_id", "channel", "received_at", "first_responded_at", "resolved_at"
        )[:limit]
    )
    found: list[Found] = []
    with _site_language():
        for case_id, org_id, channel, received_at, first_at, resolved_at in rows:
            stamps = {"first_response": first_at, "resolution": resolved_at}
            for g in guarantees:
                due = received_at + _within_limit(g)
                done_at = stamps[g.metric]
                missed = due <= now if done_at is None else done_at > due
                if missed and _matches(g, organisation_id=org_id, channel=channel, at=received_at):
                    note = _(
                        "%(metric)s not within %(within)s of receiving the complaint (due %(at)s)."
                    ) % {
                        "metric": SlaMetric(g.metric).label,
                        "within": within_text(g.within_minutes or 0),
                        "at": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
                    }
                    key = f"within:{case_id}:{g.metric}"
                    found.append(Found(g, case_id, key, due, note))
    return found, len(rows), rows[-1][0] if rows else after


def pay_found(found: Found, *, now: dt.datetime) -> bool:
    """Insert the breach of `found` and pay it, in one transaction; False when another worker
    has the case locked right now (the next run takes it) or the breach exists already.

    The case row is locked first with SKIP LOCKED (the order the services lock in: case, then
    what hangs off it), so detection never waits for a user or the SLA sweep; the unique
    (guarantee, source_key) is the backstop that makes a second worker's INSERT fail, and
    everything the payout does happens only after our INSERT succeeded."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(**lock_self(skip_locked=True))
            .select_related("customer", "store", "owner")
            .filter(pk=found.case_id)
            .first()
        )
        if case is None:
            return False
        g = found.guarantee
        breach = _insert_breach(
            organisation_id=case.organisation_id,
            guarantee=g,
            store_id=case.store_id,
            case=case,
            customer_id=case.customer_id,
            source_key=found.source_key,
            amount_involved=None,
            payout=payout_for(g, None),
            note=found.note,
            recorded_by=None,
            at=found.at,
        )
        if breach is None:
            return False
        _pay_out(breach=breach, guarantee=g, case=case, actor=None, now=now)
        return True


def _pages(
    finder: Any, guarantees: list[Guarantee], *, now: dt.datetime, batch: int
) -> Iterator[list[Found]]:
    after = 0
    while True:
        found, read, after = finder(guarantees, now=now, after=after, limit=batch)
        yield found
        if read < batch:
            return


def detect_breaches(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Find every broken `sla_breach` and `followup_missed` guarantee that has not paid yet
    and pay it; returns how many payouts were made.

    Reads breached SLA clocks (`CaseSla` in state breached, breached at or after the
    guarantee came into force, of the guarantee's metric and channels) for `sla_breach`
    guarantees without `within_minutes`; cases received since the guarantee came into force
    whose first response or resolution is missing after `within_minutes`, or came later, for
    those with it (never the SLA clock as well); and missed follow-ups of cases; each without
    a breach row of its source key (NOT EXISTS), page by page in id order; then pays each in
    its own transaction (`pay_found`). Two workers running this at
    once pay each fact exactly once; a worker killed midway loses only its open transaction,
    which the next run redoes.

    Latency: the worker runs this every minute (manyi.core.worker), just after it enqueues the
    SLA sweep, so a payout follows its SLA breach within about a minute. A `next_update` cycle
    that breaches and is answered before detection runs starts a new cycle and clears the
    clock's breach, so that breach does not pay: guarantees are best bound to first_response
    and resolution, whose breach stays on the clock."""
    now = now or timezone.now()
    # A measured guarantee pays a fixed amount (save_guarantee enforces it; a row changed
    # behind its back that would pay nothing is left alone).
    guarantees = list(
        Guarantee.objects.filter(
            active=True, trigger__in=DETECTED, payout_kind=PayoutKind.FIXED, amount__gt=0
        ).order_by("organisation_id")
    )
    paid = 0
    sla = [g for g in guarantees if g.trigger == TriggerKind.SLA_BREACH]
    by_finder = (
        (_sla_found, [g for g in sla if g.within_minutes is None]),
        # A row changed behind save_guarantee's back to another metric is left alone.
        (_within_found, [g for g in sla if g.within_minutes and g.metric in WITHIN_TIMESTAMPS]),
        (_followup_found, [g for g in guarantees if g.trigger == TriggerKind.FOLLOWUP_MISSED]),
    )
    for finder, chosen in by_finder:
        if not chosen:
            continue
        for found in _pages(finder, chosen, now=now, batch=batch):
            for item in found:
                paid += pay_found(item, now=now)
    return paid
