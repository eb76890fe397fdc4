"""The public answer page /s/<token>/: no login, the customer's language, partial saves,
field-level messages, one submission, closed links, conditional questions without script."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from manyi.cases.choices import Channel
from manyi.cases.models import Case
from manyi.surveys.choices import InvitationSource, InvitationState
from manyi.surveys.models import Invitation, Response, Survey
from manyi.surveys.services import install_template, invite_customer


@pytest.fixture
def nps_survey(admin_user: Any) -> Survey:
    return install_template(actor=admin_user, template_key="nps")


def _invite(survey: Survey, customer: Any, *, now: dt.datetime | None = None) -> Invitation:
    outcome = invite_customer(
        survey=survey,
        customer=customer,
        source=InvitationSource.MANUAL,
        actor=None,
        respect_quiet_period=False,
        now=now,
    )
    assert outcome.invitation is not None and outcome.sent
    return outcome.invitation


@pytest.fixture
def invitation(nps_survey: Survey, customer: Any, agent: Any) -> Invitation:
    return _invite(nps_survey, customer)


def _url(invitation: Invitation, **params: str) -> str:
    url = reverse("surveys:answer", args=[invitation.token])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _question(html: str, key: str) -> str:
    """The markup of one question's fieldset."""
    match = re.search(rf'<fieldset[^>]*id="q-{key}"[^>]*>.*?</fieldset>', html, re.S)
    assert match, f"question {key} not on the page"
    return match.group(0)


def _is_hidden(html: str, key: str) -> bool:
    opening = re.search(rf'<fieldset[^>]*id="q-{key}"[^>]*>', html)
    assert opening
    return " hidden" in opening.group(0)


def _post(client: Client, invitation: Invitation, data: dict[str, Any], **params: str) -> Any:
    return client.post(_url(invitation, **params), data)


# --- showing the page ----------------------------------------------------------------------------


def test_page_opens_without_login_in_chinese_and_marks_the_invitation_opened(
    client: Client, invitation: Invitation
) -> None:
    response = client.get(_url(invitation))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "您有多大可能向亲友推荐本店" in html
    assert "完全不可能" in html and "非常可能" in html
    # NPS: eleven radio buttons 0–10.
    assert len(re.findall(r'type="radio" name="q_nps"', _question(html, "nps"))) == 11
    assert _is_hidden(html, "fix")  # only for a low score
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert "htmx" not in html and "echarts" not in html
    assert "csrfmiddlewaretoken" in html
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.OPENED
    assert invitation.opened_at is not None


def test_lang_parameter_switches_the_page_to_english(
    client: Client, invitation: Invitation
) -> None:
    response = client.get(_url(invitation, lang="en"))
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "How likely are you to recommend this store" in html
    assert "Not at all likely" in html
    assert "Save and finish later" in html
    assert response["Content-Language"] == "en"
    # The switch leads back to Chinese and the form keeps the chosen language.
    assert "?lang=zh-hans" in html
    assert 'action="/s/' + invitation.token + '/?lang=en"' in html


def test_an_english_speaking_customer_gets_english_without_asking(
    client: Client, nps_survey: Survey, customer: Any
) -> None:
    customer.language = "en"
    customer.save()
    invitation = _invite(nps_survey, customer)
    html = client.get(_url(invitation)).content.decode()
    assert "How likely are you to recommend" in html
    assert "?lang=zh-hans" in html


def test_survey_intro_is_shown_at_the_top(client: Client, invitation: Invitation) -> None:
    Survey.objects.filter(pk=invitation.survey_id).update(
        intro_zh="感谢您抽出一分钟。", intro_en="Thank you for your minute."
    )
    assert "感谢您抽出一分钟。" in client.get(_url(invitation)).content.decode()
    assert "Thank you for your minute." in client.get(_url(invitation, lang="en")).content.decode()


