"""Reads of the return-after-complaints page: the TARP table, the recovery paradox check and
recovery fairness against return (DOMAIN.md §1 and §3).

The TARP studies found that customers whose complaint was resolved quickly came back far more
often than those resolved slowly, those left unresolved and those who never complained. This
module rebuilds the table from the organisation's own cases, transactions and survey answers.

Definitions (the page's help says the same in words):

- The cohort is one row per customer: their first case received in the period at the chosen
  stores (of the chosen category); the reference day D is the local (Shanghai) day the case
  was received.
- A customer came back when they have a later case or a transaction (any kind: service order,
  purchase, visit) at the chosen stores on a day from D + 1 to D + 365, both included.
- Only customers whose window is over (D + 365 < today) are counted as came back or not; the
  others are counted apart as “too recent”.
- Resolved fast: the case is resolved or closed with the outcome “in the customer's favour” or
  “partly resolved”, and its resolution SLA clock was met (fulfilled, never breached); a case
  without a resolution clock is fast when resolved within 72 hours of receipt (British
  Airways' limit, DOMAIN.md §3). Resolved: the same outcomes, not fast. Not resolved: every
  other first case — outcome “not resolved” or “withdrawn”, or still open.
- Never complained: customers with a transaction in the period at the chosen stores and no case
  at those stores from 365 days before their first transaction in the period to the end of the
  period; D is the day of that first transaction.

The recovery paradox check groups the complainers by the number of cases they had in the
period: exactly one, resolved fast (“well recovered”); exactly one otherwise; two or more. Its
reference day is the customer's last case of the period (the same case for one failure), so
that a second failure is never counted as coming back. Satisfaction is each customer's mean
NPS and CSAT over the answers they submitted at the chosen stores from D to D + 365, then the
mean over the customers.

Fairness against return: the customers' first answer in the period to a survey with recovery-
fairness questions (roles fair_outcome, fair_procedural, fair_interactional); each dimension's
score is the mean of its items rescaled to 0–1 (0 = the scale's lowest point), the overall
fairness the mean of the dimensions; bands: low below the scale's midpoint (< 0.5), middle
0.5 – 0.75, high ≥ 0.75. D is the day of the answer.

Every grouping is one SQL query: the cohort picked with a ROW_NUMBER() window (first / last
case) or NOT EXISTS (first transaction, first answer), “came back” and satisfaction as
correlated subqueries on the customer's indexed rows, all groups counted in one row with
aggregates … FILTER over an inner query (see `_once`). The fairness scores are read from the
answers' JSON in SQL (`answers ->> key`) and banded with vectorised pandas. The cost grows
with the cohort (a few index probes per customer; docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models import Case as Choose
from django.db.models import When as If
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.accounts.models import User
from manyi.analytics.models import Transaction
from manyi.analytics.selectors import Filters, store_choices
from manyi.cases.choices import Outcome, SlaMetric, SlaState, Status
from manyi.cases.models import Case, CaseSla
from manyi.core.scoping import cases_for
from manyi.metrics.scores import two_proportion_test, wilson_interval
from manyi.surveys.definition import DefinitionError, QuestionType, Role, parse_definition
from manyi.surveys.models import Response, SurveyVersion

WINDOW_DAYS = 365
# Without a resolution SLA clock, “fast” is resolved within 72 hours (DOMAIN.md §3).
FAST_WITHOUT_CLOCK = dt.timedelta(hours=72)
# Below this many customers a share is shown greyed (as the survey results do).
MIN_N = 30
SIGNIFICANCE = 0.05

FAVOURABLE = (Outcome.IN_FAVOUR, Outcome.PARTLY)
DONE = (Status.RESOLVED, Status.CLOSED)

FAST, RESOLVED, NOT_RESOLVED, NEVER = "fast", "resolved", "not_resolved", "never"
TARP_GROUPS = {
    FAST: _("Resolved fast"),
    RESOLVED: _("Resolved, not fast"),
    NOT_RESOLVED: _("Not resolved"),
    NEVER: _("Never complained"),
}
RECOVERED, ONE_OTHER, TWO_PLUS = "recovered", "one_other", "two_plus"
PARADOX_GROUPS = {
    NEVER: _("No failure (never complained)"),
    RECOVERED: _("One failure, well recovered"),
    ONE_OTHER: _("One failure, not well recovered"),
    TWO_PLUS: _("Two or more failures"),
}
OVERALL = "overall"
DIMENSIONS = {
    OVERALL: _("Overall fairness"),
    Role.FAIR_OUTCOME: _("Outcome (distributive) fairness"),
    Role.FAIR_PROCEDURAL: _("Procedural fairness"),
    Role.FAIR_INTERACTIONAL: _("Interactional fairness"),
}
LOW, MID, HIGH = "low", "mid", "high"
BANDS = {
    LOW: _("Low (below the midpoint)"),
    MID: _("Middle"),
    HIGH: _("High (top quarter of the scale)"),
}
MID_FROM, HIGH_FROM = 0.5, 0.75
UNLIMITED = 2**62


class AddDays(Func):
    """A date plus a whole number of days, as a date, with each database's own arithmetic
    (Django's date + duration gives a timestamp text on SQLite, which compares wrongly with a
    date)."""

    output_field = DateField()
    arity = 1

    def __init__(self, expression: Any, days: int) -> None:
        super().__init__(expression)
        self.days = int(days)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        return super().as_sql(
            compiler, connection, template=f"(%(expressions)s + {self.days:d})", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, template=f"date(%(expressions)s, '{self.days:+d} days')", **extra
        )


# --- result rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """Customers of one group: `n` whose 12-month window is over, `back` of them came back,
    `recent` too recent to tell; and (paradox) their mean NPS and CSAT over `nps_n` / `csat_n`
    customers who answered."""

    key: str
    label: str
    n: int = 0
    back: int = 0
    recent: int = 0
    nps: float | None = None
    nps_n: int = 0
    csat: float | None = None
    csat_n: int = 0
    band: str = ""  # fairness rows: the band's key; `key` is then the dimension
    band_label: str = ""

    @property
    def rate(self) -> float | None:
        """Came back, % of the customers counted."""
        return round(100 * self.back / self.n, 1) if self.n else None

    def _interval(self) -> tuple[float, float] | None:
        if not self.n:
            return None
        low, high = wilson_interval(self.back, self.n)
        return round(100 * low, 1), round(100 * high, 1)

    @property
    def low(self) -> float | None:
        """The lower end of the Wilson 95 % interval, in %."""
        ci = self._interval()
        return ci[0] if ci else None

    @property
    def high(self) -> float | None:
        ci = self._interval()
        return ci[1] if ci else None

    @property
    def low_n(self) -> bool:
        return self.n < MIN_N


@dataclass(frozen=True)
class Verdict:
    """The paradox check: is the well-recovered customers' return rate significantly above
    that of the customers who never complained (pooled two-proportion z test, two-sided)?"""

    key: str  # "seen", "not_seen", "reverse" or "too_few"
    z: float | None
    p: float | None


@dataclass
class Returns:
    filters: Filters
    today: dt.date
    tarp: list[Share] = field(default_factory=list)
    paradox: list[Share] = field(default_factory=list)
    verdict: Verdict = field(default_factory=lambda: Verdict("too_few", None, None))
    fairness: list[Share] = field(default_factory=list)
    fairness_answers: int = 0  # customers with a fairness answer in the period

    @property
    def cutoff(self) -> dt.date:
        """The last reference day whose window is over."""
        return self.today - dt.timedelta(days=WINDOW_DAYS + 1)


# --- the SQL building blocks ----------------------------------------------------------------


def _elapsed(today: dt.date) -> Q:
    """The reference day's window (D + 1 … D + 365) is over: D + 365 < today."""
    return Q(ref_day__lt=today - dt.timedelta(days=WINDOW_DAYS))


