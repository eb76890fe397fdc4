"""The return-after-complaints page (/analytics/returns/): the TARP groups (resolved fast,
resolved, not resolved, never complained), who came back within 365 days (the boundary day
included, the next excluded), too-recent customers apart, the recovery paradox groups with
their satisfaction, fairness bands against return, Wilson intervals checked by hand, scoping,
exports and a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from conftest import at
from manyi.analytics import returns as r_
from manyi.analytics.returns import Share, returns
from manyi.analytics.selectors import Filters
from manyi.analytics.tests import data
from manyi.analytics.tests import data_returns as d
from manyi.core.tests.browser import (
    browser_fixture,  # noqa: F401  (the `browser` fixture)
    login,
    shot,
)
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
TODAY = dt.date(2026, 6, 1)  # windows of reference days before 2025-06-01 are over
PERIOD = {"start": "2025-01-01", "end": "2025-12-31"}


def figures(rows: list[Share]) -> dict[str, tuple[int, int, int]]:
    return {r.key: (r.n, r.back, r.recent) for r in rows}


@pytest.fixture
def world(org, store_a, store_b, agent, manager, admin_user, category, customer_b, other_org):
    def cust(phone: str, store: Any = store_a) -> Any:
        return CustomerFactory(store=store, phone=phone)

    def case(c: Any, when: dt.datetime, owner: Any = agent) -> Any:
        return data.complaint(owner, c, category, when)

    w: dict[str, Any] = {}
    # c1: fast (clock met), a transaction exactly 365 days later: came back.
    w["c1"] = c1 = cust("13900000001")
    d.resolve(
        case(c1, at(2025, 2, 3, 10, 0)), "in_favour", at(2025, 2, 4, 10, 0), clock="fulfilled"
    )
    d.transaction(store_a, c1, dt.date(2026, 2, 3))
    # c2: fast; a transaction the same day (not a return) and one 366 days later: not back.
    w["c2"] = c2 = cust("13900000002")
    d.resolve(
        case(c2, at(2025, 2, 10, 9, 0)), "in_favour", at(2025, 2, 10, 18, 0), clock="fulfilled"
    )
    d.transaction(store_a, c2, dt.date(2025, 2, 10))
    d.transaction(store_a, c2, dt.date(2026, 2, 11))
    # c3: partly resolved after the target (breached); back through a later case, which is
    # also their second failure (paradox: last case 2025-09-01, too recent).
    w["c3"] = c3 = cust("13900000003")
    d.resolve(case(c3, at(2025, 3, 1, 10, 0)), "partly", at(2025, 3, 9, 10, 0), clock="breached")
    case(c3, at(2025, 9, 1, 10, 0))
    # c4: not resolved, never back.
    w["c4"] = c4 = cust("13900000004")
    d.resolve(
        case(c4, at(2025, 3, 5, 10, 0)), "not_resolved", at(2025, 3, 6, 10, 0), clock="fulfilled"
    )
    # c5: still open; a visit a month later.
    w["c5"] = c5 = cust("13900000005")
    case(c5, at(2025, 4, 1, 10, 0))
    d.transaction(store_a, c5, dt.date(2025, 5, 1), kind="visit")
    # c6: no resolution clock, resolved within 48 hours: fast; not back.
    w["c6"] = c6 = cust("13900000006")
    d.resolve(case(c6, at(2025, 4, 2, 10, 0)), "in_favour", at(2025, 4, 4, 10, 0), clock=None)
    # c7: no clock, resolved after 100 hours: resolved; a purchase later: back.
    w["c7"] = c7 = cust("13900000007")
    d.resolve(case(c7, at(2025, 4, 3, 10, 0)), "in_favour", at(2025, 4, 7, 14, 0), clock=None)
    d.transaction(store_a, c7, dt.date(2025, 12, 1), kind="purchase")
    # c8: fast, but received 2025-08-01: too recent.
    w["c8"] = c8 = cust("13900000008")
    d.resolve(
        case(c8, at(2025, 8, 1, 10, 0)), "in_favour", at(2025, 8, 1, 12, 0), clock="fulfilled"
    )
    # c9: withdrawn (not resolved), then a second case on 2025-01-20: back; paradox: two
    # failures, last on 2025-01-20, nothing after it.
    w["c9"] = c9 = cust("13900000009")
    d.resolve(
        case(c9, at(2025, 1, 5, 10, 0)), "withdrawn", at(2025, 1, 6, 10, 0), clock="fulfilled"
    )
    case(c9, at(2025, 1, 20, 10, 0))
    # cb at store B: fast, a service a month later: back.
    w["cb"] = customer_b
    b1 = data.complaint(manager, customer_b, category, at(2025, 2, 3, 10, 0))
    d.resolve(b1, "in_favour", at(2025, 2, 3, 15, 0), clock="fulfilled")
    d.transaction(store_b, customer_b, dt.date(2025, 3, 1))

    # Never complained.
    w["n1"] = n1 = cust("13800000001")  # first transaction 03-01, back on 06-01
    d.transaction(store_a, n1, dt.date(2025, 3, 1))
    d.transaction(store_a, n1, dt.date(2025, 6, 1))
    n2 = cust("13800000002")  # one transaction: not back
    d.transaction(store_a, n2, dt.date(2025, 4, 1))
    n3 = cust("13800000003")  # a case exactly 365 days before: excluded
    case(n3, at(2024, 2, 2, 10, 0))
    d.transaction(store_a, n3, dt.date(2025, 2, 1))
    n4 = cust("13800000004")  # a case 366 days before: counted, not back
    case(n4, at(2024, 2, 1, 10, 0))
    d.transaction(store_a, n4, dt.date(2025, 2, 1))
    n5 = cust("13800000005")  # too recent
    d.transaction(store_a, n5, dt.date(2025, 9, 1))
    n6 = cust("13800000006")  # a transaction before the period does not matter
    d.transaction(store_a, n6, dt.date(2024, 12, 31))
    d.transaction(store_a, n6, dt.date(2025, 1, 10))

    # Another organisation: a fast-resolved complaint and a return, never counted.
    o = other_org
    oc = data.complaint(o["user"], o["customer"], o["case"].category, at(2025, 2, 3, 10, 0))
    d.resolve(oc, "in_favour", at(2025, 2, 3, 12, 0), clock="fulfilled")
    d.transaction(o["store"], o["customer"], dt.date(2025, 3, 1))

    # Satisfaction answers (a plain survey with NPS).
    s = data.survey(admin_user)
    d.answer(s, c1, at(2025, 2, 5, 10, 0), nps=9, csat=5)
    d.answer(s, c1, at(2025, 3, 1, 10, 0), nps=7)
    d.answer(s, c2, at(2025, 2, 10, 20, 0), nps=4)  # the reference day counts
    d.answer(s, c2, at(2025, 1, 1, 10, 0), nps=0)  # before the reference day
    d.answer(s, c8, at(2025, 8, 2, 10, 0), nps=0)  # too recent
    d.answer(s, n1, at(2025, 3, 1, 10, 0), nps=10)
    d.answer(s, n1, at(2026, 3, 2, 10, 0), nps=0)  # 366 days later
    w["survey"] = s
    return w


@pytest.fixture
def fairness(world, admin_user):
    s = d.fairness_survey(admin_user)
    w = world
    d.answer(s, w["c1"], at(2025, 2, 5, 10, 0), d.fair((7, 7), (7, 7), (7, 7)))
    d.answer(s, w["c1"], at(2025, 3, 1, 10, 0), d.fair((1, 1), (1, 1), (1, 1)))  # not first
    d.answer(s, w["c2"], at(2025, 2, 10, 12, 0), d.fair((1, 1), (4, 4), (7, 6)))
    d.answer(s, w["c4"], at(2025, 3, 10, 10, 0), d.fair((5, 6), (5, 5), ("na", None)))
    d.answer(s, w["c8"], at(2025, 8, 3, 10, 0), d.fair((1, 1), (1, 1), (1, 1)))
    return s


def result(user: Any, *stores: Any, today: dt.date = TODAY, **kw: Any) -> r_.Returns:
    f = Filters(start=START, end=END, store_ids=tuple(s.pk for s in stores), **kw)
    return returns(user, f, today=today)


# --- TARP -----------------------------------------------------------------------------------


def test_tarp_groups_customers_by_their_first_complaint(world, manager, store_a, store_b):
    r = result(manager, store_a, store_b)
    assert figures(r.tarp) == {
        "fast": (4, 2, 1),  # c1 back, c2, c6, cb back; c8 too recent
        "resolved": (2, 2, 0),  # c3, c7
        "not_resolved": (3, 2, 0),  # c4, c5 back, c9 back
        "never": (4, 1, 1),  # n1 back, n2, n4, n6; n5 too recent; n3 excluded
    }


def test_return_rate_and_wilson_interval_by_hand(world, manager, store_a, store_b):
    rows = {x.key: x for x in result(manager, store_a, store_b).tarp}
    # 2 of 4: centre 0.5, half-width 1.96/1.9604·√(0.0625 + 0.0600) = 0.3500
    assert (rows["fast"].rate, rows["fast"].low, rows["fast"].high) == (50.0, 15.0, 85.0)
    # 2 of 3: centre 1.3069/2.2805 = 0.5731, half 0.8595·√(0.0741 + 0.1067) = 0.3654
    assert (rows["not_resolved"].rate, rows["not_resolved"].low) == (66.7, 20.8)
    assert rows["not_resolved"].high == 93.9
    # 2 of 2: the upper end is exactly 100 %, the lower 2/(2 + 3.8415) = 0.3424
    assert (rows["resolved"].low, rows["resolved"].high) == (34.2, 100.0)


def test_the_365th_day_counts_and_the_366th_does_not(world, manager, store_a):
    # c1 alone (fast, back on day 365) and c2 (back on day 366 only) in the first half of
    # February.
    f = Filters(start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 15), store_ids=(store_a.pk,))
    rows = {x.key: x for x in returns(manager, f, today=TODAY).tarp}
    assert (rows["fast"].n, rows["fast"].back) == (2, 1)


def test_a_window_not_yet_over_is_too_recent(world, manager, store_a):
    f = Filters(start=dt.date(2025, 2, 3), end=dt.date(2025, 2, 3), store_ids=(store_a.pk,))
    # 2025-02-03 + 365 = 2026-02-03: over on 2026-02-04, not on 2026-02-03.
    fast = returns(manager, f, today=dt.date(2026, 2, 3)).tarp[0]
    assert (fast.n, fast.recent) == (0, 1)
    fast = returns(manager, f, today=dt.date(2026, 2, 4)).tarp[0]
    assert (fast.n, fast.back, fast.recent) == (1, 1, 0)


def test_a_supervisor_counts_only_their_store(world, supervisor, store_a, store_b):
    r = result(supervisor, store_a, store_b)
    assert figures(r.tarp)["fast"] == (3, 1, 1)  # c1, c2, c6; not store B's cb


def test_the_category_filter_keeps_complaints_of_that_category(
    world, org, manager, store_a, store_b
):
    from manyi.cases.models import Category

    other = Category.objects.get(organisation=org, code="billing_error").parent_id
    r = result(manager, store_a, store_b, category_id=other)
    assert figures(r.tarp)["fast"] == (0, 0, 0)
    assert figures(r.tarp)["never"] == (4, 1, 1)  # not about a category


# --- the paradox ----------------------------------------------------------------------------


def test_paradox_groups_by_number_of_failures(world, manager, store_a, store_b):
    r = result(manager, store_a, store_b)
    assert figures(r.paradox) == {
        "never": (4, 1, 1),
        "recovered": (4, 2, 1),  # c1 back, c2, c6, cb back; c8 too recent
        "one_other": (3, 2, 0),  # c4, c5 back, c7 back
        "two_plus": (1, 0, 1),  # c9 (last case 01-20, nothing after); c3 too recent
    }


def test_paradox_satisfaction_is_the_mean_over_customers(world, manager, store_a, store_b):
    rows = {x.key: x for x in result(manager, store_a, store_b).paradox}
    # c1: (9 + 7) / 2 = 8, c2: 4 (the answer before the complaint left out) → 6.0 over 2
    assert (rows["recovered"].nps, rows["recovered"].nps_n) == (6.0, 2)
    assert (rows["recovered"].csat, rows["recovered"].csat_n) == (5.0, 1)
    # n1: 10 (the answer 366 days later left out)
    assert (rows["never"].nps, rows["never"].nps_n) == (10.0, 1)
    assert rows["two_plus"].nps is None


def test_paradox_verdict_needs_enough_customers(world, manager, store_a, store_b):
    assert result(manager, store_a, store_b).verdict.key == "too_few"


def test_paradox_verdict_by_hand():
    never = Share(key="never", label="", n=50, back=30)  # 60 %
    # 36 of 40 (90 %): pooled 66/90, se = √(0.7333·0.2667·0.045) = 0.0938, z = 0.3/0.0938 = 3.20
    v = r_._verdict(Share(key="recovered", label="", n=40, back=36), never)
    assert v.key == "seen" and v.z == 3.2 and v.p is not None and v.p < 0.01
    assert r_._verdict(Share(key="recovered", label="", n=40, back=25), never).key == "not_seen"
    assert r_._verdict(Share(key="recovered", label="", n=40, back=10), never).key == "reverse"
    assert r_._verdict(Share(key="recovered", label="", n=29, back=29), never).key == "too_few"


# --- fairness -------------------------------------------------------------------------------


def test_fairness_bands_against_return(fairness, manager, store_a, store_b):
    r = result(manager, store_a, store_b)
    got = {(x.key, x.band): (x.n, x.back, x.recent) for x in r.fairness}
    assert r.fairness_answers == 4
    assert got == {
        # overall: c1 1.0 high (back), c2 (0 + 0.5 + 0.917) / 3 = 0.47 low, c4 (0.75 + 0.667)
        # / 2 = 0.71 middle, c8 low (too recent)
        ("overall", "low"): (1, 0, 1),
        ("overall", "mid"): (1, 0, 0),
        ("overall", "high"): (1, 1, 0),
        ("fair_outcome", "low"): (1, 0, 1),
        ("fair_outcome", "mid"): (0, 0, 0),
        ("fair_outcome", "high"): (2, 1, 0),  # c1, c4 at exactly 0.75
        ("fair_procedural", "low"): (0, 0, 1),
        ("fair_procedural", "mid"): (2, 0, 0),  # c2 at exactly 0.5, c4
        ("fair_procedural", "high"): (1, 1, 0),
        ("fair_interactional", "low"): (0, 0, 1),
        ("fair_interactional", "mid"): (0, 0, 0),
        ("fair_interactional", "high"): (2, 1, 0),  # c4 did not answer
    }


def test_no_fairness_survey_no_fairness_table(world, manager, store_a):
    assert result(manager, store_a).fairness == []


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def frozen() -> Any:
    """The page's today is 2026-06-01 (Shanghai)."""
    with time_machine.travel(dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC), tick=False):
        yield


