"""The follow-up workbench: my calls today, overdue calls (mine, or the store's for
supervisors), recording an outcome in one htmx post, phone messages, call scripts, the case
panel; complete in Chinese and English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from manyi.accounts.choices import Role
from manyi.cases.tests.ui_helpers import client_for
from manyi.core.tests.factories import CustomerFactory, UserFactory
from manyi.followups import services
from manyi.followups.choices import FollowUpState
from manyi.followups.models import CallScript, FollowUp, PhoneMessage
from manyi.followups.tests.helpers import resolved_case

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def call(actor, customer, *, who=None, day=None, reason="customer_care"):
    return services.schedule_followup(
        actor=actor,
        customer=customer,
        reason=reason,
        assigned_to=who or actor,
        scheduled_for=day or timezone.localdate(),
    )


def make_overdue(f):
    FollowUp.objects.filter(pk=f.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))


@pytest.fixture
def colleague(store_a, supervisor):
    return UserFactory(store=store_a, role=Role.AGENT, username="colleague", supervisor=supervisor)


def test_today_shows_only_my_calls_with_the_script(agent, colleague, customer, store_a):
    mine = call(agent, customer)
    theirs = call(colleague, CustomerFactory(store=store_a, name="赵六"))
    call(agent, customer, day=timezone.localdate() + dt.timedelta(days=3))  # later
    response = client_for(agent).get("/followups/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="fu-{mine.pk}"' in html and f'id="fu-{theirs.pk}"' not in html
    assert response.context["counts"]["today"] == 1
    assert "张伟" in html and "赵六" not in html
    # The agent has to make the call: they see the number in full, as a link to dial.
    assert 'href="tel:13812345678"' in html
    assert "您好，请问是张伟吗" in html  # the default call script, filled in


def test_overdue_tab_shows_mine_and_supervisors_can_see_the_whole_store(
    agent, colleague, supervisor, customer, store_a
):
    mine = call(agent, customer)
    theirs = call(colleague, CustomerFactory(store=store_a))
    make_overdue(mine)
    make_overdue(theirs)
    html = client_for(agent).get("/followups/?tab=overdue").content.decode()
    assert f'id="fu-{mine.pk}"' in html and f'id="fu-{theirs.pk}"' not in html
    # An agent asking for the whole store still gets only their own.
    html = client_for(agent).get("/followups/?tab=overdue&who=store").content.decode()
    assert f'id="fu-{theirs.pk}"' not in html
    response = client_for(supervisor).get("/followups/?tab=overdue&who=store")
    html = response.content.decode()
    assert f'id="fu-{mine.pk}"' in html and f'id="fu-{theirs.pk}"' in html
    assert response.context["counts"]["overdue"] == 2


def test_recording_an_outcome_swaps_the_row(agent, customer, category):
    f = call(agent, customer)
    prefix = f"fu{f.pk}"
    response = client_for(agent).post(
        f"/followups/{f.pk}/attempts/",
        {
            f"{prefix}-result": "reached",
            f"{prefix}-satisfaction": "yes",
            f"{prefix}-note": "很满意",
            f"{prefix}-reschedule_to": "2030-01-01",  # ignored: only for no answer
            f"{prefix}-version": "1",
        },
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and f'id="fu-{f.pk}"' in html
    assert 'class="msg msg-success"' in html
    f.refresh_from_db()
    assert (f.state, f.result, f.satisfaction) == (FollowUpState.DONE, "reached", "yes")


def test_a_finished_row_shows_its_last_call_not_the_scheduling_note(agent, customer):
    f = services.schedule_followup(
        actor=agent,
        customer=customer,
        reason="customer_care",
        assigned_to=agent,
        scheduled_for=timezone.localdate(),
        note="问问新车用得怎么样",
    )
    services.record_attempt(actor=agent, followup=f, result="no_answer", note="关机")
    f.refresh_from_db()
    prefix = f"fu{f.pk}"
    response = client_for(agent, "en").post(
        f"/followups/{f.pk}/attempts/",
        {
            f"{prefix}-result": "reached",
            f"{prefix}-satisfaction": "partly",
            f"{prefix}-note": "客户说保养时间太长",
            f"{prefix}-version": str(f.version),
        },
        **HX,
    )
    html = response.content.decode()
    note = html[html.index('class="fu-note') :]
    assert "客户说保养时间太长" in note
    assert "问问新车用得怎么样" not in html and "关机" not in html
    meta = html[html.index('class="fu-meta') : html.index('class="fu-note')]
    assert "Reached" in meta and "Partly" in meta


def test_an_expired_row_shows_the_note_of_its_third_call(agent, customer):
    f = call(agent, customer)
    for note in ("关机", "无人接听"):
        f = services.record_attempt(actor=agent, followup=f, result="no_answer", note=note)
    prefix = f"fu{f.pk}"
    html = (
        client_for(agent, "en")
        .post(
            f"/followups/{f.pk}/attempts/",
            {
                f"{prefix}-result": "no_answer",
                f"{prefix}-note": "第三次仍未接",
                f"{prefix}-version": str(f.version),
            },
            **HX,
        )
        .content.decode()
    )
    f.refresh_from_db()
    assert f.state == FollowUpState.EXPIRED
    assert "第三次仍未接" in html and "无人接听" not in html and "No answer" in html


def test_phone_messages_from_watch_list_customers_carry_the_badge(
    agent, colleague, store_a, django_assert_max_num_queries
):
    def message_from(customer):
        return services.take_message(
            actor=colleague,
            for_user=agent,
            caller_name=customer.name,
            caller_phone=customer.phone,
            reason="回电",
        )

    watched = CustomerFactory(store=store_a, name="王麻子", watch_list=True, watch_reason="难缠")
    m = message_from(watched)
    assert m.customer == watched
    services.take_message(
        actor=colleague, for_user=agent, caller_name="路人", caller_phone="13900001111", reason="x"
    )
    client = client_for(agent, "en")
    html = client.get("/followups/?tab=messages").content.decode()
    row = html[html.index(f'id="pm-{m.pk}"') :]
    assert "data-watch-list" in row[: row.index("fu-note")] and "难缠" in row
    assert html.count("data-watch-list") == 1  # not on the unknown caller's message
    with CaptureQueriesContext(connection) as few:
        client.get("/followups/?tab=messages")
    for _ in range(4):
        message_from(CustomerFactory(store=store_a, watch_list=True))
    with django_assert_max_num_queries(len(few)):
        html = client.get("/followups/?tab=messages").content.decode()
    assert html.count("data-watch-list") == 5


def test_no_answer_defaults_to_the_next_working_day(agent, customer):
    f = call(agent, customer)
    prefix = f"fu{f.pk}"
    form = client_for(agent).get("/followups/").context["rows"][0]["form"]
    default_day = form.initial["reschedule_to"]
    assert default_day > timezone.localdate() and default_day.weekday() < 5
    client_for(agent).post(
        f"/followups/{f.pk}/attempts/",
        {
            f"{prefix}-result": "no_answer",
            f"{prefix}-reschedule_to": default_day.isoformat(),
            f"{prefix}-version": "1",
        },
        **HX,
    )
    f.refresh_from_db()
    assert f.attempts == 1 and f.scheduled_for == default_day and f.state == "open"


def test_a_missing_satisfaction_shows_a_field_error_and_keeps_the_form_open(agent, customer):
    f = call(agent, customer)
    prefix = f"fu{f.pk}"
    response = client_for(agent).post(
        f"/followups/{f.pk}/attempts/",
        {f"{prefix}-result": "reached", f"{prefix}-version": "1"},
        **HX,
    )
    html = response.content.decode()
    assert response.context["row"]["form"].errors["satisfaction"]
    assert '<details class="fu-record" open>' in html
    f.refresh_from_db()
    assert f.attempts == 0


def test_a_stale_form_gets_the_conflict_message(agent, customer):
    f = call(agent, customer)
    services.record_attempt(actor=agent, followup=f, result="no_answer")
    prefix = f"fu{f.pk}"
    response = client_for(agent).post(
        f"/followups/{f.pk}/attempts/",
        {f"{prefix}-result": "refused", f"{prefix}-version": "1"},
        **HX,
    )
    assert response.context["flash"][0] == "error"
    f.refresh_from_db()
    assert f.state == "open" and f.attempts == 1


def test_a_call_outside_my_scope_answers_404(agent_b, agent, customer):
    f = call(agent, customer)
    response = client_for(agent_b).post(f"/followups/{f.pk}/attempts/", {}, **HX)
    assert response.status_code == 404


def test_only_the_caller_and_those_allowed_see_a_calls_number_in_full(
    agent, colleague, supervisor, manager, customer
):
    f = call(agent, customer)
    make_overdue(f)
    assert "13812345678" in client_for(agent).get("/followups/?tab=overdue").content.decode()
    # A supervisor looking at the store's overdue calls sees it as their permission allows.
    assert supervisor.can_view_personal_data
    html = client_for(supervisor).get("/followups/?tab=overdue&who=store").content.decode()
    assert f'id="fu-{f.pk}"' in html and "13812345678" in html
    supervisor.view_personal_data = False
    supervisor.save(update_fields=["view_personal_data"])
    html = client_for(supervisor).get("/followups/?tab=overdue&who=store").content.decode()
    assert f'id="fu-{f.pk}"' in html
    assert "138****5678" in html and "13812345678" not in html
    # The caller sees it in full even without the permission in general.
    assert not agent.can_view_personal_data


def test_only_the_recipient_and_those_allowed_see_a_messages_number_in_full(
    agent, colleague, supervisor
):
    m = services.take_message(
        actor=colleague,
        for_user=agent,
        caller_name="钱先生",
        caller_phone="13911112222",
        reason="x",
    )
    html = client_for(agent).get("/followups/?tab=messages").content.decode()
    assert 'href="tel:13911112222"' in html
    supervisor.view_personal_data = False
    supervisor.save(update_fields=["view_personal_data"])
    html = client_for(supervisor).get("/followups/?tab=messages&who=store").content.decode()
    assert f'id="pm-{m.pk}"' in html
    assert "139****2222" in html and "13911112222" not in html


def test_take_a_message_for_a_colleague_and_they_return_it(agent, colleague, supervisor):
    response = client_for(agent).post(
        "/followups/messages/new/",
        {
            "for_user": colleague.pk,
            "caller_name": "钱先生",
            "caller_phone": "13911112222",
            "reason": "问取车时间",
        },
    )
    assert response.status_code == 302
    m = PhoneMessage.objects.get()
    assert m.for_user == colleague and m.taken_by == agent
    page = client_for(colleague).get("/followups/?tab=messages")
    html = page.content.decode()
    assert "钱先生" in html and "13911112222" in html  # the recipient sees the number to call
    assert page.context["counts"]["messages"] == 1
    assert "钱先生" not in client_for(agent).get("/followups/?tab=messages").content.decode()
    response = client_for(colleague).post(
        f"/followups/messages/{m.pk}/return/", {f"pm{m.pk}-note": "已告知"}, **HX
    )
    assert 'class="msg msg-success"' in response.content.decode()
    m.refresh_from_db()
    assert m.returned_at is not None and m.return_note == "已告知"


def test_a_bad_message_shows_field_errors_and_saves_nothing(agent, colleague):
    response = client_for(agent).post(
        "/followups/messages/new/",
        {"for_user": colleague.pk, "caller_name": "钱", "caller_phone": "123", "reason": "x"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["caller_phone"]
    assert not PhoneMessage.objects.exists()


def test_schedule_a_call_by_customer_phone(agent, customer):
    day = timezone.localdate() + dt.timedelta(days=2)
    response = client_for(agent).post(
        "/followups/new/",
        {
            "customer_phone": "13812345678",
            "reason": "service_visit",
            "assigned_to": agent.pk,
            "scheduled_for": day.isoformat(),
            "note": "",
        },
    )
    assert response.status_code == 302
    f = FollowUp.objects.get()
    assert (f.customer, f.reason, f.scheduled_for) == (customer, "service_visit", day)


def test_call_scripts_are_edited_by_org_admins_only(agent, admin_user, customer):
    assert client_for(agent).get("/followups/scripts/").status_code == 403
    client = client_for(admin_user)
    assert client.get("/followups/scripts/").status_code == 200
    response = client.post(
        "/followups/scripts/",
        {
            "reason": "customer_care",
            "customer_care-text_zh": "您好{customer}，我是{staff}，来自{store}。",
            "customer_care-text_en": "Hello {customer}",
        },
    )
    assert response.status_code == 302
    assert CallScript.objects.get(reason="customer_care").text_en == "Hello {customer}"
    call(agent, customer)
    html = client_for(agent).get("/followups/").content.decode()
    assert "您好张伟，我是" in html
    client.post("/followups/scripts/", {"reason": "customer_care", "action": "reset"})
    assert not CallScript.objects.exists()


def test_the_case_page_lists_its_follow_ups(agent, supervisor, customer, category):
    case, f = resolved_case(agent, customer, category, at=timezone.now())
    services.record_attempt(actor=agent, followup=f, result="no_answer")
    response = client_for(agent).get(f"/cases/{case.pk}/")
    html = response.content.decode()
    assert 'id="followups-panel"' in html
    with translation.override("zh-hans"):
        no_answer = translation.gettext("No answer")
    assert no_answer in html
    # Recording from the case page returns to the case page.
    prefix = f"fu{f.pk}"
    response = client_for(agent).post(
        f"/followups/{f.pk}/attempts/",
        {
            f"{prefix}-result": "reached",
            f"{prefix}-satisfaction": "no",
            f"{prefix}-note": "仍不满意",
            f"{prefix}-version": "2",
            "next": "case",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == "in_progress"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_screen_renders_in_both_languages(language, agent, admin_user, customer, category):
    f = call(agent, customer)
    make_overdue(f)
    services.take_message(
        actor=admin_user, for_user=agent, caller_name="钱", caller_phone="13911112222", reason="x"
    )
    with translation.override(language):
        expected = [
            translation.gettext("Calls to make today"),
            translation.gettext("Overdue"),
            translation.gettext("Phone messages"),
            translation.gettext("Record the call"),
            translation.gettext("Save outcome"),
            translation.gettext("Take a message for a colleague"),
            translation.gettext("Call scripts"),
            translation.gettext("Schedule a call"),
        ]
        reason = str(FollowUp(reason="customer_care").get_reason_display())
    client = client_for(agent, language)
    pages = "".join(
        client.get(url).content.decode()
        for url in ("/followups/", "/followups/?tab=overdue", "/followups/?tab=messages")
    )
    pages += client.get("/followups/new/").content.decode()
    pages += client.get("/followups/messages/new/").content.decode()
    pages += client_for(admin_user, language).get("/followups/scripts/").content.decode()
    for text in [*expected, reason]:
        assert text in pages, text
    html_lang = "zh-CN" if language == "zh-hans" else "en"
    assert f'<html lang="{html_lang}">' in pages
    if language == "en":
        assert "Calls to make today" in pages and "Follow-up calls" in pages
