"""Recording one transaction or one store volume, and the rules shared with the imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.translation import override

from manyi.analytics.models import StoreVolume
from manyi.analytics.services import (
    clean_amount,
    clean_month,
    clean_occurred_on,
    record_transaction,
    set_store_volume,
)
from manyi.core.errors import DomainError

TODAY = dt.date(2026, 3, 15)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("¥88", Decimal("88.00")),
        ("￥ 1 000", Decimal("1000.00")),
        ("88元", Decimal("88.00")),
        ("0", Decimal("0.00")),
        (19.99, Decimal("19.99")),
        ("19.989999999999998", Decimal("19.99")),  # a spreadsheet's float
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_amounts_are_read_as_typed_in_spreadsheets(typed, amount):
    assert clean_amount(typed) == amount


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-1", "negative"),
        ("12.345", "two decimal"),
        ("abc", "Not an amount"),
        ("NaN", "Not an amount"),
        ("Infinity", "Not an amount"),
        ("10000000000", "typing error"),
    ],
)
def test_impossible_amounts_are_refused_with_a_reason(typed, reason):
    with override("en"), pytest.raises(DomainError) as e:
        clean_amount(typed)
    assert e.value.field == "amount"
    assert reason in e.value.message


def test_dates_from_1900_to_today_are_accepted():
    assert clean_occurred_on(dt.date(1900, 1, 1), today=TODAY) == dt.date(1900, 1, 1)
    assert clean_occurred_on(TODAY, today=TODAY) == TODAY
    for day in (dt.date(1899, 12, 31), TODAY + dt.timedelta(days=1), dt.date(2100, 1, 1)):
        with pytest.raises(DomainError):
            clean_occurred_on(day, today=TODAY)


def test_a_month_is_its_first_day_and_not_after_this_month():
    assert clean_month(dt.date(2026, 3, 31), today=TODAY) == dt.date(2026, 3, 1)
    assert clean_month(dt.date(2025, 12, 9), today=TODAY) == dt.date(2025, 12, 1)
    with pytest.raises(DomainError):
        clean_month(dt.date(2026, 4, 1), today=TODAY)


@pytest.mark.django_db
def test_a_transaction_is_recorded_at_the_customers_store_unless_another_is_given(
    customer, store_b, agent
):
    at_home = record_transaction(
        actor=agent, customer=customer, occurred_on=dt.date(2025, 1, 2), amount="99.5"
    )
    assert (at_home.store, at_home.amount, at_home.kind) == (
        customer.store,
        Decimal("99.50"),
        "service_order",
    )
    elsewhere = record_transaction(
        actor=agent,
        customer=customer,
        store=store_b,
        occurred_on=dt.date(2025, 1, 3),
        amount=0,
        kind="visit",
        reference=" V-1 ",
    )
    assert (elsewhere.store, elsewhere.reference) == (store_b, "V-1")
    with pytest.raises(DomainError) as e:
        record_transaction(
            actor=agent,
            customer=customer,
            occurred_on=dt.date(2025, 1, 4),
            amount=1,
            reference="V-1",
        )
    assert e.value.field == "reference"


@pytest.mark.django_db
def test_a_transaction_cannot_mix_organisations_or_be_of_an_unknown_kind(
    customer, agent, other_org
):
    for kwargs in (
        {"customer": other_org["customer"]},
        {"customer": customer, "store": other_org["store"]},
        {"customer": customer, "kind": "lease"},
    ):
        with pytest.raises(DomainError):
            record_transaction(actor=agent, occurred_on=dt.date(2025, 1, 2), amount=1, **kwargs)


@pytest.mark.django_db
def test_a_store_volume_replaces_the_months_count(store_a):
    first = set_store_volume(store=store_a, month=dt.date(2025, 3, 17), services=120)
    assert (first.month, first.services) == (dt.date(2025, 3, 1), 120)
    again = set_store_volume(store=store_a, month=dt.date(2025, 3, 1), services=135)
    assert again.pk == first.pk
    assert StoreVolume.objects.get().services == 135
    with pytest.raises(DomainError):
        set_store_volume(store=store_a, month=dt.date(2025, 4, 1), services=-1)
