"""Reads of the SLA and handling page (/analytics/handling/): SLA attainment per metric and
policy, time to first response and to resolution (business and wall-clock), the backlog and
its age, reopen rate, escalations, cases per owner, and pauses that look like gaming the clock.

The set of cases is the cases received in the period at the filters' stores, owned by the
filtered staff member or team, of the filtered category (the backlog ignores the period: it is
the open cases now). Everything is counted by the database, one GROUP BY query per table;
percentiles are `percentile_cont` on PostgreSQL and numpy on the fetched column elsewhere
(SQLite, small data sets only). Python only joins grouped rows (stores, owners, policies).

- A clock is *met* when it was fulfilled and never breached; *breached* when its state is
  breached (a breached clock stays breached after it is fulfilled late); *running* when it is
  active or paused and not yet breached. Attainment = met ÷ (met + breached), with a Wilson
  95 % interval. The next-update clock restarts with each response, so only its last cycle is
  counted, and a next-update clock stopped by the resolution counts as met.
- Business time = the fulfilled clock's business minutes (store calendar, pauses excluded);
  wall-clock time = first_responded_at − received_at and resolved_at − received_at.
- A pause looks like gaming the clock when the status is changed to waiting for the customer
  or a third party within GAMING_WINDOW_MINUTES after an inbound message or call of the same
  case: the customer has just spoken and, instead of an answer, the clock was stopped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np
from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.aggregates import Aggregate
from django.db.models.expressions import Expression
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.accounts.models import User
from manyi.analytics import selectors
from manyi.analytics.selectors import Filters
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.choices import OPEN_STATUSES, Direction, SlaMetric, SlaState, Status
from manyi.cases.models import Case, CaseSla, Communication, SlaPolicy
from manyi.core.scoping import cases_for
from manyi.metrics.scores import wilson_interval

# A pause within this many minutes after an inbound message or call of the same case is
# suspicious (shown on the page).
GAMING_WINDOW_MINUTES = 10
PAUSE_STATUSES = (Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)
LATEST_SUSPICIOUS = 20
OPEN = sorted(str(s) for s in OPEN_STATUSES)
HOUR, DAY = 60, 1440

# Distribution buckets of a time, in minutes: [low, high) (None: no upper bound).
TIME_BUCKETS: list[tuple[int, int | None, Any]] = [
    (0, HOUR, _("< 1 h")),
    (HOUR, 4 * HOUR, _("1–4 h")),
    (4 * HOUR, 8 * HOUR, _("4–8 h")),
    (8 * HOUR, DAY, _("8 h–1 d")),
    (DAY, 2 * DAY, _("1–2 d")),
    (2 * DAY, 5 * DAY, _("2–5 d")),
    (5 * DAY, None, _("> 5 d")),
]
# Ages of open cases, in days: [low, high).
AGE_BUCKETS: list[tuple[int, int | None, Any]] = [
    (0, 1, _("< 1 day")),
    (1, 3, _("1–3 days")),
    (3, 7, _("3–7 days")),
    (7, 30, _("7–30 days")),
    (30, None, _("> 30 days")),
]
TIMED_METRICS = (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION)

MET = Q(state=SlaState.FULFILLED, breached_at__isnull=True)
BREACHED = Q(state=SlaState.BREACHED) | Q(breached_at__isnull=False)
RUNNING = Q(state__in=[SlaState.ACTIVE, SlaState.PAUSED], breached_at__isnull=True)


# --- SQL helpers ----------------------------------------------------------------------------


class MinutesBetween(Func):
    """(end − start) in minutes as a float; NULL when either is NULL."""

    output_field = FloatField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        sql = f"((julianday({end}) - julianday({start})) * 1440.0)"
        return sql, (*end_params, *start_params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        sql = f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)::double precision"
        return sql, (*end_params, *start_params)


class Quantiles(Aggregate):
    """PostgreSQL's percentile_cont at the median and the 90th percentile, as an array
    [p50, p90] (one sort for both)."""

    function = "percentile_cont"
    name = "Quantiles"
    template = "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()  # the array comes back as a list; never converted

    def convert_value(self, value: Any, expression: Any, conn: Any) -> Any:
        return value

    def get_db_converters(self, conn: Any) -> list[Any]:
        return []


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- results --------------------------------------------------------------------------------


@dataclass
class Attainment:
    """The clocks of one SLA metric (and policy, when `policy_id` is set)."""

    metric: str
    label: str
    policy_id: int | None = None
    policy: str = ""
    met: int = 0
    breached: int = 0
    running: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def rate(self) -> float | None:
        """Attainment in %: met ÷ (met + breached)."""
        return round(100 * self.met / self.decided, 1) if self.decided else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The Wilson 95 % interval of the attainment, in %."""
        if not self.decided:
            return None
        low, high = wilson_interval(self.met, self.decided)
        return round(100 * low, 1), round(100 * high, 1)

    def add(self, other: Attainment) -> None:
        self.met += other.met
        self.breached += other.breached
        self.running += other.running


