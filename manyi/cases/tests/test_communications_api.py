"""REST operations of the communication log and reply templates: scoped (404 outside the
caller's organisation or store), outbound entries meet the clocks, stale versions 409,
templates filled for a case, writes for organisation admins only."""

from __future__ import annotations

import json

import pytest

from manyi.cases.comm_services import create_reply_template
from manyi.cases.models import Communication, ReplyTemplate
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.tests.api_client import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category)


@pytest.fixture
def template(org):
    return create_reply_template(
        organisation=org,
        name="回电",
        body_zh="{customer_name}您好，单号{case_number}",
        body_en="Dear {customer_name}, case {case_number}",
        medium="call",
    )


def put(api: ApiClient, path: str, body: dict) -> object:
    return api.client.put(
        api.url(path), json.dumps(body), content_type="application/json", headers=api._headers()
    )


def test_post_logs_an_outbound_contact_that_meets_first_response(agent, case):
    api = ApiClient(agent)
    response = api.post(
        f"/cases/{case.pk}/communications",
        {
            "direction": "outbound",
            "medium": "sms",
            "content": "已短信告知",
            "version": case.version,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["direction"], body["medium"], body["automatic"]) == ("outbound", "sms", False)
    assert body["by"]["username"] == "agent" and body["at"].endswith("+08:00")
    case.refresh_from_db()
    assert body["case_version"] == case.version
    assert case.first_responded_at is not None

    listed = api.get(f"/cases/{case.pk}/communications").json()
    assert listed["total"] == 1 and listed["items"][0]["content"] == "已短信告知"


def test_inbound_contact_does_not_count_as_a_response(agent, case):
    response = ApiClient(agent).post(
        f"/cases/{case.pk}/communications",
        {"direction": "inbound", "medium": "call", "content": "客户来电"},
    )
    assert response.status_code == 201
    case.refresh_from_db()
    assert case.first_responded_at is None


def test_stale_version_is_409(agent, case):
    api = ApiClient(agent)
    api.post(f"/cases/{case.pk}/communications", {"content": "第一次", "version": case.version})
    response = api.post(
        f"/cases/{case.pk}/communications", {"content": "第二次", "version": case.version}
    )
    assert response.status_code == 409
    assert not Communication.objects.filter(content="第二次").exists()


def test_bad_input_is_422_with_fields(agent, case):
    response = ApiClient(agent).post(
        f"/cases/{case.pk}/communications", {"medium": "pigeon", "content": ""}
    )
    assert response.status_code == 422
    assert "medium" in response.json()["error"]["fields"]
    response = ApiClient(agent).post(f"/cases/{case.pk}/communications", {"content": " "})
    assert response.status_code == 422
    assert "content" in response.json()["error"]["fields"]


def test_template_fills_an_empty_content(agent, case, template):
    response = ApiClient(agent, language="en").post(
        f"/cases/{case.pk}/communications", {"template_id": template.pk}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["content"] == f"Dear 张伟, case {case.number}" and body["template"] == template.pk


def test_another_organisations_case_and_template_are_404(agent, case, template, other_org):
    api = ApiClient(other_org["user"])
    assert api.get(f"/cases/{case.pk}/communications").status_code == 404
    assert api.post(f"/cases/{case.pk}/communications", {"content": "x"}).status_code == 404
    render = api.get(f"/reply-templates/{template.pk}/render", {"case_id": other_org["case"].pk})
    assert render.status_code == 404
    assert api.get("/reply-templates").json()["items"] == []
    assert (
        put(api, f"/reply-templates/{template.pk}", {"name": "x", "body_zh": "y"}).status_code
        == 404
    )
    mine = ApiClient(agent)
    foreign = ReplyTemplate.objects.create(organisation=other_org["org"], name="x", body_zh="y")
    response = mine.post(
        f"/cases/{case.pk}/communications", {"content": "x", "template_id": foreign.pk}
    )
    assert response.status_code == 422 and "template_id" in response.json()["error"]["fields"]
    assert not Communication.objects.exists()


def test_another_stores_agent_gets_404(agent_b, case):
    assert ApiClient(agent_b).get(f"/cases/{case.pk}/communications").status_code == 404


def test_render_in_both_languages(agent, case, template):
    api = ApiClient(agent)
    zh = api.get(
        f"/reply-templates/{template.pk}/render", {"case_id": case.pk, "language": "zh-hans"}
    ).json()
    assert zh["text"] == f"张伟您好，单号{case.number}" and zh["language"] == "zh-hans"
    en = api.get(f"/reply-templates/{template.pk}/render", {"case_id": case.pk}).json()
    assert en["text"] == f"Dear 张伟, case {case.number}" and en["language"] == "en"


def test_only_org_admins_write_templates(agent, admin_user, org, template):
    body = {"name": "新模板", "body_zh": "{customer_name}您好", "medium": "sms"}
    assert ApiClient(agent).post("/reply-templates", body).status_code == 403
    created = ApiClient(admin_user).post("/reply-templates", body)
    assert created.status_code == 201
    assert created.json()["medium"] == "sms" and created.json()["active"] is True
    assert put(ApiClient(agent), f"/reply-templates/{template.pk}", body).status_code == 403
    changed = put(
        ApiClient(admin_user),
        f"/reply-templates/{template.pk}",
        {"name": "回电", "body_zh": "改了", "active": False},
    )
    assert changed.status_code == 200
    template.refresh_from_db()
    assert (template.body_zh, template.active, template.medium) == ("改了", False, "")
    duplicate = ApiClient(admin_user).post("/reply-templates", body)
    assert duplicate.status_code == 422 and "name" in duplicate.json()["error"]["fields"]
    active = ApiClient(agent).get("/reply-templates", {"active": "true"}).json()["items"]
    assert [t["name"] for t in active] == ["新模板"]
