"""RFM scores and segments: recency, frequency and monetary value as quantile scores 1..bins,
and a named segment per customer from the recency and frequency scores.

Scores (`rfm_scores`): rank-based quantiles with ties kept together. With n customers, a
customer's score on a measure where larger is better (frequency, monetary) is::

    score = 1 + ⌊bins · (number of customers with a strictly smaller value) / n⌋

and for recency (days since the last purchase; smaller is better) the count is of customers
with a strictly *larger* value. Without ties this is exactly ``pandas.qcut`` of the ranks into
``bins`` equal groups (the first n/bins customers score 1, …); with ties every tied customer
gets the score of the first of them (ranks by ``method="min"``), so identical customers never
land in different segments and a large tied block (e.g. 60 % one-time buyers) simply leaves
some scores unused instead of failing as ``qcut`` on raw values does ("bin edges must be
unique"). Scores are relative to the customers given: score one population at a time.

Segments (`segment_of`, the widely used 5 × 5 recency–frequency grid; R = recency score,
F = frequency score, both 1..5)::

    R \\ F  1               2                 3                 4          5
    5       new             potential loyal   potential loyal   champions  champions
    4       promising       potential loyal   potential loyal   loyal      loyal
    3       about to sleep  about to sleep    need attention    loyal      loyal
    2       hibernating     hibernating       at risk           at risk    can't lose
    1       lost            hibernating       at risk           at risk    can't lose

In words: *champions* bought recently and often; *loyal* customers buy often and not long ago;
*potential loyalists* are recent with average frequency; *new* customers bought very recently
but rarely (mostly once); *promising* ones recently and rarely; *need attention* are average
on both; *about to sleep* are fading occasional buyers; *at risk* bought often but not for a
long time; *can't lose* were among the most frequent and have not come back — the first to
call; *hibernating* bought rarely, long ago; *lost* are the lowest on both. Monetary value
does not change the segment; sort within a segment by the M score or by modelled value. With
``bins`` ≠ 5 the scores are mapped to the grid's quintiles by
``1 + ⌊(score − 1) · 5 / bins⌋``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ABOUT_TO_SLEEP",
    "AT_RISK",
    "CANT_LOSE",
    "CHAMPIONS",
    "HIBERNATING",
    "LOST",
    "LOYAL",
    "NEED_ATTENTION",
    "NEW",
    "POTENTIAL_LOYALISTS",
    "PROMISING",
    "SEGMENTS",
    "SEGMENT_GRID",
    "RfmResult",
    "quantile_scores",
    "rfm_scores",
    "rfm_segments",
    "segment_of",
]

CHAMPIONS = "champions"
LOYAL = "loyal"
POTENTIAL_LOYALISTS = "potential loyalists"
NEW = "new"
PROMISING = "promising"
NEED_ATTENTION = "need attention"
ABOUT_TO_SLEEP = "about to sleep"
AT_RISK = "at risk"
CANT_LOSE = "can't lose"
HIBERNATING = "hibernating"
LOST = "lost"

#: Segments from the most to the least valuable relationship (an order for legends).
SEGMENTS: tuple[str, ...] = (
    CHAMPIONS,
    LOYAL,
    POTENTIAL_LOYALISTS,
    NEW,
    PROMISING,
    NEED_ATTENTION,
    ABOUT_TO_SLEEP,
    CANT_LOSE,
    AT_RISK,
    HIBERNATING,
    LOST,
)

#: The rule table: SEGMENT_GRID[R − 1][F − 1] for recency score R and frequency score F (1..5).
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    (LOST, HIBERNATING, AT_RISK, AT_RISK, CANT_LOSE),  # R = 1
    (HIBERNATING, HIBERNATING, AT_RISK, AT_RISK, CANT_LOSE),  # R = 2
    (ABOUT_TO_SLEEP, ABOUT_TO_SLEEP, NEED_ATTENTION, LOYAL, LOYAL),  # R = 3
    (PROMISING, POTENTIAL_LOYALISTS, POTENTIAL_LOYALISTS, LOYAL, LOYAL),  # R = 4
    (NEW, POTENTIAL_LOYALISTS, POTENTIAL_LOYALISTS, CHAMPIONS, CHAMPIONS),  # R = 5
)

_GRID = np.array(SEGMENT_GRID, dtype=np.str_)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RfmResult:
    """RFM scores and segments, one entry per customer in input order (read-only arrays).

    Attributes:
        r: recency score 1..bins (bins = most recent).
        f: frequency score 1..bins (bins = most frequent).
        m: monetary score 1..bins (bins = highest value).
        segment: the segment name of each customer (see the module's grid).
        bins: number of quantile groups.
    """

    r: IntArray
    f: IntArray
    m: IntArray
    segment: npt.NDArray[np.str_]
    bins: int

    @property
    def code(self) -> npt.NDArray[np.str_]:
        """The conventional three-digit cell, e.g. "545" (R, F, M; only meaningful for bins ≤ 9)."""
        return np.char.add(
            np.char.add(self.r.astype(np.str_), self.f.astype(np.str_)), self.m.astype(np.str_)
        )


def _check_bins(bins: int) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or int(bins) < 2:
        raise ValueError(f"bins must be an integer of at least 2, got {bins!r}")
    return int(bins)


def _values(values: npt.ArrayLike, name: str, *, non_negative: bool) -> npt.NDArray[np.float64]:
    arr = np.asarray(values)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if non_negative and arr.size and arr.min() < 0:
        raise ValueError(f"{name} must not be negative, found {arr.min():g}")
    return arr


def quantile_scores(
    values: npt.ArrayLike, *, bins: int = 5, higher_is_better: bool = True
) -> IntArray:
    """Rank-based quantile scores 1..bins with ties kept together (see the module docstring).

    ``score = 1 + ⌊bins · below / n⌋`` where ``below`` counts the values strictly worse (smaller
    when ``higher_is_better``, larger otherwise). O(n log n): one sort and a binary search.
    """
    bins = _check_bins(bins)
    arr = _values(values, "values", non_negative=False)
    n = arr.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(arr)
    if higher_is_better:
        worse = np.searchsorted(ordered, arr, side="left")
    else:
        worse = n - np.searchsorted(ordered, arr, side="right")
    return np.asarray(1 + (bins * worse) // n, dtype=np.int64)


def segment_of(r: npt.ArrayLike, f: npt.ArrayLike, *, bins: int = 5) -> npt.NDArray[np.str_]:
    """Segment names for recency and frequency scores 1..bins (the module's 5 × 5 grid).

    Scores from ``bins`` ≠ 5 groups are first mapped to 1..5 by ``1 + ⌊(score − 1)·5/bins⌋``.
    """
    bins = _check_bins(bins)
    rs = np.asarray(r)
    fs = np.asarray(f)
    for name, arr in (("r", rs), ("f", fs)):
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{name} must be integer scores 1..{bins}, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 1 or arr.max() > bins):
            raise ValueError(f"{name} scores must lie in 1..{bins}")
    r5 = (rs.astype(np.int64) - 1) * 5 // bins
    f5 = (fs.astype(np.int64) - 1) * 5 // bins
    try:
        return np.asarray(_GRID[r5, f5])
    except IndexError as exc:
        raise ValueError(f"r and f do not broadcast: {exc}") from exc


def rfm_scores(
    recency_days: npt.ArrayLike,
    frequency: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    bins: int = 5,
) -> tuple[IntArray, IntArray, IntArray]:
    """The R, F and M quantile scores (1..bins) of each customer; see `rfm_segments`."""
    bins = _check_bins(bins)
    rec = _values(recency_days, "recency_days", non_negative=True)
    freq = _values(frequency, "frequency", non_negative=True)
    mon = _values(monetary, "monetary", non_negative=False)
    if not rec.size == freq.size == mon.size:
        raise ValueError(
            f"recency_days, frequency and monetary must have the same length, got {rec.size}, "
            f"{freq.size} and {mon.size}"
        )
    return (
        quantile_scores(rec, bins=bins, higher_is_better=False),
        quantile_scores(freq, bins=bins),
        quantile_scores(mon, bins=bins),
    )


def rfm_segments(
    recency_days: npt.ArrayLike,
    frequency: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    bins: int = 5,
) -> RfmResult:
    """RFM scores and segment of each customer (Hughes 1994; see the module docstring).

    Args:
        recency_days: days since the customer's last purchase (``days_since_last`` of
            `manyi.metrics.value.summary_from_transactions`), ≥ 0; fewer is better. Not the
            BG/NBD recency t_x, which grows with loyalty.
        frequency: number of purchases (or of repeat purchases: only the order matters), ≥ 0.
        monetary: total or mean spend, any finite number (only the order matters).
        bins: number of quantile groups (default 5, quintiles).

    Returns:
        RfmResult with integer scores r, f, m and the segment names, in input order.

    Raises:
        ValueError: lengths differ, non-numeric, NaN or infinite values, negative recency or
            frequency, bins < 2.

    Reference: Hughes, A. M. (1994). Strategic Database Marketing. Probus (RFM scoring in
    quintiles). The segment grid is the common recency–frequency map of marketing tools;
    it is a convention, not a statistical result.
    """
    r, f, m = rfm_scores(recency_days, frequency, monetary, bins=bins)
    segment = segment_of(r, f, bins=bins)
    for arr in (r, f, m, segment):
        arr.setflags(write=False)
    return RfmResult(r=r, f=f, m=m, segment=segment, bins=bins)
