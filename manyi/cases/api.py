"""REST operations on cases: take, list, read and change them, the case actions (respond,
status, assign, escalate, comment) and the timeline. Every query starts from the caller's
scope; a case outside it answers 404. Every write goes through manyi.cases.services."""

import re
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from manyi.accounts.models import Store, User
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.api_schemas import (
    AssignIn,
    CaseCreate,
    CaseDetail,
    CaseFilters,
    CasePage,
    CaseUpdate,
    CommentIn,
    EscalateIn,
    EventPage,
    PageParams,
    RespondIn,
    StatusIn,
    case_detail,
    case_item,
    event_out,
)
from manyi.cases.choices import OPEN_STATUSES, SlaState
from manyi.cases.models import Case, CaseSla, Category, SlaPolicy
from manyi.core.api_support import aware, get_or_404, org_id, page, user_of
from manyi.core.errors import ValidationFailed
from manyi.core.scoping import cases_for, customers_for, staff_for, stores_for
from manyi.customers.models import Asset
from manyi.customers.search import phone_condition

router = Router(tags=["cases"])

CASE_NUMBER = re.compile(r"^[A-Za-z]{0,10}\d{4}-\d{1,9}$")
NULLABLE_FIELDS = frozenset({"asset"})


# --------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------


def _breached() -> Exists:
    return Exists(CaseSla.objects.filter(case=OuterRef("pk"), state=SlaState.BREACHED))


def detail_qs(user: User) -> QuerySet[Case]:
    """One statement for the case and its references, one for its SLA policy and the
    policy's calendar, one for its SLA clocks. (Joining the policy and its calendar too makes
    9 tables, which PostgreSQL takes ~6 ms to plan against ~2.5 ms for 7: more than the
    extra statement costs.)"""
    return (
        cases_for(user)
        .select_related("customer", "asset", "store__calendar", "category", "owner")
        .prefetch_related(
            Prefetch("sla_policy", queryset=SlaPolicy.objects.select_related("calendar")),
            Prefetch("slas", queryset=CaseSla.objects.all()),
        )
    )


def _detail(user: User, case_id: int) -> dict[str, Any]:
    case = get_or_404(detail_qs(user), case_id)
    return case_detail(case, case.slas.all(), user, now=timezone.now())


def _category_filter(value: str) -> Q:
    if value.isdigit():
        return Q(category_id=int(value)) | Q(category__parent_id=int(value))
    return Q(category__code=value) | Q(category__parent__code=value)


def _search(q: str, user: User) -> Q:
    q = q.strip()
    if CASE_NUMBER.match(q):
        return Q(number=q.upper())
    condition = Q(number__icontains=q) | Q(summary__icontains=q) | Q(customer__name__icontains=q)
    phone = phone_condition(q, user, field="customer__phone")
    return condition | phone if phone is not None else condition


def list_qs(user: User, f: CaseFilters) -> QuerySet[Case]:
    """The caller's cases matching the filters, in the requested order (no display joins)."""
    qs = cases_for(user)
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.open is True:
        qs = qs.filter(status__in=sorted(OPEN_STATUSES))
    elif f.open is False:
        qs = qs.exclude(status__in=sorted(OPEN_STATUSES))
    if f.store is not None:
        qs = qs.filter(store_id=f.store)
    if f.owner is not None:
        qs = qs.filter(owner_id=f.owner)
    if f.severity:
        qs = qs.filter(severity__in=f.severity)
    if f.channel:
        qs = qs.filter(channel__in=f.channel)
    if f.category:
        qs = qs.filter(_category_filter(f.category.strip()))
    if f.breached is True:
        qs = qs.filter(_breached())
    elif f.breached is False:
        qs = qs.filter(~_breached())
    if f.q and f.q.strip():
        qs = qs.filter(_search(f.q, user))
    if f.received_from is not None:
        qs = qs.filter(received_at__gte=aware(f.received_from))
    if f.received_to is not None:
        qs = qs.filter(received_at__lt=aware(f.received_to))
    if f.ordering == "next_due_at":
        return qs.order_by(F("next_due_at").asc(nulls_last=True), "id")
    if f.ordering == "received_at":
        return qs.order_by("received_at", "id")
    return qs.order_by("-received_at", "-id")


# The columns a list item (api_schemas.case_item) shows: loading only these makes a page of
# 25 cases ~30% cheaper (fewer datetimes parsed, smaller model instances). A column added to
# case_item must be added here, or each row costs a query (test_api_list counts them).
LIST_COLUMNS = (
    *("id", "number", "status", "severity", "channel", "summary", "received_at", "next_due_at"),
    *("escalation_level", "version", "store", "category", "owner", "customer"),
    *("customer__id", "customer__name", "customer__phone"),
    *("store__id", "store__code", "store__name"),
    *("category__id", "category__code", "category__name_zh", "category__name_en"),
    "category__parent",
    *("owner__id", "owner__username", "owner__display_name", "owner__first_name"),
    "owner__last_name",
)


