"""Every write to a case. Views, the API, commands and tasks parse input and call one of these.

Each service runs in one transaction, locks the case row, refuses a stale `version`
(no lost update), updates the SLA clocks, appends to the audit trail and queues notifications
that are sent after commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.choices import Role
from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import diff, record_event, snapshot
from manyi.cases import sla
from manyi.cases.choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    Channel,
    ComplainerType,
    Direction,
    EscalationLevel,
    Medium,
    Nature,
    Outcome,
    RootCause,
    Severity,
    Status,
)
from manyi.cases.models import Case, Category, Communication, ReplyTemplate
from manyi.core.db import lock_self
from manyi.core.errors import ConflictError, DomainError, ValidationFailed
from manyi.core.models import Counter
from manyi.customers.models import Asset, Customer
from manyi.notifications.services import Message, queue_notifications

EDITABLE_FIELDS = (
    "channel",
    "category",
    "severity",
    "nature",
    "complainer_type",
    "threatens_media",
    "threatens_regulator",
    "threatens_lawyer",
    "repeat_complaint",
    "summary",
    "description",
    "asset",
)
# A change of any of these may change which SLA policy applies.
POLICY_FIELDS = frozenset({"severity", "category", "channel"})


def next_number(*, organisation_id: int, prefix: str, year: int) -> str:
    """TS2026-000123: a per-organisation, per-year sequence, safe under concurrency.

    One `UPDATE … RETURNING` takes the next value (PostgreSQL and SQLite ≥ 3.35 both have it);
    the counter row is created on the year's first case."""
    key = f"case-{year}"
    table = Counter._meta.db_table
    sql = (
        f'UPDATE "{table}" SET "value" = "value" + 1 '  # noqa: S608 - table name from the model
        'WHERE "organisation_id" = %s AND "key" = %s RETURNING "value"'
    )
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [organisation_id, key])
            row = cursor.fetchone()
        if row is not None:
            return f"{prefix}{year}-{int(row[0]):06d}"
        try:
            with transaction.atomic():
                Counter.objects.create(organisation_id=organisation_id, key=key, value=0)
        except IntegrityError:
            pass  # another transaction created it first
    raise RuntimeError("case number counter could not be created")


def _validate_fields(data: dict[str, Any], *, organisation_id: int, customer_id: int) -> None:
    errors: dict[str, list[str]] = {}
    choices = {
        "channel": Channel,
        "severity": Severity,
        "nature": Nature,
        "complainer_type": ComplainerType,
    }
    for field, enum in choices.items():
        if field in data and data[field] not in enum.values:
            errors[field] = [_("Not one of the allowed values.")]
    if "summary" in data:
        summary = (data["summary"] or "").strip()
        if not summary:
            errors["summary"] = [_("A summary is required.")]
        elif len(summary) > 200:
            errors["summary"] = [
                _("At most 200 characters (this one has %(n)d).") % {"n": len(summary)}
            ]
        data["summary"] = summary
    category = data.get("category")
    if "category" in data:
        if category is None or category.organisation_id != organisation_id:
            errors["category"] = [_("Unknown category.")]
        elif not category.active:
            errors["category"] = [_("This category is no longer in use.")]
    asset = data.get("asset")
    if asset is not None and asset.customer_id != customer_id:
        errors["asset"] = [_("This vehicle belongs to another customer.")]
    if errors:
        raise ValidationFailed(errors)


def _locked(case: Case, version: int | None) -> Case:
    current = (
        Case.objects.select_for_update(**lock_self())
        .select_related("category__parent", "customer", "store__calendar", "owner", "sla_policy")
        .get(pk=case.pk)
    )
    if version is not None and current.version != version:
        raise ConflictError(
            _(
                "Someone else changed this case after you opened it (now version %(v)d). "
                "Reload it and apply your change again."
            )
            % {"v": current.version}
        )
    return current


def _bump(case: Case, **fields: Any) -> None:
    case.version += 1
    for k, v in fields.items():
        setattr(case, k, v)
    case.save()


