"""Reads that feed the case pages, the dashboard and the exports.

Every query starts from `manyi.core.scoping`; figures are aggregated in SQL. The two marks a
supervisor sorts by are annotations, so a page of cases costs the same whatever its size:

- `is_breached`: an SLA clock of the case is breached, or an open case's next due time has
  already passed (the sweep may not have run yet);
- `is_due_soon` ("about to breach"): an open case, not breached, whose next due time is within
  `DUE_SOON` or whose running clock has been warned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.shortcuts import get_object_or_404
from django.utils import timezone

from manyi.audit.models import AuditEvent
from manyi.cases.choices import OPEN_STATUSES, SlaState
from manyi.cases.models import Case, CaseSla, Category
from manyi.core.scoping import cases_for, customers_for, staff_for, stores_for
from manyi.customers.models import Asset, Customer
from manyi.customers.search import phone_condition

if TYPE_CHECKING:
    from manyi.accounts.models import User

DUE_SOON = dt.timedelta(minutes=60)
OPEN = sorted(str(s) for s in OPEN_STATUSES)
# Conditions on the annotations of `with_marks` (Q objects keep mypy's plugin out of them).
BREACHED = Q(("is_breached", True))
DUE_SOON_Q = Q(("is_due_soon", True))
LIST_RELATED = ("customer", "store", "owner", "category__parent", "asset")


def with_marks(qs: QuerySet[Case], *, now: dt.datetime) -> QuerySet[Case]:
    """Annotate `is_breached` and `is_due_soon` (see the module docstring)."""
    breached_clock = CaseSla.objects.filter(case=OuterRef("pk"), state=SlaState.BREACHED)
    warned_clock = CaseSla.objects.filter(
        case=OuterRef("pk"), state=SlaState.ACTIVE, warned_at__isnull=False
    )
    is_open = Q(status__in=OPEN)
    # The cheap comparison first: the clock lookups run only where it does not decide.
    breached = (is_open & Q(next_due_at__lte=now)) | Q(Exists(breached_clock))
    soon = is_open & (Q(next_due_at__lte=now + DUE_SOON) | Q(Exists(warned_clock)))
    return qs.annotate(
        is_breached=CaseWhen(When(breached, then=Value(True)), default=Value(False)),
        is_due_soon=CaseWhen(
            When(breached, then=Value(False)),
            When(soon, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def by_deadline(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Nearest deadline first; cases without a running clock after, newest first."""
    return qs.order_by(F("next_due_at").asc(nulls_last=True), "-received_at", "-id")


# --- case list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    """Parsed filters of the case list and its exports (empty = no condition)."""

    status: str = ""
    state: str = ""  # "open" | "closed" | ""
    store: int | None = None
    owner: int | None = None
    mine: bool = False
    severity: str = ""
    channel: str = ""
    category: int | None = None
    breached: str = ""  # "yes" | "no" | "soon" | ""
    q: str = ""
    sort: str = "due"
    # The drill-downs of the analytics pages: received in [received_from, received_to] (whole
    # local days), owned by someone in a team, not through a channel, reopened, escalated.
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    team: int | None = None
    exclude_channel: str = ""
    reopened: bool = False
    escalated: bool = False


SORTS = {
    "due": None,  # by_deadline
    "received": ("-received_at", "-id"),
    "received_asc": ("received_at", "id"),
    "number": ("-number",),
    "severity": ("-severity_rank", F("next_due_at").asc(nulls_last=True)),
    # The customer's value at risk (analytics.CustomerValue), customers without one last.
    "value": (F("customer__value__value_at_risk").desc(nulls_last=True), "-received_at", "-id"),
}


def case_list(
    user: User, filters: CaseFilters, *, now: dt.datetime | None = None
) -> QuerySet[Case]:
    """The cases the user may see, filtered, marked and sorted (nearest deadline by default)."""
    now = now or timezone.now()
    qs = with_marks(cases_for(user).select_related(*LIST_RELATED), now=now)
    f = filters
    if f.status:
        qs = qs.filter(status=f.status)
    if f.state == "open":
        qs = qs.filter(status__in=OPEN)
    elif f.state == "closed":
        qs = qs.exclude(status__in=OPEN)
    if f.store:
        qs = qs.filter(store_id=f.store)
    if f.mine:
        qs = qs.filter(owner_id=user.pk)
    elif f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.category:
        qs = qs.filter(Q(category_id=f.category) | Q(category__parent_id=f.category))
    qs = _drill_down(qs, f)
    if f.breached == "yes":
        qs = qs.filter(BREACHED)
    elif f.breached == "no":
        qs = qs.filter(~BREACHED)
    elif f.breached == "soon":
        qs = qs.filter(DUE_SOON_Q)
    if f.q:
        qs = qs.filter(_search(f.q, user))
    if f.sort == "severity":
        qs = qs.annotate(
            severity_rank=CaseWhen(
                When(severity="critical", then=Value(4)),
                When(severity="high", then=Value(3)),
                When(severity="normal", then=Value(2)),
                default=Value(1),
            )
        )
    if f.sort == "value":
        qs = qs.annotate(value_at_risk=F("customer__value__value_at_risk"))
    order = SORTS.get(f.sort)
    return by_deadline(qs) if order is None else qs.order_by(*order)


