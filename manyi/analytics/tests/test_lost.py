"""The lost customers page (/analytics/lost/): the Pareto of switching reasons, scoped to the
user's stores and organisation, with its exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import at
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}
URL = "/analytics/lost/"


def lost(store: Any, reason: str, when: Any, n: int = 1) -> None:
    for _ in range(n):
        CustomerFactory(store=store, lost_at=when, lost_reason=reason)


@pytest.fixture
def world(store_a, store_b, other_org):
    when = at(2026, 2, 10, 12, 0)
    lost(store_a, "pricing", when, 5)
    lost(store_a, "core_service_failure", when, 3)
    lost(store_a, "competition", when, 2)
    lost(store_a, "", when, 1)  # no reason recorded
    lost(store_b, "inconvenience", when, 4)
    lost(store_a, "pricing", at(2025, 12, 31, 23, 0), 7)  # before the period
    lost(store_a, "pricing", at(2026, 1, 1, 0, 30), 1)  # 1 January in Shanghai: in it
    lost(other_org["store"], "ethical_problems", when, 9)


def test_reasons_most_frequent_first_with_cumulative_share(client, world, manager, store_a):
    client.force_login(manager)
    response = client.get(URL, {**PERIOD, "store": store_a.pk})
    result = response.context["lost"]
    assert [(r.reason, r.count) for r in result.rows] == [
        ("pricing", 6),
        ("core_service_failure", 3),
        ("competition", 2),
    ]
    assert [r.cumulative for r in result.rows] == [54.5, 81.8, 100.0]
    assert result.total == 11 and result.without_reason == 1
    assert 'data-chart="lost-pareto"' in response.content.decode()


def test_all_stores_of_the_organisation_and_never_another_one(client, world, manager):
    client.force_login(manager)
    result = client.get(URL, PERIOD).context["lost"]
    counts = {r.reason: r.count for r in result.rows}
    assert counts == {"pricing": 6, "inconvenience": 4, "core_service_failure": 3, "competition": 2}


def test_another_organisation_s_store_in_the_filter_is_ignored(client, world, manager, other_org):
    client.force_login(manager)
    result = client.get(URL, {**PERIOD, "store": other_org["store"].pk}).context["lost"]
    assert "ethical_problems" not in {r.reason for r in result.rows}
    assert result.total == 15


def test_a_supervisor_sees_only_their_store(client, world, supervisor, store_b):
    client.force_login(supervisor)
    result = client.get(URL, {**PERIOD, "store": store_b.pk}).context["lost"]
    assert "inconvenience" not in {r.reason for r in result.rows}
    assert result.total == 11


def test_agents_are_refused(client, world, agent):
    client.force_login(agent)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("analytics:lost_export", args=["csv"])).status_code == 403


def test_the_page_renders_in_both_languages(client, world, manager):
    client.force_login(manager)
    html = client.get(URL, PERIOD).content.decode()
    assert 'lang="zh-CN"' in html
    client.cookies["django_language"] = "en"
    html = client.get(URL, PERIOD).content.decode()
    assert "Switching reason" in html and "Pricing" in html


def test_exports(client, world, manager, store_a):
    client.force_login(manager)
    params = {**PERIOD, "store": store_a.pk}
    body = client.get(reverse("analytics:lost_export", args=["csv"]), params).content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1][1:] == ["6", "54.5", "54.5"]
    xlsx = client.get(reverse("analytics:lost_export", args=["xlsx"]), params).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[-1][1:] == (2, 18.2, 100.0)
