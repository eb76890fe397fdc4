"""The recovery economics page (/analytics/recovery/): cost by action kind, top-level category,
store and month against sums worked by hand, guarantee payouts, pending actions apart, the cost
per complaint, scoping to the user's organisation and stores, agents refused, exports, both
languages and a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import at
from manyi.analytics.selectors import Filters, recovery_economics
from manyi.analytics.tests import data
from manyi.cases.models import Category
from manyi.core.tests.factories import CustomerFactory
from manyi.recovery.guarantees import ensure_default_guarantees
from manyi.recovery.models import Guarantee, GuaranteeBreach, RecoveryAction

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def action(case: Any, kind: str, value: str, state: str, when: dt.datetime, **kw: Any) -> Any:
    return RecoveryAction.objects.create(
        organisation_id=case.organisation_id,
        store_id=case.store_id,
        case=case,
        kind=kind,
        value=Decimal(value),
        state=state,
        requested_at=when,
        **kw,
    )


def payout(case: Any, kind: str, value: str, state: str, when: dt.datetime) -> Any:
    ensure_default_guarantees(case.organisation)
    guarantee = Guarantee.objects.filter(organisation_id=case.organisation_id).first()
    breach = GuaranteeBreach.objects.create(
        organisation_id=case.organisation_id,
        guarantee=guarantee,
        store_id=case.store_id,
        case=case,
        customer=case.customer,
        source_key=f"event:{case.pk}:{when.timestamp()}",
        payout=Decimal(value),
        at=when,
    )
    return action(case, kind, value, state, when, guarantee_breach=breach)


def cat(org: Any, code: str) -> Category:
    return Category.objects.get(organisation=org, code=code)


@pytest.fixture
def world(org, store_a, store_b, manager, agent, customer, customer_b, other_org):
    # Cases received in the period: 3 at store A, 2 at store B (one without any action).
    delivery = cat(org, "wait_delivery")  # under "waiting_time"
    reception = cat(org, "wait_reception")  # under "waiting_time"
    billing = cat(org, "billing_error")  # under "price_billing"
    a1 = data.complaint(agent, customer, delivery, at(2026, 2, 3, 10, 0))
    a2 = data.complaint(agent, customer, billing, at(2026, 2, 10, 10, 0))
    a3 = data.complaint(agent, customer, reception, at(2026, 3, 1, 0, 30))
    b1 = data.complaint(manager, customer_b, delivery, at(2026, 2, 5, 10, 0))
    data.complaint(manager, customer_b, delivery, at(2026, 1, 20, 10, 0))

    action(a1, "refund", "100", "approved", at(2026, 2, 4, 10, 0))
    action(a1, "gift", "50.50", "given", at(2026, 2, 5, 10, 0))
    action(a2, "refund", "200", "given", at(2026, 3, 2, 10, 0))
    action(a2, "discount", "300", "rejected", at(2026, 2, 11, 10, 0))  # not counted
    action(a2, "gift", "400", "cancelled", at(2026, 2, 11, 10, 0))  # not counted
    action(a3, "discount", "80", "pending", at(2026, 3, 2, 10, 0))  # shown apart
    # 00:30 on 1 March in Shanghai is still February in UTC: counted in March.
    payout(a3, "discount", "60", "approved", at(2026, 3, 1, 0, 30))
    action(b1, "repair", "120", "approved", at(2026, 2, 6, 10, 0))
    payout(b1, "discount", "40", "given", at(2026, 2, 7, 10, 0))
    action(a1, "refund", "999", "approved", at(2026, 4, 5, 10, 0))  # after the period

    # Another organisation in February: never counted.
    action(other_org["case"], "refund", "700", "approved", at(2026, 2, 6, 10, 0))
    payout(other_org["case"], "discount", "70", "approved", at(2026, 2, 6, 11, 0))


def economics(user: Any, *stores: Any) -> Any:
    f = Filters(start=JAN, end=dt.date(2026, 3, 31), store_ids=tuple(s.pk for s in stores))
    return recovery_economics(user, f)


def figures(rows: Any) -> dict[Any, tuple[int, Decimal]]:
    return {r.key: (r.n, r.yuan) for r in rows}


def test_cost_counts_approved_and_given_actions_only(world, manager, store_a, store_b):
    r = economics(manager, store_a, store_b)
    assert (r.total.n, r.total.yuan) == (6, Decimal("570.50"))


def test_pending_actions_are_shown_apart(world, manager, store_a, store_b):
    r = economics(manager, store_a, store_b)
    assert (r.pending.n, r.pending.yuan) == (1, Decimal("80"))


def test_cost_by_action_kind_most_costly_first(world, manager, store_a, store_b):
    r = economics(manager, store_a, store_b)
    assert [(x.key, x.n, x.yuan) for x in r.by_kind] == [
        ("refund", 2, Decimal("300")),
        ("repair", 1, Decimal("120")),
        ("discount", 2, Decimal("100")),
        ("gift", 1, Decimal("50.50")),
    ]


def test_cost_by_top_level_category(world, org, manager, store_a, store_b):
    r = economics(manager, store_a, store_b)
    assert figures(r.by_category) == {
        cat(org, "waiting_time").pk: (5, Decimal("370.50")),
        cat(org, "price_billing").pk: (1, Decimal("200")),
    }


def test_cost_by_store_and_by_month_in_shanghai_time(world, manager, store_a, store_b):
    r = economics(manager, store_a, store_b)
    assert figures(r.by_store) == {
        store_a.pk: (4, Decimal("410.50")),
        store_b.pk: (2, Decimal("160")),
    }
    assert figures(r.by_month) == {
        JAN: (0, Decimal("0")),
        FEB: (4, Decimal("310.50")),
        MAR: (2, Decimal("260")),
    }


def test_guarantee_payouts_by_store(world, manager, store_a, store_b):
    r = economics(manager, store_a, store_b)
    assert (r.guarantee_total.n, r.guarantee_total.yuan) == (2, Decimal("100"))
    assert figures(r.guarantees) == {store_a.pk: (1, Decimal("60")), store_b.pk: (1, Decimal("40"))}


def test_cost_per_complaint_is_cost_over_cases_received(world, manager, store_a, store_b):
    r = economics(manager, store_a, store_b)
    assert r.cases == 5
    assert r.cost_per_complaint == Decimal("114.10")


def test_the_page_shows_the_figures_in_chinese(client, world, manager):
    client.force_login(manager)
    response = client.get(reverse("analytics:recovery"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-CN"' in html
    assert 'data-chart="recovery-kinds"' in html
    assert "¥570.50" in html and "¥114.10" in html
    assert 'href="/analytics/recovery/"' in html


def test_the_page_renders_in_english(client, world, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("analytics:recovery"), PERIOD).content.decode()
    assert "Recovery cost" in html and "Guarantee payouts" in html
    assert "Waiting time" in html and "Refund" in html


def test_a_supervisor_sees_only_their_store(client, world, supervisor, store_a, store_b):
    client.force_login(supervisor)
    r = client.get(reverse("analytics:recovery"), {**PERIOD, "store": store_b.pk}).context["r"]
    assert {x.key for x in r.by_store} == {store_a.pk}
    assert (r.total.yuan, r.cases, r.cost_per_complaint) == (
        Decimal("410.50"),
        3,
        Decimal("136.83"),
    )


def test_the_store_filter_keeps_that_store(client, world, manager, store_b):
    client.force_login(manager)
    r = client.get(reverse("analytics:recovery"), {**PERIOD, "store": store_b.pk}).context["r"]
    assert (r.total.n, r.total.yuan, r.cases, r.pending.n) == (2, Decimal("160"), 2, 0)


def test_another_organisation_s_store_is_ignored(client, world, manager, other_org):
    client.force_login(manager)
    params = {**PERIOD, "store": other_org["store"].pk}
    r = client.get(reverse("analytics:recovery"), params).context["r"]
    assert r.total.yuan == Decimal("570.50") and r.guarantee_total.yuan == Decimal("100")


def test_the_other_organisation_sees_none_of_ours(client, world, other_org):
    client.force_login(other_org["user"])
    r = client.get(reverse("analytics:recovery"), PERIOD).context["r"]
    assert (r.total.n, r.total.yuan) == (2, Decimal("770"))
    assert (r.guarantee_total.n, r.guarantee_total.yuan) == (1, Decimal("70"))


def test_agents_are_refused(client, world, agent):
    client.force_login(agent)
    assert client.get(reverse("analytics:recovery")).status_code == 403
    url = reverse("analytics:recovery_export", args=["kinds", "csv"])
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("table", ["kinds", "categories", "stores", "months", "guarantees"])
def test_csv_export_has_a_bom_and_the_rows(client, world, manager, table):
    client.force_login(manager)
    response = client.get(reverse("analytics:recovery_export", args=[table, "csv"]), PERIOD)
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert len(list(csv.reader(io.StringIO(body[1:])))) > 1


def test_store_export_figures(client, world, manager, store_a, store_b):
    client.force_login(manager)
    url = reverse("analytics:recovery_export", args=["stores", "xlsx"])
    book = load_workbook(io.BytesIO(client.get(url, PERIOD).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1:] == [(store_a.name, 4, 410.5), (store_b.name, 2, 160)]


def test_unknown_export_is_404(client, world, manager):
    client.force_login(manager)
    assert client.get(reverse("analytics:recovery_export", args=["x", "csv"])).status_code == 404
    url = reverse("analytics:recovery_export", args=["kinds", "pdf"])
    assert client.get(url).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_data(
    client, world, org, manager, store_a, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(reverse("analytics:recovery"), PERIOD)  # warm up (session, caches)
    with django_assert_max_num_queries(25) as before:
        client.get(reverse("analytics:recovery"), PERIOD)
    more = CustomerFactory(store=store_a, phone="13600000001")
    for day, code in enumerate(("repair_rework", "price_high", "attitude_rude"), start=1):
        case = data.complaint(manager, more, cat(org, code), at(2026, 1, day, 9, 0))
        action(case, "loaner", "10", "approved", at(2026, 1, day, 10, 0))
        payout(case, "gift", "5", "given", at(2026, 1, day, 11, 0))
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("analytics:recovery"), PERIOD)
