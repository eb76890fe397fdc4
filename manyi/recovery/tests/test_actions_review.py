"""Rules added after review: authority cannot be dodged by splitting an action, an action
nobody's limit covers still reaches someone, and a guarantee payout cannot be withdrawn by the
person who recorded it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from manyi.accounts.choices import Role
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.errors import DomainError
from manyi.core.tests.factories import UserFactory
from manyi.recovery import services
from manyi.recovery.choices import ActionState
from manyi.recovery.guarantees import ensure_default_guarantees, record_staff_event
from manyi.recovery.models import Guarantee

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category)


def test_splitting_an_action_does_not_dodge_the_authority_limit(agent, case):
    first = services.propose_action(actor=agent, case=case, kind="gift", value="150").action
    second = services.propose_action(actor=agent, case=case, kind="gift", value="100").action
    assert first.state == ActionState.APPROVED
    # ¥150 + ¥100 is beyond her ¥200: the second waits for approval.
    assert second.state == ActionState.PENDING


def test_a_rejected_action_does_not_count_against_the_limit(agent, supervisor, case):
    big = services.propose_action(actor=agent, case=case, kind="gift", value="180").action
    services.cancel_action(actor=agent, action=big, reason="客户不要")
    again = services.propose_action(actor=agent, case=case, kind="gift", value="180").action
    assert again.state == ActionState.APPROVED


def test_an_action_beyond_everyone_goes_to_the_org_admins(org, agent, supervisor, case):
    org.authority_limits = {"org_admin": "1000", "store_manager": "1000"}
    org.save()
    admin = UserFactory(organisation=org, store=None, role=Role.ORG_ADMIN)
    action = services.propose_action(actor=agent, case=case, kind="refund", value="90000").action
    approvers = services.approvers_for(action, organisation=org)
    assert approvers == [admin]


def test_only_an_org_admin_may_cancel_a_guarantee_payout(org, agent, admin_user, case):
    ensure_default_guarantees(org)
    billing = Guarantee.objects.get(organisation=org, code="billing_error_double")
    breach = record_staff_event(
        actor=agent, case=case, guarantee=billing, amount_involved=Decimal("50"), note="多收"
    )
    payout = breach.payout_action
    with pytest.raises(DomainError) as refused:
        services.cancel_action(actor=agent, action=payout, reason="算错了")
    assert refused.value.code == "guarantee_payout"
    with pytest.raises(DomainError):
        services.cancel_action(actor=admin_user, action=payout, reason="")
    cancelled = services.cancel_action(actor=admin_user, action=payout, reason="重复登记")
    assert cancelled.state == ActionState.CANCELLED
