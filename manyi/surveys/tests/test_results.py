"""The results selectors (manyi.surveys.results): each figure against small examples worked by
hand, the low-n flag, significance only when significant, periods in Shanghai time, versions
and the scoping of store-bound roles."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from conftest import at
from manyi.metrics.drivers import CONCENTRATE_HERE, KEEP_UP
from manyi.surveys import services
from manyi.surveys.choices import InvitationState
from manyi.surveys.models import Invitation, Response, Survey
from manyi.surveys.results import ResultFilters, survey_results

pytestmark = pytest.mark.django_db

WHEN = at(2026, 3, 10, 12, 0)
Z95 = 1.959963984540054


def make_survey(admin: Any, questions: list[dict[str, Any]], *, min_n: int = 30) -> Survey:
    survey = services.create_survey(actor=admin, name_zh="测试问卷", name_en="Test survey")
    services.save_draft(actor=admin, survey=survey, definition={"questions": questions})
    services.publish_survey(actor=admin, survey=survey)
    survey.refresh_from_db()
    if min_n != 30:
        survey.min_n = min_n
        survey.save(update_fields=["min_n"])
    return survey


def respond(
    survey: Survey,
    store: Any,
    answers: dict[str, Any],
    *,
    when: dt.datetime = WHEN,
    staff: Any = None,
    dissatisfied: bool = False,
    customer: Any = None,
) -> Response:
    return Response.objects.create(
        organisation_id=survey.organisation_id,
        survey=survey,
        survey_version_id=survey.current_version_id,
        store=store,
        staff=staff,
        customer=customer,
        mode="online",
        answers=answers,
        dissatisfied=dissatisfied,
        started_at=when,
        updated_at=when,
        submitted_at=when,
    )


def scale(key: str, role: str = "", lo: int = 1, hi: int = 5, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "type": "scale",
        "text_zh": f"问题 {key}",
        "text_en": f"Question {key}",
        "scale_min": lo,
        "scale_max": hi,
        "role": role,
        **extra,
    }


NPS_Q = {"key": "nps", "type": "nps", "text_zh": "推荐", "text_en": "Recommend", "role": "nps"}


@pytest.fixture
def nps_survey(admin_user: Any) -> Survey:
    return services.install_template(actor=admin_user, template_key="nps")


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 / denom * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


# --- NPS -----------------------------------------------------------------------------------------


def test_nps_of_ten_answers_with_the_adjusted_wald_interval(admin_user, store_a, nps_survey):
    for score in [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]:
        respond(nps_survey, store_a, {"nps": score})
    r = survey_results(nps_survey, admin_user, bootstrap=0)
    assert r.responses == 10
    x = r.nps
    assert x is not None
    # 5 promoters, 2 passives, 3 detractors: 100 · (5 − 3) / 10.
    assert (x.promoters, x.passives, x.detractors, x.n) == (5, 2, 3, 10)
    assert x.score == pytest.approx(20.0)
    # Adjusted Wald (Rocks 2016): add ¾ promoter, 1½ passive, ¾ detractor.
    pp, pd = 5.75 / 13, 3.75 / 13
    half = Z95 * math.sqrt((pp + pd - (pp - pd) ** 2) / 13)
    assert x.low == pytest.approx(100 * (pp - pd - half))
    assert x.high == pytest.approx(100 * (pp - pd + half))
    assert x.low_n is True  # 10 < 30


def test_low_n_follows_the_surveys_minimum(admin_user, store_a, nps_survey):
    nps_survey.min_n = 5
    nps_survey.save(update_fields=["min_n"])
    for score in [9, 9, 9, 9, 9]:
        respond(nps_survey, store_a, {"nps": score})
    r = survey_results(nps_survey, admin_user, bootstrap=0)
    assert r.nps is not None and r.nps.n == 5 and r.nps.low_n is False
    assert r.low_n is False
    respond(nps_survey, store_a, {"nps": 9}, when=WHEN - dt.timedelta(days=40))
    recent = survey_results(
        nps_survey, admin_user, ResultFilters(start=dt.date(2026, 3, 1)), bootstrap=0
    )
    assert recent.nps is not None and recent.nps.n == 5


def test_an_nps_change_is_significant_only_when_p_is_below_five_percent(
    admin_user, store_a, nps_survey
):
    before = WHEN - dt.timedelta(days=31)
    for i in range(40):
        respond(nps_survey, store_a, {"nps": 2 if i % 2 else 9}, when=before)  # NPS 0
        respond(nps_survey, store_a, {"nps": 10 if i % 4 else 3})  # NPS 50
    march = ResultFilters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    r = survey_results(nps_survey, admin_user, march, bootstrap=0)
    assert (r.compare_start, r.compare_end) == (dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    assert r.previous_responses == 40
    change = r.nps.change
    assert change.previous == pytest.approx(0.0) and change.previous_n == 40
    assert change.difference == pytest.approx(50.0)
    # Rocks 2016: Var = [pP + pD − (pP − pD)²]/n per sample.
    se = math.sqrt((0.5 + 0.5 - 0) / 40 + (0.75 + 0.25 - 0.25) / 40)
    p = math.erfc(0.5 / se / math.sqrt(2))
    assert change.p_value == pytest.approx(p)
    assert p < 0.05 and change.significant is True


def test_a_small_change_is_not_marked_significant(admin_user, store_a, nps_survey):
    for i in range(20):
        respond(nps_survey, store_a, {"nps": 9 if i % 2 else 5}, when=WHEN - dt.timedelta(days=31))
        respond(nps_survey, store_a, {"nps": 9 if i % 3 else 5})
    march = ResultFilters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    change = survey_results(nps_survey, admin_user, march, bootstrap=0).nps.change
    assert change.difference == pytest.approx(30.0)  # 13 − 7 of 20 now, 10 − 10 before
    assert change.p_value is not None and change.p_value > 0.05
    assert change.significant is False


def test_no_comparison_without_a_period_or_when_switched_off(admin_user, store_a, nps_survey):
    respond(nps_survey, store_a, {"nps": 9})
    assert survey_results(nps_survey, admin_user, bootstrap=0).nps.change is None
    off = ResultFilters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), compare=False)
    r = survey_results(nps_survey, admin_user, off, bootstrap=0)
    assert r.nps.change is None and r.compare_start is None


# --- CSAT, CES and the response rate -------------------------------------------------------


def test_csat_top_two_box_with_wilson_interval_mean_and_ces(admin_user, store_a):
    survey = services.install_template(actor=admin_user, template_key="csat_ces")
    for csat, ces in [(5, 7), (5, 6), (4, 5), (4, 5), (3, 3), (2, None), (1, None), (5, None)]:
        respond(survey, store_a, {"csat": csat, **({"ces": ces} if ces else {})})
    r = survey_results(survey, admin_user, bootstrap=0)
    c = r.csat
    assert (c.n, c.satisfied) == (8, 5)
    assert c.score == pytest.approx(62.5)
    assert (c.low, c.high) == pytest.approx(wilson(5, 8))
    assert c.mean == pytest.approx(29 / 8)
    e = r.ces
    assert e.n == 5 and e.mean == pytest.approx(5.2)
    assert (e.scale_min, e.scale_max) == (1, 7)
    values = np.array([7, 6, 5, 5, 3])
    half = 2.7764451051977987 * values.std(ddof=1) / math.sqrt(5)  # t(0.975, 4)
    assert e.low == pytest.approx(5.2 - half)
    assert e.high == pytest.approx(min(7.0, 5.2 + half))


def test_csat_change_uses_the_two_proportion_test(admin_user, store_a):
    survey = services.install_template(actor=admin_user, template_key="csat_ces")
    for i in range(50):
        respond(survey, store_a, {"csat": 5 if i < 10 else 2}, when=WHEN - dt.timedelta(days=31))
        respond(survey, store_a, {"csat": 5 if i < 40 else 2})
    march = ResultFilters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    change = survey_results(survey, admin_user, march, bootstrap=0).csat.change
    assert change.test == "two_proportion_z"
    assert change.previous == pytest.approx(20.0) and change.difference == pytest.approx(60.0)
    pooled = 50 / 100
    z = 0.6 / math.sqrt(pooled * (1 - pooled) * (2 / 50))
    assert change.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert change.significant is True


def test_response_rate_counts_completed_of_sent_invitations_in_the_period(
    admin_user, store_a, nps_survey
):
    states = [InvitationState.COMPLETED, InvitationState.SENT, InvitationState.OPENED]
    states += [InvitationState.PARTIAL, InvitationState.SKIPPED]
    for i, state in enumerate(states):
        Invitation.objects.create(
            organisation_id=nps_survey.organisation_id,
            survey=nps_survey,
            survey_version_id=nps_survey.current_version_id,
            token=f"t{i}",
            store=store_a,
            source="manual",
            channel="sms",
            state=state,
            expires_at=WHEN + dt.timedelta(days=14),
            created_at=WHEN,
        )
    rate = survey_results(nps_survey, admin_user, bootstrap=0).response_rate
    assert (rate.completed, rate.n) == (1, 4)  # the skipped one was never sent
    assert rate.rate == pytest.approx(25.0)
    assert (rate.low, rate.high) == pytest.approx(wilson(1, 4))
    assert rate.low_n is True
    april = ResultFilters(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30))
    assert survey_results(nps_survey, admin_user, april, bootstrap=0).response_rate.n == 0


# --- CSI -------------------------------------------------------------------------------------


def test_csi_is_the_weighted_mean_of_normalised_factor_means(admin_user, store_a):
    survey = make_survey(
        admin_user,
        [
            scale("speed", "csi_factor", 1, 10, factor="speed", weight=60),
            scale("price", "csi_factor", 1, 5, factor="price", weight=40),
        ],
    )
    respond(survey, store_a, {"speed": 10, "price": 5})
    respond(survey, store_a, {"speed": 1, "price": 5})
    csi = survey_results(survey, admin_user, bootstrap=0).csi
    # speed: mean 5.5 on 1–10 → (5.5 − 1)/9 = 0.5; price: mean 5 on 1–5 → 1.
    assert csi.index == pytest.approx(1000 * (0.6 * 0.5 + 0.4 * 1.0))  # 700
    speed, price = csi.factors
    assert (speed.mean, speed.factor_index, speed.contribution) == pytest.approx((5.5, 500, 300))
    assert (price.mean, price.factor_index, price.contribution) == pytest.approx((5, 1000, 400))
    assert (speed.weight, price.weight) == pytest.approx((60, 40))
    assert csi.n == 2 and csi.low_n is True


def test_csi_leaves_out_a_factor_nobody_answered_and_says_so(admin_user, store_a):
    survey = make_survey(
        admin_user,
        [
            scale("speed", "csi_factor", 1, 10, factor="speed", weight=60),
            scale("price", "csi_factor", 1, 5, factor="price", weight=40, required=False),
        ],
    )
    respond(survey, store_a, {"speed": 10})
    csi = survey_results(survey, admin_user, bootstrap=0).csi
    assert csi.index == pytest.approx(1000.0)  # the only factor, renormalised
    assert "price" in csi.message or "Question price" in csi.message
    assert csi.factors[1].factor_index is None and csi.n == 0


# --- SERVQUAL ------------------------------------------------------------------------------


def sq(key: str, dimension: str) -> dict[str, Any]:
    return {
        "key": key,
        "type": "servqual",
        "text_zh": key,
        "scale_min": 1,
        "scale_max": 7,
        "role": "servqual",
        "dimension": dimension,
    }


def test_servqual_gaps_per_item_dimension_and_overall_weighted_by_points(admin_user, store_a):
    points = {
        "key": "importance",
        "type": "points",
        "text_zh": "重要性",
        "total": 100,
        "role": "servqual_weights",
        "required": False,
        "options": [
            {"value": "tangibles", "zh": "有形性"},
            {"value": "reliability", "zh": "可靠性"},
        ],
    }
    survey = make_survey(
        admin_user,
        [sq("t1", "tangibles"), sq("r1", "reliability"), sq("r2", "reliability"), points],
    )

    def pair(e: int, p: int) -> dict[str, int]:
        return {"expectation": e, "perception": p}

    respond(
        survey,
        store_a,
        {
            "t1": pair(7, 5),
            "r1": pair(6, 6),
            "r2": pair(5, 7),
            "importance": {"tangibles": 20, "reliability": 80},
        },
    )
    respond(
        survey,
        store_a,
        {
            "t1": pair(6, 5),
            "r1": pair(7, 4),
            "r2": pair(7, 6),
            "importance": {"tangibles": 40, "reliability": 60},
        },
    )
    x = survey_results(survey, admin_user, bootstrap=0).servqual
    gaps = {i.key: i.gap for i in x.items}
    assert gaps == pytest.approx({"t1": -1.5, "r1": -1.5, "r2": 0.5})
    assert x.items[0].expectation == pytest.approx(6.5)
    assert x.items[0].perception == pytest.approx(5.0)
    dims = {d.dimension: d for d in x.dimensions}
    assert dims["tangibles"].gap == pytest.approx(-1.5)
    assert dims["reliability"].gap == pytest.approx(-0.5)
    assert x.overall_unweighted == pytest.approx(-1.0)
    # Mean points 30 / 70 → weights 0.3 / 0.7.
    assert (dims["tangibles"].weight, dims["reliability"].weight) == pytest.approx((30, 70))
    assert x.overall_weighted == pytest.approx(0.3 * -1.5 + 0.7 * -0.5)
    assert x.weights_n == 2 and x.n == 2


def test_servqual_without_importance_points_has_no_weighted_gap(admin_user, store_a):
    survey = make_survey(admin_user, [sq("t1", "tangibles")])
    respond(survey, store_a, {"t1": {"expectation": 6, "perception": 7}})
    x = survey_results(survey, admin_user, bootstrap=0).servqual
    assert x.overall_unweighted == pytest.approx(1.0)
    assert x.overall_weighted is None and x.weights_n == 0


# --- Kano ------------------------------------------------------------------------------------


def test_kano_counts_category_and_better_worse_of_a_feature(admin_user, store_a):
    kano = {
        "key": "wash",
        "type": "kano",
        "text_zh": "如果提供“免费洗车”，您觉得如何？",
        "text2_zh": "如果不提供“免费洗车”，您觉得如何？",
        "role": "kano",
        "feature": "free_wash",
    }
    survey = make_survey(admin_user, [kano])
    pairs = [("like", "dislike")] * 3 + [("like", "neutral")] * 2
    pairs += [("neutral", "dislike"), ("neutral", "neutral"), ("dislike", "like"), ("like", "like")]
    for f, d in pairs:
        respond(survey, store_a, {"wash": {"functional": f, "dysfunctional": d}})
    (row,) = survey_results(survey, admin_user, bootstrap=0).kano
    assert dict(row.counts) == {"A": 2, "O": 3, "M": 1, "I": 1, "R": 1, "Q": 1}
    assert row.n == 9 and row.category == "O" and row.feature == "free_wash"
    assert row.better == pytest.approx(5 / 7)
    assert row.worse == pytest.approx(-4 / 7)
    assert row.low_n is True


# --- recovery fairness ----------------------------------------------------------------------


def test_fairness_means_per_dimension_and_the_intentions(admin_user, store_a):
    survey = services.install_template(actor=admin_user, template_key="recovery_fairness")
    respond(
        survey,
        store_a,
        {
            "fair_outcome_1": 2,
            "fair_outcome_2": 4,
            "fair_procedural_1": 5,
            "handling_satisfaction": 3,
            "return_intent": 2,
            "recommend_intent": 1,
        },
    )
    respond(survey, store_a, {"fair_outcome_1": 6, "fair_outcome_2": 6, "handling_satisfaction": 7})
    f = survey_results(survey, admin_user, bootstrap=0).fairness
    dims = {d.key: d for d in f.dimensions}
    # Each respondent's mean over the dimension's items (3 and 6), then the mean: 4.5.
    assert dims["fair_outcome"].mean == pytest.approx(4.5) and dims["fair_outcome"].n == 2
    assert dims["fair_procedural"].mean == pytest.approx(5.0) and dims["fair_procedural"].n == 1
    assert dims["fair_interactional"].n == 0 and dims["fair_interactional"].mean is None
    assert f.handling.mean == pytest.approx(5.0) and f.handling.n == 2
    assert f.return_intent.mean == pytest.approx(2.0)
    assert f.recommend_intent.mean == pytest.approx(1.0) and f.recommend_intent.n == 1


# --- key drivers ----------------------------------------------------------------------------


def _driver_survey(admin: Any, items: int) -> Survey:
    return make_survey(
        admin,
        [scale("overall", "overall")] + [scale(f"d{i}", "driver") for i in range(items)],
    )


def test_one_driver_carries_all_of_r_squared(admin_user, store_a):
    survey = _driver_survey(admin_user, 1)
    overall = [1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 3, 4]
    item = [2, 2, 3, 5, 4, 5, 3, 3, 1, 1, 4, 4]
    for o, i in zip(overall, item, strict=True):
        respond(survey, store_a, {"overall": o, "d0": i})
    d = survey_results(survey, admin_user, bootstrap=0).drivers
    assert d is not None and d.r2 is not None
    r = np.corrcoef(overall, item)[0, 1]
    assert d.n == 12 and d.r2 == pytest.approx(r**2)
    (row,) = d.rows
    assert row.r == pytest.approx(r) and row.weight == pytest.approx(r**2)
    assert row.percent == pytest.approx(100.0) and row.rank == 1
    assert row.percent_low is None  # no bootstrap asked
    assert d.message == ""


def test_key_drivers_rank_items_with_bootstrap_intervals_and_quadrants(admin_user, store_a):
    survey = _driver_survey(admin_user, 3)
    rng = np.random.default_rng(7)
    for _ in range(120):
        u = rng.random()
        strong = int(np.clip(round(1 + 4 * (0.9 * u + 0.1 * rng.random())), 1, 5))
        medium = int(np.clip(round(1 + 4 * (0.5 * u + 0.5 * rng.random())), 1, 5))
        noise = int(rng.integers(1, 6))
        overall = int(np.clip(round(1 + 4 * u), 1, 5))
        respond(survey, store_a, {"overall": overall, "d0": strong, "d1": medium, "d2": noise})
    d = survey_results(survey, admin_user, bootstrap=50).drivers
    assert d is not None and d.r2 is not None
    rows = {row.key: row for row in d.rows}
    assert sum(row.percent for row in d.rows) == pytest.approx(100.0)
    assert rows["d0"].rank == 1 and rows["d2"].rank == 3
    assert d.bootstrap == 50 and d.bootstrap_valid > 0
    for row in d.rows:
        assert row.percent_low is not None and row.percent_high is not None
        assert row.percent is not None
        assert row.percent_low <= row.percent <= row.percent_high
    assert rows["d0"].quadrant in (KEEP_UP, CONCENTRATE_HERE)
    assert d.low_n is False and 0 < d.r2 < 1


def test_no_bootstrap_intervals_above_the_maximum_number_of_answers(admin_user, store_a):
    survey = _driver_survey(admin_user, 1)
    for i in range(12):
        respond(survey, store_a, {"overall": 1 + i % 5, "d0": 1 + (i * 2) % 5})
    d = survey_results(survey, admin_user, bootstrap=20, bootstrap_max_n=10).drivers
    assert d is not None and d.bootstrap == 0 and d.rows[0].percent_low is None
    assert "10" in d.note and d.r2 is not None
    d = survey_results(survey, admin_user, bootstrap=20, bootstrap_max_n=12).drivers
    assert d is not None and d.bootstrap == 20 and d.note == ""


def test_too_few_answers_for_the_drivers_give_a_message_not_an_error(admin_user, store_a):
    survey = _driver_survey(admin_user, 3)
    respond(survey, store_a, {"overall": 4, "d0": 4, "d1": 3, "d2": 5})
    respond(survey, store_a, {"overall": 2, "d0": 1, "d1": 2, "d2": 2})
    d = survey_results(survey, admin_user).drivers
    assert d.n == 2 and d.r2 is None and d.rows[0].percent is None
    assert "2" in d.message and "5" in d.message  # 2 answers, at least p + 2 = 5 needed
    assert d.low_n is True


def test_collinear_or_constant_items_give_a_message(admin_user, store_a):
    survey = _driver_survey(admin_user, 2)
    for o, a in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (2, 3)]:
        respond(survey, store_a, {"overall": o, "d0": a, "d1": a})  # d1 copies d0
    d = survey_results(survey, admin_user, bootstrap=0).drivers
    assert d.r2 is None and d.message
    survey2 = _driver_survey(admin_user, 2)
    for o, a in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]:
        respond(survey2, store_a, {"overall": o, "d0": a, "d1": 3})  # d1 never varies
    d2 = survey_results(survey2, admin_user, bootstrap=0).drivers
    assert d2.r2 is None and d2.message


def test_not_applicable_answers_are_left_out_of_the_drivers(admin_user, store_a):
    survey = make_survey(
        admin_user,
        [scale("overall", "overall"), scale("d0", "driver", allow_na=True, required=False)],
    )
    data = [(1, 1), (2, 3), (3, 2), (4, 5), (5, 4), (3, 3)]
    for o, a in data:
        respond(survey, store_a, {"overall": o, "d0": a})
    respond(survey, store_a, {"overall": 5, "d0": "na"})
    d = survey_results(survey, admin_user, bootstrap=0).drivers
    assert (d.n, d.n_dropped) == (6, 1)
    assert d.rows[0].performance == pytest.approx(3.0)


# --- breakdowns, distributions, periods and scoping ------------------------------------------


def test_breakdowns_per_store_staff_and_month_in_shanghai_time(
    admin_user, store_a, store_b, agent, nps_survey
):
    # 23:30 on 31 March in Shanghai is still March; 00:30 on 1 April is April (UTC: 31 March).
    respond(nps_survey, store_a, {"nps": 10}, when=at(2026, 3, 31, 23, 30), staff=agent)
    respond(nps_survey, store_a, {"nps": 0}, when=at(2026, 4, 1, 0, 30), dissatisfied=True)
    respond(nps_survey, store_b, {"nps": 9}, when=at(2026, 4, 2, 9, 0))
    r = survey_results(nps_survey, admin_user, bootstrap=0)
    stores = {row.label: row for row in r.by_store}
    assert stores[store_a.name].n == 2 and stores[store_a.name].nps == pytest.approx(0.0)
    assert stores[store_a.name].dissatisfied == pytest.approx(50.0)
    assert stores[store_b.name].nps == pytest.approx(100.0) and stores[store_b.name].low_n
    months = [(row.key, row.n) for row in r.by_month]
    assert months == [("2026-03", 1), ("2026-04", 2)]
    staff = {row.key: row for row in r.by_staff}
    assert staff[str(agent.pk)].label == str(agent) and staff[str(agent.pk)].n == 1
    assert staff[""].n == 2  # not recorded


def test_a_period_runs_from_the_first_to_the_last_day_in_shanghai_time(
    admin_user, store_a, nps_survey
):
    respond(nps_survey, store_a, {"nps": 9}, when=at(2026, 3, 1, 0, 5))
    respond(nps_survey, store_a, {"nps": 9}, when=at(2026, 3, 31, 23, 55))
    respond(nps_survey, store_a, {"nps": 9}, when=at(2026, 2, 28, 23, 55))
    respond(nps_survey, store_a, {"nps": 9}, when=at(2026, 4, 1, 0, 5))
    march = ResultFilters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), compare=False)
    assert survey_results(nps_survey, admin_user, march, bootstrap=0).responses == 2


def test_distribution_of_questions_without_a_role(admin_user, store_a):
    choice = {
        "key": "class",
        "type": "single",
        "text_zh": "舱位",
        "text_en": "Class",
        "required": False,
        "options": [
            {"value": "eco", "zh": "经济舱", "en": "Economy"},
            {"value": "biz", "zh": "商务舱"},
        ],
    }
    multi = {
        "key": "channels",
        "type": "multi",
        "text_zh": "渠道",
        "required": False,
        "options": [{"value": "sms", "zh": "短信"}, {"value": "wechat", "zh": "微信"}],
    }
    survey = make_survey(admin_user, [NPS_Q, choice, multi, scale("mood", allow_na=True)])
    respond(survey, store_a, {"nps": 9, "class": "eco", "channels": ["sms", "wechat"], "mood": 4})
    respond(survey, store_a, {"nps": 9, "class": "eco", "channels": ["wechat"], "mood": "na"})
    respond(survey, store_a, {"nps": 9, "class": "biz", "mood": 2})
    dists = {d.key: d for d in survey_results(survey, admin_user, language="en").distributions}
    assert "nps" not in dists  # it has a role
    rows = {row.value: row for row in dists["class"].rows}
    assert (rows["eco"].count, rows["biz"].count, dists["class"].n) == (2, 1, 3)
    assert rows["eco"].label == "Economy" and rows["eco"].percent == pytest.approx(200 / 3)
    channels = {row.value: row.count for row in dists["channels"].rows}
    assert channels == {"sms": 1, "wechat": 2} and dists["channels"].n == 2
    mood = {row.value: row.count for row in dists["mood"].rows}
    assert mood["4"] == 1 and mood["2"] == 1 and mood["na"] == 1
    assert dists["mood"].n == 2 and dists["mood"].mean == pytest.approx(3.0)


def test_a_store_bound_agent_sees_only_the_responses_of_their_store(
    admin_user, agent, store_a, store_b, nps_survey
):
    respond(nps_survey, store_a, {"nps": 10})
    respond(nps_survey, store_b, {"nps": 0})
    respond(nps_survey, store_b, {"nps": 0})
    assert survey_results(nps_survey, admin_user, bootstrap=0).responses == 3
    mine = survey_results(nps_survey, agent, bootstrap=0)
    assert mine.responses == 1 and mine.nps.score == pytest.approx(100.0)
    assert [row.label for row in mine.by_store] == [store_a.name]
    other_store = survey_results(nps_survey, agent, ResultFilters(store_id=store_b.pk), bootstrap=0)
    assert other_store.responses == 0


def test_filters_on_store_staff_and_version(admin_user, agent, store_a, store_b, nps_survey):
    respond(nps_survey, store_a, {"nps": 10}, staff=agent)
    respond(nps_survey, store_b, {"nps": 0})
    draft = nps_survey.current_version.definition
    services.save_draft(
        actor=admin_user,
        survey=nps_survey,
        definition={"questions": [*draft["questions"], scale("extra")]},
    )
    services.publish_survey(actor=admin_user, survey=nps_survey)
    nps_survey.refresh_from_db()
    respond(nps_survey, store_b, {"nps": 5, "extra": 3})
    assert survey_results(nps_survey, admin_user, ResultFilters(store_id=store_b.pk)).responses == 2
    assert survey_results(nps_survey, admin_user, ResultFilters(staff_id=agent.pk)).responses == 1
    v1 = survey_results(nps_survey, admin_user, ResultFilters(version=1), bootstrap=0)
    assert v1.responses == 2 and "extra" not in {d.key for d in v1.distributions}
    v2 = survey_results(nps_survey, admin_user, ResultFilters(version=2), bootstrap=0)
    assert v2.responses == 1 and "extra" in {d.key for d in v2.distributions}
    assert survey_results(nps_survey, admin_user, ResultFilters(version=9)).responses == 0


def test_partial_answers_do_not_count(admin_user, store_a, nps_survey):
    partial = respond(nps_survey, store_a, {"nps": 3})
    partial.submitted_at = None
    partial.save(update_fields=["submitted_at"])
    respond(nps_survey, store_a, {"nps": 9})
    assert survey_results(nps_survey, admin_user, bootstrap=0).responses == 1


def test_an_empty_survey_has_figures_with_n_zero(admin_user, nps_survey):
    r = survey_results(nps_survey, admin_user)
    assert r.responses == 0 and r.nps.n == 0 and r.nps.score is None and r.nps.low_n
    assert r.by_store == () and r.by_month == ()
    assert r.response_rate.rate is None and r.response_rate.n == 0
