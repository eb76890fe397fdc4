"""Precomputed analytics pages (snapshots): how the heavy pages answer fast on big data.

The three controls, the SLA and handling page and the return-after-complaint page read a year
of cases, clocks, audit events, answers, follow-ups and transactions: with a million cases
that takes seconds, however well indexed (every figure is one GROUP BY over hundreds of
thousands of rows). Their results change slowly, so the worker computes them ahead of time:

- `warm(organisation)` computes each page of `PAGES` with its **default filters** — every
  store of the organisation, and each store alone (what a supervisor sees, and a manager who
  picks one store) — in each language, and keeps the result in the "analytics" cache
  (settings.CACHES: a database table shared by every web process).
- The worker runs it every hour, with the early-warning sweep (manyi.analytics.tasks); each
  page is recomputed every `Page.every` (an hour; a day for return after complaints, whose
  cohorts' windows ended a year ago) and a snapshot older than `Page.max_age` (an hour
  more) is never served.
- A page asked for with exactly those filters is served from its snapshot and says so ("as
  of 10:00, computed in 3.2 s", with a link to compute it now); any other filters (a period,
  a staff member, a category) are computed live, as is every request with `live=1`.
- Nothing else writes the cache, so a request never has to wait for another's computation,
  and tests (which do not run the worker) always see live figures.

A snapshot holds a selector's result (plain dataclasses, pickled by Django's cache): it
depends only on the organisation, the filters (stores already scoped to the user) and the
language, never on who asked — no snapshot holds personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone, translation

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, User
from manyi.analytics.selectors import Filters

log = logging.getLogger(__name__)

CACHE = "analytics"
FIVE_MINUTES = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Snapshot:
    computed_at: dt.datetime
    seconds: float
    result: Any


@dataclass(frozen=True)
class Page:
    """A page that may be served from a snapshot: its result for a user and filters, and its
    default filters for a set of stores on a day."""

    compute: Callable[[User, Filters], Any]
    defaults: Callable[[tuple[int, ...], dt.date], Filters]
    # How often the worker recomputes it; a snapshot is served up to an hour longer.
    every: dt.timedelta = dt.timedelta(hours=1)

    @property
    def max_age(self) -> dt.timedelta:
        return self.every + dt.timedelta(hours=1)


def _default_filters(store_ids: tuple[int, ...], today: dt.date) -> Filters:
    from manyi.analytics.selectors import default_period

    start, end = default_period(today)
    return Filters(start=start, end=end, store_ids=store_ids)


def _controls(user: User, f: Filters) -> Any:
    from manyi.analytics.selectors import three_controls

    return three_controls(user, f)


def _recovery(user: User, f: Filters) -> Any:
    from manyi.analytics.selectors import recovery_economics

    return recovery_economics(user, f)


def _handling(user: User, f: Filters) -> Any:
    from manyi.analytics.handling import handling

    return handling(user, f)


def _returns(user: User, f: Filters) -> Any:
    from manyi.analytics.returns import returns

    return returns(user, f)


def _returns_defaults(store_ids: tuple[int, ...], today: dt.date) -> Filters:
    """The page's default period ends a year and a day ago: every window is over."""
    from manyi.analytics.returns import WINDOW_DAYS

    return _default_filters(store_ids, today - dt.timedelta(days=WINDOW_DAYS + 1))


PAGES: dict[str, Page] = {
    "controls": Page(compute=_controls, defaults=_default_filters),
    "handling": Page(compute=_handling, defaults=_default_filters),
    "recovery": Page(compute=_recovery, defaults=_default_filters),
    # Its cohorts' windows ended a year ago: once a day is fresh enough.
    "returns": Page(compute=_returns, defaults=_returns_defaults, every=dt.timedelta(days=1)),
}


