"""Fixed-window rate limits kept in the database (core.RateHit), so every web process and
worker shares one count: no in-memory cache that each process would keep for itself.

`hit(key, limit=, window=)` counts one request of `key` in the current window with one
`UPDATE … SET count = count + 1 … RETURNING count` (PostgreSQL and SQLite ≥ 3.35), which
the database serialises per row; the first request of a window inserts the row, and a
concurrent first request that loses the race on the unique (key, window_start) retries the
UPDATE. A hit is counted even when it is refused, so hammering does not reopen the door.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.core.errors import DomainError
from manyi.core.models import RateHit

KEY_LENGTH = RateHit._meta.get_field("key").max_length or 120
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class RateLimited(DomainError):
    """Too many requests of one client (IP) or for one phone number; the API answers 429."""

    status_code = 429

    def __init__(self, message: str = "", *, retry_after: int | None = None) -> None:
        super().__init__(
            message or _("Too many requests. Please wait a while and try again."),
            code="rate_limited",
        )
        self.retry_after = retry_after

    def as_fields(self) -> dict[str, list[str]]:
        return {}


def window_start(now: dt.datetime, window: dt.timedelta) -> dt.datetime:
    """The start of the fixed window `now` falls in (windows are aligned on the Unix epoch)."""
    seconds = int(window.total_seconds())
    if seconds <= 0:
        raise ValueError("window must be at least one second")
    elapsed = int((now - _EPOCH).total_seconds())
    return _EPOCH + dt.timedelta(seconds=elapsed - elapsed % seconds)


def seconds_left(now: dt.datetime, window: dt.timedelta) -> int:
    """Seconds until the current window ends (for a Retry-After hint)."""
    end = window_start(now, window) + window
    return max(1, int((end - now).total_seconds()))


def _fit(key: str) -> str:
    """Keys longer than the column keep their start and a digest of the whole."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: KEY_LENGTH - 33]}#{digest}"


def count(key: str, *, window: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Hits of `key` in the current window so far (without counting one)."""
    start = window_start(now or timezone.now(), window)
    row = RateHit.objects.filter(key=_fit(key), window_start=start).values_list("count").first()
    return int(row[0]) if row else 0


def hit(key: str, *, limit: int, window: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Count one request of `key`; True while the window's count is at most `limit`."""
    key = _fit(key)
    start = window_start(now or timezone.now(), window)
    table = RateHit._meta.db_table
    sql = (
        f'UPDATE "{table}" SET "count" = "count" + 1 '  # noqa: S608 - table name from the model
        'WHERE "key" = %s AND "window_start" = %s RETURNING "count"'
    )
    params = [key, connection.ops.adapt_datetimefield_value(start)]
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None:
            return int(row[0]) <= limit
        try:
            with transaction.atomic():
                RateHit.objects.create(key=key, window_start=start, count=1)
            return limit >= 1
        except IntegrityError:
            pass  # another request inserted the window's row first: count on it
    raise RuntimeError("rate-limit counter could not be created")


def purge_old(before: dt.datetime) -> int:
    """Delete counters of windows that started before `before`; returns how many. Call it
    from a periodic job with `now - the longest window`."""
    deleted, _by_model = RateHit.objects.filter(window_start__lt=before).delete()
    return deleted


def client_ip(request: HttpRequest) -> str:
    """The client's IP address. REMOTE_ADDR, unless settings.MANYI_TRUST_X_FORWARDED_FOR is
    on: then the X-Forwarded-For entry that the outermost of our own proxies wrote.

    Every proxy *appends* the address it received the request from, so only the right end of
    the header is trustworthy; whatever is to the left of it the client may have sent itself.
    With MANYI_TRUSTED_PROXY_COUNT = N proxies in front of the application (default 1), the
    client is the N-th entry from the right (N = 1: the last entry, the one the nearest proxy
    added). A header with fewer than N entries did not pass through all of our proxies, so
    REMOTE_ADDR is used; no header at all also means REMOTE_ADDR. Something that is not an IP
    address counts as "unknown"."""
    raw = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "MANYI_TRUST_X_FORWARDED_FOR", False):
        hops = max(1, int(getattr(settings, "MANYI_TRUSTED_PROXY_COUNT", 1) or 1))
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = [e.strip() for e in forwarded.split(",")] if forwarded.strip() else []
        if len(entries) >= hops:
            raw = entries[-hops]
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return "unknown"


def ip_key(ip: str) -> str:
    """The rate-limit identity of an address: itself for IPv4, its /64 for IPv6 (one
    subscriber usually gets a whole /64, so single IPv6 addresses are free to change)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
