"""Reads of service recovery: the actions a user may see, the approval queue, store budgets per
month, the suggested compensation range of a case and its checklist.

Every query starts from `manyi.core.scoping`; sums are aggregated in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from manyi.core.scoping import stores_for
from manyi.recovery.choices import SPENT_STATES, ActionState, Principle
from manyi.recovery.models import ChecklistTick, CompensationGuide, RecoveryAction

if TYPE_CHECKING:
    from manyi.accounts.models import Store, User
    from manyi.cases.models import Case

ZERO = Decimal("0")
WARN_AT = Decimal("0.8")  # the share of the monthly budget from which the UI warns
BudgetLevel = Literal["ok", "warning", "exceeded"]


def budget_zone() -> ZoneInfo:
    """Budgets run per calendar month in the organisation's time zone (Asia/Shanghai)."""
    return ZoneInfo(settings.TIME_ZONE)


def month_of(when: dt.datetime | dt.date) -> dt.date:
    """The first day of the (Shanghai) month of an instant or a date."""
    if isinstance(when, dt.datetime):
        if timezone.is_aware(when):
            when = timezone.localtime(when, budget_zone())
        return when.date().replace(day=1)
    return when.replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month as aware instants."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    tz = budget_zone()
    return (
        dt.datetime(first.year, first.month, 1, tzinfo=tz),
        dt.datetime(following.year, following.month, 1, tzinfo=tz),
    )


# --- what a user may see ------------------------------------------------------------------


def actions_for(user: User) -> QuerySet[RecoveryAction]:
    """Recovery actions of the stores the user works in (404 for any other id)."""
    if user.organisation_id is None:
        return RecoveryAction.objects.none()
    return RecoveryAction.objects.filter(
        organisation_id=user.organisation_id, store__in=stores_for(user)
    )


def case_actions(case: Case) -> list[RecoveryAction]:
    """The actions of one case, oldest first, with the people who requested and decided."""
    return list(
        RecoveryAction.objects.filter(case_id=case.pk)
        .select_related("requested_by", "decided_by", "given_by")
        .order_by("requested_at", "id")
    )


def approval_queue(user: User, *, limit: Decimal | None) -> QuerySet[RecoveryAction]:
    """Pending actions the user may decide: in their stores, requested by someone else, and
    within `limit` (the user's authority; None = no limit). Oldest first."""
    qs = (
        actions_for(user)
        .filter(state=ActionState.PENDING)
        .exclude(requested_by_id=user.pk)
        .select_related("case__customer", "store", "requested_by")
        .order_by("requested_at", "id")
    )
    if limit is not None:
        qs = qs.filter(value__lte=limit)
    return qs


def my_pending(user: User) -> QuerySet[RecoveryAction]:
    """The user's own actions still waiting for someone's approval."""
    return (
        actions_for(user)
        .filter(state=ActionState.PENDING, requested_by_id=user.pk)
        .select_related("case__customer", "store")
        .order_by("requested_at", "id")
    )


def recent_actions(user: User, *, limit: int = 20) -> list[RecoveryAction]:
    return list(
        actions_for(user)
        .select_related("case__customer", "store", "requested_by", "decided_by")
        .order_by("-requested_at", "-id")[:limit]
    )


# --- budgets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetStatus:
    """A store's recovery spending in one month. `spent` counts approved and given actions,
    `pending` those still waiting; `percent` and `level` compare `spent` with the budget
    (None, "ok": the store has no budget)."""

    store_id: int
    store_name: str
    month: dt.date
    budget: Decimal | None
    spent: Decimal
    pending: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.spent

    @property
    def over(self) -> Decimal:
        """How far spending is beyond the budget (0 within it or without a budget)."""
        return ZERO if self.budget is None else max(self.spent - self.budget, ZERO)

    @property
    def percent(self) -> int | None:
        return percent_of(self.spent, self.budget)

    @property
    def level(self) -> BudgetLevel:
        return level_of(self.spent, self.budget)

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m")


