"""The churn-risk list (/analytics/churn/): each risk flag on constructed data, the order by
value at risk, filters, the one-click retention call (created once, refused the second time,
audited), scoping, masked phones, exports and a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import at
from manyi.accounts.choices import Role
from manyi.analytics import churn
from manyi.analytics.models import CustomerValue
from manyi.analytics.tests import data
from manyi.audit.models import AuditEvent
from manyi.cases.models import Case
from manyi.core.tests.factories import CustomerFactory, UserFactory
from manyi.followups.models import FollowUp

pytestmark = pytest.mark.django_db

NOW = at(2026, 4, 15, 12, 0)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def value(customer: Any, risk: str, p_alive: float | None = 0.9, **kw: Any) -> CustomerValue:
    """A CustomerValue row written by hand (the refresh is tested apart)."""
    fields: dict[str, Any] = {
        "transactions": 3,
        "total_spend": Decimal("300"),
        "first_on": dt.date(2025, 1, 1),
        "last_on": dt.date(2026, 3, 1),
        "frequency": 2,
        "recency_days": 424,
        "age_days": 469,
        "spend_mean": Decimal("100"),
        "p_alive": p_alive,
        "expected_visits_12m": 1.0,
        "expected_value_12m": Decimal("100"),
        "value_if_kept_12m": Decimal("200"),
        "value_at_risk": None if risk == "" else Decimal(risk),
        "worksheet_value": Decimal("1000"),
        "rfm": "333",
        "segment": "need attention",
        "computed_at": NOW,
    }
    fields.update(kw)
    return CustomerValue.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        store_id=customer.store_id,
        **fields,
    )


def person(store: Any, n: int) -> Any:
    return CustomerFactory(store=store, phone=f"1360000{n:04d}", name=f"顾客{n}")


def rows(user: Any, **kw: Any) -> list[Any]:
    stores = (
        tuple(user.organisation.stores.order_by("pk").values_list("pk", flat=True))
        if user.is_org_wide
        else (user.store_id,)
    )
    return churn.churn_page(user, stores, now=NOW, **kw).rows


@pytest.fixture
def survey(org, store_a):
    return data.survey(UserFactory(store=store_a, role=Role.ORG_ADMIN, username="surveyadmin"))


def test_each_flag_on_constructed_data(org, store_a, manager, agent, category, survey):
    since = NOW - dt.timedelta(days=200)
    # Probably gone: P(alive) 0.3 < 0.5.
    gone = person(store_a, 1)
    value(gone, "500", p_alive=0.3)
    # An open complaint.
    complaining = person(store_a, 2)
    value(complaining, "400")
    data.complaint(agent, complaining, category, since)
    # A complaint ended "not resolved" 200 days ago.
    unresolved = person(store_a, 3)
    value(unresolved, "300")
    case = data.complaint(agent, unresolved, category, since)
    Case.objects.filter(pk=case.pk).update(status="closed", outcome="not_resolved")
    # A dissatisfied answer (e.g. recovery fairness below the midpoint) 200 days ago.
    unhappy = person(store_a, 4)
    value(unhappy, "250")
    r = data.answer(survey, store_a, since, dissatisfied=True)
    r.customer = unhappy
    r.nps = None
    r.save()
    # NPS 6 (a detractor) and CSAT 2.
    detractor = person(store_a, 5)
    value(detractor, "200")
    r = data.answer(survey, store_a, since, dissatisfied=False)
    r.customer, r.nps = detractor, 6
    r.save()
    low_csat = person(store_a, 6)
    value(low_csat, "190")
    r = data.answer(survey, store_a, since, dissatisfied=False)
    r.customer, r.nps, r.csat = low_csat, None, 2
    r.save()
    # A follow-up open past its due time; another missed 100 days ago (done since).
    overdue = person(store_a, 7)
    value(overdue, "150")
    data.followup(overdue, agent, NOW - dt.timedelta(hours=1), "open")
    missed = person(store_a, 8)
    value(missed, "140")
    data.followup(missed, agent, NOW - dt.timedelta(days=100), "expired", missed=True)
    # No flag: nps 7, CSAT 3, a follow-up open but not due, a case resolved in favour, a
    # not-resolved complaint and a dissatisfied answer more than a year ago.
    fine = person(store_a, 9)
    value(fine, "1000")
    r = data.answer(survey, store_a, since, dissatisfied=False)
    r.customer, r.nps, r.csat = fine, 7, 3
    r.save()
    data.followup(fine, agent, NOW + dt.timedelta(hours=3), "open")
    old = data.complaint(agent, fine, category, NOW - dt.timedelta(days=400))
    Case.objects.filter(pk=old.pk).update(status="closed", outcome="not_resolved")
    done = data.complaint(agent, fine, category, since)
    Case.objects.filter(pk=done.pk).update(status="closed", outcome="in_favour")
    r = data.answer(survey, store_a, NOW - dt.timedelta(days=400), dissatisfied=True)
    r.customer = fine
    r.save()

    got = {v.customer_id: v.flags for v in rows(manager)}
    assert got == {
        gone.pk: ["low_p_alive"],
        complaining.pk: ["open_complaint"],
        unresolved.pk: ["badly_recovered"],
        unhappy.pk: ["badly_recovered"],
        detractor.pk: ["low_score"],
        low_csat.pk: ["low_score"],
        overdue.pk: ["overdue_followup"],
        missed.pk: ["overdue_followup"],
    }
    # Highest value at risk first.
    assert [v.customer_id for v in rows(manager)][:3] == [gone.pk, complaining.pk, unresolved.pk]
    # Filter by one flag.
    assert [v.customer_id for v in rows(manager, flag="low_score")] == [detractor.pk, low_csat.pk]


def test_stores_are_merged_by_value_at_risk_and_segment_filters(
    org, store_a, store_b, manager, supervisor
):
    a, b, c, d = person(store_a, 1), person(store_b, 2), person(store_a, 3), person(store_b, 4)
    value(a, "30", p_alive=0.3, segment="lost")
    value(b, "10", p_alive=0.1, segment="at risk")
    value(c, "20", p_alive=0.2, segment="lost")
    value(d, "40", p_alive=0.9, segment="lost")  # no flag
    assert [v.customer_id for v in rows(manager)] == [a.pk, c.pk, b.pk]
    assert [v.customer_id for v in rows(manager, segment="at risk")] == [b.pk]
    assert [v.customer_id for v in rows(supervisor)] == [a.pk, c.pk]


def test_unscored_customers_are_listed_by_their_flags(org, store_a, manager, agent, category):
    a, b = person(store_a, 1), person(store_a, 2)
    value(a, "", p_alive=None)  # the model could not be fitted
    value(b, "", p_alive=None)
    data.complaint(agent, a, category, NOW - dt.timedelta(days=1))
    got = rows(manager)
    assert [v.customer_id for v in got] == [a.pk] and got[0].flags == ["open_complaint"]


def test_the_page_shows_flags_masked_phones_and_pages(client, org, store_a, manager, agent):
    for i in range(55):
        value(person(store_a, i), str(1000 - i), p_alive=0.2)
    viewer = UserFactory(
        store=store_a, role=Role.SUPERVISOR, username="nopii", view_personal_data=False
    )
    client.force_login(viewer)
    client.cookies["django_language"] = "en"  # the language switch (Accept-Language is ignored)
    page = client.get(reverse("analytics:churn"), **EN).content.decode()
    assert page.count('data-flag="low_p_alive"') == 50
    assert "136****0000" in page and "13600000000" not in page
    assert "Probably gone" in page and "?page=2" in page
    page2 = client.get(reverse("analytics:churn"), {"page": 2}, **EN).content.decode()
    assert page2.count('data-flag="low_p_alive"') == 5
    client.force_login(manager)
    assert "13600000000" in client.get(reverse("analytics:churn")).content.decode()


def test_one_click_starts_one_retention_call(client, org, store_a, manager, agent):
    c = person(store_a, 1)
    c.owner = agent
    c.save()
    value(c, "500", p_alive=0.3)
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    url = reverse("analytics:start_retention", args=[c.pk])
    response = client.post(url, **EN)
    assert response.status_code == 302
    f = FollowUp.objects.get(customer=c)
    assert f.reason == "retention" and f.state == "open" and f.assigned_to == agent
    assert f.scheduled_for > timezone.localdate()
    assert "Probably gone" in f.note or "probability" in f.note.lower()
    assert AuditEvent.objects.filter(customer=c, kind="followup").count() == 1
    # The second click is refused with a message, nothing created.
    response = client.post(url, follow=True, **EN)
    assert "already open" in response.content.decode()
    assert FollowUp.objects.filter(customer=c).count() == 1
    assert AuditEvent.objects.filter(customer=c, kind="followup").count() == 1
    # The list now shows the open call instead of the button.
    page = client.get(reverse("analytics:churn"), **EN).content.decode()
    assert f'data-retention="{f.pk}"' in page


def test_retention_goes_to_the_next_working_day_and_the_staff_on_duty(org, store_a, manager, agent):
    from manyi.analytics.value import start_retention_followup

    c = person(store_a, 1)  # no owner
    value(c, "500", p_alive=0.3)
    f = start_retention_followup(actor=manager, customer=c, now=NOW)
    assert f.scheduled_for == dt.date(2026, 4, 16)
    assert f.assigned_to == agent  # the store's only agent is on duty


def test_the_htmx_click_swaps_the_row(client, org, store_a, manager, agent):
    c = person(store_a, 1)
    value(c, "500", p_alive=0.3)
    client.force_login(manager)
    response = client.post(
        reverse("analytics:start_retention", args=[c.pk]), HTTP_HX_REQUEST="true", **EN
    )
    body = response.content.decode()
    assert body.lstrip().startswith("<tr") and "data-retention" in body


def test_permissions_and_scoping(client, org, store_a, store_b, agent, supervisor, other_org):
    mine, theirs = person(store_a, 1), person(store_b, 2)
    value(mine, "500", p_alive=0.3)
    value(theirs, "900", p_alive=0.3)
    value(other_org["customer"], "999", p_alive=0.1)
    client.force_login(agent)
    assert client.get(reverse("analytics:churn")).status_code == 403
    assert client.post(reverse("analytics:start_retention", args=[mine.pk])).status_code == 403
    client.force_login(supervisor)
    page = client.get(reverse("analytics:churn"), {"store": store_b.pk}).content.decode()
    assert f'data-customer="{mine.pk}"' in page and f'data-customer="{theirs.pk}"' not in page
    assert f'data-customer="{other_org["customer"].pk}"' not in page
    # Another store's or organisation's customer: 404, nothing created.
    for other in (theirs, other_org["customer"]):
        url = reverse("analytics:start_retention", args=[other.pk])
        assert client.post(url).status_code == 404
    assert not FollowUp.objects.exists()
    assert client.get(reverse("analytics:start_retention", args=[mine.pk])).status_code == 405


def test_exports(client, org, store_a, manager, supervisor):
    c = person(store_a, 1)
    value(c, "500", p_alive=0.25)
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("analytics:churn_export", args=["csv"]))
    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:5] == ["Customer", "Phone", "Store", "RFM segment", "Risks"]
    assert table[1][0] == c.name and table[1][1] == c.phone and table[1][4] == "Probably gone"
    assert table[1][5] == "0.25" and table[1][7] == "500.00"
    response = client.get(reverse("analytics:churn_export", args=["xlsx"]), **EN)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(2, 1).value == c.name
    assert client.get(reverse("analytics:churn_export", args=["pdf"])).status_code == 404
    viewer = UserFactory(
        store=store_a, role=Role.SUPERVISOR, username="nopii2", view_personal_data=False
    )
    client.force_login(viewer)
    text = client.get(reverse("analytics:churn_export", args=["csv"])).content.decode("utf-8-sig")
    assert c.phone not in text and "136****0001" in text


def test_the_number_of_queries_does_not_grow_with_the_data(
    client, org, store_a, manager, agent, category, django_assert_max_num_queries
):
    for i in range(3):
        value(person(store_a, i), str(100 + i), p_alive=0.2)
    client.force_login(manager)
    client.get(reverse("analytics:churn"))
    with django_assert_max_num_queries(15) as before:
        client.get(reverse("analytics:churn"))
    for i in range(3, 30):
        c = person(store_a, i)
        value(c, str(100 + i), p_alive=0.2)
        data.complaint(agent, c, category, NOW - dt.timedelta(days=1))
        f = data.followup(c, agent, NOW - dt.timedelta(days=1), "open")
        FollowUp.objects.filter(pk=f.pk).update(reason="retention")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("analytics:churn"))
