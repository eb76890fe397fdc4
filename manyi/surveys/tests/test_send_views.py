"""The pages that send surveys: to one customer (consent, the quiet period and its override),
to a filtered customer list, to the staff of a store, on counter slips with QR codes; the
invitations list scoped to the user's stores; the rules and the quiet period."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.utils import timezone, translation

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.tests.factories import CustomerFactory
from manyi.customers.models import Customer
from manyi.notifications.models import CustomerMessage
from manyi.surveys import rules, services
from manyi.surveys.choices import InvitationSource, InvitationState
from manyi.surveys.models import Invitation, Survey, SurveyRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(admin_user: Any) -> Survey:
    return services.install_template(actor=admin_user, template_key="nps")


def _flash(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- one customer ----------------------------------------------------------------------------


def test_staff_find_a_customer_among_those_they_may_see(
    agent: Any, nps: Survey, customer: Any, customer_b: Any
) -> None:
    client = client_for(agent, "en")
    html = client.get(f"/surveys/{nps.pk}/send/?q=张伟").content.decode()
    assert f"/surveys/{nps.pk}/send/?customer={customer.pk}" in html
    assert "138****5678" in html and "13812345678" not in html  # masked for an agent
    html = client.get(f"/surveys/{nps.pk}/send/?q=李娜").content.decode()
    assert f"?customer={customer_b.pk}" not in html
    assert client.get(f"/surveys/{nps.pk}/send/?customer={customer_b.pk}").status_code == 404


def test_sending_to_one_customer_says_how_it_went(
    agent: Any, supervisor: Any, nps: Survey, customer: Any, category: Any
) -> None:
    case = open_case(agent, customer, category)
    client = client_for(agent, "en")
    html = client.get(f"/surveys/{nps.pk}/send/?customer={customer.pk}").content.decode()
    assert "张伟" in html and case.number in html and "Send even within the quiet period" in html
    response = client.post(
        f"/surveys/{nps.pk}/send/?customer={customer.pk}",
        {"customer": customer.pk, "case": case.pk, "staff": supervisor.pk},
        follow=True,
    )
    assert "Survey sent to 张伟 by SMS." in _flash(response)
    invitation = Invitation.objects.get()
    assert (invitation.source, invitation.case, invitation.staff) == ("manual", case, supervisor)
    assert invitation.created_by == agent
    assert CustomerMessage.objects.filter(kind="survey_invitation", customer=customer).exists()
    assert "Surveys sent to this customer" in response.content.decode()


def test_the_quiet_period_refuses_a_second_survey_unless_the_box_is_ticked(
    agent: Any, nps: Survey, customer: Any
) -> None:
    client = client_for(agent, "en")
    url = f"/surveys/{nps.pk}/send/?customer={customer.pk}"
    client.post(url, {"customer": customer.pk})
    response = client.post(url, {"customer": customer.pk}, follow=True)
    assert "Not sent to 张伟: The customer was sent a survey in the last 30 days." in _flash(
        response
    )
    assert Invitation.objects.count() == 1
    response = client.post(
        url, {"customer": customer.pk, "override_quiet_period": "on"}, follow=True
    )
    assert "Survey sent to 张伟" in _flash(response)
    assert Invitation.objects.count() == 2


def test_a_customer_without_consent_is_never_sent_a_survey(
    agent: Any, nps: Survey, customer: Any
) -> None:
    Customer.objects.filter(pk=customer.pk).update(contact_consent=False)
    client = client_for(agent, "en")
    url = f"/surveys/{nps.pk}/send/?customer={customer.pk}"
    assert "has not consented" in client.get(url).content.decode()
    response = client.post(
        url, {"customer": customer.pk, "override_quiet_period": "on"}, follow=True
    )
    assert "has not consented to be contacted" in _flash(response)
    assert not Invitation.objects.exists()


def test_an_unpublished_survey_cannot_be_sent(admin_user: Any, agent: Any, customer: Any) -> None:
    draft = services.create_survey(actor=admin_user, template_key="nps")
    client = client_for(agent, "en")
    url = f"/surveys/{draft.pk}/send/?customer={customer.pk}"
    assert "Publish the survey before sending it." in client.get(url).content.decode()
    response = client.post(url, {"customer": customer.pk})
    assert response.status_code == 200
    assert "Publish the survey before sending it." in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_customer_page_leads_to_the_survey_to_send(
    admin_user: Any, agent: Any, nps: Survey, customer: Any
) -> None:
    client = client_for(agent, "en")
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f'href="/surveys/send/?customer={customer.pk}"' in html
    response = client.get(f"/surveys/send/?customer={customer.pk}")
    assert response["Location"] == f"/surveys/{nps.pk}/send/?customer={customer.pk}"
    csat = services.install_template(actor=admin_user, template_key="csat_ces")
    html = client.get(f"/surveys/send/?customer={customer.pk}").content.decode()
    assert f"/surveys/{nps.pk}/send/?customer={customer.pk}" in html
    assert f"/surveys/{csat.pk}/send/?customer={customer.pk}" in html


# --- a segment -------------------------------------------------------------------------------


def test_the_customer_list_carries_its_filters_to_the_segment_page(
    manager: Any, customer: Any
) -> None:
    Customer.objects.filter(pk=customer.pk).update(tier="vip", tags=["老客户"])
    html = client_for(manager, "en").get("/customers/?tier=vip&tag=老客户").content.decode()
    link = re.search(r'id="send-survey-segment" href="([^"]+)"', html)
    assert link is not None
    assert link.group(1).replace("&amp;", "&") == (
        "/surveys/send-segment/?tier=vip&tag=%E8%80%81%E5%AE%A2%E6%88%B7"
    )
    html = client_for(manager, "en").get(link.group(1).replace("&amp;", "&")).content.decode()
    assert '<strong data-figure="matching">1</strong>' in html


def test_a_segment_is_exactly_the_filtered_list_with_sent_and_skipped_counts(
    manager: Any, nps: Survey, store_a: Any, store_b: Any, customer: Any, customer_b: Any
) -> None:
    vip = CustomerFactory(store=store_a, tier="vip", phone="13811112222")
    vip_no_consent = CustomerFactory(
        store=store_b, tier="vip", phone="13811113333", contact_consent=False
    )
    client = client_for(manager, "en")
    html = client.get("/surveys/send-segment/?tier=vip").content.decode()
    assert '<strong data-figure="matching">2</strong>' in html
    assert "Send to 2 customers" in html
    response = client.post("/surveys/send-segment/?tier=vip", {"survey": nps.pk}, follow=True)
    html = response.content.decode()
    assert '<div class="value" data-figure="sent">1</div>' in html
    assert '<div class="value" data-figure="skipped">1</div>' in html
    assert "The customer has not consented to be contacted." in html
    invited = set(Invitation.objects.values_list("customer_id", flat=True))
    assert invited == {vip.pk}
    assert Invitation.objects.get().source == InvitationSource.SEGMENT
    assert vip_no_consent.pk not in invited
    # Reloading the result page sends nothing again.
    client.get(response.redirect_chain[-1][0])
    assert Invitation.objects.count() == 1


def test_a_segment_only_offers_published_customer_surveys(
    admin_user: Any, manager: Any, nps: Survey, customer: Any
) -> None:
    staff = services.install_template(actor=admin_user, template_key="employee")
    draft = services.create_survey(actor=admin_user, template_key="kano")
    html = client_for(manager, "en").get("/surveys/send-segment/").content.decode()
    options = html.split('name="survey"')[1].split("</select>")[0]
    assert f'value="{nps.pk}"' in options
    assert f'value="{staff.pk}"' not in options and f'value="{draft.pk}"' not in options
    client_for(manager).post("/surveys/send-segment/", {"survey": staff.pk})
    assert not Invitation.objects.exists()


def test_store_bound_staff_do_not_send_to_segments(
    agent: Any, supervisor: Any, nps: Survey, customer: Any
) -> None:
    assert client_for(agent).get("/surveys/send-segment/").status_code == 403
    assert (
        client_for(supervisor).post("/surveys/send-segment/", {"survey": nps.pk}).status_code == 403
    )
    assert "send-survey-segment" not in client_for(agent).get("/customers/").content.decode()
    assert not Invitation.objects.exists()


# --- staff survey ----------------------------------------------------------------------------


def test_an_admin_sends_the_staff_survey_to_a_store(
    admin_user: Any, agent: Any, store_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = services.install_template(actor=admin_user, template_key="employee")
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{staff.pk}/send/").content.decode()
    assert "Send to the staff of a store" in html and 'name="q"' not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/surveys/{staff.pk}/send/", {"store": store_a.pk}, follow=True)
    assert "Staff survey sent by email to" in _flash(response)
    assert len(mail.outbox) == Invitation.objects.filter(survey=staff).count() >= 2
    html = client_for(agent, "en").get(f"/surveys/{staff.pk}/send/").content.decode()
    assert "Only an organisation admin sends staff surveys." in html


# --- counter slips ---------------------------------------------------------------------------


def test_counter_slips_print_a_qr_code_per_unique_link(
    agent: Any, nps: Survey, store_a: Any
) -> None:
    client = client_for(agent, "en")
    html = client.get(f"/surveys/{nps.pk}/slips/").content.decode()
    assert 'name="count"' in html
    response = client.post(
        f"/surveys/{nps.pk}/slips/",
        {"store": store_a.pk, "count": 3, "language": "zh-hans", "staff": agent.pk},
    )
    assert response.status_code == 302 and "?batch=" in response["Location"]
    slips = list(Invitation.objects.order_by("pk"))
    assert len(slips) == 3 and len({s.token for s in slips}) == 3
    assert all(s.source == "counter" and s.staff == agent and s.store == store_a for s in slips)
    html = client.get(response["Location"]).content.decode()
    assert html.count("<svg") == 3
    for s in slips:
        assert f"/s/{s.token}/" in html
    assert "净推荐值（NPS）" in html and "浦东店" in html  # the slips are in Chinese
    assert timezone.localtime(slips[0].expires_at).strftime("%Y-%m-%d") in html
    css = finders.find("manyi/survey_builder.css")
    assert css is not None and "@media print" in Path(str(css)).read_text()


def test_slips_are_limited_to_two_hundred_and_to_the_users_stores(
    agent: Any, nps: Survey, store_a: Any, store_b: Any
) -> None:
    client = client_for(agent, "en")
    html = client.post(
        f"/surveys/{nps.pk}/slips/", {"store": store_a.pk, "count": 201, "language": "en"}
    ).content.decode()
    assert 'class="field has-error" id="f-count"' in html
    html = client.post(
        f"/surveys/{nps.pk}/slips/", {"store": store_b.pk, "count": 2, "language": "en"}
    ).content.decode()
    assert 'class="field has-error" id="f-store"' in html
    assert not Invitation.objects.exists()


def test_the_qr_code_of_an_invitation_is_an_svg_for_its_stores_only(
    admin_user: Any, agent: Any, agent_b: Any, nps: Survey, store_a: Any, other_org: Any
) -> None:
    (slip,) = services.print_counter_invitations(
        survey=nps, store=store_a, count=1, actor=admin_user
    )
    response = client_for(agent).get(f"/surveys/invitations/{slip.pk}/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.decode().startswith("<svg")
    assert client_for(agent_b).get(f"/surveys/invitations/{slip.pk}/qr.svg").status_code == 404
    other = client_for(other_org["user"]).get(f"/surveys/invitations/{slip.pk}/qr.svg")
    assert other.status_code == 404


# --- invitations -----------------------------------------------------------------------------


def test_a_store_bound_agent_sees_only_the_invitations_of_their_store(
    admin_user: Any, agent: Any, nps: Survey, customer: Any, customer_b: Any
) -> None:
    for c in (customer, customer_b):
        services.invite_customer(
            survey=nps, customer=c, source=InvitationSource.MANUAL, actor=admin_user
        )
    html = client_for(agent, "en").get(f"/surveys/{nps.pk}/invitations/").content.decode()
    assert "张伟" in html and "李娜" not in html
    assert "138****5678" in html
    html = client_for(admin_user, "en").get(f"/surveys/{nps.pk}/invitations/").content.decode()
    assert "张伟" in html and "李娜" in html and "13812345678" in html


def test_the_invitations_show_expired_and_skipped_states(
    admin_user: Any, nps: Survey, customer: Any, store_a: Any
) -> None:
    sent = services.invite_customer(
        survey=nps, customer=customer, source=InvitationSource.MANUAL, actor=admin_user
    ).invitation
    assert sent is not None
    Invitation.objects.filter(pk=sent.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    refused = CustomerFactory(store=store_a, phone="13866667777", contact_consent=False)
    services.invite_customer(
        survey=nps,
        customer=refused,
        source=InvitationSource.CASE_CLOSED,
        actor=None,
        dedupe_key="test:1",
    )
    client = client_for(admin_user, "en")
    html = client.get(f"/surveys/{nps.pk}/invitations/").content.decode()
    assert "state-expired" in html and "Not sent" in html and "has not consented" in html
    html = client.get(f"/surveys/{nps.pk}/invitations/?state=expired").content.decode()
    assert f'id="invitation-{sent.pk}"' in html and "has not consented" not in html
    html = client.get(f"/surveys/{nps.pk}/invitations/?state=skipped").content.decode()
    assert f'id="invitation-{sent.pk}"' not in html and "has not consented" in html
    html = client.get(f"/surveys/{nps.pk}/invitations/?state=sent").content.decode()
    assert f'id="invitation-{sent.pk}"' not in html  # it expired
    assert Invitation.objects.filter(state=InvitationState.SKIPPED).count() == 1


# --- rules and the quiet period --------------------------------------------------------------


def test_an_admin_adds_and_changes_a_rule(admin_user: Any, store_b: Any) -> None:
    fairness = services.install_template(actor=admin_user, template_key="recovery_fairness")
    client = client_for(admin_user, "en")
    html = client.get("/surveys/rules/").content.decode()
    assert "consented to be contacted" in html and "30 days" in html
    response = client.post(
        "/surveys/rules/",
        {
            "action": "rule",
            "survey": fairness.pk,
            "trigger": "case_closed",
            "store": "",
            "delay_hours": 24,
            "active": "on",
        },
    )
    assert response.status_code == 302
    rule = SurveyRule.objects.get()
    assert (rule.survey, rule.trigger, rule.store, rule.delay_hours) == (
        fairness,
        "case_closed",
        None,
        24,
    )
    assert "When a case is closed" in client.get("/surveys/rules/").content.decode()
    html = client.get(f"/surveys/rules/{rule.pk}/").content.decode()
    assert 'value="24"' in html
    client.post(
        f"/surveys/rules/{rule.pk}/",
        {"survey": fairness.pk, "trigger": "followup_done", "store": store_b.pk, "delay_hours": 2},
    )
    rule.refresh_from_db()
    assert (rule.trigger, rule.store, rule.active) == ("followup_done", store_b, False)


def test_a_staff_survey_cannot_be_sent_by_a_rule(admin_user: Any) -> None:
    staff = services.install_template(actor=admin_user, template_key="employee")
    response = client_for(admin_user, "en").post(
        "/surveys/rules/",
        {"action": "rule", "survey": staff.pk, "trigger": "case_closed", "delay_hours": 0},
    )
    assert response.status_code == 200 and not SurveyRule.objects.exists()


def test_an_admin_sets_the_quiet_period(admin_user: Any, org: Any) -> None:
    client = client_for(admin_user, "en")
    response = client.post("/surveys/rules/", {"action": "quiet", "days": 7})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.survey_quiet_days == 7
    assert AuditEvent.objects.filter(kind=EventKind.SURVEY, organisation=org).exists()
    html = client.post("/surveys/rules/", {"action": "quiet", "days": 999}).content.decode()
    assert 'class="field has-error" id="f-days"' in html


def test_others_read_the_rules_but_do_not_change_them(
    admin_user: Any, manager: Any, org: Any
) -> None:
    fairness = services.install_template(actor=admin_user, template_key="recovery_fairness")
    rule = rules.save_rule(actor=admin_user, survey=fairness, trigger="case_closed")
    client = client_for(manager, "en")
    html = client.get("/surveys/rules/").content.decode()
    assert f'id="rule-{rule.pk}"' in html and 'name="days"' not in html
    assert "An organisation admin changes it on this page." in html
    assert client.post("/surveys/rules/", {"action": "quiet", "days": 1}).status_code == 403
    assert client.get(f"/surveys/rules/{rule.pk}/").status_code == 403
    org.refresh_from_db()
    assert org.survey_quiet_days == 30


def test_another_organisations_rule_is_404(admin_user: Any, other_org: dict[str, Any]) -> None:
    fairness = services.install_template(actor=admin_user, template_key="recovery_fairness")
    rule = rules.save_rule(actor=admin_user, survey=fairness, trigger="case_closed")
    client = client_for(other_org["user"])
    assert client.get(f"/surveys/rules/{rule.pk}/").status_code == 404
    assert f'id="rule-{rule.pk}"' not in client.get("/surveys/rules/").content.decode()
    response = client.post(
        "/surveys/rules/",
        {"action": "rule", "survey": fairness.pk, "trigger": "case_closed", "delay_hours": 0},
    )
    assert response.status_code == 200 and SurveyRule.objects.count() == 1


def test_another_organisations_customer_cannot_be_sent_a_survey(
    admin_user: Any, nps: Survey, other_org: dict[str, Any]
) -> None:
    client = client_for(admin_user)
    url = f"/surveys/{nps.pk}/send/?customer={other_org['customer'].pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"customer": other_org["customer"].pk}).status_code == 404
    assert client.get(f"/surveys/send/?customer={other_org['customer'].pk}").status_code == 404


# --- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_sending_pages_render_in_both_languages(
    language: str, admin_user: Any, nps: Survey, customer: Any, store_a: Any
) -> None:
    (slip,) = services.print_counter_invitations(
        survey=nps, store=store_a, count=1, actor=admin_user, language=language
    )
    client = client_for(admin_user, language)
    with translation.override(language):
        expected = {
            f"/surveys/{nps.pk}/send/": [translation.gettext("Find the customer")],
            f"/surveys/{nps.pk}/send/?customer={customer.pk}": [
                translation.gettext("Send even within the quiet period")
            ],
            "/surveys/send-segment/": [translation.gettext("Send a survey to a customer segment")],
            f"/surveys/{nps.pk}/slips/": [translation.gettext("Print slips with a QR code")],
            f"/surveys/{nps.pk}/slips/?batch={slip.pk}-{slip.pk}": [
                translation.gettext("Scan the code and tell us how we did.")
            ],
            f"/surveys/{nps.pk}/invitations/": [translation.gettext("Printed (QR code)")],
            "/surveys/rules/": [translation.gettext("Consent and the quiet period")],
        }
    for url, words in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for word in words:
            assert word in html, (url, word)
