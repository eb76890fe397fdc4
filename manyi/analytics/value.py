"""Customer value and churn risk: the refresh of the `CustomerValue` summary table.

`refresh_customer_values` reads an organisation's transactions into numpy (one COPY on
PostgreSQL, one query elsewhere), builds each customer's BG/NBD summary with
`manyi.metrics.value.summary_from_transactions` (days as the unit, observation ending today),
fits the BG/NBD and the Gamma-Gamma models, computes every customer's figures as arrays and
replaces the organisation's rows in one transaction (COPY on PostgreSQL, batched bulk_create
elsewhere). No Python loop over customers or transactions: 3,000,000 transactions of 300,000
customers refresh in seconds (bench/bench_value_refresh.py).

Per customer (time in days, today in the current time zone):

- the summary: x = repeat purchase days, t_x = days from the first to the last purchase day,
  T = days from the first purchase day to today (`age_days`), mean repeat spend;
- `p_alive` = P(alive | x, t_x, T) (BG/NBD);
- `expected_visits_12m` = E[visits in the next 365 days | history] (BG/NBD);
- `expected_value_12m` = expected visits × expected spend per visit (Gamma-Gamma: the
  customer's mean repeat spend shrunk towards the population mean). Undiscounted: over twelve
  months discounting changes little and the figure stays checkable (`DISCOUNT_RATE`);
- `value_if_kept_12m` = E[visits | alive] × expected spend. E[visits | alive] is the BG/NBD
  expectation divided by P(alive); it depends on (x, T) only, so it is computed as the
  expectation of a customer with the same x and T whose last visit was today, divided by that
  customer's P(alive) (≥ (b+x−1)/(a+b+x−1) > 0) — exact, and no 0/0 when P(alive) ≈ 0;
- `value_at_risk` = value_if_kept_12m × (1 − p_alive): the value expected to be lost;
- `worksheet_value` = average spend per transaction × transactions a year × the
  organisation's retention years (`ValueModelFit.retention_years`, default 5; DOMAIN.md §1).
  Transactions a year = transactions ÷ age in years, the age being at least one year (a
  customer first seen last week would otherwise count fifty visits a year), so
  worksheet = total spend × 365 ÷ max(age_days, 365) × years;
- RFM: quintile scores of (days since the last purchase, transactions, total spend) over the
  organisation's customers and the segment of `manyi.metrics.rfm`.

When the models cannot be fitted — fewer than `MIN_CUSTOMERS` customers, nobody came back, the
optimiser did not converge — the reason goes to `ValueModelFit.error`, the model's columns
stay empty, and the summary, worksheet value and RFM are still written. When only the
Gamma-Gamma fails (too few repeat customers, q ≤ 1) the expected spend is the customer's own
average spend per transaction and the error says so.

`store` of a row is the customer's home store (the one `customers_for` scopes by), so the
churn list of a supervisor reads the (organisation, store, −value_at_risk) index.

The table is a snapshot: it is refreshed once a day by `value_tasks.schedule_value_refresh`,
on demand from the value page and by `manyi values refresh`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation, User
from manyi.analytics.models import CustomerValue, Transaction, ValueModelFit
from manyi.core.db import lock_self
from manyi.core.errors import DomainError
from manyi.customers.models import Customer
from manyi.followups.choices import FollowUpState, Reason
from manyi.followups.models import FollowUp
from manyi.followups.services import schedule_followup
from manyi.metrics.rfm import rfm_segments
from manyi.metrics.value import (
    BgNbdFit,
    GammaGammaFit,
    bgnbd_expected,
    bgnbd_fit,
    bgnbd_p_alive,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
    summary_from_transactions,
)

#: Below this many customers (or repeat customers, for the Gamma-Gamma) the models are not
#: fitted: the estimates would be noise.
MIN_CUSTOMERS = 50
#: The prediction horizon in days (twelve months).
HORIZON_DAYS = 365
#: Annual discount rate of the expected value: none (see the module docstring).
DISCOUNT_RATE = 0.0
#: A fit ending further than this from the data is not trusted (money columns are
#: numeric(14, 2)); values are clipped here.
MAX_YUAN = 1e11
BATCH = 2000
#: Ridge penalties tried in turn until the BG/NBD fit converges. Plain maximum likelihood
#: first; when a parameter runs off (typically a, b → ∞: every customer drops out with the
#: same probability, which the data cannot tell from a very narrow Beta), a small penalty keeps
#: the estimates finite. The one used is stored with the parameters.
PENALIZERS = (0.0, 1e-4, 1e-3)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Log:
    """An organisation's transactions as arrays: customer id, day number (days since
    1970-01-01) and amount in yuan."""

    customer: IntArray
    day: IntArray
    amount: FloatArray


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def read_transactions(organisation_id: int, today: dt.date) -> Log:
    """The organisation's transactions up to today. PostgreSQL: `COPY … TO STDOUT` parsed by
    pandas' C reader (no Python object per row); elsewhere one query."""
    table = connection.ops.quote_name(Transaction._meta.db_table)
    if connection.vendor == "postgresql":
        # Only an int and an ISO date built here go into the statement.
        sql = (
            f"COPY (SELECT customer_id, occurred_on - DATE '1970-01-01', amount::float8 "  # noqa: S608
            f"FROM {table} WHERE organisation_id = {int(organisation_id)} "
            f"AND occurred_on <= DATE '{today.isoformat()}') TO STDOUT"
        )
        buffer = io.BytesIO()
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        if buffer.getbuffer().nbytes == 0:
            return _empty_log()
        frame = pd.read_csv(
            buffer,
            sep="\t",
            header=None,
            names=["c", "d", "m"],
            dtype={"c": np.int64, "d": np.int64, "m": np.float64},
        )
        return Log(frame["c"].to_numpy(), frame["d"].to_numpy(), frame["m"].to_numpy())
    rows = (
        Transaction.objects.filter(organisation_id=organisation_id, occurred_on__lte=today)
        .values_list("customer_id", "occurred_on", "amount")
        .iterator(chunk_size=10_000)
    )
    frame = pd.DataFrame.from_records(rows, columns=["c", "d", "m"])
    if frame.empty:
        return _empty_log()
    days = pd.to_datetime(frame["d"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    return Log(frame["c"].to_numpy(dtype=np.int64), days, frame["m"].astype(float).to_numpy())


def _empty_log() -> Log:
    return Log(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))


def _home_stores(organisation_id: int, ids: IntArray) -> FloatArray:
    """Each customer's home store id (NaN when unknown), in the order of `ids` (sorted)."""
    pairs = np.array(
        list(
            Customer.objects.filter(organisation_id=organisation_id).values_list("id", "store_id")
        ),
        dtype=np.float64,
    ).reshape(-1, 2)
    out = np.full(ids.size, np.nan)
    if pairs.size == 0 or ids.size == 0:
        return out
    order = np.argsort(pairs[:, 0])
    known, stores = pairs[order, 0], pairs[order, 1]
    pos = np.clip(np.searchsorted(known, ids), 0, known.size - 1)
    hit = known[pos] == ids
    out[hit] = stores[pos[hit]]
    return out


@dataclass
class Models:
    """What the fits gave: per-customer arrays (None when the BG/NBD failed) and the error."""

    p_alive: FloatArray | None
    visits: FloatArray | None
    visits_if_alive: FloatArray | None
    spend: FloatArray | None
    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float]
    error: str


