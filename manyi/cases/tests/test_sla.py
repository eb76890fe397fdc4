"""The SLA engine: policy choice, due times on the business calendar, pause and resume,
re-evaluation, next_update cycles."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import at
from manyi.cases import services
from manyi.cases.choices import SlaState, Status
from manyi.cases.models import CaseSla, SlaEvent, SlaPolicy, SlaTarget
from manyi.cases.sla import CaseFacts, choose_policy, policy_matches

pytestmark = pytest.mark.django_db


def clocks(case):
    return {c.metric: c for c in CaseSla.objects.filter(case=case)}


def new_case(agent, customer, category, *, now, severity="normal", channel="phone"):
    return services.create_case(
        actor=agent,
        customer=customer,
        channel=channel,
        category=category,
        summary="交车延误两天",
        severity=severity,
        received_at=now,
        now=now,
    )


def test_policy_matching_is_by_rank_and_all_conditions():
    facts = CaseFacts(
        severity="high",
        channel="phone",
        category_codes=frozenset({"a", "p"}),
        customer_tier="vip",
        store_code="PD",
    )
    assert policy_matches({"severity": ["high"], "store": ["PD"]}, facts)
    assert not policy_matches({"severity": ["high"], "store": ["XH"]}, facts)
    assert policy_matches({"category": ["p"]}, facts)  # the parent category matches
    assert policy_matches({"severity": []}, facts)  # an empty list matches anything
    p1 = SlaPolicy(pk=1, name="vip", rank=5, match={"customer_tier": ["vip"]})
    p2 = SlaPolicy(pk=2, name="high", rank=1, match={"severity": ["high"]})
    d = SlaPolicy(pk=3, name="default", rank=0, match={}, is_default=True)
    assert choose_policy([p1, p2, d], facts) == p2
    other = CaseFacts("low", "web", frozenset(), "regular", "PD")
    assert choose_policy([p1, p2, d], other) == d


def test_due_times_follow_the_store_calendar(agent, customer, category):
    # Friday 2026-03-06 17:00: 60 minutes left today, weekend skipped, 09:00 Monday onwards.
    case = new_case(agent, customer, category, now=at(2026, 3, 6, 17, 0))
    c = clocks(case)
    assert case.sla_policy.is_default
    # first_response: 480 business minutes = 60 (Fri) + 180 (Mon am) + 240 (Mon pm) -> 17:30
    assert c["first_response"].due_at == at(2026, 3, 9, 17, 30)
    # warning at 75% = 360 minutes: 60 + 180 + 120 -> Mon 15:30
    assert c["first_response"].warn_at == at(2026, 3, 9, 15, 30)
    # resolution: 4320 calendar minutes = 72 hours
    assert c["resolution"].due_at == at(2026, 3, 9, 17, 0)
    assert "next_update" not in c
    case.refresh_from_db()
    assert case.next_due_at == at(2026, 3, 9, 17, 0)


def test_critical_case_uses_the_critical_policy(agent, customer, category):
    case = new_case(agent, customer, category, now=at(2026, 3, 4, 11, 30), severity="critical")
    assert case.sla_policy.match == {"severity": ["critical"]}
    # 60 business minutes: 30 before lunch, 30 after 13:30
    assert clocks(case)["first_response"].due_at == at(2026, 3, 4, 14, 0)


def test_response_fulfils_first_response_and_starts_next_update(agent, customer, category):
    case = new_case(agent, customer, category, now=at(2026, 3, 4, 9, 0))
    case = services.respond_to_case(
        actor=agent, case=case, message="已致电客户道歉", now=at(2026, 3, 4, 10, 0)
    )
    c = clocks(case)
    assert case.status == Status.ACKNOWLEDGED
    assert c["first_response"].state == SlaState.FULFILLED
    assert c["first_response"].business_minutes_elapsed == 60
    assert c["next_update"].state == SlaState.ACTIVE
    # 960 business minutes from Wed 10:00: 120+270 Wed, 450 Thu, 120 Fri -> Fri 11:00
    assert c["next_update"].due_at == at(2026, 3, 6, 11, 0)
    services.respond_to_case(actor=agent, case=case, message="进度更新", now=at(2026, 3, 5, 9, 0))
    c = clocks(case)
    assert c["next_update"].cycle == 2
    # 960 from Thu 09:00: 450 Thu, 450 Fri, 60 on Monday -> Mon 10:00
    assert c["next_update"].due_at == at(2026, 3, 9, 10, 0)


def test_a_late_answer_is_a_breach_even_when_the_sweep_never_ran(agent, customer, category):
    # Friday 17:00: first response due Monday 17:30. Answered Tuesday 09:00, no sweep between
    # (the worker was stopped, or an old case is entered with its own times).
    case = new_case(agent, customer, category, now=at(2026, 3, 6, 17, 0))
    case = services.respond_to_case(
        actor=agent, case=case, message="抱歉回复晚了", now=at(2026, 3, 10, 9, 0)
    )
    first = clocks(case)["first_response"]
    assert first.state == SlaState.BREACHED
    assert first.breached_at == at(2026, 3, 9, 17, 30)
    assert first.fulfilled_at == at(2026, 3, 10, 9, 0)
    kinds = list(
        SlaEvent.objects.filter(case=case, metric="first_response")
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds[-2:] == ["breached", "fulfilled"]
    # On time it stays a plain fulfilment.
    other = new_case(agent, customer, category, now=at(2026, 3, 6, 17, 0))
    other = services.respond_to_case(
        actor=agent, case=other, message="已回电", now=at(2026, 3, 9, 17, 0)
    )
    assert clocks(other)["first_response"].state == SlaState.FULFILLED


def test_waiting_on_customer_pauses_and_resumes_with_remaining_time(agent, customer, category):
    case = new_case(agent, customer, category, now=at(2026, 3, 4, 9, 0))
    case = services.change_status(
        actor=agent, case=case, status="waiting_customer", now=at(2026, 3, 4, 10, 0)
    )
    c = clocks(case)["first_response"]
    assert c.state == SlaState.PAUSED and c.due_at is None
    assert c.business_minutes_elapsed == 60
    case = services.change_status(
        actor=agent, case=case, status="in_progress", now=at(2026, 3, 5, 9, 0)
    )
    c = clocks(case)["first_response"]
    assert c.state == SlaState.ACTIVE
    # 420 minutes left from Thu 09:00: 180 + 240 -> 17:30
    assert c.due_at == at(2026, 3, 5, 17, 30)
    kinds = list(
        SlaEvent.objects.filter(case=case, metric="first_response")
        .values_list("kind", flat=True)
        .order_by("id")
    )
    assert kinds == ["applied", "paused", "resumed"]


def test_severity_change_reevaluates_due_times_and_says_so(agent, customer, category):
    case = new_case(agent, customer, category, now=at(2026, 3, 4, 9, 0))
    case = services.update_case(
        actor=agent,
        case=case,
        changes={"severity": "critical"},
        version=case.version,
        now=at(2026, 3, 4, 9, 30),
    )
    c = clocks(case)
    assert case.sla_policy.match == {"severity": ["critical"]}
    # 30 minutes already elapsed of a 60-minute target -> 10:00
    assert c["first_response"].due_at == at(2026, 3, 4, 10, 0)
    assert case.events.filter(kind="sla").exists()


def test_illegal_transition_is_a_clear_error(agent, customer, category):
    from manyi.core.errors import DomainError

    case = new_case(agent, customer, category, now=at(2026, 3, 4, 9, 0))
    with pytest.raises(DomainError) as e:
        services.change_status(actor=agent, case=case, status="closed")
    assert e.value.field == "status"


def test_stale_version_is_refused(agent, customer, category):
    from manyi.core.errors import ConflictError

    case = new_case(agent, customer, category, now=at(2026, 3, 4, 9, 0))
    v = case.version
    services.update_case(actor=agent, case=case, changes={"summary": "第一次修改"}, version=v)
    with pytest.raises(ConflictError):
        services.update_case(actor=agent, case=case, changes={"summary": "第二次"}, version=v)


def test_resolve_and_reopen_restarts_resolution_clock(agent, customer, category):
    case = new_case(agent, customer, category, now=at(2026, 3, 4, 9, 0))
    case = services.change_status(
        actor=agent, case=case, status="resolved", outcome="in_favour", now=at(2026, 3, 4, 12, 0)
    )
    assert clocks(case)["resolution"].state == SlaState.FULFILLED
    case = services.change_status(
        actor=agent,
        case=case,
        status="in_progress",
        note="客户来电说问题仍在",
        now=at(2026, 3, 5, 9, 0),
    )
    c = clocks(case)["resolution"]
    assert case.events.filter(kind="reopened").exists()
    assert c.state == SlaState.ACTIVE
    # 180 calendar minutes used, 4140 left from Thu 09:00 -> Sun 2026-03-08 06:00
    assert c.due_at == at(2026, 3, 8, 6, 0)


def test_calendar_target_counts_wall_clock(org, agent, customer, category):
    policy = SlaPolicy.objects.get(organisation=org, is_default=True)
    SlaTarget.objects.filter(policy=policy, metric="first_response").update(
        minutes=120, clock="calendar"
    )
    case = new_case(agent, customer, category, now=at(2026, 3, 7, 23, 0))
    assert clocks(case)["first_response"].due_at == at(2026, 3, 8, 1, 0)
    assert clocks(case)["first_response"].due_at - case.received_at == dt.timedelta(hours=2)


def test_resolving_an_unanswered_case_stops_every_clock(agent, customer, category):
    case = new_case(agent, customer, category, now=at(2026, 3, 4, 9, 0))
    case = services.change_status(
        actor=agent, case=case, status="resolved", outcome="in_favour", now=at(2026, 3, 4, 11, 0)
    )
    c = clocks(case)
    assert c["first_response"].state == SlaState.FULFILLED
    assert c["resolution"].state == SlaState.FULFILLED
    case.refresh_from_db()
    assert case.next_due_at is None