def _drill_down(qs: QuerySet[Case], f: CaseFilters) -> QuerySet[Case]:
    """The filters the analytics pages link with (received dates, team, channel left out,
    reopened, escalated)."""
    tz = timezone.get_current_timezone()
    if f.received_from:
        qs = qs.filter(received_at__gte=dt.datetime.combine(f.received_from, dt.time.min, tz))
    if f.received_to:
        end = dt.datetime.combine(f.received_to + dt.timedelta(days=1), dt.time.min, tz)
        qs = qs.filter(received_at__lt=end)
    if f.team:
        qs = qs.filter(owner__team_id=f.team)
    if f.exclude_channel:
        qs = qs.exclude(channel=f.exclude_channel)
    if f.reopened:
        qs = qs.filter(reopen_count__gt=0)
    if f.escalated:
        qs = qs.filter(escalation_level__gt=0)
    return qs


def _search(q: str, user: User) -> Q:
    q = q.strip()
    cond = (
        Q(number__icontains=q)
        | Q(summary__icontains=q)
        | Q(customer__name__icontains=q)
        | Q(asset__plate__icontains=q)
    )
    phone = phone_condition(q, user, field="customer__phone")
    return cond | phone if phone is not None else cond


# --- dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreFigures:
    store_id: int
    name: str
    open: int
    breached: int
    due_today: int


@dataclass(frozen=True)
class Dashboard:
    my_open: int
    my_due_soon: int
    my_breached: int
    scope_open: int
    scope_due_soon: int
    scope_breached: int
    my_cases: list[Case]
    due_soon: list[Case]
    breached: list[Case]
    by_store: list[StoreFigures]


def _end_of_day(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)


def _flag(condition: Q) -> ExpressionWrapper[Q]:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _open_counts(user: User, *, now: dt.datetime, eod: dt.datetime) -> list[Any]:
    """The user's open cases counted by store and by every fact the marks are made of, in one
    statement: each case's clocks are looked up once (two probes of small partial indexes),
    however many figures the dashboard shows. A few hundred rows at most."""
    breached_clock = CaseSla.objects.filter(case=OuterRef("pk"), state=SlaState.BREACHED)
    warned_clock = CaseSla.objects.filter(
        case=OuterRef("pk"), state=SlaState.ACTIVE, warned_at__isnull=False
    )
    return list(
        cases_for(user)
        .filter(status__in=OPEN)
        .order_by()
        .annotate(
            f_mine=_flag(Q(owner_id=user.pk)),
            f_overdue=_flag(Q(next_due_at__lte=now)),
            f_soon=_flag(Q(next_due_at__lte=now + DUE_SOON)),
            f_today=_flag(Q(next_due_at__lt=eod)),
            f_breached_clock=Exists(breached_clock),
            f_warned_clock=Exists(warned_clock),
        )
        .values(
            "store_id",
            "f_mine",
            "f_overdue",
            "f_soon",
            "f_today",
            "f_breached_clock",
            "f_warned_clock",
        )
        .annotate(n=Count("id"))
    )


def dashboard(user: User, *, now: dt.datetime | None = None, limit: int = 10) -> Dashboard:
    """Figures and short lists for the start page; a fixed number of queries."""
    now = now or timezone.now()
    eod = _end_of_day(now)
    # The marks of `with_marks`, from the facts counted once per case.
    my = {"open": 0, "soon": 0, "breached": 0}
    scope = {"open": 0, "soon": 0, "breached": 0}
    per_store: dict[int, dict[str, int]] = {}
    for r in _open_counts(user, now=now, eod=eod):
        n = r["n"]
        breached = bool(r["f_overdue"]) or bool(r["f_breached_clock"])
        soon = not breached and (bool(r["f_soon"]) or bool(r["f_warned_clock"]))
        sums = [scope, my] if r["f_mine"] else [scope]
        for figures in sums:
            figures["open"] += n
            figures["breached"] += n if breached else 0
            figures["soon"] += n if soon else 0
        store = per_store.setdefault(r["store_id"], {"open": 0, "breached": 0, "today": 0})
        store["open"] += n
        store["breached"] += n if breached else 0
        store["today"] += n if r["f_today"] else 0
    by_store: list[StoreFigures] = []
    if user.is_org_wide or user.role == "supervisor":
        for s in stores_for(user).order_by("code"):
            f = per_store.get(s.pk, {})
            by_store.append(
                StoreFigures(
                    store_id=s.pk,
                    name=s.name,
                    open=f.get("open", 0),
                    breached=f.get("breached", 0),
                    due_today=f.get("today", 0),
                )
            )
    # Short lists, nearest deadline first. Each picks its ids along the (owner, organisation
    # or store; next_due_at) indexes, stopping after `limit`, and joins what the rows show
    # for those ids only, in the same statement.
    open_cases = cases_for(user).filter(status__in=OPEN)

    def top(qs: QuerySet[Case]) -> list[Case]:
        window = by_deadline(qs).values("pk")[:limit]
        rows = with_marks(Case.objects.filter(pk__in=window), now=now)
        return list(by_deadline(rows.select_related(*LIST_RELATED)))

    # About to breach implies not breached, so not yet due; such a case has a running clock
    # (warned or due within the hour), so a next due time: the index scan starts at `now`.
    coming = with_marks(open_cases.filter(next_due_at__gt=now), now=now).filter(DUE_SOON_Q)
    return Dashboard(
        my_open=my["open"],
        my_due_soon=my["soon"],
        my_breached=my["breached"],
        scope_open=scope["open"],
        scope_due_soon=scope["soon"],
        scope_breached=scope["breached"],
        my_cases=top(open_cases.filter(owner_id=user.pk)),
        due_soon=top(coming),
        breached=top(with_marks(open_cases, now=now).filter(BREACHED)),
        by_store=by_store,
    )


