"""Entering a phone interview (/surveys/<pk>/phone/): staff pick a customer they may see,
enter the answers; saved as a phone interview entered by them, or nothing at all."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from manyi.cases.choices import Channel
from manyi.cases.models import Case
from manyi.cases.services import create_case
from manyi.surveys.choices import ResponseMode
from manyi.surveys.models import Response, Survey
from manyi.surveys.services import install_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps_survey(admin_user: Any) -> Survey:
    return install_template(actor=admin_user, template_key="nps")


@pytest.fixture
def case(agent: Any, customer: Any, category: Any) -> Case:
    return create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="保养等太久"
    )


def _url(survey: Survey, **params: Any) -> str:
    url = reverse("surveys:phone", args=[survey.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _logged_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def _question(html: str, key: str) -> str:
    match = re.search(rf'<fieldset[^>]*id="q-{key}"[^>]*>.*?</fieldset>', html, re.S)
    assert match, f"question {key} not on the page"
    return match.group(0)


def test_login_is_required(client: Client, nps_survey: Survey) -> None:
    response = client.get(_url(nps_survey))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_staff_find_the_customer_then_see_the_questions(
    client: Client, agent: Any, nps_survey: Survey, customer: Any, customer_b: Any
) -> None:
    _logged_in(client, agent)
    html = client.get(_url(nps_survey)).content.decode()
    assert 'name="q"' in html and "q_nps" not in html
    found = client.get(_url(nps_survey, q="张伟")).content.decode()
    assert f"?customer={customer.pk}" in found
    # The agent of store A does not find store B's customer.
    assert (
        f"?customer={customer_b.pk}" not in client.get(_url(nps_survey, q="李娜")).content.decode()
    )
    form = client.get(_url(nps_survey, customer=customer.pk)).content.decode()
    assert "张伟" in form
    assert "138****5678" in form  # an agent sees the phone masked
    assert len(re.findall(r'name="q_nps"', _question(form, "nps"))) == 11


def test_case_page_link_prefills_the_customer_and_the_case(
    client: Client, agent: Any, nps_survey: Survey, customer: Any, case: Case
) -> None:
    _logged_in(client, agent)
    html = client.get(_url(nps_survey, customer=customer.pk, case=case.pk)).content.decode()
    assert re.search(rf'<option value="{case.pk}" selected>', html)


def test_entered_answers_are_a_phone_interview_by_the_staff_member(
    client: Client, agent: Any, nps_survey: Survey, customer: Any, case: Case
) -> None:
    _logged_in(client, agent)
    response = client.post(
        _url(nps_survey),
        {
            "customer": customer.pk,
            "case": case.pk,
            "shown": "nps,reason",
            "q_nps": "9",
            "q_reason": "师傅很专业",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:detail", args=[nps_survey.pk])
    saved = Response.objects.get(survey=nps_survey)
    assert saved.mode == ResponseMode.PHONE
    assert saved.entered_by == agent
    assert saved.customer == customer and saved.case == case
    assert saved.staff == case.owner
    assert saved.answers == {"nps": 9, "reason": "师傅很专业"}
    assert saved.submitted_at is not None and saved.invitation is None
    assert not Case.objects.filter(channel=Channel.SURVEY).exists()


def test_a_bad_phone_answer_opens_a_case_and_the_message_links_it(
    client: Client,
    agent: Any,
    supervisor: Any,
    nps_survey: Survey,
    customer: Any,
) -> None:
    _logged_in(client, agent)
    response = client.post(
        _url(nps_survey),
        {
            "customer": customer.pk,
            "staff": supervisor.pk,
            "shown": "nps,reason,fix",
            "q_nps": "2",
            "q_fix": "别让我等",
        },
        follow=True,
    )
    loop_case = Case.objects.get(channel=Channel.SURVEY)
    assert loop_case.owner == supervisor
    html = response.content.decode()
    assert f'href="{reverse("cases:detail", args=[loop_case.pk])}"' in html
    assert loop_case.number in html


def test_errors_are_shown_next_to_the_questions_and_nothing_is_saved(
    client: Client, agent: Any, nps_survey: Survey, customer: Any
) -> None:
    _logged_in(client, agent)
    client.cookies.load({"django_language": "en"})
    response = client.post(
        _url(nps_survey),
        {"customer": customer.pk, "shown": "nps,reason", "q_reason": "x" * 2001},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please answer this question." in _question(html, "nps")
    assert "At most 2000 characters" in _question(html, "reason")
    assert "Nothing was saved" in html
    assert not Response.objects.exists()


def test_follow_up_revealed_by_a_low_score_is_asked_before_saving(
    client: Client, agent: Any, nps_survey: Survey, customer: Any
) -> None:
    _logged_in(client, agent)
    response = client.post(
        _url(nps_survey), {"customer": customer.pk, "shown": "nps,reason", "q_nps": "4"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="revealed"' in html
    assert 'value="nps,reason,fix"' in html
    assert not Response.objects.exists()


def test_a_case_of_another_customer_is_refused(
    client: Client, agent: Any, nps_survey: Survey, customer: Any, case: Case, store_a: Any
) -> None:
    from manyi.core.tests.factories import CustomerFactory

    other = CustomerFactory(store=store_a)
    _logged_in(client, agent)
    response = client.post(
        _url(nps_survey),
        {"customer": other.pk, "case": case.pk, "shown": "nps,reason", "q_nps": "9"},
    )
    assert response.status_code == 200
    assert 'id="f-case"' in response.content.decode()
    assert not Response.objects.exists()


def test_another_organisations_customer_survey_or_case_is_not_found(
    client: Client,
    admin_user: Any,
    nps_survey: Survey,
    customer: Any,
    other_org: dict[str, Any],
) -> None:
    _logged_in(client, admin_user)
    theirs = install_template(actor=other_org["user"], template_key="nps")
    answer = {"shown": "nps,reason", "q_nps": "9"}
    assert client.get(_url(theirs)).status_code == 404
    assert client.post(_url(theirs), {"customer": customer.pk, **answer}).status_code == 404
    their_customer = other_org["customer"].pk
    assert client.get(_url(nps_survey, customer=their_customer)).status_code == 404
    assert client.post(_url(nps_survey), {"customer": their_customer, **answer}).status_code == 404
    their_case = other_org["case"].pk
    assert client.get(_url(nps_survey, customer=customer.pk, case=their_case)).status_code == 404
    assert client.get(_url(nps_survey, customer="abc")).status_code == 404
    assert not Response.objects.exists()


def test_another_stores_customer_is_not_found_for_a_store_bound_agent(
    client: Client, agent: Any, nps_survey: Survey, customer_b: Any
) -> None:
    _logged_in(client, agent)
    response = client.post(
        _url(nps_survey), {"customer": customer_b.pk, "shown": "nps,reason", "q_nps": "9"}
    )
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_unpublished_or_staff_surveys_cannot_be_entered(
    client: Client, admin_user: Any, customer: Any
) -> None:
    _logged_in(client, admin_user)
    draft = install_template(actor=admin_user, template_key="nps", publish=False)
    staff_survey = install_template(actor=admin_user, template_key="employee")
    for survey in (draft, staff_survey):
        response = client.post(
            _url(survey), {"customer": customer.pk, "shown": "nps", "q_nps": "9"}
        )
        assert response.status_code == 409
        assert 'id="unavailable"' in response.content.decode()
    assert not Response.objects.exists()


def test_phone_entry_page_in_english(
    client: Client, agent: Any, nps_survey: Survey, customer: Any
) -> None:
    customer.language = "en"
    customer.save()
    _logged_in(client, agent)
    client.cookies.load({"django_language": "en"})
    html = client.get(_url(nps_survey, customer=customer.pk)).content.decode()
    assert "Enter a phone interview" in html
    assert "How likely are you to recommend" in html
