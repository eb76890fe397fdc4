"""A store's monthly recovery budget: what counts as spent in which (Shanghai) month, the
warning level from 80% and beyond 100%, the warning when proposing, and one notification to
the store manager per month and step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from conftest import at
from manyi.cases.tests.ui_helpers import open_case
from manyi.notifications.models import Notification
from manyi.recovery import selectors, services
from manyi.recovery.models import RecoveryAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category, store_a):
    store_a.monthly_recovery_budget = Decimal("1000")
    store_a.save()
    return open_case(agent, customer, category)


def another(case):
    """A second case of the same store: one person's actions on one case share their limit."""
    return open_case(case.owner, case.customer, case.category)


def add(case, value, state, when, by):
    return RecoveryAction.objects.create(
        organisation_id=case.organisation_id,
        store_id=case.store_id,
        case=case,
        kind="refund",
        value=Decimal(value),
        state=state,
        requested_by=by,
        requested_at=when,
    )


def test_spent_counts_approved_and_given_actions_of_the_shanghai_month(case, agent, store_a):
    add(case, "100", "approved", at(2026, 3, 1, 0, 30), agent)  # 28 Feb 16:30 UTC: March
    add(case, "200", "given", at(2026, 3, 31, 23, 59), agent)
    add(case, "300", "pending", at(2026, 3, 15, 10, 0), agent)
    add(case, "400", "rejected", at(2026, 3, 15, 10, 0), agent)
    add(case, "500", "cancelled", at(2026, 3, 15, 10, 0), agent)
    add(case, "50", "approved", at(2026, 2, 28, 23, 59), agent)  # February
    add(case, "60", "approved", at(2026, 4, 1, 0, 0), agent)  # April
    march = selectors.budget_status(store_a, dt.date(2026, 3, 1))
    assert march.spent == Decimal("300") and march.pending == Decimal("300")
    assert march.budget == Decimal("1000") and march.remaining == Decimal("700")
    assert march.percent == 30 and march.level == "ok"
    assert selectors.budget_status(store_a, at(2026, 2, 10, 9, 0)).spent == Decimal("50")
    assert selectors.budget_status(store_a, dt.date(2026, 4, 20)).spent == Decimal("60")


def test_a_march_request_approved_in_april_is_march_spending(case, agent, supervisor, store_a):
    """docs/architecture.md: an action counts in the month it was requested (the money was
    committed then), not the month it was approved."""
    requested = at(2026, 3, 31, 18, 0)
    pending = services.propose_action(
        actor=agent, case=case, kind="refund", value="600", now=requested
    ).action
    services.approve_action(actor=supervisor, action=pending, now=at(2026, 4, 2, 9, 0))
    assert selectors.budget_status(store_a, dt.date(2026, 3, 1)).spent == Decimal("600")
    assert selectors.budget_status(store_a, dt.date(2026, 4, 1)).spent == Decimal("0")


def test_level_is_a_warning_from_80_percent_and_exceeded_beyond_the_budget(case, agent, store_a):
    march = dt.date(2026, 3, 1)
    add(case, "799.99", "approved", at(2026, 3, 2, 9, 0), agent)
    assert selectors.budget_status(store_a, march).level == "ok"
    add(case, "0.01", "approved", at(2026, 3, 2, 9, 0), agent)
    status = selectors.budget_status(store_a, march)
    assert status.level == "warning" and status.percent == 80
    add(case, "200", "given", at(2026, 3, 2, 9, 0), agent)
    status = selectors.budget_status(store_a, march)
    assert status.level == "warning" and status.percent == 100 and status.remaining == 0
    add(case, "0.01", "approved", at(2026, 3, 2, 9, 0), agent)
    status = selectors.budget_status(store_a, march)
    assert status.level == "exceeded" and status.over == Decimal("0.01")


