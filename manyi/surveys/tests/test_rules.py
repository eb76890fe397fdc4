"""Survey rules (`run_rules`, run by the worker every minute): a closed case or a reached
follow-up is invited once per rule, however often and by however many workers the rules run;
consent and the quiet period make it a skipped invitation that is never retried."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import at
from manyi.cases.models import Case
from manyi.cases.services import change_status, create_case
from manyi.core.tests.concurrency import needs_row_locks, run_at_once
from manyi.core.tests.factories import CustomerFactory
from manyi.followups.models import FollowUp
from manyi.followups.services import record_attempt
from manyi.notifications.models import CustomerMessage
from manyi.surveys.choices import InvitationChannel, InvitationSource, InvitationState
from manyi.surveys.models import Invitation, Survey
from manyi.surveys.rules import run_rules, save_rule
from manyi.surveys.services import install_template, invite_customer
from manyi.surveys.tasks import run_survey_rules

T0 = at(2026, 3, 2, 9, 0)  # the survey and its rule exist from Monday morning
H = dt.timedelta(hours=1)

pytestmark = pytest.mark.django_db


def close_case(agent, customer, category, *, at_: dt.datetime, summary: str = "等太久") -> Case:
    case = create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary=summary,
        received_at=at_ - 3 * H,
        now=at_ - 3 * H,
    )
    change_status(actor=agent, case=case, status="resolved", outcome="in_favour", now=at_ - H)
    return change_status(
        actor=agent,
        case=case,
        status="closed",
        root_cause="process",
        root_cause_note="排班不足",
        corrective_action="增加周末接待",
        now=at_,
    )


@pytest.fixture
def fairness(admin_user) -> Survey:
    return install_template(actor=admin_user, template_key="recovery_fairness", now=T0 - H)


@pytest.fixture
def rule(admin_user, fairness):
    return save_rule(actor=admin_user, survey=fairness, trigger="case_closed", now=T0)


def test_a_closed_case_is_invited_once_even_when_the_rules_run_twice(
    rule, agent, customer, category
):
    case = close_case(agent, customer, category, at_=T0 + 2 * H)

    assert run_rules(now=T0 + 3 * H) == {"sent": 1, "skipped": 0}
    assert run_rules(now=T0 + 4 * H) == {"sent": 0, "skipped": 0}

    invitation = Invitation.objects.get()
    assert (invitation.case, invitation.customer, invitation.rule) == (case, customer, rule)
    assert invitation.source == InvitationSource.CASE_CLOSED
    assert invitation.state == InvitationState.SENT
    assert invitation.channel == InvitationChannel.SMS
    assert invitation.staff == agent  # the case owner served the customer
    assert invitation.expires_at == T0 + 3 * H + dt.timedelta(days=rule.survey.expiry_days)
    assert CustomerMessage.objects.filter(kind="survey_invitation", customer=customer).count() == 1


def test_the_task_runs_the_rules(admin_user, fairness, agent, customer, category):
    now = timezone.now()
    save_rule(actor=admin_user, survey=fairness, trigger="case_closed", now=now - 5 * H)
    close_case(agent, customer, category, at_=now - H)
    assert run_survey_rules.call() == {"sent": 1, "skipped": 0}
    assert Invitation.objects.count() == 1


def test_a_customer_without_consent_is_skipped_once_and_not_tried_again(
    rule, agent, customer, category
):
    customer.contact_consent = False
    customer.save()
    close_case(agent, customer, category, at_=T0 + 2 * H)

    assert run_rules(now=T0 + 3 * H) == {"sent": 0, "skipped": 1}
    assert run_rules(now=T0 + 4 * H) == {"sent": 0, "skipped": 0}

    skipped = Invitation.objects.get()
    assert skipped.state == InvitationState.SKIPPED
    assert skipped.channel == InvitationChannel.NONE
    assert "consent" in skipped.skip_reason
    assert not CustomerMessage.objects.filter(kind="survey_invitation").exists()


def test_the_quiet_period_skips_a_customer_surveyed_recently(
    rule, admin_user, agent, customer, category
):
    nps = install_template(actor=admin_user, template_key="nps", now=T0)
    invite_customer(survey=nps, customer=customer, source="manual", actor=admin_user, now=T0 + H)
    close_case(agent, customer, category, at_=T0 + 2 * H)

    assert run_rules(now=T0 + 3 * H) == {"sent": 0, "skipped": 1}
    skipped = Invitation.objects.get(rule=rule)
    assert skipped.state == InvitationState.SKIPPED
    assert "30" in skipped.skip_reason  # the organisation's quiet period in days
    # Not tried again once the quiet period is over: the event was dealt with.
    assert run_rules(now=T0 + dt.timedelta(days=31)) == {"sent": 0, "skipped": 0}
    assert Invitation.objects.filter(rule=rule).count() == 1


def test_without_a_quiet_period_the_same_customer_is_invited_again(
    rule, admin_user, agent, customer, category
):
    org = admin_user.organisation
    org.survey_quiet_days = 0
    org.save()
    nps = install_template(actor=admin_user, template_key="nps", now=T0)
    invite_customer(survey=nps, customer=customer, source="manual", actor=admin_user, now=T0)
    close_case(agent, customer, category, at_=T0 + 2 * H)
    assert run_rules(now=T0 + 3 * H) == {"sent": 1, "skipped": 0}


def test_a_rule_created_after_the_case_was_closed_does_not_survey_it(
    admin_user, fairness, agent, customer, category
):
    close_case(agent, customer, category, at_=T0 + H)
    save_rule(actor=admin_user, survey=fairness, trigger="case_closed", now=T0 + 2 * H)

    assert run_rules(now=T0 + 3 * H) == {"sent": 0, "skipped": 0}
    assert not Invitation.objects.exists()


def test_a_store_rule_covers_only_its_store(
    admin_user, fairness, store_b, agent, agent_b, customer, customer_b, category
):
    save_rule(actor=admin_user, survey=fairness, trigger="case_closed", store=store_b, now=T0)
    close_case(agent, customer, category, at_=T0 + H)
    theirs = close_case(agent_b, customer_b, category, at_=T0 + H)

    assert run_rules(now=T0 + 2 * H) == {"sent": 1, "skipped": 0}
    assert Invitation.objects.get().case == theirs


def test_the_delay_waits_before_inviting(admin_user, fairness, agent, customer, category):
    save_rule(actor=admin_user, survey=fairness, trigger="case_closed", delay_hours=24, now=T0)
    close_case(agent, customer, category, at_=T0 + H)

    assert run_rules(now=T0 + 24 * H) == {"sent": 0, "skipped": 0}
    assert run_rules(now=T0 + 25 * H) == {"sent": 1, "skipped": 0}
    assert Invitation.objects.get().created_at == T0 + 25 * H


def test_an_inactive_rule_and_an_archived_survey_invite_nobody(
    admin_user, fairness, rule, agent, customer, category
):
    close_case(agent, customer, category, at_=T0 + H)
    save_rule(
        actor=admin_user, survey=fairness, trigger="case_closed", active=False, rule=rule, now=T0
    )
    assert run_rules(now=T0 + 2 * H) == {"sent": 0, "skipped": 0}
    save_rule(actor=admin_user, survey=fairness, trigger="case_closed", rule=rule, now=T0)
    Survey.objects.filter(pk=fairness.pk).update(archived=True)
    assert run_rules(now=T0 + 2 * H) == {"sent": 0, "skipped": 0}
    assert not Invitation.objects.exists()


def test_a_followup_that_reached_the_customer_is_invited_once(
    admin_user, fairness, agent, customer, category
):
    rule = save_rule(actor=admin_user, survey=fairness, trigger="followup_done", now=T0)
    case = close_case(agent, customer, category, at_=T0 + H)
    followup = FollowUp.objects.get(case=case)
    record_attempt(
        actor=agent, followup=followup, result="reached", satisfaction="yes", now=T0 + 2 * H
    )

    assert run_rules(now=T0 + 3 * H) == {"sent": 1, "skipped": 0}
    assert run_rules(now=T0 + 4 * H) == {"sent": 0, "skipped": 0}
    invitation = Invitation.objects.get()
    assert (invitation.followup, invitation.case, invitation.rule) == (followup, case, rule)
    assert invitation.source == InvitationSource.FOLLOWUP_DONE


def test_a_followup_that_did_not_reach_the_customer_is_not_invited(
    admin_user, fairness, agent, customer, category
):
    save_rule(actor=admin_user, survey=fairness, trigger="followup_done", now=T0)
    case = close_case(agent, customer, category, at_=T0 + H)
    record_attempt(
        actor=agent, followup=FollowUp.objects.get(case=case), result="refused", now=T0 + 2 * H
    )
    assert run_rules(now=T0 + 3 * H) == {"sent": 0, "skipped": 0}


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_four_workers_at_once_invite_each_closed_case_once(rule, agent, store_a, category):
    customers = [CustomerFactory(store=store_a) for _ in range(12)]
    cases = [
        close_case(agent, c, category, at_=T0 + H, summary=f"投诉{i}")
        for i, c in enumerate(customers)
    ]

    results = run_at_once(lambda: run_rules(now=T0 + 2 * H), 4)

    assert sum(r["sent"] for r in results) == len(cases)
    invited = Invitation.objects.filter(rule=rule)
    assert sorted(invited.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert set(invited.values_list("state", flat=True)) == {InvitationState.SENT}
    messages = CustomerMessage.objects.filter(kind="survey_invitation")
    assert sorted(messages.values_list("customer_id", flat=True)) == sorted(c.pk for c in customers)
