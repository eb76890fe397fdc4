"""Reads of the analytics pages: Haier's three controls (DOMAIN.md §2) and the Pareto of lost
customers' switching reasons, and the economics of service recovery (what it costs).

Every figure is counted by the database (values / annotate, the month by TruncMonth or by a CASE
over the months' ends, one GROUP BY query per source table); Python only joins the grouped rows
(stores × months × staff, a few thousand at most). Months are calendar months in the current
time zone (Asia/Shanghai). Measured with 1,000,000 cases in bench/bench_analytics.py.

- Complaint rate (服务投诉率) = complaints ÷ services × 100. A complaint is a case received in
  the month through any channel except “survey”: a case opened from a dissatisfied survey answer
  is already counted by the dissatisfaction rate. Services are the store's imported monthly
  volume (StoreVolume) when there is one, else the store's service orders and visits
  (Transaction) of the month; without either the rate is unknown (None).
- Omission rate (服务遗漏率) = follow-ups and phone messages due in the month and not done on
  time ÷ those due (the rule of manyi.followups.selectors.omission_rate).
- Dissatisfaction rate (服务不满意率) = submitted survey answers marked dissatisfied ÷ submitted
  answers, by the month of submission.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DateField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from manyi.accounts.models import Team, User
from manyi.analytics.choices import TransactionKind
from manyi.analytics.models import StoreVolume, Transaction
from manyi.cases.choices import Channel
from manyi.cases.models import Category
from manyi.core.scoping import cases_for, customers_for, staff_for, stores_for
from manyi.customers.choices import SwitchingReason
from manyi.followups.choices import FollowUpState
from manyi.followups.models import FollowUp, PhoneMessage
from manyi.recovery.choices import SPENT_STATES, ActionKind, ActionState
from manyi.recovery.models import RecoveryAction
from manyi.surveys.models import Response

SERVICE_KINDS = (TransactionKind.SERVICE_ORDER, TransactionKind.VISIT)


@dataclass(frozen=True)
class Filters:
    """The period (whole days, both ends included), the stores (already scoped) and a staff
    member (None: everyone)."""

    start: dt.date
    end: dt.date
    store_ids: tuple[int, ...]
    staff_id: int | None = None
    team_id: int | None = None
    # A top-level category: it and its sub-categories (None: every category).
    category_id: int | None = None

    def people(self, field: str) -> Q:
        """The staff and team filters on a user foreign key `field` (owner, assigned_to,
        staff …); an empty Q when neither is set."""
        q = Q()
        if self.staff_id:
            q &= Q(**{f"{field}_id": self.staff_id})
        if self.team_id:
            q &= Q(**{f"{field}__team_id": self.team_id})
        return q

    def categories(self, field: str = "category") -> Q:
        """The category filter on a category foreign key `field` (the category or one of its
        sub-categories); an empty Q when it is not set."""
        if not self.category_id:
            return Q()
        return Q(**{f"{field}_id": self.category_id}) | Q(
            **{f"{field}__parent_id": self.category_id}
        )

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as instants in the current time zone."""
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve calendar months, this one included."""
    first = today.replace(day=1)
    year, month = first.year, first.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1), today


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from start's to end's."""
    out: list[dt.date] = []
    month = start.replace(day=1)
    while month <= end:
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def _month(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date().replace(day=1)
    assert isinstance(value, dt.date)
    return value.replace(day=1)


def _org(user: User) -> int:
    """The user's organisation (the views let no one without one in)."""
    assert user.organisation_id is not None
    return user.organisation_id


def _pct(part: int, whole: int | None) -> float | None:
    return round(100 * part / whole, 2) if whole else None


# --- the three controls ---------------------------------------------------------------------


@dataclass
class Row:
    """The three controls for one store and month, one store, one month or one staff member."""

    label: str
    store_id: int | None = None
    month: dt.date | None = None
    staff_id: int | None = None
    complaints: int = 0
    services: int | None = None
    missed: int = 0
    due: int = 0
    dissatisfied: int = 0
    responses: int = 0
    # complaints of months that have a service count: the numerator of a total's rate
    rated_complaints: int = 0

    @property
    def complaint_rate(self) -> float | None:
        """Complaints per 100 services."""
        return _pct(self.rated_complaints, self.services)

    @property
    def omission_rate(self) -> float | None:
        return _pct(self.missed, self.due)

    @property
    def dissatisfaction_rate(self) -> float | None:
        return _pct(self.dissatisfied, self.responses)

    def add(self, other: Row) -> None:
        self.complaints += other.complaints
        if other.services is not None:
            self.services = (self.services or 0) + other.services
            self.rated_complaints += other.rated_complaints
        self.missed += other.missed
        self.due += other.due
        self.dissatisfied += other.dissatisfied
        self.responses += other.responses


@dataclass
class Controls:
    filters: Filters
    months: list[dt.date]
    cells: list[Row] = field(default_factory=list)  # store × month, stores then months
    by_store: list[Row] = field(default_factory=list)
    by_month: list[Row] = field(default_factory=list)
    by_staff: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(label=""))


