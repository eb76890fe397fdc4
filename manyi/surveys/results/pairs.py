"""Figures of answer pairs and points: SERVQUAL gaps (expectation and perception of each item,
weighted by the importance points) and Kano categories (functional and dysfunctional
answers), with manyi.metrics.servqual and manyi.metrics.kano."""

from __future__ import annotations

import numpy as np
import pandas as pd

from manyi.metrics.kano import ANSWERS as KANO_ANSWERS
from manyi.metrics.kano import kano_code_counts, kano_summary
from manyi.metrics.servqual import servqual
from manyi.surveys.definition import KANO_PARTS, SERVQUAL_PARTS, Question, QuestionType, Role
from manyi.surveys.results import labels
from manyi.surveys.results.compute import Context, FloatArray, f, points_map
from manyi.surveys.results.figures import (
    KanoRow,
    ServqualDimensionRow,
    ServqualFigure,
    ServqualItemRow,
)
from manyi.surveys.results.frame import part_columns


def _numbers(column: pd.Series, q: Question) -> FloatArray:
    """Answers on the question's scale as floats (NaN: missing or off the scale)."""
    mapping = points_map(range(q.scale_min, q.scale_max + 1))
    values: FloatArray = column.map(mapping).to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def points_frame(raw: pd.DataFrame, q: Question) -> pd.DataFrame:
    """A points question's answers: one float column per option ("<key>.<option>")."""
    mapping = points_map(range(0, q.total + 1))
    columns = part_columns(q, [o.value for o in q.options])
    return pd.DataFrame({c: raw[c].map(mapping).astype("float64") for c in columns})


def servqual_figure(ctx: Context) -> ServqualFigure | None:
    """Gap = perception − expectation per item (complete pairs only), per dimension (mean of
    its items) and overall, unweighted and weighted by the mean importance points of the
    respondents who split them (no weights when nobody did)."""
    questions = [
        q for q in ctx.definition.with_role(Role.SERVQUAL) if q.type == QuestionType.SERVQUAL
    ]
    if not questions:
        return None
    n_rows = len(ctx.raw)
    expectations = np.full((n_rows, len(questions)), np.nan)
    perceptions = np.full((n_rows, len(questions)), np.nan)
    for j, q in enumerate(questions):
        e_column, p_column = part_columns(q, SERVQUAL_PARTS)
        expectations[:, j] = _numbers(ctx.raw[e_column], q)
        perceptions[:, j] = _numbers(ctx.raw[p_column], q)
    dimension_of_item = [q.dimension or "other" for q in questions]
    dimensions = list(dict.fromkeys(dimension_of_item))
    weights, weights_n = _importance_points(ctx, dimensions)
    result = servqual(expectations, perceptions, dimension_of_item, weights)
    complete = ~np.isnan(perceptions - expectations)
    item_n = complete.sum(axis=0)
    items = tuple(
        ServqualItemRow(
            key=q.key,
            label=ctx.label(q),
            dimension=dimension_of_item[j],
            dimension_label=labels.servqual_dimension(dimension_of_item[j], ctx.language),
            expectation=f(result.item_expectations[j]),
            perception=f(result.item_perceptions[j]),
            gap=f(result.item_gaps[j]),
            n=int(item_n[j]),
            low_n=ctx.low(int(item_n[j])),
        )
        for j, q in enumerate(questions)
    )
    dims = []
    index = np.array([dimensions.index(d) for d in dimension_of_item])
    for k, d in enumerate(dimensions):
        n = int(complete[:, index == k].any(axis=1).sum())
        w = result.weights.get(d) if result.weights is not None else None
        dims.append(
            ServqualDimensionRow(
                dimension=d,
                label=labels.servqual_dimension(d, ctx.language),
                gap=f(result.dimension_gaps[d]),
                weight=100.0 * w if w is not None else None,
                n=n,
                low_n=ctx.low(n),
            )
        )
    n = int(result.n or 0)
    return ServqualFigure(
        items=items,
        dimensions=tuple(dims),
        overall_unweighted=f(result.overall_unweighted),
        overall_weighted=f(result.overall_weighted),
        weights_n=weights_n,
        n=n,
        low_n=ctx.low(n),
    )


def _importance_points(ctx: Context, dimensions: list[str]) -> tuple[dict[str, float] | None, int]:
    q = next(
        (
            q
            for q in ctx.definition.with_role(Role.SERVQUAL_WEIGHTS)
            if q.type == QuestionType.POINTS
        ),
        None,
    )
    options = [o.value for o in q.options] if q is not None else []
    if q is None or any(d not in options for d in dimensions):
        return None, 0
    points = points_frame(ctx.raw, q)
    answered = points.notna().any(axis=1)
    n = int(answered.sum())
    if n == 0:
        return None, 0
    means = points[answered].fillna(0.0).mean()
    weights = {d: float(means[f"{q.key}.{d}"]) for d in dimensions}
    if sum(weights.values()) <= 0:
        return None, n
    return weights, n


def kano_rows(ctx: Context) -> tuple[KanoRow, ...]:
    """Per feature: the categories of the answer pairs (evaluation table), the category,
    Better/Worse (Berger et al. 1993) and Fong's test, via manyi.metrics.kano."""
    rows = []
    for q in ctx.definition.with_role(Role.KANO):
        if q.type != QuestionType.KANO:
            continue
        f_column, d_column = part_columns(q, KANO_PARTS)
        functional = pd.Categorical(ctx.raw[f_column], categories=KANO_ANSWERS).codes
        dysfunctional = pd.Categorical(ctx.raw[d_column], categories=KANO_ANSWERS).codes
        both = (functional >= 0) & (dysfunctional >= 0)
        counts = kano_code_counts(
            functional[both].astype(np.int64), dysfunctional[both].astype(np.int64)
        )
        s = kano_summary(counts)
        rows.append(
            KanoRow(
                key=q.key,
                feature=q.feature or q.key,
                label=ctx.label(q),
                counts=dict(counts),
                n=s.n,
                category=s.category,
                better=f(s.better),
                worse=f(s.worse),
                total_strength=f(s.total_strength),
                category_strength=f(s.category_strength),
                fong_significant=s.fong_significant,
                low_n=ctx.low(s.n),
            )
        )
    return tuple(rows)