@transaction.atomic
def create_case(
    *,
    actor: User,
    customer: Customer,
    channel: str,
    category: Category | None,
    summary: str,
    severity: str = Severity.NORMAL,
    store: Store | None = None,
    description: str = "",
    nature: str = Nature.PROBLEM_SOLVING,
    complainer_type: str = ComplainerType.VOICER,
    threatens_media: bool = False,
    threatens_regulator: bool = False,
    threatens_lawyer: bool = False,
    repeat_complaint: bool = False,
    received_at: dt.datetime | None = None,
    owner: User | None = None,
    asset: Asset | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Take a complaint. The person who receives it owns it unless another owner is given."""
    now = now or timezone.now()
    if store is None:
        store = Store.objects.select_related("organisation", "calendar").get(pk=customer.store_id)
    organisation_id = customer.organisation_id
    data: dict[str, Any] = {
        "channel": channel,
        "category": category,
        "severity": severity,
        "nature": nature,
        "complainer_type": complainer_type,
        "summary": summary,
        "asset": asset,
    }
    _validate_fields(data, organisation_id=organisation_id, customer_id=customer.pk)
    errors: dict[str, list[str]] = {}
    if store.organisation_id != organisation_id:
        errors["store"] = [_("Unknown store.")]
    severity = watch_list_severity(customer, severity, store.organisation.watch_list_severity)
    data["severity"] = severity
    received_at = received_at or now
    if timezone.is_naive(received_at):
        errors["received_at"] = [_("Give the time with its time zone.")]
    elif received_at > now + dt.timedelta(minutes=5):
        errors["received_at"] = [_("The complaint cannot be received in the future.")]
    owner = owner or actor
    if owner.organisation_id != organisation_id or not owner.is_active:
        errors["owner"] = [_("Unknown staff member.")]
    if errors:
        raise ValidationFailed(errors)
    assert category is not None
    organisation = store.organisation
    case = Case(
        organisation_id=organisation_id,
        number=next_number(
            organisation_id=organisation_id,
            prefix=organisation.case_prefix,
            year=timezone.localtime(received_at).year,
        ),
        customer=customer,
        asset=asset,
        store=store,
        channel=channel,
        category=category,
        severity=severity,
        nature=nature,
        complainer_type=complainer_type,
        threatens_media=threatens_media,
        threatens_regulator=threatens_regulator,
        threatens_lawyer=threatens_lawyer,
        repeat_complaint=repeat_complaint,
        summary=data["summary"],
        description=description,
        received_at=received_at,
        owner=owner,
        created_by=actor,
    )
    # Policy and clocks are worked out before the INSERT, so a new case costs one INSERT per
    # table and no read-back.
    policy = sla.policy_for(case)
    case.sla_policy = policy
    book = sla.ClockBook(case, policy, now=now, clocks=())
    book.start_new_case()
    case.next_due_at = book.next_due()
    case.save(force_insert=True)
    book.save()
    record_event(
        organisation_id=organisation_id,
        kind=EventKind.CREATED,
        actor=actor,
        case=case,
        changes=diff({}, snapshot(case, ["channel", "category", "severity", "summary", "owner"])),
        message=policy.name if policy else "",
        at=now,
    )
    if owner.pk != actor.pk:
        queue_notifications([_assigned_message(case, owner)])
    return case


SEVERITY_RANK = {s: i for i, s in enumerate(Severity.values)}


def watch_list_severity(customer: Customer, severity: str, floor: str) -> str:
    """A watch-list customer's new case starts at least at the organisation's `floor`."""
    if not customer.watch_list or floor not in SEVERITY_RANK or severity not in SEVERITY_RANK:
        return severity
    return floor if SEVERITY_RANK[severity] < SEVERITY_RANK[floor] else severity


def _assigned_message(case: Case, owner: User) -> Message:
    return Message(
        recipient=owner,
        kind="assigned",
        case_id=case.pk,
        dedupe_key=f"assigned:{case.pk}:{case.version}",
        subject=_("Case %(number)s is now yours: %(summary)s")
        % {"number": case.number, "summary": case.summary},
        body=_("Case %(number)s (%(customer)s) was assigned to you.")
        % {"number": case.number, "customer": case.customer.name},
    )


@transaction.atomic
def update_case(
    *,
    actor: User,
    case: Case,
    changes: dict[str, Any],
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Edit fields of a case; a change of severity, category or channel re-evaluates its SLA."""
    now = now or timezone.now()
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("This field cannot be changed here."), field=sorted(unknown)[0])
    current = _locked(case, version)
    data = dict(changes)
    _validate_fields(data, organisation_id=current.organisation_id, customer_id=current.customer_id)
    before = snapshot(current, data.keys())
    for field, value in data.items():
        setattr(current, field, value)
    changed = diff(before, snapshot(current, data.keys()))
    if not changed:
        return current
    _bump(current)
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        case=current,
        changes=changed,
        at=now,
    )
    if POLICY_FIELDS & set(changed) and current.status not in (Status.CLOSED,):
        _reevaluate(current, actor=actor, now=now)
    return current


