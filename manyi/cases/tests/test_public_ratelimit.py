"""Rate limits in the database (manyi.core.ratelimit): fixed windows, shared by every process."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import RequestFactory

from conftest import at
from manyi.core import ratelimit
from manyi.core.models import RateHit

HOUR = dt.timedelta(hours=1)


@pytest.mark.django_db
def test_hits_are_allowed_up_to_the_limit_then_refused():
    now = at(2026, 3, 2, 9, 10)
    results = [ratelimit.hit("t:a", limit=3, window=HOUR, now=now) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert RateHit.objects.get(key="t:a").count == 5  # refused hits count too


@pytest.mark.django_db
def test_a_new_window_starts_from_zero():
    for _ in range(3):
        ratelimit.hit("t:b", limit=3, window=HOUR, now=at(2026, 3, 2, 9, 59))
    assert not ratelimit.hit("t:b", limit=3, window=HOUR, now=at(2026, 3, 2, 9, 59))
    assert ratelimit.hit("t:b", limit=3, window=HOUR, now=at(2026, 3, 2, 10, 0))
    assert RateHit.objects.filter(key="t:b").count() == 2


@pytest.mark.django_db
def test_keys_are_counted_apart():
    now = at(2026, 3, 2, 9, 0)
    assert ratelimit.hit("t:c", limit=1, window=HOUR, now=now)
    assert not ratelimit.hit("t:c", limit=1, window=HOUR, now=now)
    assert ratelimit.hit("t:d", limit=1, window=HOUR, now=now)
    assert ratelimit.count("t:c", window=HOUR, now=now) == 2
    assert ratelimit.count("t:e", window=HOUR, now=now) == 0


def test_windows_are_aligned_and_report_the_seconds_left():
    start = ratelimit.window_start(at(2026, 3, 2, 9, 42, 7), HOUR)
    assert start == at(2026, 3, 2, 9, 0)  # Shanghai is a whole number of hours from UTC
    assert ratelimit.seconds_left(at(2026, 3, 2, 9, 59, 30), HOUR) == 30
    with pytest.raises(ValueError):
        ratelimit.window_start(at(2026, 3, 2, 9, 0), dt.timedelta(0))


@pytest.mark.django_db
def test_long_keys_are_shortened_with_a_digest():
    long_a = "x" * 300 + "a"
    long_b = "x" * 300 + "b"
    now = at(2026, 3, 2, 9, 0)
    assert ratelimit.hit(long_a, limit=1, window=HOUR, now=now)
    assert ratelimit.hit(long_b, limit=1, window=HOUR, now=now)  # not the same counter
    assert all(len(k) <= 120 for k in RateHit.objects.values_list("key", flat=True))


@pytest.mark.django_db
def test_purge_old_deletes_only_old_windows():
    ratelimit.hit("t:old", limit=5, window=HOUR, now=at(2026, 3, 1, 9, 0))
    ratelimit.hit("t:new", limit=5, window=HOUR, now=at(2026, 3, 2, 9, 0))
    assert ratelimit.purge_old(at(2026, 3, 2, 0, 0)) == 1
    assert list(RateHit.objects.values_list("key", flat=True)) == ["t:new"]


def test_client_ip_ignores_x_forwarded_for_unless_trusted(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7"
    )
    settings.MANYI_TRUST_X_FORWARDED_FOR = False
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.MANYI_TRUST_X_FORWARDED_FOR = True
    settings.MANYI_TRUSTED_PROXY_COUNT = 1
    # The last entry is the one our proxy appended; the first is whatever the client sent.
    assert ratelimit.client_ip(request) == "198.51.100.7"
    settings.MANYI_TRUSTED_PROXY_COUNT = 2
    assert ratelimit.client_ip(request) == "203.0.113.9"
    settings.MANYI_TRUSTED_PROXY_COUNT = 1
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="nonsense")
    assert ratelimit.client_ip(garbage) == "unknown"


def test_ipv6_clients_are_limited_per_64_network():
    assert ratelimit.ip_key("2001:db8:1:2:aaaa::1") == ratelimit.ip_key("2001:db8:1:2:bbbb::9")
    assert ratelimit.ip_key("2001:db8:1:2::1") != ratelimit.ip_key("2001:db8:1:3::1")
    assert ratelimit.ip_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert ratelimit.ip_key("198.51.100.7") == "198.51.100.7"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_from_many_connections_are_all_counted():
    """Eight threads, each with its own connection, race on the first hit of a window and
    on the counter: exactly `limit` hits are allowed and none is lost."""
    now = at(2026, 3, 2, 9, 0)
    barrier = threading.Barrier(8)
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            mine = [ratelimit.hit("t:race", limit=20, window=HOUR, now=now) for _ in range(5)]
            with lock:
                allowed.extend(mine)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 40
    assert allowed.count(True) == 20
    assert RateHit.objects.get(key="t:race").count == 40