def test_a_store_without_budget_never_warns(case, agent, store_a):
    store_a.monthly_recovery_budget = None
    store_a.save()
    result = services.propose_action(actor=agent, case=case, kind="gift", value="150")
    assert result.budget_warning is None
    status = selectors.budget_status(store_a, dt.date.today())
    assert status.level == "ok" and status.percent is None and status.spent == Decimal("150")


def test_proposing_warns_before_the_budget_runs_out_and_beyond_it(case, agent, supervisor):
    now = at(2026, 3, 9, 10, 0)
    first = services.propose_action(actor=agent, case=case, kind="gift", value="150", now=now)
    assert first.budget_warning is None
    add(case, "500", "approved", now, supervisor)
    # 650 spent + this 190 = 840: 84% of 1,000.
    second = services.propose_action(
        actor=agent, case=another(case), kind="gift", value="190", now=now
    )
    assert second.action.state == "approved"
    assert second.budget_warning and "84%" in second.budget_warning
    third = services.propose_action(actor=agent, case=case, kind="refund", value="900", now=now)
    assert third.action.state == "pending"  # beyond the budget does not block
    assert third.budget_warning and "1,740.00" in third.budget_warning


def test_the_store_manager_is_notified_once_per_month_and_step(case, agent, manager):
    now = at(2026, 3, 9, 10, 0)
    services.propose_action(actor=agent, case=case, kind="gift", value="200", now=now)
    assert not Notification.objects.filter(kind="recovery_budget").exists()
    add(case, "590", "approved", now, agent)
    services.propose_action(actor=agent, case=another(case), kind="gift", value="10", now=now)
    services.propose_action(actor=agent, case=another(case), kind="gift", value="10", now=now)
    budget = Notification.objects.filter(kind="recovery_budget")
    assert list(budget.values_list("recipient", "dedupe_key")) == [
        (manager.pk, f"budget:{case.store_id}:2026-03:80")
    ]
    services.propose_action(actor=agent, case=another(case), kind="gift", value="195", now=now)
    assert sorted(budget.values_list("dedupe_key", flat=True)) == [
        f"budget:{case.store_id}:2026-03:100",
        f"budget:{case.store_id}:2026-03:80",
    ]
    services.propose_action(actor=agent, case=another(case), kind="gift", value="5", now=now)
    assert budget.count() == 2


def test_approving_can_cross_the_threshold_too(case, agent, supervisor, manager):
    now = at(2026, 3, 9, 10, 0)
    pending = services.propose_action(actor=agent, case=case, kind="refund", value="850", now=now)
    assert not Notification.objects.filter(kind="recovery_budget").exists()  # pending only
    services.approve_action(actor=supervisor, action=pending.action, now=now)
    assert Notification.objects.filter(kind="recovery_budget", recipient=manager).count() == 1


def test_budgets_for_lists_the_stores_a_user_works_in(case, agent, manager, store_b, agent_b):
    now = at(2026, 3, 9, 10, 0)
    add(case, "120", "approved", now, agent)
    mine = selectors.budgets_for(agent, now)
    assert [(b.store_id, b.spent) for b in mine] == [(case.store_id, Decimal("120"))]
    everyone = {b.store_id: b for b in selectors.budgets_for(manager, now)}
    assert set(everyone) == {case.store_id, store_b.pk}
    assert everyone[store_b.pk].spent == 0 and everyone[store_b.pk].budget is None


def test_admin_sets_a_store_budget(admin_user, store_a, supervisor, other_org):
    services.set_store_budget(actor=admin_user, store=store_a, budget="8000")
    store_a.refresh_from_db()
    assert store_a.monthly_recovery_budget == Decimal("8000")
    services.set_store_budget(actor=admin_user, store=store_a, budget="")
    store_a.refresh_from_db()
    assert store_a.monthly_recovery_budget is None
    with pytest.raises(PermissionDenied):
        services.set_store_budget(actor=supervisor, store=store_a, budget="1")
    from manyi.core.errors import NotFound

    with pytest.raises(NotFound):
        services.set_store_budget(actor=admin_user, store=other_org["store"], budget="1")