def get(client: Any, user: Any, params: dict[str, Any] | None = None, lang: str = "en") -> Any:
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client.get(reverse("analytics:returns"), params if params is not None else PERIOD)


def test_the_page_shows_the_tables_in_english(client, fairness, manager, frozen):
    response = get(client, manager)
    assert response.status_code == 200
    html = response.content.decode()
    for table in ("tarp", "paradox", "fairness"):
        assert f'data-table="{table}"' in html
    assert 'data-chart="returns-tarp"' in html and "analytics_returns.js" in html
    assert "Resolved fast" in html and "Never complained" in html
    assert 'data-verdict="too_few"' in html
    assert 'id="returns-help"' in html and "Wilson" in html
    assert 'class="low-n"' in html  # every group is under 30 customers
    assert "2025-05-31" in html  # the last reference day whose window is over
    fast = response.context["r"].tarp[0]
    assert (fast.n, fast.back, fast.recent) == (4, 2, 1)
    assert '<td class="num nowrap" data-figure="rate">50.0%</td>' in html
    assert "15.0 – 85.0%" in html


def test_the_page_renders_in_chinese(client, world, manager):
    response = get(client, manager, lang="zh-hans")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.content.decode()


def test_the_default_period_is_the_twelve_months_ending_a_year_ago(client, world, manager, frozen):
    with translation.override("en"):
        r = get(client, manager, params={}).context["r"]
    assert (r.filters.start, r.filters.end) == (dt.date(2024, 6, 1), dt.date(2025, 5, 31))
    assert r.cutoff == dt.date(2025, 5, 31)


