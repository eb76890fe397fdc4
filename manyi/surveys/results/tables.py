"""Breakdowns (per store, staff member and month) and answer distributions, with pandas
group-bys over the loaded frame: the Python loops here run over groups and options, never
over responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from manyi.metrics.scores import nps as nps_metric
from manyi.surveys.definition import Definition, Question, QuestionType, Role
from manyi.surveys.results.compute import Context, f
from manyi.surveys.results.figures import BreakdownRow, Distribution, DistributionRow
from manyi.surveys.results.pairs import points_frame

NO_STAFF = ""


def _scores(ctx: Context) -> pd.DataFrame:
    """Per response of the period shown: promoter / passive / detractor indicators (0/1,
    NaN without an NPS answer), the CSAT answer and top-2-box indicator, dissatisfied."""
    n = len(ctx.current)
    columns: dict[str, object] = {}
    nps_q = next((q for q in ctx.definition.with_role(Role.NPS) if q.numeric), None)
    if nps_q is not None:
        score = ctx.current[nps_q.key]
        answered = score.notna()
        columns["nps_n"] = answered.astype(np.int64)
        columns["promoters"] = (score >= 9).astype(np.int64)
        columns["detractors"] = (answered & (score <= 6)).astype(np.int64)
    csat_q = next(
        (q for q in ctx.definition.with_role(Role.CSAT) if q.type == QuestionType.SCALE), None
    )
    if csat_q is not None:
        value = ctx.current[csat_q.key]
        columns["csat"] = value
        columns["csat_n"] = value.notna().astype(np.int64)
        columns["csat_top"] = (value >= csat_q.scale_max - 1).astype(np.int64)
    frame = pd.DataFrame(columns, index=ctx.current.index)
    frame["responses"] = np.ones(n, dtype=np.int64)
    frame["dissatisfied"] = ctx.raw["_dissatisfied"].to_numpy(dtype=np.int64)
    return frame


def breakdown(
    ctx: Context,
    groups: pd.Series,
    label_of: Callable[[object], str],
    *,
    sort: str = "n",
) -> tuple[BreakdownRow, ...]:
    """n, NPS (adjusted Wald interval), CSAT mean and top-2 box, dissatisfied share per
    group. `groups` holds each response's group key (NA: its own group)."""
    if len(ctx.current) == 0:
        return ()
    scores = _scores(ctx)
    scores["_group"] = groups.astype(object).where(groups.notna(), NO_STAFF).to_numpy()
    sums = scores.groupby("_group", sort=False).sum(numeric_only=True)
    csat_means = scores.groupby("_group", sort=False)["csat"].mean() if "csat" in scores else None
    rows = []
    for key, row in sums.iterrows():
        n = int(row["responses"])
        nps_score = nps_low = nps_high = None
        nps_n = int(row.get("nps_n", 0))
        if nps_n:
            promoters, detractors = int(row["promoters"]), int(row["detractors"])
            result = nps_metric(promoters, nps_n - promoters - detractors, detractors)
            nps_score, nps_low, nps_high = result.score, result.low, result.high
        csat_n = int(row.get("csat_n", 0))
        rows.append(
            BreakdownRow(
                key=str(key),
                label=label_of(key),
                n=n,
                nps=nps_score,
                nps_low=nps_low,
                nps_high=nps_high,
                nps_n=nps_n,
                csat_mean=f(csat_means[key]) if csat_means is not None and csat_n else None,
                csat_top=100.0 * int(row["csat_top"]) / csat_n if csat_n else None,
                csat_n=csat_n,
                dissatisfied=100.0 * int(row["dissatisfied"]) / n if n else None,
                low_n=ctx.low(n),
            )
        )
    if sort == "key":
        rows.sort(key=lambda r: r.key)
    else:
        rows.sort(key=lambda r: (-r.n, r.label))
    return tuple(rows)


def month_label(key: object) -> str:
    value = int(str(key))
    return f"{value // 100:04d}-{value % 100:02d}"