def percent_of(amount: Decimal, budget: Decimal | None) -> int | None:
    if budget is None:
        return None
    if budget <= 0:
        return 0 if amount <= 0 else 100
    return int((amount * 100 / budget).to_integral_value(rounding=ROUND_FLOOR))


def level_of(amount: Decimal, budget: Decimal | None) -> BudgetLevel:
    """ "exceeded" above the budget, "warning" from 80% of it, else "ok"."""
    if budget is None:
        return "ok"
    if amount > budget:
        return "exceeded"
    if amount > 0 and amount >= budget * WARN_AT:
        return "warning"
    return "ok"


def _sums() -> dict[str, Sum]:
    return {
        "spent": Sum("value", filter=Q(state__in=[str(s) for s in SPENT_STATES])),
        "pending": Sum("value", filter=Q(state=ActionState.PENDING)),
    }


def budget_status(store: Store, month: dt.date | dt.datetime) -> BudgetStatus:
    """One store's budget, spending and pending value in the month of `month`; one query."""
    first = month_of(month)
    start, end = month_bounds(first)
    sums = RecoveryAction.objects.filter(
        store_id=store.pk, requested_at__gte=start, requested_at__lt=end
    ).aggregate(**_sums())
    return BudgetStatus(
        store_id=store.pk,
        store_name=store.name,
        month=first,
        budget=store.monthly_recovery_budget,
        spent=sums["spent"] or ZERO,
        pending=sums["pending"] or ZERO,
    )


def budgets_for(user: User, month: dt.date | dt.datetime) -> list[BudgetStatus]:
    """The budgets of the user's stores in a month: two queries whatever the number."""
    first = month_of(month)
    start, end = month_bounds(first)
    stores = list(stores_for(user).order_by("code"))
    rows = (
        RecoveryAction.objects.filter(
            store__in=[s.pk for s in stores], requested_at__gte=start, requested_at__lt=end
        )
        .values("store_id")
        .annotate(**_sums())
        .order_by()
    )
    by_store: dict[int, dict[str, Any]] = {r["store_id"]: dict(r) for r in rows}
    out = []
    for s in stores:
        r = by_store.get(s.pk, {})
        out.append(
            BudgetStatus(
                store_id=s.pk,
                store_name=s.name,
                month=first,
                budget=s.monthly_recovery_budget,
                spent=r.get("spent") or ZERO,
                pending=r.get("pending") or ZERO,
            )
        )
    return out


# --- compensation guide -------------------------------------------------------------------


def guides_for(user: User) -> QuerySet[CompensationGuide]:
    if user.organisation_id is None:
        return CompensationGuide.objects.none()
    return (
        CompensationGuide.objects.filter(organisation_id=user.organisation_id)
        .select_related("category__parent")
        .order_by("category__parent__position", "category__position", "category_id", "severity")
    )


def suggested_range(case: Case) -> CompensationGuide | None:
    """The most specific guide for the case's category and severity: the category itself
    before its parent before any category; then its severity before any severity. One query
    (the case's category should be loaded)."""
    category = case.category
    categories = [case.category_id]
    if category.parent_id is not None:
        categories.append(category.parent_id)
    rows = CompensationGuide.objects.filter(organisation_id=case.organisation_id).filter(
        Q(category_id__in=categories) | Q(category__isnull=True),
        severity__in=[case.severity, ""],
    )

    def rank(g: CompensationGuide) -> tuple[int, int]:
        if g.category_id == case.category_id:
            by_category = 2
        elif g.category_id is not None:
            by_category = 1
        else:
            by_category = 0
        return by_category, 1 if g.severity else 0

    return max(rows, key=rank, default=None)


# --- checklist ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistRow:
    principle: str
    label: str
    tick: ChecklistTick | None


def checklist(case: Case) -> list[ChecklistRow]:
    """The nine principles in order, each with its tick (who, when) if ticked; one query."""
    ticks = {
        t.principle: t for t in ChecklistTick.objects.filter(case_id=case.pk).select_related("by")
    }
    return [
        ChecklistRow(principle=str(value), label=str(label), tick=ticks.get(str(value)))
        for value, label in Principle.choices
    ]
