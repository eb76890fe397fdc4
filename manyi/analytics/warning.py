"""Reads of the early warning (issue 5): the complaint-rate series the control charts watch.

A *series* is the complaints of one store, of one top-level category (its sub-categories
included) or of every category together (`category_id` None), period by period — days, or
ISO weeks from Monday to Sunday — in local dates (Asia/Shanghai, the current time zone).

- **Complaints**: cases received in the period through any channel except "survey" (a case
  opened from a dissatisfied survey answer is counted by the dissatisfaction rate), as in the
  three controls.
- **Services** (the exposure): the store's transactions of kind service order or visit on
  each day. In a calendar month where the store has none of them (in the days charted), the
  store's imported monthly volume (StoreVolume) is spread evenly over the days of that month
  (a month of 3,000 services in 30 days counts 100 a day), so a week that straddles two
  months takes its share of each. The three controls page prefers the monthly volume when both
  exist; a chart of days or weeks needs the dates of the services, so here the transactions
  come first. A period without any services cannot have a rate and is left out of the chart
  (its complaints, if any, are shown but never alert).
- **Rates** are complaints per 100 services: the charts get the exposure in hundreds.
- **The centre** is the in-control rate of the `baseline_periods` periods before the watched
  ones (phase II: a rise that lasts does not lift its own centre line), and Laney's σ_z
  is measured on the same baseline. σ_z below 1 (under-dispersion) is taken as 1: the
  correction only ever widens the limits. When the baseline has fewer than
  MIN_BASELINE_PERIODS periods with services or not a single complaint (a new store, a new
  category), the series judges itself (phase I: the centre is the pooled rate of everything
  charted, baseline and watched periods together, and σ_z is measured on all of it).
- **Watched periods** are the last WATCHED[period] *complete* periods (the current day or
  week is never charted: its services are usually imported later than its complaints, so a
  partial period would look like a spike). Only the upper side alerts, and only at points
  with at least `min_complaints` complaints.

Three queries whatever the number of stores and categories (complaints per store × top-level
category × period, services per store × day, volumes per store × month); the charts are
computed with numpy per series (a few hundred series at most)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Count, DateField, QuerySet
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone

from manyi.accounts.models import Store, User
from manyi.analytics.choices import ChartMethod, ChartPeriod, TransactionKind
from manyi.analytics.models import AlertSettings, StoreVolume, Transaction
from manyi.cases.choices import Channel
from manyi.cases.models import Case, Category
from manyi.metrics import control

SERVICE_KINDS = (TransactionKind.SERVICE_ORDER, TransactionKind.VISIT)
WATCHED = {ChartPeriod.DAY: 7, ChartPeriod.WEEK: 4}
"""How many of the latest complete periods a sweep looks at for signals: the latest one, and
a few more so that a sweep missed (a stopped worker) or services imported late are caught."""
MIN_BASELINE_PERIODS = 4
SERVICES_PER_UNIT = 100.0

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def settings_for(organisation_id: int) -> AlertSettings:
    """The organisation's early-warning settings, created with the defaults when missing."""
    obj, _created = AlertSettings.objects.get_or_create(organisation_id=organisation_id)
    return obj


