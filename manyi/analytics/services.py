"""Writing the analytics data one record at a time, and the rules every write of it follows
(the imports in manyi.core.imports.transactions and .volumes check rows with the same
`clean_*` functions and then write in bulk).

- A transaction's date is neither in the future nor before 1900 (a year typed wrong: nobody
  has customer records from the nineteenth century); its amount is in yuan, at least 0, with
  at most two decimals; its customer and store belong to the organisation.
- A store volume is for a month (its first day), not a future one, and replaces what the
  store had for that month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Store, User
from manyi.analytics.choices import TransactionKind
from manyi.analytics.models import StoreVolume, Transaction
from manyi.core.errors import DomainError
from manyi.customers.models import Customer

EARLIEST = dt.date(1900, 1, 1)
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what DecimalField(12, 2) holds
MAX_SERVICES = 2_147_483_647  # PositiveIntegerField on every database
# A float from a spreadsheet (19.99 stored as 19.989999…) is rounded to the fen when it is
# this close to one; anything further off has real extra decimals.
FLOAT_NOISE = Decimal("0.000001")


def clean_amount(value: Any, *, field: str = "amount") -> Decimal:
    """An amount in yuan as typed in a spreadsheet: “1,234.50”, “¥1234.5”, “88元” or a number;
    at least 0, at most two decimals."""
    if isinstance(value, Decimal):
        amount = value
    else:
        raw = str(value).strip().replace(",", "").replace("，", "").replace(" ", "")
        raw = raw.lstrip("¥￥").removesuffix("元")
        try:
            amount = Decimal(raw)
        except (InvalidOperation, ValueError):
            raise DomainError(
                _("Not an amount; write it in yuan, e.g. 1234.50."), field=field
            ) from None
    if not amount.is_finite():
        raise DomainError(_("Not an amount; write it in yuan, e.g. 1234.50."), field=field)
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), field=field)
    rounded = amount.quantize(CENT)
    if abs(amount - rounded) > FLOAT_NOISE:
        raise DomainError(_("At most two decimal places (fen)."), field=field)
    if rounded > MAX_AMOUNT:
        raise DomainError(
            _("At most %(max)s: a larger amount is surely a typing error.")
            % {"max": f"¥{MAX_AMOUNT:,}"},
            field=field,
        )
    return rounded


def clean_occurred_on(value: dt.date, *, today: dt.date, field: str = "date") -> dt.date:
    if value > today:
        raise DomainError(
            _("The date is in the future (today is %(today)s).") % {"today": today.isoformat()},
            field=field,
        )
    if value < EARLIEST:
        raise DomainError(
            _("The date is before %(year)d; check the year.") % {"year": EARLIEST.year},
            field=field,
        )
    return value


def clean_month(value: dt.date, *, today: dt.date, field: str = "month") -> dt.date:
    """The first day of `value`'s month, which must not be after the current month."""
    month = value.replace(day=1)
    if month > today.replace(day=1):
        raise DomainError(
            _("The month is in the future (this month is %(month)s).")
            % {"month": today.strftime("%Y-%m")},
            field=field,
        )
    if month < EARLIEST:
        raise DomainError(
            _("The month is before %(year)d; check the year.") % {"year": EARLIEST.year},
            field=field,
        )
    return month


def clean_services(value: int, *, field: str = "services") -> int:
    if value < 0:
        raise DomainError(_("The number of services cannot be negative."), field=field)
    if value > MAX_SERVICES:
        raise DomainError(_("Too large a number of services."), field=field)
    return value


def record_transaction(
    *,
    actor: User | None,
    customer: Customer,
    occurred_on: dt.date,
    amount: Decimal | str | int,
    store: Store | None = None,
    kind: str = TransactionKind.SERVICE_ORDER,
    reference: str = "",
    today: dt.date | None = None,
) -> Transaction:
    """Record one service order, purchase or visit of `customer` (at their home store unless
    `store` is given). `actor`, when given, must be of the customer's organisation."""
    store = store or customer.store
    org_id = customer.organisation_id
    if store.organisation_id != org_id or (actor is not None and actor.organisation_id != org_id):
        raise DomainError(_("The customer is not of this organisation."), field="customer")
    if kind not in TransactionKind.values:
        raise DomainError(_("Unknown kind of transaction."), field="kind")
    reference = reference.strip()
    if len(reference) > 64:
        raise DomainError(_("At most %(n)d characters.") % {"n": 64}, field="reference")
    occurred_on = clean_occurred_on(occurred_on, today=today or timezone.localdate())
    try:
        with transaction.atomic():
            return Transaction.objects.create(
                organisation_id=org_id,
                store=store,
                customer=customer,
                occurred_on=occurred_on,
                amount=clean_amount(amount),
                kind=kind,
                reference=reference,
            )
    except IntegrityError:
        raise DomainError(
            _("A transaction with this reference exists already."), field="reference"
        ) from None


def set_store_volume(
    *,
    store: Store,
    month: dt.date,
    services: int,
    today: dt.date | None = None,
) -> StoreVolume:
    """The number of services `store` did in `month` (any day of it), replacing the count the
    store had for that month."""
    month = clean_month(month, today=today or timezone.localdate())
    services = clean_services(services)
    volume, _created = StoreVolume.objects.update_or_create(
        store=store,
        month=month,
        defaults={"services": services},
        create_defaults={"organisation_id": store.organisation_id, "services": services},
    )
    return volume
