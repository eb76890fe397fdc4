"""Precomputed analytics pages (manyi.analytics.snapshots): the worker's warming keeps each
heavy page's default views; a request with exactly those filters is served from them, any
other request is computed live; a stale snapshot is never served."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import caches
from django.utils import timezone, translation

from manyi.accounts.models import User
from manyi.analytics import snapshots
from manyi.analytics.selectors import Filters, default_period
from manyi.analytics.tests import data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    caches[snapshots.CACHE].clear()
    yield
    caches[snapshots.CACHE].clear()


@pytest.fixture
def world(store_a, store_b, admin_user, manager, supervisor, agent, customer, category):
    now = timezone.now()
    data.complaint(agent, customer, category, now - dt.timedelta(days=3))
    return now


def _get(client: Any, user: Any, url: str) -> Any:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def test_warming_keeps_every_default_view_in_every_language(org, world, store_a, store_b):
    spent = snapshots.warm(org)
    assert set(spent) == {"controls", "handling", "recovery", "returns"}
    start, end = default_period(timezone.localdate())
    for ids in [(store_a.pk, store_b.pk), (store_a.pk,), (store_b.pk,)]:
        f = Filters(start=start, end=end, store_ids=tuple(sorted(ids)))
        for language in ("zh-hans", "en"):
            with translation.override(language):
                assert snapshots.read("handling", org.pk, f) is not None
    other = Filters(start=start, end=end, store_ids=(store_a.pk,), staff_id=1)
    assert snapshots.read("handling", org.pk, other) is None


def test_the_default_page_is_served_from_the_snapshot_until_asked_live(
    client, org, world, manager, agent, customer, category
):
    snapshots.warm(org)
    # A case received after the warming: the snapshot does not count it, a live view does.
    data.complaint(agent, customer, category, timezone.now() - dt.timedelta(hours=1))
    served = _get(client, manager, "/analytics/handling/")
    assert b"data-snapshot=" in served.content
    assert served.context["h"].total.received == 1
    live = _get(client, manager, "/analytics/handling/?live=1")
    assert b"data-snapshot=" not in live.content
    assert live.context["h"].total.received == 2


def test_other_filters_are_computed_live(client, org, world, manager, agent):
    snapshots.warm(org)
    response = _get(client, manager, f"/analytics/handling/?staff={agent.pk}")
    assert b"data-snapshot=" not in response.content


def test_a_supervisor_gets_the_snapshot_of_their_own_store(
    client, org, world, supervisor, agent_b, customer_b, category
):
    data.complaint(agent_b, customer_b, category, timezone.now() - dt.timedelta(days=2))
    snapshots.warm(org)
    response = _get(client, supervisor, "/analytics/handling/")
    assert b"data-snapshot=" in response.content
    assert response.context["h"].total.received == 1  # store A's case only, not store B's


def test_a_stale_snapshot_is_never_served(client, org, world, manager):
    snapshots.warm(org)
    later = timezone.now() + snapshots.PAGES["handling"].max_age + dt.timedelta(minutes=1)
    start, end = default_period(timezone.localdate())
    ids = tuple(sorted(org.stores.values_list("pk", flat=True)))
    f = Filters(start=start, end=end, store_ids=ids)
    assert snapshots.read("handling", org.pk, f) is not None
    assert snapshots.read("handling", org.pk, f, now=later) is None


def test_the_returns_page_is_served_from_its_snapshot(client, org, world, manager):
    snapshots.warm(org, pages=["returns"])
    response = _get(client, manager, "/analytics/returns/")
    assert b"data-snapshot=" in response.content


def test_an_organisation_without_an_admin_is_not_warmed(other_org):
    org = other_org["org"]
    User.objects.filter(organisation=org).update(is_active=False)
    assert snapshots.warm(org) == {}


def test_the_hourly_job_recomputes_each_page_only_when_it_is_due(org, world):
    first = snapshots.warm_all()[org.name]
    assert set(first) == set(snapshots.PAGES)
    # An hour later: the hourly pages again, return after complaints (daily) not.
    key = f"snapshot-warmed:%s:{org.pk}"
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    for name in snapshots.PAGES:
        caches[snapshots.CACHE].set(key % name, an_hour_ago)
    again = snapshots.warm_all()[org.name]
    assert set(again) == {"controls", "handling", "recovery"}
    # Asked for now (a forced warm) every page is recomputed.
    assert set(snapshots.warm(org)) == set(snapshots.PAGES)


def test_the_recovery_page_is_served_from_its_snapshot(client, org, world, manager):
    snapshots.warm(org, pages=["recovery"])
    assert b"data-snapshot=" in _get(client, manager, "/analytics/recovery/").content
    assert b"data-snapshot=" not in _get(client, manager, "/analytics/recovery/?live=1").content