def step(period: str) -> dt.timedelta:
    return dt.timedelta(days=7 if period == ChartPeriod.WEEK else 1)


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the period holding `day` (the Monday of its ISO week for weeks)."""
    if period == ChartPeriod.WEEK:
        return day - dt.timedelta(days=day.weekday())
    return day


def period_end(start: dt.date, period: str) -> dt.date:
    """The last day of the period beginning on `start`."""
    return start + step(period) - dt.timedelta(days=1)


def last_complete(today: dt.date, period: str) -> dt.date:
    """The first day of the latest complete period before the one holding `today`."""
    return period_start(today, period) - step(period)


def window(settings: AlertSettings, today: dt.date) -> list[dt.date]:
    """First days of the charted periods: the baseline, then the watched ones, oldest first."""
    last = last_complete(today, settings.period)
    total = settings.baseline_periods + WATCHED[ChartPeriod(settings.period)]
    return [last - step(settings.period) * i for i in range(total - 1, -1, -1)]


@dataclass
class Series:
    """One charted series. `chart` is None when fewer than two periods have services."""

    store_id: int
    store: str
    category_id: int | None
    category: str
    periods: list[dt.date]
    complaints: IntArray
    services: FloatArray
    watch_from: int
    phase: str = "I"
    chart: control.ChartResult | None = None
    alerting: npt.NDArray[np.bool_] | None = None  # high, enough complaints, watched

    @property
    def key(self) -> tuple[int, int | None]:
        return (self.store_id, self.category_id)

    def runs(self) -> list[tuple[int, int]]:
        """(first, last) indices of each run of consecutive alerting periods."""
        if self.alerting is None:
            return []
        out: list[tuple[int, int]] = []
        for i in np.flatnonzero(self.alerting).tolist():
            if out and out[-1][1] == i - 1:
                out[-1] = (out[-1][0], i)
            else:
                out.append((i, i))
        return out

    @property
    def last(self) -> int:
        return len(self.periods) - 1

    def rate(self, i: int) -> float | None:
        if self.services[i] <= 0:
            return None
        return float(self.complaints[i] / self.services[i] * SERVICES_PER_UNIT)

    def limit(self, i: int) -> float | None:
        """The upper control limit of the charted value at period i (h for the CUSUM)."""
        if self.chart is None or not np.isfinite(self.chart.ucl[i]):
            return None
        return float(self.chart.ucl[i])

    def value(self, i: int) -> float | None:
        """The charted value at period i (the rate, the EWMA, or the CUSUM's upper sum)."""
        if self.chart is None or not np.isfinite(self.chart.value[i]):
            return None
        return float(self.chart.value[i])

    @property
    def centre(self) -> float | None:
        return None if self.chart is None else float(self.chart.rate_centre)

    def snapshot(self) -> dict[str, Any]:
        """The chart as JSON (what the alert page draws and the export writes)."""
        data: dict[str, Any] = self.chart.to_dict() if self.chart is not None else {}
        data.update(
            {
                "periods": [p.isoformat() for p in self.periods],
                "complaints": [int(c) for c in self.complaints],
                "services": [round(float(s), 2) for s in self.services],
                "watch_from": self.watch_from,
                "phase": self.phase,
                "alerting": [] if self.alerting is None else self.alerting.tolist(),
            }
        )
        return data


def _chart(
    s: Series, settings: AlertSettings, baseline: int
) -> tuple[control.ChartResult | None, str]:
    n = s.services / SERVICES_PER_UNIT
    c = np.where(n > 0, s.complaints, 0).astype(np.float64)
    if int((n > 0).sum()) < control.MIN_PERIODS:
        return None, "I"
    base_c, base_n = c[:baseline], n[:baseline]
    phase_two = int((base_n > 0).sum()) >= MIN_BASELINE_PERIODS and base_c.sum() > 0
    target: float | None = None
    if phase_two:
        target = float(base_c.sum() / base_n.sum())
        sz = control.laney_sigma_z(base_c, base_n, target=target)
    else:
        sz = control.laney_sigma_z(c, n)
    sigma_z = max(1.0, sz) if settings.laney else None
    laney = bool(settings.laney)
    method = settings.method
    if method == ChartMethod.EWMA:
        result = control.ewma_chart(
            c,
            n,
            lam=float(settings.ewma_lambda),
            L=float(settings.ewma_l),
            target=target,
            laney=laney,
            sigma_z=sigma_z,
        )
    elif method == ChartMethod.CUSUM:
        result = control.cusum_chart(
            c,
            n,
            k=float(settings.cusum_k),
            h=float(settings.cusum_h),
            target=target,
            laney=laney,
            sigma_z=sigma_z,
        )
    else:
        result = control.u_chart(
            c, n, sigma=float(settings.sigma), laney=laney, sigma_z=sigma_z, target=target
        )
    return result, "II" if phase_two else "I"


def _exposures(
    organisation_id: int, store_ids: Iterable[int], first: dt.date, last: dt.date
) -> dict[int, FloatArray]:
    """Services per store and day from `first` to `last` (both included); two queries."""
    ids = list(store_ids)
    days = (last - first).days + 1
    tx: dict[int, FloatArray] = {pk: np.zeros(days) for pk in ids}
    rows = (
        Transaction.objects.filter(
            organisation_id=organisation_id,
            store_id__in=ids,
            occurred_on__gte=first,
            occurred_on__lte=last,
            kind__in=SERVICE_KINDS,
        )
        .values("store_id", "occurred_on")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("store_id", "occurred_on", "n")
    )
    for store_id, day, n in rows:
        tx[store_id][(day - first).days] = n
    volumes = StoreVolume.objects.filter(
        organisation_id=organisation_id,
        store_id__in=ids,
        month__gte=first.replace(day=1),
        month__lte=last,
    ).values_list("store_id", "month", "services")
    by_month: dict[tuple[int, dt.date], int] = {(s, m): v for s, m, v in volumes}
    # The calendar month of each day, as the index of a month in `months`.
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    months = sorted({d.replace(day=1) for d in dates})
    month_of = np.array([months.index(d.replace(day=1)) for d in dates])
    month_days = np.array(
        [((m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - m).days for m in months]
    )
    for pk, per_day in tx.items():
        with_tx = np.bincount(month_of, weights=per_day, minlength=len(months)) > 0
        spread = np.array([by_month.get((pk, m), 0) for m in months]) / month_days
        use_volume = ~with_tx[month_of]
        per_day[use_volume] = spread[month_of][use_volume]
    return tx


def _complaints(
    organisation_id: int, store_ids: Iterable[int], first: dt.date, last: dt.date, period: str
) -> QuerySet[Any]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    trunc = (
        TruncWeek("received_at", output_field=DateField())
        if period == ChartPeriod.WEEK
        else TruncDate("received_at")
    )
    return (
        Case.objects.filter(
            organisation_id=organisation_id,
            store_id__in=list(store_ids),
            received_at__gte=start,
            received_at__lt=end,
        )
        .exclude(channel=Channel.SURVEY)
        .annotate(top=Coalesce("category__parent_id", "category_id"), p=trunc)
        .values("store_id", "top", "p")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("store_id", "top", "p", "n")
    )


def series(
    settings: AlertSettings, *, store_ids: Iterable[int] | None = None, today: dt.date
) -> list[Series]:
    """Every series of the organisation's stores (or of `store_ids`, which the caller scoped),
    charted with the settings: one per store for all categories, then one per store and
    top-level category with at least one complaint charted; stores by code, categories by
    position. Four queries (stores and categories, complaints, services, volumes)."""
    org = settings.organisation_id
    stores = Store.objects.filter(organisation_id=org)
    if store_ids is not None:
        stores = stores.filter(pk__in=list(store_ids))
    store_rows = list(stores.order_by("code", "name").values_list("pk", "name"))
    if not store_rows:
        return []
    ids = [pk for pk, _name in store_rows]
    periods = window(settings, today)
    first, last = periods[0], period_end(periods[-1], settings.period)
    index = {p: i for i, p in enumerate(periods)}
    size = len(periods)
    baseline = settings.baseline_periods

    counts: dict[tuple[int, int | None], IntArray] = defaultdict(
        lambda: np.zeros(size, dtype=np.int64)
    )
    for store_id, top, p, n in _complaints(org, ids, first, last, settings.period):
        i = index.get(p.date() if isinstance(p, dt.datetime) else p)
        if i is None:
            continue
        counts[(store_id, None)][i] += n
        if top is not None:
            counts[(store_id, top)][i] += n
    exposure = _exposures(org, ids, first, last)
    days_per = step(settings.period).days
    categories = list(
        Category.objects.filter(organisation_id=org, parent__isnull=True).order_by(
            "position", "code"
        )
    )

    out: list[Series] = []
    for store_id, store_name in store_rows:
        services = exposure[store_id].reshape(size, days_per).sum(axis=1)
        keys: list[tuple[int | None, str]] = [(None, "")]
        keys += [(c.pk, c.name()) for c in categories if (store_id, c.pk) in counts]
        for category_id, category_name in keys:
            complaints = counts.get((store_id, category_id))
            if complaints is None:
                complaints = np.zeros(size, dtype=np.int64)
            s = Series(
                store_id=store_id,
                store=store_name,
                category_id=category_id,
                category=category_name,
                periods=periods,
                complaints=complaints,
                services=services,
                watch_from=baseline,
            )
            s.chart, s.phase = _chart(s, settings, baseline)
            if s.chart is not None:
                watched = np.arange(size) >= baseline
                s.alerting = (
                    np.asarray(s.chart.high) & (complaints >= settings.min_complaints) & watched
                )
            out.append(s)
    return out


def series_for(user: User, settings: AlertSettings, *, today: dt.date) -> list[Series]:
    """The series of the stores the user may see (stores_for)."""
    from manyi.core.scoping import stores_for

    ids = list(stores_for(user).values_list("pk", flat=True))
    return series(settings, store_ids=ids, today=today)