def _came_back(org_id: int, store_ids: tuple[int, ...]) -> Any:
    """A later case or a transaction of the outer row's customer at the stores, on a day from
    its ref_day + 1 to its end_day (ref_day + 365)."""
    later_case = (
        Case.objects.filter(
            organisation_id=org_id, store_id__in=store_ids, customer_id=OuterRef("customer_id")
        )
        .annotate(day=TruncDate("received_at"))
        .filter(day__gt=OuterRef("ref_day"), day__lte=OuterRef("end_day"))
    )
    transaction = Transaction.objects.filter(
        organisation_id=org_id,
        store_id__in=store_ids,
        customer_id=OuterRef("customer_id"),
        occurred_on__gt=OuterRef("ref_day"),
        occurred_on__lte=OuterRef("end_day"),
    )
    return ExpressionWrapper(Exists(later_case) | Exists(transaction), BooleanField())


def _satisfaction(org_id: int, store_ids: tuple[int, ...]) -> dict[str, Any]:
    """The outer row's customer's mean NPS and CSAT over the answers submitted at the stores
    from ref_day to end_day."""
    answers = (
        Response.objects.filter(
            organisation_id=org_id,
            store_id__in=store_ids,
            customer_id=OuterRef("customer_id"),
            submitted_at__isnull=False,
        )
        .annotate(day=TruncDate("submitted_at"))
        .filter(day__gte=OuterRef("ref_day"), day__lte=OuterRef("end_day"))
        .order_by()
        .values("customer_id")
    )
    return {
        name: Subquery(
            answers.filter(**{f"{name}__isnull": False})
            .annotate(mean=Avg(name, output_field=FloatField()))
            .values("mean"),
            output_field=FloatField(),
        )
        for name in ("nps", "csat")
    }


