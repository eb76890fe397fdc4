"""Tests for manyi.metrics.scores: hand-computed examples, published values, properties.

No database. z(95 %) = 1.959964 throughout the hand computations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from manyi.metrics.scores import (
    DEFAULT_CSI_WEIGHTS,
    ces,
    ces_from_scores,
    csat,
    csat_from_scores,
    csi,
    nps,
    nps_change,
    nps_from_scores,
    two_proportion_test,
    wilson_interval,
)

Z95 = 1.959963984540054


# ------------------------------------------------------------------------------------------
# NPS
# ------------------------------------------------------------------------------------------


def test_nps_score_by_hand():
    # 50 promoters, 30 passives, 20 detractors: n = 100, NPS = 100·(50 − 20)/100 = 30.
    r = nps(50, 30, 20)
    assert r.score == pytest.approx(30.0)
    assert (r.n, r.promoters, r.passives, r.detractors) == (100, 50, 30, 20)
    assert r.method == "adjusted_wald"
    assert r.confidence == 0.95


def test_nps_wald_interval_by_hand():
    # p_P = .5, p_D = .2; Var = [.5 + .2 − (.5 − .2)²]/100 = (.7 − .09)/100 = .0061
    # √Var = .0781025; half-width = 1.959964 · .0781025 = .1530781
    # interval = 100·(.3 ± .1530781) = (14.6922, 45.3078)
    r = nps(50, 30, 20, method="wald")
    assert r.low == pytest.approx(14.6922, abs=1e-4)
    assert r.high == pytest.approx(45.3078, abs=1e-4)
    assert r.variance == pytest.approx(0.0061)
    assert r.standard_error == pytest.approx(7.81025, abs=1e-5)


def test_nps_adjusted_wald_interval_by_hand():
    # Rocks (2016): add 3 pseudo-observations, ¾ promoter, 1½ passive, ¾ detractor.
    # ñ = 103; p̃_P = 50.75/103 = .4927184; p̃_D = 20.75/103 = .2014563
    # centre = 30/103 = .2912621
    # Var̃ = [.4927184 + .2014563 − .2912621²]/103 = (.6941748 − .0848336)/103 = .00591593
    # √Var̃ = .0769151; half = 1.959964 · .0769151 = .1507509
    # interval = 100·(.2912621 ± .1507509) = (14.0511, 44.2013)
    r = nps(50, 30, 20, method="adjusted_wald")
    assert r.score == pytest.approx(30.0)  # the point estimate is not adjusted
    assert r.low == pytest.approx(14.0511, abs=1e-4)
    assert r.high == pytest.approx(44.2013, abs=1e-4)


def test_nps_confidence_level_changes_width():
    # 90 %: z = 1.644854; Wald half-width = 100 · 1.644854 · .0781025 = 12.8467
    r = nps(50, 30, 20, method="wald", confidence=0.90)
    assert r.low == pytest.approx(30 - 12.8467, abs=1e-4)
    assert r.high == pytest.approx(30 + 12.8467, abs=1e-4)


def test_nps_all_promoters_is_clipped_at_100():
    # Wald: Var = [1 + 0 − 1]/50 = 0 → (100, 100).
    w = nps(50, 0, 0, method="wald")
    assert (w.score, w.low, w.high) == (100.0, 100.0, 100.0)
    # Adjusted: ñ = 53, p̃_P = 50.75/53 = .9575472, p̃_D = .75/53 = .0141509,
    # centre = 50/53 = .9433962; Var̃ = (.9716981 − .8899964)/53 = .00154154,
    # √ = .0392625; half = .0769529 → (86.6443, 102.03) → upper clipped to 100.
    a = nps(50, 0, 0)
    assert a.high == 100.0
    assert a.low == pytest.approx(86.6443, abs=1e-4)


def test_nps_all_detractors_is_clipped_at_minus_100():
    a = nps(0, 0, 50)
    assert a.score == -100.0
    assert a.low == -100.0
    assert a.high == pytest.approx(-86.6443, abs=1e-4)


def test_nps_empty_sample():
    r = nps(0, 0, 0)
    assert r.n == 0
    assert (r.score, r.low, r.high) == (None, None, None)
    assert r.variance is None
    assert r.standard_error is None


@pytest.mark.parametrize("method", ["wald", "adjusted_wald"])
def test_nps_symmetry_and_bounds_on_random_counts(method):
    rng = np.random.default_rng(4)
    for _ in range(300):
        p, pa, d = (int(v) for v in rng.integers(0, 40, size=3))
        if p + pa + d == 0:
            continue
        r = nps(p, pa, d, method=method)
        mirrored = nps(d, pa, p, method=method)
        assert r.low is not None and r.high is not None and r.score is not None
        assert -100.0 <= r.low <= r.high <= 100.0
        # Swapping promoters and detractors mirrors the score and the interval.
        assert mirrored.score == pytest.approx(-r.score)
        assert mirrored.low == pytest.approx(-r.high)
        assert mirrored.high == pytest.approx(-r.low)
        if method == "wald":
            assert r.low <= r.score <= r.high


def test_nps_both_intervals_contain_a_typical_score():
    # For a moderate sample both intervals contain the observed NPS.
    for method in ("wald", "adjusted_wald"):
        r = nps(120, 50, 30, method=method)
        assert r.low is not None and r.score is not None and r.high is not None
        assert r.low < r.score < r.high


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((-1, 0, 0), {}, "promoters must not be negative"),
        ((1, -2, 0), {}, "passives must not be negative"),
        ((1, 0, 1.5), {}, "detractors must be a whole number"),
        ((1, 0, "3"), {}, "detractors must be a whole number"),
        ((True, 0, 0), {}, "boolean"),
        ((1, 1, 1), {"method": "bootstrap"}, "method must be"),
        ((1, 1, 1), {"confidence": 95}, "confidence"),
        ((1, 1, 1), {"confidence": 0.0}, "confidence"),
        ((1, 1, 1), {"confidence": 1.0}, "confidence"),
    ],
)
def test_nps_validation(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        nps(*args, **kwargs)


def test_nps_accepts_numpy_integers_and_integral_floats():
    r = nps(np.int64(50), 30.0, np.int32(20))
    assert r.score == pytest.approx(30.0)
    assert isinstance(r.n, int)


# ------------------------------------------------------------------------------------------
# NPS change
# ------------------------------------------------------------------------------------------


def test_nps_change_not_significant_by_hand():
    # a: 50/30/20 (NPS 30, Var .0061); b: 60/25/15 (NPS 45, Var = (.75 − .2025)/100 = .005475)
    # Δ = 45 − 30 = 15; SE = 100·√(.0061 + .005475) = 100·√.011575 = 10.75872
    # z = 15/10.75872 = 1.39422; p = 2·(1 − Φ(1.39422)) = .16325 → not significant at 5 %.
    c = nps_change(nps(50, 30, 20), nps(60, 25, 15))
    assert c.difference == pytest.approx(15.0)
    assert c.standard_error == pytest.approx(10.75872, abs=1e-5)
    assert c.z == pytest.approx(1.39422, abs=1e-5)
    assert c.p_value == pytest.approx(0.16325, abs=1e-5)
    assert c.significant is False


def test_nps_change_significant_by_hand():
    # Same proportions, ten times the sample: Var_a = .00061, Var_b = .0005475,
    # SE = 100·√.0011575 = 3.402205; z = 15/3.402205 = 4.40891; p ≈ 1.04e−5 → significant.
    c = nps_change(nps(500, 300, 200), nps(600, 250, 150))
    assert c.z == pytest.approx(4.40891, abs=1e-5)
    assert c.p_value == pytest.approx(1.0389e-5, rel=1e-3)
    assert c.significant is True


def test_nps_change_direction_and_symmetry():
    a, b = nps(500, 300, 200), nps(600, 250, 150)
    forward, backward = nps_change(a, b), nps_change(b, a)
    assert backward.difference is not None and backward.z is not None
    assert forward.difference == pytest.approx(-backward.difference)
    assert forward.z == pytest.approx(-backward.z)
    assert forward.p_value == pytest.approx(backward.p_value)


def test_nps_change_uses_confidence_of_a():
    # p = .16325: significant at 80 % (α = .20), not at 95 %.
    lenient = nps_change(nps(50, 30, 20, confidence=0.80), nps(60, 25, 15))
    assert lenient.significant is True
    assert lenient.confidence == 0.80


def test_nps_change_does_not_depend_on_the_interval_method():
    a = nps(50, 30, 20, method="wald")
    b = nps(60, 25, 15, method="adjusted_wald")
    assert nps_change(a, b).z == pytest.approx(1.39422, abs=1e-5)


def test_nps_change_edge_cases():
    empty = nps(0, 0, 0)
    c = nps_change(empty, nps(1, 0, 0))
    assert (c.difference, c.z, c.p_value, c.significant) == (None, None, None, False)
    same = nps_change(nps(10, 0, 0), nps(20, 0, 0))
    assert (same.difference, same.z, same.p_value, same.significant) == (0.0, 0.0, 1.0, False)
    opposite = nps_change(nps(10, 0, 0), nps(0, 0, 10))
    assert opposite.difference == -200.0
    assert opposite.z == -math.inf
    assert opposite.p_value == 0.0
    assert opposite.significant is True


# ------------------------------------------------------------------------------------------
# Wilson interval and two-proportion test
# ------------------------------------------------------------------------------------------


def test_wilson_8_of_10_by_hand():
    # p̂ = .8, z² = 3.841459, z²/n = .3841459, denominator = 1.3841459
    # centre = (.8 + .1920729)/1.3841459 = .7167344
    # half = 1.959964/1.3841459 · √(.016 + .0096036) = 1.4160127 · .1600114 = .2265781
    # → (.4902, .9433)
    low, high = wilson_interval(8, 10, 0.95)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857–872, Table I, method 3 (score
        # interval without continuity correction), 95 %.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(x, n, low, high):
    interval = wilson_interval(x, n, 0.95)
    assert interval.low == pytest.approx(low, abs=6e-5)
    assert interval.high == pytest.approx(high, abs=6e-5)


def test_wilson_symmetry_and_bounds():
    for n in (1, 2, 7, 30, 101):
        for x in range(n + 1):
            low, high = wilson_interval(x, n)
            mlow, mhigh = wilson_interval(n - x, n)
            assert 0.0 <= low <= x / n <= high <= 1.0
            assert low == pytest.approx(1.0 - mhigh)
            assert high == pytest.approx(1.0 - mlow)


def test_wilson_empty_and_invalid():
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError, match="cannot exceed"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="must not be negative"):
        wilson_interval(-1, 10)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 10, 1.5)


def test_two_proportion_test_by_hand():
    # 40/100 vs 55/100: pooled p̂ = 95/200 = .475; SE = √(.475·.525·(2/100)) = √.0049875
    # = .0706222; z = (.55 − .40)/.0706222 = 2.12398; p = 2·(1 − Φ(2.12398)) = .03367
    z, p = two_proportion_test(40, 100, 55, 100)
    assert z == pytest.approx(2.12398, abs=1e-5)
    assert p == pytest.approx(0.03367, abs=1e-5)
    z_rev, p_rev = two_proportion_test(55, 100, 40, 100)
    assert z_rev == pytest.approx(-z)
    assert p_rev == pytest.approx(p)


def test_two_proportion_test_agrees_with_uncorrected_chi_square():
    rng = np.random.default_rng(7)
    for _ in range(50):
        n1, n2 = (int(v) for v in rng.integers(5, 400, size=2))
        x1, x2 = int(rng.integers(1, n1)), int(rng.integers(1, n2))
        z, p = two_proportion_test(x1, n1, x2, n2)
        chi2, p_chi, _, _ = stats.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
        assert z * z == pytest.approx(chi2)
        assert p == pytest.approx(p_chi)


def test_two_proportion_test_edge_cases():
    z, p = two_proportion_test(0, 0, 3, 10)
    assert math.isnan(z) and math.isnan(p)
    assert two_proportion_test(10, 10, 20, 20) == (0.0, 1.0)
    assert two_proportion_test(0, 10, 0, 20) == (0.0, 1.0)
    with pytest.raises(ValueError, match="cannot exceed"):
        two_proportion_test(5, 4, 1, 2)


# ------------------------------------------------------------------------------------------
# CSAT
# ------------------------------------------------------------------------------------------


def test_csat_top2_of_5_by_hand():
    # answers 1..5: 5, 5, 10, 40, 40 → n = 100, top-2 (4s and 5s) = 80 → CSAT 80 %.
    # Wilson 80/100: z²/n = .0384146, denominator 1.0384146,
    # centre = (.8 + .0192073)/1.0384146 = .7889161
    # half = 1.959964/1.0384146 · √(.0016 + .00009604) = 1.8874582 · .0411830 = .0777313
    # → (71.117, 86.663) %. mean = (5 + 10 + 30 + 160 + 200)/100 = 4.05.
    r = csat([5, 5, 10, 40, 40])
    assert r.score == pytest.approx(80.0)
    assert r.low == pytest.approx(71.117, abs=1e-3)
    assert r.high == pytest.approx(86.663, abs=1e-3)
    assert r.mean == pytest.approx(4.05)
    assert (r.n, r.satisfied, r.top_box, r.scale) == (100, 80, 2, 5)


def test_csat_mapping_and_other_boxes():
    # Mapping form, missing values count 0: {5: 3, 4: 1, 2: 1, 1: 5} → n = 10.
    # top-1 box: 3/10 = 30 %; top-2: 4/10 = 40 %; top-3: 4/10 (no 3s) = 40 %.
    counts = {5: 3, 4: 1, 2: 1, 1: 5}
    assert csat(counts, top_box=1).score == pytest.approx(30.0)
    assert csat(counts, top_box=2).score == pytest.approx(40.0)
    assert csat(counts, top_box=3).score == pytest.approx(40.0)
    # mean = (15 + 4 + 2 + 5)/10 = 2.6
    assert csat(counts).mean == pytest.approx(2.6)
    # 7-point scale, top-2 = 6s and 7s: 2 + 3 of 10.
    r = csat([1, 1, 1, 1, 1, 2, 3], scale=7)
    assert r.score == pytest.approx(50.0)
    low, high = wilson_interval(5, 10)
    assert r.low == pytest.approx(100 * low)
    assert r.high == pytest.approx(100 * high)


def test_csat_empty():
    r = csat([0, 0, 0, 0, 0])
    assert r.n == 0
    assert (r.score, r.low, r.high, r.mean) == (None, None, None, None)
    assert csat({}).n == 0


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        ([1, 2, 3, 4], {}, "5 counts"),
        ([1, 2, 3, 4, 5, 6], {}, "5 counts"),
        ([1, 2, -3, 4, 5], {}, "must not be negative"),
        ([1, 2, 3.5, 4, 5], {}, "whole number"),
        ({6: 1}, {}, "outside the scale"),
        ({0: 1}, {}, "outside the scale"),
        ({"5": 1}, {}, "integers"),
        ("12345", {}, "string"),
        ([1, 2, 3, 4, 5], {"top_box": 0}, "top_box"),
        ([1, 2, 3, 4, 5], {"top_box": 6}, "top_box"),
        ([1], {"scale": 1}, "scale"),
        ([1, 2, 3, 4, 5], {"confidence": 2}, "confidence"),
    ],
)
def test_csat_validation(counts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        csat(counts, **kwargs)


# ------------------------------------------------------------------------------------------
# CES
# ------------------------------------------------------------------------------------------


def test_ces_t_interval_by_hand():
    # answers 5, 5, 6, 6, 7 → n = 5, mean 5.8; squared deviations .64 .64 .04 .04 1.44 = 2.8
    # s² = 2.8/4 = .7, s = .836660; t(.975, 4) = 2.776445
    # half = 2.776445 · .836660/√5 = 1.038851 → (4.76115, 6.83885)
    r = ces({5: 2, 6: 2, 7: 1})
    assert r.mean == pytest.approx(5.8)
    assert r.sd == pytest.approx(0.836660, abs=1e-6)
    assert r.low == pytest.approx(4.76115, abs=1e-5)
    assert r.high == pytest.approx(6.83885, abs=1e-5)
    assert (r.n, r.scale) == (5, 7)


def test_ces_agrees_with_scipy_t_interval_and_clips():
    rng = np.random.default_rng(11)
    answers = rng.integers(1, 8, size=37)
    r = ces_from_scores(answers)
    low, high = stats.t.interval(
        0.95, len(answers) - 1, loc=answers.mean(), scale=stats.sem(answers)
    )
    assert r.mean == pytest.approx(answers.mean())
    assert r.low == pytest.approx(max(1.0, low))
    assert r.high == pytest.approx(min(7.0, high))
    # Two answers 7 and 6: mean 6.5, s = .7071, t(.975,1) = 12.706 → raw (.147, 12.85),
    # clipped to the scale [1, 7].
    wide = ces([0, 0, 0, 0, 0, 1, 1])
    assert (wide.low, wide.high) == (1.0, 7.0)


def test_ces_small_samples():
    empty = ces([0] * 7)
    assert (empty.mean, empty.low, empty.high, empty.sd, empty.n) == (None, None, None, None, 0)
    one = ces({6: 1})
    assert (one.mean, one.low, one.high, one.sd, one.n) == (6.0, None, None, None, 1)
    unanimous = ces({4: 10})
    assert (unanimous.mean, unanimous.low, unanimous.high, unanimous.sd) == (4.0, 4.0, 4.0, 0.0)


def test_ces_validation():
    with pytest.raises(ValueError, match="7 counts"):
        ces([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="outside the scale"):
        ces({8: 1})
    with pytest.raises(ValueError, match=r"must lie in 1\.\.7"):
        ces_from_scores([1, 2, 8])


# ------------------------------------------------------------------------------------------
# CSI
# ------------------------------------------------------------------------------------------


def test_default_csi_weights_are_the_seven_dealer_factors():
    assert DEFAULT_CSI_WEIGHTS == {
        "customer_friendliness": 16,
        "service_initiative": 10,
        "service_supervision": 11,
        "repair_process": 12,
        "product_problems": 21,
        "service_quality": 15,
        "vehicle_pickup": 15,
    }
    assert sum(DEFAULT_CSI_WEIGHTS.values()) == 100


def test_csi_extremes():
    assert csi(dict.fromkeys(DEFAULT_CSI_WEIGHTS, 10)).index == pytest.approx(1000.0)
    assert csi(dict.fromkeys(DEFAULT_CSI_WEIGHTS, 1)).index == pytest.approx(0.0)
    assert csi(dict.fromkeys(DEFAULT_CSI_WEIGHTS, 100), scale=(0, 100)).index == pytest.approx(
        1000.0
    )


def test_csi_worked_example():
    # Scale 1–10. Everything at 10 except product problems at 5.5 and service initiative at 1.
    # normalised: product_problems (5.5 − 1)/9 = .5, service_initiative 0, the rest 1.
    # CSI = 1000·(1 − .21·(1 − .5) − .10·(1 − 0)) = 1000·(1 − .105 − .10) = 795.
    scores = dict.fromkeys(DEFAULT_CSI_WEIGHTS, 10.0)
    scores["product_problems"] = 5.5
    scores["service_initiative"] = 1.0
    r = csi(scores)
    assert r.index == pytest.approx(795.0)
    assert r.contributions["product_problems"] == pytest.approx(105.0)  # 1000·.21·.5
    assert r.contributions["service_initiative"] == pytest.approx(0.0)
    assert r.contributions["customer_friendliness"] == pytest.approx(160.0)
    assert sum(r.contributions.values()) == pytest.approx(r.index)
    assert r.factor_index["product_problems"] == pytest.approx(500.0)
    assert r.normalised["vehicle_pickup"] == pytest.approx(1.0)
    assert r.weights["product_problems"] == pytest.approx(0.21)
    # All factors at 8 of 1–10: (8 − 1)/9 = .77778 → 777.78 whatever the weights.
    assert csi(dict.fromkeys(DEFAULT_CSI_WEIGHTS, 8)).index == pytest.approx(7000 / 9)


def test_csi_weights_as_percents_or_fractions():
    scores = {"a": 80.0, "b": 40.0}
    # (.8·3 + .4·1)/4 · 1000 = 700
    assert csi(scores, {"a": 75, "b": 25}, scale=(0, 100)).index == pytest.approx(700.0)
    assert csi(scores, {"a": 0.75, "b": 0.25}, scale=(0, 100)).index == pytest.approx(700.0)
    assert csi(scores, {"a": 3, "b": 1}, scale=(0, 100)).index == pytest.approx(700.0)
    # A zero weight drops the factor from the index.
    assert csi(scores, {"a": 1, "b": 0}, scale=(0, 100)).index == pytest.approx(800.0)


@pytest.mark.parametrize(
    ("scores", "weights", "kwargs", "message"),
    [
        ({"a": 5}, {"a": 1, "b": 1}, {}, r"no score for \['b'\]"),
        ({"a": 5, "c": 3}, {"a": 1}, {}, r"no weight for \['c'\]"),
        ({}, {}, {}, "empty"),
        ({"a": 11}, {"a": 1}, {}, "outside the scale"),
        ({"a": 0}, {"a": 1}, {}, "outside the scale"),
        ({"a": float("nan")}, {"a": 1}, {}, "finite"),
        ({"a": None}, {"a": 1}, {}, "finite"),
        ({"a": 5}, {"a": -1}, {}, "≥ 0"),
        ({"a": 5}, {"a": 0}, {}, "all be zero"),
        ({"a": 5}, {"a": 1}, {"scale": (10, 1)}, "low < high"),
    ],
)
def test_csi_validation(scores, weights, kwargs, message):
    with pytest.raises(ValueError, match=message):
        csi(scores, weights, **kwargs)


# ------------------------------------------------------------------------------------------
# Vectorised front ends
# ------------------------------------------------------------------------------------------


def test_nps_from_scores_by_hand():
    # 9, 10 promoters; 7, 8 passives; 0–6 detractors.
    r = nps_from_scores([10, 9, 9, 8, 7, 6, 0, 3, 10, 5])
    assert (r.promoters, r.passives, r.detractors) == (4, 2, 4)
    assert r.score == pytest.approx(0.0)


def test_vectorised_helpers_agree_with_count_based_ones():
    rng = np.random.default_rng(2026)
    for _ in range(20):
        size = int(rng.integers(1, 2000))
        ltr = rng.integers(0, 11, size=size)
        counts = np.bincount(ltr, minlength=11)
        expected = nps(
            int(counts[9:].sum()), int(counts[7:9].sum()), int(counts[:7].sum()), method="wald"
        )
        assert nps_from_scores(ltr, method="wald") == expected
        assert nps_from_scores(ltr.astype(float), method="wald") == expected
        assert nps_from_scores(list(ltr), method="wald") == expected

        sat = rng.integers(1, 6, size=size)
        expected_csat = csat([int((sat == v).sum()) for v in range(1, 6)], top_box=2)
        assert csat_from_scores(sat) == expected_csat
        assert csat_from_scores(sat).mean == pytest.approx(sat.mean())
        assert csat_from_scores(sat).score == pytest.approx(100 * (sat >= 4).mean())

        eff = rng.integers(1, 8, size=size)
        assert ces_from_scores(eff) == ces({v: int((eff == v).sum()) for v in range(1, 8)})


def test_vectorised_helpers_validate():
    with pytest.raises(ValueError, match=r"must lie in 0\.\.10"):
        nps_from_scores(np.array([0, 11]))
    with pytest.raises(ValueError, match=r"must lie in 0\.\.10"):
        nps_from_scores(np.array([-1, 5]))
    with pytest.raises(ValueError, match="NaN"):
        nps_from_scores(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="whole numbers"):
        nps_from_scores(np.array([1.5]))
    with pytest.raises(ValueError, match="dtype"):
        nps_from_scores(np.array(["9"]))
    with pytest.raises(ValueError, match="dtype"):
        nps_from_scores(np.array([True]))
    with pytest.raises(ValueError, match=r"must lie in 1\.\.5"):
        csat_from_scores(np.array([0, 3]))
    assert nps_from_scores(np.array([], dtype=int)).n == 0
    assert csat_from_scores([]).n == 0


def test_vectorised_helpers_count_a_million_answers_like_the_counts():
    # Speed is measured in bench/bench_metrics.py, not here.
    rng = np.random.default_rng(0)
    ltr = rng.integers(0, 11, size=1_000_000)
    counts = np.bincount(ltr, minlength=11)
    expected = nps(int(counts[9:].sum()), int(counts[7:9].sum()), int(counts[:7].sum()))
    assert nps_from_scores(ltr) == expected