def _key(page: str, organisation_id: int, f: Filters) -> str:
    parts = [
        page,
        str(organisation_id),
        translation.get_language() or "",
        f.start.isoformat(),
        f.end.isoformat(),
        ",".join(str(pk) for pk in sorted(f.store_ids)),
        str(f.staff_id or ""),
        str(f.team_id or ""),
        str(f.category_id or ""),
    ]
    return "snapshot:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def read(
    page: str, organisation_id: int, f: Filters, *, now: dt.datetime | None = None
) -> Snapshot | None:
    """The snapshot of the page for these filters in the current language, if fresh."""
    snapshot = caches[CACHE].get(_key(page, organisation_id, f))
    if not isinstance(snapshot, Snapshot):
        return None
    if (now or timezone.now()) - snapshot.computed_at > PAGES[page].max_age:
        return None
    return snapshot


def compute_and_keep(page: str, user: User, f: Filters) -> Snapshot:
    """Compute the page for `user` (whose organisation it is) and keep it."""
    assert user.organisation_id is not None
    started = time.perf_counter()
    result = PAGES[page].compute(user, f)
    snapshot = Snapshot(
        computed_at=timezone.now(),
        seconds=round(time.perf_counter() - started, 2),
        result=result,
    )
    timeout = int(PAGES[page].max_age.total_seconds()) + 600
    caches[CACHE].set(_key(page, user.organisation_id, f), snapshot, timeout)
    return snapshot


def served(page: str, user: User, f: Filters, *, live: bool = False) -> tuple[Any, Snapshot | None]:
    """The page's result: from its snapshot when there is a fresh one for exactly these
    filters (and `live` is not asked), else computed now (and not kept)."""
    assert user.organisation_id is not None
    if not live:
        snapshot = read(page, user.organisation_id, f)
        if snapshot is not None:
            return snapshot.result, snapshot
    return PAGES[page].compute(user, f), None


def _analyst(organisation: Organisation) -> User | None:
    """Someone who sees every store of the organisation: the snapshots are computed as them."""
    return (
        User.objects.filter(organisation=organisation, is_active=True, role=Role.ORG_ADMIN)
        .order_by("pk")
        .first()
    )


def warm(
    organisation: Organisation,
    *,
    today: dt.date | None = None,
    pages: list[str] | None = None,
    force: bool = True,
) -> dict[str, float]:
    """Compute every page's default views (all stores, each store alone) in every language;
    return the seconds spent per page. Without `force`, a page warmed less than its `every`
    ago (give or take five minutes) is left alone."""
    from manyi.analytics.selectors import store_choices

    user = _analyst(organisation)
    if user is None:
        return {}
    today = today or timezone.localdate()
    store_ids = tuple(pk for pk, _name in store_choices(user))
    variants = [store_ids] + [(pk,) for pk in store_ids] if len(store_ids) > 1 else [store_ids]
    spent: dict[str, float] = {}
    cache = caches[CACHE]
    for name in pages or list(PAGES):
        page = PAGES[name]
        warmed_key = f"snapshot-warmed:{name}:{organisation.pk}"
        last = cache.get(warmed_key)
        now = timezone.now()
        recent = isinstance(last, dt.datetime) and now - last < page.every - FIVE_MINUTES
        if recent and not force:
            continue
        cache.set(warmed_key, now, int(page.every.total_seconds()) * 2)
        started = time.perf_counter()
        for language, _label in settings.LANGUAGES:
            with translation.override(language):
                for ids in variants:
                    try:
                        compute_and_keep(name, user, page.defaults(ids, today))
                    except Exception:  # one page failing must not stop the others
                        log.exception("could not precompute %s for %s", name, organisation)
        spent[name] = round(time.perf_counter() - started, 2)
    return spent


def warm_all(*, today: dt.date | None = None) -> dict[str, dict[str, float]]:
    """The worker's hourly job: each organisation's pages that are due."""
    return {
        org.name: warm(org, today=today, force=False) for org in Organisation.objects.order_by("pk")
    }