@dataclass
class Dist:
    """A time's n, median, 90th percentile (minutes) and distribution (counts per bucket)."""

    n: int = 0
    median: float | None = None
    p90: float | None = None
    buckets: list[int] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return None if self.median is None else round(self.median / 60, 1)

    @property
    def p90_hours(self) -> float | None:
        return None if self.p90 is None else round(self.p90 / 60, 1)


@dataclass
class Times:
    """Time to first response or to resolution, business and wall-clock."""

    metric: str
    label: str
    business: Dist = field(default_factory=Dist)
    wall: Dist = field(default_factory=Dist)


@dataclass
class GroupTimes:
    """Times of one store or owner: first response and resolution, business and wall."""

    key: int
    label: str
    first_business: Dist = field(default_factory=Dist)
    first_wall: Dist = field(default_factory=Dist)
    resolution_business: Dist = field(default_factory=Dist)
    resolution_wall: Dist = field(default_factory=Dist)


@dataclass
class Backlog:
    """Open cases now, by age and by status, and the oldest one's age in days."""

    total: int = 0
    by_age: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, str, int]] = field(default_factory=list)  # status, label, n
    oldest_days: float | None = None


@dataclass
class OwnerRow:
    """The cases of one owner received in the period."""

    owner_id: int | None
    label: str
    received: int = 0
    open_now: int = 0
    resolved: int = 0
    breached: int = 0
    reopened: int = 0
    escalated: int = 0
    median_resolution_hours: float | None = None

    def add(self, other: OwnerRow) -> None:
        for name in ("received", "open_now", "resolved", "breached", "reopened", "escalated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def reopen_rate(self) -> float | None:
        return selectors._pct(self.reopened, self.resolved)


@dataclass
class PauseRow:
    """The pauses one staff member made in the period, and how many followed a customer's
    message within the window."""

    actor_id: int
    label: str
    pauses: int = 0
    suspicious: int = 0

    @property
    def share(self) -> float | None:
        return selectors._pct(self.suspicious, self.pauses)


@dataclass(frozen=True)
class SuspiciousPause:
    at: dt.datetime
    case_id: int
    case_number: str
    actor: str
    status: str
    status_label: str
    minutes_after: float | None


@dataclass
class Handling:
    filters: Filters
    window: int = GAMING_WINDOW_MINUTES
    by_metric: list[Attainment] = field(default_factory=list)
    by_policy: list[Attainment] = field(default_factory=list)
    times: list[Times] = field(default_factory=list)
    by_store: list[GroupTimes] = field(default_factory=list)
    backlog: Backlog = field(default_factory=Backlog)
    owners: list[OwnerRow] = field(default_factory=list)
    total: OwnerRow = field(default_factory=lambda: OwnerRow(owner_id=None, label=""))
    escalation_events: int = 0
    pauses: list[PauseRow] = field(default_factory=list)
    latest_suspicious: list[SuspiciousPause] = field(default_factory=list)
    bucket_labels: list[str] = field(default_factory=list)

    @property
    def reopen_rate(self) -> float | None:
        """Cases reopened ÷ cases resolved at least once, in %."""
        return self.total.reopen_rate


# --- the sets -------------------------------------------------------------------------------


def received(user: User, f: Filters) -> QuerySet[Case]:
    """The cases of the page: received in the period at the filters' stores, owner, team and
    category."""
    start, end = f.bounds()
    qs = cases_for(user).filter(
        store_id__in=f.store_ids, received_at__gte=start, received_at__lt=end
    )
    return qs.filter(f.people("owner") & f.categories())


def _clocks(user: User, f: Filters) -> QuerySet[CaseSla]:
    """The SLA clocks of `received`, as a join (not an IN list)."""
    start, end = f.bounds()
    assert user.organisation_id is not None
    qs = CaseSla.objects.filter(
        case__organisation_id=selectors._org(user),
        case__store_id__in=f.store_ids,
        case__received_at__gte=start,
        case__received_at__lt=end,
    )
    if not user.is_org_wide:
        qs = qs.filter(case__store_id=user.store_id or 0)
    return qs.filter(f.people("case__owner") & f.categories("case__category"))


# --- attainment -----------------------------------------------------------------------------


def _attainment(user: User, f: Filters, out: Handling) -> None:
    rows = (
        _clocks(user, f)
        .values("case__sla_policy_id", "metric")
        .annotate(
            met=Count("id", filter=MET),
            breached=Count("id", filter=BREACHED),
            running=Count("id", filter=RUNNING),
        )
        .order_by()
    )
    labels = {str(m.value): str(m.label) for m in SlaMetric}
    per_metric = {m: Attainment(metric=m, label=labels[m]) for m in labels}
    per_policy: dict[tuple[int | None, str], Attainment] = {}
    for r in rows:
        a = Attainment(
            metric=r["metric"],
            label=labels.get(r["metric"], r["metric"]),
            policy_id=r["case__sla_policy_id"],
            met=r["met"],
            breached=r["breached"],
            running=r["running"],
        )
        per_policy[(a.policy_id, a.metric)] = a
        if a.metric in per_metric:
            per_metric[a.metric].add(a)
    out.by_metric = list(per_metric.values())
    ids = {pid for pid, _m in per_policy if pid is not None}
    policies = {
        p.pk: (p.rank, p.name)
        for p in SlaPolicy.objects.filter(organisation_id=selectors._org(user), pk__in=ids)
    }
    order = {m: i for i, m in enumerate(labels)}
    for a in per_policy.values():
        _rank, name = policies.get(a.policy_id or 0, (10**6, str(_("No policy"))))
        a.policy = name
    out.by_policy = sorted(
        per_policy.values(),
        key=lambda a: (policies.get(a.policy_id or 0, (10**6, ""))[0], a.policy, order[a.metric]),
    )


# --- times ----------------------------------------------------------------------------------


def _bucket_counts(name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, (low, high, _label) in enumerate(TIME_BUCKETS):
        q = Q(**{f"{name}__gte": low})
        if high is not None:
            q &= Q(**{f"{name}__lt": high})
        out[f"{name}_b{i}"] = Count("pk", filter=q)
    return out


def _stats(
    qs: QuerySet[Any],
    values: Mapping[str, Expression | F],
    group: Sequence[str],
    *,
    buckets: bool,
) -> dict[tuple[Any, ...], dict[str, Dist]]:
    """Per group key (a tuple of the `group` fields' values) and value name: n, median, p90
    and (with `buckets`) the distribution. One query on PostgreSQL, two elsewhere."""
    qs = qs.annotate(**values)
    aggregates: dict[str, Any] = {}
    for name in values:
        aggregates[f"{name}_n"] = Count(name)
        if buckets:
            aggregates.update(_bucket_counts(name))
        if _on_postgres():
            aggregates[f"{name}_q"] = Quantiles(name)
    rows = list(qs.values(*group).annotate(**aggregates).order_by()) if group else []
    if not group:
        rows = [qs.aggregate(**aggregates)]
    out: dict[tuple[Any, ...], dict[str, Dist]] = {}
    for r in rows:
        key = tuple(r[g] for g in group)
        dists = out.setdefault(key, {})
        for name in values:
            d = Dist(n=r[f"{name}_n"])
            if buckets:
                d.buckets = [r[f"{name}_b{i}"] for i in range(len(TIME_BUCKETS))]
            q = r.get(f"{name}_q")
            if q:
                d.median, d.p90 = float(q[0]), float(q[1])
            dists[name] = d
    if not _on_postgres():
        _numpy_quantiles(qs, list(values), group, out)
    return out


def _numpy_quantiles(
    qs: QuerySet[Any],
    names: list[str],
    group: Sequence[str],
    out: dict[tuple[Any, ...], dict[str, Dist]],
) -> None:
    """The medians and 90th percentiles from the fetched columns (linear interpolation, as
    percentile_cont): for SQLite and small data sets only."""
    rows = list(qs.values_list(*group, *names))
    if not rows:
        return
    width = len(group)
    keys = [tuple(r[:width]) for r in rows]
    for j, name in enumerate(names):
        by_key: dict[tuple[Any, ...], list[float]] = defaultdict(list)
        for key, r in zip(keys, rows, strict=True):
            v = r[width + j]
            if v is not None:
                by_key[key].append(float(v))
        for key, vals in by_key.items():
            q = np.percentile(np.asarray(vals, dtype=float), [50, 90])
            d = out.setdefault(key, {}).setdefault(name, Dist(n=len(vals)))
            d.median, d.p90 = float(q[0]), float(q[1])


def _times(user: User, f: Filters, out: Handling) -> dict[int, GroupTimes]:
    """Overall, per store and per owner; returns the owners' times."""
    fulfilled = _clocks(user, f).filter(metric__in=TIMED_METRICS, fulfilled_at__isnull=False)
    business = {"bm": F("business_minutes_elapsed")}
    cases = received(user, f)
    wall: dict[str, Expression | F] = {
        "first": MinutesBetween(F("first_responded_at"), F("received_at")),
        "res": MinutesBetween(F("resolved_at"), F("received_at")),
    }
    labels = {str(m.value): str(m.label) for m in SlaMetric}
    overall_b = _stats(fulfilled, business, ["metric"], buckets=True)
    overall_w = _stats(cases, wall, [], buckets=True).get((), {})
    for metric, wname in ((SlaMetric.FIRST_RESPONSE, "first"), (SlaMetric.RESOLUTION, "res")):
        t = Times(metric=metric, label=labels[metric])
        t.business = overall_b.get((str(metric),), {}).get("bm", Dist())
        t.wall = overall_w.get(wname, Dist())
        for d in (t.business, t.wall):
            if not d.buckets:
                d.buckets = [0] * len(TIME_BUCKETS)
        out.times.append(t)

    def grouped(key: str, clock_key: str) -> dict[int, GroupTimes]:
        rows: dict[int, GroupTimes] = {}
        for (metric, k), d in _stats(
            fulfilled, business, ["metric", clock_key], buckets=False
        ).items():
            g = rows.setdefault(k, GroupTimes(key=k, label=""))
            if metric == SlaMetric.FIRST_RESPONSE:
                g.first_business = d["bm"]
            else:
                g.resolution_business = d["bm"]
        for (k,), ds in _stats(cases, wall, [key], buckets=False).items():
            g = rows.setdefault(k, GroupTimes(key=k, label=""))
            g.first_wall, g.resolution_wall = ds.get("first", Dist()), ds.get("res", Dist())
        return rows

    stores = dict(selectors.store_choices(user))
    per_store = grouped("store_id", "case__store_id")
    out.by_store = []
    for pk in f.store_ids:
        if pk in stores:
            g = per_store.get(pk, GroupTimes(key=pk, label=""))
            g.label = stores[pk]
            out.by_store.append(g)
    return grouped("owner_id", "case__owner_id")


# --- backlog --------------------------------------------------------------------------------


def _backlog(user: User, f: Filters, now: dt.datetime) -> Backlog:
    """Open cases now at the filters' stores, owner, team and category (whatever the period):
    one GROUP BY status query with the age buckets."""
    qs = cases_for(user).filter(store_id__in=f.store_ids, status__in=OPEN)
    qs = qs.filter(f.people("owner") & f.categories())
    aggregates: dict[str, Any] = {"n": Count("id"), "oldest": Min("received_at")}
    for i, (low, high, _label) in enumerate(AGE_BUCKETS):
        # age in [low, high) days ⇔ received in (now − high, now − low]
        q = Q(received_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            q &= Q(received_at__gt=now - dt.timedelta(days=high))
        aggregates[f"a{i}"] = Count("id", filter=q)
    rows: list[Any] = list(qs.values("status").annotate(**aggregates).order_by())
    labels = dict(Status.choices)
    out = Backlog()
    ages = [0] * len(AGE_BUCKETS)
    oldest: dt.datetime | None = None
    counts = {r["status"]: r["n"] for r in rows}
    for r in rows:
        out.total += r["n"]
        for i in range(len(AGE_BUCKETS)):
            ages[i] += r[f"a{i}"]
        if r["oldest"] is not None and (oldest is None or r["oldest"] < oldest):
            oldest = r["oldest"]
    out.by_age = [(str(label), n) for (_lo, _hi, label), n in zip(AGE_BUCKETS, ages, strict=True)]
    out.by_status = [(s, str(labels[s]), counts.get(s, 0)) for s in Status.values if s in OPEN]
    if oldest is not None:
        out.oldest_days = round((now - oldest).total_seconds() / 86400, 1)
    return out


# --- owners ---------------------------------------------------------------------------------


def _owners(user: User, f: Filters, times: dict[int, GroupTimes], out: Handling) -> None:
    """Cases per owner in one GROUP BY query; the total is their sum."""
    breached_clock = CaseSla.objects.filter(case=OuterRef("pk")).filter(BREACHED)
    grouped = (
        received(user, f)
        .annotate(has_breach=Exists(breached_clock))
        .values("owner_id")
        .annotate(
            received=Count("id"),
            open_now=Count("id", filter=Q(status__in=OPEN)),
            resolved=Count("id", filter=Q(resolved_at__isnull=False) | Q(reopen_count__gt=0)),
            breached=Count("id", filter=Q(has_breach=True)),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
            escalated=Count("id", filter=Q(escalation_level__gt=0)),
        )
        .order_by()
    )
    rows: list[Any] = list(grouped)
    names = {
        u.pk: str(u)
        for u in User.objects.filter(
            organisation_id=selectors._org(user), pk__in=[r["owner_id"] for r in rows]
        ).only("pk", "username", "first_name", "last_name", "display_name")
    }
    owners = []
    for r in rows:
        pk = r["owner_id"]
        row = OwnerRow(owner_id=pk, label=names.get(pk, "?"))
        for name in ("received", "open_now", "resolved", "breached", "reopened", "escalated"):
            setattr(row, name, r[name])
        g = times.get(pk)
        if g is not None:
            row.median_resolution_hours = g.resolution_wall.median_hours
        out.total.add(row)
        owners.append(row)
    out.owners = sorted(owners, key=lambda r: (-r.received, r.label))


def _escalation_events(user: User, f: Filters) -> int:
    return AuditEvent.objects.filter(
        kind=EventKind.ESCALATED, case__in=received(user, f).values("pk")
    ).count()


# --- pauses that look like gaming the clock -------------------------------------------------


def _pauses(user: User, f: Filters, window: int) -> QuerySet[AuditEvent]:
    """Status changes to a waiting status made in the period, on cases of the filters' stores
    and category, by the filtered staff member or team, each marked `suspicious` when an
    inbound message or call of the same case came in during the `window` minutes before."""
    start, end = f.bounds()
    assert user.organisation_id is not None
    inbound = Communication.objects.filter(
        case_id=OuterRef("case_id"),
        direction=Direction.INBOUND,
        at__lte=OuterRef("at"),
        at__gte=ExpressionWrapper(
            OuterRef("at") - Value(dt.timedelta(minutes=window)), output_field=DateTimeField()
        ),
    )
    qs = AuditEvent.objects.filter(
        organisation_id=selectors._org(user),
        kind=EventKind.STATUS,
        at__gte=start,
        at__lt=end,
        case__store_id__in=f.store_ids,
        changes__status__1__in=[str(s) for s in PAUSE_STATUSES],
        actor__isnull=False,
    )
    if not user.is_org_wide:
        qs = qs.filter(case__store_id=user.store_id or 0)
    qs = qs.filter(f.people("actor") & f.categories("case__category"))
    return qs.annotate(suspicious=Exists(inbound))


def _gaming(user: User, f: Filters, out: Handling) -> None:
    qs = _pauses(user, f, out.window)
    rows = list(
        qs.values("actor_id")
        .annotate(pauses=Count("id"), suspicious=Count("id", filter=Q(suspicious=True)))
        .order_by()
    )
    latest = list(
        qs.filter(Q(("suspicious", True)))
        .select_related("case", "actor")
        .annotate(
            last_inbound=Subquery(
                Communication.objects.filter(
                    case_id=OuterRef("case_id"),
                    direction=Direction.INBOUND,
                    at__lte=OuterRef("at"),
                )
                .order_by("-at")
                .values("at")[:1],
                output_field=DateTimeField(),
            )
        )
        .order_by("-at", "-id")[:LATEST_SUSPICIOUS]
    )
    names = {
        u.pk: str(u)
        for u in User.objects.filter(
            organisation_id=selectors._org(user), pk__in=[r["actor_id"] for r in rows]
        )
    }
    out.pauses = sorted(
        (
            PauseRow(
                actor_id=r["actor_id"],
                label=names.get(r["actor_id"], "?"),
                pauses=r["pauses"],
                suspicious=r["suspicious"],
            )
            for r in rows
        ),
        key=lambda r: (-r.suspicious, -r.pauses, r.label),
    )
    labels = dict(Status.choices)
    for e in latest:
        status = (e.changes or {}).get("status", [None, ""])[1] or ""
        after = None
        if e.last_inbound is not None:
            after = round((e.at - e.last_inbound).total_seconds() / 60, 1)
        assert e.case is not None
        out.latest_suspicious.append(
            SuspiciousPause(
                at=e.at,
                case_id=e.case.pk,
                case_number=e.case.number,
                actor=str(e.actor) if e.actor else "",
                status=status,
                status_label=str(labels.get(status, status)),
                minutes_after=after,
            )
        )


# --- the page -------------------------------------------------------------------------------


def handling(user: User, f: Filters, *, now: dt.datetime | None = None) -> Handling:
    """Every figure of the SLA and handling page, in a constant number of queries."""
    now = now or timezone.now()
    out = Handling(filters=f, bucket_labels=[str(label) for _lo, _hi, label in TIME_BUCKETS])
    if not f.store_ids:
        out.times = [Times(metric=m, label=str(SlaMetric(m).label)) for m in TIMED_METRICS]
        return out
    _attainment(user, f, out)
    owner_times = _times(user, f, out)
    out.backlog = _backlog(user, f, now)
    _owners(user, f, owner_times, out)
    out.escalation_events = _escalation_events(user, f)
    _gaming(user, f, out)
    return out


# --- drill-down links -----------------------------------------------------------------------


def case_query(f: Filters, *, period: bool = True, **extra: Any) -> str:
    """The case list's GET parameters for the cases behind a figure: the filters' period (whole
    days), store (when one is chosen), owner, team and category, and `extra`."""
    params: dict[str, Any] = {}
    if period:
        params["received_from"] = f.start.isoformat()
        params["received_to"] = f.end.isoformat()
    if len(f.store_ids) == 1:
        params["store"] = f.store_ids[0]
    if f.staff_id:
        params["owner"] = f.staff_id
    if f.team_id:
        params["team"] = f.team_id
    if f.category_id:
        params["category"] = f.category_id
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def controls_query(row: Any, f: Filters) -> str:
    """The case list's GET parameters for the complaints of a three-controls row (a store, a
    month, a store × month or a staff member): received in the month ∩ the period, not
    through a survey, at the row's store (or the one chosen), owned by the row's staff member
    (or the filtered one), in the filtered team and category."""
    start, end = f.start, f.end
    if getattr(row, "month", None) is not None:
        start, end = max(start, row.month), min(end, month_end(row.month))
    params: dict[str, Any] = {}
    store = getattr(row, "store_id", None)
    if store:
        params["store"] = store
    elif len(f.store_ids) == 1:
        params["store"] = f.store_ids[0]
    owner = getattr(row, "staff_id", None) or f.staff_id
    if owner:
        params["owner"] = owner
    params["received_from"] = start.isoformat()
    params["received_to"] = end.isoformat()
    params["exclude_channel"] = "survey"
    if f.team_id:
        params["team"] = f.team_id
    if f.category_id:
        params["category"] = f.category_id
    params["sort"] = "received"
    return urlencode(params)


# --- export tables --------------------------------------------------------------------------


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def attainment_table(rows: Iterable[Attainment], *, with_policy: bool) -> tuple[list[str], Any]:
    header = [str(_("Policy"))] if with_policy else []
    header += [
        str(_("Metric")),
        str(_("Met")),
        str(_("Breached")),
        str(_("Still running")),
        # xgettext:no-python-format
        str(_("Attainment (%)")),
        # xgettext:no-python-format
        str(_("95% interval low")),
        # xgettext:no-python-format
        str(_("95% interval high")),
    ]
    out = []
    for r in rows:
        low, high = r.interval or (None, None)
        line: list[Any] = [r.policy] if with_policy else []
        line += [r.label, r.met, r.breached, r.running, r.rate, low, high]
        out.append(line)
    return header, out


def distribution_table(h: Handling) -> tuple[list[str], Any]:
    header = [str(_("Time")), str(_("Clock")), str(_("Cases")), str(_("Median (hours)"))]
    header += [str(_("90th percentile (hours)")), *h.bucket_labels]
    out = []
    for t in h.times:
        for clock, d in ((_("Business time"), t.business), (_("Wall-clock time"), t.wall)):
            out.append([t.label, str(clock), d.n, d.median_hours, d.p90_hours, *d.buckets])
    return header, out


def group_times_table(rows: Iterable[GroupTimes], *, first: str) -> tuple[list[str], Any]:
    header = [first]
    for what in (_("First response"), _("Resolution")):
        for clock in (_("business"), _("wall-clock")):
            header += [
                f"{what} ({clock}): {_('cases')}",
                f"{what} ({clock}): {_('median hours')}",
                f"{what} ({clock}): {_('p90 hours')}",
            ]
    out = []
    for g in rows:
        line: list[Any] = [g.label]
        for d in (g.first_business, g.first_wall, g.resolution_business, g.resolution_wall):
            line += [d.n, d.median_hours, d.p90_hours]
        out.append(line)
    return header, out


def owners_table(h: Handling) -> tuple[list[str], Any]:
    header = [
        str(_("Owner")),
        str(_("Received")),
        str(_("Open now")),
        str(_("Resolved")),
        str(_("Breached")),
        str(_("Reopened")),
        str(_("Escalated")),
        str(_("Median resolution (hours)")),
    ]
    out = [
        [
            r.label,
            r.received,
            r.open_now,
            r.resolved,
            r.breached,
            r.reopened,
            r.escalated,
            r.median_resolution_hours,
        ]
        for r in h.owners
    ]
    return header, out


def backlog_table(h: Handling) -> tuple[list[str], Any]:
    header = [str(_("Group")), str(_("Open cases"))]
    rows: list[list[Any]] = [[label, n] for label, n in h.backlog.by_age]
    rows += [[label, n] for _s, label, n in h.backlog.by_status]
    return header, rows


def pauses_table(h: Handling) -> tuple[list[str], Any]:
    header = [
        str(_("Staff")),
        str(_("Pauses")),
        str(_("Pauses right after a customer's message")),
        # xgettext:no-python-format
        str(_("Share (%)")),
    ]
    return header, [[r.label, r.pauses, r.suspicious, r.share] for r in h.pauses]


def suspicious_table(h: Handling) -> tuple[list[str], Any]:
    header = [
        str(_("At")),
        str(_("Case")),
        str(_("Staff")),
        str(_("Status")),
        str(_("Minutes after the message")),
    ]
    return header, [
        [
            timezone.localtime(p.at).strftime("%Y-%m-%d %H:%M"),
            p.case_number,
            p.actor,
            p.status_label,
            _num(p.minutes_after),
        ]
        for p in h.latest_suspicious
    ]