def _fit_models(
    x: FloatArray, tx: FloatArray, age: FloatArray, m: FloatArray, own: FloatArray
) -> Models:
    """BG/NBD and Gamma-Gamma on the summary; see the module docstring for the fallbacks."""
    n = x.size
    if n < MIN_CUSTOMERS:
        return Models(
            None,
            None,
            None,
            None,
            {},
            {},
            _(
                "Too few customers to fit the model: %(n)d with transactions, at least "
                "%(min)d needed."
            )
            % {"n": n, "min": MIN_CUSTOMERS},
        )
    try:
        for penalizer in PENALIZERS:
            bg: BgNbdFit = bgnbd_fit(x, tx, age, penalizer=penalizer)
            if bg.converged:
                break
    except ValueError as e:
        return Models(None, None, None, None, {}, {}, _("BG/NBD: %(e)s") % {"e": e})
    params = {
        "penalizer": penalizer,
        "r": bg.params.r,
        "alpha": bg.params.alpha,
        "a": bg.params.a,
        "b": bg.params.b,
        "log_likelihood": bg.log_likelihood,
        "iterations": bg.iterations,
        "rows": bg.n_rows,
    }
    if not bg.converged:
        return Models(
            None,
            None,
            None,
            None,
            params,
            {},
            _("The BG/NBD fit did not converge (%(msg)s); the model's figures are left empty.")
            % {"msg": bg.message},
        )
    p_alive = bgnbd_p_alive(bg, x, tx, age)
    visits = bgnbd_expected(bg, HORIZON_DAYS, x, tx, age)
    # E[visits | alive] depends on (x, T) only: the same customer with the last visit today.
    last_today = np.where(x > 0, age, 0.0)
    visits_if_alive = bgnbd_expected(bg, HORIZON_DAYS, x, last_today, age) / bgnbd_p_alive(
        bg, x, last_today, age
    )
    error = ""
    gg_params: dict[str, float] = {}
    spenders = (x > 0) & (m > 0)
    spend: FloatArray | None = None
    if int(spenders.sum()) < MIN_CUSTOMERS:
        error = _(
            "Gamma-Gamma: too few repeat customers with spending (%(n)d, at least %(min)d "
            "needed); the expected spend is each customer's own average."
        ) % {"n": int(spenders.sum()), "min": MIN_CUSTOMERS}
    else:
        try:
            gg: GammaGammaFit = gamma_gamma_fit(x[spenders], m[spenders])
            gg_params = {
                "p": gg.params.p,
                "q": gg.params.q,
                "v": gg.params.v,
                "log_likelihood": gg.log_likelihood,
                "customers": gg.n_customers,
                "iterations": gg.iterations,
            }
            if math.isfinite(gg.frequency_spend_correlation):
                gg_params["frequency_spend_correlation"] = gg.frequency_spend_correlation
            if not gg.converged:
                raise ValueError(gg.message)
            spend = gamma_gamma_expected_spend(gg, x, m)
        except ValueError as e:
            error = _("Gamma-Gamma: %(e)s; the expected spend is each customer's own average.") % {
                "e": e
            }
    if spend is None:
        spend = own
    return Models(p_alive, visits, visits_if_alive, spend, params, gg_params, error)


