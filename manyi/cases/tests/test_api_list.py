"""The case list of the REST API: filters, search, ordering, pagination, and a fixed number of
SQL statements per page however many cases there are."""

from __future__ import annotations

import pytest
import time_machine

from conftest import at
from manyi.cases import services
from manyi.cases.models import Category
from manyi.cases.sweep import sweep
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 9, 10, 0)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def make(actor, who, *, received_at, summary="交车延误", code="wait_delivery", **kw):
    return services.create_case(
        actor=actor,
        customer=who,
        channel=kw.pop("channel", "phone"),
        category=Category.objects.get(organisation=who.organisation, code=code),
        summary=summary,
        received_at=received_at,
        now=NOW,
        **kw,
    )


def numbers(response):
    assert response.status_code == 200, response.content
    return [c["number"] for c in response.json()["items"]]


@pytest.fixture
def cases(agent, agent_b, supervisor, customer, customer_b):
    """Four cases of store A and one of store B, received on different days."""
    return {
        "old": make(agent, customer, received_at=at(2026, 3, 2, 9, 0), summary="保养等太久"),
        "billing": make(
            agent,
            customer,
            received_at=at(2026, 3, 3, 9, 0),
            code="billing_error",
            summary="多收了工时费",
            severity="high",
        ),
        "wechat": make(
            supervisor,
            customer,
            received_at=at(2026, 3, 4, 9, 0),
            channel="wechat",
            summary="微信投诉",
        ),
        "new": make(agent, customer, received_at=at(2026, 3, 9, 9, 0), summary="刚收到"),
        "b": make(agent_b, customer_b, received_at=at(2026, 3, 5, 9, 0), summary="徐汇店"),
    }


def test_the_list_is_newest_first_and_scoped_to_the_store(agent, manager, cases):
    assert numbers(ApiClient(agent).get("/cases")) == [
        cases[k].number for k in ("new", "wechat", "billing", "old")
    ]
    assert len(numbers(ApiClient(manager).get("/cases"))) == 5


def test_list_items_carry_deadline_breach_and_masked_customer(agent, cases):
    item = ApiClient(agent).get("/cases", {"q": cases["new"].number}).json()["items"][0]
    assert item["next_due_at"].endswith("+08:00")
    assert item["breached"] is False
    assert item["customer"]["phone"] == "138****5678"
    assert item["category"]["code"] == "wait_delivery"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "new"}, ["new", "wechat", "billing", "old"]),
        ({"severity": "high"}, ["billing"]),
        ({"channel": ["wechat", "email"]}, ["wechat"]),
        ({"category": "billing_error"}, ["billing"]),
        ({"category": "price_billing"}, ["billing"]),  # a parent includes its children
        ({"q": "工时"}, ["billing"]),
        ({"q": "张伟"}, ["new", "wechat", "billing", "old"]),
        ({"q": "13812345678"}, ["new", "wechat", "billing", "old"]),
        ({"received_from": "2026-03-03", "received_to": "2026-03-04"}, ["billing"]),
        ({"received_from": "2026-03-04T09:00:00+08:00"}, ["new", "wechat"]),
        ({"ordering": "received_at", "limit": 2}, ["old", "billing"]),
    ],
)
def test_filters(agent, cases, params, expected):
    assert numbers(ApiClient(agent).get("/cases", params)) == [cases[k].number for k in expected]


def test_filter_by_owner_store_and_case_number(agent, supervisor, manager, store_b, cases):
    api = ApiClient(manager)
    assert numbers(api.get("/cases", {"owner": supervisor.pk})) == [cases["wechat"].number]
    assert numbers(api.get("/cases", {"store": store_b.pk})) == [cases["b"].number]
    assert numbers(api.get("/cases", {"q": cases["old"].number.lower()})) == [cases["old"].number]


def test_open_and_status_filters(agent, cases):
    services.change_status(
        actor=agent, case=cases["old"], status="resolved", outcome="partly", now=NOW
    )
    api = ApiClient(agent)
    assert cases["old"].number not in numbers(api.get("/cases", {"open": "true"}))
    assert numbers(api.get("/cases", {"open": "false"})) == [cases["old"].number]
    assert numbers(api.get("/cases", {"status": ["resolved", "closed"]})) == [cases["old"].number]


def test_breached_cases_are_marked_and_filterable(agent, cases):
    # Cases received on 2 and 3 March passed their 480 business minutes long ago.
    sweep(now=NOW)
    api = ApiClient(agent)
    breached = api.get("/cases", {"breached": "true"}).json()["items"]
    assert {c["number"] for c in breached} >= {cases["old"].number, cases["billing"].number}
    assert all(c["breached"] for c in breached)
    assert cases["new"].number in numbers(api.get("/cases", {"breached": "false"}))


def test_ordering_by_next_due_puts_the_nearest_deadline_first_and_paused_last(agent, cases):
    services.change_status(actor=agent, case=cases["old"], status="waiting_customer", now=NOW)
    items = ApiClient(agent).get("/cases", {"ordering": "next_due_at"}).json()["items"]
    dues = [c["next_due_at"] for c in items]
    assert dues[-1] is None
    assert items[-1]["number"] == cases["old"].number
    assert dues[:-1] == sorted(dues[:-1])


def test_pagination_reports_the_total(agent, cases):
    api = ApiClient(agent)
    first = api.get("/cases", {"limit": 3}).json()
    assert (len(first["items"]), first["total"], first["total_is_exact"]) == (3, 4, True)
    rest = api.get("/cases", {"limit": 3, "offset": 3}).json()
    assert [c["number"] for c in rest["items"]] == [cases["old"].number]
    assert rest["total"] == 4
    beyond = api.get("/cases", {"limit": 3, "offset": 10}).json()
    assert (beyond["items"], beyond["total"]) == ([], 4)


def test_a_full_page_counts_only_up_to_the_cap(agent, cases, settings):
    settings.MANYI_API_COUNT_CAP = 2
    page = ApiClient(agent).get("/cases", {"limit": 1}).json()
    assert (page["total"], page["total_is_exact"]) == (2, False)


def test_bad_list_parameters_are_field_errors(agent):
    response = ApiClient(agent).get("/cases", {"ordering": "summary", "limit": 500})
    assert set(error_of(response)["fields"]) == {"ordering", "limit"}


def _many(agent, store, n, start_day):
    for i in range(n):
        who = CustomerFactory.create(store=store)
        make(agent, who, received_at=at(2026, 2, 1 + (start_day + i) % 27, 9, i % 60))


def test_a_page_costs_the_same_statements_for_5_or_50_cases(
    agent, store_a, django_assert_max_num_queries
):
    api = ApiClient(agent)
    api.get("/me")  # the first use of a token records it
    _many(agent, store_a, 5, 0)
    with django_assert_max_num_queries(4) as few:  # token, page, breach flags, count
        assert len(api.get("/cases", {"limit": 4}).json()["items"]) == 4
    _many(agent, store_a, 45, 5)
    with django_assert_max_num_queries(4) as many:
        assert len(api.get("/cases", {"limit": 50}).json()["items"]) == 50
    with django_assert_max_num_queries(4):
        api.get("/cases", {"ordering": "next_due_at", "breached": "false", "q": "交车"})
    assert len(few.captured_queries) == len(many.captured_queries)
