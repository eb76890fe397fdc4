"""The headline figures of a survey (response rate, NPS, CSAT, CES), the CSI and recovery
fairness, with manyi.metrics; and what every figure module shares: the Context and the
conversion of answers to numbers.

Each function takes the numeric answers (one float column per numeric question, NaN for no
answer, "not applicable" or a value off the scale) of the period shown and, where a change is
reported, of the comparison period, and returns a figure of manyi.surveys.results.figures,
or None when the survey has no question with that role."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.utils.translation import gettext as _
from scipy import stats

from manyi.metrics.scores import (
    ces_from_scores,
    csat_from_scores,
    csi,
    nps_change,
    nps_from_scores,
    two_proportion_test,
    wilson_interval,
)
from manyi.surveys.definition import (
    Definition,
    Question,
    QuestionType,
    Role,
)
from manyi.surveys.results import labels
from manyi.surveys.results.figures import (
    Change,
    CsatFigure,
    CsiFactor,
    CsiFigure,
    FairnessFigure,
    MeanFigure,
    NpsFigure,
    RateFigure,
)

FloatArray = npt.NDArray[np.float64]
SIGNIFICANCE = 0.05


def f(value: Any) -> float | None:
    """A finite float, else None (NaN, infinity, None)."""
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


@dataclass
class Context:
    """What every figure needs: the definition, the numeric answers of both periods (rows
    are responses, columns question keys), the raw answers of the period shown (for Kano and
    SERVQUAL pairs), the survey's minimum n and the display language."""

    definition: Definition
    current: pd.DataFrame
    previous: pd.DataFrame | None
    raw: pd.DataFrame
    min_n: int
    language: str

    def low(self, n: int) -> bool:
        return n < self.min_n

    def values(self, key: str, previous: bool = False) -> FloatArray:
        """The answers to one numeric question, missing ones dropped."""
        frame = self.previous if previous else self.current
        if frame is None or key not in frame:
            return np.zeros(0)
        column: FloatArray = frame[key].to_numpy(dtype=np.float64)
        return column[~np.isnan(column)]

    def label(self, q: Question) -> str:
        return q.text(self.language)


def points_map(points: range | list[int]) -> dict[Any, float]:
    """Answer → number for whole-number answers, stored as numbers (SQLite: the JSON is parsed)
    or as text (PostgreSQL extracts them with ->>); anything else ("na", off the scale) maps to
    NaN. A dict lookup per value is several times faster than pd.to_numeric on text."""
    mapping: dict[Any, float] = {}
    for p in points:
        mapping[p] = float(p)
        mapping[str(p)] = float(p)
    return mapping


def numeric_answers(series: pd.Series, q: Question) -> pd.Series:
    """One question's answers as floats: scale and NPS points (off-scale and "na" → NaN),
    single choices by their options' scores."""
    if q.type in (QuestionType.NPS, QuestionType.SCALE):
        return series.map(points_map(q.points)).astype("float64")
    scores = {o.value: o.score for o in q.options if o.score is not None}
    return series.map(scores).astype("float64")


def numeric_frame(frame: pd.DataFrame, definition: Definition) -> pd.DataFrame:
    columns = {q.key: numeric_answers(frame[q.key], q) for q in definition.questions if q.numeric}
    return pd.DataFrame(columns, index=frame.index)


def first(definition: Definition, role: str, *, numeric: bool = True) -> Question | None:
    return next(
        (q for q in definition.with_role(role) if q.numeric or not numeric),
        None,
    )


def _p_significant(p: float | None) -> bool:
    return p is not None and p < SIGNIFICANCE


# --- response rate ----------------------------------------------------------------------------


def response_rate(
    completed: int,
    sent: int,
    *,
    min_n: int,
    previous: tuple[int, int] | None = None,
) -> RateFigure:
    """Completed / sent invitations with the Wilson interval; the change by the pooled
    two-proportion z test."""
    low, high = wilson_interval(completed, sent) if sent else (math.nan, math.nan)
    rate = 100.0 * completed / sent if sent else None
    change = None
    if previous is not None:
        p_completed, p_sent = previous
        before = 100.0 * p_completed / p_sent if p_sent else None
        _z, p = two_proportion_test(p_completed, p_sent, completed, sent)
        diff = rate - before if rate is not None and before is not None else None
        change = Change(before, p_sent, diff, f(p), _p_significant(f(p)), "two_proportion_z")
    return RateFigure(
        rate=rate,
        low=f(100.0 * low),
        high=f(100.0 * high),
        completed=completed,
        n=sent,
        low_n=sent < min_n,
        change=change,
    )


