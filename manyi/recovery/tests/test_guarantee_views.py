"""Guarantee pages in Chinese and English: the promises, editing them (organisation admins
only), the report per store and month with its CSV export, and the case panel with its
staff-event form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import at
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.tests.factories import CustomerFactory
from manyi.notifications.models import CustomerMessage
from manyi.recovery.guarantee_selectors import guarantee_report
from manyi.recovery.guarantees import detect_breaches, ensure_default_guarantees
from manyi.recovery.models import Guarantee, GuaranteeBreach, RecoveryAction

pytestmark = pytest.mark.django_db

IN_FORCE = at(2026, 1, 1, 0, 0)


@pytest.fixture
def defaults(org):
    ensure_default_guarantees(org)
    Guarantee.objects.filter(organisation=org).update(starts_at=IN_FORCE)
    return {g.code: g for g in Guarantee.objects.filter(organisation=org)}


def _breach(case, g, *, when, payout="100", key=None):
    """A breach row as detection or a staff event leaves it (for the report)."""
    return GuaranteeBreach.objects.create(
        organisation=case.organisation,
        guarantee=g,
        store=case.store,
        case=case,
        customer=case.customer,
        source_key=key or f"event:{when.timestamp()}:{case.pk}",
        payout=Decimal(payout),
        at=when,
    )


# --- the promises -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ['lang="zh-CN"', "您的投诉，我们保证在 48 小时内首次答复", "首次响应", "48 h"]),
        ("en", ["Service guarantees", "We give a first reply to your complaint", "within 48 h"]),
    ],
)
def test_everyone_reads_the_promises_in_their_language(agent, defaults, language, words):
    response = client_for(agent, language).get("/recovery/guarantees/")
    assert response.status_code == 200
    html = response.content.decode()
    for word in words:
        assert word in html
    assert "/recovery/guarantees/new/" not in html  # an agent does not edit promises
    # it measures its own 48 hours: the SLA policies' targets do not apply to it
    assert "gt-targets" not in html and "480" not in html


def test_a_guarantee_on_the_sla_clock_shows_the_policy_targets(agent, defaults):
    Guarantee.objects.filter(pk=defaults["first_reply_48h"].pk).update(within_minutes=None)
    html = client_for(agent, "en").get("/recovery/guarantees/").content.decode()
    assert "gt-targets" in html and "480" in html  # the default policy's first-response target
    assert "gt-within" not in html


def test_an_agent_cannot_open_the_guarantee_editor(agent, defaults):
    client = client_for(agent)
    assert client.get("/recovery/guarantees/new/").status_code == 403
    g = defaults["first_reply_48h"]
    assert client.post(f"/recovery/guarantees/{g.pk}/", {"name": "x"}).status_code == 403


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_admin_creates_a_guarantee_through_the_form(admin_user, org, language):
    client = client_for(admin_user, language)
    assert client.get("/recovery/guarantees/new/").status_code == 200
    response = client.post(
        "/recovery/guarantees/new/",
        {
            "code": "resolve_3d",
            "name": "三天解决",
            "text_zh": "三天内解决，否则赠送保养一次。",
            "trigger": "sla_breach",
            "metric": "resolution",
            "channels": ["web", "wechat"],
            "payout_kind": "fixed",
            "action_kind": "free_service",
            "amount": "300",
            "multiplier": "2",
            "within_minutes": "4320",
            "active": "on",
            "starts_at": "2026-12-01T00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    g = Guarantee.objects.get(organisation=org, code="resolve_3d")
    assert (g.channels, g.amount, g.starts_at, g.within_minutes) == (
        ["web", "wechat"],
        Decimal("300.00"),
        at(2026, 12, 1, 0, 0),
        4320,
    )
    assert (
        "within 72 h" in client_for(admin_user, "en").get("/recovery/guarantees/").content.decode()
    )


def test_the_guarantee_form_shows_and_keeps_within_minutes(admin_user, defaults):
    g = defaults["first_reply_48h"]
    client = client_for(admin_user, "en")
    page = client.get(f"/recovery/guarantees/{g.pk}/").content.decode()
    assert 'name="within_minutes"' in page and 'value="2880"' in page
    refused = client.post(
        f"/recovery/guarantees/{g.pk}/",
        {
            "code": g.code,
            "name": g.name,
            "text_zh": g.text_zh,
            "trigger": "sla_breach",
            "metric": "next_update",
            "within_minutes": "2880",
            "payout_kind": "fixed",
            "action_kind": "discount",
            "amount": "100",
            "active": "on",
        },
    )
    assert refused.status_code == 200
    assert "Only a guarantee on the first response or the resolution" in refused.content.decode()
    g.refresh_from_db()
    assert (g.metric, g.within_minutes) == ("first_response", 2880)


def test_the_guarantee_form_shows_the_services_errors_next_to_the_fields(admin_user, defaults):
    g = defaults["first_reply_48h"]
    client = client_for(admin_user, "en")
    page = client.get(f"/recovery/guarantees/{g.pk}/")
    assert page.status_code == 200 and "first_reply_48h" in page.content.decode()
    response = client.post(
        f"/recovery/guarantees/{g.pk}/",
        {
            "code": "first_reply_48h",
            "name": g.name,
            "text_zh": g.text_zh,
            "trigger": "sla_breach",
            "metric": "",
            "payout_kind": "fixed",
            "action_kind": "discount",
            "amount": "0",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose the SLA metric" in html and "A fixed payout needs an amount above zero" in html
    g.refresh_from_db()
    assert g.metric == "first_response"


def test_another_organisations_guarantee_is_not_found(admin_user, other_org):
    ensure_default_guarantees(other_org["org"])
    theirs = Guarantee.objects.filter(organisation=other_org["org"]).first()
    assert client_for(admin_user).get(f"/recovery/guarantees/{theirs.pk}/").status_code == 404


# --- the report ---------------------------------------------------------------------------


def test_the_report_counts_breaches_and_payouts_per_guarantee_store_and_month(
    org, agent, agent_b, manager, customer, customer_b, category, defaults
):
    first, double = defaults["first_reply_48h"], defaults["billing_error_double"]
    a = open_case(agent, customer, category)
    b = open_case(agent_b, customer_b, category)
    _breach(a, first, when=at(2026, 3, 5, 10, 0))
    _breach(a, first, when=at(2026, 3, 31, 23, 30))  # still March in Shanghai
    _breach(a, first, when=at(2026, 4, 1, 0, 30))
    _breach(b, first, when=at(2026, 3, 9, 10, 0))
    _breach(a, double, when=at(2026, 3, 9, 11, 0), payout="240")
    _breach(a, first, when=at(2025, 12, 31, 23, 0))  # before the period

    report = guarantee_report(manager, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 1))

    figures = {(r.month, r.guarantee, r.store): (r.breaches, r.payout) for r in report.rows}
    assert figures == {
        (dt.date(2026, 4, 1), first.name, "浦东店"): (1, Decimal("100")),
        (dt.date(2026, 3, 1), first.name, "浦东店"): (2, Decimal("200")),
        (dt.date(2026, 3, 1), first.name, "徐汇店"): (1, Decimal("100")),
        (dt.date(2026, 3, 1), double.name, "浦东店"): (1, Decimal("240")),
    }
    assert (report.breaches, report.payout) == (5, Decimal("640"))
    assert [(t.guarantee, t.breaches, t.payout) for t in report.totals] == [
        (first.name, 4, Decimal("400")),
        (double.name, 1, Decimal("240")),
    ]
    # an agent sees her own store only
    mine = guarantee_report(agent, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 1))
    assert {r.store for r in mine.rows} == {"浦东店"} and mine.breaches == 4
    # filters: one store, one guarantee
    pd = guarantee_report(
        manager, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1), store_id=b.store_id
    )
    assert [(r.store, r.breaches) for r in pd.rows] == [("徐汇店", 1)]
    only = guarantee_report(
        manager, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 1), guarantee_id=double.pk
    )
    assert only.payout == Decimal("240")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ['lang="zh-CN"', "门店", "浦东店"]),
        ("en", ["Guarantee report", "Times broken", "浦东店"]),
    ],
)
def test_the_report_page_and_its_csv_export(
    manager, agent, customer, category, defaults, language, words
):
    case = open_case(agent, customer, category)
    _breach(case, defaults["first_reply_48h"], when=at(2026, 3, 5, 10, 0))
    client = client_for(manager, language)
    query = {"start": "2026-01", "end": "2026-06", "store": str(case.store_id)}

    response = client.get("/recovery/guarantees/report/", query)

    assert response.status_code == 200
    html = response.content.decode()
    for word in words:
        assert word in html
    assert "2026-03" in html and "¥100" in html
    export = client.get("/recovery/guarantees/report/export.csv", query)
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    assert "2026-03" in text and "100.00" in text and "浦东店" in text


def test_the_report_shows_payouts_waiting_for_approval(
    manager, agent, customer, category, defaults
):
    from manyi.recovery.guarantees import record_staff_event

    case = open_case(
        agent, customer, category, received_at=at(2026, 3, 1, 9, 0), now=at(2026, 3, 1, 9, 0)
    )
    g = defaults["billing_error_double"]
    for amount, day in (("120", 9), ("50", 10)):  # ¥240 beyond the agent's limit, ¥100 within
        record_staff_event(
            actor=agent,
            case=case,
            guarantee=g,
            amount_involved=Decimal(amount),
            note="多收",
            now=at(2026, 3, day, 10, 0),
        )

    report = guarantee_report(manager, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))

    figures = [(r.breaches, r.payout, r.waiting, r.waiting_payout) for r in report.rows]
    assert figures == [(2, Decimal("340"), 1, Decimal("240"))]
    assert (report.waiting, report.waiting_payout) == (1, Decimal("240"))
    client = client_for(manager, "en")
    query = {"start": "2026-03", "end": "2026-03"}
    html = client.get("/recovery/guarantees/report/", query).content.decode()
    assert 'id="gt-total-waiting"' in html and "1 waiting for approval" in html
    text = client.get("/recovery/guarantees/report/export.csv", query).content.decode("utf-8-sig")
    assert "Waiting for approval" in text and "340.00,1,240.00" in text


def test_a_bad_report_filter_shows_its_error(manager):
    response = client_for(manager, "en").get(
        "/recovery/guarantees/report/", {"start": "2026-13", "end": "2026-01"}
    )
    assert response.status_code == 200
    assert "Enter a month as YYYY-MM." in response.content.decode()


# --- the case panel -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ['lang="zh-CN"', "48小时首次答复"]),
        ("en", ["Service guarantees", "48-hour first reply", "Approved", "Record a broken"]),
    ],
)
def test_the_case_page_shows_the_broken_guarantees_and_their_payout(
    agent, customer, category, defaults, language, words
):
    case = open_case(
        agent,
        customer,
        category,
        received_at=at(2026, 3, 4, 9, 0),
        now=at(2026, 3, 4, 9, 0),
    )
    assert detect_breaches(now=at(2026, 3, 6, 10, 0)) == 1  # no first reply in 48 hours

    response = client_for(agent, language).get(f"/cases/{case.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="guarantee-panel"' in html
    for word in words:
        assert word in html
    assert "¥100" in html


def test_recording_a_billing_error_in_the_panel_pays_double_once(
    agent, customer, category, defaults
):
    case = open_case(agent, customer, category)
    client = client_for(agent, "en")
    form = {
        "guarantee": str(defaults["billing_error_double"].pk),
        "amount_involved": "80",
        "note": "Oil change billed twice",
        "event_key": "0123456789abcdef0123456789abcdef",
    }
    url = f"/recovery/cases/{case.pk}/guarantee-events/"

    response = client.post(url, form, headers={"HX-Request": "true"})
    again = client.post(url, form, headers={"HX-Request": "true"})  # a double click

    assert response.status_code == 200 and again.status_code == 200
    html = response.content.decode()
    assert 'id="guarantee-panel"' in html and "¥160" in html  # within the agent's ¥200
    assert "paid out and the customer told" in html and "waiting for approval" not in html
    assert 'id="recovery-panel" hx-swap-oob="true"' in html
    breach = GuaranteeBreach.objects.get()
    assert (breach.payout, breach.recorded_by) == (Decimal("160.00"), agent)
    action = RecoveryAction.objects.get()
    assert (action.kind, action.state, action.decided_by) == ("refund", "approved", None)
    assert CustomerMessage.objects.filter(dedupe_key=f"guarantee:{breach.pk}").count() == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Waiting for approval", "above your authority"]), ("zh-hans", ["gb-waiting"])],
)
def test_a_payout_beyond_the_agents_authority_shows_as_waiting_for_approval(
    agent, supervisor, customer, category, defaults, language, words
):
    from manyi.recovery.services import approve_action

    case = open_case(
        agent, customer, category, received_at=at(2026, 3, 1, 9, 0), now=at(2026, 3, 1, 9, 0)
    )
    client = client_for(agent, language)

    response = client.post(
        f"/recovery/cases/{case.pk}/guarantee-events/",
        {
            "guarantee": str(defaults["billing_error_double"].pk),
            "amount_involved": "120",
            "note": "Oil change billed twice",
        },
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "¥240" in html and "gb-pending" in html and "msg-info" in html
    for word in words:
        assert word in html
    assert not CustomerMessage.objects.exists()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "gb-waiting" in page
    approve_action(actor=supervisor, action=RecoveryAction.objects.get())
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "gb-waiting" not in page
    assert CustomerMessage.objects.filter(kind="guarantee_payout").count() == 1


def test_a_staff_event_without_the_amount_is_refused_in_the_panel(
    agent, customer, category, defaults
):
    case = open_case(agent, customer, category)
    response = client_for(agent, "en").post(
        f"/recovery/cases/{case.pk}/guarantee-events/",
        {"guarantee": str(defaults["billing_error_double"].pk), "note": "billed twice"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Give the amount involved" in response.content.decode()
    assert not GuaranteeBreach.objects.exists()


def test_a_staff_event_without_htmx_redirects_to_the_case(agent, customer, category, defaults):
    case = open_case(agent, customer, category)
    response = client_for(agent).post(
        f"/recovery/cases/{case.pk}/guarantee-events/",
        {
            "guarantee": str(defaults["billing_error_double"].pk),
            "amount_involved": "50",
            "note": "多收 50 元",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert GuaranteeBreach.objects.get().payout == Decimal("100.00")


def test_a_case_outside_the_agents_store_is_not_found(agent, agent_b, category, defaults):
    theirs = open_case(agent_b, CustomerFactory(store=agent_b.store), category)
    response = client_for(agent).post(
        f"/recovery/cases/{theirs.pk}/guarantee-events/",
        {
            "guarantee": str(defaults["billing_error_double"].pk),
            "amount_involved": "50",
            "note": "x",
        },
    )
    assert response.status_code == 404
    assert not GuaranteeBreach.objects.exists()


def test_the_case_panel_takes_a_fixed_number_of_queries(
    agent, customer, category, defaults, django_assert_max_num_queries
):
    from django.test import RequestFactory

    from manyi.recovery.guarantee_views import render_guarantee_panel

    case = open_case(agent, customer, category)
    for i in range(5):
        _breach(case, defaults["first_reply_48h"], when=at(2026, 3, 5, 10, i))
    request = RequestFactory().get("/")
    request.user = agent
    with django_assert_max_num_queries(3):  # + the unread-notifications context processor
        html = render_guarantee_panel(request, case)
    assert html.count('class="gb-item"') == 5
