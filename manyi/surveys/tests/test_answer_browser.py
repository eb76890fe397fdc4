"""A customer answers an NPS survey on a phone (Debian's chromium through Playwright), in
Chinese: a low score brings up the follow-up question, the answers are sent, the thank-you
page says someone will get in touch; the organisation admin then sees the response counted
on the results page. The same without JavaScript.

Screenshots go to `screenshots/` at the repository root for a human to look at.
"""

from __future__ import annotations

from typing import Any

import pytest

from manyi.accounts.choices import Role
from manyi.cases.choices import Channel
from manyi.cases.models import Case
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import (
    CustomerFactory,
    OrganisationFactory,
    StoreFactory,
    UserFactory,
)
from manyi.surveys.choices import InvitationSource, ResponseMode
from manyi.surveys.models import Invitation, Response, Survey
from manyi.surveys.services import install_template, invite_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    org = OrganisationFactory(name="申城汽车集团")
    store = StoreFactory(organisation=org, name="浦东店", code="PD")
    admin = UserFactory(
        store=store, role=Role.ORG_ADMIN, username="surveyadmin", display_name="赵管理"
    )
    agent = UserFactory(store=store, role=Role.AGENT, username="agent", display_name="李客服")
    customer = CustomerFactory(store=store, name="张伟", phone="13812345678")
    survey = install_template(actor=admin, template_key="nps")
    return {"admin": admin, "agent": agent, "customer": customer, "survey": survey}


def _invite(world: dict[str, Any]) -> Invitation:
    outcome = invite_customer(
        survey=world["survey"],
        customer=world["customer"],
        source=InvitationSource.MANUAL,
        actor=world["admin"],
        staff=world["agent"],
        respect_quiet_period=False,
    )
    assert outcome.invitation is not None and outcome.sent
    return outcome.invitation


def _nps_button(page: Any, score: int) -> Any:
    return page.locator(f'#q-nps label.sv-pt:has(input[value="{score}"])')


