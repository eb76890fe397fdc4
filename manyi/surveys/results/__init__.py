"""Survey results (selectors; no writes): every figure of a survey's results page, computed
from one query of its submitted responses and one aggregate of its invitations, with the
pure metrics of manyi.metrics.

    results = survey_results(survey, user, ResultFilters(start=..., end=...))

Scoping: `surveys_for(user)` (another organisation's survey is a 404); responses and
invitations of store-bound roles are those of their own store. Every figure carries its n and
`low_n` (n < survey.min_n). Modules: `frame` (filters, periods, loading), `compute` (the
headline figures, CSI, fairness), `pairs` (SERVQUAL, Kano), `drivers` (key drivers), `tables`
(breakdowns, distributions), `figures` (the dataclasses), `charts` (the page's chart data),
`labels` (display names)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
from django.conf import settings
from django.utils import translation

from manyi.accounts.models import Store, User
from manyi.surveys.models import Survey
from manyi.surveys.results import compute, drivers, pairs, tables
from manyi.surveys.results.figures import SurveyResults
from manyi.surveys.results.frame import (
    ResultFilters,
    comparison_period,
    invitation_counts,
    load_responses,
    period_bounds,
    responses_for,
    surveys_for,
    versions_of,
)

__all__ = [
    "BOOTSTRAP_MAX_N",
    "DEFAULT_BOOTSTRAP",
    "ResultFilters",
    "SurveyResults",
    "responses_for",
    "survey_results",
    "surveys_for",
]

#: Bootstrap replicates of the key-driver intervals on a page (0: no intervals).
DEFAULT_BOOTSTRAP = 200
#: Above this many complete answers the key drivers have no bootstrap intervals (see
#: drivers.drivers_figure); None: always.
BOOTSTRAP_MAX_N = 100_000


@contextmanager
def _timed(sink: dict[str, float], name: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    sink[name] = sink.get(name, 0.0) + time.perf_counter() - t0


def survey_results(
    survey: Survey,
    user: User,
    filters: ResultFilters | None = None,
    *,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    bootstrap_max_n: int | None = BOOTSTRAP_MAX_N,
    language: str | None = None,
) -> SurveyResults:
    """All figures of `survey` for `user` under `filters`. Queries: the survey's versions,
    the responses, the invitation counts, the names of the stores and staff shown (5)."""
    filters = filters or ResultFilters()
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    timings: dict[str, float] = {}
    with _timed(timings, "load"):
        versions = versions_of(survey, filters.version)
        definition = versions.definition
        loaded = load_responses(survey, user, filters, definition, versions.version_id)
        counts = invitation_counts(survey, user, filters, versions.version_id)
    with _timed(timings, "prepare"):
        numeric = compute.numeric_frame(loaded.frame, definition)
        current = numeric[loaded.current].reset_index(drop=True)
        raw = loaded.frame[loaded.current].reset_index(drop=True)
        previous = None
        if loaded.previous is not None:
            previous = numeric[loaded.previous].reset_index(drop=True)
        ctx = compute.Context(
            definition=definition,
            current=current,
            previous=previous,
            raw=raw,
            min_n=survey.min_n,
            language=language,
        )
    with _timed(timings, "figures"):
        rate = compute.response_rate(
            counts.completed,
            counts.sent,
            min_n=survey.min_n,
            previous=(
                (counts.previous_completed or 0, counts.previous_sent or 0)
                if counts.previous_sent is not None
                else None
            ),
        )
        nps = compute.nps_figure(ctx)
        csat = compute.csat_figure(ctx)
        ces = compute.ces_figure(ctx)
        csi = compute.csi_figure(ctx)
        servqual = pairs.servqual_figure(ctx)
        kano = pairs.kano_rows(ctx)
        fairness = compute.fairness_figure(ctx)
    with _timed(timings, "drivers"):
        key_drivers = drivers.drivers_figure(
            ctx, bootstrap=bootstrap, bootstrap_max_n=bootstrap_max_n
        )
    with _timed(timings, "tables"):
        store_names, staff_names = _names(raw)
        by_store = tables.by_store(ctx, store_names)
        by_staff = tables.by_staff(ctx, staff_names)
        by_month = tables.by_month(ctx)
        distributions = tables.distributions(ctx, definition)
    start, end = period_bounds(filters)
    compare = comparison_period(filters)
    return SurveyResults(
        survey_id=survey.pk,
        version=filters.version,
        start=start,
        end=end,
        compare_start=compare[0] if compare else None,
        compare_end=compare[1] if compare else None,
        min_n=survey.min_n,
        responses=len(raw),
        previous_responses=int(loaded.previous.sum()) if loaded.previous is not None else None,
        response_rate=rate,
        nps=nps,
        csat=csat,
        ces=ces,
        csi=csi,
        servqual=servqual,
        kano=kano,
        fairness=fairness,
        drivers=key_drivers,
        by_store=by_store,
        by_staff=by_staff,
        by_month=by_month,
        distributions=distributions,
        timings=timings,
    )


def _names(raw: pd.DataFrame) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the stores and staff members in the frame (two small queries)."""
    store_ids = [int(x) for x in pd.unique(raw["_store"])]
    staff_ids = [int(x) for x in pd.unique(raw["_staff"].dropna())]
    stores = dict(Store.objects.filter(pk__in=store_ids).values_list("id", "name"))
    staff = {
        u.pk: str(u)
        for u in User.objects.filter(pk__in=staff_ids).only(
            "id", "username", "first_name", "last_name", "display_name"
        )
    }
    return stores, staff
