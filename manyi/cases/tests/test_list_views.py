"""The dashboard, the case list and the case page: who sees which cases, the breach marks,
filters, and a number of queries that does not grow with the number of cases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.cases.tests.ui_helpers import client_for, make_breached, make_due_in, open_case
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def numbers(response) -> set[str]:
    import re

    return set(re.findall(r'data-case="([^"]+)"', response.content.decode()))


def test_agent_list_shows_own_store_only(agent, agent_b, customer, customer_b, category):
    mine = open_case(agent, customer, category, summary="我店的投诉")
    theirs = open_case(agent_b, customer_b, category, summary="别的门店的投诉")
    response = client_for(agent).get("/cases/")
    assert response.status_code == 200
    assert numbers(response) == {mine.number}
    assert "别的门店的投诉" not in response.content.decode()
    assert numbers(client_for(agent_b).get("/cases/")) == {theirs.number}


def test_manager_list_shows_every_store_but_never_another_organisation(
    manager, agent, agent_b, customer, customer_b, category, other_org
):
    a = open_case(agent, customer, category)
    b = open_case(agent_b, customer_b, category)
    response = client_for(manager).get("/cases/")
    assert numbers(response) == {a.number, b.number}
    assert "别的组织的投诉" not in response.content.decode()
    # The other organisation's admin sees only their own case.
    assert numbers(client_for(other_org["user"]).get("/cases/")) == {other_org["case"].number}


def test_case_outside_scope_answers_404(
    agent, admin_user, customer_b, agent_b, category, other_org
):
    theirs = open_case(agent_b, customer_b, category)
    assert client_for(agent).get(f"/cases/{theirs.pk}/").status_code == 404
    assert client_for(admin_user).get(f"/cases/{theirs.pk}/").status_code == 200
    assert client_for(admin_user).get(f"/cases/{other_org['case'].pk}/").status_code == 404
    assert client_for(agent).get(f"/cases/{theirs.pk}/clocks/").status_code == 404


def test_anonymous_user_is_sent_to_login():
    from django.test import Client

    for url in ("/", "/cases/", "/cases/new/", "/cases/1/", "/notifications/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_breached_and_about_to_breach_rows_are_marked_and_sorted_first(
    supervisor, agent, customer, category
):
    calm = open_case(agent, customer, category, summary="还早")
    soon = make_due_in(open_case(agent, customer, category, summary="快到期"), 40)
    late = make_breached(open_case(agent, customer, category, summary="已超时"))
    html = client_for(supervisor).get("/cases/").content.decode()
    rows = [html.index(f'data-case="{c.number}"') for c in (late, soon, calm)]
    assert rows == sorted(rows), "nearest deadline first"
    assert f'class="row-breached" data-case="{late.number}"' in html
    assert f'class="row-warning" data-case="{soon.number}"' in html
    assert f'class="" data-case="{calm.number}"' in html


def test_filters_narrow_the_list(supervisor, agent, customer, category, store_a):
    other = CustomerFactory(store=store_a, name="王芳", phone="13600001111")
    calm = open_case(agent, customer, category, summary="还早", severity="low")
    late = make_breached(open_case(agent, other, category, summary="已超时", severity="high"))
    client = client_for(supervisor)
    assert numbers(client.get("/cases/?breached=yes")) == {late.number}
    assert numbers(client.get("/cases/?breached=no")) == {calm.number}
    assert numbers(client.get("/cases/?severity=low")) == {calm.number}
    assert numbers(client.get("/cases/?q=王芳")) == {late.number}
    assert numbers(client.get("/cases/?q=136 0000 1111")) == {late.number}
    assert numbers(client.get(f"/cases/?q={calm.number}")) == {calm.number}
    assert numbers(client.get(f"/cases/?owner={agent.pk}")) == {calm.number, late.number}
    assert numbers(client.get(f"/cases/?owner={supervisor.pk}")) == set()
    assert numbers(client.get(f"/cases/?category={category.parent_id}")) == {
        calm.number,
        late.number,
    }
    assert numbers(client.get("/cases/?state=closed")) == set()
    # A value that is not allowed is ignored rather than breaking the page.
    assert numbers(client.get("/cases/?severity=nonsense")) == {calm.number, late.number}


def test_store_filter_cannot_reach_another_store(agent, agent_b, customer_b, category, store_b):
    open_case(agent_b, customer_b, category)
    assert numbers(client_for(agent).get(f"/cases/?store={store_b.pk}")) == set()


def test_htmx_filter_request_returns_only_the_results(agent, customer, category):
    case = open_case(agent, customer, category)
    response = client_for(agent).get("/cases/?state=open", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert numbers(response) == {case.number}
    assert "<html" not in html and 'id="case-filters"' not in html
    assert "/cases/export.csv?state=open" in html


def test_phone_in_list_is_masked_for_an_agent(agent, supervisor, customer, category):
    open_case(agent, customer, category)
    assert "138****5678" in client_for(agent).get("/cases/").content.decode()
    assert "13812345678" not in client_for(agent).get("/cases/").content.decode()
    assert "13812345678" in client_for(supervisor).get("/cases/").content.decode()


def test_dashboard_shows_my_cases_and_marks(agent, supervisor, customer, category):
    mine = open_case(agent, customer, category, summary="我的案子")
    make_breached(open_case(agent, customer, category, summary="超时的"))
    make_due_in(open_case(supervisor, customer, category, summary="主管的快到期"), 30)
    html = client_for(agent).get("/").content.decode()
    assert 'data-kpi="my_open">2<' in html
    assert 'data-kpi="my_breached">1<' in html
    assert 'data-kpi="my_due_soon">0<' in html
    assert 'data-kpi="scope_due_soon">1<' in html
    assert mine.number in html
    assert 'id="by-store"' not in html  # agents get no per-store table


def test_dashboard_counts_by_store_for_a_manager(
    manager, agent, agent_b, customer, customer_b, category, store_a, store_b, other_org
):
    open_case(agent, customer, category)
    make_breached(open_case(agent, customer, category))
    open_case(agent_b, customer_b, category)
    from manyi.cases.selectors import dashboard

    board = dashboard(manager)
    figures = {s.store_id: (s.open, s.breached) for s in board.by_store}
    assert figures == {store_a.pk: (2, 1), store_b.pk: (1, 0)}
    assert board.scope_open == 3 and board.scope_breached == 1
    html = client_for(manager).get("/").content.decode()
    assert f'data-store="{store_a.pk}"' in html and f'data-store="{store_b.pk}"' in html
    assert f'data-store="{other_org["store"].pk}"' not in html


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/cases/", "/", "/cases/?breached=yes&q=客户"])
def test_list_and_dashboard_queries_do_not_grow_with_cases(
    url, supervisor, agent, store_a, category, django_assert_max_num_queries
):
    client = client_for(supervisor)

    def add(n: int) -> None:
        for _ in range(n):
            case = open_case(agent, CustomerFactory(store=store_a), category)
            make_breached(case)

    add(5)
    few = _count_queries(client, url)
    add(25)
    with django_assert_max_num_queries(few):
        client.get(url)
    assert few <= 20


def test_case_page_queries_do_not_grow_with_its_timeline(
    supervisor, agent, customer, category, django_assert_max_num_queries
):
    from manyi.cases import services

    case = open_case(agent, customer, category)
    client = client_for(supervisor)
    few = _count_queries(client, f"/cases/{case.pk}/")
    for i in range(25):
        case = services.comment_on_case(actor=agent, case=case, text=f"备注 {i}")
    with django_assert_max_num_queries(few):
        client.get(f"/cases/{case.pk}/")
    assert few <= 25


@pytest.mark.parametrize(
    "params",
    [{"received_from": "0001-01-01"}, {"received_to": "9999-12-31"}],
)
def test_drill_down_dates_out_of_range_are_ignored(agent, customer, category, params):
    # Year 1 in Shanghai's zone and the day after 9999-12-31 are out of Python's range: the
    # date is ignored (every case listed), never a server error.
    case = open_case(agent, customer, category, summary="范围外的日期")
    response = client_for(agent).get("/cases/", params)
    assert response.status_code == 200
    assert numbers(response) == {case.number}