# --- NPS, CSAT, CES ------------------------------------------------------------------------------


def nps_figure(ctx: Context) -> NpsFigure | None:
    q = first(ctx.definition, Role.NPS)
    if q is None:
        return None
    result = nps_from_scores(ctx.values(q.key))
    change = None
    if ctx.previous is not None:
        before = nps_from_scores(ctx.values(q.key, previous=True))
        c = nps_change(before, result)
        change = Change(
            before.score,
            before.n,
            c.difference,
            c.p_value,
            _p_significant(c.p_value),
            "nps_z",
        )
    return NpsFigure(
        key=q.key,
        label=ctx.label(q),
        score=result.score,
        low=result.low,
        high=result.high,
        n=result.n,
        promoters=result.promoters,
        passives=result.passives,
        detractors=result.detractors,
        low_n=ctx.low(result.n),
        change=change,
    )


def _welch(now: FloatArray, before: FloatArray) -> Change:
    """Change of a mean, Welch's unequal-variance t test (two-sided)."""
    mean_before = float(before.mean()) if before.size else None
    diff = float(now.mean()) - mean_before if now.size and mean_before is not None else None
    p: float | None = None
    if now.size >= 2 and before.size >= 2:
        with np.errstate(all="ignore"):
            p = f(stats.ttest_ind(now, before, equal_var=False).pvalue)
    return Change(mean_before, int(before.size), diff, p, _p_significant(p), "welch_t")


def csat_figure(ctx: Context) -> CsatFigure | None:
    """Top-2 box of the CSAT question's scale (Wilson interval) and its mean."""
    q = first(ctx.definition, Role.CSAT)
    if q is None or q.type != QuestionType.SCALE:
        return None
    shift = q.scale_min - 1  # the metrics take 1..k answers
    scale = q.scale_max - shift
    now = ctx.values(q.key)
    result = csat_from_scores(now - shift, scale=scale)
    change = mean_change = None
    if ctx.previous is not None:
        before_values = ctx.values(q.key, previous=True)
        before = csat_from_scores(before_values - shift, scale=scale)
        _z, p = two_proportion_test(before.satisfied, before.n, result.satisfied, result.n)
        diff = (
            result.score - before.score
            if result.score is not None and before.score is not None
            else None
        )
        change = Change(
            before.score, before.n, diff, f(p), _p_significant(f(p)), "two_proportion_z"
        )
        mean_change = _welch(now, before_values)
    return CsatFigure(
        key=q.key,
        label=ctx.label(q),
        score=result.score,
        low=result.low,
        high=result.high,
        mean=result.mean + shift if result.mean is not None else None,
        n=result.n,
        satisfied=result.satisfied,
        scale_min=q.scale_min,
        scale_max=q.scale_max,
        low_n=ctx.low(result.n),
        change=change,
        mean_change=mean_change,
    )


def ces_figure(ctx: Context) -> MeanFigure | None:
    """Customer Effort Score: the mean with its t interval (higher = easier)."""
    q = first(ctx.definition, Role.CES)
    if q is None or q.type != QuestionType.SCALE:
        return None
    shift = q.scale_min - 1
    now = ctx.values(q.key)
    result = ces_from_scores(now - shift, scale=q.scale_max - shift)
    change = _welch(now, ctx.values(q.key, previous=True)) if ctx.previous is not None else None
    return MeanFigure(
        key=q.key,
        label=ctx.label(q),
        mean=result.mean + shift if result.mean is not None else None,
        low=result.low + shift if result.low is not None else None,
        high=result.high + shift if result.high is not None else None,
        n=result.n,
        scale_min=q.scale_min,
        scale_max=q.scale_max,
        low_n=ctx.low(result.n),
        change=change,
    )


def _mean_figure(ctx: Context, key: str, label: str, values: FloatArray, q: Question) -> MeanFigure:
    """Mean with a Student-t interval (clipped to the scale)."""
    n = int(values.size)
    mean = float(values.mean()) if n else None
    low = high = None
    if n >= 2 and mean is not None:
        sd = float(values.std(ddof=1))
        half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        low, high = max(q.points[0], mean - half), min(q.points[-1], mean + half)
    return MeanFigure(
        key=key,
        label=label,
        mean=mean,
        low=low,
        high=high,
        n=n,
        scale_min=q.points[0],
        scale_max=q.points[-1],
        low_n=ctx.low(n),
    )


