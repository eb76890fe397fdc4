"""Tests of the control charts (manyi.metrics.control), without a database.

Hand computations are in the comments (rates in complaints per service; √ to 7 digits); the
tests fail if a formula is wrong. The properties at the end simulate with fixed seeds.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from manyi.metrics.control import (
    D2,
    ChartResult,
    cusum_chart,
    ewma_chart,
    laney_sigma_z,
    signals,
    u_chart,
)

# The hand-computed series of the u-chart tests: 5 periods.
COUNTS = [1, 2, 3, 12, 2]
EXPOSURES = [50, 50, 100, 100, 200]


def naive_cusum(z, k, h, reset):
    """The textbook recursion, one period at a time (to check the vectorised one)."""
    upper, lower, cp, cm = [], [], 0.0, 0.0
    for value in z:
        cp = max(0.0, value - k + cp)
        cm = max(0.0, -value - k + cm)
        upper.append(cp)
        lower.append(-cm)
        if reset and cp > h:
            cp = 0.0
        if reset and cm > h:
            cm = 0.0
    return np.array(upper), np.array(lower)


# ----------------------------------------------------------------------------- u-chart


def test_u_chart_by_hand():
    # Σc = 1 + 2 + 3 + 12 + 2 = 20, Σn = 50 + 50 + 100 + 100 + 200 = 500: ū = 20/500 = 0.04.
    # u = (0.02, 0.04, 0.03, 0.12, 0.01).
    # σ_i = √(ū/n_i): n = 50 → √0.0008 = 0.0282843; n = 100 → √0.0004 = 0.02;
    #                 n = 200 → √0.0002 = 0.0141421.
    # UCL = 0.04 + 3σ_i: 0.1248528, 0.1248528, 0.10, 0.10, 0.0824264.
    # LCL = 0.04 − 3σ_i < 0 for every period → 0.
    # Period 3: u = 0.12 > 0.10 → signals high. The others lie inside.
    # z = (u − ū)/σ_i: −0.02/0.0282843 = −0.7071068, 0, −0.01/0.02 = −0.5, 0.08/0.02 = 4,
    #     −0.03/0.0141421 = −2.1213203.
    r = u_chart(COUNTS, EXPOSURES)
    assert isinstance(r, ChartResult)
    assert r.method == "u"
    assert r.centre == pytest.approx(0.04)
    assert r.rate_centre == pytest.approx(0.04)
    assert r.sigma_z == 1.0
    assert r.rate == pytest.approx([0.02, 0.04, 0.03, 0.12, 0.01])
    assert r.value == pytest.approx(r.rate)
    assert r.ucl == pytest.approx([0.1248528, 0.1248528, 0.10, 0.10, 0.0824264], abs=1e-7)
    assert r.lcl == pytest.approx([0, 0, 0, 0, 0])
    assert r.statistic == pytest.approx([-0.7071068, 0, -0.5, 4, -2.1213203], abs=1e-7)
    assert r.high.tolist() == [False, False, False, True, False]
    assert not r.low.any()
    assert signals(r) == [3]
    assert r.value_low is None
    assert len(r) == 5
    assert dict(r.params) == {"sigma": 3.0, "laney": False, "target": None}


def test_laney_u_chart_by_hand():
    # The z of the previous test: (−0.7071068, 0, −0.5, 4, −2.1213203).
    # Moving ranges |z_i − z_{i−1}|: 0.7071068, 0.5, 4.5, 6.1213203; sum 11.8284271,
    # mean 2.9571068; σ_z = 2.9571068/1.128 = 2.6215486 (over-dispersed: > 1).
    # UCL = 0.04 + 3 · 2.6215486 · σ_i:
    #   n = 50:  0.04 + 7.8646458 · 0.0282843 = 0.04 + 0.2224458 = 0.2624458
    #   n = 100: 0.04 + 7.8646458 · 0.02      = 0.04 + 0.1572929 = 0.1972929
    #   n = 200: 0.04 + 7.8646458 · 0.0141421 = 0.04 + 0.1112229 = 0.1512229
    # Period 3 (0.12) is now inside: the u-chart's signal was the over-dispersion.
    r = u_chart(COUNTS, EXPOSURES, laney=True)
    assert r.method == "laney_u"
    assert r.sigma_z == pytest.approx(2.6215486, abs=1e-7)
    assert r.ucl == pytest.approx([0.2624458, 0.2624458, 0.1972929, 0.1972929, 0.1512229], abs=1e-7)
    assert r.lcl == pytest.approx([0, 0, 0, 0, 0])
    assert r.statistic == pytest.approx([-0.7071068, 0, -0.5, 4, -2.1213203], abs=1e-7)
    assert signals(r) == []
    assert laney_sigma_z(COUNTS, EXPOSURES) == pytest.approx(r.sigma_z)
    assert dict(r.params)["laney"] is True


def test_u_chart_sigma_sets_the_limit_width():
    # sigma = 2: UCL = 0.04 + 2σ_i = 0.0965685 (n = 50), 0.08 (n = 100), 0.0682843 (n = 200);
    # LCL = 0.04 − 2σ_i = 0 (clipped), 0 (0.04 − 0.04), 0.0117157 (n = 200).
    # Period 3 (0.12 > 0.08) signals high, and now period 4 (0.01 < 0.0117157) signals low.
    r = u_chart(COUNTS, EXPOSURES, sigma=2.0)
    assert r.ucl == pytest.approx([0.0965685, 0.0965685, 0.08, 0.08, 0.0682843], abs=1e-7)
    assert r.lcl == pytest.approx([0, 0, 0, 0, 0.0117157], abs=1e-7)
    assert signals(r, "high") == [3]
    assert signals(r, "low") == [4]


def test_u_chart_lower_limit_and_low_signal_by_hand():
    # n = 10,000 each, c = (400, 400, 300, 400, 500): ū = 2000/50000 = 0.04,
    # σ = √(0.04/10000) = 0.002, limits 0.04 ± 0.006 = (0.034, 0.046).
    # u = (0.04, 0.04, 0.03, 0.04, 0.05): period 2 below the LCL, period 4 above the UCL.
    r = u_chart([400, 400, 300, 400, 500], [10_000] * 5)
    assert r.lcl == pytest.approx([0.034] * 5)
    assert r.ucl == pytest.approx([0.046] * 5)
    assert signals(r) == [2, 4]
    assert signals(r, "high") == [4]
    assert signals(r, "low") == [2]
    assert r.statistic == pytest.approx([0, 0, -5, 0, 5])


def test_u_chart_with_a_target_centre():
    # target 0.03: σ = √(0.03/100) = 0.0173205 for n = 100; UCL = 0.03 + 0.0519615 = 0.0819615.
    # Period 3 (0.12) signals; z_3 = 0.09/0.0173205 = 5.1961524.
    r = u_chart(COUNTS, EXPOSURES, target=0.03)
    assert r.centre == 0.03
    assert r.ucl[3] == pytest.approx(0.0819615, abs=1e-7)
    assert r.statistic[3] == pytest.approx(5.1961524, abs=1e-7)
    assert signals(r) == [3]


def test_laney_with_a_given_sigma_z_scales_the_limits():
    # σ_z = 2: UCL(n = 100) = 0.04 + 3 · 2 · 0.02 = 0.16.
    r = u_chart(COUNTS, EXPOSURES, laney=True, sigma_z=2.0)
    assert r.sigma_z == 2.0
    assert r.ucl[2] == pytest.approx(0.16)


def test_d2_is_the_mean_range_of_two_normals():
    # E|X1 − X2| = 2σ/√π for normal X: d2 = 1.1284, rounded to 1.128 as Laney does.
    assert pytest.approx(2 / math.sqrt(math.pi), abs=5e-4) == D2


# ----------------------------------------------------------------------------- EWMA


def test_ewma_by_hand_with_equal_exposures():
    # target μ0 = 0.04, n = 100 each → σ = √(0.04/100) = 0.02; λ = 0.5, L = 3.
    # x = (0.04, 0.06, 0.02, 0.09, 0.10).
    # Z1 = 0.5·0.04 + 0.5·0.04   = 0.04
    # Z2 = 0.5·0.06 + 0.5·0.04   = 0.05
    # Z3 = 0.5·0.02 + 0.5·0.05   = 0.035
    # Z4 = 0.5·0.09 + 0.5·0.035  = 0.0625
    # Z5 = 0.5·0.10 + 0.5·0.0625 = 0.08125
    # Var Z_t = σ² · λ/(2 − λ) · [1 − (1 − λ)^{2t}] = 0.0004 · (1/3) · (1 − 0.25^t):
    #   t = 1: 0.0004/3 · 0.75       = 0.0001       → √ = 0.01       → UCL 0.07
    #   t = 2: 0.0004/3 · 0.9375     = 0.000125     → √ = 0.0111803  → UCL 0.0735410
    #   t = 3: 0.0004/3 · 0.984375   = 0.00013125   → √ = 0.0114564  → UCL 0.0743693
    #   t = 4: 0.0004/3 · 0.99609375 = 0.0001328125 → √ = 0.0115244  → UCL 0.0745733
    #   t = 5: 0.0004/3 · 0.99902344 = 0.0001332031 → √ = 0.0115414  → UCL 0.0746241
    # LCL = 0.04 − 3√V: 0.01, 0.0064590, 0.0056307, 0.0054267, 0.0053759.
    # Only Z5 = 0.08125 > 0.0746241 signals (Z4 = 0.0625 is inside).
    r = ewma_chart([4, 6, 2, 9, 10], [100] * 5, lam=0.5, L=3.0, target=0.04)
    assert r.method == "ewma"
    assert r.centre == 0.04
    assert r.value == pytest.approx([0.04, 0.05, 0.035, 0.0625, 0.08125])
    assert r.rate == pytest.approx([0.04, 0.06, 0.02, 0.09, 0.10])
    assert r.ucl == pytest.approx([0.07, 0.0735410, 0.0743693, 0.0745733, 0.0746241], abs=1e-7)
    assert r.lcl == pytest.approx([0.01, 0.0064590, 0.0056307, 0.0054267, 0.0053759], abs=1e-7)
    assert r.statistic == pytest.approx([0, 1, -1, 2.5, 3])
    assert signals(r) == [4]
    assert dict(r.params) == {"lam": 0.5, "L": 3.0, "laney": False, "target": 0.04}


def test_ewma_variance_with_unequal_exposures_by_hand():
    # μ0 = 0.04, λ = 0.5, n = (100, 400): σ1² = 0.04/100 = 0.0004, σ2² = 0.04/400 = 0.0001.
    # V1 = λ²σ1² = 0.25 · 0.0004 = 0.0001                 → √ = 0.01
    # V2 = (1 − λ)²V1 + λ²σ2² = 0.25·0.0001 + 0.25·0.0001 = 0.00005 → √ = 0.0070711
    # UCL = 0.04 + 3√V = 0.07, 0.0612132.
    # x = (8/100, 20/400) = (0.08, 0.05): Z1 = 0.06, Z2 = 0.5·0.05 + 0.5·0.06 = 0.055.
    r = ewma_chart([8, 20], [100, 400], lam=0.5, target=0.04)
    assert r.ucl == pytest.approx([0.07, 0.0612132], abs=1e-7)
    assert r.lcl == pytest.approx([0.01, 0.0187868], abs=1e-7)
    assert r.value == pytest.approx([0.06, 0.055])
    assert signals(r) == []


def test_ewma_centre_defaults_to_the_pooled_rate():
    # Σc = 20, Σn = 500 → μ0 = 0.04 = Z_0; λ = 0.2: Z1 = 0.2·0.02 + 0.8·0.04 = 0.036.
    r = ewma_chart(COUNTS, EXPOSURES)
    assert r.centre == pytest.approx(0.04)
    assert r.value[0] == pytest.approx(0.036)


def test_ewma_equal_exposures_match_montgomerys_exact_limits():
    rng = np.random.default_rng(11)
    counts = rng.poisson(8.0, size=40)
    lam, width, mu, n = 0.2, 2.7, 0.02, 400.0
    r = ewma_chart(counts, np.full(40, n), lam=lam, L=width, target=mu)
    t = np.arange(1, 41)
    sigma = math.sqrt(mu / n)
    half = width * sigma * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
    assert r.ucl == pytest.approx(mu + half)
    assert r.lcl == pytest.approx(np.maximum(mu - half, 0))
    z = mu
    for i, x in enumerate(counts / n):
        z = lam * x + (1 - lam) * z
        assert r.value[i] == pytest.approx(z)


def test_ewma_with_lambda_one_is_the_shewhart_chart_of_the_rates():
    rng = np.random.default_rng(5)
    exposures = rng.integers(50, 500, size=30)
    counts = rng.poisson(exposures * 0.03)
    e = ewma_chart(counts, exposures, lam=1.0, L=2.5)
    u = u_chart(counts, exposures, sigma=2.5)
    assert e.value == pytest.approx(u.rate)
    assert e.ucl == pytest.approx(u.ucl)
    assert e.lcl == pytest.approx(u.lcl)
    assert signals(e) == signals(u)


def test_ewma_laney_scales_the_variance():
    # With σ_z given, √V_t scales by σ_z: half-width at t = 1 (λ = 0.5, σ = 0.02) is
    # 3 · σ_z · λ · σ = 3 · 2 · 0.5 · 0.02 = 0.06 → UCL 0.10.
    r = ewma_chart([4, 6, 2, 9, 10], [100] * 5, lam=0.5, target=0.04, laney=True, sigma_z=2.0)
    assert r.ucl[0] == pytest.approx(0.10)
    assert r.sigma_z == 2.0
    assert signals(r) == []


# ----------------------------------------------------------------------------- CUSUM


def test_cusum_by_hand_with_reset():
    # target 0.04, n = 100 → σ = 0.02; c = (4, 6, 2, 9, 10, 3, 8) → u = (0.04, 0.06, 0.02,
    # 0.09, 0.10, 0.03, 0.08) → z = (0, 1, −1, 2.5, 3, −0.5, 2). k = 0.5, h = 4.
    # C⁺: max(0, 0 − 0.5) = 0; 1 − 0.5 = 0.5; −1 − 0.5 + 0.5 → 0; 2.5 − 0.5 = 2;
    #     3 − 0.5 + 2 = 4.5 > 4 → signal, restart at 0; −0.5 − 0.5 → 0; 2 − 0.5 = 1.5.
    # C⁻ (on −z): 0; −1 − 0.5 → 0; 1 − 0.5 = 0.5; −2.5 − 0.5 + 0.5 → 0; 0; 0.5 − 0.5 = 0; 0.
    r = cusum_chart([4, 6, 2, 9, 10, 3, 8], [100] * 7, target=0.04)
    assert r.method == "cusum"
    assert r.centre == 0.0
    assert r.rate_centre == 0.04
    assert r.statistic == pytest.approx([0, 1, -1, 2.5, 3, -0.5, 2])
    assert r.value == pytest.approx([0, 0.5, 0, 2, 4.5, 0, 1.5])
    assert r.value_low == pytest.approx([0, 0, -0.5, 0, 0, 0, 0])
    assert r.ucl == pytest.approx([4] * 7)
    assert r.lcl == pytest.approx([-4] * 7)
    assert signals(r) == [4]
    assert signals(r, "high") == [4]
    assert dict(r.params) == {"k": 0.5, "h": 4.0, "reset": True, "laney": False, "target": 0.04}


def test_cusum_by_hand_without_reset():
    # As above until period 4 (4.5), then without the restart: 4.5 − 0.5 − 0.5 = 3.5 (inside),
    # then 3.5 + 2 − 0.5 = 5 > 4 → signals again.
    r = cusum_chart([4, 6, 2, 9, 10, 3, 8], [100] * 7, target=0.04, reset=False)
    assert r.value == pytest.approx([0, 0.5, 0, 2, 4.5, 3.5, 5])
    assert signals(r) == [4, 6]


def test_cusum_lower_side_by_hand():
    # target 0.04, n = 100: c = (2, 0, 1, 4) → z = (−1, −2, −1.5, 0); k = 0.5, h = 2.5.
    # C⁻: 1 − 0.5 = 0.5; 2 − 0.5 + 0.5 = 2; 1.5 − 0.5 + 2 = 3 > 2.5 → low signal, restart;
    #     0 − 0.5 → 0.
    r = cusum_chart([2, 0, 1, 4], [100] * 4, target=0.04, h=2.5)
    assert r.value_low == pytest.approx([-0.5, -2, -3, 0])
    assert r.value == pytest.approx([0, 0, 0, 0])
    assert signals(r) == [2]
    assert signals(r, "low") == [2]
    assert signals(r, "high") == []


@pytest.mark.parametrize("reset", [True, False])
@pytest.mark.parametrize(("k", "h"), [(0.5, 4.0), (0.25, 2.0), (0.0, 3.0), (1.0, 1.5)])
def test_cusum_matches_the_recursion_on_random_series(reset, k, h):
    rng = np.random.default_rng(3)
    exposures = rng.integers(20, 300, size=150)
    rate = np.where(np.arange(150) < 80, 0.05, 0.07)
    counts = rng.poisson(exposures * rate)
    r = cusum_chart(counts, exposures, k=k, h=h, target=0.05, reset=reset)
    upper, lower = naive_cusum(r.statistic, k, h, reset)
    assert r.value == pytest.approx(upper, abs=1e-9)
    assert r.value_low == pytest.approx(lower, abs=1e-9)
    assert r.high.tolist() == (upper > h).tolist()
    assert r.low.tolist() == (lower < -h).tolist()


def test_cusum_laney_divides_the_z_scores_by_sigma_z():
    # σ_z = 2: z/σ_z = (0, 0.5, −0.5, 1.25, 1.5, −0.25, 1) → C⁺ = 0, 0, 0, 0.75, 1.75, 1, 1.5.
    r = cusum_chart([4, 6, 2, 9, 10, 3, 8], [100] * 7, target=0.04, laney=True, sigma_z=2.0)
    assert r.value == pytest.approx([0, 0, 0, 0.75, 1.75, 1.0, 1.5])
    assert r.statistic == pytest.approx([0, 1, -1, 2.5, 3, -0.5, 2])  # before the division
    assert signals(r) == []


# ----------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("laney", [False, True])
def test_zero_exposure_periods_are_skipped(laney):
    counts = [1, 2, 0, 3, 12, 0, 2]
    exposures = [50, 50, 0, 100, 100, 0, 200]
    kept = [0, 1, 3, 4, 6]
    charts = [
        (u_chart(counts, exposures, laney=laney), u_chart(COUNTS, EXPOSURES, laney=laney)),
        (
            ewma_chart(counts, exposures, laney=laney),
            ewma_chart(COUNTS, EXPOSURES, laney=laney),
        ),
        (
            cusum_chart(counts, exposures, h=2.0, laney=laney),
            cusum_chart(COUNTS, EXPOSURES, h=2.0, laney=laney),
        ),
    ]
    for with_gaps, without in charts:
        assert with_gaps.centre == pytest.approx(without.centre)
        assert with_gaps.sigma_z == pytest.approx(without.sigma_z)
        for name in ("rate", "value", "lcl", "ucl", "statistic"):
            values = getattr(with_gaps, name)
            assert np.isnan(values[[2, 5]]).all(), name
            assert values[kept] == pytest.approx(getattr(without, name)), name
        assert not with_gaps.signal[[2, 5]].any()
        assert with_gaps.signal[kept].tolist() == without.signal.tolist()


def test_complaints_without_exposure_are_an_error():
    with pytest.raises(ValueError, match=r"period 2 has 3 complaints but exposure 0"):
        u_chart([1, 2, 3], [10, 10, 0])


@pytest.mark.parametrize("laney", [False, True])
def test_all_zero_counts_give_a_flat_chart_without_signals(laney):
    counts, exposures = [0, 0, 0, 0], [100, 200, 50, 100]
    u = u_chart(counts, exposures, laney=laney)
    assert u.centre == 0.0
    assert u.ucl == pytest.approx([0, 0, 0, 0])
    assert u.lcl == pytest.approx([0, 0, 0, 0])
    assert u.statistic == pytest.approx([0, 0, 0, 0])
    assert u.sigma_z == (0.0 if laney else 1.0)
    e = ewma_chart(counts, exposures, laney=laney)
    assert e.value == pytest.approx([0, 0, 0, 0])
    assert e.ucl == pytest.approx([0, 0, 0, 0])
    c = cusum_chart(counts, exposures, laney=laney)
    assert c.value == pytest.approx([0, 0, 0, 0])
    for chart in (u, e, c):
        assert signals(chart) == []
    assert laney_sigma_z(counts, exposures) == 0.0


def test_all_zero_counts_against_a_target_are_below_it():
    # target 0.01, n = 10,000: σ = 0.001, LCL = 0.007 > 0 = u → every period signals low.
    r = u_chart([0, 0, 0], [10_000] * 3, target=0.01)
    assert signals(r, "low") == [0, 1, 2]
    assert signals(r, "high") == []


def test_laney_sigma_z_of_zero_against_a_target_is_an_error():
    # Equal exposures and zero counts: every z = −√(0.01 · 100) = −1, all moving ranges 0.
    with pytest.raises(ValueError, match="σ_z is 0"):
        u_chart([0, 0, 0], [100] * 3, target=0.01, laney=True)


@pytest.mark.parametrize(
    ("counts", "exposures", "message"),
    [
        ([], [], r"at least 2 periods with exposure > 0, got 0 \(of 0 periods\)"),
        ([3], [100], r"at least 2 periods with exposure > 0, got 1 \(of 1 periods\)"),
        ([3, 0, 0], [100, 0, 0], r"at least 2 periods with exposure > 0, got 1 \(of 3"),
    ],
)
@pytest.mark.parametrize("chart", [u_chart, ewma_chart, cusum_chart, laney_sigma_z])
def test_too_few_periods_is_an_error(chart, counts, exposures, message):
    with pytest.raises(ValueError, match=message):
        chart(counts, exposures)


@pytest.mark.parametrize(
    ("counts", "exposures", "message"),
    [
        ([1, -2, 3], [10, 10, 10], r"counts\[1\] is -2: counts must not be negative"),
        ([1, 2, 3], [10, 10], "got 3 counts and 2 exposures"),
        ([1, math.nan, 3], [10, 10, 10], r"counts\[1\] is nan: every period needs a finite"),
        ([1, 2, 3], [10, math.nan, 10], r"exposures\[1\] is nan"),
        ([1, 2, 3], [10, math.inf, 10], r"exposures\[1\] is inf"),
        ([1, 2, 3], [10, -5, 10], r"exposures\[1\] is -5: exposures must not be negative"),
        ([1, 2.5, 3], [10, 10, 10], r"counts\[1\] is 2.5: counts must be whole numbers"),
        ([True, False], [10, 10], "counts must be numbers"),
        (["1", "2"], [10, 10], "counts must be numbers"),
        ([1, None, 2], [10, 10, 10], "counts must be numbers"),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]], r"one-dimensional .* shape \(2, 2\)"),
    ],
)
@pytest.mark.parametrize("chart", [u_chart, ewma_chart, cusum_chart])
def test_bad_series_are_errors_with_clear_messages(chart, counts, exposures, message):
    with pytest.raises(ValueError, match=message):
        chart(counts, exposures)


@pytest.mark.parametrize(
    ("chart", "kwargs", "message"),
    [
        (u_chart, {"sigma": 0}, "sigma must be a finite number > 0"),
        (u_chart, {"sigma": math.nan}, "sigma must be a finite number > 0"),
        (u_chart, {"sigma": "3"}, "sigma must be a number"),
        (u_chart, {"target": 0}, "target must be a finite number > 0"),
        (u_chart, {"target": -0.1}, "target must be a finite number > 0"),
        (u_chart, {"sigma_z": 1.5}, "give it together with laney=True"),
        (u_chart, {"laney": True, "sigma_z": 0}, "sigma_z must be a finite number > 0"),
        (u_chart, {"laney": "yes"}, "laney must be True or False"),
        (ewma_chart, {"lam": 0}, "lam must be a finite number > 0"),
        (ewma_chart, {"lam": 1.5}, r"lam must lie in \(0, 1\]"),
        (ewma_chart, {"L": -3}, "L must be a finite number > 0"),
        (ewma_chart, {"target": math.inf}, "target must be a finite number > 0"),
        (cusum_chart, {"k": -0.5}, "k must be a finite number ≥ 0"),
        (cusum_chart, {"h": 0}, "h must be a finite number > 0"),
        (cusum_chart, {"reset": None}, "reset must be True or False"),
    ],
)
def test_bad_settings_are_errors_with_clear_messages(chart, kwargs, message):
    with pytest.raises(ValueError, match=message):
        chart(COUNTS, EXPOSURES, **kwargs)


def test_signals_rejects_an_unknown_side():
    with pytest.raises(ValueError, match="side must be 'both', 'high' or 'low'"):
        signals(u_chart(COUNTS, EXPOSURES), "up")  # type: ignore[arg-type]  # the error itself


def test_inputs_may_be_lists_integer_arrays_or_whole_floats():
    a = u_chart(COUNTS, EXPOSURES)
    b = u_chart(np.array(COUNTS, dtype=np.int32), np.array(EXPOSURES, dtype=np.uint16))
    c = u_chart(np.array(COUNTS, dtype=float), [50.0, 50.0, 100.0, 100.0, 200.0])
    for other in (b, c):
        assert other.ucl == pytest.approx(a.ucl)
        assert signals(other) == signals(a)


def test_results_are_read_only_and_serialise_to_json():
    r = cusum_chart([1, 2, 0, 3, 12, 0, 2], [50, 50, 0, 100, 100, 0, 200], h=2.0)
    with pytest.raises(ValueError, match="read-only"):
        r.value[0] = 1.0
    data = r.to_dict()
    text = json.dumps(data, allow_nan=False)  # NaN of the skipped periods became null
    assert json.loads(text)["value"][2] is None
    assert data["method"] == "cusum"
    assert data["signal"] == r.signal.tolist()
    assert r.value_low is not None
    assert data["value_low"][0] == pytest.approx(r.value_low[0])
    assert u_chart(COUNTS, EXPOSURES).to_dict()["value_low"] is None


# ----------------------------------------------------------------------------- properties


def test_laney_on_poisson_data_is_close_to_the_u_chart():
    # No over-dispersion: counts ~ Poisson(0.01 · n_i), 5–30 complaints a period. σ_z should be
    # close to 1, so the u′ limits are close to the u limits and flag (nearly) the same periods.
    # The bounds hold for ≥ 99.5 % of seeds (checked on seeds 0–999: σ_z from 0.79 to 1.18,
    # median 0.998); this seed gives σ_z = 1.03 and no signal.
    rng = np.random.default_rng(20260401)
    exposures = rng.integers(500, 3000, size=200)
    counts = rng.poisson(0.01 * exposures)
    classic = u_chart(counts, exposures)
    laney = u_chart(counts, exposures, laney=True)
    assert 0.8 < laney.sigma_z < 1.2
    assert laney.ucl == pytest.approx(classic.ucl, rel=0.2)
    differ = set(signals(classic)) ^ set(signals(laney))
    assert len(differ) <= 3
    assert len(signals(classic)) <= 4  # 0.27 % of 200 periods: 0.5 expected


def test_laney_sigma_z_is_unbiased_on_poisson_data():
    # Over 200 independent Poisson series of 104 weeks (5–30 complaints a week) the mean σ_z
    # is 1 within 4 standard errors (one series spreads by ≈ 0.09, so ≈ 0.09/√200 ≈ 0.006;
    # seeds 0–49 give means from 0.987 to 1.016).
    rng = np.random.default_rng(12)
    values = []
    for _ in range(200):
        exposures = rng.integers(500, 3000, size=104)
        values.append(laney_sigma_z(rng.poisson(0.01 * exposures), exposures))
    assert np.mean(values) == pytest.approx(1.0, abs=0.025)


def test_laney_flags_far_fewer_points_on_over_dispersed_data():
    # Negative binomial counts: the period's rate is 0.02 · G with G ~ Gamma(shape 10,
    # scale 0.1) (mean 1, variance 0.1), n = 2000 → 40 expected complaints. Variance of a count
    # = 40 + 40² · 0.1 = 200 against Poisson 40: σ_z ≈ √5 ≈ 2.24. The u-chart flags about
    # P(|N(0, 5)| > 3) ≈ 18 % of the periods, all false alarms; Laney's about 0.3 %.
    # The bounds hold for ≥ 99.9 % of seeds (seeds 0–999: σ_z 1.76–2.72, the u-chart flags at
    # least 13 of the 150 periods (median 25), Laney's at most 5 and at least 4 times fewer).
    # This seed: σ_z = 2.10, 24 periods flagged against 0.
    rng = np.random.default_rng(7)
    exposures = np.full(150, 2000)
    counts = rng.poisson(0.02 * exposures * rng.gamma(10.0, 0.1, size=150))
    classic = u_chart(counts, exposures)
    laney = u_chart(counts, exposures, laney=True)
    assert 1.7 < laney.sigma_z < 2.8
    assert len(signals(classic)) >= 12
    assert len(signals(laney)) <= 5
    assert max(len(signals(laney)), 1) * 4 <= len(signals(classic))


def test_a_step_change_is_detected_by_ewma_and_cusum():
    # 52 in-control weeks at 0.02 complaints per service with ~500 services a week
    # (10 complaints expected), then +50 % for 26 weeks: a shift of
    # 0.01/√(0.02/500) = 1.6 σ of one week. Target = the baseline's pooled rate (phase II).
    # Normal-theory ARL₁ at 1.5 σ is about 5 weeks for both charts. The bounds hold for ≥ 99 %
    # of seeds (seeds 0–999: median delay 4 weeks (EWMA) and 3 (CUSUM), 99th percentile 13 and
    # 10; a false alarm in the 52 baseline weeks in 4 % (EWMA) and 16 % (CUSUM, one-sided
    # ARL₀ 335) of the seeds, two in under 1 %). This seed: both signal in week 53, no false alarm.
    rng = np.random.default_rng(42)
    exposures = rng.integers(400, 600, size=78)
    rate = np.where(np.arange(78) < 52, 0.02, 0.03)
    counts = rng.poisson(rate * exposures)
    target = counts[:52].sum() / exposures[:52].sum()
    for chart in (
        ewma_chart(counts, exposures, target=target),
        cusum_chart(counts, exposures, target=target),
    ):
        high = np.array(signals(chart, "high"))
        after = high[high >= 52]
        assert after.size, chart.method
        assert after[0] - 52 <= 15, (chart.method, high)
        assert (high < 52).sum() <= 1, (chart.method, high)
    # The CUSUM, restarted after each signal, keeps signalling while the shift lasts.
    assert len(signals(cusum_chart(counts, exposures, target=target), "high")) >= 2


def test_charts_do_not_depend_on_the_exposure_unit():
    # Exposure in services or in hundreds of services: the rates scale, the signals do not.
    rng = np.random.default_rng(9)
    exposures = rng.integers(100, 1000, size=60).astype(float)
    counts = rng.poisson(exposures * 0.02)
    for chart in (u_chart, ewma_chart, cusum_chart):
        a = chart(counts, exposures)
        b = chart(counts, exposures / 100.0)
        assert b.rate == pytest.approx(a.rate * 100.0)
        assert b.statistic == pytest.approx(a.statistic)
        assert signals(b) == signals(a)