def test_customer_answers_on_a_phone_in_chinese_and_the_admin_sees_the_response(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    invitation = _invite(world)
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/s/{invitation.token}/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "您有多大可能向亲友推荐本店" in page.locator("#q-nps").inner_text()
    assert page.locator("#q-fix").is_hidden()
    # Eleven buttons in one row, each a comfortable tap target, none off the screen.
    buttons = page.locator("#q-nps label.sv-pt span")
    assert buttons.count() == 11
    first, last = buttons.nth(0).bounding_box(), buttons.nth(10).bounding_box()
    assert first["y"] == last["y"]
    assert first["height"] >= 44 and first["width"] >= 26
    assert last["x"] + last["width"] <= 390
    shot(page, "survey_answer_phone_zh")

    _nps_button(page, 3).tap()
    page.locator("#q-fix").wait_for(state="visible")
    page.locator('textarea[name="q_fix"]').click()
    page.locator('textarea[name="q_fix"]').fill("交车时间一拖再拖，希望下次准时。")
    shot(page, "survey_answer_phone_zh_follow_up")

    page.locator('button[value="submit"]').tap()
    page.wait_for_url(f"{base}/s/{invitation.token}/thanks/")
    assert page.locator("#thanks").is_visible()
    assert page.locator("#contact").is_visible()  # a case was opened for the low score
    shot(page, "survey_answer_phone_zh_thanks")

    response = Response.objects.get(invitation=invitation)
    assert response.nps == 3 and response.mode == ResponseMode.ONLINE
    assert response.answers["fix"] == "交车时间一拖再拖，希望下次准时。"
    assert Case.objects.filter(channel=Channel.SURVEY, owner=world["agent"]).count() == 1

    # The link is closed now.
    closed = page.goto(f"{base}/s/{invitation.token}/")
    assert closed is not None and closed.status == 410
    shot(page, "survey_answer_phone_zh_closed")

    admin = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    desk = admin.new_page()
    login(desk, base, "surveyadmin")
    survey: Survey = world["survey"]
    results = desk.goto(f"{base}/surveys/{survey.pk}/results/")
    assert results is not None and results.status == 200, "the results page (helper C)"
    figure = desk.locator('[data-figure="responses"]').first
    assert "1" in figure.inner_text()
    shot(desk, "survey_results_after_phone_answer")


def test_without_javascript_the_follow_up_appears_after_sending(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    invitation = _invite(world)
    page = browser.new_context(**PHONE, java_script_enabled=False).new_page()
    page.goto(f"{base}/s/{invitation.token}/")
    assert page.locator("#q-fix").is_hidden()

    _nps_button(page, 5).tap()
    with page.expect_navigation():
        page.locator('button[value="submit"]').tap()
    assert page.locator("#revealed").is_visible()
    assert page.locator("#q-fix").is_visible()
    shot(page, "survey_answer_phone_zh_nojs_revealed")

    page.locator('textarea[name="q_fix"]').fill("请主动告知维修进度。")
    page.locator('button[value="submit"]').tap()
    page.wait_for_url(f"{base}/s/{invitation.token}/thanks/")
    assert page.locator("#contact").is_visible()
    assert Response.objects.get(invitation=invitation).answers == {
        "nps": 5,
        "fix": "请主动告知维修进度。",
    }


def test_save_and_finish_later_in_english_on_a_phone(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    invitation = _invite(world)
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/s/{invitation.token}/")
    page.locator("a.sv-lang").tap()
    page.wait_for_url(f"{base}/s/{invitation.token}/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    _nps_button(page, 9).tap()
    page.locator('textarea[name="q_reason"]').click()
    page.locator('textarea[name="q_reason"]').fill("Friendly staff")
    page.locator('button[value="save"]').tap()
    page.wait_for_url(f"{base}/s/{invitation.token}/?lang=en&saved=1")
    assert page.locator("#saved").is_visible()
    assert page.locator('#q-nps input[value="9"]').is_checked()
    shot(page, "survey_answer_phone_en_saved")
    assert Response.objects.get(invitation=invitation).submitted_at is None


ALL_TYPES: dict[str, Any] = {
    "questions": [
        {
            "key": "csat",
            "type": "scale",
            "text_zh": "您对本次服务满意吗？",
            "scale_min": 1,
            "scale_max": 5,
            "label_low_zh": "非常不满意",
            "label_high_zh": "非常满意",
            "role": "csat",
        },
        {
            "key": "wait",
            "type": "scale",
            "text_zh": "请为等候时间打分",
            "scale_min": 1,
            "scale_max": 10,
            "label_low_zh": "非常差",
            "label_high_zh": "非常好",
            "allow_na": True,
            "required": False,
        },
        {
            "key": "visit",
            "type": "single",
            "text_zh": "您这次来店的目的是？",
            "options": [
                {"value": "service", "zh": "保养"},
                {"value": "repair", "zh": "维修"},
                {"value": "other", "zh": "其他"},
            ],
        },
        {
            "key": "problems",
            "type": "multi",
            "text_zh": "您遇到了哪些问题？",
            "required": False,
            "options": [
                {"value": "late", "zh": "交车延误"},
                {"value": "price", "zh": "收费不清楚"},
                {"value": "rude", "zh": "态度不好"},
            ],
        },
        {
            "key": "late_days",
            "type": "text",
            "text_zh": "延误了多久？",
            "required": False,
            "show_if": {"key": "problems", "op": "in", "value": ["late"]},
        },
        {
            "key": "kano_wash",
            "type": "kano",
            "text_zh": "如果本店提供“保养后免费洗车”，您觉得如何？",
            "text2_zh": "如果本店不提供“保养后免费洗车”，您觉得如何？",
            "role": "kano",
            "feature": "wash",
        },
        {
            "key": "sq_r1",
            "type": "servqual",
            "text_zh": "承诺在某个时间完成的事，会按时完成。",
            "scale_min": 1,
            "scale_max": 7,
            "label_low_zh": "非常不同意",
            "label_high_zh": "非常同意",
            "dimension": "reliability",
            "role": "servqual",
        },
        {
            "key": "importance",
            "type": "points",
            "text_zh": "请把 100 分分配给以下三个方面",
            "total": 100,
            "required": False,
            "options": [
                {"value": "price", "zh": "价格"},
                {"value": "speed", "zh": "速度"},
                {"value": "care", "zh": "服务态度"},
            ],
        },
    ]
}


def test_every_question_type_fits_a_phone(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    from manyi.surveys.services import create_survey, publish_survey, save_draft

    admin = world["admin"]
    survey = create_survey(actor=admin, name_zh="门店服务体验")
    survey = save_draft(actor=admin, survey=survey, definition=ALL_TYPES)
    publish_survey(actor=admin, survey=survey)
    survey.refresh_from_db()
    world["survey"] = survey
    invitation = _invite(world)
    base = live_server.url
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/s/{invitation.token}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#q-late_days").is_hidden()
    page.locator('#q-problems label:has(input[value="late"])').tap()
    page.locator("#q-late_days").wait_for(state="visible")
    assert page.locator("#q-kano_wash [data-num]").inner_text() == "6."  # renumbered
    for name, value in (("price", "50"), ("speed", "30"), ("care", "10")):
        page.locator(f'input[name="q_importance.{name}"]').fill(value)
    assert page.locator("#q-importance [data-points-sum]").inner_text() == "90"
    shot(page, "survey_answer_phone_all_types")

    page.locator('#q-csat label.sv-pt:has(input[value="4"])').tap()
    page.locator('#q-wait label.sv-opt:has(input[value="na"])').tap()
    page.locator('#q-visit label:has(input[value="repair"])').tap()
    page.locator('textarea[name="q_late_days"]').fill("两天")
    page.locator('#q-kano_wash label:has(input[name="q_kano_wash.functional"][value="like"])').tap()
    page.locator('#q-sq_r1 label:has(input[name="q_sq_r1.expectation"][value="7"])').tap()
    page.locator('#q-sq_r1 label:has(input[name="q_sq_r1.perception"][value="5"])').tap()
    with page.expect_navigation():
        page.locator('button[value="submit"]').tap()
    # Two answers are wrong: half a Kano pair and points that do not add up to 100.
    assert page.locator("#q-kano_wash .sv-error").is_visible()
    assert page.locator("#q-importance .sv-error").is_visible()
    assert page.locator("#q-late_days").is_visible()
    shot(page, "survey_answer_phone_all_types_errors")
    page.locator(
        '#q-kano_wash label:has(input[name="q_kano_wash.dysfunctional"][value="neutral"])'
    ).tap()
    page.locator('input[name="q_importance.care"]').fill("20")
    page.locator('button[value="submit"]').tap()
    page.wait_for_url(f"{base}/s/{invitation.token}/thanks/")
    assert Response.objects.get(invitation=invitation).answers == {
        "csat": 4,
        "wait": "na",
        "visit": "repair",
        "problems": ["late"],
        "late_days": "两天",
        "kano_wash": {"functional": "like", "dysfunctional": "neutral"},
        "sq_r1": {"expectation": 7, "perception": 5},
        "importance": {"price": 50, "speed": 30, "care": 20},
    }


def test_staff_enter_a_phone_interview(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    base = live_server.url
    survey: Survey = world["survey"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    login(page, base, "agent")
    page.goto(f"{base}/surveys/{survey.pk}/phone/")
    page.locator("#id_q").click()
    page.locator("#id_q").fill("张伟")
    page.locator("#id_q").press("Enter")
    page.locator("#customer-results a.btn").first.click()
    page.locator("#q-nps").wait_for()
    assert page.locator("#q-fix").is_hidden()
    page.locator('#q-nps label.sv-pt:has(input[value="4"])').click()
    page.locator("#q-fix").wait_for(state="visible")
    page.locator('textarea[name="q_fix"]').fill("希望交车前电话通知。")
    shot(page, "survey_phone_entry")
    page.locator("form[data-survey] button.btn-primary").click()
    page.wait_for_url(f"{base}/surveys/{survey.pk}/")
    loop_case = Case.objects.get(channel=Channel.SURVEY)
    assert page.locator(f'.messages a[href="/cases/{loop_case.pk}/"]').is_visible()
    response = Response.objects.get(survey=survey)
    assert response.mode == ResponseMode.PHONE and response.entered_by == world["agent"]
    shot(page, "survey_phone_entry_saved")
