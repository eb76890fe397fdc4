"""Recovery actions within authority and their approval: limits per role and per person, the
approval queue, who may decide, and what the timeline and the requester see."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from conftest import at
from manyi.accounts.choices import Role
from manyi.audit.models import AuditEvent, EventKind
from manyi.audit.presenters import describe
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.errors import DomainError, NotFound, ValidationFailed
from manyi.core.tests.factories import UserFactory
from manyi.notifications.models import Notification
from manyi.recovery import selectors, services
from manyi.recovery.models import RecoveryAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category)


def propose(actor, case, value, kind="refund", note="", now=None):
    return services.propose_action(
        actor=actor, case=case, kind=kind, value=value, note=note, now=now
    )


# --- limits -------------------------------------------------------------------------------


def test_role_limits_default_and_organisation_overrides(
    org, agent, supervisor, manager, admin_user
):
    assert services.authority_limit(agent) == Decimal("200")
    assert services.authority_limit(supervisor) == Decimal("1000")
    assert services.authority_limit(manager) == Decimal("5000")
    assert services.authority_limit(admin_user) is None  # no limit
    org.authority_limits = {"agent": "300", "supervisor": "1500.50", "org_admin": "20000"}
    org.save()
    agent.refresh_from_db()
    supervisor.refresh_from_db()
    admin_user.refresh_from_db()
    assert services.authority_limit(agent) == Decimal("300")
    assert services.authority_limit(supervisor) == Decimal("1500.50")
    assert services.authority_limit(admin_user) == Decimal("20000")
    assert services.limits_for(org)["store_manager"] == Decimal("5000")  # default kept


def test_a_personal_limit_overrides_the_role(agent):
    agent.authority_limit = Decimal("800")
    agent.save()
    assert services.authority_limit(agent) == Decimal("800")
    agent.authority_limit = Decimal("0")
    agent.save()
    assert services.authority_limit(agent) == Decimal("0")


def test_inactive_staff_have_no_authority(agent):
    agent.is_active = False
    assert services.authority_limit(agent) == Decimal("0")


def test_admin_sets_role_limits_and_empty_means_no_limit(org, admin_user, agent, supervisor):
    services.set_authority_limits(actor=admin_user, limits={"agent": "50", "supervisor": None})
    org.refresh_from_db()
    assert org.authority_limits == {"agent": "50.00", "supervisor": None}
    agent.refresh_from_db()
    supervisor.refresh_from_db()
    assert services.authority_limit(agent) == Decimal("50")
    assert services.authority_limit(supervisor) is None
    with pytest.raises(ValidationFailed) as e:
        services.set_authority_limits(actor=admin_user, limits={"agent": "-1", "boss": "5"})
    assert set(e.value.fields) == {"agent", "boss"}
    with pytest.raises(PermissionDenied):  # for anyone but an org admin
        services.set_authority_limits(actor=supervisor, limits={"agent": "9999"})
    org.refresh_from_db()
    assert org.authority_limits["agent"] == "50.00"


# --- proposing ----------------------------------------------------------------------------


def test_within_limit_the_action_is_approved_at_once(agent, case):
    result = propose(agent, case, "200", note="退还等待期间的代步车费用")
    action = result.action
    assert action.state == "approved"
    assert action.decided_by == agent and action.decided_at is not None
    assert action.decision_reason == services.WITHIN_AUTHORITY
    assert action.value == Decimal("200.00") and action.store_id == case.store_id
    event = AuditEvent.objects.get(case=case, kind=EventKind.RECOVERY)
    assert event.changes == {
        "action_kind": [None, "refund"],
        "value": [None, "200.00"],
        "action_state": [None, "approved"],
    }
    assert event.message == "退还等待期间的代步车费用"
    assert not Notification.objects.filter(kind="recovery_approval").exists()


def test_over_limit_waits_and_notifies_those_who_may_approve(
    agent, supervisor, manager, admin_user, agent_b, case
):
    other_supervisor = UserFactory(store=agent_b.store, role=Role.SUPERVISOR)
    action = propose(agent, case, "800").action
    assert action.state == "pending" and action.decided_by is None
    notified = set(
        Notification.objects.filter(kind="recovery_approval").values_list("recipient", flat=True)
    )
    # The store's supervisor (limit 1,000), the store manager and the org admin; not the
    # requester, not a supervisor of another store.
    assert notified == {supervisor.pk, manager.pk, admin_user.pk}
    assert other_supervisor.pk not in notified
    higher = propose(agent, case, "3000").action
    notified = set(
        Notification.objects.filter(
            kind="recovery_approval", dedupe_key=f"recovery-pending:{higher.pk}"
        ).values_list("recipient", flat=True)
    )
    assert notified == {manager.pk, admin_user.pk}  # the supervisor's 1,000 is too low


def test_values_are_checked(agent, case):
    for bad, field in (
        ("-1", "value"),
        ("10.005", "value"),
        ("1000000.01", "value"),
        ("abc", "value"),
    ):
        with pytest.raises(ValidationFailed) as e:
            propose(agent, case, bad)
        assert field in e.value.fields, bad
    with pytest.raises(ValidationFailed) as e:
        propose(agent, case, "10", kind="bribe")
    assert "kind" in e.value.fields
    assert not RecoveryAction.objects.exists()
    assert propose(agent, case, "0", kind="apology").action.state == "approved"


def test_a_closed_case_takes_no_actions_but_a_resolved_one_does(agent, case):
    from manyi.cases.services import change_status

    change_status(actor=agent, case=case, status="resolved", outcome="in_favour")
    assert propose(agent, case, "50", kind="gift").action.state == "approved"
    change_status(
        actor=agent,
        case=case,
        status="closed",
        root_cause="process",
        root_cause_note="交车流程没有预留检查时间",
        corrective_action="交车前一天完成检查",
    )
    with pytest.raises(DomainError) as e:
        propose(agent, case, "50", kind="gift")
    assert e.value.code == "case_closed"


def test_someone_outside_the_store_cannot_propose(agent_b, case, other_org):
    with pytest.raises(NotFound):
        propose(agent_b, case, "10")
    with pytest.raises(NotFound):
        propose(other_org["user"], case, "10")


# --- deciding -----------------------------------------------------------------------------


def test_an_agent_cannot_approve_her_own_over_limit_action(agent, case):
    agent.authority_limit = None
    action = propose(agent, case, "500").action
    agent.authority_limit = Decimal("10000")  # even with enough authority now
    agent.save()
    with pytest.raises(DomainError) as e:
        services.approve_action(actor=agent, action=action)
    assert e.value.code == "own_action"
    action.refresh_from_db()
    assert action.state == "pending"


def test_approval_by_someone_whose_limit_is_too_low_is_refused(agent, supervisor, manager, case):
    action = propose(agent, case, "3000").action
    with pytest.raises(DomainError) as e:
        services.approve_action(actor=supervisor, action=action, reason="可以")
    assert e.value.code == "beyond_authority"
    with pytest.raises(DomainError):
        services.reject_action(actor=supervisor, action=action, reason="太多")
    action.refresh_from_db()
    assert action.state == "pending"
    approved = services.approve_action(
        actor=manager, action=action, reason="客户等了两周", now=at(2026, 3, 9, 10, 0)
    )
    assert approved.state == "approved" and approved.decided_by == manager
    assert approved.decision_reason == "客户等了两周"
    assert approved.decided_at == at(2026, 3, 9, 10, 0)
    events = list(AuditEvent.objects.filter(case=case, kind=EventKind.RECOVERY).order_by("id"))
    assert events[-1].changes["action_state"] == ["pending", "approved"]
    assert events[-1].actor == manager and events[-1].message == "客户等了两周"
    told = Notification.objects.get(kind="recovery_decision", recipient=agent)
    assert case.number in told.subject


def test_a_supervisor_of_another_store_cannot_see_the_action(agent, agent_b, case):
    other = UserFactory(store=agent_b.store, role=Role.SUPERVISOR)
    action = propose(agent, case, "500").action
    with pytest.raises(NotFound):
        services.approve_action(actor=other, action=action)


def test_reject_needs_a_reason_and_tells_the_requester(agent, supervisor, case):
    action = propose(agent, case, "500").action
    with pytest.raises(DomainError) as e:
        services.reject_action(actor=supervisor, action=action, reason="  ")
    assert e.value.field == "reason"
    rejected = services.reject_action(actor=supervisor, action=action, reason="先道歉，不退款")
    assert rejected.state == "rejected" and rejected.decision_reason == "先道歉，不退款"
    assert Notification.objects.filter(kind="recovery_decision", recipient=agent).exists()
    with pytest.raises(DomainError) as e:
        services.approve_action(actor=supervisor, action=action)
    assert e.value.code == "illegal_state"


def test_only_approved_actions_can_be_given(agent, supervisor, case):
    pending = propose(agent, case, "500").action
    with pytest.raises(DomainError) as e:
        services.give_action(actor=agent, action=pending)
    assert e.value.code == "illegal_state"
    services.approve_action(actor=supervisor, action=pending)
    given = services.give_action(actor=agent, action=pending, note="已退到客户卡上")
    assert given.state == "given" and given.given_by == agent and given.given_at is not None
    with pytest.raises(DomainError):
        services.give_action(actor=agent, action=pending)
    rejected = propose(agent, case, "600").action
    services.reject_action(actor=supervisor, action=rejected, reason="不合适")
    with pytest.raises(DomainError):
        services.give_action(actor=agent, action=rejected)
    states = [
        e.changes["action_state"]
        for e in AuditEvent.objects.filter(case=case, kind=EventKind.RECOVERY).order_by("id")
    ]
    assert ["approved", "given"] in states


def test_cancel_by_the_requester_or_someone_with_authority(agent, supervisor, case):
    colleague = UserFactory(store=agent.store, role=Role.AGENT)
    action = propose(agent, case, "500").action
    with pytest.raises(DomainError):
        services.cancel_action(actor=colleague, action=action)
    assert services.cancel_action(actor=agent, action=action).state == "cancelled"
    other = propose(agent, case, "150").action
    assert (
        services.cancel_action(actor=supervisor, action=other, reason="重复").state == "cancelled"
    )
    with pytest.raises(DomainError):
        services.cancel_action(actor=agent, action=other)


def test_approval_queue_holds_what_i_may_decide_oldest_first(agent, supervisor, manager, case):
    mine = propose(supervisor, case, "2000", now=at(2026, 3, 9, 11, 0)).action  # over her limit
    big = propose(agent, case, "3000", now=at(2026, 3, 9, 10, 0)).action
    small = propose(agent, case, "500", now=at(2026, 3, 9, 9, 0)).action
    sup_queue = list(
        selectors.approval_queue(supervisor, limit=services.authority_limit(supervisor))
    )
    assert sup_queue == [small]
    mgr_queue = list(selectors.approval_queue(manager, limit=services.authority_limit(manager)))
    assert mgr_queue == [small, big, mine]  # oldest first
    assert list(selectors.my_pending(agent)) == [small, big]


def test_timeline_reads_the_recovery_events(agent, supervisor, case):
    from django.utils import translation

    action = propose(agent, case, "500").action
    services.approve_action(actor=supervisor, action=action, reason="同意")
    with translation.override("en"):
        views = [describe(e) for e in AuditEvent.objects.filter(case=case, kind="recovery")]
    assert any("Refund" in " ".join(v.details) for v in views)
    assert any("Waiting for approval → Approved" in " ".join(v.details) for v in views)
