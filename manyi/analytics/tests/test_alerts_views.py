"""The early-warning pages: the alert list by state with every series' state, an alert's
chart and cases, handling, the settings with their validation and false-alarm figures, the
chart export, and who may see and do what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from manyi.accounts.choices import Role
from manyi.analytics.alerts import sweep_alerts
from manyi.analytics.models import Alert, AlertSettings
from manyi.analytics.tests.data_alerts import NOW, weekly, weekly_settings
from manyi.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()  # the list page keeps the series' state in the cache
    yield
    cache.clear()


@pytest.fixture
def alert(org: Any, store_a: Any, agent: Any, customer: Any, category: Any) -> Alert:
    weekly_settings(org)
    weekly(agent, customer, category, [1, 2, 1, 2, 1, 2, 8, 1])
    sweep_alerts(now=NOW)
    return Alert.objects.get(category__isnull=True)


@pytest.fixture
def supervisor_b(store_b: Any) -> Any:
    return UserFactory(store=store_b, role=Role.SUPERVISOR, username="supervisor_b")


def en(client: Any, user: Any) -> Any:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_the_list_shows_open_alerts_and_the_series(client: Any, alert: Alert, manager: Any) -> None:
    html = en(client, manager).get(reverse("analytics:alerts")).content.decode()
    assert f'data-alert="{alert.pk}"' in html
    assert 'data-figure="alerts-open">2<' in html
    assert 'data-table="series"' in html
    closed = client.get(reverse("analytics:alerts"), {"state": "closed"}).content.decode()
    assert f'data-alert="{alert.pk}"' not in closed


def test_the_list_shows_the_state_of_every_series(
    client: Any, alert: Alert, manager: Any, monkeypatch: Any
) -> None:
    real = timezone.localdate

    def localdate(*args: Any, **kw: Any) -> Any:
        return real(*args, **kw) if args or kw else dt.date(2026, 4, 8)

    # On Wednesday 8 April the latest complete week is the spike's (30 March).
    monkeypatch.setattr(timezone, "localdate", localdate)
    response = en(client, manager).get(reverse("analytics:alerts"))
    rows = response.context["rows"]
    assert rows[0].out and rows[0].period == dt.date(2026, 3, 30)
    assert {(r.category_id, r.out) for r in rows} == {(None, True), (alert_category(alert), True)}
    assert rows[0].complaints == 8 and rows[0].rate == pytest.approx(8.0)
    assert "Out of control" in response.content.decode()
    # The second request reads the cached state: no query on cases or transactions.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("analytics:alerts"))
    assert not any("cases_case" in q["sql"] for q in queries.captured_queries)


def alert_category(alert: Alert) -> int | None:
    other = Alert.objects.exclude(pk=alert.pk).get()
    return other.category_id


def test_the_list_takes_a_constant_number_of_queries(
    client: Any, alert: Alert, manager: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("analytics:alerts")).status_code == 200


def test_the_detail_shows_the_figures_chart_and_cases(
    client: Any, alert: Alert, manager: Any
) -> None:
    response = en(client, manager).get(reverse("analytics:alert_detail", args=[alert.pk]))
    html = response.content.decode()
    assert 'data-chart="alert-chart"' in html and "alert-chart-data" in html
    assert "8.00" in html and "1.50" in html
    # The eight complaints of the week of 30 March, linked, and the drill-down to the list.
    assert len(response.context["cases"]) == 8
    assert "received_from=2026-03-30&amp;received_to=2026-04-05" in html
    assert "exclude_channel=survey" in html
    assert 'id="alert-handle-form"' in html


def test_a_manager_acknowledges_and_a_supervisor_may_not(
    client: Any, alert: Alert, manager: Any, supervisor: Any
) -> None:
    url = reverse("analytics:alert_handle", args=[alert.pk])
    client.force_login(supervisor)
    assert client.post(url, {"state": "acknowledged"}).status_code == 403
    page = client.get(reverse("analytics:alert_detail", args=[alert.pk])).content.decode()
    assert 'id="alert-handle-form"' not in page  # supervisors read alerts only
    client.force_login(manager)
    assert client.post(url, {"state": "acknowledged", "note": "查原因"}).status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.handled_by, alert.note) == ("acknowledged", manager, "查原因")


def test_agents_are_refused_everywhere(client: Any, alert: Alert, agent: Any) -> None:
    client.force_login(agent)
    for url in (
        reverse("analytics:alerts"),
        reverse("analytics:alert_detail", args=[alert.pk]),
        reverse("analytics:alert_settings"),
        reverse("analytics:alert_chart_export", args=[alert.pk, "csv"]),
    ):
        assert client.get(url).status_code == 403, url
    handle = reverse("analytics:alert_handle", args=[alert.pk])
    assert client.post(handle, {"state": "closed"}).status_code == 403


def test_a_supervisor_of_another_store_gets_404(
    client: Any, alert: Alert, supervisor_b: Any, supervisor: Any
) -> None:
    client.force_login(supervisor_b)
    for url in (
        reverse("analytics:alert_detail", args=[alert.pk]),
        reverse("analytics:alert_chart_export", args=[alert.pk, "xlsx"]),
    ):
        assert client.get(url).status_code == 404
    assert (
        f'data-alert="{alert.pk}"' not in client.get(reverse("analytics:alerts")).content.decode()
    )
    client.force_login(supervisor)  # store A's supervisor sees it
    assert f'data-alert="{alert.pk}"' in client.get(reverse("analytics:alerts")).content.decode()
    assert client.get(reverse("analytics:alert_detail", args=[alert.pk])).status_code == 200


def test_another_organisation_gets_404(client: Any, alert: Alert, other_org: Any) -> None:
    client.force_login(other_org["user"])
    assert client.get(reverse("analytics:alert_detail", args=[alert.pk])).status_code == 404
    assert (
        client.get(reverse("analytics:alert_chart_export", args=[alert.pk, "csv"])).status_code
        == 404
    )
    handle = reverse("analytics:alert_handle", args=[alert.pk])
    assert client.post(handle, {"state": "closed"}).status_code == 404
    assert (
        f'data-alert="{alert.pk}"' not in client.get(reverse("analytics:alerts")).content.decode()
    )
    alert.refresh_from_db()
    assert alert.state == "open"


def test_the_chart_exports_as_csv_and_xlsx(client: Any, alert: Alert, supervisor: Any) -> None:
    client.force_login(supervisor)
    body = client.get(reverse("analytics:alert_chart_export", args=[alert.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 8
    assert rows[7][:4] == ["2026-03-30", "8", "100.0", "8.0"]
    xlsx = client.get(reverse("analytics:alert_chart_export", args=[alert.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 9
    assert (
        client.get(reverse("analytics:alert_chart_export", args=[alert.pk, "pdf"])).status_code
        == 404
    )


def _settings_post(**changes: Any) -> dict[str, Any]:
    values = {
        "enabled": "on",
        "method": "ewma",
        "period": "week",
        "laney": "on",
        "sigma": "3",
        "ewma_lambda": "0.2",
        "ewma_l": "2.86",
        "cusum_k": "0.5",
        "cusum_h": "4.77",
        "baseline_periods": "26",
        "min_complaints": "3",
        "email": "on",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def test_an_admin_saves_the_settings(client: Any, org: Any, admin_user: Any) -> None:
    client.force_login(admin_user)
    url = reverse("analytics:alert_settings")
    assert client.post(url, _settings_post(cusum_h="5", laney=None)).status_code == 302
    s = AlertSettings.objects.get(organisation=org)
    assert (s.method, float(s.cusum_h), s.laney) == ("ewma", 5.0, False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ewma_lambda", "1.5"),
        ("ewma_lambda", "0"),
        ("cusum_h", "-1"),
        ("sigma", "0"),
        ("baseline_periods", "2"),
        ("cusum_k", "-0.5"),
    ],
)
def test_bad_settings_show_field_errors(
    client: Any, org: Any, admin_user: Any, field: str, value: str
) -> None:
    response = en(client, admin_user).post(
        reverse("analytics:alert_settings"), _settings_post(**{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}-errors"' in response.content.decode()
    assert not AlertSettings.objects.filter(organisation=org, method="ewma").exists()


def test_store_managers_read_the_settings_supervisors_not(
    client: Any, org: Any, manager: Any, supervisor: Any
) -> None:
    url = reverse("analytics:alert_settings")
    client.force_login(supervisor)
    assert client.get(url).status_code == 403
    en(client, manager)
    html = client.get(url).content.decode()
    assert "Read only" in html and 'data-table="arl"' in html
    assert client.post(url, _settings_post()).status_code == 403


def test_the_settings_explain_the_false_alarm_rate(
    client: Any, org: Any, store_a: Any, store_b: Any, admin_user: Any
) -> None:
    weekly_settings(org, sigma=3)
    response = en(client, admin_user).get(reverse("analytics:alert_settings"))
    t = response.context["t"]
    # Upper side of a 3σ chart: 1 / P(Z > 3) = 740.8 weeks per series; the default taxonomy
    # has 7 top-level categories → 8 series per store, 16 in two stores.
    assert t["arl0"] == pytest.approx(740.8, abs=0.1)
    assert t["series_per_store"] == t["categories"] + 1
    assert t["store_every"] == pytest.approx(740.8 / t["series_per_store"], abs=0.1)
    assert t["org_every"] == pytest.approx(740.8 / (2 * t["series_per_store"]), abs=0.1)
    html = response.content.decode()
    assert "sees a false alarm about every" in html
    assert f"every {round(740.8 / t['series_per_store'])} weeks" in html