def _shown(qs: QuerySet[Case]) -> QuerySet[Case]:
    """What a list item shows of a case: one join per reference, for the page's rows only."""
    return (
        qs.select_related("customer", "store", "category", "owner")
        .only(*LIST_COLUMNS)
        .annotate(store_tz=F("store__calendar__timezone"))
    )


def _category(user: User, value: int | str) -> Category | None:
    qs = Category.objects.select_related("parent").filter(organisation_id=org_id(user))
    if isinstance(value, int):
        return qs.filter(pk=value).first()
    return qs.filter(code=value.strip()).first()


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------


@router.post("/cases", response={201: CaseDetail}, summary="Take a complaint")
def add_case(request: HttpRequest, payload: CaseCreate) -> Status[dict[str, Any]]:
    """The caller owns the case unless `owner` is given; the SLA policy that applies and the
    due times are set at once and returned in `sla`."""
    user = user_of(request)
    errors: dict[str, list[str]] = {}
    customer = (
        customers_for(user)
        .select_related("store__organisation", "store__calendar")
        .filter(pk=payload.customer)
        .first()
    )
    if customer is None:
        errors["customer"] = [_("Unknown customer.")]
    store: Store | None = customer.store if customer is not None else None
    if payload.store is not None:
        store = (
            stores_for(user)
            .select_related("organisation", "calendar")
            .filter(pk=payload.store)
            .first()
        )
        if store is None:
            errors["store"] = [_("Unknown store.")]
    category = _category(user, payload.category)
    if category is None:
        errors["category"] = [_("Unknown category.")]
    asset = None
    if payload.asset is not None and customer is not None:
        asset = Asset.objects.filter(customer=customer, pk=payload.asset).first()
        if asset is None:
            errors["asset"] = [_("This customer has no such vehicle or asset.")]
    owner = user
    if payload.owner is not None and payload.owner != user.pk:
        found = staff_for(user).filter(pk=payload.owner).first()
        if found is None:
            errors["owner"] = [_("Unknown staff member.")]
        else:
            owner = found
    if errors:
        raise ValidationFailed(errors)
    assert customer is not None
    now = timezone.now()
    case = services.create_case(
        actor=user,
        customer=customer,
        store=store,
        category=category,
        channel=payload.channel,
        severity=payload.severity,
        nature=payload.nature,
        complainer_type=payload.complainer_type,
        threatens_media=payload.threatens_media,
        threatens_regulator=payload.threatens_regulator,
        threatens_lawyer=payload.threatens_lawyer,
        repeat_complaint=payload.repeat_complaint,
        summary=payload.summary,
        description=payload.description,
        received_at=payload.received_at,
        owner=owner,
        asset=asset,
        now=now,
    )
    clocks = CaseSla.objects.filter(case=case)
    return Status(201, case_detail(case, clocks, user, now=now))


