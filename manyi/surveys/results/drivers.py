"""Key drivers of the overall question: Johnson's relative weights with percentile bootstrap
intervals and the importance–performance quadrants, with manyi.metrics.drivers."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

from manyi.metrics.drivers import key_drivers
from manyi.surveys.definition import Role
from manyi.surveys.results.compute import Context, f, first
from manyi.surveys.results.figures import DriverRow, DriversFigure


def _driver_message(reason: str, n: int, p: int) -> str:
    if reason.startswith(f"{n} complete responses"):
        return _(
            "Too few complete answers (%(n)s) for %(p)s items: at least %(need)s are needed "
            "(answers missing any of the items are left out)."
        ) % {"n": n, "p": p, "need": p + 2}
    if reason.startswith("no variation"):
        return _("An item or the overall question has no variation among the complete answers.")
    return _(
        "The key drivers cannot be estimated: some items are (nearly) exact combinations of "
        "others. Technical detail: %(reason)s"
    ) % {"reason": reason}


def drivers_figure(
    ctx: Context, *, bootstrap: int, bootstrap_max_n: int | None = None
) -> DriversFigure | None:
    """Relative weights (Johnson 2000) of the driver and CSI-factor questions on the overall
    question, with percentile bootstrap intervals (`bootstrap` replicates, 0 for none), and
    the importance–performance quadrants (Martilla & James 1977).

    Each replicate costs a pass over the complete answers, so above `bootstrap_max_n` of them
    the intervals are left out (and said so in `note`): they shrink as 1/√n and are a fraction
    of a point there, while 200 passes over a million answers take some 15 s."""
    outcome = first(ctx.definition, Role.OVERALL)
    predictors = [q for q in ctx.definition.with_role(Role.DRIVER, Role.CSI_FACTOR) if q.numeric]
    if outcome is None or not predictors:
        return None
    keys = [q.key for q in predictors]
    note = ""
    if bootstrap and bootstrap_max_n is not None:
        complete = int(ctx.current[[outcome.key, *keys]].notna().all(axis=1).sum())
        if complete > bootstrap_max_n:
            bootstrap = 0
            note = _(
                "No bootstrap intervals above %(max)s complete answers: they would be a "
                "fraction of a point wide."
            ) % {"max": f"{bootstrap_max_n:,}"}
    try:
        result = key_drivers(ctx.current, outcome.key, keys, bootstrap=bootstrap, seed=0)
    except ValueError as e:  # pragma: no cover - the frame is numeric by construction
        return DriversFigure(
            outcome.key, ctx.label(outcome), "relative_weights", 0, len(ctx.current),
            None, None, None, bootstrap, 0, None, None, (), True, str(e),
        )  # fmt: skip
    table = result.table
    rows = tuple(
        DriverRow(
            key=q.key,
            label=ctx.label(q),
            r=f(table.at[q.key, "r"]),
            weight=f(table.at[q.key, "weight"]),
            percent=f(table.at[q.key, "percent"]),
            percent_low=f(table.at[q.key, "percent_low"]),
            percent_high=f(table.at[q.key, "percent_high"]),
            rank=None if pd.isna(table.at[q.key, "rank"]) else int(table.at[q.key, "rank"]),
            performance=f(table.at[q.key, "performance"]),
            quadrant=table.at[q.key, "quadrant"],
        )
        for q in predictors
    )
    message = _driver_message(result.reason, result.n, len(keys)) if result.reason else ""
    return DriversFigure(
        outcome_key=outcome.key,
        outcome_label=ctx.label(outcome),
        method=result.method,
        n=result.n,
        n_dropped=result.n_dropped,
        r2=f(result.r2),
        r2_low=f(result.r2_low),
        r2_high=f(result.r2_high),
        bootstrap=result.bootstrap,
        bootstrap_valid=result.bootstrap_valid,
        importance_split=f(result.importance_split),
        performance_split=f(result.performance_split),
        rows=rows,
        low_n=ctx.low(result.n),
        message=message,
        note=note,
    )