def _month_index(when: str, months: list[dt.date]) -> Case:
    """The index in `months` (consecutive calendar months) of the month of the instant `when`
    in the current time zone, or NULL after the last one: a CASE over the months' ends. Twice
    as fast on PostgreSQL as converting every row's time to the time zone and truncating it
    to its month (DATE_TRUNC … AT TIME ZONE) when half a million rows are counted."""
    tz = timezone.get_current_timezone()
    nexts = [_month_end(m) + dt.timedelta(days=1) for m in months]
    ends = [dt.datetime.combine(d, dt.time.min, tzinfo=tz) for d in nexts]
    return Case(
        *(When(**{f"{when}__lt": end}, then=Value(i)) for i, end in enumerate(ends)),
        output_field=IntegerField(),
    )


def _grouped(
    qs: QuerySet[Any], when: str, months: list[dt.date], key: str, person: str, **aggregates: Any
) -> list[dict[str, Any]]:
    """`qs` counted per `key`, month of `when` (its index in `months`, the period's months;
    `qs` is already limited to the period) and `person` (the staff member), in one GROUP BY
    query: the same rows give the store × month cells and the staff rows, so each source table
    is read once (stores × months × staff rows at most)."""
    return list(
        qs.annotate(m=_month_index(when, months))
        .values(key, "m", person)
        .annotate(**aggregates)
        .order_by()
    )


def _followups(f: Filters, now: dt.datetime) -> QuerySet[FollowUp]:
    start, end = f.bounds()
    qs = FollowUp.objects.filter(
        store_id__in=f.store_ids, due_at__gte=start, due_at__lt=end
    ).exclude(state=FollowUpState.CANCELLED)
    qs = qs.filter(f.people("assigned_to"))
    if f.category_id:
        qs = qs.filter(f.categories("case__category"))
    return qs


FOLLOWUP_MISSED = (
    Q(missed=True)
    | Q(state=FollowUpState.EXPIRED)
    | Q(state=FollowUpState.DONE, completed_at__gt=F("due_at"))
)


# COUNT(*) rather than COUNT(id): a count needs no column, so PostgreSQL can answer from an
# index holding the filtered and grouped columns alone (an index-only scan).
ROWS = Count("*")


def _followup_counts(now: dt.datetime) -> dict[str, Any]:
    missed = FOLLOWUP_MISSED | Q(state=FollowUpState.OPEN, due_at__lt=now)
    return {"due": ROWS, "missed": Count("id", filter=missed)}


def _message_counts(now: dt.datetime) -> dict[str, Any]:
    missed = Q(returned_at__gt=F("due_at")) | Q(returned_at__isnull=True, due_at__lt=now)
    return {"due": ROWS, "missed": Count("id", filter=missed)}


def _messages(f: Filters) -> QuerySet[PhoneMessage]:
    start, end = f.bounds()
    qs = PhoneMessage.objects.filter(store_id__in=f.store_ids, due_at__gte=start, due_at__lt=end)
    qs = qs.filter(f.people("for_user"))
    if f.category_id:  # a phone message has no category
        qs = qs.none()
    return qs


def _complaints(user: User, f: Filters) -> QuerySet[Any]:
    start, end = f.bounds()
    qs = (
        cases_for(user)
        .filter(store_id__in=f.store_ids, received_at__gte=start, received_at__lt=end)
        .exclude(channel=Channel.SURVEY)
    )
    return qs.filter(f.people("owner") & f.categories())


def _responses(user: User, f: Filters) -> QuerySet[Response]:
    start, end = f.bounds()
    qs = Response.objects.filter(
        organisation_id=_org(user),
        store_id__in=f.store_ids,
        submitted_at__gte=start,
        submitted_at__lt=end,
    )
    qs = qs.filter(f.people("staff"))
    if f.category_id:  # answers about a case of the category
        qs = qs.filter(f.categories("case__category"))
    return qs


RESPONSE_COUNTS = {"n": ROWS, "bad": Count("dissatisfied", filter=Q(dissatisfied=True))}


