"""The pages that build surveys: the list, a new survey from a template, the overview with its
settings and version history, publishing, and the question editor. Everyone of the
organisation reads them, organisation admins change them, another organisation gets 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from manyi.cases.tests.ui_helpers import client_for
from manyi.surveys import library, services
from manyi.surveys.answers import save_answers
from manyi.surveys.choices import InvitationSource
from manyi.surveys.models import Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(admin_user: Any) -> Survey:
    return services.install_template(actor=admin_user, template_key="nps")


def _keys(survey: Survey) -> list[str]:
    survey.refresh_from_db()
    return [q["key"] for q in survey.draft["questions"]]


def _answer(survey: Survey, customer: Any, score: int) -> None:
    outcome = services.invite_customer(
        survey=survey,
        customer=customer,
        source=InvitationSource.MANUAL,
        actor=None,
        respect_quiet_period=False,
    )
    assert outcome.invitation is not None
    save_answers(invitation=outcome.invitation, raw={"nps": score}, submit=True)


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_each_survey_with_its_version_and_answers(
    admin_user: Any, agent: Any, nps: Survey, customer: Any
) -> None:
    _answer(nps, customer, 9)
    draft = services.create_survey(actor=admin_user, template_key="kano")
    html = client_for(agent, "en").get("/surveys/").content.decode()
    assert "Net Promoter Score (NPS)" in html and "Service features (Kano)" in html
    row = html.split(f'id="survey-{nps.pk}"')[1].split("</tr>")[0]
    assert "Published v1" in row and '<td class="num" data-figure="responses">1</td>' in row
    assert "Draft" in html.split(f'id="survey-{draft.pk}"')[1].split("</tr>")[0]
    assert "/surveys/new/" not in html  # an agent does not create surveys


def test_an_archived_survey_is_only_behind_the_filter(admin_user: Any, nps: Survey) -> None:
    services.update_survey(actor=admin_user, survey=nps, archived=True)
    client = client_for(admin_user, "en")
    assert f'id="survey-{nps.pk}"' not in client.get("/surveys/").content.decode()
    assert f'id="survey-{nps.pk}"' in client.get("/surveys/?archived=1").content.decode()


def test_unpublished_changes_are_flagged_in_the_list(admin_user: Any, nps: Survey) -> None:
    services.save_draft(
        actor=admin_user, survey=nps, definition={"questions": nps.draft["questions"][:2]}
    )
    html = client_for(admin_user, "en").get("/surveys/").content.decode()
    assert "Unpublished changes" in html.split(f'id="survey-{nps.pk}"')[1].split("</tr>")[0]


# --- a new survey ----------------------------------------------------------------------------


def test_an_admin_chooses_among_the_eight_templates_and_gets_a_draft(admin_user: Any) -> None:
    client = client_for(admin_user, "en")
    html = client.get("/surveys/new/").content.decode()
    for t in library.templates():
        assert f'value="{t.key}"' in html and t.name_en in html
    assert 'value="blank"' in html
    response = client.post("/surveys/new/", {"template": "servqual", "name_zh": "", "name_en": ""})
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/surveys/{survey.pk}/"
    assert survey.name_en == "Service quality (SERVQUAL)" and survey.current_version is None
    assert len(survey.draft["questions"]) == 23


def test_a_blank_survey_needs_a_name(admin_user: Any) -> None:
    client = client_for(admin_user, "en")
    response = client.post("/surveys/new/", {"template": "blank", "name_zh": ""})
    assert response.status_code == 200 and "Give the survey a name." in response.content.decode()
    client.post("/surveys/new/", {"template": "blank", "name_zh": "门店环境调查"})
    survey = Survey.objects.get()
    assert survey.name_zh == "门店环境调查" and survey.draft == {"questions": []}


def test_only_an_admin_creates_a_survey(agent: Any, manager: Any) -> None:
    for user in (agent, manager):
        assert client_for(user).get("/surveys/new/").status_code == 403
        assert client_for(user).post("/surveys/new/", {"template": "nps"}).status_code == 403
    assert not Survey.objects.exists()


# --- the overview ----------------------------------------------------------------------------


def _settings(survey: Survey, **changes: Any) -> dict[str, Any]:
    data = {
        "version": survey.version,
        "name_zh": survey.name_zh,
        "name_en": survey.name_en,
        "intro_zh": "",
        "intro_en": "",
        "min_n": survey.min_n,
        "expiry_days": survey.expiry_days,
        "loop_enabled": "on",
        "loop_nps_max": 6,
        "loop_csat_max": 2,
        "loop_fairness": "on",
        "loop_category": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_changes_the_settings(admin_user: Any, nps: Survey, category: Any) -> None:
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{nps.pk}/").content.decode()
    assert 'name="loop_category"' in html and category.name_en in html
    response = client.post(
        f"/surveys/{nps.pk}/",
        _settings(
            nps,
            name_en="NPS after service",
            min_n=50,
            loop_nps_max=4,
            loop_category=category.pk,
            loop_enabled=None,
        ),
    )
    assert response.status_code == 302
    nps.refresh_from_db()
    assert (nps.name_en, nps.min_n, nps.loop_nps_max) == ("NPS after service", 50, 4)
    assert nps.loop_category == category and nps.loop_enabled is False


def test_a_stale_settings_form_is_refused_with_a_message(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    stale = _settings(nps, min_n=40)
    services.update_survey(actor=admin_user, survey=nps, min_n=20)
    response = client.post(f"/surveys/{nps.pk}/", stale)
    assert response.status_code == 200
    assert "Someone else changed this survey" in response.content.decode()
    nps.refresh_from_db()
    assert nps.min_n == 20


def test_a_settings_error_from_the_service_is_shown_on_its_field(
    admin_user: Any, nps: Survey, other_org: dict[str, Any]
) -> None:
    response = client_for(admin_user, "en").post(
        f"/surveys/{nps.pk}/", _settings(nps, name_zh="  ")
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="f-name_zh"' in html and "has-error" in html


def test_an_agent_reads_the_overview_but_cannot_change_it(agent: Any, nps: Survey) -> None:
    client = client_for(agent, "en")
    html = client.get(f"/surveys/{nps.pk}/").content.decode()
    assert "Version history" in html and 'name="min_n"' not in html
    assert "publish-button" not in html
    assert client.post(f"/surveys/{nps.pk}/", _settings(nps, min_n=5)).status_code == 403
    assert client.post(f"/surveys/{nps.pk}/publish/", {}).status_code == 403
    assert client.post(f"/surveys/{nps.pk}/archive/", {"archived": "1"}).status_code == 403


def test_the_overview_links_to_the_survey_pages(admin_user: Any, nps: Survey) -> None:
    html = client_for(admin_user, "en").get(f"/surveys/{nps.pk}/").content.decode()
    for path in ("questions", "send", "slips", "invitations", "results", "phone"):
        assert f'href="/surveys/{nps.pk}/{path}/"' in html
    staff = services.install_template(actor=admin_user, template_key="employee")
    html = client_for(admin_user, "en").get(f"/surveys/{staff.pk}/").content.decode()
    assert f"/surveys/{staff.pk}/phone/" not in html  # no phone interviews of staff


def test_publishing_makes_a_new_version_and_old_answers_keep_theirs(
    admin_user: Any, nps: Survey, customer: Any
) -> None:
    _answer(nps, customer, 3)
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{nps.pk}/").content.decode()
    assert "Nothing to publish" in html
    response = client.post(f"/surveys/{nps.pk}/publish/", {"version": nps.version})
    assert response.status_code == 302
    assert (
        "Nothing changed since the last version."
        in client.get(response["Location"]).content.decode()
    )

    client.post(f"/surveys/{nps.pk}/questions/fix/delete/", {"version": nps.version})
    nps.refresh_from_db()
    html = client.get(f"/surveys/{nps.pk}/").content.decode()
    assert "Publish as version 2" in html
    assert "stay attached to the version they answered" in html
    client.post(f"/surveys/{nps.pk}/publish/", {"version": nps.version})
    nps.refresh_from_db()
    assert nps.current_version is not None and nps.current_version.number == 2
    html = client.get(f"/surveys/{nps.pk}/").content.decode()
    v1 = html.split('id="version-1"')[1].split("</tr>")[0]
    v2 = html.split('id="version-2"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in v1 and '<td class="num">0</td>' in v2
    assert nps.responses.get().survey_version.number == 1


def test_an_admin_archives_and_restores_a_survey(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    client.post(f"/surveys/{nps.pk}/archive/", {"version": nps.version, "archived": "1"})
    nps.refresh_from_db()
    assert nps.archived
    client.post(f"/surveys/{nps.pk}/archive/", {"version": nps.version, "archived": "0"})
    nps.refresh_from_db()
    assert not nps.archived


# --- the question editor ---------------------------------------------------------------------


def test_everyone_reads_the_questions_only_admins_get_the_tools(
    admin_user: Any, agent: Any, nps: Survey
) -> None:
    html = client_for(agent, "en").get(f"/surveys/{nps.pk}/questions/").content.decode()
    assert 'id="q-nps"' in html and "0–10 recommendation scale (NPS)" in html
    assert "Only when fix" not in html and "Only when nps is at most 6" in html
    assert "/questions/nps/edit/" not in html and "Add a question" not in html
    assert client_for(agent).get(f"/surveys/{nps.pk}/questions/nps/edit/").status_code == 403
    assert client_for(agent).post(f"/surveys/{nps.pk}/questions/nps/delete/").status_code == 403
    html = client_for(admin_user, "en").get(f"/surveys/{nps.pk}/questions/").content.decode()
    assert "/questions/nps/edit/" in html and "Add a question" in html


def test_an_admin_adds_a_scale_question_with_a_condition(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{nps.pk}/questions/add/?type=scale").content.decode()
    assert 'name="scale_max"' in html and 'name="options"' not in html
    assert 'value="q4"' in html  # a free key is proposed
    response = client.post(
        f"/surveys/{nps.pk}/questions/add/?type=scale",
        {
            "version": nps.version,
            "key": "wait",
            "text_zh": "等候时间是否可以接受？",
            "text_en": "Was the waiting time acceptable?",
            "scale_min": 1,
            "scale_max": 5,
            "label_low_zh": "完全不能接受",
            "label_high_zh": "完全可以接受",
            "required": "on",
            "show_if_key": "nps",
            "show_if_op": "lte",
            "show_if_value": "6",
            "role": "driver",
        },
    )
    assert response.status_code == 302
    nps.refresh_from_db()
    added = nps.draft["questions"][-1]
    assert added["key"] == "wait" and added["type"] == "scale" and added["role"] == "driver"
    assert added["show_if"] == {"key": "nps", "op": "lte", "value": 6}
    assert nps.draft_changed


def test_a_choice_question_takes_its_options_as_lines(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    response = client.post(
        f"/surveys/{nps.pk}/questions/add/",
        {
            "type": "single",
            "version": nps.version,
            "key": "visit",
            "text_zh": "本次来店目的",
            "options": "maint|保养|Maintenance|1\nrepair|维修|Repair\n\nother|其他",
            "required": "on",
            "show_if_op": "lte",
            "role": "",
        },
    )
    assert response.status_code == 302
    nps.refresh_from_db()
    options = nps.draft["questions"][-1]["options"]
    assert options == [
        {"value": "maint", "zh": "保养", "en": "Maintenance", "score": 1.0},
        {"value": "repair", "zh": "维修", "en": "Repair"},
        {"value": "other", "zh": "其他", "en": ""},
    ]
    html = client.get(f"/surveys/{nps.pk}/questions/visit/edit/").content.decode()
    assert "maint|保养|Maintenance|1\nrepair|维修|Repair\nother|其他" in html


def test_the_services_errors_land_on_the_question_fields(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    url = f"/surveys/{nps.pk}/questions/add/"
    data = {"type": "multi", "version": nps.version, "key": "visit", "show_if_op": "lte"}
    response = client.post(url, {**data, "text_zh": "", "options": "a|甲\na|乙"})
    html = response.content.decode()
    assert response.status_code == 200
    for field in ("text_zh", "options"):
        assert f'class="field has-error" id="f-{field}"' in html
    assert "is used twice" in html and "Write the question in Chinese or English." in html
    response = client.post(
        url, {**data, "key": "reason", "text_zh": "原因", "options": "a|甲\nb|乙"}
    )
    html = response.content.decode()
    assert 'class="field has-error" id="f-key"' in html
    assert "Another question already uses this key." in html
    response = client.post(url, {**data, "text_zh": "原因", "options": "a|甲|A|x"})
    assert "Line 1: the score must be a number." in response.content.decode()
    assert _keys(nps) == ["nps", "reason", "fix"]


def test_a_kano_question_asks_for_both_questions_and_the_feature(
    admin_user: Any, nps: Survey
) -> None:
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{nps.pk}/questions/add/?type=kano").content.decode()
    assert 'name="text2_zh"' in html and 'name="feature"' in html and 'name="scale_max"' not in html
    response = client.post(
        f"/surveys/{nps.pk}/questions/add/?type=kano",
        {
            "version": nps.version,
            "key": "kano_wifi",
            "text_zh": "如果提供无线网络？",
            "show_if_op": "lte",
            "role": "kano",
            "feature": "wifi",
        },
    )
    assert 'class="field has-error" id="f-text2_zh"' in response.content.decode()


def test_renaming_a_question_carries_the_conditions_that_refer_to_it(
    admin_user: Any, nps: Survey
) -> None:
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{nps.pk}/questions/nps/edit/").content.decode()
    assert "How likely are you to recommend this store" in html
    response = client.post(
        f"/surveys/{nps.pk}/questions/nps/edit/",
        {
            "version": nps.version,
            "key": "recommend",
            "text_zh": "您会推荐本店吗？",
            "text_en": "Would you recommend us?",
            "label_low_zh": "不会",
            "required": "on",
            "show_if_op": "lte",
            "role": "nps",
        },
    )
    assert response.status_code == 302
    nps.refresh_from_db()
    first, _reason, fix = nps.draft["questions"]
    assert first["key"] == "recommend" and first["text_en"] == "Would you recommend us?"
    assert first["label_low_en"] == ""  # cleared fields are cleared
    assert fix["show_if"]["key"] == "recommend"


def test_a_condition_can_only_use_an_earlier_question(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{nps.pk}/questions/reason/edit/").content.decode()
    options = html.split('name="show_if_key"')[1].split("</select>")[0]
    assert 'value="nps"' in options and 'value="fix"' not in options
    # Moving the conditional question above the one it depends on is refused.
    client.post(
        f"/surveys/{nps.pk}/questions/fix/move/", {"version": nps.version, "direction": "up"}
    )
    nps.refresh_from_db()
    client.post(
        f"/surveys/{nps.pk}/questions/fix/move/", {"version": nps.version, "direction": "up"}
    )
    assert _keys(nps) == ["nps", "fix", "reason"]
    response = client.post(
        f"/surveys/{nps.pk}/questions/nps/move/",
        {"version": nps.version, "direction": "down"},
        follow=True,
    )
    assert "A condition can only refer to an earlier question." in response.content.decode()
    assert _keys(nps) == ["nps", "fix", "reason"]


def test_deleting_a_question_others_depend_on_is_refused(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    response = client.post(
        f"/surveys/{nps.pk}/questions/nps/delete/", {"version": nps.version}, follow=True
    )
    assert "Question 2 (fix)" in response.content.decode()
    assert _keys(nps) == ["nps", "reason", "fix"]
    client.post(f"/surveys/{nps.pk}/questions/reason/delete/", {"version": nps.version})
    assert _keys(nps) == ["nps", "fix"]


def test_a_stale_question_edit_is_refused(admin_user: Any, nps: Survey) -> None:
    client = client_for(admin_user, "en")
    stale = nps.version
    client.post(f"/surveys/{nps.pk}/questions/reason/delete/", {"version": stale})
    response = client.post(
        f"/surveys/{nps.pk}/questions/fix/delete/", {"version": stale}, follow=True
    )
    assert "Someone else changed this survey" in response.content.decode()
    assert _keys(nps) == ["nps", "fix"]


def test_an_unknown_question_is_404(admin_user: Any, nps: Survey) -> None:
    assert client_for(admin_user).get(f"/surveys/{nps.pk}/questions/nope/edit/").status_code == 404
    response = client_for(admin_user).get(f"/surveys/{nps.pk}/questions/add/?type=nope")
    assert response.status_code == 302


# --- scoping and languages -------------------------------------------------------------------

PAGES = (
    "",
    "questions/",
    "questions/nps/edit/",
    "questions/add/?type=nps",
    "send/",
    "slips/",
    "invitations/",
)


def test_another_organisations_survey_is_404_on_every_page(
    nps: Survey, other_org: dict[str, Any]
) -> None:
    client = client_for(other_org["user"])
    for page in PAGES:
        assert client.get(f"/surveys/{nps.pk}/{page}").status_code == 404, page
    for action in ("publish/", "archive/", "questions/nps/delete/", "questions/nps/move/"):
        assert client.post(f"/surveys/{nps.pk}/{action}", {"version": 1}).status_code == 404
    assert client.post(f"/surveys/{nps.pk}/", _settings(nps)).status_code == 404
    assert f"/surveys/{nps.pk}/" not in client.get("/surveys/").content.decode()


def test_the_pages_need_a_login(client: Any, nps: Survey) -> None:
    for page in ("/surveys/", f"/surveys/{nps.pk}/", f"/surveys/{nps.pk}/questions/"):
        response = client.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_builder_pages_render_in_both_languages(
    language: str, admin_user: Any, nps: Survey
) -> None:
    client = client_for(admin_user, language)
    with translation.override(language):
        expected = {
            "/surveys/": [translation.gettext("New survey"), nps.name(language)],
            "/surveys/new/": [translation.gettext("Blank survey")],
            f"/surveys/{nps.pk}/": [
                translation.gettext("Version history"),
                translation.gettext("Close the loop"),
            ],
            f"/surveys/{nps.pk}/questions/": [translation.gettext("Add a question")],
            f"/surveys/{nps.pk}/questions/nps/edit/": [translation.gettext("Save to the draft")],
            f"/surveys/{nps.pk}/questions/add/?type=servqual": [
                translation.gettext("SERVQUAL dimension")
            ],
        }
    for url, words in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for word in words:
            assert word in html, (url, word)
    zh = client_for(admin_user, "zh-hans").get("/surveys/").content.decode()
    assert 'lang="zh-CN"' in zh and "净推荐值（NPS）" in zh