def _money(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(np.round(np.clip(np.asarray(values, dtype=np.float64), 0.0, MAX_YUAN), 2))


def build_table(log: Log, *, today: dt.date, retention_years: float) -> tuple[pd.DataFrame, Models]:
    """One row per customer with every column of CustomerValue except the ids of the
    organisation and store and `computed_at` (pure: no database)."""
    if log.customer.size == 0:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS if c not in _IDS})
        empty["customer_id"] = pd.Series(dtype=np.int64)
        return empty, Models(None, None, None, None, {}, {}, _("No transactions yet."))
    summary = summary_from_transactions(
        log.customer, log.day.astype("datetime64[D]"), log.amount, observation_end=today, period="D"
    )
    ids = summary.index.to_numpy().astype(np.int64)
    x = summary["frequency"].to_numpy().astype(np.float64)
    tx = summary["recency"].to_numpy().astype(np.float64)
    age = summary["T"].to_numpy().astype(np.float64)
    m = summary["monetary"].to_numpy().astype(np.float64)
    since_last = summary["days_since_last"].to_numpy()
    # Transactions and total spend per customer (rows, not purchase days).
    pos = np.searchsorted(ids, log.customer)
    count = np.bincount(pos, minlength=ids.size).astype(np.int64)
    total = np.bincount(pos, weights=log.amount, minlength=ids.size)
    own = np.divide(total, count, out=np.zeros(ids.size), where=count > 0)
    models = _fit_models(x, tx, age, m, own)
    today_n = _day_number(today)
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "transactions": count,
            "total_spend": _money(total),
            "first_on": (today_n - age).astype(np.int64),
            "last_on": (today_n - since_last).astype(np.int64),
            "frequency": x.astype(np.int64),
            "recency_days": tx,
            "age_days": age,
            "spend_mean": _money(m),
        }
    )
    if models.p_alive is not None:
        assert models.visits is not None and models.visits_if_alive is not None
        assert models.spend is not None
        kept = _money(models.visits_if_alive * models.spend)
        frame["p_alive"] = models.p_alive
        frame["expected_visits_12m"] = models.visits
        frame["expected_value_12m"] = _money(models.visits * models.spend)
        frame["value_if_kept_12m"] = kept
        frame["value_at_risk"] = _money(kept * (1.0 - models.p_alive))
    else:
        for column in (
            "p_alive",
            "expected_visits_12m",
            "expected_value_12m",
            "value_if_kept_12m",
            "value_at_risk",
        ):
            frame[column] = np.nan
    frame["worksheet_value"] = _money(total * 365.0 / np.maximum(age, 365.0) * retention_years)
    if ids.size:
        rfm = rfm_segments(since_last, count, total)
        frame["rfm"] = rfm.code
        frame["segment"] = rfm.segment
    else:
        frame["rfm"] = pd.Series(dtype=str)
        frame["segment"] = pd.Series(dtype=str)
    return frame, models