def three_controls(user: User, f: Filters, *, now: dt.datetime | None = None) -> Controls:
    """The three controls per store and month, per store, per month and per staff member, over
    the filters' stores (which the caller took from stores_for(user)). Each source table is
    read once, grouped by store, month and staff member (the same rows make the cells and the
    staff rows); transactions only where a store and month has no imported volume. At most
    eight queries whatever the size of the data."""
    now = now or timezone.now()
    months = months_between(f.start, f.end)
    out = Controls(filters=f, months=months)
    stores = list(
        stores_for(user)
        .filter(pk__in=f.store_ids)
        .order_by("code", "name")
        .values_list("pk", "name")
    )
    if not stores or not months:
        return out
    start_month, end_day = months[0], f.end

    cells: dict[tuple[int, dt.date], Row] = {
        (pk, m): Row(label=name, store_id=pk, month=m) for pk, name in stores for m in months
    }

    def cell(store_id: int, month: Any) -> Row | None:
        return cells.get((store_id, _month(month)))

    def cell_at(store_id: int, index: int | None) -> Row | None:
        return None if index is None else cells.get((store_id, months[index]))

    staff: dict[int, Row] = defaultdict(lambda: Row(label=""))

    def person(r: dict[str, Any], key: str) -> Row | None:
        return staff[r[key]] if r[key] is not None else None

    for r in _grouped(_complaints(user, f), "received_at", months, "store_id", "owner_id", n=ROWS):
        if (c := cell_at(r["store_id"], r["m"])) is not None:
            c.complaints += r["n"]
        if (p := person(r, "owner_id")) is not None:
            p.complaints += r["n"]
    volumes = StoreVolume.objects.filter(
        store_id__in=f.store_ids, month__gte=start_month, month__lte=end_day
    ).values_list("store_id", "month", "services")
    from_volume: set[tuple[int, dt.date]] = set()
    for store_id, month, services in volumes:
        if (c := cell(store_id, month)) is not None:
            c.services = services
            from_volume.add((store_id, _month(month)))
    # Transactions count as services only where a store and month has no imported volume:
    # read only the stores and months that lack one (none: no query).
    lacking = [key for key in cells if key not in from_volume]
    if lacking:
        transactions = Transaction.objects.filter(
            organisation_id=_org(user),
            store_id__in=sorted({s for s, _m in lacking}),
            occurred_on__gte=min(m for _s, m in lacking),
            occurred_on__lte=min(end_day, _month_end(max(m for _s, m in lacking))),
            kind__in=SERVICE_KINDS,
        )
        monthly = transactions.annotate(m=TruncMonth("occurred_on", output_field=DateField()))
        for t in monthly.values("store_id", "m").annotate(n=ROWS).order_by():
            key = (t["store_id"], _month(t["m"]))
            if key not in from_volume and (c := cells.get(key)) is not None and t["n"]:
                c.services = t["n"]
    for qs, who, counts in (
        (_followups(f, now), "assigned_to_id", _followup_counts(now)),
        (_messages(f), "for_user_id", _message_counts(now)),
    ):
        for r in _grouped(qs, "due_at", months, "store_id", who, **counts):
            if (c := cell_at(r["store_id"], r["m"])) is not None:
                c.due += r["due"]
                c.missed += r["missed"]
            if (p := person(r, who)) is not None:
                p.due += r["due"]
                p.missed += r["missed"]
    responses = _responses(user, f)
    for r in _grouped(responses, "submitted_at", months, "store_id", "staff_id", **RESPONSE_COUNTS):
        if (c := cell_at(r["store_id"], r["m"])) is not None:
            c.responses += r["n"]
            c.dissatisfied += r["bad"]
        if (p := person(r, "staff_id")) is not None:
            p.responses += r["n"]
            p.dissatisfied += r["bad"]

    by_store = {pk: Row(label=name, store_id=pk) for pk, name in stores}
    by_month = {m: Row(label=f"{m:%Y-%m}", month=m) for m in months}
    for c in cells.values():
        if c.services is not None:
            c.rated_complaints = c.complaints
        assert c.store_id is not None and c.month is not None
        by_store[c.store_id].add(c)
        by_month[c.month].add(c)
        out.total.add(c)
    out.cells = list(cells.values())
    out.by_store = list(by_store.values())
    out.by_month = list(by_month.values())
    out.by_staff = _by_staff(user, staff)
    return out


