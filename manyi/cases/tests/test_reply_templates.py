"""Reply templates: placeholders filled in Chinese and English, the defaults of a new
organisation, the settings pages (org admins only, both languages), the editable texts of the
automatic customer messages, and the Django admin scoped to the organisation."""

from __future__ import annotations

import pytest

from manyi.cases.comm_services import (
    DEFAULT_REPLY_TEMPLATES,
    create_reply_template,
    ensure_default_reply_templates,
    render_reply,
    update_reply_template,
)
from manyi.cases.models import ReplyTemplate
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.errors import ValidationFailed
from manyi.notifications.customer import send_to_customer
from manyi.notifications.models import MessageTemplate

pytestmark = pytest.mark.django_db

BODY_ZH = (
    "{customer_name}您好，单号{case_number}，请于{due_at}前等候{store_name}{agent_name}回电。{oops}"
)
BODY_EN = (
    "Dear {customer_name}, case {case_number}: {agent_name} of {store_name} calls by {due_at}."
)


@pytest.fixture
def template(org):
    return create_reply_template(organisation=org, name="回电", body_zh=BODY_ZH, body_en=BODY_EN)


def test_render_reply_fills_placeholders_in_chinese(template, agent, customer, category):
    case = open_case(agent, customer, category)
    text = render_reply(template, case, "zh-hans")
    due = case.next_due_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert text == (
        f"张伟您好，单号{case.number}，请于{due:%Y-%m-%d %H:%M}前等候浦东店{agent}回电。{{oops}}"
    )


def test_render_reply_in_english_and_the_writer_as_agent(
    template, agent, supervisor, customer, category
):
    case = open_case(agent, customer, category)
    text = render_reply(template, case, "en", agent=supervisor)
    assert text.startswith(f"Dear 张伟, case {case.number}: {supervisor} of 浦东店 calls by 20")


def test_english_falls_back_to_chinese_when_empty(org, agent, customer, category):
    t = create_reply_template(organisation=org, name="只有中文", body_zh="{customer_name}您好")
    assert render_reply(t, open_case(agent, customer, category), "en") == "张伟您好"


def test_names_are_unique_per_organisation_and_chinese_text_required(org, template, other_org):
    with pytest.raises(ValidationFailed) as e:
        create_reply_template(organisation=org, name="回电", body_zh="x")
    assert "name" in e.value.as_fields()
    with pytest.raises(ValidationFailed) as e:
        create_reply_template(organisation=org, name="新", body_zh="  ")
    assert "body_zh" in e.value.as_fields()
    create_reply_template(organisation=other_org["org"], name="回电", body_zh="x")  # fine


def test_switching_a_template_off(template):
    update_reply_template(
        template=template, name="回电", body_zh=BODY_ZH, body_en=BODY_EN, active=False
    )
    template.refresh_from_db()
    assert template.active is False


def test_default_templates_are_added_once(org):
    assert ensure_default_reply_templates(organisation=org) == len(DEFAULT_REPLY_TEMPLATES)
    assert ensure_default_reply_templates(organisation=org) == 0
    rows = ReplyTemplate.objects.filter(organisation=org)
    assert rows.count() == len(DEFAULT_REPLY_TEMPLATES) == 4
    assert all(t.body_zh and t.body_en for t in rows)


# --- settings pages -----------------------------------------------------------------------


def test_reply_template_pages_are_for_org_admins_only(agent, manager):
    assert client_for(agent).get("/cases/reply-templates/").status_code == 403
    assert client_for(manager).get("/cases/message-templates/").status_code == 403


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ["Reply templates", "New reply template", "Automatic customer messages"]),
        ("zh-hans", ["回电"]),
    ],
)
def test_reply_template_list_in_both_languages(admin_user, template, language, texts):
    html = client_for(admin_user, language).get("/cases/reply-templates/").content.decode()
    for text in texts:
        assert text in html, text