def _counts(
    today: dt.date, groups: tuple[str, ...], *, satisfaction: bool = False
) -> dict[str, Any]:
    """The aggregates of each group (the rows whose `grp` is the group) in one row of results:
    the database computes each row's subqueries once, in an inner query."""
    elapsed = _elapsed(today)
    out: dict[str, Any] = {}
    for g in groups:
        mine = Q(grp=g)
        out[f"{g}__n"] = Count("pk", filter=mine & elapsed)
        out[f"{g}__back"] = Count("pk", filter=mine & elapsed & Q(returned=True))
        out[f"{g}__recent"] = Count("pk", filter=mine & ~elapsed)
        if satisfaction:
            for name in ("nps", "csat"):
                out[f"{g}__{name}_mean"] = Avg(f"s_{name}", filter=mine & elapsed)
                out[f"{g}__{name}_n"] = Count(f"s_{name}", filter=mine & elapsed)
    return out


def _once(qs: QuerySet[Any]) -> QuerySet[Any]:
    """`qs` behind a LIMIT that never bites: aggregated, it stays an inner query, whose
    correlated subqueries PostgreSQL then evaluates once per row. Without it the planner pulls
    the inner query up and evaluates each subquery once per aggregate that uses it (a dozen
    times per row)."""
    return qs.order_by()[:UNLIMITED]


