"""The surveys REST API: list and read surveys, invite one customer, enter a phone interview.
Scoped to the caller's organisation (and store, for customers and cases)."""

from __future__ import annotations

import pytest

from manyi.cases.models import Case
from manyi.cases.services import create_case
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.notifications.models import CustomerMessage
from manyi.surveys.models import Invitation, Response, Survey
from manyi.surveys.services import create_survey, install_template, invite_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(admin_user) -> Survey:
    return install_template(actor=admin_user, template_key="nps")


@pytest.fixture
def fairness(admin_user) -> Survey:
    return install_template(actor=admin_user, template_key="recovery_fairness")


def test_the_list_shows_the_organisations_surveys_with_their_versions(
    admin_user, agent, nps, other_org
):
    draft = create_survey(actor=admin_user, template_key="kano")
    install_template(actor=other_org["user"], template_key="csat_ces")
    Response.objects.create(
        organisation=nps.organisation,
        survey=nps,
        survey_version=nps.current_version,
        store=agent.store,
        mode="phone",
        answers={"nps": 9},
        started_at=nps.created_at,
        updated_at=nps.created_at,
        submitted_at=nps.created_at,
    )
    body = ApiClient(agent).get("/surveys").json()
    assert body["total"] == 2
    by_id = {s["id"]: s for s in body["items"]}
    assert set(by_id) == {nps.pk, draft.pk}
    assert by_id[nps.pk]["current_version"]["number"] == 1
    assert by_id[nps.pk]["responses"] == 1
    assert by_id[nps.pk]["kind"] == "nps"
    assert by_id[draft.pk]["current_version"] is None
    only = ApiClient(agent).get("/surveys", {"kind": "kano"}).json()
    assert [s["id"] for s in only["items"]] == [draft.pk]


def test_a_survey_is_read_with_its_published_questions(agent, nps, other_org):
    api = ApiClient(agent)
    body = api.get(f"/surveys/{nps.pk}").json()
    assert [q["key"] for q in body["questions"]] == ["nps", "reason", "fix"]
    first = body["questions"][0]
    assert (first["type"], first["scale_min"], first["scale_max"], first["role"]) == (
        "nps",
        0,
        10,
        "nps",
    )
    assert body["questions"][2]["show_if"] == {"key": "nps", "op": "lte", "value": 6}
    assert body["loop_nps_max"] == 6
    theirs = install_template(actor=other_org["user"], template_key="nps")
    response = api.get(f"/surveys/{theirs.pk}")
    assert response.status_code == 404


