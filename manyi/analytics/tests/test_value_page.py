"""The customer value page (/analytics/value/): the fit, totals and segments from the table,
the top customers with masked phones, exports, scoping, the refresh button (managers only,
synchronous for a small organisation, queued for a large one), the nightly schedule and the
command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conftest import at
from manyi.accounts.choices import Role
from manyi.analytics import value_tasks, views_value
from manyi.analytics.models import CustomerValue, ValueModelFit
from manyi.analytics.tests.data_value import population, purchases
from manyi.analytics.tests.test_churn import value
from manyi.core.tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = at(2026, 4, 15, 12, 0)


class FakeTask:
    backend = "default"

    def __init__(self, queued: list[int]) -> None:
        self.enqueue = queued.append


@pytest.fixture
def world(org, store_a, store_b, other_org):
    a1 = CustomerFactory(store=store_a, phone="13500000001", name="甲")
    a2 = CustomerFactory(store=store_a, phone="13500000002", name="乙")
    b1 = CustomerFactory(store=store_b, phone="13500000003", name="丙")
    value(a1, "100", p_alive=0.95, segment="champions", expected_value_12m=Decimal("300"))
    value(a2, "50", p_alive=0.35, segment="at risk", expected_value_12m=Decimal("100"))
    value(b1, "200", p_alive=0.05, segment="at risk", expected_value_12m=Decimal("20"))
    value(other_org["customer"], "7777", p_alive=0.5)
    ValueModelFit.objects.create(
        organisation=org,
        computed_at=NOW,
        customers=3,
        transactions=9,
        bgnbd={"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4},
        gamma_gamma={"p": 6.25, "q": 3.74, "v": 15.44},
        seconds=1.5,
    )
    return {"a1": a1, "a2": a2, "b1": b1}


def test_totals_segments_and_fit(client, world, manager):
    client.cookies["django_language"] = "en"
    client.force_login(manager)
    page = client.get(reverse("analytics:value")).content.decode()
    assert "on 3 customers and 9 transactions" in page
    assert "r = 0.2500" in page and "q = 3.7400" in page
    assert "¥420" in page  # expected value 300 + 100 + 20
    assert "¥350" in page  # value at risk 100 + 50 + 200
    # At risk: two customers, 66.7 %, ¥250 at risk, linked to the churn list.
    assert "?segment=at%20risk" in page and "¥250" in page and "66.7%" in page
    assert 'data-chart="value-p-alive"' in page
    assert "7777" not in page


def test_supervisor_sees_own_store_and_masked_phone(client, world, supervisor, store_a):
    viewer = UserFactory(
        store=store_a, role=Role.SUPERVISOR, username="nopii", view_personal_data=False
    )
    client.force_login(viewer)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("analytics:value")).content.decode()
    assert "135****0001" in page and "13500000001" not in page
    assert "丙" not in page and "¥150" in page  # value at risk of store A only
    client.force_login(supervisor)
    assert "13500000001" in client.get(reverse("analytics:value")).content.decode()


def test_agent_gets_403(client, world, agent):
    client.force_login(agent)
    assert client.get(reverse("analytics:value")).status_code == 403
    url = reverse("analytics:value_export", args=["segments", "csv"])
    assert client.get(url).status_code == 403


def test_exports(client, world, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    text = client.get(reverse("analytics:value_export", args=["segments", "csv"])).content
    table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert table[0][0] == "RFM segment"
    assert table[1][:3] == ["Champions", "1", "33.3"]
    assert table[2][:3] == ["At risk", "2", "66.7"] and Decimal(table[2][5]) == 250
    text = client.get(reverse("analytics:value_export", args=["customers", "csv"])).content
    table = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert [r[0] for r in table[1:]] == ["甲", "乙", "丙"]
    assert client.get(reverse("analytics:value_export", args=["other", "csv"])).status_code == 404


def test_refresh_is_for_managers_and_runs_at_once_when_small(
    client, org, store_a, manager, supervisor
):
    c = CustomerFactory(store=store_a, phone="13500000009")
    purchases(c, (dt.date(2025, 1, 1), "100"), (dt.date(2025, 6, 1), "100"))
    client.force_login(supervisor)
    assert client.post(reverse("analytics:value_refresh")).status_code == 403
    client.force_login(manager)
    assert client.get(reverse("analytics:value_refresh")).status_code == 405
    response = client.post(reverse("analytics:value_refresh"))
    assert response.status_code == 302
    assert CustomerValue.objects.filter(customer=c).exists()
    assert ValueModelFit.objects.get(organisation=org).customers == 1


def test_refresh_is_queued_when_large(client, org, store_a, manager, monkeypatch):
    c = CustomerFactory(store=store_a, phone="13500000009")
    purchases(c, (dt.date(2025, 1, 1), "100"), (dt.date(2025, 6, 1), "100"))
    monkeypatch.setattr(views_value, "SYNC_LIMIT", 1)
    queued: list[int] = []
    monkeypatch.setattr(value_tasks, "refresh_values_task", FakeTask(queued))
    client.force_login(manager)
    client.post(reverse("analytics:value_refresh"))
    assert queued == [org.pk]
    assert not CustomerValue.objects.exists()


def test_the_schedule_skips_fresh_fits(org, other_org, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(value_tasks, "refresh_values_task", FakeTask(queued))
    now = timezone.now()
    ValueModelFit.objects.create(
        organisation=org, computed_at=now - dt.timedelta(hours=19), customers=0, transactions=0
    )
    ValueModelFit.objects.create(
        organisation=other_org["org"],
        computed_at=now - dt.timedelta(hours=21),
        customers=0,
        transactions=0,
    )
    assert value_tasks.schedule_value_refresh(now) == [other_org["org"].pk]
    assert queued == [other_org["org"].pk]


def test_the_task_and_the_command_refresh(org, store_a):
    population(store_a, 55)
    result = value_tasks.refresh_values_task.call(org.pk)
    assert result["customers"] == 55
    out = StringIO()
    call_command("manyi_values", "refresh", "--org", org.name, stdout=out)
    assert "BG/NBD r" in out.getvalue() and "55" in out.getvalue()


def test_the_schedule_does_not_queue_an_organisation_twice(org, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    assert value_tasks.schedule_value_refresh(now) == [org.pk]
    assert value_tasks.schedule_value_refresh(now) == []