def _split(row: dict[str, Any], groups: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """{group: {n, back, …}} from _counts' one row."""
    out: dict[str, dict[str, Any]] = {g: {} for g in groups}
    for name, value in row.items():
        g, _sep, figure = name.partition("__")
        out[g][figure] = value
    return out


def _with_window(qs: QuerySet[Any], day: Any) -> QuerySet[Any]:
    """`qs` with its reference day and the window's last day (ref_day + 365)."""
    with_day: QuerySet[Any] = qs.annotate(ref_day=day)
    out: QuerySet[Any] = with_day.annotate(end_day=AddDays(F("ref_day"), WINDOW_DAYS))
    return out


def _cases(user: User, f: Filters, store_ids: tuple[int, ...]) -> QuerySet[Case]:
    """The cases received in the period at the stores, of the filter's category."""
    start, end = f.bounds()
    return (
        cases_for(user)
        .filter(store_id__in=store_ids, received_at__gte=start, received_at__lt=end)
        .filter(f.categories())
    )


def _first_cases(cases: QuerySet[Case], *, last: bool = False, at_least: int = 1) -> Q:
    """Each customer's first (or last) case of `cases`, by receipt then id, of the customers
    with at least `at_least` of them: a condition on the case's id, one window query over
    `cases` that the database hashes once."""
    order = [F("received_at").asc(), F("pk").asc()]
    if last:
        order = [F("received_at").desc(), F("pk").desc()]
    ranked = cases.annotate(
        rank=Window(RowNumber(), partition_by=[F("customer_id")], order_by=order),
        of=Window(Count("pk"), partition_by=[F("customer_id")]),
    ).order_by()
    if at_least > 1:
        ranked = ranked.filter(of__gte=at_least)
    return Q(pk__in=ranked.filter(rank=1).values("pk"))


def _fast() -> Q:
    """Resolved in the customer's favour or partly, and fast (see the module's docstring)."""
    clock = CaseSla.objects.filter(case_id=OuterRef("pk"), metric=SlaMetric.RESOLUTION)
    met = Exists(clock.filter(state=SlaState.FULFILLED))
    quick = ~Exists(clock) & Q(resolved_at__lte=F("received_at") + FAST_WITHOUT_CLOCK)
    return Q(status__in=DONE, outcome__in=FAVOURABLE) & (Q(met) | quick)


def _tarp_group() -> Choose:
    favourable = Q(status__in=DONE, outcome__in=FAVOURABLE)
    return Choose(
        If(_fast(), then=Value(FAST)),
        If(favourable, then=Value(RESOLVED)),
        default=Value(NOT_RESOLVED),
    )


def _never_complained(
    user: User, f: Filters, store_ids: tuple[int, ...], today: dt.date
) -> dict[str, Any]:
    """The never-complained customers' counts and satisfaction, one query."""
    org_id = _org(user)
    transactions = Transaction.objects.filter(
        organisation_id=org_id,
        store_id__in=store_ids,
        occurred_on__gte=f.start,
        occurred_on__lte=f.end,
    )
    earlier = transactions.filter(customer_id=OuterRef("customer_id")).filter(
        Q(occurred_on__lt=OuterRef("occurred_on"))
        | Q(occurred_on=OuterRef("occurred_on"), pk__lt=OuterRef("pk"))
    )
    complained = (
        Case.objects.filter(
            organisation_id=org_id, store_id__in=store_ids, customer_id=OuterRef("customer_id")
        )
        .annotate(day=TruncDate("received_at"))
        .filter(day__gte=OuterRef("year_before"), day__lte=f.end)
    )
    qs = _with_window(
        transactions.filter(~Exists(earlier)).annotate(
            year_before=AddDays(F("occurred_on"), -WINDOW_DAYS)
        ),
        F("occurred_on"),
    ).filter(~Exists(complained))
    qs = qs.annotate(grp=Value(NEVER), returned=_came_back(org_id, store_ids))
    qs = qs.annotate(**{f"s_{k}": v for k, v in _satisfaction(org_id, store_ids).items()})
    row = _once(qs).aggregate(**_counts(today, (NEVER,), satisfaction=True))
    return _split(row, (NEVER,))[NEVER]


def _share(key: str, label: Any, row: dict[str, Any] | None) -> Share:
    row = row or {}
    return Share(
        key=key,
        label=str(label),
        n=row.get("n") or 0,
        back=row.get("back") or 0,
        recent=row.get("recent") or 0,
        nps=_round(row.get("nps_mean")),
        nps_n=row.get("nps_n") or 0,
        csat=_round(row.get("csat_mean")),
        csat_n=row.get("csat_n") or 0,
    )


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _org(user: User) -> int:
    assert user.organisation_id is not None
    return user.organisation_id


# --- the page -------------------------------------------------------------------------------


def returns(user: User, f: Filters, *, today: dt.date | None = None) -> Returns:
    """The TARP table, the paradox check and fairness against return for the filters' stores
    (those of stores_for(user) among them). Six queries whatever the size of the data."""
    today = today or timezone.localdate()
    out = Returns(filters=f, today=today)
    store_ids = tuple(pk for pk, _name in store_choices(user) if pk in f.store_ids)
    if not store_ids:
        return out
    org_id = _org(user)
    cases = _cases(user, f, store_ids)

    firsts = _with_window(cases.filter(_first_cases(cases)), TruncDate("received_at"))
    groups = (FAST, RESOLVED, NOT_RESOLVED)
    firsts = firsts.annotate(grp=_tarp_group(), returned=_came_back(org_id, store_ids))
    tarp = _split(_once(firsts).aggregate(**_counts(today, groups)), groups)
    never = _never_complained(user, f, store_ids, today)
    out.tarp = [_share(k, label, tarp.get(k)) for k, label in TARP_GROUPS.items() if k != NEVER]
    out.tarp.append(_share(NEVER, TARP_GROUPS[NEVER], never))

    group = Choose(
        If(_first_cases(cases, last=True, at_least=2), then=Value(TWO_PLUS)),
        If(_fast(), then=Value(RECOVERED)),
        default=Value(ONE_OTHER),
    )
    lasts = _with_window(cases.filter(_first_cases(cases, last=True)), TruncDate("received_at"))
    lasts = lasts.annotate(
        grp=group,
        returned=_came_back(org_id, store_ids),
        **{f"s_{k}": v for k, v in _satisfaction(org_id, store_ids).items()},
    )
    groups = (RECOVERED, ONE_OTHER, TWO_PLUS)
    row = _once(lasts).aggregate(**_counts(today, groups, satisfaction=True))
    paradox = _split(row, groups)
    paradox[NEVER] = never
    out.paradox = [_share(k, label, paradox.get(k)) for k, label in PARADOX_GROUPS.items()]
    out.verdict = _verdict(out.paradox[1], out.paradox[0])

    out.fairness, out.fairness_answers = _fairness(user, f, store_ids, today)
    return out


def _verdict(recovered: Share, never: Share) -> Verdict:
    if recovered.low_n or never.low_n:
        return Verdict("too_few", None, None)
    z, p = two_proportion_test(never.back, never.n, recovered.back, recovered.n)
    if math.isnan(p):
        return Verdict("too_few", None, None)
    if p < SIGNIFICANCE:
        return Verdict("seen" if z > 0 else "reverse", round(z, 2), round(p, 4))
    return Verdict("not_seen", round(z, 2), round(p, 4))


# --- recovery fairness against return -------------------------------------------------------


def _fairness_items(org_id: int) -> dict[int, list[tuple[str, str, float, float]]]:
    """Per survey version with fairness questions: (key, role, scale min, scale max) of each
    fairness scale question. One query; a version's definition is a few kB."""
    out: dict[int, list[tuple[str, str, float, float]]] = {}
    versions = SurveyVersion.objects.filter(
        survey__organisation_id=org_id, definition__icontains='"fair_'
    ).values_list("pk", "definition")
    for pk, raw in versions:
        try:
            definition = parse_definition(raw)
        except DefinitionError:
            continue
        items = []
        for q in definition.with_role(*Role.FAIRNESS):
            lo, hi = (0, 10) if q.type == QuestionType.NPS else (q.scale_min, q.scale_max)
            if q.numeric and hi > lo:
                items.append((q.key, q.role, float(lo), float(hi)))
        if items:
            out[pk] = items
    return out


def _fairness(
    user: User, f: Filters, store_ids: tuple[int, ...], today: dt.date
) -> tuple[list[Share], int]:
    org_id = _org(user)
    items = _fairness_items(org_id)
    if not items:
        return [], 0
    start, end = f.bounds()
    answers = Response.objects.filter(
        organisation_id=org_id,
        store_id__in=store_ids,
        survey_version_id__in=list(items),
        customer__isnull=False,
        submitted_at__gte=start,
        submitted_at__lt=end,
    )
    if f.category_id:
        answers = answers.filter(f.categories("case__category"))
    earlier = answers.filter(customer_id=OuterRef("customer_id")).filter(
        Q(submitted_at__lt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), pk__lt=OuterRef("pk"))
    )
    keys = sorted({key for version in items.values() for key, *_rest in version})
    columns = {f"k{i}": KeyTextTransform(key, "answers") for i, key in enumerate(keys)}
    qs = _with_window(answers.filter(~Exists(earlier)), TruncDate("submitted_at"))
    qs = qs.annotate(returned=_came_back(org_id, store_ids), **columns)
    elapsed = ExpressionWrapper(_elapsed(today), BooleanField())
    rows = list(
        qs.annotate(is_elapsed=elapsed).values_list(
            "survey_version_id", "returned", "is_elapsed", *columns
        )
    )
    if not rows:
        return [], 0
    frame = pd.DataFrame(rows, columns=["version", "returned", "elapsed", *keys])
    scores = _dimension_scores(frame, keys, items)
    out: list[Share] = []
    returned = frame["returned"].astype(bool).to_numpy()
    done = frame["elapsed"].astype(bool).to_numpy()
    for dimension, label in DIMENSIONS.items():
        values = scores[dimension].to_numpy(dtype=np.float64)
        bands = {
            LOW: values < MID_FROM,
            MID: (values >= MID_FROM) & (values < HIGH_FROM),
            HIGH: values >= HIGH_FROM,
        }
        for band, mask in bands.items():
            out.append(
                Share(
                    key=str(dimension),
                    label=str(label),
                    band=band,
                    band_label=str(BANDS[band]),
                    n=int((mask & done).sum()),
                    back=int((mask & done & returned).sum()),
                    recent=int((mask & ~done).sum()),
                )
            )
    return out, len(frame)


def _dimension_scores(
    frame: pd.DataFrame, keys: list[str], items: dict[int, list[tuple[str, str, float, float]]]
) -> pd.DataFrame:
    """Each answer's score per fairness dimension (mean of its items rescaled to 0–1; NaN when
    none is answered) and overall (mean of the dimensions answered)."""
    scores = pd.DataFrame(
        np.nan, index=frame.index, columns=[str(r) for r in Role.FAIRNESS], dtype=np.float64
    )
    for version, version_items in items.items():
        rows = frame["version"].to_numpy() == version
        if not rows.any():
            continue
        for role in Role.FAIRNESS:
            parts = [
                (pd.to_numeric(frame.loc[rows, key], errors="coerce") - lo) / (hi - lo)
                for key, r, lo, hi in version_items
                if r == role and key in keys
            ]
            if parts:
                scores.loc[rows, str(role)] = pd.concat(parts, axis=1).mean(axis=1, skipna=True)
    scores[OVERALL] = scores[[str(r) for r in Role.FAIRNESS]].mean(axis=1, skipna=True)
    return scores
