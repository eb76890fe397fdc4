"""Transactions in the demo: two years of after-sales visits of the demo's customers, ending at
the demo's `now`, and the stores' monthly service volumes derived from them.

Loaded last, when the customers, their cases and the lost customers exist, so that the
transactions agree with them:

- every customer has a visit rhythm of their own (BG/NBD-like: a Poisson rate drawn from a
  Gamma distribution, and after each visit a chance, drawn from a Beta distribution, of never
  coming back); spending follows a per-customer level (Gamma-Gamma-like) around dealer
  after-sales prices: maintenance ¥300–1,500 and repairs ¥1,000–8,000, lognormal; a few free
  visits (checks, washes) and accessory purchases;
- a complaint follows a service: each case has a service order on or up to ten days before the
  day it was received, at the case's store;
- after a complaint, whether and how often the customer comes back depends on how it ended
  (TARP, DOMAIN.md §1): resolved in the customer's favour within a day or two, most come back
  and a little more often; resolved slowly or only partly, fewer; not resolved or still open,
  few; those who do not come back have no transaction after the case (unless a later case
  shows they did come back);
- a lost customer (`lost_at`) has no transaction from the day they were marked lost;
- the stores' monthly volumes (`StoreVolume`) are the service orders and visits of the demo's
  customers times the walk-in customers the demo has no record of, so complaint rates come out
  at a few complaints per 100 services.

Rows are written with `bulk_create` (the importers' way): the demo writes thousands.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from manyi.accounts.models import Organisation, Store
from manyi.analytics.choices import TransactionKind
from manyi.analytics.models import StoreVolume, Transaction
from manyi.cases.models import Case
from manyi.core.demo.plan import STORES, TZ
from manyi.customers.models import Customer

YEARS = 2
BATCH = 2000
# Visits a year: Gamma(shape, scale) over customers (mean 3.3: maintenance twice a year and
# a repair or two); chance of dropping out after a visit: Beta(a, b) over customers (mean 0.1).
RATE_SHAPE, RATE_SCALE = 2.5, 1.3
DROPOUT_A, DROPOUT_B = 1.0, 9.0
# Per-customer spending level around the prices below (lognormal sigma).
SPEND_SIGMA = 0.25
# Prices: (median, lognormal sigma, lowest, highest) in yuan.
MAINTENANCE = (650.0, 0.35, 300.0, 1500.0)
REPAIR = (2600.0, 0.55, 1000.0, 8000.0)
ACCESSORY = (700.0, 0.6, 150.0, 3000.0)
SHARE_VISIT, SHARE_PURCHASE, SHARE_REPAIR = 0.07, 0.05, 0.33
BEFORE_CASE_DAYS = 10  # a complaint follows a service at most this many days later
# Customers the stores serve without a record in the demo: services = demo visits × this.
WALK_IN = (4.0, 5.0)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Case:
    store_id: int
    received: dt.date
    resolved_hours: float | None  # None: not resolved
    outcome: str


def return_chance(case: _Case) -> tuple[float, float]:
    """The chance that a customer comes back after this complaint, and how much more or less
    often than before (TARP: 82% fast-solved, 54% solved, 19% unsolved)."""
    if case.resolved_hours is None or case.outcome == "not_resolved":
        return 0.2, 0.6
    days = case.resolved_hours / 24
    if case.outcome == "partly":
        return max(0.35, 0.6 - 0.02 * days), 0.85
    # In the customer's favour (or withdrawn): the faster, the likelier they come back.
    return max(0.45, 0.92 - 0.06 * days), 1.2 if days <= 3 else 1.0


class TransactionsDemo:
    def __init__(self, *, seed: int, now: dt.datetime) -> None:
        self.r = random.Random(seed * 31 + 7)
        self.today = now.astimezone(TZ).date()
        self.start = _years_before(self.today, YEARS)
        self.workdays = {s.code: s.workdays for s in STORES}
        self.codes: dict[int, str] = {}

    def load(self, org: Organisation, progress: Progress | None = None) -> int:
        """Write the transactions and volumes; returns the number of transactions."""
        stores = {s.pk: s for s in Store.objects.filter(organisation=org)}
        self.codes = {pk: s.code for pk, s in stores.items()}
        cases: dict[int, list[_Case]] = defaultdict(list)
        for customer_id, store_id, received, resolved, outcome in (
            Case.objects.filter(organisation=org)
            .order_by("received_at", "id")
            .values_list("customer_id", "store_id", "received_at", "resolved_at", "outcome")
        ):
            hours = (resolved - received).total_seconds() / 3600 if resolved else None
            cases[customer_id].append(
                _Case(store_id, received.astimezone(TZ).date(), hours, outcome)
            )
        customers = list(
            Customer.objects.filter(organisation=org)
            .order_by("id")
            .values_list("id", "store_id", "created_at", "lost_at")
        )
        rows: list[tuple[dt.date, int, int, str, Decimal]] = []
        for i, (customer_id, store_id, since, lost_at) in enumerate(customers):
            first = max(self.start, since.astimezone(TZ).date())
            # Nothing from the day the customer was marked lost.
            last = self.today if lost_at is None else lost_at.astimezone(TZ).date() - _D
            rows.extend(
                self._customer(customer_id, stores[store_id], first, last, cases[customer_id])
            )
            if progress is not None and (i % 250 == 0 or i == len(customers) - 1):
                progress(i + 1, len(customers))
        return self._write(org, stores, rows)

    def _customer(
        self, customer_id: int, store: Store, first: dt.date, last: dt.date, cases: list[_Case]
    ) -> list[tuple[dt.date, int, int, str, Decimal]]:
        r = self.r
        rate = r.gammavariate(RATE_SHAPE, RATE_SCALE) / 365  # visits a day
        dropout = r.betavariate(DROPOUT_A, DROPOUT_B)
        level = math.exp(r.gauss(0, SPEND_SIGMA))
        days: list[tuple[dt.date, int, bool]] = []  # (day, store id, before a complaint)
        t = first
        for case in cases:
            anchor = case.received - dt.timedelta(days=r.randint(0, BEFORE_CASE_DAYS))
            anchor = self._workday(self.codes[case.store_id], anchor, back=True)
            if anchor > last or anchor < first:
                continue  # complained after being marked lost: no service to put there
            # Before the complaint the customer was alive: a plain Poisson rhythm.
            days.extend((d, store.pk, False) for d in self._poisson(t, anchor, rate, store))
            days.append((anchor, case.store_id, True))
            chance, factor = return_chance(case)
            rate *= factor
            t = anchor + _D
            if r.random() >= chance:
                t = dt.date.max  # does not come back (unless a later case shows otherwise)
            else:
                # Comes back for the next service within a few weeks.
                back = case.received + dt.timedelta(days=r.randint(14, 90))
                back = self._workday(store.code, back, back=False)
                if back <= last:
                    days.append((back, store.pk, False))
                    t = back + _D
        if t <= last:
            # Then the BG/NBD rhythm: after each visit a chance of never coming back.
            for d in self._poisson(t, last, rate, store, dropout=dropout):
                days.append((d, store.pk, False))
        rows = []
        seen: set[dt.date] = set()
        for d, store_id, before_case in sorted(days):
            if d in seen or not (self.start <= d <= self.today):
                continue
            seen.add(d)
            kind, amount = self._spend(level, repair_likely=before_case)
            rows.append((d, store_id, customer_id, kind, amount))
        return rows

    def _poisson(
        self, start: dt.date, end: dt.date, rate: float, store: Store, *, dropout: float = 0.0
    ) -> list[dt.date]:
        out: list[dt.date] = []
        t = 0.0
        span = (end - start).days
        while True:
            t += self.r.expovariate(rate)
            if t > span:
                return out
            day = self._workday(store.code, start + dt.timedelta(days=int(t)), back=False)
            if day > end:
                return out
            out.append(day)
            if self.r.random() < dropout:
                return out

    def _workday(self, code: str, day: dt.date, *, back: bool) -> dt.date:
        workdays = self.workdays.get(code, frozenset(range(7))) or frozenset(range(7))
        step = -_D if back else _D
        while day.weekday() not in workdays:
            day += step
        return day

    def _spend(self, level: float, *, repair_likely: bool) -> tuple[str, Decimal]:
        r = self.r
        u = r.random()
        if not repair_likely and u < SHARE_VISIT:
            return TransactionKind.VISIT, Decimal("0.00")
        if not repair_likely and u < SHARE_VISIT + SHARE_PURCHASE:
            return TransactionKind.PURCHASE, _price(r, ACCESSORY, level)
        repair = r.random() < (0.5 if repair_likely else SHARE_REPAIR)
        return TransactionKind.SERVICE_ORDER, _price(r, REPAIR if repair else MAINTENANCE, level)

    def _write(
        self,
        org: Organisation,
        stores: dict[int, Store],
        rows: list[tuple[dt.date, int, int, str, Decimal]],
    ) -> int:
        rows.sort(key=lambda row: (row[0], row[1], row[2]))
        prefix: dict[str, str] = {
            TransactionKind.SERVICE_ORDER: "RO",
            TransactionKind.VISIT: "VS",
            TransactionKind.PURCHASE: "SO",
        }
        seq: Counter[tuple[dt.date, int]] = Counter()
        services: Counter[tuple[int, dt.date]] = Counter()
        objs = []
        for day, store_id, customer_id, kind, amount in rows:
            seq[day, store_id] += 1
            code = stores[store_id].code
            objs.append(
                Transaction(
                    organisation=org,
                    store_id=store_id,
                    customer_id=customer_id,
                    occurred_on=day,
                    amount=amount,
                    kind=kind,
                    reference=f"{prefix[kind]}{code}{day:%Y%m%d}{seq[day, store_id]:03d}",
                )
            )
            if kind != TransactionKind.PURCHASE:
                services[store_id, day.replace(day=1)] += 1
        Transaction.objects.bulk_create(objs, batch_size=BATCH)
        volumes = [
            StoreVolume(
                organisation=org,
                store_id=store_id,
                month=month,
                services=round(services[store_id, month] * self.r.uniform(*WALK_IN)),
            )
            for store_id in sorted(stores)
            if stores[store_id].code in self.workdays  # the service stores, not head office
            for month in months(self.start, self.today)
        ]
        StoreVolume.objects.bulk_create(volumes, batch_size=BATCH)
        return len(objs)


_D = dt.timedelta(days=1)


def _price(r: random.Random, spec: tuple[float, float, float, float], level: float) -> Decimal:
    median, sigma, low, high = spec
    value = min(high, max(low, median * level * math.exp(r.gauss(0, sigma))))
    return Decimal(f"{value:.2f}")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years) + _D
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28) + _D


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first`'s to `last`'s, both included."""
    out = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out
