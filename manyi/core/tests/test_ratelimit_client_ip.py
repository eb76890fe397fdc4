"""The client IP behind trusted proxies: proxies append to X-Forwarded-For, so only the entries
they wrote (from the right) count; what the client put on the left cannot move it into another
rate-limit bucket."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from manyi.core.ratelimit import client_ip


def request(forwarded: str | None, remote: str = "10.0.0.1"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.fixture
def behind_proxies(settings):
    settings.MANYI_TRUST_X_FORWARDED_FOR = True
    settings.MANYI_TRUSTED_PROXY_COUNT = 1
    return settings


def test_a_spoofed_first_entry_does_not_change_the_client_ip(behind_proxies):
    # The client sent "X-Forwarded-For: 1.2.3.4"; our nginx appended the address it saw.
    assert client_ip(request("1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(request("5.6.7.8, 1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(request("198.51.100.7")) == "198.51.100.7"


def test_with_two_proxies_the_second_entry_from_the_right_is_the_client(behind_proxies):
    behind_proxies.MANYI_TRUSTED_PROXY_COUNT = 2
    # client spoof, the client as the CDN saw it, the CDN as nginx saw it
    assert client_ip(request("1.2.3.4, 198.51.100.7, 203.0.113.50")) == "198.51.100.7"
    assert client_ip(request("198.51.100.7, 203.0.113.50")) == "198.51.100.7"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_remote_addr(behind_proxies):
    behind_proxies.MANYI_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("198.51.100.7")) == "10.0.0.1"
    assert client_ip(request(None)) == "10.0.0.1"
    assert client_ip(request("  ")) == "10.0.0.1"


def test_spaces_ipv6_and_garbage(behind_proxies):
    assert client_ip(request("1.2.3.4,2001:db8::1 ")) == "2001:db8::1"
    assert client_ip(request("1.2.3.4, nonsense")) == "unknown"
    assert client_ip(request("198.51.100.7, ")) == "unknown"  # an empty last entry


def test_the_header_is_ignored_unless_trusted(settings):
    settings.MANYI_TRUST_X_FORWARDED_FOR = False
    assert client_ip(request("1.2.3.4, 198.51.100.7")) == "10.0.0.1"