def test_admin_creates_and_edits_a_reply_template(admin_user, org):
    client = client_for(admin_user, "en")
    page = client.get("/cases/reply-templates/new/").content.decode()
    assert "{customer_name}" in page and "Chinese text" in page
    response = client.post(
        "/cases/reply-templates/new/",
        {"name": "道歉", "medium": "sms", "body_zh": "{customer_name}，抱歉", "active": "on"},
    )
    assert response.status_code == 302
    t = ReplyTemplate.objects.get(organisation=org, name="道歉")
    assert (t.medium, t.active, t.body_en) == ("sms", True, "")
    response = client.post(
        f"/cases/reply-templates/{t.pk}/edit/",
        {"name": "道歉", "medium": "", "body_zh": "新文本", "body_en": "New"},
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert (t.body_zh, t.body_en, t.medium, t.active) == ("新文本", "New", "", False)


def test_a_duplicate_name_shows_the_error(admin_user, template):
    response = client_for(admin_user, "en").post(
        "/cases/reply-templates/new/", {"name": "回电", "body_zh": "x"}
    )
    assert response.status_code == 200
    assert "Another reply template has this name." in response.content.decode()


def test_another_organisations_template_is_404(admin_user, other_org):
    foreign = ReplyTemplate.objects.create(organisation=other_org["org"], name="x", body_zh="y")
    assert (
        client_for(admin_user).get(f"/cases/reply-templates/{foreign.pk}/edit/").status_code == 404
    )


def test_message_texts_page_lists_the_built_in_kinds(admin_user):
    en = client_for(admin_user, "en").get("/cases/message-templates/").content.decode()
    for text in (
        "Service guarantee payout",
        "Complaint received",
        "Complaint resolved",
        "{payout}",
    ):
        assert text in en, text
    assert "Built-in text" in en and "We have received your complaint" in en
    zh = client_for(admin_user).get("/cases/message-templates/").content.decode()
    assert "我们已收到您的投诉" in zh


def test_admin_overrides_a_message_text_and_resets_it(admin_user, org, agent, customer, category):
    client = client_for(admin_user, "en")
    form = client.get("/cases/message-templates/case_resolved/").content.decode()
    assert "{customer_name}" in form and "Your complaint has been resolved" in form
    response = client.post(
        "/cases/message-templates/case_resolved/",
        {"subject_zh": "办结", "body_zh": "{customer_name}：{case_number}已办结", "body_en": ""},
    )
    assert response.status_code == 302
    case = open_case(agent, customer, category)
    message = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="1")
    assert message is not None and message.body == f"张伟：{case.number}已办结"
    listing = client.get("/cases/message-templates/").content.decode()
    assert "Own text" in listing

    assert client.post("/cases/message-templates/case_resolved/reset/").status_code == 302
    assert not MessageTemplate.objects.filter(organisation=org).exists()
    again = send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="2")
    assert again is not None and "已处理完毕" in again.body


def test_an_unknown_placeholder_in_a_message_text_is_shown_as_an_error(admin_user):
    response = client_for(admin_user, "en").post(
        "/cases/message-templates/case_received/", {"body_zh": "{who}您好"}
    )
    assert response.status_code == 200
    assert "Unknown placeholder {who}" in response.content.decode()


def test_unknown_message_kind_is_404(admin_user):
    assert client_for(admin_user).get("/cases/message-templates/nope/").status_code == 404


# --- Django admin -------------------------------------------------------------------------


def test_django_admin_shows_only_the_organisations_message_texts(admin_user, org, other_org):
    MessageTemplate.objects.create(organisation=org, key="case_resolved", body_zh="本组织")
    MessageTemplate.objects.create(
        organisation=other_org["org"], key="case_resolved", body_zh="别家"
    )
    admin_user.is_staff = True
    admin_user.save()
    client = client_for(admin_user)
    listing = client.get("/admin/notifications/messagetemplate/")
    assert [t.body_zh for t in listing.context["cl"].result_list] == ["本组织"]
    response = client.post(
        "/admin/notifications/messagetemplate/add/",
        {
            "key": "case_received",
            "body_zh": "{customer_name}您好",
            "subject_zh": "",
            "subject_en": "",
            "body_en": "",
        },
    )
    assert response.status_code == 302
    assert MessageTemplate.objects.get(key="case_received").organisation == org
    duplicate = client.post(
        "/admin/notifications/messagetemplate/add/",
        {
            "key": "case_received",
            "body_zh": "再来",
            "subject_zh": "",
            "subject_en": "",
            "body_en": "",
        },
    )
    assert duplicate.status_code == 200  # the form error, not a crash
    assert client.get("/admin/notifications/customermessage/").status_code == 200
