"""The communication log: outbound contacts meet the response clocks and inbound ones do not,
a stale form is refused, the panel on the case page logs, fills in reply templates and shows
which entries were customer-facing — in Chinese and English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import at
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases import services
from manyi.cases.comm_services import ensure_default_reply_templates
from manyi.cases.models import Case, CaseSla, Communication, ReplyTemplate
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.errors import ConflictError
from manyi.notifications.customer import send_to_customer

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def clocks(case):
    return {c.metric: c for c in CaseSla.objects.filter(case=case)}


def new_case(agent, customer, category, now):
    return services.create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary="交车延误两天",
        received_at=now,
        now=now,
    )


# --- the service's SLA rules ---------------------------------------------------------------


def test_outbound_contact_meets_first_response_and_restarts_next_update(agent, customer, category):
    case = new_case(agent, customer, category, at(2026, 3, 4, 9, 0))
    services.log_communication(
        actor=agent,
        case=case,
        direction="outbound",
        medium="sms",
        content="已短信告知处理进度",
        now=at(2026, 3, 4, 10, 0),
    )
    case.refresh_from_db()
    c = clocks(case)
    assert case.first_responded_at == at(2026, 3, 4, 10, 0)
    assert case.status == "acknowledged"
    assert c["first_response"].state == "fulfilled"
    assert (c["next_update"].state, c["next_update"].cycle) == ("active", 1)
    services.log_communication(
        actor=agent,
        case=case,
        direction="outbound",
        medium="call",
        content="致电告知配件已到",
        now=at(2026, 3, 5, 9, 0),
    )
    c = clocks(case)
    assert c["next_update"].cycle == 2
    assert c["next_update"].due_at == at(2026, 3, 9, 10, 0)
    assert AuditEvent.objects.filter(case=case, kind=EventKind.RESPONDED).count() == 2


def test_inbound_contact_does_not_meet_the_clocks(agent, customer, category):
    case = new_case(agent, customer, category, at(2026, 3, 4, 9, 0))
    services.log_communication(
        actor=agent,
        case=case,
        direction="inbound",
        medium="call",
        content="客户来电催促",
        now=at(2026, 3, 4, 10, 0),
    )
    case.refresh_from_db()
    assert case.first_responded_at is None and case.status == "new"
    assert clocks(case)["first_response"].state == "active"
    assert "next_update" not in clocks(case)
    assert AuditEvent.objects.filter(case=case, kind=EventKind.COMMUNICATED).count() == 1


def test_automatic_outbound_message_does_not_meet_the_clocks(agent, customer, category):
    case = new_case(agent, customer, category, at(2026, 3, 4, 9, 0))
    send_to_customer(
        case=case,
        kind="case_received",
        context={"due_at": "2026-03-04 17:00"},
        dedupe_key="received",
        now=at(2026, 3, 4, 9, 1),
    )
    case.refresh_from_db()
    assert case.first_responded_at is None
    assert clocks(case)["first_response"].state == "active"
    entry = Communication.objects.get(case=case)
    assert entry.automatic and entry.direction == "outbound"


def test_a_stale_version_is_refused_and_nothing_is_logged(agent, customer, category):
    case = open_case(agent, customer, category)
    stale = case.version
    services.comment_on_case(actor=agent, case=case, text="内部备注")  # no bump
    services.respond_to_case(actor=agent, case=case, message="已回电")  # bumps
    with pytest.raises(ConflictError):
        services.log_communication(
            actor=agent,
            case=case,
            direction="outbound",
            medium="call",
            content="过期表单",
            version=stale,
        )
    assert not Communication.objects.filter(case=case, content="过期表单").exists()


# --- the panel on the case page -----------------------------------------------------------


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category)


def post(user, case, language=None, **data):
    data.setdefault("version", str(Case.objects.get(pk=case.pk).version))
    data.setdefault("direction", "outbound")
    data.setdefault("medium", "call")
    return client_for(user, language).post(f"/cases/{case.pk}/communications/", data, **HX)


def test_panel_lists_entries_and_marks_customer_facing_zh(agent, case):
    services.log_communication(
        actor=agent, case=case, direction="inbound", medium="wechat", content="客户微信留言"
    )
    send_to_customer(case=case, kind="case_resolved", context={}, dedupe_key="auto")
    html = client_for(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'id="communications-panel"' in html
    assert "客户微信留言" in html and "↙" in html and "↗" in html
    assert 'name="content"' in html and f'hx-post="/cases/{case.pk}/communications/"' in html
    # The automatic entry carries its badge; the internal note tab stays separate.
    assert html.count('class="badge b-grey">') >= 1
    assert 'data-panel="note"' in html


def test_panel_in_english(agent, case):
    services.log_communication(
        actor=agent, case=case, direction="outbound", medium="sms", content="Told the customer"
    )
    html = client_for(agent, "en").get(f"/cases/{case.pk}/").content.decode()
    for text in (
        "Communication with the customer",
        "Customer-facing",
        "Internal note",
        "Log contact",
        "Outbound · SMS",
        "Reply template",
    ):
        assert text in html, text


def test_logging_an_outbound_call_rerenders_the_case_body_with_met_clock(agent, case):
    response = post(agent, case, content="已致电客户道歉并说明原因")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="communications-panel"' in html
    assert "已致电客户道歉并说明原因" in html
    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert case.slas.get(metric="first_response").state == "fulfilled"
    entry = Communication.objects.get(case=case)
    assert (entry.by, entry.medium, entry.automatic) == (agent, "call", False)


def test_logging_with_a_past_time_and_template(agent, case, org):
    ensure_default_reply_templates(organisation=org)
    when = timezone.localtime(case.received_at + dt.timedelta(minutes=1)).replace(
        second=0, microsecond=0
    )
    template = ReplyTemplate.objects.filter(organisation=org).first()
    post(
        agent,
        case,
        content="按模板回复",
        medium="sms",
        template=str(template.pk),
        at=when.strftime("%Y-%m-%dT%H:%M"),
    )
    entry = Communication.objects.get(case=case)
    assert entry.template == template
    assert entry.at == when


def test_a_contact_before_the_complaint_was_received_is_refused(agent, case):
    before = timezone.localtime(case.received_at - dt.timedelta(days=1))
    response = post(agent, case, content="太早了", at=before.strftime("%Y-%m-%dT%H:%M"))
    assert response.context["comm_form"].errors["at"]
    assert not Communication.objects.exists()


def test_empty_content_shows_the_field_error(agent, case):
    response = post(agent, case, content="")
    html = response.content.decode()
    assert response.context["comm_form"].errors["content"]
    assert 'class="errors"' in html
    assert not Communication.objects.exists()


def test_stale_form_shows_the_conflict_and_keeps_the_text(agent, case):
    old = case.version
    services.respond_to_case(actor=agent, case=case, message="别人已回复")
    response = post(agent, case, content="我写的内容", version=str(old))
    html = response.content.decode()
    assert response.status_code == 200
    assert "我写的内容" in html
    assert 'class="msg msg-error"' in html
    form = response.context["comm_form"]
    assert form["version"].value() == str(Case.objects.get(pk=case.pk).version)
    assert not Communication.objects.filter(content="我写的内容").exists()


def test_without_htmx_it_redirects_to_the_case(agent, case):
    response = client_for(agent).post(
        f"/cases/{case.pk}/communications/",
        {"version": case.version, "direction": "inbound", "medium": "visit", "content": "到店"},
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"


def test_another_store_cannot_log_on_the_case(agent_b, case):
    assert post(agent_b, case, content="x").status_code == 404


def test_picking_a_template_fills_the_text_for_the_case_in_the_page_language(agent, case, org):
    ensure_default_reply_templates(organisation=org)
    template = ReplyTemplate.objects.get(organisation=org, name__startswith="处理进展")
    url = f"/cases/{case.pk}/communications/fill/"
    zh = client_for(agent).get(url, {"template": template.pk}, **HX).content.decode()
    assert 'id="id_comm_content"' in zh and "<textarea" in zh
    assert "张伟您好" in zh and case.number in zh and "浦东店" in zh
    assert 'hx-swap-oob="true"' in zh and 'value="sms" selected' in zh
    en = client_for(agent, "en").get(url, {"template": template.pk}, **HX).content.decode()
    assert "Dear 张伟" in en and case.number in en
    # No template chosen: what was typed stays.
    kept = client_for(agent).get(url, {"template": "", "content": "原文"}, **HX).content.decode()
    assert "原文" in kept and "hx-swap-oob" not in kept


def test_a_template_of_another_organisation_is_not_filled(agent, case, other_org):
    foreign = ReplyTemplate.objects.create(
        organisation=other_org["org"], name="x", body_zh="别家模板"
    )
    url = f"/cases/{case.pk}/communications/fill/"
    html = client_for(agent).get(url, {"template": foreign.pk}, **HX).content.decode()
    assert "别家模板" not in html


def test_panel_uses_a_fixed_number_of_queries(agent, case, django_assert_max_num_queries):
    from django.template import Context, Template
    from django.test import RequestFactory

    for i in range(5):
        services.log_communication(
            actor=agent, case=case, direction="inbound", medium="call", content=f"来电{i}"
        )
    request = RequestFactory().get("/")
    request.user = agent
    tpl = Template("{% load communication_tags %}{% communications_panel case %}")
    with django_assert_max_num_queries(3):
        html = tpl.render(Context({"case": case, "request": request, "user": agent}))
    assert html.count("来电") == 5