def test_agents_are_refused(client, world, agent):
    client.force_login(agent)
    assert client.get(reverse("analytics:returns")).status_code == 403
    url = reverse("analytics:returns_export", args=["tarp", "csv"])
    assert client.get(url).status_code == 403


def test_the_page_scopes_a_supervisor_to_their_store(client, world, supervisor, store_b):
    r = get(client, supervisor, {**PERIOD, "store": store_b.pk}).context["r"]
    assert r.filters.store_ids == (supervisor.store_id,)


def test_another_organisation_sees_only_its_own(client, world, other_org, frozen):
    r = get(client, other_org["user"]).context["r"]
    assert figures(r.tarp) == {
        "fast": (1, 1, 0),
        "resolved": (0, 0, 0),
        "not_resolved": (0, 0, 0),
        "never": (0, 0, 0),
    }


def test_another_organisation_s_store_is_ignored(
    client, world, manager, other_org, store_a, store_b
):
    r = get(client, manager, {**PERIOD, "store": other_org["store"].pk}).context["r"]
    assert set(r.filters.store_ids) == {store_a.pk, store_b.pk}


@pytest.mark.parametrize("table", ["tarp", "paradox", "fairness"])
def test_csv_export_has_a_bom_and_the_rows(client, fairness, manager, table, frozen):
    client.force_login(manager)
    url = reverse("analytics:returns_export", args=[table, "csv"])
    response = client.get(url, PERIOD)
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert (
        len(list(csv.reader(io.StringIO(body[1:]))))
        == {"tarp": 5, "paradox": 5, "fairness": 13}[table]
    )