COLUMNS = (
    "organisation_id", "customer_id", "store_id", "transactions", "total_spend", "first_on",
    "last_on", "frequency", "recency_days", "age_days", "spend_mean", "p_alive",
    "expected_visits_12m", "expected_value_12m", "value_if_kept_12m", "value_at_risk",
    "worksheet_value", "rfm", "segment", "computed_at",
)  # fmt: skip


_IDS = ("organisation_id", "customer_id", "store_id", "computed_at")


def _write(frame: pd.DataFrame, *, organisation_id: int, now: dt.datetime) -> None:
    """Replace the organisation's rows (inside the caller's transaction)."""
    CustomerValue.objects.filter(organisation_id=organisation_id).delete()
    if frame.empty:
        return
    out = frame.copy()
    out["organisation_id"] = organisation_id
    out["first_on"] = np.datetime_as_string(out["first_on"].to_numpy().astype("datetime64[D]"))
    out["last_on"] = np.datetime_as_string(out["last_on"].to_numpy().astype("datetime64[D]"))
    if connection.vendor == "postgresql":
        out["computed_at"] = now.isoformat()
        out["store_id"] = out["store_id"].astype("Int64")
        text = out.loc[:, list(COLUMNS)].to_csv(
            sep="\t", header=False, index=False, na_rep="\\N", lineterminator="\n"
        )
        quote = connection.ops.quote_name
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(CustomerValue._meta.db_table), ", ".join(quote(c) for c in COLUMNS)
        )
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            copy.write(text.encode())
        return
    money = (
        "total_spend", "spend_mean", "expected_value_12m", "value_if_kept_12m", "value_at_risk",
        "worksheet_value",
    )  # fmt: skip
    records = out.loc[:, [c for c in COLUMNS if c != "computed_at"]].to_dict("records")

    def row(r: dict[str, Any]) -> CustomerValue:
        fields = {k: (None if _missing(v) else v) for k, v in r.items()}
        for k in money:
            if fields[k] is not None:
                fields[k] = Decimal(f"{fields[k]:.2f}")
        if fields["store_id"] is not None:
            fields["store_id"] = int(fields["store_id"])
        fields["first_on"] = dt.date.fromisoformat(str(fields["first_on"]))
        fields["last_on"] = dt.date.fromisoformat(str(fields["last_on"]))
        return CustomerValue(computed_at=now, **fields)

    CustomerValue.objects.bulk_create((row(r) for r in records), batch_size=BATCH)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def refresh_customer_values(
    *, organisation: Organisation, now: dt.datetime | None = None
) -> ValueModelFit:
    """Recompute every customer's value and churn risk and the organisation's model fit
    (see the module docstring). Idempotent: the organisation's rows are replaced."""
    started = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    fit = ValueModelFit.objects.filter(organisation=organisation).first()
    years = float(fit.retention_years) if fit is not None else 5.0
    log = read_transactions(organisation.pk, today)
    frame, models = build_table(log, today=today, retention_years=years)
    frame["store_id"] = _home_stores(organisation.pk, frame["customer_id"].to_numpy())
    with transaction.atomic():
        _write(frame, organisation_id=organisation.pk, now=now)
        fit, _created = ValueModelFit.objects.update_or_create(
            organisation=organisation,
            defaults={
                "computed_at": now,
                "customers": len(frame),
                "transactions": int(log.customer.size),
                "bgnbd": models.bgnbd,
                "gamma_gamma": models.gamma_gamma,
                "error": models.error,
                "seconds": 0.0,
            },
        )
        fit.seconds = round(time.perf_counter() - started, 3)
        fit.save(update_fields=["seconds"])
    return fit


