"""REST operations on service guarantees and their breaches. Everyone of the organisation reads
the guarantees; organisation admins create and change them. Breaches are listed for the stores
the caller works in; staff record a broken staff-event guarantee on a case they can see. Any id
of another organisation answers 404."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer

from manyi.accounts.models import Organisation
from manyi.cases.choices import Channel, SlaMetric
from manyi.core.api_support import (
    Input,
    Output,
    StoreRef,
    UserRef,
    aware,
    get_or_404,
    local,
    org_id,
    page,
    require_org_admin,
    user_of,
)
from manyi.core.scoping import cases_for
from manyi.recovery.choices import ActionKind, ActionState, PayoutKind, TriggerKind
from manyi.recovery.guarantee_selectors import breaches_for, guarantees_for
from manyi.recovery.guarantees import (
    MAX_WITHIN_MINUTES,
    in_force_from,
    record_staff_event,
    save_guarantee,
)
from manyi.recovery.models import Guarantee, GuaranteeBreach

router = Router(tags=["guarantees"])

MONEY_EXAMPLE = "100.00"


class GuaranteeIn(Input):
    """The whole guarantee (PUT replaces every field)."""

    code: str = Field(max_length=40, examples=["first_reply_48h"])
    name: str = Field(max_length=100, examples=["48小时首次答复"])
    text_zh: str = Field(max_length=2000, description="The promise as the customer reads it.")
    text_en: str = Field("", max_length=2000)
    trigger: TriggerKind
    metric: SlaMetric | None = Field(
        None,
        description="Required for `sla_breach`: the SLA metric whose breach breaks the "
        "guarantee (the target of the SLA policy that applies to the case).",
    )
    channels: list[Channel] = Field(
        default_factory=list, description="Only cases of these channels; empty: every channel."
    )
    within_minutes: int | None = Field(
        None,
        ge=1,
        le=MAX_WITHIN_MINUTES,
        examples=[2880],
        description="`sla_breach` on `first_response` or `resolution` only: broken when the "
        "metric is not met within this many wall-clock minutes of receiving the complaint "
        "(2880 = 48 hours), whatever the SLA policy's target; null: when the SLA clock "
        "breaches.",
    )
    payout_kind: PayoutKind = PayoutKind.FIXED
    action_kind: ActionKind = ActionKind.DISCOUNT
    amount: Decimal = Field(
        Decimal("0"), ge=0, max_digits=12, decimal_places=2, description="Yuan, for `fixed`."
    )
    multiplier: Decimal = Field(
        Decimal("2"),
        ge=0,
        max_digits=6,
        decimal_places=2,
        description="For `multiple` (staff events only): × the amount involved.",
    )
    active: bool = True
    starts_at: dt.datetime | None = Field(
        None, description="In force from; null: from its creation. Without an offset: Shanghai."
    )


class GuaranteeOut(Output):
    id: int
    code: str
    name: str
    text_zh: str
    text_en: str
    trigger: TriggerKind
    metric: SlaMetric | None
    channels: list[str]
    within_minutes: int | None
    payout_kind: PayoutKind
    action_kind: ActionKind
    amount: Decimal = Field(examples=[MONEY_EXAMPLE])
    multiplier: Decimal
    active: bool
    starts_at: dt.datetime | None
    in_force_from: dt.datetime


class GuaranteeRef(Output):
    id: int
    code: str
    name: str


class CaseRef(Output):
    id: int
    number: str


class PayoutActionOut(Output):
    id: int
    kind: ActionKind
    state: ActionState
    value: Decimal


class BreachOut(Output):
    id: int
    guarantee: GuaranteeRef
    store: StoreRef
    case: CaseRef | None
    customer: int
    source: str = Field(description="What broke it: sla, followup or event.")
    amount_involved: Decimal | None
    payout: Decimal = Field(examples=[MONEY_EXAMPLE])
    note: str
    recorded_by: UserRef | None
    at: dt.datetime = Field(description="When the guarantee was broken.")
    payout_action: PayoutActionOut | None


class BreachPage(Output):
    items: list[BreachOut]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


class BreachFilters(Schema):
    guarantee: int | None = None
    store: int | None = None
    from_: dt.datetime | None = Field(
        None, alias="from", description="Inclusive. Without an offset: Asia/Shanghai time."
    )
    to: dt.datetime | None = Field(None, description="Exclusive.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class GuaranteeEventIn(Input):
    guarantee_id: int
    amount_involved: Decimal | None = Field(
        None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="Yuan, e.g. what was overcharged; required for a `multiple` payout.",
    )
    note: str = Field(max_length=2000, description="What happened.")


def guarantee_out(g: Guarantee) -> dict[str, Any]:
    return {
        "id": g.pk,
        "code": g.code,
        "name": g.name,
        "text_zh": g.text_zh,
        "text_en": g.text_en,
        "trigger": g.trigger,
        "metric": g.metric or None,
        "channels": list(g.channels or []),
        "within_minutes": g.within_minutes,
        "payout_kind": g.payout_kind,
        "action_kind": g.action_kind,
        "amount": g.amount,
        "multiplier": g.multiplier,
        "active": g.active,
        "starts_at": local(g.starts_at),
        "in_force_from": local(in_force_from(g)),
    }


def _user_ref(u: Any) -> dict[str, Any] | None:
    if u is None:
        return None
    return {"id": u.pk, "username": u.username, "name": str(u)}


def breach_out(b: GuaranteeBreach) -> dict[str, Any]:
    action = getattr(b, "payout_action", None)
    return {
        "id": b.pk,
        "guarantee": {"id": b.guarantee.pk, "code": b.guarantee.code, "name": b.guarantee.name},
        "store": {"id": b.store.pk, "code": b.store.code, "name": b.store.name},
        "case": {"id": b.case.pk, "number": b.case.number} if b.case is not None else None,
        "customer": b.customer_id,
        "source": b.source_key.split(":", 1)[0],
        "amount_involved": b.amount_involved,
        "payout": b.payout,
        "note": b.note,
        "recorded_by": _user_ref(b.recorded_by),
        "at": local(b.at),
        "payout_action": (
            {"id": action.pk, "kind": action.kind, "state": action.state, "value": action.value}
            if action is not None
            else None
        ),
    }


def _shown(qs: QuerySet[GuaranteeBreach]) -> QuerySet[GuaranteeBreach]:
    return qs.select_related("guarantee", "store", "case", "recorded_by", "payout_action")


def _data(payload: GuaranteeIn) -> dict[str, Any]:
    data = payload.model_dump()
    data["metric"] = data.get("metric") or ""
    data["channels"] = [str(c) for c in data.get("channels") or []]
    if data.get("starts_at") is not None:
        data["starts_at"] = aware(data["starts_at"])
    return data


@router.get("/guarantees", response=list[GuaranteeOut], summary="List service guarantees")
def list_guarantees(request: HttpRequest) -> list[dict[str, Any]]:
    """Every guarantee of the organisation, active ones first."""
    qs = guarantees_for(user_of(request)).order_by("-active", "code")
    return [guarantee_out(g) for g in qs]


@router.post("/guarantees", response={201: GuaranteeOut}, summary="Create a service guarantee")
def add_guarantee(request: HttpRequest, payload: GuaranteeIn) -> Answer[dict[str, Any]]:
    """Organisation admins only. Breaks from `starts_at` (else from now) on pay."""
    user = user_of(request)
    require_org_admin(user)
    organisation = Organisation.objects.get(pk=org_id(user))
    g = save_guarantee(actor=user, organisation=organisation, data=_data(payload))
    return Answer(201, guarantee_out(g))


@router.put("/guarantees/{guarantee_id}", response=GuaranteeOut, summary="Replace a guarantee")
def put_guarantee(request: HttpRequest, guarantee_id: int, payload: GuaranteeIn) -> dict[str, Any]:
    """Organisation admins only. Payouts already made stay as they were. Changing what breaks
    it (trigger, metric, channels, within_minutes) or re-activating it moves `starts_at` to
    now: facts before the change do not pay."""
    user = user_of(request)
    require_org_admin(user)
    g = get_or_404(guarantees_for(user).select_related("organisation"), guarantee_id)
    g = save_guarantee(actor=user, organisation=g.organisation, data=_data(payload), guarantee=g)
    return guarantee_out(g)


@router.get("/guarantee-breaches", response=BreachPage, summary="List broken guarantees")
def list_breaches(request: HttpRequest, filters: Query[BreachFilters]) -> dict[str, Any]:
    """Newest first, in the stores the caller works in, each with its payout action."""
    user = user_of(request)
    qs = breaches_for(user)
    if filters.guarantee is not None:
        qs = qs.filter(guarantee_id=filters.guarantee)
    if filters.store is not None:
        qs = qs.filter(store_id=filters.store)
    if filters.from_ is not None:
        qs = qs.filter(at__gte=aware(filters.from_))
    if filters.to is not None:
        qs = qs.filter(at__lt=aware(filters.to))
    rows, total, exact = page(
        qs.order_by("-at", "-id"), limit=filters.limit, offset=filters.offset, display=_shown
    )
    return {
        "items": [breach_out(b) for b in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.post(
    "/cases/{case_id}/guarantee-events",
    response={201: BreachOut},
    summary="Record a broken staff-event guarantee",
)
def add_guarantee_event(
    request: HttpRequest, case_id: int, payload: GuaranteeEventIn
) -> Answer[dict[str, Any]]:
    """For guarantees broken by what staff see (a billing error). Within the caller's authority
    limit the payout (`payout_action`) is approved by the guarantee at once and the customer
    told; beyond it, it is `pending` until someone whose limit covers it approves it (the
    customer is told then). Send an Idempotency-Key to make a retry safe."""
    user = user_of(request)
    case = get_or_404(cases_for(user), case_id)
    guarantee = get_or_404(guarantees_for(user), payload.guarantee_id)
    breach = record_staff_event(
        actor=user,
        case=case,
        guarantee=guarantee,
        amount_involved=payload.amount_involved,
        note=payload.note,
    )
    return Answer(201, breach_out(get_or_404(_shown(breaches_for(user)), breach.pk)))
