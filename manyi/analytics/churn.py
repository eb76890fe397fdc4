"""Reads of the value page and the churn-risk list, from the `CustomerValue` summary table.

The churn-risk list: customers with a value (that is, with transactions) who carry at least
one risk flag, the highest value at risk first (customers the model could not score last).

- `low_p_alive`: probability alive below `P_ALIVE_RISK` (0.5): more likely gone than not.
- `open_complaint`: a case of theirs is open (unresolved).
- `badly_recovered`: in the last `LOOKBACK_DAYS` (365) days a complaint of theirs ended
  "not resolved", or they gave a dissatisfied survey answer (which includes a recovery-fairness
  dimension below its scale's midpoint, surveys.answers.loop_reasons).
- `low_score`: in the last 365 days a survey answer with NPS ≤ 6 (a detractor) or CSAT ≤ 2.
- `overdue_followup`: a follow-up call to them is open past its due time, or one was missed
  in the last 365 days.

Each flag is an EXISTS on the customer's own rows (cases, answers, follow-ups: all indexed by
customer). The list walks the (organisation, store, −value_at_risk) index in order and stops
after a page; flags are evaluated per row walked, so a page costs a few hundred index probes,
not a pass over the organisation. The list has no total count (a count would evaluate every
flag of every customer): it pages with “next” while there is more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Floor
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.accounts.models import User
from manyi.analytics.models import CustomerValue, ValueModelFit
from manyi.cases.choices import OPEN_STATUSES, Outcome
from manyi.cases.models import Case
from manyi.followups.choices import FollowUpState, Reason
from manyi.followups.models import FollowUp
from manyi.metrics.rfm import SEGMENTS
from manyi.surveys.models import Response

#: Probability alive below which a customer is flagged.
P_ALIVE_RISK = 0.5
#: How far back complaints' outcomes, survey answers and missed follow-ups count.
LOOKBACK_DAYS = 365
#: NPS at or below this is a detractor; CSAT (1–5) at or below this is dissatisfied.
NPS_LOW = 6
CSAT_LOW = 2
PAGE_SIZE = 50
TOP_CUSTOMERS = 50
EXPORT_LIMIT = 5000

FLAGS: dict[str, Any] = {
    "low_p_alive": _("Probably gone"),
    "open_complaint": _("Open complaint"),
    "badly_recovered": _("Badly recovered"),
    "low_score": _("Low score"),
    "overdue_followup": _("Overdue follow-up"),
}
FLAG_HELP: dict[str, Any] = {
    "low_p_alive": _("probability alive below 0.5"),
    "open_complaint": _("a complaint not yet resolved"),
    "badly_recovered": _(
        "a complaint ended not resolved, or a dissatisfied survey answer, in the last 12 months"
    ),
    "low_score": _("NPS 6 or lower or CSAT 2 or lower in the last 12 months"),
    "overdue_followup": _("a follow-up call overdue, or missed in the last 12 months"),
}
SEGMENT_LABELS: dict[str, Any] = {
    "champions": pgettext_lazy("RFM segment", "Champions"),
    "loyal": pgettext_lazy("RFM segment", "Loyal"),
    "potential loyalists": pgettext_lazy("RFM segment", "Potential loyalists"),
    "new": pgettext_lazy("RFM segment", "New"),
    "promising": pgettext_lazy("RFM segment", "Promising"),
    "need attention": pgettext_lazy("RFM segment", "Need attention"),
    "about to sleep": pgettext_lazy("RFM segment", "About to sleep"),
    "can't lose": pgettext_lazy("RFM segment", "Can't lose"),
    "at risk": pgettext_lazy("RFM segment", "At risk"),
    "hibernating": pgettext_lazy("RFM segment", "Hibernating"),
    "lost": pgettext_lazy("RFM segment", "Lost"),
}


def segment_label(segment: str) -> str:
    return str(SEGMENT_LABELS.get(segment, segment))


def flag_conditions(now: dt.datetime) -> dict[str, Q]:
    """Each flag as a condition on CustomerValue rows (see the module docstring)."""
    since = now - dt.timedelta(days=LOOKBACK_DAYS)
    customer = OuterRef("customer_id")
    open_case = Case.objects.filter(customer_id=customer, status__in=sorted(OPEN_STATUSES))
    not_resolved = Case.objects.filter(
        customer_id=customer, outcome=Outcome.NOT_RESOLVED, received_at__gte=since
    )
    answers = Response.objects.filter(customer_id=customer, submitted_at__gte=since)
    overdue = FollowUp.objects.filter(
        customer_id=customer, state=FollowUpState.OPEN, due_at__lt=now
    )
    missed = FollowUp.objects.filter(customer_id=customer, missed=True, due_at__gte=since)
    return {
        "low_p_alive": Q(p_alive__lt=P_ALIVE_RISK),
        "open_complaint": Q(Exists(open_case)),
        "badly_recovered": Q(Exists(not_resolved)) | Q(Exists(answers.filter(dissatisfied=True))),
        "low_score": Q(Exists(answers.filter(Q(nps__lte=NPS_LOW) | Q(csat__lte=CSAT_LOW)))),
        "overdue_followup": Q(Exists(overdue)) | Q(Exists(missed)),
    }


def values_for(user: User, store_ids: tuple[int, ...]) -> QuerySet[CustomerValue]:
    """The user's organisation's customer values at the given (already scoped) stores."""
    assert user.organisation_id is not None
    return CustomerValue.objects.filter(
        organisation_id=user.organisation_id, store_id__in=store_ids
    )


def fit_for(user: User) -> ValueModelFit | None:
    assert user.organisation_id is not None
    return ValueModelFit.objects.filter(organisation_id=user.organisation_id).first()


# --- the value page ---------------------------------------------------------------------------


@dataclass
class SegmentRow:
    segment: str
    label: str
    customers: int
    share: float
    mean_value: Decimal | None
    mean_worksheet: Decimal | None
    value_at_risk: Decimal


@dataclass
class ValueSummary:
    customers: int = 0
    expected_value: Decimal = Decimal("0")
    value_at_risk: Decimal = Decimal("0")
    worksheet_value: Decimal = Decimal("0")
    scored: int = 0
    segments: list[SegmentRow] = field(default_factory=list)
    # p_alive histogram: ten buckets of 0.1
    buckets: list[int] = field(default_factory=lambda: [0] * 10)
    top: list[CustomerValue] = field(default_factory=list)


def value_summary(user: User, store_ids: tuple[int, ...]) -> ValueSummary:
    """Totals, RFM segments and the P(alive) histogram from one GROUP BY (segment, tenth of
    P(alive)) — at most 11 × 11 groups, added up here — and the most valuable customers."""
    qs = values_for(user, store_ids)
    out = ValueSummary()
    bucket = Cast(Floor(Cast("p_alive", FloatField()) * 10), IntegerField())
    groups = list(
        qs.order_by()
        .annotate(bucket=bucket)
        .values("segment", "bucket")
        .annotate(
            n=Count("pk"),
            valued=Count("expected_value_12m"),
            value=Sum("expected_value_12m"),
            sheet=Sum("worksheet_value"),
            risk=Sum("value_at_risk"),
        )
    )
    per: dict[str, dict[str, Any]] = {}
    zero = Decimal("0")
    for g in groups:
        seg = per.setdefault(
            g["segment"], {"n": 0, "valued": 0, "value": zero, "sheet": zero, "risk": zero}
        )
        seg["n"] += g["n"]
        seg["valued"] += g["valued"]
        for key in ("value", "sheet", "risk"):
            seg[key] += g[key] or zero
        if g["bucket"] is not None:
            out.buckets[min(max(int(g["bucket"]), 0), 9)] += g["n"]
            out.scored += g["n"]
    out.customers = sum(seg["n"] for seg in per.values())
    out.expected_value = sum((seg["value"] for seg in per.values()), zero)
    out.value_at_risk = sum((seg["risk"] for seg in per.values()), zero)
    out.worksheet_value = sum((seg["sheet"] for seg in per.values()), zero)
    for name in (*SEGMENTS, *sorted(set(per) - set(SEGMENTS))):
        if name not in per:
            continue
        seg = per[name]
        out.segments.append(
            SegmentRow(
                segment=name,
                label=segment_label(name),
                customers=seg["n"],
                share=round(100 * seg["n"] / out.customers, 1) if out.customers else 0.0,
                mean_value=_dec(seg["value"] / seg["valued"]) if seg["valued"] else None,
                mean_worksheet=_dec(seg["sheet"] / seg["n"]) if seg["n"] else None,
                value_at_risk=seg["risk"],
            )
        )
    out.top = top_customers(user, store_ids)
    return out


def top_customers(user: User, store_ids: tuple[int, ...]) -> list[CustomerValue]:
    """The TOP_CUSTOMERS customers of highest expected value (index value_org_expected)."""
    qs = values_for(user, store_ids)
    # The ids first: a join with the customers before the sort would join every row.
    top = list(
        qs.order_by(
            F("expected_value_12m").desc(nulls_last=True), "-worksheet_value", "customer_id"
        ).values_list("pk", flat=True)[:TOP_CUSTOMERS]
    )
    found = CustomerValue.objects.select_related("customer", "store").in_bulk(top)
    return [found[pk] for pk in top if pk in found]


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


# --- the churn-risk list ----------------------------------------------------------------------


def _flagged(
    user: User, store_ids: tuple[int, ...], *, flag: str, segment: str, now: dt.datetime
) -> QuerySet[CustomerValue]:
    """The customers carrying `flag` (any flag when empty) in `segment` (any when empty)."""
    conditions = flag_conditions(now)
    qs = values_for(user, store_ids)
    if segment:
        qs = qs.filter(segment=segment)
    if flag in conditions:
        return qs.filter(conditions[flag])
    any_flag = Q()
    for condition in conditions.values():
        any_flag |= condition
    return qs.filter(any_flag)


#: Highest value at risk first, in the order of the (organisation, store, −value_at_risk)
#: index (descending, so on PostgreSQL NULLs first: a NULL value at risk means the model could
#: not be fitted, which is the case of every customer of the organisation or of none).
ORDER = F("value_at_risk").desc()


def churn_ids(
    user: User,
    store_ids: tuple[int, ...],
    *,
    flag: str = "",
    segment: str = "",
    now: dt.datetime,
    start: int,
    stop: int,
) -> list[int]:
    """The ids of rows start..stop of the churn-risk list, in order (one query).

    Over several stores on PostgreSQL: a UNION ALL of one branch per store, each walking that
    store's part of the index in order and stopping after `stop` flagged rows, merged and cut —
    the flags are evaluated for a few rows per store instead of every customer of the
    organisation (which an ORDER BY over several stores of the index would need)."""
    if len(store_ids) > 1 and connection.features.supports_slicing_ordering_in_compound:
        parts = [
            _flagged(user, (s,), flag=flag, segment=segment, now=now)
            .order_by(ORDER)
            .values_list("pk", "value_at_risk")[:stop]
            for s in store_ids
        ]
        union = parts[0].union(*parts[1:], all=True).order_by(ORDER)
        return [pk for pk, _risk in union[start:stop]]
    base = _flagged(user, store_ids, flag=flag, segment=segment, now=now)
    return list(base.order_by(ORDER).values_list("pk", flat=True)[start:stop])


def churn_rows(ids: list[int], *, now: dt.datetime) -> list[CustomerValue]:
    """The rows of `ids` in that order with their customer, store, flags (`flags`) and open
    retention follow-up (`retention_id`, `retention_on`): one query for the page's rows."""
    if not ids:
        return []
    conditions = flag_conditions(now)
    retention = FollowUp.objects.filter(
        customer_id=OuterRef("customer_id"), reason=Reason.RETENTION, state=FollowUpState.OPEN
    ).order_by("due_at")
    annotations: dict[str, Any] = {
        f"f_{name}": _as_bool(cond) for name, cond in conditions.items() if name != "low_p_alive"
    }
    found = {
        v.pk: v
        for v in CustomerValue.objects.filter(pk__in=ids)
        .select_related("customer", "store")
        .annotate(
            **annotations,
            retention_id=Subquery(retention.values("pk")[:1]),
            retention_on=Subquery(retention.values("scheduled_for")[:1]),
        )
    }
    rows: list[CustomerValue] = [found[pk] for pk in ids if pk in found]
    for row in rows:
        row.flags = flags_of(row)  # type: ignore[attr-defined]
    return rows


