"""The three controls page (/analytics/): rates against small examples worked by hand, months
in Shanghai time, scoping to the user's organisation and stores, agents refused, exports, both
languages and a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import at
from manyi.accounts.choices import Role
from manyi.analytics.selectors import Filters, three_controls
from manyi.analytics.tests import data
from manyi.cases.models import Category
from manyi.core.tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = at(2026, 4, 15, 12, 0)
PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}
FEB, MAR, JAN = dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 1, 1)


@pytest.fixture
def world(org, store_a, store_b, manager, agent, customer, customer_b, category, other_org):
    # Store A, February: 3 complaints (one by survey: not counted) over 150 services → 2.0.
    for day in (3, 10, 20):
        data.complaint(agent, customer, category, at(2026, 2, day, 10, 0))
    data.complaint(agent, customer, category, at(2026, 2, 21, 10, 0), channel="survey")
    data.volume(store_a, FEB, 150)
    # Store A, March: 00:30 on 1 March in Shanghai is still February in UTC; counted in March.
    # No volume: 30 service orders + 10 visits (purchases do not count) → 1 / 40 → 2.5.
    data.complaint(agent, customer, category, at(2026, 3, 1, 0, 30))
    data.transactions(store_a, customer, dt.date(2026, 3, 5), 30, "service_order")
    data.transactions(store_a, customer, dt.date(2026, 3, 6), 10, "visit")
    data.transactions(store_a, customer, dt.date(2026, 3, 7), 5, "purchase")
    # Store A, January: 23:30 on 31 January in Shanghai; no services at all → "—".
    data.complaint(agent, customer, category, at(2026, 1, 31, 23, 30))
    # Store B, February: 1 complaint over 100 services → 1.0.
    data.complaint(manager, customer_b, category, at(2026, 2, 5, 10, 0))
    data.volume(store_b, FEB, 100)

    # Omission, store A, February: follow-ups done on time, done late, expired, cancelled (not
    # counted); messages returned on time, never returned → 3 missed of 5 due = 60 %.
    due = at(2026, 2, 12, 17, 0)
    data.followup(customer, agent, due, "done", completed_at=due - dt.timedelta(hours=1))
    data.followup(customer, agent, due, "done", completed_at=due + dt.timedelta(hours=1))
    data.followup(customer, agent, due, "expired")
    data.followup(customer, agent, due, "cancelled")
    data.message(store_a, agent, due, due - dt.timedelta(hours=2))
    data.message(store_a, agent, due, None)

    # Dissatisfaction, store A, February: 1 of 4; March: 2 of 2 (about the agent).
    s = data.survey(UserFactory(store=store_a, role=Role.ORG_ADMIN, username="surveyadmin"))
    for bad in (True, False, False, False):
        data.answer(s, store_a, at(2026, 2, 14, 12, 0), dissatisfied=bad)
    data.answer(s, store_a, at(2026, 3, 2, 12, 0), dissatisfied=True, staff=agent)
    data.answer(s, store_a, at(2026, 3, 3, 12, 0), dissatisfied=True, staff=agent)

    # Another organisation in February: never counted.
    o = other_org
    other_category = Category.objects.get(organisation=o["org"], code="billing_error")
    data.complaint(o["user"], o["customer"], other_category, at(2026, 2, 6, 10, 0))
    data.volume(o["store"], FEB, 10)
    data.followup(o["customer"], o["user"], due, "expired")
    return s


def cell(result: Any, store: Any, month: dt.date) -> Any:
    return next(c for c in result.cells if c.store_id == store.pk and c.month == month)


def controls(user: Any, *stores: Any, staff: Any = None) -> Any:
    f = Filters(
        start=JAN,
        end=dt.date(2026, 3, 31),
        store_ids=tuple(s.pk for s in stores),
        staff_id=staff.pk if staff else None,
    )
    return three_controls(user, f, now=NOW)


def test_complaint_rate_is_complaints_per_100_services(world, manager, store_a, store_b):
    r = controls(manager, store_a, store_b)
    feb_a = cell(r, store_a, FEB)
    assert (feb_a.complaints, feb_a.services, feb_a.complaint_rate) == (3, 150, 2.0)
    assert cell(r, store_b, FEB).complaint_rate == 1.0


def test_without_volume_the_services_are_the_month_s_service_orders_and_visits(
    world, manager, store_a
):
    mar = cell(controls(manager, store_a), store_a, MAR)
    assert (mar.complaints, mar.services, mar.complaint_rate) == (1, 40, 2.5)


def test_without_any_service_count_the_rate_is_unknown_but_the_complaints_are_counted(
    world, manager, store_a
):
    jan = cell(controls(manager, store_a), store_a, JAN)
    assert (jan.complaints, jan.services, jan.complaint_rate) == (1, None, None)


def test_months_are_calendar_months_in_shanghai_time(world, manager, store_a):
    r = controls(manager, store_a)
    assert [cell(r, store_a, m).complaints for m in (JAN, FEB, MAR)] == [1, 3, 1]


def test_a_store_total_counts_only_months_with_a_service_count(world, manager, store_a):
    total = next(s for s in controls(manager, store_a).by_store)
    # 4 complaints over 190 services (January's one complaint has no denominator).
    assert (total.complaints, total.services) == (5, 190)
    assert total.complaint_rate == round(100 * 4 / 190, 2)


def test_omission_rate_counts_late_expired_and_unreturned_over_due(world, manager, store_a):
    feb = cell(controls(manager, store_a), store_a, FEB)
    assert (feb.missed, feb.due, feb.omission_rate) == (3, 5, 60.0)


def test_dissatisfaction_rate_is_dissatisfied_over_submitted_answers(world, manager, store_a):
    r = controls(manager, store_a)
    feb, mar = cell(r, store_a, FEB), cell(r, store_a, MAR)
    assert (feb.dissatisfied, feb.responses, feb.dissatisfaction_rate) == (1, 4, 25.0)
    assert mar.dissatisfaction_rate == 100.0


def test_per_staff_member(world, manager, store_a, store_b, agent):
    rows = {r.staff_id: r for r in controls(manager, store_a, store_b).by_staff}
    a = rows[agent.pk]
    assert (a.complaints, a.missed, a.due, a.dissatisfied, a.responses) == (5, 3, 5, 2, 2)
    assert a.complaint_rate is None


def test_the_staff_filter_keeps_that_person_s_figures(world, manager, store_a, store_b):
    r = controls(manager, store_a, store_b, staff=manager)
    assert r.total.complaints == 1 and r.total.due == 0 and r.total.responses == 0


def test_the_page_shows_the_figures(client, world, manager):
    client.force_login(manager)
    response = client.get(reverse("analytics:controls"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-CN"' in html
    assert 'data-chart="controls-trend"' in html
    assert "/cases/?store=" in html


def test_the_page_renders_in_english(client, world, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("analytics:controls"), PERIOD).content.decode()
    assert "Complaint rate" in html and "Omission rate" in html


def test_a_supervisor_sees_only_their_store(client, world, supervisor, store_a, store_b):
    client.force_login(supervisor)
    response = client.get(reverse("analytics:controls"), {**PERIOD, "store": store_b.pk})
    c = response.context["c"]
    assert {r.store_id for r in c.by_store} == {store_a.pk}
    assert c.total.complaints == 5


def test_another_organisation_s_store_is_ignored(client, world, manager, other_org, store_a):
    client.force_login(manager)
    params = {**PERIOD, "store": other_org["store"].pk}
    c = client.get(reverse("analytics:controls"), params).context["c"]
    assert other_org["store"].pk not in {r.store_id for r in c.by_store}
    # 5 of store A + 1 of store B; the other organisation's case is not among them
    assert c.total.complaints == 6


def test_the_other_organisation_sees_none_of_ours(client, world, other_org):
    client.force_login(other_org["user"])
    c = client.get(reverse("analytics:controls"), PERIOD).context["c"]
    assert c.total.complaints == 1 and c.total.services == 10


def test_agents_are_refused(client, world, agent):
    client.force_login(agent)
    assert client.get(reverse("analytics:controls")).status_code == 403
    url = reverse("analytics:controls_export", args=["stores", "csv"])
    assert client.get(url).status_code == 403


def test_the_navigation_shows_analytics_to_managers_not_agents(client, world, manager, agent):
    client.force_login(manager)
    assert 'href="/analytics/"' in client.get("/").content.decode()
    client.force_login(agent)
    assert 'href="/analytics/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("table", ["stores", "months", "store_months", "staff"])
def test_csv_export_has_a_bom_and_the_rows(client, world, manager, table):
    client.force_login(manager)
    url = reverse("analytics:controls_export", args=[table, "csv"])
    response = client.get(url, PERIOD)
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert len(rows) > 1


def test_store_export_figures(client, world, manager, store_a):
    client.force_login(manager)
    url = reverse("analytics:controls_export", args=["store_months", "xlsx"])
    book = load_workbook(io.BytesIO(client.get(url, PERIOD).content))
    rows = list(book.active.iter_rows(values_only=True))
    feb_a = next(r for r in rows if r[0] == store_a.name and r[1] == "2026-02")
    assert list(feb_a[2:]) == [3, 150, 2.0, 3, 5, 60.0, 1, 4, 25.0]


def test_unknown_export_is_404(client, world, manager):
    client.force_login(manager)
    assert client.get(reverse("analytics:controls_export", args=["x", "csv"])).status_code == 404
    url = reverse("analytics:controls_export", args=["stores", "pdf"])
    assert client.get(url).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_data(
    client, world, manager, store_a, category, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(reverse("analytics:controls"), PERIOD)  # warm up (session, caches)
    with django_assert_max_num_queries(25) as before:
        client.get(reverse("analytics:controls"), PERIOD)
    more = CustomerFactory(store=store_a, phone="13600000001")
    for day in range(1, 8):
        data.complaint(manager, more, category, at(2026, 1, day, 9, 0))
        data.followup(more, manager, at(2026, 1, day, 17, 0), "expired")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("analytics:controls"), PERIOD)