# --- CSI ---------------------------------------------------------------------------------


def csi_figure(ctx: Context) -> CsiFigure | None:
    """The weighted CSI (0..1000): each factor's answers normalised to 0..1 on their
    question's scale ((x − min)/(max − min), averaged over the factor's questions), weighted
    by the factor's weight (every factor needs one, else the factors weigh the same).
    Factors nobody answered are left out (the weights of the others are renormalised)."""
    questions = [q for q in ctx.definition.with_role(Role.CSI_FACTOR) if q.numeric]
    if not questions:
        return None
    factors: dict[str, list[Question]] = {}
    for q in questions:
        factors.setdefault(q.factor or q.key, []).append(q)
    weights = {
        name: next((q.weight for q in qs if q.weight is not None), None)
        for name, qs in factors.items()
    }
    equal = any(w is None for w in weights.values()) or sum(w or 0 for w in weights.values()) <= 0
    weight_of = {name: 1.0 if equal else float(w or 0) for name, w in weights.items()}
    total = sum(weight_of.values())

    normalised: dict[str, float] = {}
    means: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for name, qs in factors.items():
        keys = [q.key for q in qs]
        counts[name] = int(ctx.current[keys].notna().any(axis=1).sum()) if len(ctx.current) else 0
        shares = []
        for q in qs:
            values = ctx.values(q.key)
            if values.size:
                lo, hi = q.points[0], q.points[-1]
                shares.append((float(values.mean()) - lo) / (hi - lo))
        if shares:
            normalised[name] = float(np.mean(shares))
            lo, hi = qs[0].points[0], qs[0].points[-1]
            means[name] = lo + normalised[name] * (hi - lo)
        else:
            means[name] = None
    message = ""
    result = None
    if normalised and sum(weight_of[k] for k in normalised) <= 0:
        message = _("Only factors with weight 0 have answers: there is no index.")
    elif normalised:
        result = csi(normalised, {k: weight_of[k] for k in normalised}, scale=(0.0, 1.0))
        missing = [k for k in factors if k not in normalised]
        if missing:
            message = _("Factors without answers are left out of the index: %(f)s.") % {
                "f": ", ".join(ctx.label(factors[k][0]) for k in missing)
            }
    else:
        message = _("No answers yet.")
    if equal and len(factors) > 1:
        note = _("Not every factor has a weight: the factors weigh the same.")
        message = f"{message} {note}".strip()
    rows = tuple(
        CsiFactor(
            factor=name,
            label=ctx.label(qs[0]),
            keys=tuple(q.key for q in qs),
            weight=100.0 * weight_of[name] / total if total else 0.0,
            mean=means[name],
            n=counts[name],
            factor_index=result.factor_index.get(name) if result else None,
            contribution=result.contributions.get(name) if result else None,
            low_n=ctx.low(counts[name]),
        )
        for name, qs in factors.items()
    )
    n = min((r.n for r in rows), default=0)
    return CsiFigure(
        index=result.index if result else None,
        n=n,
        low_n=ctx.low(n),
        factors=rows,
        message=message,
    )


# --- recovery fairness ---------------------------------------------------------------------------


def fairness_figure(ctx: Context) -> FairnessFigure | None:
    """Mean per fairness dimension (each respondent's mean over the dimension's items, then
    the mean over respondents), and the means of handling satisfaction (the overall
    question), intention to return and to recommend."""
    dimensions = []
    for role in Role.FAIRNESS:
        qs = [q for q in ctx.definition.with_role(role) if q.numeric]
        if not qs:
            continue
        per_respondent = ctx.current[[q.key for q in qs]].mean(axis=1, skipna=True)
        values = per_respondent.to_numpy(dtype=np.float64)
        values = values[~np.isnan(values)]
        dimensions.append(_mean_figure(ctx, role, str(labels.FAIRNESS[role]), values, qs[0]))
    if not dimensions:
        return None

    def single(role: str) -> MeanFigure | None:
        q = first(ctx.definition, role)
        if q is None:
            return None
        return _mean_figure(ctx, q.key, ctx.label(q), ctx.values(q.key), q)

    return FairnessFigure(
        dimensions=tuple(dimensions),
        handling=single(Role.OVERALL),
        return_intent=single(Role.RETURN_INTENT),
        recommend_intent=single(Role.RECOMMEND_INTENT),
    )
