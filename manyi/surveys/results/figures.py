"""The figures of a survey's results page as plain, frozen dataclasses.

Every figure carries the number of answers it rests on (`n`) and `low_n` (n below the
survey's minimum, `Survey.min_n`): the page greys such a figure and warns. Numbers that
cannot be computed are None, never NaN, so the same objects serialise to JSON, CSV and XLSX.
Percent-type figures (NPS, CSAT, response rate, shares) are on their presentation scale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    """A change from the comparison period to the period shown.

    `difference` = value now − value then; `significant` only when p < 0.05."""

    previous: float | None
    previous_n: int
    difference: float | None
    p_value: float | None
    significant: bool
    test: str  # "nps_z" (Rocks 2016), "two_proportion_z", "welch_t"


@dataclass(frozen=True)
class RateFigure:
    """Invitations answered (`completed`) of those sent (`n`) in the period, in percent, with
    the Wilson interval."""

    rate: float | None
    low: float | None
    high: float | None
    completed: int
    n: int
    low_n: bool
    change: Change | None = None


@dataclass(frozen=True)
class NpsFigure:
    key: str
    label: str
    score: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    low_n: bool
    change: Change | None = None


@dataclass(frozen=True)
class CsatFigure:
    """Top-2-box percentage of a scale question (Wilson interval) and its mean."""

    key: str
    label: str
    score: float | None
    low: float | None
    high: float | None
    mean: float | None
    n: int
    satisfied: int
    scale_min: int
    scale_max: int
    low_n: bool
    change: Change | None = None
    mean_change: Change | None = None


@dataclass(frozen=True)
class MeanFigure:
    """The mean answer of a scale question (or a group of them) with its t interval."""

    key: str
    label: str
    mean: float | None
    low: float | None
    high: float | None
    n: int
    scale_min: int
    scale_max: int
    low_n: bool
    change: Change | None = None


@dataclass(frozen=True)
class CsiFactor:
    factor: str
    label: str
    keys: tuple[str, ...]
    weight: float  # percent of the index (normalised weights sum to 100)
    mean: float | None  # on the answer scale (of its first question)
    n: int
    factor_index: float | None  # the factor alone on 0..1000
    contribution: float | None  # its part of the index (contributions sum to the index)
    low_n: bool


@dataclass(frozen=True)
class CsiFigure:
    """The weighted CSI on 0..1000. `n` is the smallest factor's n (every factor rests on at
    least that many answers)."""

    index: float | None
    n: int
    low_n: bool
    factors: tuple[CsiFactor, ...]
    message: str = ""


@dataclass(frozen=True)
class ServqualItemRow:
    key: str
    label: str
    dimension: str
    dimension_label: str
    expectation: float | None
    perception: float | None
    gap: float | None
    n: int
    low_n: bool


@dataclass(frozen=True)
class ServqualDimensionRow:
    dimension: str
    label: str
    gap: float | None
    weight: float | None  # percent of the importance points, None without weights
    n: int
    low_n: bool


@dataclass(frozen=True)
class ServqualFigure:
    items: tuple[ServqualItemRow, ...]
    dimensions: tuple[ServqualDimensionRow, ...]
    overall_unweighted: float | None
    overall_weighted: float | None
    weights_n: int  # respondents who split the importance points
    n: int
    low_n: bool


@dataclass(frozen=True)
class KanoRow:
    key: str
    feature: str
    label: str
    counts: Mapping[str, int]
    n: int
    category: str | None
    better: float | None
    worse: float | None
    total_strength: float | None
    category_strength: float | None
    fong_significant: bool | None
    low_n: bool


@dataclass(frozen=True)
class FairnessFigure:
    dimensions: tuple[MeanFigure, ...]
    handling: MeanFigure | None
    return_intent: MeanFigure | None
    recommend_intent: MeanFigure | None


@dataclass(frozen=True)
class DriverRow:
    key: str
    label: str
    r: float | None
    weight: float | None
    percent: float | None
    percent_low: float | None
    percent_high: float | None
    rank: int | None
    performance: float | None
    quadrant: str | None


@dataclass(frozen=True)
class DriversFigure:
    """Key drivers of the `overall` question: Johnson's relative weights with percentile
    bootstrap intervals, and the importance–performance quadrants."""

    outcome_key: str
    outcome_label: str
    method: str
    n: int
    n_dropped: int
    r2: float | None
    r2_low: float | None
    r2_high: float | None
    bootstrap: int
    bootstrap_valid: int
    importance_split: float | None
    performance_split: float | None
    rows: tuple[DriverRow, ...]
    low_n: bool
    message: str = ""  # why the model could not be estimated
    note: str = ""  # e.g. why there are no intervals


@dataclass(frozen=True)
class BreakdownRow:
    key: str  # store id, staff id ("" when not recorded) or "YYYY-MM"
    label: str
    n: int
    nps: float | None
    nps_low: float | None
    nps_high: float | None
    nps_n: int
    csat_mean: float | None
    csat_top: float | None
    csat_n: int
    dissatisfied: float | None  # percent of the responses
    low_n: bool


@dataclass(frozen=True)
class DistributionRow:
    value: str
    label: str
    count: int
    percent: float | None


@dataclass(frozen=True)
class Distribution:
    key: str
    label: str
    type: str
    n: int
    mean: float | None
    rows: tuple[DistributionRow, ...]
    low_n: bool


@dataclass(frozen=True)
class SurveyResults:
    survey_id: int
    version: int | None  # the version filtered on; None: all versions
    start: dt.date | None
    end: dt.date | None
    compare_start: dt.date | None
    compare_end: dt.date | None
    min_n: int
    responses: int
    previous_responses: int | None
    response_rate: RateFigure
    nps: NpsFigure | None = None
    csat: CsatFigure | None = None
    ces: MeanFigure | None = None
    csi: CsiFigure | None = None
    servqual: ServqualFigure | None = None
    kano: tuple[KanoRow, ...] = ()
    fairness: FairnessFigure | None = None
    drivers: DriversFigure | None = None
    by_store: tuple[BreakdownRow, ...] = ()
    by_staff: tuple[BreakdownRow, ...] = ()
    by_month: tuple[BreakdownRow, ...] = ()
    distributions: tuple[Distribution, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def low_n(self) -> bool:
        return self.responses < self.min_n
