"""The demo's two years of transactions and monthly store volumes agree with its customers,
their complaints and the customers marked lost."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q

from manyi.accounts.models import Store
from manyi.analytics.models import StoreVolume, Transaction
from manyi.cases.models import Case
from manyi.core.demo import load_demo
from manyi.core.demo.alerts import SUMMARIES as SPIKE_SUMMARIES
from manyi.core.demo.transactions import BEFORE_CASE_DAYS, months
from manyi.customers.models import Customer

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 18, 15, 0, tzinfo=TZ)
TODAY = NOW.date()
START = dt.date(2024, 3, 19)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_months_lists_the_first_days_from_the_first_month_to_the_last():
    assert months(dt.date(2024, 11, 19), dt.date(2025, 2, 1)) == [
        dt.date(2024, 11, 1), dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1),
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_demo_has_two_years_of_transactions_that_agree_with_customers_and_cases():
    result = load_demo(size="small", now=NOW)
    org = result.organisation
    transactions = Transaction.objects.filter(organisation=org)
    assert result.transactions == transactions.count() > 2 * result.customers

    by_customer: dict[int, list[dt.date]] = defaultdict(list)
    for customer_id, day in transactions.values_list("customer_id", "occurred_on"):
        by_customer[customer_id].append(day)
    customers = Customer.objects.filter(organisation=org)
    assert len(by_customer) >= 0.8 * customers.count()
    days = [d for ds in by_customer.values() for d in ds]
    assert min(days) >= START and max(days) <= TODAY

    # Amounts: never negative; service orders at dealer after-sales prices.
    assert not transactions.filter(amount__lt=0).exists()
    orders = transactions.filter(kind="service_order")
    assert not orders.filter(Q(amount__lt=300) | Q(amount__gt=8000)).exists()
    assert orders.filter(amount__gt=Decimal("1500")).exists()  # repairs
    assert orders.filter(amount__lte=Decimal("1500")).exists()  # maintenance
    assert set(transactions.values_list("kind", flat=True)) == {
        "service_order", "visit", "purchase",
    }  # fmt: skip

    # Nothing from the day a customer was marked lost.
    lost = {c.pk: c.lost_at.astimezone(TZ).date() for c in customers if c.lost_at is not None}
    assert lost
    # A customer is marked lost after their complaints, never before one of them.
    lost_at = {c.pk: c.lost_at for c in customers if c.lost_at is not None}
    complained = Case.objects.filter(organisation=org, customer_id__in=list(lost_at))
    assert complained.exists()
    for customer_id, received_at in complained.values_list("customer_id", "received_at"):
        assert received_at < lost_at[customer_id]
    for customer_id, lost_on in lost.items():
        assert all(d < lost_on for d in by_customer.get(customer_id, []))

    # A complaint follows a service: on the day it came in or a few days before (unless the
    # customer had been marked lost before complaining). The early-warning spike, added after
    # the transactions, is left out: its complaints are about the weeks' service, not a visit.
    window = dt.timedelta(days=BEFORE_CASE_DAYS + 3)
    checked = 0
    planned = Case.objects.filter(organisation=org).exclude(summary__in=SPIKE_SUMMARIES)
    for customer_id, received_at in planned.values_list("customer_id", "received_at"):
        received = received_at.astimezone(TZ).date()
        if customer_id in lost and lost[customer_id] <= received:
            continue
        assert any(received - window <= d <= received for d in by_customer[customer_id])
        checked += 1
    assert checked >= 0.8 * result.cases

    # A volume per store and month of the two years: at least the demo's own services, so
    # that complaints per 100 services come out at a few.
    volumes = StoreVolume.objects.filter(organisation=org)
    stores = set(
        Store.objects.filter(organisation=org, code__in=["PD", "SZ"]).values_list("pk", flat=True)
    )  # the head office does no services
    assert set(volumes.values_list("store_id", "month")) == {
        (s, m) for s in stores for m in months(START, TODAY)
    }
    counted: dict[tuple[int, dt.date], int] = defaultdict(int)
    for store_id, day in transactions.exclude(kind="purchase").values_list(
        "store_id", "occurred_on"
    ):
        counted[store_id, day.replace(day=1)] += 1
    for store_id, month, services in volumes.values_list("store_id", "month", "services"):
        assert services >= counted[store_id, month]
    last_year = volumes.filter(month__gte=dt.date(2025, 4, 1))
    complaints = Case.objects.filter(organisation=org, received_at__date__gte=dt.date(2025, 4, 1))
    rate = 100 * complaints.count() / sum(last_year.values_list("services", flat=True))
    assert 1 <= rate <= 6
