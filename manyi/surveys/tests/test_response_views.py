"""The response page and the survey panel on the case page: what staff see of an answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from manyi.cases.services import create_case
from manyi.core.tests.factories import UserFactory
from manyi.surveys import answers, services
from manyi.surveys.models import Response

pytestmark = pytest.mark.django_db


@pytest.fixture
def bad_answer(admin_user: Any, agent: Any, customer: Any, category: Any) -> Response:
    survey = services.install_template(actor=admin_user, template_key="recovery_fairness")
    case = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="等太久"
    )
    outcome = services.invite_customer(
        survey=survey, customer=customer, source="manual", actor=agent, case=case
    )
    assert outcome.invitation is not None
    low = {
        key: "2"
        for key in (
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
    }
    result = answers.save_answers(invitation=outcome.invitation, raw=low, submit=True)
    assert result.completed and result.loop_case is not None
    return result.response


def _client(user: Any, language: str = "zh-hans") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def test_response_page_shows_each_answer_and_the_cases(
    bad_answer: Response, supervisor: Any
) -> None:
    page = _client(supervisor).get(reverse("surveys:response", args=[bad_answer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "我得到的处理结果" in html  # the question in Chinese
    assert "2 / 7" in html
    assert bad_answer.case.number in html  # the original case
    assert bad_answer.loop_case.number in html  # the case the answer opened


def test_response_page_in_english(bad_answer: Response, supervisor: Any) -> None:
    page = _client(supervisor, "en").get(reverse("surveys:response", args=[bad_answer.pk]))
    html = page.content.decode()
    assert "What I received" in html and "Original case" in html


def test_response_page_masks_the_phone_for_an_agent(bad_answer: Response, agent: Any) -> None:
    html = _client(agent).get(reverse("surveys:response", args=[bad_answer.pk])).content.decode()
    assert "13812345678" not in html
    assert "138****5678" in html


def test_another_store_or_organisation_cannot_see_the_response(
    bad_answer: Response, agent_b: Any, other_org: dict[str, Any]
) -> None:
    url = reverse("surveys:response", args=[bad_answer.pk])
    assert _client(agent_b).get(url).status_code == 404
    outsider = UserFactory(
        organisation=other_org["org"], store=other_org["store"], role="org_admin"
    )
    assert _client(outsider).get(url).status_code == 404


def test_case_page_links_the_answer_the_case_was_opened_from(
    bad_answer: Response, supervisor: Any
) -> None:
    assert bad_answer.loop_case is not None
    html = (
        _client(supervisor)
        .get(reverse("cases:detail", args=[bad_answer.loop_case.pk]))
        .content.decode()
    )
    assert 'id="survey-panel"' in html
    assert reverse("surveys:response", args=[bad_answer.pk]) in html


def test_case_page_of_the_original_case_shows_the_invitation_and_answer(
    bad_answer: Response, supervisor: Any
) -> None:
    html = (
        _client(supervisor).get(reverse("cases:detail", args=[bad_answer.case_id])).content.decode()
    )
    assert 'id="survey-panel"' in html
    assert "投诉处理公平感" in html
