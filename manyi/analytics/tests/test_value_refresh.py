"""The refresh of the customer value table: the worksheet value worked by hand, the BG/NBD
ordering of customers by probability alive, the stored fit, the fallback below fifty
customers, home stores and replacement of the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from conftest import at
from manyi.analytics.models import CustomerValue, ValueModelFit
from manyi.analytics.tests.data_value import TODAY, population, purchases
from manyi.analytics.value import refresh_customer_values
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = at(2026, 4, 15, 12, 0)


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def world(org, store_a, store_b):
    people = population(store_a, 60)
    # Two years of age: ¥300 over 730 days → ¥150 a year × 5 years = ¥750.
    old = CustomerFactory(store=store_b, phone="13700000001")
    purchases(old, (days_ago(730), "100"), (days_ago(365), "200"))
    # Ten days of age count as a whole year: ¥80 a year × 5 = ¥400.
    new = CustomerFactory(store=store_a, phone="13700000002")
    purchases(new, (days_ago(10), "80"))
    # Came twice two years ago and never again, against one who comes every week.
    gone = CustomerFactory(store=store_a, phone="13700000003")
    purchases(gone, (days_ago(700), "500"), (days_ago(690), "500"))
    loyal = CustomerFactory(store=store_a, phone="13700000004")
    purchases(loyal, *[(days_ago(7 * k + 1), "200") for k in range(26)])
    return {"people": people, "old": old, "new": new, "gone": gone, "loyal": loyal}


def test_worksheet_value_is_spend_a_year_times_retention_years(org, world):
    refresh_customer_values(organisation=org, now=NOW)
    old = CustomerValue.objects.get(customer=world["old"])
    assert old.worksheet_value == Decimal("750.00")
    assert old.transactions == 2 and old.total_spend == Decimal("300.00")
    assert old.first_on == days_ago(730) and old.last_on == days_ago(365)
    assert old.frequency == 1 and old.recency_days == 365 and old.age_days == 730
    assert old.spend_mean == Decimal("200.00")  # the repeat purchase only
    assert CustomerValue.objects.get(customer=world["new"]).worksheet_value == Decimal("400.00")


def test_retention_years_come_from_the_fit(org, world):
    ValueModelFit.objects.create(
        organisation=org, computed_at=NOW, customers=0, transactions=0, retention_years=2
    )
    refresh_customer_values(organisation=org, now=NOW)
    # ¥150 a year × 2 years.
    assert CustomerValue.objects.get(customer=world["old"]).worksheet_value == Decimal("300.00")


def test_a_customer_gone_for_long_is_less_likely_alive_than_a_weekly_one(org, world):
    fit = refresh_customer_values(organisation=org, now=NOW)
    assert fit.error == ""
    gone = CustomerValue.objects.get(customer=world["gone"])
    loyal = CustomerValue.objects.get(customer=world["loyal"])
    assert gone.p_alive is not None and loyal.p_alive is not None
    assert gone.p_alive < 0.5 < loyal.p_alive
    assert loyal.expected_visits_12m is not None and gone.expected_visits_12m is not None
    assert loyal.expected_visits_12m > gone.expected_visits_12m
    # A single purchase: alive for sure in the BG/NBD, nothing at risk.
    new = CustomerValue.objects.get(customer=world["new"])
    assert new.p_alive == 1.0 and new.value_at_risk == Decimal("0.00")


def test_value_at_risk_is_value_if_kept_times_the_chance_of_leaving(org, world):
    refresh_customer_values(organisation=org, now=NOW)
    for v in CustomerValue.objects.all():
        assert v.value_if_kept_12m is not None and v.p_alive is not None
        assert v.value_at_risk is not None and v.expected_value_12m is not None
        expected = float(v.value_if_kept_12m) * (1 - v.p_alive)
        assert float(v.value_at_risk) == pytest.approx(expected, abs=0.011)
        # Kept, a customer is worth at least what is expected of them.
        assert v.value_if_kept_12m >= v.expected_value_12m - Decimal("0.01")
    gone = CustomerValue.objects.get(customer=world["gone"])
    assert gone.value_at_risk is not None and gone.value_at_risk > 0


def test_the_fit_is_stored_with_its_parameters_and_sizes(org, world):
    fit = refresh_customer_values(organisation=org, now=NOW)
    fit.refresh_from_db()
    assert fit.customers == 64 == CustomerValue.objects.filter(organisation=org).count()
    assert fit.transactions == _transactions(org)
    assert set(fit.bgnbd) >= {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(fit.gamma_gamma) >= {"p", "q", "v"}
    assert fit.computed_at == NOW and fit.seconds > 0


def _transactions(org) -> int:
    from manyi.analytics.models import Transaction

    return Transaction.objects.filter(organisation=org).count()


def test_rows_carry_the_home_store_rfm_and_are_replaced_on_refresh(org, world, store_b):
    refresh_customer_values(organisation=org, now=NOW)
    refresh_customer_values(organisation=org, now=NOW)
    assert CustomerValue.objects.filter(organisation=org).count() == 64
    old = CustomerValue.objects.get(customer=world["old"])
    assert old.store_id == store_b.pk
    assert len(old.rfm) == 3 and old.segment
    # The most recent, most frequent customer is a champion; the one gone two years is not.
    assert CustomerValue.objects.get(customer=world["loyal"]).segment == "champions"
    assert CustomerValue.objects.get(customer=world["gone"]).rfm[0] == "1"


def test_below_fifty_customers_the_model_is_not_fitted_but_the_worksheet_is(org, store_a):
    few = [CustomerFactory(store=store_a, phone=f"1370000100{i}") for i in range(3)]
    purchases(few[0], (days_ago(730), "100"), (days_ago(365), "200"))
    purchases(few[1], (days_ago(30), "50"))
    purchases(few[2], (days_ago(400), "10"), (days_ago(5), "30"))
    with translation.override("en"):
        fit = refresh_customer_values(organisation=org, now=NOW)
    assert "Too few customers" in fit.error and "3" in fit.error
    assert fit.bgnbd == {} and fit.customers == 3
    v = CustomerValue.objects.get(customer=few[0])
    assert v.p_alive is None and v.value_at_risk is None and v.expected_value_12m is None
    assert v.worksheet_value == Decimal("750.00")
    assert v.segment


def test_an_organisation_without_transactions_gets_an_empty_table(org, other_org):
    purchases(other_org["customer"], (days_ago(3), "10"))
    fit = refresh_customer_values(organisation=org, now=NOW)
    assert fit.customers == 0 and fit.error
    assert not CustomerValue.objects.filter(organisation=org).exists()
    # The other organisation's rows are not touched by this one's refresh.
    refresh_customer_values(organisation=other_org["org"], now=NOW)
    refresh_customer_values(organisation=org, now=NOW)
    assert CustomerValue.objects.filter(organisation=other_org["org"]).count() == 1


def test_transactions_after_today_are_ignored(org, store_a):
    c = CustomerFactory(store=store_a, phone="13700000009")
    purchases(c, (days_ago(100), "10"), (TODAY + dt.timedelta(days=3), "999"))
    refresh_customer_values(organisation=org, now=NOW)
    v = CustomerValue.objects.get(customer=c)
    assert v.transactions == 1 and v.total_spend == Decimal("10.00")
