"""REST operations on follow-up calls (回访) and phone messages: list mine (today's, overdue),
schedule a call, record a call's outcome, take a message and mark it returned.

Every query starts from the caller's scope (agents and supervisors: their store; managers and
organisation admins: the organisation); an id outside it answers 404. Writes go through
manyi.followups.services."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from manyi.accounts.models import User
from manyi.core.api_support import (
    Forbidden,
    Input,
    Output,
    StoreRef,
    UserRef,
    aware,
    get_or_404,
    local,
    page,
    user_of,
)
from manyi.core.errors import ValidationFailed
from manyi.core.scoping import cases_for, customers_for, staff_for
from manyi.followups import selectors, services
from manyi.followups.choices import MAX_ATTEMPTS, ContactResult, FollowUpState, Reason, Satisfaction
from manyi.followups.models import FollowUp, PhoneMessage

router = Router(tags=["followups"])


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------


class CustomerBrief(Output):
    id: int
    name: str
    phone: str = Field(
        description="In full for the person who must make the call and for those who may view "
        "personal data; masked (138****5678) for everyone else."
    )


class CaseBrief(Output):
    id: int
    number: str


class FollowUpOut(Output):
    id: int
    reason: Reason
    state: FollowUpState
    customer: CustomerBrief
    case: CaseBrief | None
    store: StoreRef
    assigned_to: UserRef
    scheduled_for: dt.date = Field(description="The day to call.")
    due_at: dt.datetime = Field(description="End of that business day on the store's calendar.")
    overdue: bool = Field(description="Open and past its due time.")
    attempts: int
    max_attempts: int = Field(description="Unanswered calls after which it expires.")
    result: ContactResult | None = Field(description="Result of the last call.")
    satisfaction: Satisfaction | None
    note: str
    completed_at: dt.datetime | None
    missed: bool = Field(description="Not done on time: counts towards the omission rate.")
    version: int


class FollowUpPage(Output):
    items: list[FollowUpOut]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


class FollowUpFilters(Schema):
    mine: bool = Field(False, description="Only follow-ups assigned to me.")
    due: Literal["today", "overdue"] | None = Field(
        None,
        description="`today`: open calls to make today or earlier; `overdue`: open calls past "
        "their due time.",
    )
    state: FollowUpState | None = None
    reason: Reason | None = None
    case: int | None = Field(None, description="Follow-ups of this case.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class FollowUpCreate(Input):
    customer: int = Field(description="Customer id.")
    reason: Reason
    scheduled_for: dt.date = Field(description="The day to call; not in the past.")
    assigned_to: int | None = Field(None, description="Staff id; default the caller.")
    case: int | None = Field(None, description="Case id (required for reason `complaint`).")
    note: str = Field("", max_length=2000)


class AttemptIn(Input):
    result: ContactResult
    satisfaction: Satisfaction | None = Field(
        None, description="Required when `reached`; not allowed otherwise."
    )
    note: str = Field("", max_length=2000)
    reschedule_to: dt.date | None = Field(
        None,
        description="For `no_answer`: the day to call again (default the next working day; at "
        "most 14 days after the call, setting MANYI_FOLLOWUP_MAX_RESCHEDULE_DAYS).",
    )
    version: int | None = Field(None, description="The version you read; a stale one answers 409.")


class MessageOut(Output):
    id: int
    caller_name: str
    caller_phone: str = Field(
        description="In full for the recipient (who must call back) and for those who may view "
        "personal data; masked (138****5678) for everyone else."
    )
    reason: str
    received_at: dt.datetime
    due_at: dt.datetime = Field(description="End of the next working day on the store's calendar.")
    overdue: bool
    for_user: UserRef
    taken_by: UserRef | None
    customer: int | None = Field(description="Id of the customer with this number, if any.")
    store: StoreRef
    returned_at: dt.datetime | None
    return_note: str


class MessagePage(Output):
    items: list[MessageOut]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


class MessageFilters(Schema):
    mine: bool = Field(False, description="Only messages for me.")
    open: bool | None = Field(None, description="true: not yet returned; false: returned.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class MessageCreate(Input):
    for_user: int = Field(description="Staff id of the colleague the message is for.")
    caller_name: str = Field(max_length=100)
    caller_phone: str = Field(max_length=30, examples=["13812345678"])
    reason: str = Field(max_length=2000, description="What the call was about.")
    received_at: dt.datetime | None = Field(
        None, description="When the call came in, with its offset; default now."
    )


class ReturnIn(Input):
    note: str = Field("", max_length=2000, description="What was said on the call back.")


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def _store_ref(f: FollowUp | PhoneMessage) -> dict[str, Any]:
    return {"id": f.store.pk, "code": f.store.code, "name": f.store.name}


def _tz(f: FollowUp | PhoneMessage) -> str | None:
    calendar = f.store.calendar if f.store.calendar_id else None
    return calendar.timezone if calendar is not None else None


def followup_out(f: FollowUp, viewer: User, *, now: dt.datetime) -> dict[str, Any]:
    tz = _tz(f)
    return {
        "id": f.pk,
        "reason": f.reason,
        "state": f.state,
        "customer": {
            "id": f.customer.pk,
            "name": f.customer.name,
            "phone": selectors.phone_shown(viewer, f.customer.phone, caller_id=f.assigned_to_id),
        },
        "case": {"id": f.case.pk, "number": f.case.number} if f.case is not None else None,
        "store": _store_ref(f),
        "assigned_to": _user_ref(f.assigned_to),
        "scheduled_for": f.scheduled_for,
        "due_at": local(f.due_at, tz),
        "overdue": f.state == FollowUpState.OPEN and f.due_at < now,
        "attempts": f.attempts,
        "max_attempts": MAX_ATTEMPTS,
        "result": f.result or None,
        "satisfaction": f.satisfaction or None,
        "note": f.note,
        "completed_at": local(f.completed_at, tz),
        "missed": f.missed,
        "version": f.version,
    }


def message_out(m: PhoneMessage, viewer: User, *, now: dt.datetime) -> dict[str, Any]:
    tz = _tz(m)
    return {
        "id": m.pk,
        "caller_name": m.caller_name,
        "caller_phone": selectors.phone_shown(viewer, m.caller_phone, caller_id=m.for_user_id),
        "reason": m.reason,
        "received_at": local(m.received_at, tz),
        "due_at": local(m.due_at, tz),
        "overdue": m.returned_at is None and m.due_at < now,
        "for_user": _user_ref(m.for_user),
        "taken_by": _user_ref(m.taken_by),
        "customer": m.customer_id,
        "store": _store_ref(m),
        "returned_at": local(m.returned_at, tz),
        "return_note": m.return_note,
    }


def _followups(user: User) -> QuerySet[FollowUp]:
    return selectors.followups_for(user).select_related(*selectors.ROW_RELATED)


def _messages(user: User) -> QuerySet[PhoneMessage]:
    return selectors.messages_for(user).select_related("for_user", "taken_by", "store__calendar")


# --------------------------------------------------------------------------------------
# Follow-ups
# --------------------------------------------------------------------------------------


@router.get("/followups", response=FollowUpPage, summary="List follow-up calls")
def list_followups(request: HttpRequest, filters: Query[FollowUpFilters]) -> dict[str, Any]:
    """Nearest due time first. `mine=true&due=today` is the agent's list of calls for today."""
    user = user_of(request)
    now = timezone.now()
    qs = selectors.followups_for(user)
    if filters.mine:
        qs = qs.filter(assigned_to=user)
    if filters.due == "today":
        qs = qs.filter(state=FollowUpState.OPEN, scheduled_for__lte=timezone.localdate(now))
    elif filters.due == "overdue":
        qs = qs.filter(state=FollowUpState.OPEN, due_at__lt=now)
    if filters.state is not None:
        qs = qs.filter(state=filters.state)
    if filters.reason is not None:
        qs = qs.filter(reason=filters.reason)
    if filters.case is not None:
        qs = qs.filter(case_id=filters.case)
    rows, total, exact = page(
        qs.order_by("due_at", "id"),
        limit=filters.limit,
        offset=filters.offset,
        display=lambda shown: shown.select_related(*selectors.ROW_RELATED),
    )
    return {
        "items": [followup_out(f, user, now=now) for f in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.post("/followups", response={201: FollowUpOut}, summary="Schedule a follow-up call")
def add_followup(request: HttpRequest, payload: FollowUpCreate) -> Status[dict[str, Any]]:
    """A call for any reason (after a service visit, for a prospect, customer care, retention;
    `complaint` needs its case). The assignee must work in the customer's store."""
    user = user_of(request)
    errors: dict[str, list[str]] = {}
    customer = customers_for(user).filter(pk=payload.customer).first()
    if customer is None:
        errors["customer"] = [_("Unknown customer.")]
    case = None
    if payload.case is not None:
        case = cases_for(user).filter(pk=payload.case).first()
        if case is None:
            errors["case"] = [_("Unknown case.")]
    assignee: User | None = user
    if payload.assigned_to is not None and payload.assigned_to != user.pk:
        assignee = staff_for(user).filter(pk=payload.assigned_to).first()
        if assignee is None:
            errors["assigned_to"] = [_("Unknown staff member.")]
    if errors:
        raise ValidationFailed(errors)
    assert customer is not None and assignee is not None
    followup = services.schedule_followup(
        actor=user,
        customer=customer,
        reason=payload.reason,
        assigned_to=assignee,
        scheduled_for=payload.scheduled_for,
        case=case,
        note=payload.note,
    )
    fresh = _followups(user).get(pk=followup.pk)
    return Status(201, followup_out(fresh, user, now=timezone.now()))


@router.get("/followups/{followup_id}", response=FollowUpOut, summary="Read a follow-up call")
def get_followup(request: HttpRequest, followup_id: int) -> dict[str, Any]:
    user = user_of(request)
    return followup_out(get_or_404(_followups(user), followup_id), user, now=timezone.now())


@router.post(
    "/followups/{followup_id}/attempts",
    response=FollowUpOut,
    summary="Record a call's outcome",
)
def record_attempt(request: HttpRequest, followup_id: int, payload: AttemptIn) -> dict[str, Any]:
    """`reached` (with `satisfaction`), `wrong_number` and `refused` finish the follow-up;
    `no_answer` moves it to `reschedule_to` or the next working day, and the third unanswered
    call expires it. `satisfaction: no` on a case's follow-up reopens the case and tells its
    owner and their supervisor."""
    user = user_of(request)
    followup = get_or_404(selectors.followups_for(user).only("id", "case_id"), followup_id)
    services.record_attempt(
        actor=user,
        followup=followup,
        result=payload.result,
        satisfaction=payload.satisfaction or "",
        note=payload.note,
        reschedule_to=payload.reschedule_to,
        version=payload.version,
    )
    return followup_out(_followups(user).get(pk=followup_id), user, now=timezone.now())


# --------------------------------------------------------------------------------------
# Phone messages
# --------------------------------------------------------------------------------------


@router.get("/phone-messages", response=MessagePage, summary="List phone messages")
def list_messages(request: HttpRequest, filters: Query[MessageFilters]) -> dict[str, Any]:
    """Nearest return deadline first."""
    user = user_of(request)
    now = timezone.now()
    qs = selectors.messages_for(user)
    if filters.mine:
        qs = qs.filter(for_user=user)
    if filters.open is True:
        qs = qs.filter(returned_at__isnull=True)
    elif filters.open is False:
        qs = qs.filter(returned_at__isnull=False)
    rows, total, exact = page(
        qs.order_by("due_at", "id"),
        limit=filters.limit,
        offset=filters.offset,
        display=lambda shown: shown.select_related("for_user", "taken_by", "store__calendar"),
    )
    return {
        "items": [message_out(m, user, now=now) for m in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.post("/phone-messages", response={201: MessageOut}, summary="Take a phone message")
def add_message(request: HttpRequest, payload: MessageCreate) -> Status[dict[str, Any]]:
    """For an absent colleague, who is told at once. It is due back by the end of the next
    working day on the colleague's store calendar."""
    user = user_of(request)
    for_user = staff_for(user).filter(pk=payload.for_user).first()
    if for_user is None:
        raise ValidationFailed({"for_user": [_("Unknown staff member.")]})
    message = services.take_message(
        actor=user,
        for_user=for_user,
        caller_name=payload.caller_name,
        caller_phone=payload.caller_phone,
        reason=payload.reason,
        received_at=aware(payload.received_at),
    )
    fresh = _messages(user).get(pk=message.pk)
    return Status(201, message_out(fresh, user, now=timezone.now()))


@router.post(
    "/phone-messages/{message_id}/return",
    response=MessageOut,
    summary="Mark a phone message returned",
)
def return_message(request: HttpRequest, message_id: int, payload: ReturnIn) -> dict[str, Any]:
    """By the recipient, their supervisor or a manager."""
    user = user_of(request)
    message = get_or_404(selectors.messages_for(user).select_related("for_user"), message_id)
    if not services.may_return(user, message):
        raise Forbidden(
            _("Only the recipient, their supervisor or a manager can mark this message returned.")
        )
    services.return_message(actor=user, message=message, note=payload.note)
    return message_out(_messages(user).get(pk=message_id), user, now=timezone.now())