def _month_end(month: dt.date) -> dt.date:
    """The last day of `month`'s month."""
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _by_staff(user: User, rows: dict[int, Row]) -> list[Row]:
    """The staff rows counted with the cells (complaints owned, calls and messages due and
    missed, answers about each staff member; a staff member has no count of services: no
    complaint rate), named, in name order; one query for the names."""
    if not rows:
        return []
    people = User.objects.filter(pk__in=list(rows), organisation_id=_org(user))
    # display_name too: str(user) reads it, and a deferred field costs a query per person.
    fields = ("pk", "username", "first_name", "last_name", "display_name")
    names = {u.pk: str(u) for u in people.only(*fields)}
    out = []
    for pk, row in rows.items():
        if pk in names:
            row.label, row.staff_id = names[pk], pk
            out.append(row)
    return sorted(out, key=lambda r: r.label)


# --- lost customers -------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoRow:
    reason: str
    label: str
    count: int
    share: float  # % of the lost customers with a reason
    cumulative: float  # cumulative %


@dataclass(frozen=True)
class Lost:
    rows: list[ParetoRow]
    total: int  # lost customers with a reason
    without_reason: int


def lost_reasons(user: User, f: Filters) -> Lost:
    """Customers lost in the period at the filters' stores, counted per switching reason
    (Keaveney), most frequent first, with the cumulative share: one query."""
    start, end = f.bounds()
    counts = {
        r["lost_reason"]: r["n"]
        for r in customers_for(user)
        .filter(store_id__in=f.store_ids, lost_at__gte=start, lost_at__lt=end)
        .values("lost_reason")
        .annotate(n=Count("id"))
        .order_by()
    }
    without = counts.pop("", 0)
    labels = dict(SwitchingReason.choices)
    total = sum(counts.values())
    rows: list[ParetoRow] = []
    running = 0
    for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        rows.append(
            ParetoRow(
                reason=reason,
                label=str(labels.get(reason, reason)),
                count=n,
                share=round(100 * n / total, 1),
                cumulative=round(100 * running / total, 1),
            )
        )
    return Lost(rows=rows, total=total, without_reason=without)


# --- filter choices -------------------------------------------------------------------------


def store_choices(user: User) -> list[tuple[int, str]]:
    return list(stores_for(user).order_by("code", "name").values_list("pk", "name"))


def staff_choices(user: User) -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in staff_for(user).order_by("username")]


def team_choices(user: User) -> list[tuple[int, str]]:
    """The teams of the user's stores, named with their store when there are several."""
    teams = Team.objects.filter(store__in=stores_for(user)).select_related("store")
    many = teams.values("store_id").distinct().count() > 1
    return [
        (t.pk, f"{t.store.name} · {t.name}" if many else t.name)
        for t in teams.order_by("store__code", "name")
    ]


def category_choices(user: User) -> list[tuple[int, str]]:
    """The organisation's top-level categories (a filter takes in their sub-categories)."""
    categories = Category.objects.filter(organisation_id=_org(user), parent__isnull=True)
    return [(c.pk, c.name()) for c in categories.order_by("position", "code")]


def scoped_store_ids(choices: Iterable[tuple[int, str]], chosen: int | None) -> tuple[int, ...]:
    """The chosen store when it is one of the user's, else all of them."""
    ids = tuple(pk for pk, _name in choices)
    return (chosen,) if chosen in ids else ids


# --- recovery economics ---------------------------------------------------------------------


@dataclass(frozen=True)
class CostRow:
    """Recovery cost (approved and given actions) of one action kind, category, store or
    month: `n` actions worth `yuan`."""

    key: Any
    label: str
    n: int = 0
    yuan: Decimal = Decimal("0")


@dataclass
class Recovery:
    filters: Filters
    by_kind: list[CostRow] = field(default_factory=list)
    by_category: list[CostRow] = field(default_factory=list)
    by_store: list[CostRow] = field(default_factory=list)
    by_month: list[CostRow] = field(default_factory=list)
    guarantees: list[CostRow] = field(default_factory=list)  # payouts per store
    total: CostRow = field(default_factory=lambda: CostRow(key=None, label=""))
    guarantee_total: CostRow = field(default_factory=lambda: CostRow(key=None, label=""))
    pending: CostRow = field(default_factory=lambda: CostRow(key=None, label=""))
    cases: int = 0  # cases received in the period at the stores

    @property
    def cost_per_complaint(self) -> Decimal | None:
        """Total cost ÷ cases received, in yuan (None without cases)."""
        if not self.cases:
            return None
        return (self.total.yuan / self.cases).quantize(Decimal("0.01"))


