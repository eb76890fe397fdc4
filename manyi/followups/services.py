"""Every write to follow-ups and phone messages.

A follow-up's `due_at` is the end of the business day it is scheduled for, on the store's
calendar (the first working day on or after that date). A phone message must be returned by
the end of the next working day after it was taken (DOMAIN.md §2).

Lock order is the one of manyi.cases.services: the case row first, then the follow-up, so an
outcome that reopens a case never deadlocks with a user changing that case."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.accounts.choices import Role
from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.calendars.engine import CalendarSpec, day_windows, working_day_end
from manyi.cases.choices import EscalationLevel, Status
from manyi.cases.models import Case
from manyi.cases.sla import ALWAYS_OPEN
from manyi.core.db import lock_self
from manyi.core.errors import ConflictError, DomainError, ValidationFailed
from manyi.core.scoping import cases_for, customers_for, staff_for
from manyi.customers.models import Customer
from manyi.customers.validation import normalise_phone
from manyi.followups.choices import (
    MAX_ATTEMPTS,
    ContactResult,
    FollowUpState,
    Reason,
    Satisfaction,
)
from manyi.followups.models import CallScript, FollowUp, FollowUpAttempt, PhoneMessage
from manyi.notifications.services import Message, queue_notifications

M = TypeVar("M", bound=Model)
MANAGER_ROLES = frozenset({Role.STORE_MANAGER, Role.ORG_ADMIN})

# --------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------


def store_spec(store: Store) -> CalendarSpec:
    """The store's business calendar; a store without one is open every day."""
    return store.calendar.spec() if store.calendar_id and store.calendar else ALWAYS_OPEN


def due_for(store: Store, day: dt.date) -> dt.datetime:
    """The end of the first working day on or after `day` on the store's calendar."""
    return working_day_end(store_spec(store), day)


def store_zone(store: Store) -> ZoneInfo:
    return ZoneInfo(store_spec(store).timezone)


def local_date(store: Store, at: dt.datetime) -> dt.date:
    """The store's calendar date of an instant."""
    return at.astimezone(store_zone(store)).date()


def first_working_day(store: Store, day: dt.date, *, search_days: int = 400) -> dt.date:
    """The first working day on or after `day` (the day itself if the calendar has none)."""
    spec = store_spec(store)
    for offset in range(search_days):
        candidate = day + dt.timedelta(days=offset)
        if day_windows(spec, candidate):
            return candidate
    return day


def next_working_day(store: Store, day: dt.date) -> dt.date:
    """The first working day after `day`: where an unanswered call is moved by default."""
    return first_working_day(store, day + dt.timedelta(days=1))


def message_due(store: Store, received_at: dt.datetime) -> dt.datetime:
    """End of the next working day after the message was taken, on the store's calendar."""
    return working_day_end(store_spec(store), local_date(store, received_at) + dt.timedelta(days=1))


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def works_in(user: User, organisation_id: int, store_id: int) -> bool:
    """The user may handle work of this store: an org-wide role or the store's own staff."""
    return user.organisation_id == organisation_id and (
        user.is_org_wide or user.store_id == store_id
    )


def supervisor_of(user: User) -> User | None:
    """Who is told when someone's call or message is overdue: their own supervisor, else a
    supervisor of their store."""
    boss = user.supervisor if user.supervisor_id else None
    if boss is not None and boss.is_active and boss.pk != user.pk:
        return boss
    if user.store_id is None or user.organisation_id is None:
        return None
    return (
        User.objects.filter(
            organisation_id=user.organisation_id,
            store_id=user.store_id,
            role=Role.SUPERVISOR,
            is_active=True,
        )
        .exclude(pk=user.pk)
        .order_by("id")
        .first()
    )


def _locked(qs: QuerySet[M], pk: int, *related: str) -> M:
    return qs.select_for_update(**lock_self()).select_related(*related).get(pk=pk)


