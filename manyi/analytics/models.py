"""The data the analytics stand on besides cases and answers: customers' transactions (service
orders, purchases, visits) and stores' monthly service volumes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from manyi.analytics.choices import AlertState, ChartMethod, ChartPeriod, TransactionKind


class DayOfMonth(models.Func):
    """The day of the month of a date column with each database's built-in functions. Django's
    `ExtractDay` calls a Python function on SQLite, which a CHECK constraint should not need:
    the table could not be written by anything but Django."""

    template = "EXTRACT(DAY FROM %(expressions)s)"
    output_field = models.IntegerField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # SQLite keeps a date as “YYYY-MM-DD” text.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(SUBSTR(%(expressions)s, 9, 2) AS INTEGER)",
            **extra_context,
        )


class Transaction(models.Model):
    """One service order (工单), purchase or visit of a customer at a store on a day, with
    what the customer paid in yuan (0 for a visit without spending).

    Transactions feed the customer's value (the BG/NBD and Gamma-Gamma models, the
    lifetime-value worksheet), the return rate after a complaint (TARP) and, as “services”,
    the complaint rate. They are imported (`manyi import transactions`) and never edited.
    `reference` is the id in the system they come from (a repair-order or receipt number):
    unique in the organisation when given, so that a file imported twice is refused."""

    # Not indexed alone: the (organisation, store, day) index serves every query by it.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Not indexed alone either: one index less on a table of millions of rows, which only a
    # store's deletion (refused anyway while it has transactions) would use.
    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="transactions",
        db_index=False,  # the (customer, day) index serves it
    )
    occurred_on = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=TransactionKind.choices,
        default=TransactionKind.SERVICE_ORDER,
    )
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="transaction_amount_gte_0"
            ),
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                condition=~models.Q(reference=""),
                name="uniq_transaction_reference",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "store", "occurred_on"], name="transaction_store_day"
            ),
            models.Index(fields=["customer", "occurred_on"], name="transaction_customer_day"),
            # The services of the complaint rate and the early warning (service orders and
            # visits per store and day), without the purchases.
            models.Index(
                fields=["organisation", "store", "occurred_on"],
                condition=models.Q(kind__in=["service_order", "visit"]),
                name="transaction_service_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.get_kind_display()} ¥{self.amount}"


class StoreVolume(models.Model):
    """How many services (service orders, visits) a store did in a month, imported from the
    store's own system (`manyi import volumes`): the complaint rate's denominator, complaints
    per 100 services, until service orders are imported one by one as transactions.

    One row per store and month, `month` being the first day of the month; importing the same
    store and month again replaces the count."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the unique (store, month) index serves it
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    services = models.PositiveIntegerField(_("services"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("store volume")
        verbose_name_plural = _("store volumes")
        constraints = [
            models.UniqueConstraint(fields=["store", "month"], name="uniq_store_volume_month"),
            models.CheckConstraint(
                condition=Exact(DayOfMonth("month"), 1), name="store_volume_first_of_month"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "month"], name="volume_org_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.services}"


class AlertSettings(models.Model):
    """How an organisation's early warning watches complaint rates: one control chart per
    top-level category and store (and one per store for all categories), complaints per 100
    services, period by period. One row per organisation, created with its defaults the first
    time the settings page or the sweep needs it.

    - `method`: u-chart (with Laney's correction when `laney`), EWMA or CUSUM.
    - `period`: days or weeks (Monday to Sunday).
    - `baseline_periods`: the in-control rate is estimated from this many periods before the
      ones being watched (phase II), so a lasting rise does not raise its own centre line.
    - `sigma` (u-chart limits), `ewma_lambda` and `ewma_l` (EWMA), `cusum_k` and `cusum_h`
      (CUSUM): the chart's parameters; wider limits mean fewer false alarms and later warnings
      (the settings page shows the average run lengths).
    - `min_complaints`: a point with fewer complaints never alerts (one complaint in a quiet
      week is not a trend).
    - `email`: alerts are also emailed to the store's managers."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="alert_settings"
    )
    enabled = models.BooleanField(_("early warning on"), default=True)
    method = models.CharField(
        _("chart"), max_length=10, choices=ChartMethod.choices, default=ChartMethod.U
    )
    period = models.CharField(
        _("period"), max_length=10, choices=ChartPeriod.choices, default=ChartPeriod.WEEK
    )
    laney = models.BooleanField(_("Laney correction for over-dispersion"), default=True)
    sigma = models.DecimalField(_("u-chart limits (σ)"), max_digits=4, decimal_places=2, default=3)
    ewma_lambda = models.DecimalField(
        _("EWMA weight λ"), max_digits=4, decimal_places=3, default=Decimal("0.2")
    )
    ewma_l = models.DecimalField(
        _("EWMA limits L"), max_digits=4, decimal_places=2, default=Decimal("2.86")
    )
    cusum_k = models.DecimalField(
        _("CUSUM allowance k"), max_digits=4, decimal_places=2, default=Decimal("0.5")
    )
    cusum_h = models.DecimalField(
        _("CUSUM decision interval h"), max_digits=4, decimal_places=2, default=Decimal("4.77")
    )
    baseline_periods = models.PositiveSmallIntegerField(_("baseline periods"), default=26)
    min_complaints = models.PositiveSmallIntegerField(
        _("minimum complaints for an alert"), default=3
    )
    email = models.BooleanField(_("email alerts to store managers"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("early-warning settings")
        verbose_name_plural = _("early-warning settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sigma__gt=0, ewma_l__gt=0, cusum_h__gt=0, cusum_k__gte=0),
                name="alert_settings_limits_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(ewma_lambda__gt=0, ewma_lambda__lte=1),
                name="alert_settings_lambda_0_1",
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_periods__gte=4), name="alert_settings_baseline_gte_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.method}/{self.period}"


class Alert(models.Model):
    """An out-of-control signal of one early-warning series: the complaint rate of a store
    (of one top-level category, or of all categories when `category` is empty) rose beyond
    its control limit.

    One alert per signal: a run of consecutive out-of-control points is one signal, keyed by
    the period where the run began (`signal_start`); the unique constraint makes a second
    sweep, or two at once, add nothing. Later points of the same run update `last_period`,
    `points` and the figures of the alert instead. `chart` keeps the series as it was drawn
    when the alert was raised (periods, rates, limits) so the alert page shows what the
    manager was told even after the data change."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    store = models.ForeignKey(
        "accounts.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(_("chart"), max_length=10, choices=ChartMethod.choices)
    period = models.CharField(_("period"), max_length=10, choices=ChartPeriod.choices)
    signal_start = models.DateField(_("signal began"))
    last_period = models.DateField(_("last period out of control"))
    points = models.PositiveSmallIntegerField(_("periods out of control"), default=1)
    complaints = models.PositiveIntegerField(_("complaints"))
    services = models.PositiveIntegerField(_("services"))
    rate = models.FloatField(_("complaints per 100 services"))
    centre = models.FloatField(_("centre line"))
    limit = models.FloatField(_("control limit"))
    chart = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=AlertState.choices, default=AlertState.OPEN
    )
    created_at = models.DateTimeField(_("raised at"))
    notified_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            # NULLS NOT DISTINCT is not portable: the all-categories series is keyed with its
            # own partial constraint.
            models.UniqueConstraint(
                fields=["store", "category", "method", "period", "signal_start"],
                condition=models.Q(category__isnull=False),
                name="uniq_alert_signal",
            ),
            models.UniqueConstraint(
                fields=["store", "method", "period", "signal_start"],
                condition=models.Q(category__isnull=True),
                name="uniq_alert_signal_all",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state", "-created_at"], name="alert_org_state"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.category_id}: {self.signal_start}"


class CustomerValue(models.Model):
    """What a customer is worth and how likely they are to stay, computed from their
    transactions by `refresh_customer_values` (a summary table: the churn-risk list and the
    value sort of the case list read it instead of fitting models per request).

    - `frequency`, `recency_days`, `age_days`: the BG/NBD summary (repeat transactions, days
      from the first to the last, days from the first to `computed_at`); `spend_mean` the
      average amount of the repeat transactions (the Gamma-Gamma input).
    - `p_alive`, `expected_visits_12m`, `expected_value_12m`: the BG/NBD + Gamma-Gamma model
      of the organisation's customers, fitted in the same refresh.
    - `value_if_kept_12m`: the next twelve months' value if the customer stays (expected
      visits given alive × expected spend); `value_at_risk` = value_if_kept_12m ×
      (1 − p_alive): the value expected to be lost.
    - `worksheet_value`: the seeds' lifetime value, average spend × visits a year × years
      retained (DOMAIN.md §1), with the organisation's retention years.
    - `rfm`: the R, F and M quantile scores ("543"), `segment`: the RFM segment
      (manyi.metrics.rfm)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="value",
    )
    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("store"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    transactions = models.PositiveIntegerField(_("transactions"))
    total_spend = models.DecimalField(_("total spend (yuan)"), max_digits=14, decimal_places=2)
    first_on = models.DateField(_("first transaction"))
    last_on = models.DateField(_("last transaction"))
    frequency = models.PositiveIntegerField(_("repeat transactions"))
    recency_days = models.FloatField(_("recency (days)"))
    age_days = models.FloatField(_("age (days)"))
    spend_mean = models.DecimalField(_("average spend (yuan)"), max_digits=12, decimal_places=2)
    p_alive = models.FloatField(_("probability alive"), null=True, blank=True)
    expected_visits_12m = models.FloatField(_("expected visits, next 12 months"), null=True)
    expected_value_12m = models.DecimalField(
        _("expected value, next 12 months (yuan)"), max_digits=14, decimal_places=2, null=True
    )
    value_if_kept_12m = models.DecimalField(
        _("value if kept, next 12 months (yuan)"), max_digits=14, decimal_places=2, null=True
    )
    value_at_risk = models.DecimalField(
        _("value at risk (yuan)"), max_digits=14, decimal_places=2, null=True
    )
    worksheet_value = models.DecimalField(
        _("lifetime value, worksheet (yuan)"), max_digits=14, decimal_places=2
    )
    rfm = models.CharField(_("RFM scores"), max_length=3, blank=True)
    segment = models.CharField(_("RFM segment"), max_length=30, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        indexes = [
            models.Index(
                fields=["organisation", "store", "-value_at_risk"], name="value_org_store_risk"
            ),
            models.Index(fields=["organisation", "segment"], name="value_org_segment"),
            models.Index(fields=["organisation", "-expected_value_12m"], name="value_org_expected"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.value_at_risk}"


class ValueModelFit(models.Model):
    """The BG/NBD and Gamma-Gamma parameters of an organisation's last refresh, with how long
    the fit took and on how many customers and transactions: shown on the value page so a
    manager can judge the model (and the benchmark reports it)."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="value_fit"
    )
    computed_at = models.DateTimeField(_("computed at"))
    customers = models.PositiveIntegerField(_("customers"))
    transactions = models.PositiveIntegerField(_("transactions"))
    bgnbd = models.JSONField(_("BG/NBD parameters"), default=dict, blank=True)
    gamma_gamma = models.JSONField(_("Gamma-Gamma parameters"), default=dict, blank=True)
    retention_years = models.DecimalField(
        _("years retained (worksheet)"), max_digits=5, decimal_places=2, default=Decimal("5")
    )
    seconds = models.FloatField(_("seconds to fit"), default=0)
    error = models.TextField(_("why the model could not be fitted"), blank=True)

    class Meta:
        verbose_name = _("value model fit")
        verbose_name_plural = _("value model fits")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.computed_at:%Y-%m-%d %H:%M}"