def _reevaluate(case: Case, *, actor: User | None, now: dt.datetime) -> None:
    old_policy = case.sla_policy
    new_policy = sla.policy_for(case)
    if new_policy != old_policy:
        Case.objects.filter(pk=case.pk).update(sla_policy=new_policy)
        case.sla_policy = new_policy
    book = sla.ClockBook(case, new_policy, now=now)
    book.reevaluate(old_policy)
    book.save()
    record_event(
        organisation_id=case.organisation_id,
        kind=EventKind.SLA,
        actor=actor,
        case=case,
        changes={
            "event": [None, "reevaluated"],
            "sla_policy": [
                old_policy.name if old_policy else None,
                new_policy.name if new_policy else None,
            ],
            "due": [
                None,
                {
                    c.metric: c.due_at.isoformat() if c.due_at else None
                    for c in book.clocks.values()
                },
            ],
        },
        at=now,
    )


# The communication-log medium of a response recorded through a case channel.
MEDIUM_FOR_CHANNEL: dict[str, str] = {
    Channel.PHONE: Medium.CALL,
    Channel.WALK_IN: Medium.VISIT,
    Channel.EMAIL: Medium.EMAIL,
    Channel.WEB: Medium.EMAIL,
    Channel.WECHAT: Medium.WECHAT,
    Channel.LETTER: Medium.LETTER,
    Channel.SOCIAL_MEDIA: Medium.WECHAT,
    Channel.SURVEY: Medium.CALL,
    Channel.REGULATOR: Medium.LETTER,
    Channel.MANUFACTURER: Medium.CALL,
}


