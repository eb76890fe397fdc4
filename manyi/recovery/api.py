"""REST operations of service recovery: a case's recovery actions (list, propose), approving,
rejecting, giving and cancelling them, the approval queue, a store's monthly budget and the
nine-principle checklist. Every query starts from the caller's scope; an id outside it
answers 404. Every write goes through manyi.recovery.services."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from manyi.accounts.models import User
from manyi.cases.models import Case
from manyi.core.api_support import (
    Input,
    Output,
    StoreRef,
    UserRef,
    get_or_404,
    local,
    page,
    user_of,
)
from manyi.core.scoping import cases_for, stores_for
from manyi.recovery import selectors, services
from manyi.recovery.choices import ActionKind, ActionState, Principle
from manyi.recovery.models import CompensationGuide, RecoveryAction

router = Router(tags=["recovery"])


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------


class ActionIn(Input):
    kind: ActionKind
    value: Decimal = Field(
        description="Yuan, at most two decimals, 0 to 1,000,000 (0 for an apology).",
        examples=["200.00"],
    )
    note: str = Field("", max_length=2000)


class ApproveIn(Input):
    reason: str = Field("", max_length=2000)


class RejectIn(Input):
    reason: str = Field(max_length=2000, description="Required: why the action is rejected.")


class GiveIn(Input):
    note: str = Field("", max_length=2000, description="How it was given to the customer.")


class CancelIn(Input):
    reason: str = Field("", max_length=2000)


class CaseRef(Output):
    id: int
    number: str


class ActionOut(Output):
    id: int
    case: CaseRef
    store: StoreRef
    kind: ActionKind
    value: Decimal
    note: str
    state: ActionState = Field(
        description="pending → approved | rejected; approved → given | cancelled."
    )
    requested_by: UserRef | None
    requested_at: dt.datetime
    decided_by: UserRef | None
    decided_at: dt.datetime | None
    decision_reason: str
    given_by: UserRef | None
    given_at: dt.datetime | None
    guarantee_breach: int | None = Field(
        description="Set when the action is the payout of a broken service guarantee."
    )


class ActionCreated(ActionOut):
    budget_warning: str | None = Field(
        description="Set when the store's recovery budget for the month is nearly used "
        "(80%) or exceeded, counting this action and those still pending."
    )


class GuideOut(Output):
    id: int
    category: int | None = Field(description="Category id; null: any category.")
    severity: str = Field(description="Empty: any severity.")
    low: Decimal
    high: Decimal
    note: str


class CaseActions(Output):
    items: list[ActionOut]
    suggested_range: GuideOut | None = Field(
        description="The most specific compensation range for the case's category and "
        "severity, if any."
    )


class ActionPage(Output):
    items: list[ActionOut]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


class ActionFilters(Schema):
    state: ActionState | None = None
    mine_to_approve: bool = Field(
        False,
        description="true: pending actions the caller may decide (requested by someone "
        "else, within the caller's authority), oldest first.",
    )
    case: int | None = None
    store: int | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class BudgetParams(Schema):
    month: str | None = Field(
        None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="YYYY-MM (Asia/Shanghai); default this month.",
        examples=["2026-03"],
    )


class BudgetOut(Output):
    store: StoreRef
    month: str
    budget: Decimal | None = Field(description="null: the store has no budget.")
    spent: Decimal = Field(description="Approved and given actions requested in the month.")
    pending: Decimal = Field(description="Actions still waiting for approval.")
    remaining: Decimal | None
    percent: int | None = Field(description="spent / budget in whole percent.")
    level: Literal["ok", "warning", "exceeded"] = Field(
        description="warning from 80% of the budget, exceeded above it."
    )


class ChecklistItem(Output):
    principle: Principle
    label: str
    ticked: bool
    by: UserRef | None
    at: dt.datetime | None


class ChecklistOut(Output):
    items: list[ChecklistItem]
    done: int


class TickIn(Input):
    principle: Principle
    ticked: bool = Field(description="true: tick it; false: remove the tick.")


# --------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------


def _user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def action_out(a: RecoveryAction) -> dict[str, Any]:
    return {
        "id": a.pk,
        "case": {"id": a.case_id, "number": a.case.number},
        "store": {"id": a.store.pk, "code": a.store.code, "name": a.store.name},
        "kind": a.kind,
        "value": a.value,
        "note": a.note,
        "state": a.state,
        "requested_by": _user_ref(a.requested_by),
        "requested_at": local(a.requested_at),
        "decided_by": _user_ref(a.decided_by),
        "decided_at": local(a.decided_at),
        "decision_reason": a.decision_reason,
        "given_by": _user_ref(a.given_by),
        "given_at": local(a.given_at),
        "guarantee_breach": a.guarantee_breach_id,
    }


def guide_out(g: CompensationGuide | None) -> dict[str, Any] | None:
    if g is None:
        return None
    return {
        "id": g.pk,
        "category": g.category_id,
        "severity": g.severity,
        "low": g.low,
        "high": g.high,
        "note": g.note,
    }


SHOWN = ("case", "store", "requested_by", "decided_by", "given_by")


def _shown(qs: QuerySet[RecoveryAction]) -> QuerySet[RecoveryAction]:
    return qs.select_related(*SHOWN)


def _action(user: User, action_id: int) -> RecoveryAction:
    return get_or_404(selectors.actions_for(user), action_id)


def _fresh(action: RecoveryAction) -> dict[str, Any]:
    return action_out(RecoveryAction.objects.select_related(*SHOWN).get(pk=action.pk))


def _case(user: User, case_id: int) -> Case:
    return get_or_404(cases_for(user).select_related("category", "store"), case_id)


# --------------------------------------------------------------------------------------
# Recovery actions
# --------------------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/recovery-actions",
    response=CaseActions,
    summary="A case's recovery actions",
)
def case_actions(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """Oldest first, with the suggested compensation range for the case."""
    user = user_of(request)
    case = _case(user, case_id)
    actions = _shown(RecoveryAction.objects.filter(case_id=case.pk)).order_by("requested_at", "id")
    return {
        "items": [action_out(a) for a in actions],
        "suggested_range": guide_out(selectors.suggested_range(case)),
    }


@router.post(
    "/cases/{case_id}/recovery-actions",
    response={201: ActionCreated},
    summary="Record a recovery action",
)
def propose(request: HttpRequest, case_id: int, payload: ActionIn) -> Status[dict[str, Any]]:
    """Within the caller's authority limit the action is approved at once (`approved`);
    above it, it waits (`pending`) for someone whose limit covers it, who is notified. A
    closed case takes no actions (422). `budget_warning` says when the store's month is
    nearly or fully used; the budget does not block."""
    user = user_of(request)
    result = services.propose_action(
        actor=user,
        case=_case(user, case_id),
        kind=payload.kind,
        value=payload.value,
        note=payload.note,
    )
    return Status(201, {**_fresh(result.action), "budget_warning": result.budget_warning})


@router.get("/recovery-actions", response=ActionPage, summary="List recovery actions")
def list_actions(request: HttpRequest, filters: Query[ActionFilters]) -> dict[str, Any]:
    """Newest first; with `mine_to_approve=true`, the caller's approval queue (oldest
    first)."""
    user = user_of(request)
    if filters.mine_to_approve:
        qs = selectors.approval_queue(user, limit=services.authority_limit(user))
    else:
        qs = selectors.actions_for(user).order_by("-requested_at", "-id")
    if filters.state is not None:
        qs = qs.filter(state=filters.state)
    if filters.case is not None:
        qs = qs.filter(case_id=filters.case)
    if filters.store is not None:
        qs = qs.filter(store_id=filters.store)
    rows, total, exact = page(qs, limit=filters.limit, offset=filters.offset, display=_shown)
    return {
        "items": [action_out(a) for a in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.get("/recovery-actions/{action_id}", response=ActionOut, summary="Read a recovery action")
def get_action(request: HttpRequest, action_id: int) -> dict[str, Any]:
    return action_out(get_or_404(_shown(selectors.actions_for(user_of(request))), action_id))


@router.post(
    "/recovery-actions/{action_id}/approve", response=ActionOut, summary="Approve an action"
)
def approve(request: HttpRequest, action_id: int, payload: ApproveIn) -> dict[str, Any]:
    """Only a pending action, only by someone other than its requester whose authority limit
    covers its value (else 422)."""
    user = user_of(request)
    action = services.approve_action(
        actor=user, action=_action(user, action_id), reason=payload.reason
    )
    return _fresh(action)


@router.post("/recovery-actions/{action_id}/reject", response=ActionOut, summary="Reject an action")
def reject(request: HttpRequest, action_id: int, payload: RejectIn) -> dict[str, Any]:
    """As approving, and a reason is required."""
    user = user_of(request)
    action = services.reject_action(
        actor=user, action=_action(user, action_id), reason=payload.reason
    )
    return _fresh(action)


@router.post(
    "/recovery-actions/{action_id}/give",
    response=ActionOut,
    summary="Record an action as given to the customer",
)
def give(request: HttpRequest, action_id: int, payload: GiveIn) -> dict[str, Any]:
    """The customer-facing step: only an approved action can be given."""
    user = user_of(request)
    action = services.give_action(actor=user, action=_action(user, action_id), note=payload.note)
    return _fresh(action)


@router.post("/recovery-actions/{action_id}/cancel", response=ActionOut, summary="Cancel an action")
def cancel(request: HttpRequest, action_id: int, payload: CancelIn) -> dict[str, Any]:
    """A pending or approved action not yet given: by its requester or by someone whose
    authority covers it."""
    user = user_of(request)
    action = services.cancel_action(
        actor=user, action=_action(user, action_id), reason=payload.reason
    )
    return _fresh(action)


# --------------------------------------------------------------------------------------
# Budgets
# --------------------------------------------------------------------------------------


@router.get(
    "/stores/{store_id}/recovery-budget",
    response=BudgetOut,
    summary="A store's recovery budget in a month",
)
def store_budget(
    request: HttpRequest, store_id: int, params: Query[BudgetParams]
) -> dict[str, Any]:
    user = user_of(request)
    store = get_or_404(stores_for(user), store_id)
    if params.month:
        month = dt.date(int(params.month[:4]), int(params.month[5:7]), 1)
    else:
        month = selectors.month_of(timezone.now())
    s = selectors.budget_status(store, month)
    return {
        "store": {"id": store.pk, "code": store.code, "name": store.name},
        "month": s.month_label,
        "budget": _cents(s.budget),
        "spent": _cents(s.spent),
        "pending": _cents(s.pending),
        "remaining": _cents(s.remaining),
        "percent": s.percent,
        "level": s.level,
    }


def _cents(value: Decimal | None) -> Decimal | None:
    """Sums come back from SQLite without their two decimal places; answer them as stored."""
    return None if value is None else value.quantize(Decimal("0.01"))


# --------------------------------------------------------------------------------------
# The nine-principle checklist
# --------------------------------------------------------------------------------------


def _checklist(case: Case) -> dict[str, Any]:
    rows = selectors.checklist(case)
    return {
        "items": [
            {
                "principle": r.principle,
                "label": r.label,
                "ticked": r.tick is not None,
                "by": _user_ref(r.tick.by) if r.tick is not None else None,
                "at": local(r.tick.at) if r.tick is not None else None,
            }
            for r in rows
        ],
        "done": sum(1 for r in rows if r.tick is not None),
    }


@router.get(
    "/cases/{case_id}/checklist", response=ChecklistOut, summary="The case's nine principles"
)
def get_checklist(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The nine principles of effective problem resolution in order, each with who ticked it
    and when."""
    return _checklist(_case(user_of(request), case_id))


@router.post(
    "/cases/{case_id}/checklist",
    response=ChecklistOut,
    summary="Tick or untick a principle",
)
def set_principle(request: HttpRequest, case_id: int, payload: TickIn) -> dict[str, Any]:
    """Idempotent: ticking a ticked principle keeps its first tick (who, when); unticking
    an unticked one changes nothing. A closed case's checklist cannot change (422)."""
    user = user_of(request)
    case = _case(user, case_id)
    if payload.ticked:
        services.tick_principle(actor=user, case=case, principle=payload.principle)
    else:
        services.untick_principle(actor=user, case=case, principle=payload.principle)
    return _checklist(case)