def test_inviting_a_customer_sends_the_link_and_answers_201(agent, nps, customer, category):
    case = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="等太久"
    )
    response = ApiClient(agent).post(
        f"/surveys/{nps.pk}/invitations", {"customer_id": customer.pk, "case_id": case.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    invitation = Invitation.objects.get()
    assert body["id"] == invitation.pk
    assert (body["channel"], body["state"], body["source"]) == ("sms", "sent", "manual")
    assert (body["customer"], body["case"], body["staff"]) == (customer.pk, case.pk, agent.pk)
    assert body["expires_at"].endswith("+08:00")
    assert CustomerMessage.objects.filter(kind="survey_invitation", customer=customer).count() == 1


def test_an_invitation_the_rules_refuse_answers_422_with_the_reason(
    admin_user, agent, nps, customer
):
    api = ApiClient(agent)
    customer.contact_consent = False
    customer.save()
    response = api.post(f"/surveys/{nps.pk}/invitations", {"customer_id": customer.pk})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "not_sent"
    assert "consent" in error["fields"]["customer_id"][0]
    assert not Invitation.objects.exists()

    customer.contact_consent = True
    customer.save()
    other = install_template(actor=admin_user, template_key="csat_ces")
    invite_customer(survey=other, customer=customer, source="manual", actor=admin_user)
    quiet = api.post(f"/surveys/{nps.pk}/invitations", {"customer_id": customer.pk})
    assert quiet.status_code == 422
    assert "30" in error_of(quiet)["fields"]["customer_id"][0]
    override = api.post(
        f"/surveys/{nps.pk}/invitations",
        {"customer_id": customer.pk, "respect_quiet_period": False},
    )
    assert override.status_code == 201, override.content


def test_an_invitation_for_a_draft_or_staff_survey_is_refused(admin_user, agent, customer):
    draft = create_survey(actor=admin_user, template_key="nps")
    staff_survey = install_template(actor=admin_user, template_key="employee")
    api = ApiClient(agent)
    for survey in (draft, staff_survey):
        response = api.post(f"/surveys/{survey.pk}/invitations", {"customer_id": customer.pk})
        assert response.status_code == 422, response.content
    assert not Invitation.objects.exists()


def test_a_store_bound_agent_cannot_invite_or_interview_another_stores_customer(
    agent, nps, customer_b
):
    api = ApiClient(agent)
    invited = api.post(f"/surveys/{nps.pk}/invitations", {"customer_id": customer_b.pk})
    assert invited.status_code == 422
    assert "customer_id" in error_of(invited)["fields"]
    interviewed = api.post(
        f"/surveys/{nps.pk}/responses", {"customer_id": customer_b.pk, "answers": {"nps": 9}}
    )
    assert interviewed.status_code == 422
    assert "customer_id" in error_of(interviewed)["fields"]
    assert not Invitation.objects.exists() and not Response.objects.exists()


def test_a_case_of_another_customer_is_refused(agent, nps, customer, category, store_a):
    from manyi.core.tests.factories import CustomerFactory

    someone = CustomerFactory(store=store_a)
    case = create_case(
        actor=agent, customer=someone, channel="phone", category=category, summary="别人的"
    )
    response = ApiClient(agent).post(
        f"/surveys/{nps.pk}/invitations", {"customer_id": customer.pk, "case_id": case.pk}
    )
    assert response.status_code == 422
    assert "case_id" in error_of(response)["fields"]


def test_a_phone_interview_is_recorded_as_such_and_a_good_one_opens_no_case(agent, nps, customer):
    response = ApiClient(agent).post(
        f"/surveys/{nps.pk}/responses",
        {"customer_id": customer.pk, "answers": {"nps": 9, "reason": "服务周到"}},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    saved = Response.objects.get()
    assert body["id"] == saved.pk
    assert (saved.mode, saved.entered_by, saved.customer) == ("phone", agent, customer)
    assert (body["nps"], body["dissatisfied"], body["loop_case"]) == (9, False, None)
    assert body["answers"] == {"nps": 9, "reason": "服务周到"}


def test_a_bad_phone_answer_opens_one_loop_case(agent, nps, customer):
    cases = Case.objects.count()
    response = ApiClient(agent).post(
        f"/surveys/{nps.pk}/responses",
        {"customer_id": customer.pk, "staff_id": agent.pk, "answers": {"nps": 3, "fix": "快点"}},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dissatisfied"] is True
    loop = Case.objects.get(pk=body["loop_case"]["id"])
    assert loop.number == body["loop_case"]["number"]
    assert (loop.channel, loop.owner, loop.customer) == ("survey", agent, customer)
    assert Case.objects.count() == cases + 1


def test_phone_answers_that_do_not_fit_are_refused_by_question_and_nothing_is_saved(
    agent, fairness, customer
):
    response = ApiClient(agent).post(
        f"/surveys/{fairness.pk}/responses",
        {"customer_id": customer.pk, "answers": {"fair_outcome_1": 9, "fair_outcome_2": "x"}},
    )
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert "answers.fair_outcome_1" in fields  # out of the 1–7 range
    assert "answers.fair_outcome_2" in fields  # not a number
    assert "answers.handling_satisfaction" in fields  # required, missing
    assert "answers.comment" not in fields  # optional
    assert not Response.objects.exists()


def test_another_organisations_survey_answers_404_and_nothing_changes(agent, customer, other_org):
    theirs = install_template(actor=other_org["user"], template_key="nps")
    api = ApiClient(agent)
    for path, body in (
        (f"/surveys/{theirs.pk}/invitations", {"customer_id": customer.pk}),
        (f"/surveys/{theirs.pk}/responses", {"customer_id": customer.pk, "answers": {"nps": 9}}),
    ):
        response = api.post(path, body)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert not Invitation.objects.exists() and not Response.objects.exists()
