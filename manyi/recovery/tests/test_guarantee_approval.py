"""A staff-recorded guarantee payout beyond the recorder's authority waits for approval: the
approvers are asked, the customer is told only when it is approved (never when rejected), and
the timeline and staff notifications say which it is. Payouts found by detection and those
within the recorder's limit are approved by the guarantee at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import at
from manyi.audit.models import AuditEvent
from manyi.cases import services as case_services
from manyi.core.errors import DomainError
from manyi.notifications.models import CustomerMessage, Notification
from manyi.recovery import services
from manyi.recovery.guarantees import (
    ensure_default_guarantees,
    record_staff_event,
    tell_customer_of_payout,
)
from manyi.recovery.models import Guarantee, RecoveryAction

pytestmark = pytest.mark.django_db

RECEIVED = at(2026, 3, 4, 9, 0)
RECORDED = at(2026, 3, 5, 10, 0)
DECIDED = at(2026, 3, 5, 15, 0)


@pytest.fixture(autouse=True)
def _english_notifications(settings):
    settings.LANGUAGE_CODE = "en"  # stored texts are written in the site language


@pytest.fixture
def billing(org):
    ensure_default_guarantees(org)
    g = Guarantee.objects.get(organisation=org, code="billing_error_double")
    g.starts_at = at(2026, 1, 1, 0, 0)
    g.save()
    return g


@pytest.fixture
def case(agent, customer, category):
    return case_services.create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary="保养收费多收",
        received_at=RECEIVED,
        now=RECEIVED,
    )


def _record(actor, case, g, amount):
    return record_staff_event(
        actor=actor,
        case=case,
        guarantee=g,
        amount_involved=Decimal(amount),
        note="工时费重复收取",
        now=RECORDED,
    )


def _told(kind):
    return {
        (n.recipient.username, n.subject)
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    }


def test_an_agent_cannot_pay_out_100000_by_entering_50000(
    org, agent, supervisor, manager, admin_user, billing, case
):
    breach = _record(agent, case, billing, "50000")  # the agent's limit is ¥200

    assert breach.payout == Decimal("100000.00")
    action = RecoveryAction.objects.get(guarantee_breach=breach)
    assert (action.state, action.value, action.requested_by) == (
        "pending",
        Decimal("100000.00"),
        agent,
    )
    assert (action.decided_by, action.decided_at, action.decision_reason) == (None, None, "")
    assert not CustomerMessage.objects.exists()  # the customer is not promised anything yet
    # only someone whose limit covers ¥100,000 is asked: the organisation admin
    approvers = {username for username, _subject in _told("recovery_approval")}
    assert approvers == {"orgadmin"}
    with pytest.raises(DomainError):  # a store manager's ¥5,000 does not cover it
        services.approve_action(actor=manager, action=action, now=DECIDED)
    assert not CustomerMessage.objects.exists()


def test_a_payout_beyond_the_recorders_limit_waits_and_the_customer_is_told_on_approval(
    org, agent, supervisor, manager, billing, case
):
    breach = _record(agent, case, billing, "120")  # ¥240 > the agent's ¥200

    action = breach.payout_action
    assert action.state == "pending"
    event = AuditEvent.objects.get(case=case, kind="guarantee")
    assert event.changes["action_state"] == [None, "pending"]
    assert event.changes["payout"] == [None, "240.00"]
    asked = _told("recovery_approval")
    assert {username for username, _subject in asked} == {"supervisor", "manager"}
    assert all("Approval needed" in subject for _username, subject in asked)
    breach_notes = _told("guarantee_breach")
    assert {username for username, _subject in breach_notes} == {"agent", "manager"}
    assert all("waiting for approval" in subject for _username, subject in breach_notes)
    assert not any(" paid" in subject for _username, subject in breach_notes)
    assert not CustomerMessage.objects.exists()

    approved = services.approve_action(actor=supervisor, action=action, now=DECIDED)

    assert (approved.state, approved.decided_by, approved.decided_at) == (
        "approved",
        supervisor,
        DECIDED,
    )
    message = CustomerMessage.objects.get()
    assert (message.kind, message.dedupe_key) == ("guarantee_payout", f"guarantee:{breach.pk}")
    assert "¥240.00" in message.body and billing.text_zh in message.body
    # telling again (a retry, a second call) sends nothing more
    tell_customer_of_payout(approved, now=DECIDED)
    assert CustomerMessage.objects.count() == 1


def test_a_rejected_guarantee_payout_is_never_told_to_the_customer(
    org, agent, supervisor, billing, case
):
    breach = _record(agent, case, billing, "120")

    services.reject_action(
        actor=supervisor, action=breach.payout_action, reason="金额核对有误", now=DECIDED
    )

    assert RecoveryAction.objects.get(guarantee_breach=breach).state == "rejected"
    assert not CustomerMessage.objects.exists()


def test_a_payout_within_the_recorders_limit_is_approved_by_the_guarantee_at_once(
    org, agent, supervisor, billing, case
):
    breach = _record(agent, case, billing, "100")  # ¥200: exactly the agent's limit

    action = breach.payout_action
    assert (action.state, action.decided_by, action.decided_at) == ("approved", None, RECORDED)
    assert action.decision_reason == f"Approved by the service guarantee “{billing.name}”"
    assert CustomerMessage.objects.filter(dedupe_key=f"guarantee:{breach.pk}").exists()
    assert not Notification.objects.filter(kind="recovery_approval").exists()
    assert all(" paid" in subject for _username, subject in _told("guarantee_breach"))


def test_an_ordinary_approval_sends_no_guarantee_message(org, agent, supervisor, case):
    action = services.propose_action(
        actor=agent, case=case, kind="gift", value="500", now=RECORDED
    ).action
    assert action.state == "pending"

    services.approve_action(actor=supervisor, action=action, now=DECIDED)

    assert not CustomerMessage.objects.filter(kind="guarantee_payout").exists()