def test_unknown_token_is_not_found(client: Client, db: Any) -> None:
    response = client.get(reverse("surveys:answer", args=["no-such-token"]))
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"
    assert "此链接无效" in response.content.decode() or "not valid" in response.content.decode()


def test_expired_link_is_refused_with_410(
    client: Client, nps_survey: Survey, customer: Any
) -> None:
    invitation = _invite(nps_survey, customer, now=timezone.now() - dt.timedelta(days=30))
    response = client.get(_url(invitation, lang="en"))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    response = _post(client, invitation, {"shown": "nps,reason", "q_nps": "9"})
    assert response.status_code == 410
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.opened_at is None


# --- saving and submitting -------------------------------------------------------------------


def test_save_and_finish_later_keeps_valid_answers_and_reports_the_bad_one(
    client: Client, invitation: Invitation
) -> None:
    response = _post(
        client,
        invitation,
        {"action": "save", "shown": "nps,reason", "q_nps": "12", "q_reason": "等得太久"},
        lang="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a number from 0 to 10." in _question(html, "nps")
    assert "等得太久" in _question(html, "reason")  # the valid answer is shown again
    saved = Response.objects.get(invitation=invitation)
    assert saved.answers == {"reason": "等得太久"}
    assert saved.submitted_at is None
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.PARTIAL


def test_saved_answers_come_back_when_the_link_is_opened_again(
    client: Client, invitation: Invitation
) -> None:
    response = _post(
        client, invitation, {"action": "save", "shown": "nps,reason", "q_nps": "8"}, lang="en"
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?lang=en&saved=1")
    html = client.get(response["Location"]).content.decode()
    assert "Your answers are saved" in html
    assert 'name="q_nps" value="8" checked' in _question(html, "nps")


def test_submit_with_a_missing_required_answer_completes_nothing(
    client: Client, invitation: Invitation
) -> None:
    response = _post(client, invitation, {"shown": "nps,reason", "q_reason": "还行"}, lang="en")
    assert response.status_code == 200
    assert "Please answer this question." in _question(response.content.decode(), "nps")
    saved = Response.objects.get(invitation=invitation)
    assert saved.submitted_at is None
    assert saved.answers == {"reason": "还行"}
    invitation.refresh_from_db()
    assert invitation.state != InvitationState.COMPLETED
    assert invitation.completed_at is None


def test_submission_shows_thanks_and_a_second_submission_is_refused(
    client: Client, invitation: Invitation
) -> None:
    response = _post(client, invitation, {"shown": "nps,reason", "q_nps": "9"}, lang="en")
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:answer_done", args=[invitation.token]) + (
        "?lang=en"
    )
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you for your answers!" in thanks.content.decode()
    assert "will contact you" not in thanks.content.decode()
    saved = Response.objects.get(invitation=invitation)
    assert saved.nps == 9 and saved.submitted_at is not None

    again = _post(client, invitation, {"shown": "nps,reason", "q_nps": "2"}, lang="en")
    assert again.status_code == 410
    assert "already been answered" in again.content.decode()
    saved.refresh_from_db()
    assert saved.nps == 9 and saved.answers == {"nps": 9}
    assert client.get(_url(invitation)).status_code == 410
    assert not Case.objects.filter(channel=Channel.SURVEY).exists()


def test_thanks_page_of_an_unfinished_survey_leads_back_to_the_questions(
    client: Client, invitation: Invitation
) -> None:
    response = client.get(reverse("surveys:answer_done", args=[invitation.token]))
    assert response.status_code == 302
    assert response["Location"] == _url(invitation)


def test_low_score_without_script_reveals_the_follow_up_before_finishing(
    client: Client, invitation: Invitation
) -> None:
    # The page showed nps and reason; a low score makes "fix" visible: ask for it first.
    response = _post(client, invitation, {"shown": "nps,reason", "q_nps": "3"}, lang="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert not _is_hidden(html, "fix")
    assert 'id="revealed"' in html
    assert 'value="nps,reason,fix"' in html
    assert 'name="q_nps" value="3" checked' in html
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.PARTIAL
    assert not Case.objects.filter(channel=Channel.SURVEY).exists()

    response = _post(
        client,
        invitation,
        {"shown": "nps,reason,fix", "q_nps": "3", "q_fix": "请准时交车"},
        lang="en",
    )
    assert response.status_code == 302
    saved = Response.objects.get(invitation=invitation)
    assert saved.answers == {"nps": 3, "fix": "请准时交车"}
    assert saved.loop_case is not None
    thanks = client.get(response["Location"]).content.decode()
    assert "will contact you" in thanks


def test_high_score_does_not_show_the_follow_up(client: Client, invitation: Invitation) -> None:
    response = _post(client, invitation, {"shown": "nps,reason", "q_nps": "9", "q_fix": "x"})
    assert response.status_code == 302
    assert Response.objects.get(invitation=invitation).answers == {"nps": 9}


def test_with_the_script_the_follow_up_answered_at_once_finishes(
    client: Client, invitation: Invitation
) -> None:
    response = _post(
        client, invitation, {"shown": "nps,reason,fix", "q_nps": "6", "q_fix": "快一点"}
    )
    assert response.status_code == 302
    saved = Response.objects.get(invitation=invitation)
    assert saved.answers == {"nps": 6, "fix": "快一点"}
    assert Case.objects.filter(channel=Channel.SURVEY).count() == 1


def test_a_cleared_answer_is_cleared(client: Client, invitation: Invitation) -> None:
    _post(client, invitation, {"action": "save", "shown": "nps,reason", "q_reason": "第一次"})
    _post(client, invitation, {"action": "save", "shown": "nps,reason", "q_reason": ""})
    assert Response.objects.get(invitation=invitation).answers == {}


def test_answers_of_questions_not_on_the_screen_are_ignored(
    client: Client, invitation: Invitation
) -> None:
    _post(client, invitation, {"action": "save", "shown": "reason", "q_reason": "好", "q_nps": "5"})
    assert Response.objects.get(invitation=invitation).answers == {"reason": "好"}


def test_posting_needs_the_csrf_token(invitation: Invitation) -> None:
    client = Client(enforce_csrf_checks=True)
    data = {"action": "save", "shown": "nps,reason", "q_nps": "8"}
    assert client.post(_url(invitation), data).status_code == 403
    html = client.get(_url(invitation)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    response = client.post(_url(invitation), {**data, "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302


def test_too_many_posts_of_one_link_are_refused(
    client: Client, invitation: Invitation, settings: Any
) -> None:
    settings.MANYI_SURVEY_RATE_PER_LINK = 2
    data = {"action": "save", "shown": "nps,reason", "q_nps": "8"}
    assert _post(client, invitation, data).status_code == 302
    assert _post(client, invitation, data).status_code == 302
    refused = _post(client, invitation, {**data, "q_nps": "2"}, lang="en")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert refused["Retry-After"]
    assert Response.objects.get(invitation=invitation).answers == {"nps": 8}


# --- other question types ----------------------------------------------------------------------


def test_kano_pairs_show_the_five_answers_and_are_saved(
    client: Client, admin_user: Any, customer: Any
) -> None:
    survey = install_template(actor=admin_user, template_key="kano")
    invitation = _invite(survey, customer)
    html = client.get(_url(invitation, lang="en")).content.decode()
    first = _question(html, "kano_online_booking")
    for label in (
        "I like it",
        "It must be that way",
        "I am neutral",
        "I can live with it",
        "I dislike it",
    ):
        assert first.count(label) == 2  # once for each half of the pair
    assert "If the store does not offer" in first
    response = _post(
        client,
        invitation,
        {
            "action": "save",
            "shown": "kano_online_booking,kano_free_wash",
            "q_kano_online_booking.functional": "like",
            "q_kano_online_booking.dysfunctional": "dislike",
            "q_kano_free_wash.functional": "like",
        },
        lang="en",
    )
    assert response.status_code == 200
    assert "Answer both parts of this question." in _question(
        response.content.decode(), "kano_free_wash"
    )
    assert Response.objects.get(invitation=invitation).answers == {
        "kano_online_booking": {"functional": "like", "dysfunctional": "dislike"}
    }


def test_servqual_pairs_and_points_must_add_up(
    client: Client, admin_user: Any, customer: Any
) -> None:
    survey = install_template(actor=admin_user, template_key="servqual")
    invitation = _invite(survey, customer)
    html = client.get(_url(invitation, lang="en")).content.decode()
    item = _question(html, "sq_t1")
    assert 'name="q_sq_t1.expectation"' in item and 'name="q_sq_t1.perception"' in item
    assert len(re.findall(r'type="radio" name="q_sq_t1.perception"', item)) == 7
    assert 'type="number" name="q_sq_importance.reliability"' in _question(html, "sq_importance")
    points = {
        f"q_sq_importance.{d}": n
        for d, n in zip(
            ("tangibles", "reliability", "responsiveness", "assurance", "empathy"),
            ("10", "30", "20", "20", "10"),
            strict=True,
        )
    }
    response = _post(
        client,
        invitation,
        {
            "action": "save",
            "shown": "sq_t1,sq_importance",
            "q_sq_t1.expectation": "7",
            "q_sq_t1.perception": "5",
            **points,
        },
        lang="en",
    )
    html = response.content.decode()
    assert "The points must add up to 100 (they add up to 90)." in _question(html, "sq_importance")
    assert 'value="30"' in _question(html, "sq_importance")  # what was typed comes back
    assert Response.objects.get(invitation=invitation).answers == {
        "sq_t1": {"expectation": 7, "perception": 5}
    }


def test_not_applicable_is_offered_where_allowed(
    client: Client, admin_user: Any, customer: Any
) -> None:
    from manyi.surveys.services import publish_survey, save_draft

    survey = install_template(actor=admin_user, template_key="csat_ces", publish=False)
    draft = survey.draft
    draft["questions"][1]["allow_na"] = True
    survey = save_draft(actor=admin_user, survey=survey, definition=draft)
    publish_survey(actor=admin_user, survey=survey)
    survey.refresh_from_db()
    invitation = _invite(survey, customer)
    html = client.get(_url(invitation, lang="en")).content.decode()
    assert 'name="q_ces" value="na"' in _question(html, "ces")
    assert 'value="na"' not in _question(html, "csat")
    response = _post(
        client, invitation, {"shown": "csat,ces", "q_csat": "4", "q_ces": "na"}, lang="en"
    )
    assert response.status_code == 302
    assert Response.objects.get(invitation=invitation).answers == {"csat": 4, "ces": "na"}


def test_staff_survey_link_without_a_customer_can_be_answered(
    client: Client, admin_user: Any, store_a: Any
) -> None:
    from manyi.surveys.services import invite_staff

    survey = install_template(actor=admin_user, template_key="employee")
    invite_staff(survey=survey, store=store_a, actor=admin_user)
    invitation = Invitation.objects.filter(survey=survey).first()
    assert invitation is not None
    response = client.get(_url(invitation))
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_a_link_that_was_never_sent_is_refused(
    client: Client, nps_survey: Survey, customer: Any
) -> None:
    customer.contact_consent = False
    customer.save()
    outcome = invite_customer(
        survey=nps_survey,
        customer=customer,
        source=InvitationSource.MANUAL,
        actor=None,
        dedupe_key="test:no-consent",
    )
    assert outcome.invitation is not None and not outcome.sent
    response = client.get(_url(outcome.invitation, lang="en"))
    assert response.status_code == 410
    assert "Link not valid" in response.content.decode()
    assert _post(client, outcome.invitation, {"shown": "nps", "q_nps": "9"}).status_code == 410
    assert not Response.objects.exists()