def by_store(ctx: Context, names: Mapping[int, str]) -> tuple[BreakdownRow, ...]:
    return breakdown(ctx, ctx.raw["_store"], lambda k: names.get(int(str(k)), str(k)))


def by_staff(ctx: Context, names: Mapping[int, str]) -> tuple[BreakdownRow, ...]:
    def label(key: object) -> str:
        if key == NO_STAFF:
            return _("Not recorded")
        return names.get(int(str(key)), str(key))

    return breakdown(ctx, ctx.raw["_staff"], label)


def by_month(ctx: Context) -> tuple[BreakdownRow, ...]:
    rows = breakdown(ctx, ctx.raw["_month"], month_label, sort="key")
    return tuple(replace(r, key=month_label(r.key)) for r in rows)  # "YYYY-MM" keys


# --- distributions ----------------------------------------------------------------------------


def _rows(
    counts: pd.Series, options: list[tuple[str, str]], total: int
) -> tuple[DistributionRow, ...]:
    return tuple(
        DistributionRow(
            value=value,
            label=label,
            count=int(counts.get(value, 0)),
            percent=100.0 * int(counts.get(value, 0)) / total if total else None,
        )
        for value, label in options
    )


def distribution(ctx: Context, q: Question) -> Distribution | None:
    """How often each answer was given: per scale point (and "not applicable"), per option
    (multiple choice: share of the respondents who answered), mean points per option (points
    questions), the number of answers (free text)."""
    language = ctx.language
    if q.type == QuestionType.POINTS:
        points = points_frame(ctx.raw, q)
        answered = points.notna().any(axis=1)
        n = int(answered.sum())
        means = points[answered].fillna(0.0).mean() if n else None
        rows = tuple(
            DistributionRow(
                value=o.value,
                label=o.label(language),
                count=n,
                percent=f(means[f"{q.key}.{o.value}"]) if means is not None else None,
            )
            for o in q.options
        )
        return Distribution(q.key, q.text(language), q.type, n, None, rows, ctx.low(n))
    if q.key not in ctx.raw:
        return None
    column = ctx.raw[q.key]
    mean = None
    if q.type in (QuestionType.NPS, QuestionType.SCALE):
        values = ctx.current[q.key]
        answered = values.dropna()
        counts = answered.astype(np.int64).astype(str).value_counts()
        options = [(str(p), str(p)) for p in q.points]
        n = int(answered.size)
        rows = _rows(counts, options, n)
        na = int((column.astype(str) == "na").sum()) if q.allow_na else 0
        if na:
            rows += (DistributionRow("na", _("Not applicable"), na, None),)
        mean = f(answered.mean()) if n else None
    elif q.type == QuestionType.SINGLE:
        answered = column.dropna()
        n = int(answered.size)
        counts = answered.astype(str).value_counts()
        rows = _rows(counts, [(o.value, o.label(language)) for o in q.options], n)
        if q.numeric and n:
            mean = f(ctx.current[q.key].mean())
    elif q.type == QuestionType.MULTI:
        answered = column.dropna()
        # PostgreSQL extracts a multiple choice as its JSON text; the JSON path gives lists.
        answered = answered.map(lambda v: json.loads(v) if isinstance(v, str) else v)
        answered = answered[answered.map(bool)]
        n = int(answered.size)
        counts = answered.explode().astype(str).value_counts()
        rows = _rows(counts, [(o.value, o.label(language)) for o in q.options], n)
    elif q.type == QuestionType.TEXT:
        n = int(column.dropna().astype(str).str.strip().ne("").sum())
        rows = ()
    else:
        return None
    return Distribution(
        key=q.key,
        label=q.text(language),
        type=q.type,
        n=n,
        mean=mean,
        rows=rows,
        low_n=ctx.low(n),
    )


def distributions(ctx: Context, definition: Definition) -> tuple[Distribution, ...]:
    out = []
    for q in definition.questions:
        if q.role:
            continue
        d = distribution(ctx, q)
        if d is not None:
            out.append(d)
    return tuple(out)
