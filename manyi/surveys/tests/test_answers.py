"""Answering through an invitation (manyi.surveys.answers): partial saves, one submission,
expiry, and closing the loop — exactly one case per bad response."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from manyi.cases.choices import Channel
from manyi.cases.models import Case
from manyi.core.tests.concurrency import needs_row_locks, run_at_once
from manyi.surveys import answers
from manyi.surveys.choices import InvitationSource, InvitationState, ResponseMode
from manyi.surveys.definition import parse_definition
from manyi.surveys.models import Invitation, Response, Survey
from manyi.surveys.services import definition_of, install_template, invite_customer

pytestmark = pytest.mark.django_db


def _invite(
    survey: Survey,
    customer: Any,
    *,
    staff: Any = None,
    case: Any = None,
    now: dt.datetime | None = None,
) -> Invitation:
    outcome = invite_customer(
        survey=survey,
        customer=customer,
        source=InvitationSource.MANUAL,
        actor=None,
        staff=staff,
        case=case,
        respect_quiet_period=False,
        now=now,
    )
    assert outcome.invitation is not None
    return outcome.invitation


@pytest.fixture
def nps_survey(admin_user: Any) -> Survey:
    return install_template(actor=admin_user, template_key="nps")


@pytest.fixture
def invitation(nps_survey: Survey, customer: Any, agent: Any) -> Invitation:
    return _invite(nps_survey, customer, staff=agent)


def _survey_cases() -> Any:
    return Case.objects.filter(channel=Channel.SURVEY)


# --- partial saves and submission -------------------------------------------------------------


def test_partial_save_keeps_valid_answers_and_reports_the_bad_one(invitation: Invitation) -> None:
    result = answers.save_answers(
        invitation=invitation, raw={"nps": "11", "reason": "服务很好"}, submit=False
    )
    assert set(result.errors) == {"nps"}
    assert not result.completed
    saved = Response.objects.get(invitation=invitation)
    assert saved.answers == {"reason": "服务很好"}
    assert saved.submitted_at is None
    assert saved.mode == ResponseMode.ONLINE

    # A later save adds to what was saved.
    answers.save_answers(invitation=invitation, raw={"nps": "8"}, submit=False)
    saved.refresh_from_db()
    assert saved.answers == {"reason": "服务很好", "nps": 8}
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.PARTIAL


def test_submit_with_a_missing_required_answer_completes_nothing(invitation: Invitation) -> None:
    result = answers.save_answers(invitation=invitation, raw={"reason": "一般"}, submit=True)
    assert set(result.errors) == {"nps"}
    assert not result.completed and result.loop_case is None
    saved = Response.objects.get(invitation=invitation)
    assert saved.submitted_at is None and saved.nps is None
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.PARTIAL
    assert invitation.completed_at is None


def test_submission_completes_the_invitation_and_copies_the_score(invitation: Invitation) -> None:
    result = answers.save_answers(invitation=invitation, raw={"nps": "9"}, submit=True)
    assert result.completed and not result.errors
    saved = Response.objects.get(invitation=invitation)
    assert saved.nps == 9 and saved.submitted_at is not None and not saved.dissatisfied
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.COMPLETED
    assert invitation.completed_at is not None
    assert result.loop_case is None


def test_a_second_submission_is_refused_and_changes_nothing(invitation: Invitation) -> None:
    answers.save_answers(invitation=invitation, raw={"nps": "9"}, submit=True)
    first = Response.objects.get(invitation=invitation)
    for submit in (True, False):
        with pytest.raises(answers.InvitationClosed) as refused:
            answers.save_answers(invitation=invitation, raw={"nps": "0"}, submit=submit)
        assert refused.value.code == "already_submitted"
        assert refused.value.status_code == 410
    again = Response.objects.get(invitation=invitation)
    assert (again.answers, again.nps, again.submitted_at) == (
        first.answers,
        first.nps,
        first.submitted_at,
    )
    assert not _survey_cases().exists()


def test_expired_link_is_refused(nps_survey: Survey, customer: Any) -> None:
    sent = timezone.now() - dt.timedelta(days=nps_survey.expiry_days, minutes=1)
    invitation = _invite(nps_survey, customer, now=sent)
    with pytest.raises(answers.InvitationClosed) as refused:
        answers.save_answers(invitation=invitation, raw={"nps": "9"}, submit=True)
    assert refused.value.code == "expired"
    assert not Response.objects.exists()


def test_link_is_open_until_just_before_it_expires(nps_survey: Survey, customer: Any) -> None:
    sent = timezone.now() - dt.timedelta(days=nps_survey.expiry_days) + dt.timedelta(minutes=5)
    invitation = _invite(nps_survey, customer, now=sent)
    assert answers.save_answers(invitation=invitation, raw={"nps": "9"}, submit=True).completed


def test_opening_marks_the_invitation_once(invitation: Invitation) -> None:
    first = timezone.now()
    answers.mark_opened(invitation, now=first)
    answers.mark_opened(invitation, now=first + dt.timedelta(hours=1))
    invitation.refresh_from_db()
    assert invitation.opened_at == first
    assert invitation.state == InvitationState.OPENED


def test_hidden_follow_up_answer_is_dropped(invitation: Invitation) -> None:
    answers.save_answers(invitation=invitation, raw={"nps": "10", "fix": "无"}, submit=True)
    assert Response.objects.get(invitation=invitation).answers == {"nps": 10}


# --- close the loop -----------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "opens"), [(0, True), (6, True), (7, False), (10, False)])
def test_nps_detractors_open_a_case_passives_and_promoters_do_not(
    invitation: Invitation, score: int, opens: bool
) -> None:
    result = answers.save_answers(invitation=invitation, raw={"nps": str(score)}, submit=True)
    assert (result.loop_case is not None) is opens
    assert _survey_cases().count() == (1 if opens else 0)
    assert Response.objects.get(invitation=invitation).dissatisfied is opens


def test_loop_case_is_owned_by_who_served_the_customer_and_linked(
    invitation: Invitation, agent: Any, customer: Any
) -> None:
    result = answers.save_answers(
        invitation=invitation, raw={"nps": "2", "fix": "请守时"}, submit=True
    )
    case = result.loop_case
    assert case is not None
    assert case.channel == Channel.SURVEY
    assert case.owner == agent
    assert case.customer == customer
    assert "请守时" in case.description
    assert Response.objects.get(invitation=invitation).loop_case == case


def test_close_loop_opens_exactly_one_case_per_response(invitation: Invitation) -> None:
    first = answers.save_answers(invitation=invitation, raw={"nps": "3"}, submit=True).loop_case
    response = Response.objects.get(invitation=invitation)
    assert answers.close_loop(response=response) == first
    assert answers.close_loop(response=response) == first
    assert _survey_cases().count() == 1


def test_partial_answer_never_opens_a_case(invitation: Invitation) -> None:
    answers.save_answers(invitation=invitation, raw={"nps": "0"}, submit=False)
    response = Response.objects.get(invitation=invitation)
    assert answers.close_loop(response=response) is None
    assert not _survey_cases().exists()


def test_loop_rule_off_opens_no_case(invitation: Invitation) -> None:
    Survey.objects.filter(pk=invitation.survey_id).update(loop_enabled=False)
    invitation.refresh_from_db()
    result = answers.save_answers(invitation=invitation, raw={"nps": "0"}, submit=True)
    assert result.completed and result.loop_case is None


@pytest.mark.parametrize(("score", "opens"), [(1, True), (2, True), (3, False), (5, False)])
def test_csat_one_or_two_opens_a_case(
    admin_user: Any, customer: Any, agent: Any, score: int, opens: bool
) -> None:
    survey = install_template(actor=admin_user, template_key="csat_ces")
    invitation = _invite(survey, customer)
    result = answers.save_answers(
        invitation=invitation, raw={"csat": str(score), "ces": "4"}, submit=True
    )
    assert result.completed
    assert (result.loop_case is not None) is opens


FAIR_KEYS = (
    "fair_outcome_1",
    "fair_outcome_2",
    "fair_procedural_1",
    "fair_procedural_2",
    "fair_interactional_1",
    "fair_interactional_2",
    "handling_satisfaction",
    "return_intent",
    "recommend_intent",
)


@pytest.mark.parametrize(
    ("outcome", "opens"),
    [(("3", "4"), True), (("1", "1"), True), (("4", "4"), False), (("3", "5"), False)],
)
def test_fairness_dimension_below_the_midpoint_opens_a_case(
    admin_user: Any, customer: Any, agent: Any, outcome: tuple[str, str], opens: bool
) -> None:
    survey = install_template(actor=admin_user, template_key="recovery_fairness")
    invitation = _invite(survey, customer)
    raw = {key: "6" for key in FAIR_KEYS}
    raw["fair_outcome_1"], raw["fair_outcome_2"] = outcome  # mean 3.5 < 4 = the midpoint of 1–7
    result = answers.save_answers(invitation=invitation, raw=raw, submit=True)
    assert result.completed
    assert (result.loop_case is not None) is opens


def test_loop_reasons_name_each_broken_rule(admin_user: Any) -> None:
    survey = install_template(actor=admin_user, template_key="nps")
    assert survey.current_version is not None
    definition = definition_of(survey.current_version)
    assert answers.loop_reasons(survey, definition, {"nps": 7}) == []
    assert len(answers.loop_reasons(survey, definition, {"nps": 6})) == 1
    survey.loop_nps_max = 4
    assert answers.loop_reasons(survey, definition, {"nps": 6}) == []
    custom = parse_definition({"questions": [{"key": "x", "type": "text", "text_zh": "?"}]})
    assert answers.loop_reasons(survey, custom, {"x": "差"}) == []


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_link_at_once_make_one_response_and_one_case(
    invitation: Invitation,
) -> None:
    def submit() -> str:
        try:
            result = answers.save_answers(invitation=invitation, raw={"nps": "1"}, submit=True)
        except answers.InvitationClosed as e:
            return e.code
        return "completed" if result.completed else "not completed"

    results = run_at_once(submit, 2)

    assert sorted(results) == ["already_submitted", "completed"]
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert _survey_cases().count() == 1