COST = {"n": Count("id"), "yuan": Coalesce(Sum("value"), Decimal("0"))}


def _costs(qs: QuerySet[Any], key: str) -> list[dict[str, Any]]:
    """The count and value of `qs`'s actions per `key`, in one GROUP BY query."""
    return list(qs.values(key).annotate(**COST).order_by())


def _cost_rows(rows: Iterable[dict[str, Any]], key: str, labels: dict[Any, str]) -> list[CostRow]:
    out = [
        CostRow(key=r[key], label=labels.get(r[key], str(r[key])), n=r["n"], yuan=r["yuan"])
        for r in rows
    ]
    return sorted(out, key=lambda r: (-r.yuan, r.label))


def recovery_economics(user: User, f: Filters) -> Recovery:
    """Recovery cost — the value of approved and given actions requested in the period at the
    filters' stores — per action kind, top-level complaint category, store and month; guarantee
    payouts (actions paying a guarantee breach) per store; pending actions (waiting for
    approval) apart; and the cost per complaint (cost ÷ cases received in the period at those
    stores). Rejected and cancelled actions cost nothing. Nine queries whatever the data."""
    out = Recovery(filters=f)
    stores = store_choices(user)
    stores = [(pk, name) for pk, name in stores if pk in f.store_ids]
    if not stores:
        return out
    store_ids = [pk for pk, _name in stores]
    start, end = f.bounds()
    actions = RecoveryAction.objects.filter(
        organisation_id=_org(user),
        store_id__in=store_ids,
        requested_at__gte=start,
        requested_at__lt=end,
    )
    if f.category_id:
        actions = actions.filter(f.categories("case__category"))
    spent = actions.filter(state__in=SPENT_STATES)
    is_spent = Q(state__in=SPENT_STATES)
    is_payout = is_spent & Q(guarantee_breach__isnull=False)
    is_pending = Q(state=ActionState.PENDING)
    totals = actions.aggregate(
        n=Count("id", filter=is_spent),
        yuan=Coalesce(Sum("value", filter=is_spent), Decimal("0")),
        gn=Count("id", filter=is_payout),
        gyuan=Coalesce(Sum("value", filter=is_payout), Decimal("0")),
        pn=Count("id", filter=is_pending),
        pyuan=Coalesce(Sum("value", filter=is_pending), Decimal("0")),
    )
    out.total = CostRow(key=None, label="", n=totals["n"], yuan=totals["yuan"])
    out.guarantee_total = CostRow(key=None, label="", n=totals["gn"], yuan=totals["gyuan"])
    out.pending = CostRow(key=None, label="", n=totals["pn"], yuan=totals["pyuan"])

    kinds = {k: str(v) for k, v in ActionKind.choices}
    out.by_kind = _cost_rows(_costs(spent, "kind"), "kind", kinds)

    top = Coalesce("case__category__parent_id", "case__category_id")
    by_category = _costs(spent.annotate(top=top), "top")
    categories = Category.objects.filter(
        organisation_id=_org(user), pk__in=[r["top"] for r in by_category]
    )
    out.by_category = _cost_rows(by_category, "top", {c.pk: c.name() for c in categories})

    names = dict(stores)
    per_store = {r["store_id"]: r for r in _costs(spent, "store_id")}
    out.by_store = [
        CostRow(
            key=pk,
            label=name,
            n=per_store[pk]["n"] if pk in per_store else 0,
            yuan=per_store[pk]["yuan"] if pk in per_store else Decimal("0"),
        )
        for pk, name in stores
    ]
    payouts = _costs(spent.filter(guarantee_breach__isnull=False), "store_id")
    out.guarantees = _cost_rows(payouts, "store_id", names)

    per_month: dict[dt.date, dict[str, Any]] = {}
    monthly = spent.annotate(m=TruncMonth("requested_at", output_field=DateField()))
    for r in _costs(monthly, "m"):
        m = per_month.setdefault(_month(r["m"]), {"n": 0, "yuan": Decimal("0")})
        m["n"] += r["n"]
        m["yuan"] += r["yuan"]
    out.by_month = [
        CostRow(
            key=m,
            label=f"{m:%Y-%m}",
            n=per_month.get(m, {}).get("n", 0),
            yuan=per_month.get(m, {}).get("yuan", Decimal("0")),
        )
        for m in months_between(f.start, f.end)
    ]

    out.cases = (
        cases_for(user)
        .filter(store_id__in=store_ids, received_at__gte=start, received_at__lt=end)
        .filter(f.categories())
        .count()
    )
    return out