def _as_bool(condition: Q) -> Any:
    return ExpressionWrapper(condition, output_field=BooleanField())


@dataclass
class ChurnPage:
    rows: list[CustomerValue]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def churn_page(
    user: User,
    store_ids: tuple[int, ...],
    *,
    flag: str = "",
    segment: str = "",
    now: dt.datetime,
    number: int = 1,
) -> ChurnPage:
    """One page of the list (two queries: the ids in order, then their rows). PAGE_SIZE + 1
    ids tell whether there is a next page."""
    number = max(1, number)
    start = (number - 1) * PAGE_SIZE
    ids = churn_ids(
        user,
        store_ids,
        flag=flag,
        segment=segment,
        now=now,
        start=start,
        stop=start + PAGE_SIZE + 1,
    )
    rows = churn_rows(ids[:PAGE_SIZE], now=now)
    return ChurnPage(rows=rows, number=number, has_next=len(ids) > PAGE_SIZE)


def flags_of(row: CustomerValue) -> list[str]:
    """The flags of an annotated churn-list row, in FLAGS order."""
    out = []
    if row.p_alive is not None and row.p_alive < P_ALIVE_RISK:
        out.append("low_p_alive")
    out += [name for name in FLAGS if name != "low_p_alive" and getattr(row, f"f_{name}", False)]
    return out


def churn_flags(*, customer_id: int, now: dt.datetime) -> list[str]:
    """The risk flags of one customer (one query; none when they have no value row)."""
    conditions = flag_conditions(now)
    row = (
        CustomerValue.objects.filter(customer_id=customer_id)
        .annotate(**{f"f_{n}": _as_bool(c) for n, c in conditions.items() if n != "low_p_alive"})
        .first()
    )
    return [] if row is None else flags_of(row)