def max_reschedule_days() -> int:
    """How far ahead an unanswered call may be moved, in days after the attempt
    (settings.MANYI_FOLLOWUP_MAX_RESCHEDULE_DAYS, default 14): a follow-up pushed back for
    weeks is a call that will never be made."""
    return max(1, int(getattr(settings, "MANYI_FOLLOWUP_MAX_RESCHEDULE_DAYS", 14)))


def _when(store: Store, at: dt.datetime) -> str:
    return at.astimezone(store_zone(store)).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------------------
# Follow-ups
# --------------------------------------------------------------------------------------


@transaction.atomic
def schedule_case_followup(
    *, case: Case, actor: User | None, now: dt.datetime | None = None
) -> FollowUp | None:
    """The follow-up call after a case is resolved: `followup_days` calendar days after the
    day it was resolved on the store's calendar (SLA policy, default 7; 0 = none), assigned to
    the case owner. One open follow-up per case."""
    now = now or timezone.now()
    days = case.sla_policy.followup_days if case.sla_policy is not None else 7
    if days <= 0:
        return None
    open_ = FollowUp.objects.filter(case=case, state=FollowUpState.OPEN).first()
    if open_ is not None:
        return open_
    store = Store.objects.select_related("calendar").get(pk=case.store_id)
    # The store's calendar date, not the server's: a case resolved late in the evening in a
    # store west of the server's time zone is still "today" there.
    day = local_date(store, now) + dt.timedelta(days=days)
    followup = FollowUp.objects.create(
        organisation_id=case.organisation_id,
        store=store,
        customer_id=case.customer_id,
        case=case,
        reason=Reason.COMPLAINT,
        assigned_to_id=case.owner_id,
        scheduled_for=day,
        due_at=due_for(store, day),
        created_by=actor,
    )
    record_event(
        organisation_id=case.organisation_id,
        kind=EventKind.FOLLOWUP,
        actor=actor,
        case=case,
        changes={
            "followup_reason": [None, Reason.COMPLAINT],
            "scheduled_for": [None, day.isoformat()],
        },
        at=now,
    )
    return followup


def cancel_case_followups(*, case: Case, actor: User | None, now: dt.datetime) -> int:
    """A reopened case's pending follow-up calls are cancelled; resolving it again schedules a
    new one."""
    return FollowUp.objects.filter(case=case, state=FollowUpState.OPEN).update(
        state=FollowUpState.CANCELLED, completed_at=now
    )