@transaction.atomic
def respond_to_case(
    *,
    actor: User,
    case: Case,
    message: str,
    channel: str = Channel.PHONE,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Record a customer-facing response: it meets `first_response` and restarts `next_update`.

    The same as logging an outbound communication whose medium follows the case channel."""
    if channel not in Channel.values:
        raise DomainError(_("Not one of the allowed values."), field="channel")
    entry = log_communication(
        actor=actor,
        case=case,
        direction=Direction.OUTBOUND,
        medium=MEDIUM_FOR_CHANNEL.get(channel, Medium.CALL),
        content=message,
        version=version,
        now=now,
        field="message",
        require_open=True,
    )
    return entry.case


@transaction.atomic
def log_communication(
    *,
    actor: User | None,
    case: Case,
    direction: str,
    medium: str,
    content: str,
    at: dt.datetime | None = None,
    version: int | None = None,
    template: ReplyTemplate | None = None,
    automatic: bool = False,
    now: dt.datetime | None = None,
    field: str = "content",
    require_open: bool = False,
) -> Communication:
    """Log a call, SMS, email, WeChat message, visit or letter with the customer.

    An outbound entry typed by staff on an open case is a response: it meets `first_response`,
    restarts `next_update` and acknowledges a new case. Inbound entries, entries on a resolved
    or closed case and messages Manyi sent by itself (`automatic`) only go into the log and the
    timeline."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    text = (content or "").strip()
    if not text:
        errors[field] = (
            [_("Write what the customer was told.")]
            if direction == Direction.OUTBOUND
            else [_("Write what was said.")]
        )
    if direction not in Direction.values:
        errors["direction"] = [_("Not one of the allowed values.")]
    if medium not in Medium.values:
        errors["medium"] = [_("Not one of the allowed values.")]
    at = at or now
    if timezone.is_naive(at):
        errors["at"] = [_("Give the time with its time zone.")]
    elif at > now + dt.timedelta(minutes=5):
        errors["at"] = [_("This cannot be in the future.")]
    if errors:
        raise ValidationFailed(errors)
    current = _locked(case, version)
    if at < current.received_at - dt.timedelta(minutes=5):
        raise ValidationFailed({"at": [_("This is before the complaint was received.")]})
    if require_open and not current.is_open:
        raise DomainError(_("Reopen the case before answering it."), field="status")
    if template is not None and template.organisation_id != current.organisation_id:
        raise DomainError(_("Unknown template."), field="template")
    responds = direction == Direction.OUTBOUND and not automatic and current.is_open
    if responds:
        # The clocks are met now (when it is recorded), so the case's response times are too:
        # a back-dated entry cannot turn a breached first response into one made in time.
        fields: dict[str, Any] = {"last_responded_at": now}
        if current.first_responded_at is None:
            fields["first_responded_at"] = now
        old_status = current.status
        if current.status == Status.NEW:
            fields["status"] = Status.ACKNOWLEDGED
        _bump(current, **fields)
        book = sla.ClockBook(current, current.sla_policy, now=now)
        book.customer_heard_from_us()
        book.save()
    entry = Communication.objects.create(
        organisation_id=current.organisation_id,
        case=current,
        direction=direction,
        medium=medium,
        content=text,
        at=at,
        by=actor,
        automatic=automatic,
        template=template,
    )
    if direction == Direction.OUTBOUND and automatic:
        kind = EventKind.MESSAGE_SENT
    elif responds:
        kind = EventKind.RESPONDED
    else:
        kind = EventKind.COMMUNICATED
    record_event(
        organisation_id=current.organisation_id,
        kind=kind,
        actor=actor,
        case=current,
        message=text,
        changes={"direction": [None, direction], "medium": [None, medium]},
        at=now,
    )
    if responds and old_status != current.status:
        record_event(
            organisation_id=current.organisation_id,
            kind=EventKind.STATUS,
            actor=actor,
            case=current,
            changes={"status": [old_status, current.status]},
            at=now,
        )
    return entry


@transaction.atomic
def comment_on_case(*, actor: User, case: Case, text: str, now: dt.datetime | None = None) -> Case:
    """An internal note: seen by staff only, does not count as a response."""
    if not (text or "").strip():
        raise DomainError(_("The note is empty."), field="text")
    current = _locked(case, None)
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.COMMENTED,
        actor=actor,
        case=current,
        message=text.strip(),
        at=now or timezone.now(),
    )
    return current


LEARNING_FIELDS = ("outcome", "root_cause", "root_cause_note", "corrective_action")