def refresh_demo_values(org: Organisation, now: dt.datetime | None = None) -> ValueModelFit:
    """The demo's hook: compute the values once its transactions are loaded."""
    return refresh_customer_values(organisation=org, now=now)


# --- one click: a retention follow-up ---------------------------------------------------------


def start_retention_followup(
    *, actor: User, customer: Customer, now: dt.datetime | None = None
) -> FollowUp:
    """A retention call (DOMAIN.md §8) to a customer of the churn-risk list, on the next
    working day of their store, for their owner when the owner works there, else the store's
    staff member on duty, else the actor; the note names the customer's risk flags. Refused
    when a retention call to them is already open. The follow-up service records the audit
    event on the customer and tells the person assigned."""
    from manyi.analytics.churn import FLAG_HELP, FLAGS, churn_flags
    from manyi.cases.public_services import staff_on_duty
    from manyi.followups.services import local_date, next_working_day, works_in

    now = now or timezone.now()
    with transaction.atomic():
        # The customer's row serialises two clicks at once.
        locked = Customer.objects.select_for_update(**lock_self()).select_related("store", "owner")
        customer = locked.get(pk=customer.pk)
        if FollowUp.objects.filter(
            customer=customer, reason=Reason.RETENTION, state=FollowUpState.OPEN
        ).exists():
            raise DomainError(
                _("A retention call to %(name)s is already open.") % {"name": customer.name},
                code="retention_open",
            )
        store = customer.store
        owner = customer.owner
        assignee: User | None = None
        if (
            owner is not None
            and owner.is_active
            and works_in(owner, store.organisation_id, store.pk)
        ):
            assignee = owner
        else:
            assignee = staff_on_duty(store)
        if assignee is None or not works_in(assignee, store.organisation_id, store.pk):
            assignee = actor
        flags = churn_flags(customer_id=customer.pk, now=now)
        reasons = "; ".join(f"{FLAGS[f]} ({FLAG_HELP[f]})" for f in flags)
        note = _("Retention call from the churn-risk list.")
        if reasons:
            note = f"{note} {_('Risk')}: {reasons}."
        return schedule_followup(
            actor=actor,
            customer=customer,
            reason=Reason.RETENTION,
            assigned_to=assignee,
            scheduled_for=next_working_day(store, local_date(store, now)),
            note=note,
            now=now,
        )
