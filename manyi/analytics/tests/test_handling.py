"""The SLA and handling page (/analytics/handling/): attainment, response and resolution times
(business and wall-clock), backlog, reopen rate, escalations, cases per owner and pauses that
look like gaming the clock, against a small example worked by hand; scoping, exports, queries;
and the three controls' drill-down links to exactly the cases counted.

The store calendar is the default one: Monday to Friday 09:00–12:00 and 13:30–18:00 (450
business minutes a day). The default policy: first response 480 business minutes, next update
960 business minutes, resolution 4320 calendar minutes. 2 March 2026 is a Monday."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from conftest import at
from manyi.analytics import handling
from manyi.analytics.selectors import Filters
from manyi.analytics.tests import data
from manyi.analytics.tests import data_handling as d
from manyi.cases.models import Category
from manyi.cases.sweep import sweep
from manyi.core.tests.factories import CustomerFactory
from manyi.metrics.scores import wilson_interval

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 20, 12, 0)
PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}
MON = (2026, 3, 2)


def mon(h: int, m: int = 0) -> Any:
    return at(*MON, h, m)


@pytest.fixture
def world(
    org,
    store_a,
    store_b,
    manager,
    supervisor,
    agent,
    agent_b,
    customer,
    customer_b,
    category,
    other_org,
):
    c: dict[int, Any] = {}
    # 1: answered after 60 min, resolved after 120 min.
    c[1] = d.received(agent, customer, category, mon(9))
    d.respond(c[1], agent, mon(10))
    d.status(c[1], agent, "resolved", mon(11))
    # 2: answered Tuesday 09:00 (450 business min, 24 h), resolved Wednesday 09:00 (900, 48 h).
    c[2] = d.received(agent, customer, category, mon(9))
    d.respond(c[2], agent, at(2026, 3, 3, 9, 0))
    d.status(c[2], agent, "resolved", at(2026, 3, 4, 9, 0))
    # 3: first response due Tuesday 09:30; the sweep at 10:00 breaches it (and escalates the
    # case one level); answered late at 11:00 (570 business min, 26 h); still open.
    c[3] = d.received(agent, customer, category, mon(9))
    sweep(now=at(2026, 3, 3, 10, 0))
    d.respond(c[3], agent, at(2026, 3, 3, 11, 0))
    # 4: answered at 09:30; the customer calls at 14:00 and the agent pauses the case at 14:05
    # (suspicious); resumed Tuesday 09:00, resolved 10:00 (215 + 60 business min), reopened
    # Wednesday 09:00 by the manager, resolved again at 10:00 (335 business min, 49 h).
    c[4] = d.received(agent, customer, category, mon(9))
    d.respond(c[4], agent, mon(9, 30))
    d.inbound(c[4], mon(14))
    d.status(c[4], agent, "waiting_customer", mon(14, 5))
    d.status(c[4], agent, "in_progress", at(2026, 3, 3, 9, 0))
    d.status(c[4], agent, "resolved", at(2026, 3, 3, 10, 0))
    d.reopen(c[4], manager, at(2026, 3, 4, 9, 0))
    d.status(c[4], agent, "resolved", at(2026, 3, 4, 10, 0))
    # 5: the customer calls at 10:00, the agent pauses at 10:30 (not suspicious); escalated by
    # hand at 11:00.
    c[5] = d.received(agent, customer, category, mon(9))
    d.inbound(c[5], mon(10))
    d.status(c[5], agent, "waiting_customer", mon(10, 30))
    d.escalate(c[5], agent, mon(11))
    # 6: the customer calls at 10:00, the manager pauses 3 minutes later (suspicious, for the
    # manager).
    c[6] = d.received(agent, customer, category, mon(9))
    d.inbound(c[6], mon(10))
    d.status(c[6], manager, "waiting_third_party", mon(10, 3))
    # 7: store B, answered after 30 min and resolved after 60.
    c[7] = d.received(agent_b, customer_b, category, mon(9))
    d.respond(c[7], agent_b, mon(9, 30))
    d.status(c[7], agent_b, "resolved", mon(10))
    # 8: received in February, still new: in the backlog only (38.1 days old on 20 March).
    c[8] = d.received(agent, customer, category, at(2026, 2, 10, 9, 0))
    # The other organisation: a case received and paused right after a call, in the period.
    o = other_org
    oc = d.received(
        o["user"],
        o["customer"],
        Category.objects.get(organisation=o["org"], code="billing_error"),
        mon(9),
    )
    d.inbound(oc, mon(10))
    d.status(oc, o["user"], "waiting_customer", mon(10, 1))
    return c


def result(user: Any, *stores: Any, **kw: Any) -> handling.Handling:
    f = Filters(
        start=at(2026, 3, 1, 0, 0).date(),
        end=at(2026, 3, 31, 0, 0).date(),
        store_ids=tuple(s.pk for s in stores),
        **kw,
    )
    return handling.handling(user, f, now=NOW)


def metric(h: handling.Handling, name: str) -> handling.Attainment:
    return next(a for a in h.by_metric if a.metric == name)


def times(h: handling.Handling, name: str) -> handling.Times:
    return next(t for t in h.times if t.metric == name)


def test_attainment_counts_met_breached_and_running_clocks(world, manager, store_a, store_b):
    h = result(manager, store_a, store_b)
    fr = metric(h, "first_response")
    # met: 1, 2, 4, 7; breached (answered late): 3; running (paused, never answered): 5, 6
    assert (fr.met, fr.breached, fr.running) == (4, 1, 2)
    assert fr.rate == 80.0
    low, high = wilson_interval(4, 5)
    assert fr.interval == (round(100 * low, 1), round(100 * high, 1))
    res = metric(h, "resolution")
    assert (res.met, res.breached, res.running) == (4, 0, 3)
    assert res.rate == 100.0
    nu = metric(h, "next_update")
    # stopped by the resolution (met): 1, 2, 4, 7; running since the late answer: 3
    assert (nu.met, nu.breached, nu.running) == (4, 0, 1)


def test_attainment_per_policy(world, manager, store_a, store_b):
    h = result(manager, store_a, store_b)
    assert {a.policy for a in h.by_policy} == {"默认 Default"}
    assert sorted((a.metric, a.met, a.breached) for a in h.by_policy) == [
        ("first_response", 4, 1),
        ("next_update", 4, 0),
        ("resolution", 4, 0),
    ]


def test_a_clock_fulfilled_late_stays_breached_not_met(world, manager, store_a):
    fr = metric(result(manager, store_a), "first_response")
    assert (fr.met, fr.breached) == (3, 1)


def test_time_to_first_response_in_business_and_wall_clock_minutes(
    world, manager, store_a, store_b
):
    t = times(result(manager, store_a, store_b), "first_response")
    # business 30, 30, 60, 450, 570: median 60, p90 = 450 + 0.6 × 120 = 522 minutes
    assert (t.business.n, t.business.median) == (5, 60.0)
    assert t.business.p90 == pytest.approx(522.0)
    assert t.business.buckets == [2, 1, 1, 1, 0, 0, 0]
    # wall 30, 30, 60, 1440, 1560: median 60, p90 = 1440 + 0.6 × 120 = 1512 minutes
    assert t.wall.n == 5
    assert t.wall.median == pytest.approx(60.0, abs=0.01)
    assert t.wall.p90 == pytest.approx(1512.0, abs=0.01)
    assert t.wall.buckets == [2, 1, 0, 0, 2, 0, 0]


def test_time_to_resolution_excludes_pauses_in_business_time(world, manager, store_a, store_b):
    t = times(result(manager, store_a, store_b), "resolution")
    # business 60, 120, 335 (case 4 without its pause), 900: median 227.5, p90 730.5
    assert (t.business.n, t.business.median) == (4, 227.5)
    assert t.business.p90 == pytest.approx(730.5)
    assert t.business.median_hours == 3.8
    # wall 60, 120, 2880, 2940 (case 4 to its last resolution): median 1500, p90 2922
    assert t.wall.median == pytest.approx(1500.0, abs=0.01)
    assert t.wall.p90 == pytest.approx(2922.0, abs=0.01)
    assert t.wall.buckets == [0, 2, 0, 0, 0, 2, 0]


def test_times_per_store(world, manager, store_a, store_b):
    stores = {g.key: g for g in result(manager, store_a, store_b).by_store}
    b = stores[store_b.pk]
    assert (b.first_business.median, b.resolution_business.median) == (30.0, 60.0)
    a = stores[store_a.pk]
    # resolution business 120, 335, 900 → median 335
    assert (a.resolution_business.n, a.resolution_business.median) == (3, 335.0)


def test_backlog_is_the_open_cases_now_by_age_and_status(world, manager, store_a, store_b):
    b = result(manager, store_a, store_b).backlog
    assert b.total == 4
    # 3, 5 and 6 are 18 days old, 8 is 38
    assert [n for _label, n in b.by_age] == [0, 0, 0, 3, 1]
    assert {s: n for s, _label, n in b.by_status if n} == {
        "new": 1,
        "acknowledged": 1,
        "waiting_customer": 1,
        "waiting_third_party": 1,
    }
    assert b.oldest_days == 38.1


def test_cases_per_owner_reopen_rate_and_escalations(
    world, manager, agent, agent_b, store_a, store_b
):
    h = result(manager, store_a, store_b)
    owners = {r.owner_id: r for r in h.owners}
    a = owners[agent.pk]
    assert (a.received, a.open_now, a.resolved, a.breached, a.reopened, a.escalated) == (
        6,
        3,
        3,
        1,
        1,
        2,
    )
    # wall-clock resolution of 1, 2, 4: 2 h, 48 h, 49 h → 48 h
    assert a.median_resolution_hours == 48.0
    b = owners[agent_b.pk]
    assert (b.received, b.resolved, b.median_resolution_hours) == (1, 1, 1.0)
    assert h.total.received == 7 and h.total.resolved == 4 and h.total.reopened == 1
    assert h.reopen_rate == 25.0
    # one step by the sweep (case 3), one by hand (case 5)
    assert h.escalation_events == 2


def test_reopen_case_increments_the_reopen_count(world):
    case = world[4]
    case.refresh_from_db()
    assert case.reopen_count == 1
    d.reopen(case, case.owner, at(2026, 3, 5, 9, 0))
    case.refresh_from_db()
    assert case.reopen_count == 2


def test_a_pause_right_after_the_customer_s_message_is_suspicious(
    world, manager, agent, store_a, store_b
):
    pauses = {r.actor_id: r for r in result(manager, store_a, store_b).pauses}
    # the agent: 5 minutes after a call (counted) and 30 minutes after one (not counted)
    assert (pauses[agent.pk].pauses, pauses[agent.pk].suspicious) == (2, 1)
    assert pauses[agent.pk].share == 50.0
    # the manager paused the agent's case 3 minutes after a call: counted for the manager
    assert (pauses[manager.pk].pauses, pauses[manager.pk].suspicious) == (1, 1)


def test_the_latest_suspicious_pauses_link_their_cases(world, manager, store_a, store_b):
    latest = result(manager, store_a, store_b).latest_suspicious
    assert [(p.case_id, p.minutes_after) for p in latest] == [
        (world[4].pk, 5.0),
        (world[6].pk, 3.0),
    ]


def test_the_window_is_a_documented_constant(world, client, manager):
    assert handling.GAMING_WINDOW_MINUTES == 10
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("analytics:handling"), PERIOD).content.decode()
    assert "within 10 minutes after a message or call" in html


def test_the_staff_filter_keeps_that_owner_s_cases(world, manager, agent_b, store_a, store_b):
    h = result(manager, store_a, store_b, staff_id=agent_b.pk)
    assert h.total.received == 1
    assert metric(h, "first_response").met == 1


def test_the_page_shows_the_figures_and_drill_downs(client, world, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("analytics:handling"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    for table in ("metrics", "policies", "times", "stores", "backlog", "owners", "pauses"):
        assert f'data-table="{table}"' in html
    assert 'data-chart="handling-attainment"' in html
    assert "analytics_handling.js" in html
    assert "received_from=2026-03-01&amp;received_to=2026-03-31&amp;breached=yes" in html
    assert "state=open&amp;sort=received_asc" in html
    assert "reopened=on" in html


def test_the_backlog_link_lists_the_open_cases(client, world, manager):
    client.force_login(manager)
    h = client.get(reverse("analytics:handling"), PERIOD).context["links"]["backlog"]
    page = client.get(f"{reverse('cases:list')}?{h}").context["page"]
    assert {c.pk for c in page.object_list} == {world[n].pk for n in (3, 5, 6, 8)}


def test_the_page_renders_in_chinese(client, world, manager):
    client.force_login(manager)
    html = client.get(reverse("analytics:handling"), PERIOD).content.decode()
    assert 'lang="zh-CN"' in html


def test_a_supervisor_sees_only_their_store(client, world, supervisor, store_a, store_b):
    client.force_login(supervisor)
    h = client.get(reverse("analytics:handling"), {**PERIOD, "store": store_b.pk}).context["h"]
    assert {g.key for g in h.by_store} == {store_a.pk}
    assert h.total.received == 6


def test_another_organisation_s_ids_are_ignored(client, world, manager, other_org):
    client.force_login(manager)
    params = {**PERIOD, "store": other_org["store"].pk, "staff": other_org["user"].pk}
    h = client.get(reverse("analytics:handling"), params).context["h"]
    assert h.total.received == 7
    assert other_org["user"].pk not in {r.actor_id for r in h.pauses}


def test_the_other_organisation_sees_none_of_ours(client, world, other_org):
    client.force_login(other_org["user"])
    h = client.get(reverse("analytics:handling"), PERIOD).context["h"]
    assert h.total.received == 1
    assert [(r.pauses, r.suspicious) for r in h.pauses] == [(1, 1)]


def test_agents_are_refused(client, world, agent):
    client.force_login(agent)
    assert client.get(reverse("analytics:handling")).status_code == 403
    url = reverse("analytics:handling_export", args=["owners", "csv"])
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "table", ["metrics", "policies", "times", "stores", "owners", "backlog", "pauses", "suspicious"]
)
def test_csv_exports(client, world, manager, table):
    client.force_login(manager)
    response = client.get(reverse("analytics:handling_export", args=[table, "csv"]), PERIOD)
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert len(list(csv.reader(io.StringIO(body[1:])))) > 1


def test_xlsx_export_of_the_owners(client, world, manager, agent):
    client.force_login(manager)
    with translation.override("en"):
        url = reverse("analytics:handling_export", args=["owners", "xlsx"])
    book = load_workbook(io.BytesIO(client.get(url, PERIOD).content))
    rows = list(book.active.iter_rows(values_only=True))
    row = next(r for r in rows if r[0] == str(agent))
    assert list(row[1:]) == [6, 3, 3, 1, 1, 2, 48.0]


def test_unknown_export_is_404(client, world, manager):
    client.force_login(manager)
    assert client.get(reverse("analytics:handling_export", args=["x", "csv"])).status_code == 404
    url = reverse("analytics:handling_export", args=["owners", "pdf"])
    assert client.get(url).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_data(
    client, world, manager, agent, store_a, category
):
    client.force_login(manager)
    client.get(reverse("analytics:handling"), PERIOD)  # warm up (session, caches)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("analytics:handling"), PERIOD)
    more = CustomerFactory(store=store_a, phone="13600000001")
    for day in range(9, 14):
        case = d.received(agent, more, category, at(2026, 3, day, 9, 0))
        d.inbound(case, at(2026, 3, day, 10, 0))
        d.status(case, agent, "waiting_customer", at(2026, 3, day, 10, 2))
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("analytics:handling"), PERIOD)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(before.captured_queries) <= 32


# --- the three controls' drill-down links ---------------------------------------------------


def test_a_store_month_complaint_count_links_to_exactly_its_cases(
    client, org, store_a, store_b, manager, agent, customer, customer_b, category
):
    feb = [data.complaint(agent, customer, category, at(2026, 2, day, 10, 0)) for day in (3, 28)]
    data.complaint(agent, customer, category, at(2026, 2, 21, 10, 0), channel="survey")
    data.complaint(agent, customer, category, at(2026, 3, 1, 0, 30))  # March in Shanghai
    data.complaint(agent, customer, category, at(2026, 1, 31, 23, 30))  # January
    data.complaint(manager, customer_b, category, at(2026, 2, 5, 10, 0))  # store B
    client.force_login(manager)
    period = {"start": "2026-01-01", "end": "2026-03-31"}
    c = client.get(reverse("analytics:controls"), period).context["c"]
    cell = next(r for r in c.cells if r.store_id == store_a.pk and r.month.month == 2)
    assert cell.complaints == 2
    query = handling.controls_query(cell, c.filters)
    html = client.get(reverse("analytics:controls"), period).content.decode()
    assert query.replace("&", "&amp;") in html
    page = client.get(f"{reverse('cases:list')}?{query}").context["page"]
    assert {x.pk for x in page.object_list} == {x.pk for x in feb}


def test_a_staff_row_links_to_that_owner_s_complaints_of_the_period(
    client, org, store_a, manager, agent, customer, category
):
    mine = [data.complaint(agent, customer, category, at(2026, 2, day, 10, 0)) for day in (3, 4)]
    data.complaint(agent, customer, category, at(2025, 12, 30, 10, 0))  # before the period
    data.complaint(manager, customer, category, at(2026, 2, 5, 10, 0))  # someone else's
    client.force_login(manager)
    c = client.get(reverse("analytics:controls"), {"start": "2026-01-01", "end": "2026-03-31"})
    result_ = c.context["c"]
    row = next(r for r in result_.by_staff if r.staff_id == agent.pk)
    query = handling.controls_query(row, result_.filters)
    page = client.get(f"{reverse('cases:list')}?{query}").context["page"]
    assert {x.pk for x in page.object_list} == {x.pk for x in mine} and row.complaints == 2
