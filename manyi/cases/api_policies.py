"""REST operations on SLA policies and the complaint categories. Everyone of the
organisation reads them; only organisation admins change policies."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Router
from ninja import Status as Answer

from manyi.accounts.models import Organisation, User
from manyi.cases.choices import SlaClockKind, SlaMetric, Status
from manyi.cases.models import Category, SlaPolicy, SlaTarget
from manyi.cases.policy_services import save_sla_policy
from manyi.core.api_support import Input, Output, get_or_404, org_id, require_org_admin, user_of

router = Router(tags=["sla-policies"])

MATCH_DESCRIPTION = (
    "Conditions that must all hold for the policy to apply; an absent or empty list matches "
    "anything. Keys: severity, channel, category (codes; a top-level code covers its "
    "children), customer_tier, store (codes)."
)


class TargetSchema(Input):
    metric: SlaMetric
    minutes: int = Field(gt=0, le=1_000_000)
    clock: SlaClockKind = SlaClockKind.BUSINESS


class TargetOut(Output):
    metric: SlaMetric
    minutes: int
    clock: SlaClockKind


class PolicyOut(Output):
    id: int
    name: str
    rank: int
    calendar: int | None = Field(description="Calendar id; null: the case's store calendar.")
    match: dict[str, list[str]]
    targets: list[TargetOut]
    pause_on: list[str]
    warn_at_percent: int
    is_default: bool
    active: bool


class PolicyCreate(Input):
    name: str = Field(max_length=200, examples=["VIP 客户"])
    rank: int = Field(100, ge=0, le=1_000_000, description="Lowest rank is tried first.")
    calendar: int | None = None
    match: dict[str, list[str]] = Field(
        default_factory=dict,
        description=MATCH_DESCRIPTION,
        examples=[{"customer_tier": ["vip"], "store": ["PD"]}],
    )
    targets: list[TargetSchema] = Field(
        examples=[
            [
                {"metric": "first_response", "minutes": 120, "clock": "business"},
                {"metric": "resolution", "minutes": 2880, "clock": "calendar"},
            ]
        ]
    )
    pause_on: list[Status] = Field(
        default_factory=lambda: [Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY]
    )
    warn_at_percent: int = Field(75, ge=1, le=100)
    active: bool = True


class PolicyUpdate(Input):
    """Send only the fields to change; `targets` replaces all targets."""

    name: str | None = Field(None, max_length=200)
    rank: int | None = Field(None, ge=0, le=1_000_000)
    calendar: int | None = Field(None, description="null: the case's store calendar.")
    match: dict[str, list[str]] | None = Field(None, description=MATCH_DESCRIPTION)
    targets: list[TargetSchema] | None = None
    pause_on: list[Status] | None = None
    warn_at_percent: int | None = Field(None, ge=1, le=100)
    active: bool | None = None


class CategoryOut(Output):
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    parent: int | None
    active: bool


def policies_for(user: User) -> QuerySet[SlaPolicy]:
    if user.organisation_id is None:
        return SlaPolicy.objects.none()
    return SlaPolicy.objects.filter(organisation_id=org_id(user)).prefetch_related(
        Prefetch("targets", queryset=SlaTarget.objects.order_by("id"))
    )


def policy_out(policy: SlaPolicy) -> dict[str, Any]:
    order = {m: i for i, m in enumerate(SlaMetric.values)}
    return {
        "id": policy.pk,
        "name": policy.name,
        "rank": policy.rank,
        "calendar": policy.calendar_id,
        "match": policy.match or {},
        "targets": sorted(
            (
                {"metric": t.metric, "minutes": t.minutes, "clock": t.clock}
                for t in policy.targets.all()
            ),
            key=lambda t: order.get(t["metric"], 9),
        ),
        "pause_on": policy.pause_on or [],
        "warn_at_percent": policy.warn_at_percent,
        "is_default": policy.is_default,
        "active": policy.active,
    }


def _data(payload: Input) -> dict[str, Any]:
    """JSON-like values of the fields sent; null means "unchanged" except for calendar."""
    sent = payload.model_dump(mode="json", exclude_unset=True)
    return {k: v for k, v in sent.items() if v is not None or k == "calendar"}


@router.get("/sla-policies", response=list[PolicyOut], summary="List SLA policies")
def list_policies(request: HttpRequest) -> list[dict[str, Any]]:
    """In the order they are tried: lowest rank first."""
    return [policy_out(p) for p in policies_for(user_of(request)).order_by("rank", "id")]


@router.post("/sla-policies", response={201: PolicyOut}, summary="Create an SLA policy")
def add_policy(request: HttpRequest, payload: PolicyCreate) -> Answer[dict[str, Any]]:
    """Organisation admins only. Applies to cases taken or re-evaluated from now on."""
    user = user_of(request)
    require_org_admin(user)
    organisation = Organisation.objects.get(pk=org_id(user))
    policy = save_sla_policy(organisation=organisation, actor=user, data=_data(payload))
    return Answer(201, policy_out(get_or_404(policies_for(user), policy.pk)))


@router.get("/sla-policies/{policy_id}", response=PolicyOut, summary="Read an SLA policy")
def get_policy(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    return policy_out(get_or_404(policies_for(user_of(request)), policy_id))


@router.patch("/sla-policies/{policy_id}", response=PolicyOut, summary="Change an SLA policy")
def change_policy(request: HttpRequest, policy_id: int, payload: PolicyUpdate) -> dict[str, Any]:
    """Organisation admins only. Due times already set on open cases stay until the case is
    re-evaluated (its severity, category or channel changes)."""
    user = user_of(request)
    require_org_admin(user)
    policy = get_or_404(policies_for(user).select_related("organisation"), policy_id)
    save_sla_policy(
        organisation=policy.organisation, actor=user, data=_data(payload), policy=policy
    )
    return policy_out(get_or_404(policies_for(user), policy_id))


@router.get("/categories", response=list[CategoryOut], summary="List complaint categories")
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisation's two-level taxonomy in display order; `parent` null is top level."""
    user = user_of(request)
    qs = Category.objects.filter(organisation_id=org_id(user)).order_by("position", "code")
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name(),
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "parent": c.parent_id,
            "active": c.active,
        }
        for c in qs
    ]