@transaction.atomic
def schedule_followup(
    *,
    actor: User,
    customer: Customer,
    reason: str,
    assigned_to: User,
    scheduled_for: dt.date,
    case: Case | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> FollowUp:
    """A follow-up call for any reason (after a service visit, for a prospect, customer care,
    retention, or a complaint's case), to be made on `scheduled_for` by `assigned_to`."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if reason not in Reason.values:
        errors["reason"] = [_("Not one of the allowed values.")]
    if (
        customer.organisation_id != actor.organisation_id
        or not customers_for(actor).filter(pk=customer.pk).exists()
    ):
        raise ValidationFailed({"customer": [_("Unknown customer.")]})
    if case is not None:
        if (
            case.organisation_id != actor.organisation_id
            or not cases_for(actor).filter(pk=case.pk).exists()
        ):
            errors["case"] = [_("Unknown case.")]
        elif case.customer_id != customer.pk:
            errors["case"] = [_("This case is not the customer's.")]
        elif FollowUp.objects.filter(case=case, state=FollowUpState.OPEN).exists():
            errors["case"] = [_("This case already has a follow-up call to make.")]
    elif reason == Reason.COMPLAINT:
        errors["case"] = [_("A follow-up after a complaint needs its case.")]
    store_id = case.store_id if case is not None else customer.store_id
    store = Store.objects.select_related("calendar").get(pk=store_id)
    if assigned_to.organisation_id != actor.organisation_id or not assigned_to.is_active:
        errors["assigned_to"] = [_("Unknown staff member.")]
    elif not works_in(assigned_to, store.organisation_id, store.pk):
        errors["assigned_to"] = [_("This person does not work in the customer's store.")]
    if scheduled_for < local_date(store, now):
        errors["scheduled_for"] = [_("A call cannot be scheduled in the past.")]
    if errors:
        raise ValidationFailed(errors)
    followup = FollowUp.objects.create(
        organisation_id=customer.organisation_id,
        store=store,
        customer=customer,
        case=case,
        reason=reason,
        assigned_to=assigned_to,
        scheduled_for=scheduled_for,
        due_at=due_for(store, scheduled_for),
        note=note.strip(),
        created_by=actor,
    )
    record_event(
        organisation_id=customer.organisation_id,
        kind=EventKind.FOLLOWUP,
        actor=actor,
        case=case,
        customer=customer if case is None else None,
        message=note.strip(),
        changes={
            "followup_reason": [None, reason],
            "scheduled_for": [None, scheduled_for.isoformat()],
        },
        at=now,
    )
    if assigned_to.pk != actor.pk:
        queue_notifications(
            [
                Message(
                    recipient=assigned_to,
                    kind="followup_assigned",
                    dedupe_key=f"followup-assigned:{followup.pk}",
                    case_id=case.pk if case is not None else None,
                    subject=_("A follow-up call for you: %(customer)s on %(day)s")
                    % {"customer": customer.name, "day": scheduled_for.isoformat()},
                    body=_("%(actor)s asked you to call %(customer)s (%(reason)s) on %(day)s.")
                    % {
                        "actor": str(actor),
                        "customer": customer.name,
                        "reason": Reason(reason).label,
                        "day": scheduled_for.isoformat(),
                    },
                )
            ]
        )
    return followup


@transaction.atomic
def record_attempt(
    *,
    actor: User,
    followup: FollowUp,
    result: str,
    satisfaction: str = "",
    note: str = "",
    reschedule_to: dt.date | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> FollowUp:
    """Record one call of a follow-up and what came of it.

    - reached: done, with the customer's satisfaction (required);
    - wrong number / refused: done with that result;
    - no answer: called again on `reschedule_to` (default the next working day; at most
      max_reschedule_days() after the attempt); after MAX_ATTEMPTS unanswered calls the
      follow-up expires with that result.

    Done after its due time, or expired, it is `missed` (service omission). "Not satisfied"
    on a case's follow-up reopens the case (if resolved or closed) and tells the owner and
    their supervisor."""
    now = now or timezone.now()
    case: Case | None = None
    if followup.case_id is not None:
        case = _locked(Case.objects.all(), followup.case_id, "owner__supervisor", "customer")
    current = _locked(
        FollowUp.objects.all(), followup.pk, "store__calendar", "customer", "assigned_to"
    )
    if version is not None and current.version != version:
        raise ConflictError(
            _(
                "Someone else recorded this call after you opened it (now version %(v)d). "
                "Reload and record it again if still needed."
            )
            % {"v": current.version}
        )
    if not works_in(actor, current.organisation_id, current.store_id):
        raise DomainError(_("You may not record calls of this store."), code="forbidden")
    if current.state != FollowUpState.OPEN:
        raise DomainError(
            _("This follow-up is no longer open (%(state)s).")
            % {"state": FollowUpState(current.state).label},
            code="not_open",
        )
    errors: dict[str, list[str]] = {}
    if result not in ContactResult.values:
        errors["result"] = [_("Choose what came of the call.")]
    if result == ContactResult.REACHED:
        if satisfaction not in Satisfaction.values:
            errors["satisfaction"] = [_("Ask the customer whether they are satisfied.")]
    elif satisfaction:
        errors["satisfaction"] = [_("Only a customer who was reached can say this.")]
    store = current.store
    today = local_date(store, now)
    if reschedule_to is not None:
        if result != ContactResult.NO_ANSWER:
            errors["reschedule_to"] = [_("Only an unanswered call is rescheduled.")]
        elif reschedule_to < today:
            errors["reschedule_to"] = [_("A call cannot be scheduled in the past.")]
        elif reschedule_to > today + dt.timedelta(days=max_reschedule_days()):
            errors["reschedule_to"] = [
                _("An unanswered call is called again within %(n)d days (by %(day)s).")
                % {
                    "n": max_reschedule_days(),
                    "day": (today + dt.timedelta(days=max_reschedule_days())).isoformat(),
                }
            ]
    if errors:
        raise ValidationFailed(errors)

    note = note.strip()
    old_scheduled = current.scheduled_for
    late = now > current.due_at
    current.attempts += 1
    current.result = result
    current.satisfaction = satisfaction
    current.version += 1
    rescheduled: dt.date | None = None
    if result == ContactResult.NO_ANSWER and current.attempts < MAX_ATTEMPTS:
        rescheduled = reschedule_to or next_working_day(store, today)
        current.scheduled_for = rescheduled
        current.due_at = due_for(store, rescheduled)
        current.flagged_at = None  # the new due time is watched again
        current.missed = current.missed or late
    else:
        current.state = (
            FollowUpState.EXPIRED if result == ContactResult.NO_ANSWER else FollowUpState.DONE
        )
        current.completed_at = now
        current.missed = current.missed or late or current.state == FollowUpState.EXPIRED
    current.save()
    FollowUpAttempt.objects.create(
        followup=current,
        at=now,
        by=actor,
        result=result,
        satisfaction=satisfaction,
        note=note,
        rescheduled_for=rescheduled,
    )
    changes: dict[str, list[str | None]] = {"result": [None, result]}
    if satisfaction:
        changes["satisfaction"] = [None, satisfaction]
    if rescheduled is not None:
        changes["scheduled_for"] = [old_scheduled.isoformat(), rescheduled.isoformat()]
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.FOLLOWUP,
        actor=actor,
        case=case,
        customer=current.customer if case is None else None,
        message=note,
        changes=changes,
        at=now,
    )
    if satisfaction == Satisfaction.NO and case is not None:
        _unsatisfied(actor=actor, case=case, followup=current, note=note, now=now)
    return current


def _unsatisfied(
    *, actor: User, case: Case, followup: FollowUp, note: str, now: dt.datetime
) -> None:
    """A customer not satisfied on the follow-up call: the case goes back to work."""
    from manyi.cases.services import escalation_target, reopen_case

    reopened = case.status in (Status.RESOLVED, Status.CLOSED)
    if reopened:
        reason = _("Not satisfied on the follow-up call: %(note)s") % {"note": note or "—"}
        reopen_case(actor=actor, case=case, reason=reason, now=now)
    values = {"number": case.number, "customer": case.customer.name, "note": note or "—"}
    subject = _("Case %(number)s: the customer is not satisfied") % values
    if reopened:
        body = (
            _(
                "%(customer)s said on the follow-up call of case %(number)s that they are not "
                "satisfied (%(note)s). The case has been reopened."
            )
            % values
        )
    else:
        body = (
            _(
                "%(customer)s said on the follow-up call of case %(number)s that they are not "
                "satisfied (%(note)s)."
            )
            % values
        )
    recipients = [case.owner]
    boss = escalation_target(case, EscalationLevel.SUPERVISOR)
    if boss is not None and boss.pk != case.owner_id:
        recipients.append(boss)
    queue_notifications(
        [
            Message(
                recipient=user,
                kind="followup_unsatisfied",
                dedupe_key=f"followup-unsatisfied:{followup.pk}",
                case_id=case.pk,
                subject=subject,
                body=body,
            )
            for user in recipients
        ]
    )


# --------------------------------------------------------------------------------------
# Phone messages
# --------------------------------------------------------------------------------------


@transaction.atomic
def take_message(
    *,
    actor: User,
    for_user: User,
    caller_name: str,
    caller_phone: str,
    reason: str,
    received_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> PhoneMessage:
    """A message taken for an absent colleague; it is due back by the end of the next working
    day on the colleague's store calendar, and the colleague is told at once."""
    now = now or timezone.now()
    received_at = received_at or now
    org_id = actor.organisation_id
    if org_id is None:
        raise DomainError(_("Unknown staff member."), field="for_user")
    errors: dict[str, list[str]] = {}
    if not caller_name.strip():
        errors["caller_name"] = [_("Who called?")]
    phone = ""
    try:
        phone = normalise_phone(caller_phone, field="caller_phone")
    except DomainError as e:
        errors["caller_phone"] = [e.message]
    else:
        if not phone:
            errors["caller_phone"] = [_("The number to call back is needed.")]
    if not reason.strip():
        errors["reason"] = [_("Say what the call was about.")]
    if received_at > now + dt.timedelta(minutes=5):
        errors["received_at"] = [_("A message cannot be received in the future.")]
    visible = (
        for_user.organisation_id == org_id and staff_for(actor).filter(id=for_user.id).exists()
    )
    if not visible:
        errors["for_user"] = [_("Unknown staff member.")]
    store_id = for_user.store_id or actor.store_id
    if errors:
        raise ValidationFailed(errors)
    if store_id is None:
        raise ValidationFailed(
            {"for_user": [_("This person works in no store; the message has no calendar.")]}
        )
    store = Store.objects.select_related("calendar").get(pk=store_id)
    customer = Customer.objects.filter(organisation_id=org_id, phone=phone).first()
    message = PhoneMessage.objects.create(
        organisation_id=org_id,
        store=store,
        caller_name=caller_name.strip(),
        caller_phone=phone,
        reason=reason.strip(),
        received_at=received_at,
        for_user=for_user,
        taken_by=actor,
        customer=customer,
        due_at=message_due(store, received_at),
    )
    if customer is not None:
        record_event(
            organisation_id=org_id,
            kind=EventKind.FOLLOWUP,
            actor=actor,
            customer=customer,
            message=_("Phone message taken for %(name)s: %(reason)s")
            % {"name": str(for_user), "reason": message.reason},
            at=now,
        )
    if for_user.pk != actor.pk:
        # No phone number in the notification: it goes out by email/WeChat and stays in
        # inboxes; the number is on the workbench, masked as the reader may see it.
        values = {
            "caller": message.caller_name,
            "taker": str(actor),
            "at": _when(store, received_at),
            "due": _when(store, message.due_at),
            "reason": message.reason,
        }
        queue_notifications(
            [
                Message(
                    recipient=for_user,
                    kind="phone_message",
                    dedupe_key=f"phone-message:{message.pk}",
                    subject=_("Phone message from %(caller)s") % values,
                    body=_(
                        "%(caller)s called at %(at)s; %(taker)s took the message: %(reason)s\n"
                        "Please call %(caller)s back by %(due)s; the number is on your "
                        "follow-up workbench."
                    )
                    % values,
                )
            ]
        )
    return message


def may_return(user: User, message: PhoneMessage) -> bool:
    """The recipient, their supervisor, or a manager of the organisation."""
    if user.organisation_id != message.organisation_id:
        return False
    if user.pk == message.for_user_id or user.role in MANAGER_ROLES or user.is_superuser:
        return True
    return message.for_user.supervisor_id == user.pk


@transaction.atomic
def return_message(
    *, actor: User, message: PhoneMessage, note: str = "", now: dt.datetime | None = None
) -> PhoneMessage:
    """The call was returned; `note` says what was said."""
    now = now or timezone.now()
    current = _locked(PhoneMessage.objects.all(), message.pk, "for_user", "customer")
    if not may_return(actor, current):
        raise DomainError(
            _("Only the recipient, their supervisor or a manager can mark this message returned."),
            code="forbidden",
        )
    if current.returned_at is not None:
        raise DomainError(_("This message has already been returned."), code="returned")
    current.returned_at = now
    current.return_note = note.strip()
    current.save(update_fields=["returned_at", "return_note"])
    if current.customer_id is not None:
        values = {"name": str(current.for_user), "note": current.return_note}
        record_event(
            organisation_id=current.organisation_id,
            kind=EventKind.FOLLOWUP,
            actor=actor,
            customer=current.customer,
            message=(
                _("Phone message for %(name)s returned: %(note)s") % values
                if current.return_note
                else _("Phone message for %(name)s returned.") % values
            ),
            at=now,
        )
    return current


# --------------------------------------------------------------------------------------
# The overdue sweep
# --------------------------------------------------------------------------------------


def flag_overdue(*, now: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Flag, once each, the open follow-ups and unreturned messages whose due time has passed:
    the follow-up becomes `missed` (it stays callable), and the person and their supervisor
    are told.

    Rows are claimed batch by batch with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite
    serialises writers) and marked with a conditional UPDATE (`flagged_at IS NULL`), so two
    workers never flag or notify one row twice."""
    now = now or timezone.now()
    totals = {"followups": 0, "messages": 0, "notifications": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for kind in ("followups", "messages"):
            after = 0
            while True:
                with transaction.atomic():
                    claimed, flagged, sent, last = _flag_batch(kind, now, batch, after)
                totals[kind] += flagged
                totals["notifications"] += sent
                if claimed < batch:
                    break
                after = last
    return totals


def _flag_batch(kind: str, now: dt.datetime, batch: int, after: int) -> tuple[int, int, int, int]:
    """(rows claimed, rows flagged by us, notifications queued, last id claimed)."""
    model: type[FollowUp] | type[PhoneMessage]
    if kind == "followups":
        model = FollowUp
        due = FollowUp.objects.filter(state=FollowUpState.OPEN)
    else:
        model = PhoneMessage
        due = PhoneMessage.objects.filter(returned_at__isnull=True)  # type: ignore[assignment]
    ids = list(
        due.filter(flagged_at__isnull=True, due_at__lt=now, id__gt=after)
        .order_by("id")
        .select_for_update(**lock_self(skip_locked=True))
        .values_list("id", flat=True)[:batch]
    )
    if not ids:
        return 0, 0, 0, after
    # The rows are locked by this transaction, so the conditional UPDATE takes all of them; the
    # condition keeps a second worker on a database without row locks from flagging them again.
    fields: dict[str, object] = {"flagged_at": now}
    if model is FollowUp:
        fields["missed"] = True
    flagged = model.objects.filter(id__in=ids, flagged_at=None).update(**fields)
    if flagged != len(ids):  # pragma: no cover - only without row locks and serialisation
        ids = list(model.objects.filter(id__in=ids, flagged_at=now).values_list("id", flat=True))
    messages = _followup_messages(ids) if model is FollowUp else _phone_message_messages(ids)
    sent = queue_notifications(messages) if messages else 0
    return len(ids), flagged, sent, max(ids)


def _bosses(users: list[User]) -> dict[int, User]:
    """Each user's supervisor (their own, else their store's), in two queries at most."""
    found: dict[int, User] = {}
    need_store: set[int] = set()
    for u in users:
        boss = u.supervisor if u.supervisor_id else None
        if boss is not None and boss.is_active and boss.pk != u.pk:
            found[u.pk] = boss
        elif u.store_id is not None:
            need_store.add(u.store_id)
    if need_store:
        per_store: dict[int, list[User]] = {}
        for s in User.objects.filter(
            store_id__in=need_store, role=Role.SUPERVISOR, is_active=True
        ).order_by("id"):
            per_store.setdefault(s.store_id or 0, []).append(s)
        for u in users:
            if u.pk in found or u.store_id is None:
                continue
            boss = next((s for s in per_store.get(u.store_id, []) if s.pk != u.pk), None)
            if boss is not None:
                found[u.pk] = boss
    return found


def _followup_messages(ids: list[int]) -> list[Message]:
    rows = list(
        FollowUp.objects.filter(id__in=ids)
        .select_related("assigned_to__supervisor", "customer", "case", "store__calendar")
        .order_by("id")
    )
    bosses = _bosses([f.assigned_to for f in rows])
    out: list[Message] = []
    for f in rows:
        values = {
            "customer": f.customer.name,
            "reason": Reason(f.reason).label,
            "case": f" {f.case.number}" if f.case is not None else "",
            "due": _when(f.store, f.due_at),
            "staff": str(f.assigned_to),
        }
        key = f"followup-overdue:{f.pk}:{f.due_at.strftime('%Y%m%d%H%M')}"
        case_id = f.case_id
        out.append(
            Message(
                recipient=f.assigned_to,
                kind="followup_overdue",
                dedupe_key=key,
                case_id=case_id,
                subject=_("Follow-up call overdue: %(customer)s") % values,
                body=_(
                    "The follow-up call to %(customer)s (%(reason)s%(case)s) was due by %(due)s "
                    "and has not been made. It counts as missed; please call as soon as you can."
                )
                % values,
            )
        )
        boss = bosses.get(f.assigned_to_id)
        if boss is not None:
            out.append(
                Message(
                    recipient=boss,
                    kind="followup_overdue",
                    dedupe_key=key,
                    case_id=case_id,
                    subject=_("Follow-up call overdue: %(customer)s (%(staff)s)") % values,
                    body=_(
                        "%(staff)s has not made the follow-up call to %(customer)s "
                        "(%(reason)s%(case)s) due by %(due)s."
                    )
                    % values,
                )
            )
    return out


def _phone_message_messages(ids: list[int]) -> list[Message]:
    rows = list(
        PhoneMessage.objects.filter(id__in=ids)
        .select_related("for_user__supervisor", "store__calendar")
        .order_by("id")
    )
    bosses = _bosses([m.for_user for m in rows])
    out: list[Message] = []
    for m in rows:
        values = {  # no phone number in notifications: it is on the workbench
            "caller": m.caller_name,
            "due": _when(m.store, m.due_at),
            "staff": str(m.for_user),
        }
        key = f"message-overdue:{m.pk}"
        out.append(
            Message(
                recipient=m.for_user,
                kind="message_overdue",
                dedupe_key=key,
                subject=_("Message not returned: %(caller)s") % values,
                body=_(
                    "The phone message from %(caller)s was to be returned by %(due)s. Please "
                    "call %(caller)s back now; the number is on your follow-up workbench."
                )
                % values,
            )
        )
        boss = bosses.get(m.for_user_id)
        if boss is not None:
            out.append(
                Message(
                    recipient=boss,
                    kind="message_overdue",
                    dedupe_key=key,
                    subject=_("Message not returned: %(caller)s (%(staff)s)") % values,
                    body=_(
                        "%(staff)s has not returned the phone message from %(caller)s, "
                        "due by %(due)s. See the follow-up workbench."
                    )
                    % values,
                )
            )
    return out


# --------------------------------------------------------------------------------------
# Call scripts
# --------------------------------------------------------------------------------------


@transaction.atomic
def save_call_script(*, actor: User, reason: str, text_zh: str, text_en: str = "") -> CallScript:
    """The organisation's own script for one follow-up reason (organisation admins)."""
    if not actor.is_org_admin or actor.organisation_id is None:
        raise DomainError(_("Only an organisation admin may do this."), code="forbidden")
    errors: dict[str, list[str]] = {}
    if reason not in Reason.values:
        errors["reason"] = [_("Not one of the allowed values.")]
    if not text_zh.strip():
        errors["text_zh"] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(errors)
    script, _created = CallScript.objects.update_or_create(
        organisation_id=actor.organisation_id,
        reason=reason,
        defaults={"text_zh": text_zh.strip(), "text_en": text_en.strip()},
    )
    return script


@transaction.atomic
def reset_call_script(*, actor: User, reason: str) -> None:
    """Back to the default script for this reason."""
    if not actor.is_org_admin or actor.organisation_id is None:
        raise DomainError(_("Only an organisation admin may do this."), code="forbidden")
    CallScript.objects.filter(organisation_id=actor.organisation_id, reason=reason).delete()
