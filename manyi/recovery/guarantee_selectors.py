"""Reads of service guarantees: the organisation's promises, the breaches a user may see, the
case panel's rows and the guarantee report (how often each guarantee was broken and what it
cost, per store and month)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from manyi.accounts.models import User
from manyi.cases.models import Case, SlaTarget
from manyi.core.scoping import stores_for
from manyi.recovery.choices import ActionState, TriggerKind
from manyi.recovery.guarantees import in_force_from
from manyi.recovery.models import Guarantee, GuaranteeBreach


def guarantees_for(user: User) -> QuerySet[Guarantee]:
    """Every guarantee of the user's organisation (everyone may read the promises)."""
    if user.organisation_id is None:
        return Guarantee.objects.none()
    return Guarantee.objects.filter(organisation_id=user.organisation_id)


def breaches_for(user: User) -> QuerySet[GuaranteeBreach]:
    """Breaches of the stores the user works in (all of the organisation for org-wide roles)."""
    if user.organisation_id is None:
        return GuaranteeBreach.objects.none()
    qs = GuaranteeBreach.objects.filter(organisation_id=user.organisation_id)
    if not user.is_org_wide:
        qs = qs.filter(store_id__in=stores_for(user).values("id"))
    return qs


def case_breaches(case: Case) -> list[GuaranteeBreach]:
    """The guarantees broken on a case with their payout actions, oldest first (one query)."""
    return list(
        GuaranteeBreach.objects.filter(case=case)
        .select_related("guarantee", "payout_action", "recorded_by")
        .order_by("at", "id")
    )


def staff_event_guarantees(organisation_id: int, now: dt.datetime) -> list[Guarantee]:
    """The active guarantees staff can record as broken, in force at `now` (one query)."""
    rows = Guarantee.objects.filter(
        organisation_id=organisation_id, active=True, trigger=TriggerKind.STAFF_EVENT
    ).order_by("code")
    return [g for g in rows if in_force_from(g) <= now]


@dataclass(frozen=True)
class PolicyTarget:
    policy: str
    minutes: int
    clock: str


def sla_targets(organisation_id: int) -> dict[str, list[PolicyTarget]]:
    """metric → the targets of the organisation's active SLA policies, in the order the
    policies are tried: what an `sla_breach` guarantee really promises (one query)."""
    targets: dict[str, list[PolicyTarget]] = defaultdict(list)
    rows = (
        SlaTarget.objects.filter(policy__organisation_id=organisation_id, policy__active=True)
        .select_related("policy")
        .order_by("policy__rank", "policy_id")
    )
    for t in rows:
        targets[t.metric].append(PolicyTarget(t.policy.name, t.minutes, t.get_clock_display()))
    return dict(targets)


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    month: dt.date
    guarantee_id: int
    guarantee: str
    store_id: int
    store: str
    breaches: int
    payout: Decimal
    # Of these, payouts staff recorded beyond their authority still waiting for approval.
    waiting: int = 0
    waiting_payout: Decimal = Decimal("0")


@dataclass
class GuaranteeTotal:
    guarantee_id: int
    guarantee: str
    breaches: int = 0
    payout: Decimal = Decimal("0")
    waiting: int = 0
    waiting_payout: Decimal = Decimal("0")


@dataclass
class Report:
    start: dt.date
    end: dt.date  # first day of the last month shown
    rows: list[ReportRow] = field(default_factory=list)
    totals: list[GuaranteeTotal] = field(default_factory=list)
    breaches: int = 0
    payout: Decimal = Decimal("0")
    waiting: int = 0
    waiting_payout: Decimal = Decimal("0")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months, this one included."""
    this_month = month_start(today or timezone.localdate())
    return add_months(this_month, -11), this_month


def guarantee_report(
    user: User,
    *,
    start: dt.date,
    end: dt.date,
    store_id: int | None = None,
    guarantee_id: int | None = None,
) -> Report:
    """Breaches and payouts per guarantee × store × month, from the month of `start` to the
    month of `end` (both included, months in the site's time zone), in the stores the user
    sees, with how many of them (and how much) still wait for approval. One grouped query on
    the breaches' (organisation, at) index."""
    zone = ZoneInfo(settings.TIME_ZONE)
    first, last = month_start(start), month_start(end)
    report = Report(start=first, end=last)
    if last < first:
        return report
    since = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    until = dt.datetime.combine(add_months(last, 1), dt.time(), tzinfo=zone)
    qs = breaches_for(user).filter(at__gte=since, at__lt=until)
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    if guarantee_id is not None:
        qs = qs.filter(guarantee_id=guarantee_id)
    grouped = (
        qs.annotate(month=TruncMonth("at", tzinfo=zone))
        .values("month", "guarantee_id", "guarantee__name", "store_id", "store__name")
        .annotate(
            n=Count("id"),
            cost=Sum("payout"),
            waiting=Count("id", filter=Q(payout_action__state=ActionState.PENDING)),
            waiting_cost=Sum("payout", filter=Q(payout_action__state=ActionState.PENDING)),
        )
        .order_by()
    )
    rows: list[ReportRow] = []
    for r in grouped:
        month = r["month"]
        if isinstance(month, dt.datetime):
            month = month.astimezone(zone).date() if timezone.is_aware(month) else month.date()
        rows.append(
            ReportRow(
                month=month,
                guarantee_id=r["guarantee_id"],
                guarantee=r["guarantee__name"],
                store_id=r["store_id"],
                store=r["store__name"],
                breaches=r["n"],
                payout=r["cost"] or Decimal("0"),
                waiting=r["waiting"],
                waiting_payout=r["waiting_cost"] or Decimal("0"),
            )
        )
    rows.sort(key=lambda row: (-row.month.toordinal(), row.guarantee, row.store))
    report.rows = rows
    totals: dict[int, GuaranteeTotal] = {}
    for row in rows:
        t = totals.setdefault(row.guarantee_id, GuaranteeTotal(row.guarantee_id, row.guarantee))
        t.breaches += row.breaches
        t.payout += row.payout
        t.waiting += row.waiting
        t.waiting_payout += row.waiting_payout
    report.totals = sorted(totals.values(), key=lambda t: (-t.payout, t.guarantee))
    report.breaches = sum(t.breaches for t in report.totals)
    report.payout = sum((t.payout for t in report.totals), Decimal("0"))
    report.waiting = sum(t.waiting for t in report.totals)
    report.waiting_payout = sum((t.waiting_payout for t in report.totals), Decimal("0"))
    return report
