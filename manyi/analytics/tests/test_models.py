"""The database itself keeps the analytics data's invariants, on SQLite and PostgreSQL alike:
no negative amount, a reference once per organisation, one volume per store and month, and a
volume's month on its first day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from manyi.analytics.models import StoreVolume, Transaction

pytestmark = pytest.mark.django_db


def transaction_of(customer, **fields):
    values = {
        "organisation_id": customer.organisation_id,
        "store_id": customer.store_id,
        "customer": customer,
        "occurred_on": dt.date(2025, 3, 1),
        "amount": Decimal("10.00"),
    }
    values.update(fields)
    return Transaction(**values)


def refused(obj) -> bool:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return True
    return False


def test_a_negative_amount_is_refused_by_the_database(customer):
    assert refused(transaction_of(customer, amount=Decimal("-0.01")))
    assert not refused(transaction_of(customer, amount=Decimal("0")))


def test_a_reference_is_unique_in_the_organisation_only_when_given(customer, other_org):
    assert not refused(transaction_of(customer, reference="R1"))
    assert refused(transaction_of(customer, reference="R1"))
    assert not refused(transaction_of(other_org["customer"], reference="R1"))
    assert not refused(transaction_of(customer))
    assert not refused(transaction_of(customer))
    assert Transaction.objects.filter(reference="").count() == 2


def test_a_volume_is_for_the_first_day_of_a_month_once_per_store(store_a, store_b):
    def volume(store, month):
        return StoreVolume(
            organisation_id=store.organisation_id, store=store, month=month, services=10
        )

    assert refused(volume(store_a, dt.date(2025, 3, 2)))
    assert refused(volume(store_a, dt.date(2025, 12, 31)))
    assert not refused(volume(store_a, dt.date(2025, 3, 1)))
    assert refused(volume(store_a, dt.date(2025, 3, 1)))
    assert not refused(volume(store_b, dt.date(2025, 3, 1)))
    assert not refused(volume(store_a, dt.date(2025, 10, 1)))
