"""Authoring and sending services: versions (answers keep theirs), who may change a survey,
consent and the quiet period for invitations by hand and to a segment, counter slips, rules
and the organisation's quiet period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from conftest import at
from manyi.audit.models import AuditEvent, EventKind
from manyi.core.errors import DomainError, ValidationFailed
from manyi.core.tests.factories import CustomerFactory
from manyi.customers.models import Customer
from manyi.notifications.models import CustomerMessage
from manyi.surveys import rules, services
from manyi.surveys.answers import save_answers
from manyi.surveys.choices import InvitationChannel, InvitationSource, InvitationState
from manyi.surveys.models import Invitation, Response, Survey, SurveyRule
from manyi.surveys.settings_services import set_quiet_period

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 10, 0)


@pytest.fixture
def nps(admin_user: Any) -> Survey:
    return services.install_template(actor=admin_user, template_key="nps", now=NOW)


def _invite(survey: Survey, customer: Any, **kw: Any) -> services.InviteOutcome:
    kw.setdefault("now", NOW)
    return services.invite_customer(
        survey=survey, customer=customer, source=InvitationSource.MANUAL, actor=None, **kw
    )


# --- versions -------------------------------------------------------------------------------


def test_an_answer_keeps_the_version_it_answered_after_a_new_one_is_published(
    admin_user: Any, nps: Survey, customer: Any
) -> None:
    v1 = nps.current_version
    assert v1 is not None and v1.number == 1
    invitation = _invite(nps, customer).invitation
    assert invitation is not None
    save_answers(invitation=invitation, raw={"nps": 9, "reason": "快"}, submit=True, now=NOW)

    draft = dict(nps.draft)
    draft["questions"] = [
        *draft["questions"],
        {"key": "extra", "type": "text", "text_zh": "还有吗"},
    ]
    services.save_draft(actor=admin_user, survey=nps, definition=draft)
    nps.refresh_from_db()
    assert nps.draft_changed and nps.current_version_id == v1.pk  # v1 is still what is sent
    v2 = services.publish_survey(actor=admin_user, survey=nps)

    nps.refresh_from_db()
    assert v2.number == 2 and nps.current_version_id == v2.pk and not nps.draft_changed
    response = Response.objects.get(invitation=invitation)
    assert response.survey_version_id == v1.pk
    assert [q["key"] for q in v1.definition["questions"]] == ["nps", "reason", "fix"]
    assert [q["key"] for q in v2.definition["questions"]][-1] == "extra"
    later = _invite(nps, CustomerFactory(store=customer.store, phone="13800009999"))
    assert later.invitation is not None and later.invitation.survey_version_id == v2.pk


def test_publishing_an_unchanged_draft_is_refused(admin_user: Any, nps: Survey) -> None:
    with pytest.raises(DomainError, match="Nothing changed"):
        services.publish_survey(actor=admin_user, survey=nps)
    assert nps.versions.count() == 1


def test_publishing_an_empty_survey_is_refused(admin_user: Any) -> None:
    survey = services.create_survey(actor=admin_user, name_zh="空调查")
    with pytest.raises(DomainError, match="at least one question"):
        services.publish_survey(actor=admin_user, survey=survey)


@pytest.mark.parametrize("who", ["agent", "manager"])
def test_only_an_organisation_admin_changes_a_survey(
    request: Any, who: str, admin_user: Any, nps: Survey
) -> None:
    user = request.getfixturevalue(who)
    with pytest.raises(DomainError) as e:
        services.update_survey(actor=user, survey=nps, name_zh="改名")
    assert e.value.code == "forbidden"
    with pytest.raises(DomainError):
        services.save_draft(actor=user, survey=nps, definition={"questions": []})
    with pytest.raises(DomainError):
        services.create_survey(actor=user, template_key="nps")
    with pytest.raises(DomainError):
        set_quiet_period(actor=user, days=7)


def test_an_admin_of_another_organisation_cannot_change_the_survey(
    nps: Survey, other_org: dict[str, Any]
) -> None:
    with pytest.raises(DomainError):
        services.update_survey(actor=other_org["user"], survey=nps, name_zh="别人的")


def test_a_stale_settings_change_is_refused(admin_user: Any, nps: Survey) -> None:
    seen = nps.version
    services.update_survey(actor=admin_user, survey=nps, version=seen, min_n=50)
    with pytest.raises(DomainError) as e:
        services.update_survey(actor=admin_user, survey=nps, version=seen, min_n=10)
    assert e.value.code == "conflict"


def test_a_bad_question_is_reported_on_its_field(admin_user: Any, nps: Survey) -> None:
    questions = [*nps.draft["questions"], {"key": "Bad Key", "type": "text", "text_zh": "x"}]
    with pytest.raises(ValidationFailed) as e:
        services.save_draft(actor=admin_user, survey=nps, definition={"questions": questions})
    assert "questions.4.key" in e.value.fields


# --- consent and the quiet period -----------------------------------------------------------


def test_a_customer_without_consent_is_not_invited(nps: Survey, customer: Any) -> None:
    Customer.objects.filter(pk=customer.pk).update(contact_consent=False)
    outcome = _invite(nps, customer, respect_quiet_period=False)
    assert not outcome.sent and "consented" in outcome.reason
    assert outcome.invitation is None and not Invitation.objects.exists()
    assert not CustomerMessage.objects.exists()


def test_the_quiet_period_refuses_a_second_survey_unless_overridden(
    nps: Survey, customer: Any
) -> None:
    first = _invite(nps, customer)
    assert first.sent and first.invitation is not None
    assert first.invitation.channel == InvitationChannel.SMS
    assert CustomerMessage.objects.filter(kind="survey_invitation", to=customer.phone).count() == 1

    again = _invite(nps, customer, now=NOW + dt.timedelta(days=29))
    assert not again.sent and "30 days" in again.reason

    forced = _invite(nps, customer, now=NOW + dt.timedelta(days=29), respect_quiet_period=False)
    assert forced.sent
    after = _invite(nps, customer, now=NOW + dt.timedelta(days=29 + 31))
    assert after.sent


def test_the_quiet_period_is_the_organisations(admin_user: Any, nps: Survey, customer: Any) -> None:
    set_quiet_period(actor=admin_user, days=3)
    nps.organisation.refresh_from_db()
    assert _invite(nps, customer).sent
    assert not _invite(nps, customer, now=NOW + dt.timedelta(days=2)).sent
    assert _invite(nps, customer, now=NOW + dt.timedelta(days=4)).sent


def test_setting_the_quiet_period_is_audited_and_checked(admin_user: Any, org: Any) -> None:
    set_quiet_period(actor=admin_user, days=14)
    org.refresh_from_db()
    assert org.survey_quiet_days == 14
    event = AuditEvent.objects.get(organisation=org, kind=EventKind.SURVEY)
    assert event.changes == {"survey_quiet_days": [30, 14]}
    with pytest.raises(ValidationFailed) as e:
        set_quiet_period(actor=admin_user, days=400)
    assert "days" in e.value.fields


def test_a_segment_counts_the_sent_and_the_skipped_by_reason(
    nps: Survey, store_a: Any, customer: Any
) -> None:
    no_consent = CustomerFactory(store=store_a, phone="13800000001", contact_consent=False)
    unreachable = CustomerFactory(store=store_a, phone="", email="", wechat_id="")
    recent = CustomerFactory(store=store_a, phone="13800000002")
    _invite(nps, recent, now=NOW - dt.timedelta(days=1))
    segment = Customer.objects.filter(
        pk__in=[customer.pk, no_consent.pk, unreachable.pk, recent.pk]
    )
    result = services.invite_segment(survey=nps, customers=segment, actor=None, now=NOW)
    assert result.sent == 1
    assert result.skipped_total == 3
    assert sorted(result.skipped.values()) == [1, 1, 1]
    assert Invitation.objects.filter(source=InvitationSource.SEGMENT).count() == 1


def test_an_unpublished_survey_is_not_sent(admin_user: Any, customer: Any) -> None:
    survey = services.create_survey(actor=admin_user, template_key="nps")
    with pytest.raises(DomainError, match="Publish"):
        _invite(survey, customer)


# --- counter slips, staff, rules -------------------------------------------------------------


def test_counter_slips_each_have_their_own_unguessable_link(
    admin_user: Any, nps: Survey, store_b: Any
) -> None:
    slips = services.print_counter_invitations(
        survey=nps, store=store_b, count=50, actor=admin_user, language="en", now=NOW
    )
    tokens = {s.token for s in slips}
    assert len(tokens) == 50 and all(len(t) >= 32 for t in tokens)
    assert all(s.customer_id is None and s.channel == InvitationChannel.PRINT for s in slips)
    assert all(s.expires_at == NOW + dt.timedelta(days=nps.expiry_days) for s in slips)
    assert {s.language for s in slips} == {"en"}
    with pytest.raises(DomainError):
        services.print_counter_invitations(survey=nps, store=store_b, count=201, actor=admin_user)


def test_a_staff_survey_mails_an_anonymous_link_to_each_colleague_of_the_store(
    admin_user: Any,
    agent: Any,
    supervisor: Any,
    agent_b: Any,
    store_a: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    survey = services.install_template(actor=admin_user, template_key="employee")
    with django_capture_on_commit_callbacks(execute=True):
        n = services.invite_staff(survey=survey, store=store_a, actor=admin_user)
    people = [u for u in (admin_user, agent, supervisor) if u.email]
    assert n == len(people) == len(mail.outbox)
    assert Invitation.objects.filter(survey=survey, customer__isnull=True).count() == n
    assert Invitation.objects.filter(survey=survey, state=InvitationState.SENT).count() == n
    assert agent_b.email not in {m.to[0] for m in mail.outbox}  # another store's colleague


def test_a_rule_is_saved_and_changed(admin_user: Any, store_a: Any) -> None:
    fairness = services.install_template(actor=admin_user, template_key="recovery_fairness")
    rule = rules.save_rule(actor=admin_user, survey=fairness, trigger="case_closed", delay_hours=24)
    assert rule.store is None and rule.active
    rules.save_rule(
        actor=admin_user,
        survey=fairness,
        trigger="followup_done",
        store=store_a,
        delay_hours=0,
        active=False,
        rule=rule,
    )
    rule.refresh_from_db()
    assert (rule.trigger, rule.store_id, rule.active) == ("followup_done", store_a.pk, False)
    assert SurveyRule.objects.count() == 1
    with pytest.raises(ValidationFailed) as e:
        rules.save_rule(actor=admin_user, survey=fairness, trigger="x", delay_hours=1000)
    assert set(e.value.fields) == {"trigger", "delay_hours"}