@router.get("/cases", response=CasePage, summary="List cases")
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    """Newest first by default; `ordering=next_due_at` puts the nearest deadline first (the
    supervisor's view). `total` is exact up to 1,000 matching cases, else `total_is_exact` is
    false."""
    user = user_of(request)
    rows, total, exact = page(
        list_qs(user, filters), limit=filters.limit, offset=filters.offset, display=_shown
    )
    # One indexed lookup for the page, not a per-row subquery: the breached flag of a million
    # cases would otherwise be computed for the count as well.
    breached = set(
        CaseSla.objects.filter(
            case_id__in=[c.pk for c in rows], state=SlaState.BREACHED
        ).values_list("case_id", flat=True)
    )
    return {
        "items": [case_item(c, user, breached=c.pk in breached) for c in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.get("/cases/{case_id}", response=CaseDetail, summary="Read a case")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case with its live SLA clocks (elapsed minutes counted up to now)."""
    return _detail(user_of(request), case_id)


@router.patch("/cases/{case_id}", response=CaseDetail, summary="Change a case")
def change_case(request: HttpRequest, case_id: int, payload: CaseUpdate) -> dict[str, Any]:
    """A change of severity, category or channel re-evaluates the SLA. A stale `version`
    answers 409 and changes nothing."""
    user = user_of(request)
    case = get_or_404(cases_for(user).only("id", "customer_id"), case_id)
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version")
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for field, value in sent.items():
        if value is None and field not in NULLABLE_FIELDS:
            errors[field] = [_("This field cannot be empty.")]
        elif field == "category":
            changes["category"] = _category(user, value)
            if changes["category"] is None:
                errors["category"] = [_("Unknown category.")]
        elif field == "asset":
            changes["asset"] = None
            if value is not None:
                changes["asset"] = Asset.objects.filter(
                    customer_id=case.customer_id, pk=value
                ).first()
                if changes["asset"] is None:
                    errors["asset"] = [_("This customer has no such vehicle or asset.")]
        else:
            changes[field] = value
    if errors:
        raise ValidationFailed(errors)
    services.update_case(actor=user, case=case, changes=changes, version=version)
    return _detail(user, case_id)


# --------------------------------------------------------------------------------------
# Case actions
# --------------------------------------------------------------------------------------


def _scoped_case(user: User, case_id: int) -> Case:
    return get_or_404(cases_for(user).only("id"), case_id)


@router.post("/cases/{case_id}/respond", response=CaseDetail, summary="Respond to the customer")
def respond(request: HttpRequest, case_id: int, payload: RespondIn) -> dict[str, Any]:
    """A customer-facing answer: meets `first_response` and starts a `next_update` cycle."""
    user = user_of(request)
    services.respond_to_case(
        actor=user,
        case=_scoped_case(user, case_id),
        message=payload.message,
        channel=payload.channel,
        version=payload.version,
    )
    return _detail(user, case_id)


@router.post("/cases/{case_id}/status", response=CaseDetail, summary="Change the status")
def set_status(request: HttpRequest, case_id: int, payload: StatusIn) -> dict[str, Any]:
    """Allowed transitions only; `in_progress` on a resolved or closed case reopens it (give
    a `note`; the outcome is cleared). Waiting statuses pause the clocks. Resolving needs the
    `outcome`; closing needs `root_cause`, `root_cause_note` and `corrective_action` unless
    the case has them already — otherwise 422 with the missing fields."""
    user = user_of(request)
    services.change_status(
        actor=user,
        case=_scoped_case(user, case_id),
        status=payload.status,
        note=payload.note,
        version=payload.version,
        outcome=payload.outcome or "",
        root_cause=payload.root_cause or "",
        root_cause_note=payload.root_cause_note,
        corrective_action=payload.corrective_action,
    )
    return _detail(user, case_id)


@router.post("/cases/{case_id}/assign", response=CaseDetail, summary="Transfer the case")
def assign(request: HttpRequest, case_id: int, payload: AssignIn) -> dict[str, Any]:
    """Give the case to a colleague with a note; the new owner is notified."""
    user = user_of(request)
    case = _scoped_case(user, case_id)
    owner = staff_for(user).filter(pk=payload.owner).first()
    if owner is None:
        raise ValidationFailed({"owner": [_("Unknown staff member.")]})
    services.assign_case(
        actor=user, case=case, owner=owner, note=payload.note, version=payload.version
    )
    return _detail(user, case_id)


@router.post("/cases/{case_id}/escalate", response=CaseDetail, summary="Escalate the case")
def escalate(request: HttpRequest, case_id: int, payload: EscalateIn) -> dict[str, Any]:
    """One step up the chain: owner → supervisor → store manager, each notified."""
    user = user_of(request)
    services.escalate_case(
        actor=user,
        case=_scoped_case(user, case_id),
        reason=payload.reason,
        version=payload.version,
    )
    return _detail(user, case_id)


@router.post("/cases/{case_id}/comment", response=CaseDetail, summary="Add an internal note")
def comment(request: HttpRequest, case_id: int, payload: CommentIn) -> dict[str, Any]:
    """Seen by staff only; not a response to the customer."""
    user = user_of(request)
    services.comment_on_case(actor=user, case=_scoped_case(user, case_id), text=payload.text)
    return _detail(user, case_id)


@router.get("/cases/{case_id}/timeline", response=EventPage, summary="The case's timeline")
def timeline(request: HttpRequest, case_id: int, params: Query[PageParams]) -> dict[str, Any]:
    """Everything that happened to the case, oldest first: changes with their before and
    after values, responses, notes, transfers, escalations and SLA events."""
    user = user_of(request)
    case = get_or_404(
        cases_for(user).annotate(store_tz=F("store__calendar__timezone")).only("id"), case_id
    )
    events = AuditEvent.objects.filter(case_id=case.pk).select_related("actor").order_by("at", "id")
    rows, total, exact = page(events, limit=params.limit, offset=params.offset)
    tz = getattr(case, "store_tz", None)
    return {
        "items": [event_out(e, user, tz) for e in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
    }