# --- case detail --------------------------------------------------------------------------


def case_for(user: User, pk: int, *, now: dt.datetime | None = None) -> Case:
    """One case the user may see, with everything its page shows; 404 outside the scope.

    Its marks (`is_breached`, `is_due_soon`, as `with_marks` defines them) are worked out from
    its clocks, which the page loads anyway: three correlated subqueries planned and run for
    one row cost more than the rest of the statement."""
    qs = (
        cases_for(user)
        .select_related(
            "customer",
            "store__calendar",
            "owner",
            "category__parent",
            "asset",
            "sla_policy",
            "created_by",
        )
        .prefetch_related(
            Prefetch("slas", queryset=CaseSla.objects.order_by("id")),
            Prefetch("customer__assets", queryset=Asset.objects.order_by("id")),
        )
    )
    case = get_object_or_404(qs, pk=pk)
    mark(case, list(case.slas.all()), now=now or timezone.now())
    return case


def mark(case: Case, clocks: list[CaseSla], *, now: dt.datetime) -> None:
    """Set `is_breached` and `is_due_soon` on one case from its clocks (see `with_marks`)."""
    is_open = case.status in OPEN
    due = case.next_due_at
    breached = (is_open and due is not None and due <= now) or any(
        c.state == SlaState.BREACHED for c in clocks
    )
    soon = is_open and (
        (due is not None and due <= now + DUE_SOON)
        or any(c.state == SlaState.ACTIVE and c.warned_at is not None for c in clocks)
    )
    setattr(case, "is_breached", breached)  # noqa: B010  # an annotation's name, set here
    setattr(case, "is_due_soon", soon and not breached)  # noqa: B010


def timeline(case: Case, *, limit: int = 500) -> list[AuditEvent]:
    """The case's audit events, newest first, with who did them."""
    return list(
        AuditEvent.objects.filter(case=case).select_related("actor").order_by("-at", "-id")[:limit]
    )


def categories_for(user: User) -> list[Category]:
    """The active categories of the user's organisation, parents before their children."""
    if user.organisation_id is None:
        return []
    return list(
        Category.objects.filter(organisation_id=user.organisation_id, active=True)
        .select_related("parent")
        .order_by("position", "code")
    )


def category_choices(categories: list[Category]) -> list[tuple[Any, Any]]:
    """Two-level choices for a <select>: one group per top-level category."""
    children: dict[int, list[Category]] = {}
    for c in categories:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    out: list[tuple[Any, Any]] = []
    for c in categories:
        if c.parent_id is not None:
            continue
        kids = children.get(c.pk)
        if kids:
            out.append((c.name(), [(k.pk, k.name()) for k in kids]))
        else:
            out.append((c.pk, c.name()))
    return out


def colleagues(user: User) -> QuerySet[User]:
    return staff_for(user).select_related("store").order_by("store__code", "username")


# --- intake -------------------------------------------------------------------------------


def customer_by_phone(user: User, phone: str) -> Customer | None:
    """The customer with exactly this normalised phone, if the user may see them."""
    if not phone:
        return None
    return (
        customers_for(user)
        .filter(phone=phone)
        .prefetch_related(Prefetch("assets", queryset=Asset.objects.order_by("-id")))
        .annotate(open_cases=Count("cases", filter=Q(cases__status__in=OPEN)))
        .first()
    )


def phone_taken_elsewhere(user: User, phone: str) -> bool:
    """True when the phone belongs to a customer of the organisation the user may not see."""
    if not phone or user.organisation_id is None:
        return False
    return (
        Customer.objects.filter(organisation_id=user.organisation_id, phone=phone)
        .exclude(pk__in=customers_for(user).values("pk"))
        .exists()
    )
