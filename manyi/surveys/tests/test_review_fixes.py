"""Fixes from the review of the surveys app: spreadsheet formulas in the exports, the QR code
of counter slips only, response counts of the user's stores in the API, rules with a long
delay, a phone interview posted twice, a partial save keeping earlier answers, the served-by
column without staff, the close-the-loop category and its audit, dates at the edge, a CSI of
zero-weight factors only and a segment with an invalid filter."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.choices import Channel
from manyi.cases.models import Case, Category
from manyi.cases.tests.ui_helpers import client_for
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import CustomerFactory
from manyi.metrics.servqual import SERVQUAL_DIMENSIONS
from manyi.surveys import answers, services
from manyi.surveys.models import Invitation, Response, Survey
from manyi.surveys.results import survey_results
from manyi.surveys.results.frame import ResultFilters, comparison_period
from manyi.surveys.rules import run_rules, save_rule
from manyi.surveys.tests.test_results import NPS_Q, make_survey, respond, scale
from manyi.surveys.tests.test_rules import T0, H, close_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(admin_user: Any) -> Survey:
    return services.install_template(actor=admin_user, template_key="nps")


def _export(client: Any, survey: Survey, fmt: str, table: str) -> list[list[Any]]:
    response = client.get(f"/surveys/{survey.pk}/results/export.{fmt}", {"table": table})
    assert response.status_code == 200
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    return [[c.value for c in row] for row in sheet.iter_rows()]


# --- 1. formulas in the exports --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_survey_exports_write_formula_like_text_as_text(
    admin_user: Any, store_a: Any, fmt: str
) -> None:
    text = {"key": "why", "type": "text", "text_zh": "=原因", "text_en": "=Why"}
    survey = make_survey(admin_user, [NPS_Q, text])
    hacker = CustomerFactory(store=store_a, name='=HYPERLINK("http://x","y")')
    respond(survey, store_a, {"nps": 9, "why": "=1+2"}, customer=hacker)
    client = client_for(admin_user, "en")
    header, row = _export(client, survey, fmt, "responses")
    record = dict(zip(header, row, strict=True))
    assert record["why"] == "'=1+2"
    assert record["Customer"] == '\'=HYPERLINK("http://x","y")'
    assert record["nps"] in (9, "9")  # numbers stay numbers
    questions = {r[0] for r in _export(client, survey, fmt, "distribution")[1:]}
    assert "'=Why" in questions


# --- 3. the QR code of counter slips only ----------------------------------------------------


def test_the_qr_endpoint_serves_no_customer_or_staff_invitation(
    admin_user: Any, agent: Any, store_a: Any, customer: Any, nps: Survey
) -> None:
    sms = services.invite_customer(
        survey=nps, customer=customer, source="manual", actor=admin_user, store=store_a
    ).invitation
    assert sms is not None and sms.channel != "print"
    staff_survey = services.install_template(actor=admin_user, template_key="employee")
    services.invite_staff(survey=staff_survey, store=store_a, actor=admin_user)
    staff_invitation = staff_survey.invitations.first()
    assert staff_invitation is not None and staff_invitation.store == store_a
    client = client_for(agent)
    assert client.get(f"/surveys/invitations/{sms.pk}/qr.svg").status_code == 404
    assert client.get(f"/surveys/invitations/{staff_invitation.pk}/qr.svg").status_code == 404
    (slip,) = services.print_counter_invitations(
        survey=nps, store=store_a, count=1, actor=admin_user
    )
    assert client.get(f"/surveys/invitations/{slip.pk}/qr.svg").status_code == 200


# --- 4. response counts in the API ----------------------------------------------------------


def test_the_api_counts_only_the_responses_of_the_callers_stores(
    admin_user: Any, agent: Any, store_a: Any, store_b: Any, nps: Survey
) -> None:
    respond(nps, store_a, {"nps": 9})
    for score in (3, 5):
        respond(nps, store_b, {"nps": score})
    agent_api, admin_api = ApiClient(agent), ApiClient(admin_user)
    assert agent_api.get("/surveys").json()["items"][0]["responses"] == 1
    assert agent_api.get(f"/surveys/{nps.pk}").json()["responses"] == 1
    assert admin_api.get("/surveys").json()["items"][0]["responses"] == 3
    assert admin_api.get(f"/surveys/{nps.pk}").json()["responses"] == 3


# --- 5. a rule with a long delay -----------------------------------------------------------


def test_a_rule_with_the_longest_delay_invites_once_the_delay_has_passed(
    admin_user: Any, agent: Any, customer: Any, category: Any
) -> None:
    fairness = services.install_template(
        actor=admin_user, template_key="recovery_fairness", now=T0 - H
    )
    save_rule(actor=admin_user, survey=fairness, trigger="case_closed", delay_hours=720, now=T0)
    case = close_case(agent, customer, category, at_=T0 + 2 * H)
    assert run_rules(now=T0 + 721 * H) == {"sent": 0, "skipped": 0}  # not yet
    assert run_rules(now=T0 + 723 * H) == {"sent": 1, "skipped": 0}
    assert Invitation.objects.get().case == case


# --- 6. a phone interview posted twice ------------------------------------------------------


def test_a_phone_interview_form_posted_twice_saves_one_response_and_one_case(
    agent: Any, supervisor: Any, customer: Any, nps: Survey
) -> None:
    client = client_for(agent, "en")
    url = f"/surveys/{nps.pk}/phone/"
    html = client.get(url, {"customer": customer.pk}).content.decode()
    match = re.search(r'name="entry_key" value="([0-9a-f]{32})"', html)
    assert match, "the form carries a one-time key"
    form = {
        "customer": customer.pk,
        "staff": supervisor.pk,
        "shown": "nps,reason,fix",
        "q_nps": "2",
        "q_fix": "别让我等",
        "entry_key": match.group(1),
    }
    first = client.post(url, form, follow=True)
    second = client.post(url, form, follow=True)
    assert Response.objects.filter(survey=nps).count() == 1
    loop_case = Case.objects.get(channel=Channel.SURVEY)
    for response in (first, second):
        html = response.content.decode()
        assert "Phone interview saved." in html and loop_case.number in html
    # A fresh form has a fresh key and saves a second interview.
    again = client.get(url, {"customer": customer.pk}).content.decode()
    assert match.group(1) not in again


# --- 7. a bad new answer keeps the saved one -------------------------------------------------


def test_a_bad_new_answer_keeps_the_valid_one_saved_before(admin_user: Any, customer: Any) -> None:
    survey = services.install_template(actor=admin_user, template_key="servqual")
    invitation = services.invite_customer(
        survey=survey, customer=customer, source="manual", actor=None
    ).invitation
    assert invitation is not None
    good = dict(zip(SERVQUAL_DIMENSIONS, [20, 20, 20, 20, 20], strict=True))
    bad = dict(zip(SERVQUAL_DIMENSIONS, [30, 20, 20, 20, 20], strict=True))
    answers.save_answers(invitation=invitation, raw={"sq_importance": good}, submit=False)
    for submit in (False, True):
        result = answers.save_answers(
            invitation=invitation, raw={"sq_importance": bad}, submit=submit
        )
        assert "110" in result.errors["sq_importance"]
        assert not result.completed
        saved = Response.objects.get(invitation=invitation)
        assert saved.answers["sq_importance"] == good
        assert saved.submitted_at is None


# --- 8. served by, without staff -------------------------------------------------------------


def test_the_raw_export_leaves_served_by_empty_without_staff(
    admin_user: Any, store_a: Any, nps: Survey
) -> None:
    respond(nps, store_a, {"nps": 9})
    header, row = _export(client_for(admin_user, "en"), nps, "csv", "responses")
    assert dict(zip(header, row, strict=True))["Served by"] == ""


# --- 9. the close-the-loop case: its category, or why there is none -------------------------


def _detractor(survey: Survey, customer: Any) -> answers.SaveResult:
    invitation = services.invite_customer(
        survey=survey, customer=customer, source="manual", actor=None
    ).invitation
    assert invitation is not None
    return answers.save_answers(invitation=invitation, raw={"nps": "2"}, submit=True)


def _last_survey_event(customer: Any) -> AuditEvent:
    event = AuditEvent.objects.filter(customer=customer, kind=EventKind.SURVEY).last()
    assert event is not None
    return event


def test_without_a_loop_category_the_case_gets_the_first_top_level_category(
    org: Any, agent: Any, customer: Any, nps: Survey
) -> None:
    assert nps.loop_category_id is None
    loop_case = _detractor(nps, customer).loop_case
    assert loop_case is not None
    first = (
        Category.objects.filter(organisation=org, active=True, parent__isnull=True)
        .order_by("position", "code")
        .first()
    )
    assert loop_case.category == first


def test_a_case_that_cannot_be_opened_is_recorded_on_the_customer(
    org: Any, admin_user: Any, agent: Any, customer: Any, nps: Survey
) -> None:
    Category.objects.filter(organisation=org).update(active=False)
    with translation.override("en"):
        result = _detractor(nps, customer)
    assert result.completed and result.loop_case is None
    event = _last_survey_event(customer)
    assert "could not be opened" in event.message and "category" in event.message
    assert event.changes == {"survey_response": [None, result.response.pk]}


def test_a_case_without_anyone_to_own_it_is_recorded_on_the_customer(
    admin_user: Any, customer: Any, nps: Survey
) -> None:
    admin_user.is_active = False  # nobody of the store or the organisation is on duty
    admin_user.save(update_fields=["is_active"])
    with translation.override("en"):
        result = _detractor(nps, customer)
    assert result.loop_case is None and not Case.objects.exists()
    event = _last_survey_event(customer)
    assert event.message == (
        "A case could not be opened for the answer to survey “净推荐值（NPS）” "
        "(NPS 2 (at or below 6)): no active staff member can own it."
    )


# --- 10. dates at the edge ------------------------------------------------------------------

EDGES = [
    {"start": "0001-01-01"},
    {"end": "9999-12-31"},
    {"start": "0001-01-01", "end": "2026-03-01"},
]


@pytest.mark.parametrize("period", EDGES)
def test_a_date_out_of_range_is_a_field_error_on_the_page_and_the_export_shows_all(
    admin_user: Any, store_a: Any, nps: Survey, period: dict[str, str]
) -> None:
    respond(nps, store_a, {"nps": 9})
    client = client_for(admin_user, "en")
    response = client.get(f"/surveys/{nps.pk}/results/", period)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {name: errors.get(name) for name in period} == {
        name: None if value.startswith("2") else ["Give a date between 2000 and 2100."]
        for name, value in period.items()
    }
    assert "Give a date between 2000 and 2100." in response.content.decode()
    for fmt in ("csv", "xlsx"):
        for table in ("summary", "responses"):
            response = client.get(
                f"/surveys/{nps.pk}/results/export.{fmt}", {"table": table, **period}
            )
            assert response.status_code == 200


@pytest.mark.parametrize("period", EDGES)
def test_a_date_out_of_range_answers_422_in_the_api(
    admin_user: Any, nps: Survey, period: dict[str, str]
) -> None:
    response = ApiClient(admin_user).get(f"/surveys/{nps.pk}/results", period)
    assert response.status_code == 422
    assert error_of(response)["fields"] == {
        name: ["Give a date between 2000 and 2100."]
        for name, value in period.items()
        if not value.startswith("2")
    }


def test_a_comparison_period_that_would_overflow_is_dropped() -> None:
    filters = ResultFilters(start=dt.date(1, 1, 2), end=dt.date(1, 1, 3))
    assert comparison_period(filters) is None


# --- 11. CSI of zero-weight factors only ------------------------------------------------------


def test_a_csi_with_answers_only_to_zero_weight_factors_has_no_index(
    admin_user: Any, store_a: Any
) -> None:
    survey = make_survey(
        admin_user,
        [
            scale("speed", "csi_factor", 1, 10, factor="speed", weight=0),
            scale("price", "csi_factor", 1, 5, factor="price", weight=100, required=False),
        ],
    )
    respond(survey, store_a, {"speed": 7})
    with translation.override("en"):
        csi = survey_results(survey, admin_user, bootstrap=0).csi
    assert csi is not None and csi.index is None
    assert "Only factors with weight 0 have answers: there is no index." in csi.message
    response = client_for(admin_user, "en").get(f"/surveys/{survey.pk}/results/")
    assert response.status_code == 200
    assert "Only factors with weight 0 have answers" in response.content.decode()


# --- 12. a segment with an invalid filter -----------------------------------------------------


@pytest.mark.parametrize("query", ["tier=nonsense", "store=999999", "lost_reason=bored"])
def test_a_segment_with_an_invalid_filter_sends_to_nobody_and_says_why(
    manager: Any, customer: Any, customer_b: Any, nps: Survey, query: str
) -> None:
    client = client_for(manager, "en")
    url = f"/surveys/send-segment/?{query}"
    response = client.post(url, {"survey": nps.pk})
    assert not Invitation.objects.exists()
    assert response.status_code == 200
    assert "These filters are not valid" in response.content.decode()
    html = client.get(url).content.decode()
    assert "These filters are not valid, so the survey cannot be sent:" in html
    assert "Select a valid choice." in html
    assert '<strong data-figure="matching">0</strong>' in html
    assert 'name="survey"' not in html
