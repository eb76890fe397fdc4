"""The early-warning sweep: one alert per signal (a second sweep, and two at once on
PostgreSQL, add nothing), a continuing run updates its alert without a second email,
min_complaints, the emails go to the store's managers and the organisation admins only."""

from __future__ import annotations

import datetime as dt
import math
import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from conftest import at
from manyi.accounts.choices import Role
from manyi.analytics.alerts import handle_alert, sweep_alerts
from manyi.analytics.models import Alert
from manyi.analytics.tests import data
from manyi.analytics.tests.data_alerts import NOW, weekly, weekly_settings
from manyi.core.errors import DomainError
from manyi.core.tests.factories import UserFactory
from manyi.notifications.models import Notification
from manyi.notifications.services import deliver_pending

SPIKE = [1, 2, 1, 2, 1, 2, 8, 1]


@pytest.fixture
def spike(org: Any, store_a: Any, agent: Any, customer: Any, category: Any) -> Any:
    s = weekly_settings(org)
    weekly(agent, customer, category, SPIKE)
    return s


@pytest.mark.django_db
def test_a_spike_raises_one_alert_per_series_and_a_second_sweep_none(
    spike: Any, org: Any, store_a: Any, category: Any, other_org: Any
) -> None:
    first = sweep_alerts(now=NOW)
    # The store's series for all categories and for "waiting time" both spike in week 7.
    assert len(first["raised"]) == 2
    alert = Alert.objects.get(category__isnull=True)
    assert (alert.store_id, alert.signal_start, alert.last_period) == (
        store_a.pk,
        dt.date(2026, 3, 30),
        dt.date(2026, 3, 30),
    )
    assert (alert.complaints, alert.services, alert.points) == (8, 100, 1)
    assert alert.rate == pytest.approx(8.0)
    assert alert.centre == pytest.approx(1.5)
    assert alert.limit == pytest.approx(1.5 + 3 * math.sqrt(1.5))
    assert alert.chart["periods"][6] == "2026-03-30"
    waiting = Alert.objects.get(category__isnull=False)
    assert waiting.category_id == category.parent_id
    second = sweep_alerts(now=NOW)
    assert second["raised"] == [] and second["updated"] == []
    assert Alert.objects.count() == 2


@pytest.mark.django_db
def test_a_continuing_run_updates_its_alert_and_emails_nobody_again(
    spike: Any, agent: Any, customer: Any, category: Any, manager: Any
) -> None:
    sweep_alerts(now=NOW)
    emails = Notification.objects.count()
    assert emails > 0
    # Eight more complaints in the week of 6 April: the run goes on (9 over 100 services).
    for _ in range(8):
        data.complaint(agent, customer, category, at(2026, 4, 8, 10, 0))
    again = sweep_alerts(now=NOW)
    assert again["raised"] == [] and len(again["updated"]) == 2
    alert = Alert.objects.get(category__isnull=True)
    assert (alert.signal_start, alert.last_period, alert.points) == (
        dt.date(2026, 3, 30),
        dt.date(2026, 4, 6),
        2,
    )
    assert alert.complaints == 9
    assert Notification.objects.count() == emails
    # A week later the run is over; the next sweep neither adds nor changes anything.
    assert sweep_alerts(now=NOW)["updated"] == []


@pytest.mark.django_db
def test_points_under_min_complaints_never_alert(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any
) -> None:
    weekly_settings(org, min_complaints=9)
    weekly(agent, customer, category, SPIKE)
    assert sweep_alerts(now=NOW)["raised"] == []
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_disabled_early_warning_raises_nothing(spike: Any) -> None:
    spike.enabled = False
    spike.save()
    assert sweep_alerts(now=NOW)["organisations"] == 0
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_the_alert_is_emailed_to_the_store_managers_and_admins_only(
    spike: Any,
    store_a: Any,
    store_b: Any,
    manager: Any,
    admin_user: Any,
    supervisor: Any,
    agent: Any,
    other_org: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager_b = UserFactory(store=store_b, role=Role.STORE_MANAGER, username="manager_b")
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_alerts(now=NOW)
    assert result["emails"] == 4  # two alerts × (manager, admin)
    deliver_pending()
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == sorted([manager.email, manager.email, admin_user.email, admin_user.email])
    assert manager_b.email not in to and supervisor.email not in to
    alert = Alert.objects.get(category__isnull=True)
    body = next(m.body for m in mail.outbox if f"/analytics/alerts/{alert.pk}/" in m.body)
    assert "8" in body and "1.50" in body
    assert alert.notified_at is not None


@pytest.mark.django_db
def test_no_email_when_email_is_off(spike: Any, manager: Any) -> None:
    spike.email = False
    spike.save()
    assert sweep_alerts(now=NOW)["emails"] == 0
    assert Alert.objects.count() == 2 and not Notification.objects.exists()


@pytest.mark.django_db
def test_store_managers_and_admins_handle_alerts_supervisors_do_not(
    spike: Any, manager: Any, supervisor: Any, other_org: Any
) -> None:
    sweep_alerts(now=NOW)
    alert = Alert.objects.get(category__isnull=True)
    with pytest.raises(DomainError):
        handle_alert(alert=alert, by=supervisor, state="acknowledged", note="")
    with pytest.raises(DomainError):
        handle_alert(alert=alert, by=other_org["user"], state="closed", note="")
    with pytest.raises(DomainError):
        handle_alert(alert=alert, by=manager, state="bogus", note="")
    handle_alert(alert=alert, by=manager, state="acknowledged", note="看过了", now=NOW)
    alert.refresh_from_db()
    assert (alert.state, alert.handled_by, alert.handled_at, alert.note) == (
        "acknowledged",
        manager,
        NOW,
        "看过了",
    )


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_raise_one_alert_per_signal(
    org: Any, store_a: Any, agent: Any, customer: Any, category: Any, manager: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    weekly_settings(org)
    weekly(agent, customer, category, SPIKE)
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(sweep_alerts(now=NOW))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Alert.objects.count() == 2
    assert sum(len(r["raised"]) for r in results) == 2
    # One email per alert and recipient (the manager), however the two sweeps interleaved.
    assert Notification.objects.filter(recipient=manager).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "limit"),
    [
        # EWMA λ = 0.2 from Z₀ = 1.5: Z₇ = 2.833 over 1.5 + 2.86 √(0.06 (1 − 0.64⁷) / 0.36).
        ("ewma", 1.5 + 2.86 * math.sqrt(0.06 * (1 - 0.64**7) / 0.36)),
        # CUSUM k = 0.5: the baseline's z scores ±0.41 never accumulate; week 7's
        # z = 6.5 / √1.5 = 5.31 gives C⁺ = 4.81 > h = 4.77.
        ("cusum", 4.77),
    ],
)
def test_ewma_and_cusum_alerts_carry_their_own_limit(
    org: Any,
    store_a: Any,
    agent: Any,
    customer: Any,
    category: Any,
    manager: Any,
    method: str,
    limit: float,
) -> None:
    weekly_settings(org, method=method, ewma_l="2.86", cusum_h="4.77")
    weekly(agent, customer, category, SPIKE)
    sweep_alerts(now=NOW)
    alert = Alert.objects.get(category__isnull=True)
    assert (alert.method, alert.signal_start, alert.points) == (method, dt.date(2026, 3, 30), 1)
    assert alert.limit == pytest.approx(limit, rel=1e-4)
    assert alert.rate == pytest.approx(8.0)
    body = Notification.objects.filter(recipient=manager).get(dedupe_key=f"alert:{alert.pk}").body
    assert f"{limit:.2f}" in body