def _learning(
    current: Case, status: str, given: dict[str, str], *, required: bool
) -> dict[str, str]:
    """The outcome and root-cause fields to write when resolving or closing.

    Resolving needs the outcome; closing needs the root-cause category, its note and the
    corrective action (each may have been given earlier, at resolution). Values given with
    another status change are kept too."""
    values = {k: (v or "").strip() for k, v in given.items() if v is not None and v != ""}
    errors: dict[str, list[str]] = {}
    if "outcome" in values and values["outcome"] not in Outcome.values:
        errors["outcome"] = [_("Not one of the allowed values.")]
    if "root_cause" in values and values["root_cause"] not in RootCause.values:
        errors["root_cause"] = [_("Not one of the allowed values.")]
    if required:
        merged = {k: values.get(k) or getattr(current, k) for k in LEARNING_FIELDS}
        if status in (Status.RESOLVED, Status.CLOSED) and not merged["outcome"]:
            errors.setdefault("outcome", [_("Say how the complaint ended.")])
        if status == Status.CLOSED:
            if not merged["root_cause"]:
                errors.setdefault("root_cause", [_("Choose the root cause.")])
            if not merged["root_cause_note"]:
                errors["root_cause_note"] = [_("Describe the root cause.")]
            if not merged["corrective_action"]:
                errors["corrective_action"] = [
                    _("Say what will be done so that it does not happen again.")
                ]
    if errors:
        raise ValidationFailed(errors)
    return values


@transaction.atomic
def change_status(
    *,
    actor: User,
    case: Case,
    status: str,
    note: str = "",
    version: int | None = None,
    outcome: str = "",
    root_cause: str = "",
    root_cause_note: str = "",
    corrective_action: str = "",
    require_learning: bool = True,
    now: dt.datetime | None = None,
) -> Case:
    """Move a case to `status` if the transition is allowed; clocks pause, resume or stop.

    Resolving requires the outcome and schedules the follow-up call; closing requires the root
    cause and the corrective action. `require_learning=False` is for imports of old cases: it
    neither requires these nor schedules a follow-up call."""
    now = now or timezone.now()
    if status not in Status.values:
        raise DomainError(_("Not one of the allowed values."), field="status")
    current = _locked(case, version)
    old = current.status
    if status == old:
        raise DomainError(_("The case is already in this status."), field="status")
    if status not in TRANSITIONS[old]:
        raise DomainError(
            _("A case cannot go from “%(old)s” to “%(new)s”.")
            % {"old": Status(old).label, "new": Status(status).label},
            field="status",
            code="illegal_transition",
        )
    if old in (Status.RESOLVED, Status.CLOSED) and status == Status.IN_PROGRESS:
        return _reopen(current, actor=actor, reason=note, now=now)
    learned = _learning(
        current,
        status,
        {
            "outcome": outcome,
            "root_cause": root_cause,
            "root_cause_note": root_cause_note,
            "corrective_action": corrective_action,
        },
        required=require_learning,
    )
    before_learning = snapshot(current, learned.keys())
    fields: dict[str, Any] = {"status": status, **learned}
    if status == Status.RESOLVED:
        fields["resolved_at"] = now
    if status == Status.CLOSED:
        fields["closed_at"] = now
    _bump(current, **fields)
    book = sla.ClockBook(current, current.sla_policy, now=now)
    if status == Status.RESOLVED:
        book.resolved()
    elif status in book.pause_on:
        book.pause()
    elif old in book.pause_on:
        book.resume()
    book.save()
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.STATUS,
        actor=actor,
        case=current,
        message=note,
        changes={
            "status": [old, status],
            **diff(before_learning, snapshot(current, learned.keys())),
        },
        at=now,
    )
    if status == Status.RESOLVED and require_learning:
        # Not for imports of old cases: their call-backs are history, not work to do.
        from manyi.followups.services import schedule_case_followup

        schedule_case_followup(case=current, actor=actor, now=now)
    return current


def _reopen(case: Case, *, actor: User, reason: str, now: dt.datetime) -> Case:
    if not reason.strip():
        raise DomainError(_("Say why the case is reopened."), field="note")
    old = case.status
    _bump(
        case,
        status=Status.IN_PROGRESS,
        resolved_at=None,
        closed_at=None,
        outcome="",
        reopen_count=case.reopen_count + 1,
    )
    book = sla.ClockBook(case, case.sla_policy, now=now)
    book.reopened()
    book.save()
    record_event(
        organisation_id=case.organisation_id,
        kind=EventKind.REOPENED,
        actor=actor,
        case=case,
        message=reason.strip(),
        changes={"status": [old, Status.IN_PROGRESS]},
        at=now,
    )
    from manyi.followups.services import cancel_case_followups

    cancel_case_followups(case=case, actor=actor, now=now)
    return case


