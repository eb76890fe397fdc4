"""REST operation of survey results: every figure of the results page as JSON, with the
page's filters as query parameters. Another organisation's survey answers 404; store-bound
roles get the figures of their own store's responses only (manyi.surveys.results)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from manyi.core.api_support import Output, get_or_404, user_of
from manyi.core.errors import ValidationFailed
from manyi.surveys.results import DEFAULT_BOOTSTRAP, ResultFilters, survey_results, surveys_for
from manyi.surveys.results.frame import date_error

router = Router(tags=["surveys"])


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------


class ResultParams(Schema):
    store: int | None = Field(None, description="Only the responses of this store.")
    staff: int | None = Field(None, description="Only the responses of this staff member.")
    start: dt.date | None = Field(
        None, description="First day of the period, YYYY-MM-DD (Asia/Shanghai)."
    )
    end: dt.date | None = Field(
        None, description="Last day of the period, included; default today when start is given."
    )
    compare: Literal["previous", "none"] = Field(
        "previous",
        description="previous: compare with the period of the same length just before start "
        "(only with a start).",
    )
    version: int | None = Field(None, ge=1, description="Only the answers to this version.")
    bootstrap: int = Field(
        DEFAULT_BOOTSTRAP,
        ge=0,
        le=1000,
        description="Bootstrap replicates of the key-driver intervals (0: no intervals; none "
        "either above 100,000 complete answers).",
    )


class ChangeOut(Output):
    previous: float | None = Field(description="The figure in the comparison period.")
    previous_n: int
    difference: float | None = Field(description="Now − then.")
    p_value: float | None
    significant: bool = Field(description="p < 0.05.")
    test: str = Field(description="nps_z, two_proportion_z or welch_t.")


class RateOut(Output):
    rate: float | None = Field(description="Completed invitations / invitations sent, %.")
    low: float | None
    high: float | None
    completed: int
    n: int = Field(description="Invitations sent (not skipped) in the period.")
    low_n: bool
    change: ChangeOut | None


class NpsOut(Output):
    key: str
    label: str
    score: float | None = Field(description="−100..100.")
    low: float | None = Field(description="95% adjusted Wald interval (Rocks 2016).")
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    low_n: bool
    change: ChangeOut | None


class CsatOut(Output):
    key: str
    label: str
    score: float | None = Field(description="Top-2 box, %.")
    low: float | None = Field(description="95% Wilson interval.")
    high: float | None
    mean: float | None
    n: int
    satisfied: int
    scale_min: int
    scale_max: int
    low_n: bool
    change: ChangeOut | None
    mean_change: ChangeOut | None


class MeanOut(Output):
    key: str
    label: str
    mean: float | None
    low: float | None = Field(description="95% t interval.")
    high: float | None
    n: int
    scale_min: int
    scale_max: int
    low_n: bool
    change: ChangeOut | None


class CsiFactorOut(Output):
    factor: str
    label: str
    keys: list[str]
    weight: float = Field(description="Percent of the index.")
    mean: float | None
    n: int
    factor_index: float | None = Field(description="The factor alone, 0..1000.")
    contribution: float | None
    low_n: bool


class CsiOut(Output):
    index: float | None = Field(description="0..1000.")
    n: int = Field(description="The smallest factor's n.")
    low_n: bool
    factors: list[CsiFactorOut]
    message: str


class ServqualItemOut(Output):
    key: str
    label: str
    dimension: str
    dimension_label: str
    expectation: float | None
    perception: float | None
    gap: float | None
    n: int
    low_n: bool


class ServqualDimensionOut(Output):
    dimension: str
    label: str
    gap: float | None
    weight: float | None = Field(description="Percent of the importance points.")
    n: int
    low_n: bool


class ServqualOut(Output):
    items: list[ServqualItemOut]
    dimensions: list[ServqualDimensionOut]
    overall_unweighted: float | None
    overall_weighted: float | None
    weights_n: int
    n: int
    low_n: bool


class KanoOut(Output):
    key: str
    feature: str
    label: str
    counts: dict[str, int] = Field(description="Answers per category A, O, M, I, R, Q.")
    n: int
    category: str | None
    better: float | None
    worse: float | None
    total_strength: float | None
    category_strength: float | None
    fong_significant: bool | None
    low_n: bool


class FairnessOut(Output):
    dimensions: list[MeanOut]
    handling: MeanOut | None
    return_intent: MeanOut | None
    recommend_intent: MeanOut | None


class DriverRowOut(Output):
    key: str
    label: str
    r: float | None
    weight: float | None
    percent: float | None = Field(description="Share of R², %.")
    percent_low: float | None
    percent_high: float | None
    rank: int | None
    performance: float | None = Field(description="Mean answer.")
    quadrant: str | None


class DriversOut(Output):
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
    rows: list[DriverRowOut]
    low_n: bool
    message: str = Field(description="Why the model could not be estimated (empty: it was).")
    note: str = Field(description="E.g. why there are no bootstrap intervals.")


class BreakdownRowOut(Output):
    key: str = Field(description="Store id, staff id (empty: not recorded) or YYYY-MM.")
    label: str
    n: int
    nps: float | None
    nps_low: float | None
    nps_high: float | None
    nps_n: int
    csat_mean: float | None
    csat_top: float | None
    csat_n: int
    dissatisfied: float | None = Field(description="Percent of the responses.")
    low_n: bool


class DistributionRowOut(Output):
    value: str
    label: str
    count: int
    percent: float | None


class DistributionOut(Output):
    key: str
    label: str
    type: str
    n: int
    mean: float | None
    rows: list[DistributionRowOut]
    low_n: bool


class ResultsOut(Output):
    survey_id: int
    version: int | None
    start: dt.date | None
    end: dt.date | None
    compare_start: dt.date | None
    compare_end: dt.date | None
    min_n: int = Field(description="A figure with fewer answers is flagged low_n.")
    responses: int
    previous_responses: int | None
    response_rate: RateOut
    nps: NpsOut | None
    csat: CsatOut | None
    ces: MeanOut | None
    csi: CsiOut | None
    servqual: ServqualOut | None
    kano: list[KanoOut]
    fairness: FairnessOut | None
    drivers: DriversOut | None
    by_store: list[BreakdownRowOut]
    by_staff: list[BreakdownRowOut]
    by_month: list[BreakdownRowOut]
    distributions: list[DistributionOut]


# --------------------------------------------------------------------------------------
# Operation
# --------------------------------------------------------------------------------------


@router.get("/surveys/{survey_id}/results", response=ResultsOut, summary="A survey's results")
def results(request: HttpRequest, survey_id: int, params: Query[ResultParams]) -> dict[str, Any]:
    """Response rate, NPS, CSAT, CES, CSI, SERVQUAL gaps, Kano, recovery fairness, key
    drivers, breakdowns per store, staff member and month, and the distribution of the
    answers to the questions without a role — each figure with its n and `low_n` (n below
    the survey's minimum). A change is significant only when p < 0.05."""
    user = user_of(request)
    survey = get_or_404(surveys_for(user), survey_id)
    errors = {
        name: [error] for name in ("start", "end") if (error := date_error(getattr(params, name)))
    }
    if errors:
        raise ValidationFailed(errors)
    if params.start and params.end and params.end < params.start:
        raise ValidationFailed({"end": [_("The end comes before the start.")]})
    filters = ResultFilters(
        store_id=params.store,
        staff_id=params.staff,
        start=params.start,
        end=params.end,
        version=params.version,
        compare=params.compare == "previous",
    )
    res = survey_results(survey, user, filters, bootstrap=params.bootstrap)
    data = asdict(res)
    data.pop("timings", None)
    return data