def test_xlsx_export_of_the_tarp_table(client, world, manager, frozen):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    url = reverse("analytics:returns_export", args=["tarp", "xlsx"])
    book = load_workbook(io.BytesIO(client.get(url, PERIOD).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == (
        "Group",
        "Customers counted",
        "Came back",
        "Return rate (%)",
        "95% interval, low (%)",
        "95% interval, high (%)",
        "Too recent",
    )
    assert rows[1:] == [
        ("Resolved fast", 4, 2, 50, 15, 85, 1),
        ("Resolved, not fast", 2, 2, 100, 34.2, 100, 0),
        ("Not resolved", 3, 2, 66.7, 20.8, 93.9, 0),
        ("Never complained", 4, 1, 25, 4.6, 69.9, 1),
    ]


def test_unknown_export_is_404(client, world, manager):
    client.force_login(manager)
    assert client.get(reverse("analytics:returns_export", args=["x", "csv"])).status_code == 404
    url = reverse("analytics:returns_export", args=["tarp", "pdf"])
    assert client.get(url).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_data(
    client, fairness, manager, store_a, category, frozen, django_assert_max_num_queries
):
    get(client, manager)  # warm up (session, caches)
    with django_assert_max_num_queries(20) as before:
        get(client, manager)
    s = fairness
    for i in range(5):
        c = CustomerFactory(store=store_a, phone=f"1360000000{i}")
        case = data.complaint(manager, c, category, at(2025, 5, i + 1, 9, 0))
        d.resolve(case, "in_favour", at(2025, 5, i + 1, 12, 0), clock="fulfilled")
        d.transaction(store_a, c, dt.date(2025, 6, i + 1))
        d.answer(s, c, at(2025, 5, i + 1, 13, 0), d.fair((6, 6), (6, 6), (6, 6)))
    with django_assert_max_num_queries(len(before.captured_queries)):
        get(client, manager)


# --- in a browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_draws_its_charts_in_a_browser(live_server, browser, fairness):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, live_server.url, "manager")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/analytics/returns/?start=2025-01-01&end=2025-12-31")
    for name in ("returns-tarp", "returns-paradox", "returns-fairness"):
        page.wait_for_selector(f'[data-chart="{name}"][data-rendered="1"]')
    assert page.locator('[data-table="tarp"] tbody tr').count() == 4
    shot(page, "analytics-returns-en")