@transaction.atomic
def reopen_case(
    *,
    actor: User,
    case: Case,
    reason: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    current = _locked(case, version)
    if current.status not in (Status.RESOLVED, Status.CLOSED):
        raise DomainError(_("Only a resolved or closed case can be reopened."), field="status")
    return _reopen(current, actor=actor, reason=reason, now=now or timezone.now())


@transaction.atomic
def assign_case(
    *,
    actor: User,
    case: Case,
    owner: User,
    note: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Transfer a case to a colleague with a note; the new owner is notified."""
    now = now or timezone.now()
    current = _locked(case, version)
    if owner.organisation_id != current.organisation_id or not owner.is_active:
        raise DomainError(_("Unknown staff member."), field="owner")
    if owner.pk == current.owner_id:
        raise DomainError(_("The case already belongs to this person."), field="owner")
    if not (owner.is_org_wide or owner.store_id == current.store_id):
        raise DomainError(_("This person does not work in the case's store."), field="owner")
    old_owner = current.owner
    _bump(current, owner=owner)
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.ASSIGNED,
        actor=actor,
        case=current,
        message=note.strip(),
        changes={"owner": [str(old_owner), str(owner)]},
        at=now,
    )
    if owner.pk != actor.pk:
        queue_notifications([_assigned_message(current, owner)])
    return current


def escalation_target(case: Case, level: int) -> User | None:
    """Who a case escalates to: level 1 the owner's supervisor (else a supervisor of the
    store), level 2 the store manager (else an organisation admin)."""
    staff = User.objects.filter(organisation_id=case.organisation_id, is_active=True)
    if level == EscalationLevel.SUPERVISOR:
        owner = case.owner
        if owner.supervisor is not None and owner.supervisor.is_active:
            return owner.supervisor
        return staff.filter(store_id=case.store_id, role=Role.SUPERVISOR).order_by(
            "id"
        ).first() or escalation_target(case, EscalationLevel.STORE_MANAGER)
    if level == EscalationLevel.STORE_MANAGER:
        return (
            staff.filter(store_id=case.store_id, role=Role.STORE_MANAGER).order_by("id").first()
            or staff.filter(role=Role.ORG_ADMIN).order_by("id").first()
        )
    return None


@transaction.atomic
def escalate_case(
    *,
    actor: User,
    case: Case,
    reason: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Escalate by hand one step up the chain (owner → supervisor → store manager)."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise DomainError(_("Say why the case is escalated."), field="reason")
    current = _locked(case, version)
    if current.status not in OPEN_STATUSES:
        raise DomainError(_("Only an open case can be escalated."), field="status")
    if current.escalation_level >= EscalationLevel.STORE_MANAGER:
        raise DomainError(
            _("The case is already with the store manager."), field="escalation_level"
        )
    level = current.escalation_level + 1
    target = escalation_target(current, level)
    old_level = current.escalation_level
    _bump(current, escalation_level=level)
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.ESCALATED,
        actor=actor,
        case=current,
        message=reason.strip(),
        changes={
            "escalation_level": [old_level, level],
            "to": [None, str(target) if target else None],
        },
        at=now,
    )
    recipients = {u.pk: u for u in (current.owner, target) if u is not None and u.pk != actor.pk}
    queue_notifications(
        Message(
            recipient=u,
            kind="escalated",
            case_id=current.pk,
            dedupe_key=f"escalated:{current.pk}:{level}:{current.version}",
            subject=_("Case %(number)s escalated: %(summary)s")
            % {"number": current.number, "summary": current.summary},
            body=_("%(actor)s escalated case %(number)s: %(reason)s")
            % {"actor": str(actor), "number": current.number, "reason": reason.strip()},
        )
        for u in recipients.values()
    )
    return current
