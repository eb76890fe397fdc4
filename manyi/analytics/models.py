"""The data the analytics stand on besides cases and answers: customers' transactions (service
orders, purchases, visits) and stores' monthly service volumes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from manyi.analytics.choices import TransactionKind


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
