"""Tests of the customer-value models (manyi.metrics.value) and RFM (manyi.metrics.rfm).

No database. Published checks use the CDNOW sample in ``data/`` (see data/SOURCE.txt): the
BG/NBD fit of Fader, Hardie & Lee (2005) and the Gamma-Gamma fit of Fader & Hardie (2013).
Hand computations are in the comments.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from manyi.metrics.rfm import (
    AT_RISK,
    CANT_LOSE,
    CHAMPIONS,
    LOST,
    NEW,
    SEGMENT_GRID,
    SEGMENTS,
    quantile_scores,
    rfm_segments,
    segment_of,
)
from manyi.metrics.value import (
    BgNbdFit,
    BgNbdParams,
    GammaGammaParams,
    bgnbd_expected,
    bgnbd_expected_new_customer,
    bgnbd_fit,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_simulate,
    compress_summary,
    expected_value,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
    gamma_gamma_log_likelihood,
    lifetime_value_worksheet,
    summary_from_transactions,
)

DATA = Path(__file__).parent / "data"
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee 2005
CDNOW_LL = -9582.4
CDNOW_GG = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader & Hardie (2013), γ written v here
CDNOW_PARAMS = BgNbdParams(**CDNOW_BGNBD)
UNIT = BgNbdParams(r=1.0, alpha=1.0, a=1.0, b=1.0)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_summary.csv")


def three_sig(value: float) -> str:
    return f"{value:.3g}"


def hyp2f1_series(a: float, b: float, c: float, z: float, terms: int = 5000) -> float:
    """The Gauss series Σ (a)_k (b)_k / ((c)_k k!) z^k, summed directly (|z| < 1)."""
    total, term = 1.0, 1.0
    for k in range(terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
    return total


def expected_direct(params: BgNbdParams, t, x, tx, T):
    """Eq. 10 of Fader, Hardie & Lee (2005) as printed (no Euler transformation)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1_series(
        r + x, b + x, a + b + x - 1, z
    )
    value = (a + b + x - 1) / (a - 1) * bracket
    if x > 0:
        value /= 1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return value


# ------------------------------------------------------------------------------ worksheet


def test_worksheet_multiplies_spend_visits_and_years():
    # ¥800 a visit × 3 visits a year × 6 years = ¥14,400 (DOMAIN.md §1).
    assert lifetime_value_worksheet(800, 3, 6) == 14400.0
    assert isinstance(lifetime_value_worksheet(800.0, 3.0, 6.0), float)


def test_worksheet_is_vectorised_and_broadcasts():
    # [100, 250] × 4 × [1, 2] = [400, 2000]; a zero anywhere gives 0.
    assert lifetime_value_worksheet([100, 250], 4, [1, 2]).tolist() == [400.0, 2000.0]
    values = lifetime_value_worksheet(np.array([120.0, 0.0]), np.array([2.5, 9.0]), 10)
    assert values.tolist() == [3000.0, 0.0]


@pytest.mark.parametrize(
    "args, message",
    [
        ((-1, 3, 6), "average_spend must not be negative"),
        ((800, math.nan, 6), "visits_per_year contains NaN"),
        ((800, 3, [1, 2, 3]), None),
        ((800, 3, "six"), "years_retained must be numeric"),
    ],
)
def test_worksheet_rejects_bad_input(args, message):
    if message is None:  # broadcasting a scalar is fine
        assert lifetime_value_worksheet(*args).tolist() == [2400.0, 4800.0, 7200.0]
        return
    with pytest.raises(ValueError, match=message):
        lifetime_value_worksheet(*args)


def test_worksheet_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match="broadcast"):
        lifetime_value_worksheet([1, 2], [1, 2, 3], 1)


# ------------------------------------------------------------------------ BG/NBD by hand


def test_log_likelihood_without_repeat_purchase_is_the_chance_of_no_visit():
    # x = 0: L = (α/(α+T))^r. r = 1, α = 1, T = 1: ½. r = 2, α = 3, T = 1: (3/4)² = 9/16.
    assert bgnbd_log_likelihood(UNIT, 0, 0, 1)[()] == pytest.approx(math.log(0.5))
    params = BgNbdParams(r=2.0, alpha=3.0, a=0.5, b=7.0)
    assert bgnbd_log_likelihood(params, 0, 0, 1)[()] == pytest.approx(math.log(9 / 16))


def test_log_likelihood_of_one_repeat_purchase_by_hand():
    # r = α = a = b = 1, x = 1, t_x = 1, T = 3 (eq. 6):
    # alive:   B(1,2)/B(1,1) · Γ(2)·1/(Γ(1)·(1+3)²) = ½ · 1/16 = 1/32
    # dropped: B(2,1)/B(1,1) · Γ(2)·1/(Γ(1)·(1+1)²) = ½ · 1/4  = 4/32
    # L = 5/32.
    assert bgnbd_log_likelihood(UNIT, 1, 1, 3)[()] == pytest.approx(math.log(5 / 32))


def test_p_alive_is_one_without_repeat_purchase():
    # In the BG/NBD a customer can only drop out right after a repeat purchase.
    p = bgnbd_p_alive(CDNOW_PARAMS, [0, 0, 0], [0, 0, 0], [0.5, 39, 1000])
    assert p.tolist() == [1.0, 1.0, 1.0]


def test_p_alive_by_hand():
    # r = α = a = b = 1, x = 1, t_x = 1, T = 3: 1/(1 + 1/1 · (4/2)²) = 1/5 — the "alive" share
    # of the likelihood above, (1/32)/(5/32).
    assert bgnbd_p_alive(UNIT, 1, 1, 3)[()] == pytest.approx(0.2)
    # Bought at the very end (t_x = T): 1/(1 + a/(b+x−1)) = (b+x−1)/(a+b+x−1);
    # CDNOW, x = 3: (2.426 + 2)/(0.793 + 2.426 + 2) = 4.426/5.219.
    assert bgnbd_p_alive(CDNOW_PARAMS, 3, 20, 20)[()] == pytest.approx(4.426 / 5.219)


def test_p_alive_falls_with_time_since_last_purchase():
    p = bgnbd_p_alive(CDNOW_PARAMS, 4, [38, 30, 20, 10, 1], 39)
    assert (np.diff(p) < 0).all()
    assert 0 < p.min() < p.max() < 1


def test_expected_transactions_of_a_new_customer_by_hand():
    # r = 1, α = 1, a = 2, b = 1, t = 1 (eq. 9): (a+b−1)/(a−1) = 2, (α/(α+t))^r = ½,
    # z = ½, ₂F₁(1, 1; 2; z) = −ln(1−z)/z = 2 ln 2, so E[X(1)] = 2·(1 − ½·2 ln 2) = 2(1 − ln 2).
    params = BgNbdParams(r=1.0, alpha=1.0, a=2.0, b=1.0)
    assert bgnbd_expected_new_customer(params, 1.0)[()] == pytest.approx(2 * (1 - math.log(2)))


def test_expected_is_zero_at_horizon_zero_and_new_customer_is_zero_history():
    assert bgnbd_expected_new_customer(CDNOW_PARAMS, 0.0)[()] == 0.0
    assert bgnbd_expected(CDNOW_PARAMS, 0.0, 3, 10, 20)[()] == 0.0
    t = np.array([1.0, 13.0, 39.0, 78.0])
    assert bgnbd_expected(CDNOW_PARAMS, t, 0, 0, 0) == pytest.approx(
        bgnbd_expected_new_customer(CDNOW_PARAMS, t), rel=1e-12
    )


@pytest.mark.parametrize(
    "x, tx, T, t",
    [
        (2, 30.43, 38.86, 39),
        (0, 0, 38.86, 39),
        (29, 38.43, 38.86, 39),
        (7, 35, 38, 1),
        (1, 2, 3, 52),
    ],
)
def test_expected_matches_the_printed_formula(x, tx, T, t):
    # Eq. 10 with the hypergeometric series summed directly, against the Euler-transformed
    # form with scipy's hyp2f1 used by the library.
    assert bgnbd_expected(CDNOW_PARAMS, t, x, tx, T)[()] == pytest.approx(
        expected_direct(CDNOW_PARAMS, t, x, tx, T), rel=1e-10
    )


def test_expected_without_drop_out_is_the_posterior_poisson_mean():
    # p → 0 (b huge): always alive, λ | x, T ~ Gamma(r + x, α + T), so
    # E[Y(t)] = t (r + x)/(α + T); for a new customer r t/α.
    params = BgNbdParams(r=0.5, alpha=2.0, a=1.5, b=1e9)
    assert bgnbd_expected(params, 10.0, 4, 6.0, 8.0)[()] == pytest.approx(10 * 4.5 / 10, 1e-6)
    assert bgnbd_expected_new_customer(params, 10.0)[()] == pytest.approx(10 * 0.5 / 2, 1e-6)


def test_expected_handles_a_equal_to_one():
    # a = 1 is a removable singularity of the closed form; the value is continuous there.
    near = [BgNbdParams(r=0.5, alpha=3.0, a=1.0 + d, b=2.0) for d in (-1e-4, 0.0, 1e-4)]
    values = [bgnbd_expected(p, 20.0, 3, 10.0, 15.0)[()] for p in near]
    assert values[1] == pytest.approx((values[0] + values[2]) / 2, rel=1e-5)


def test_expected_broadcasts_horizons_and_customers():
    values = bgnbd_expected(CDNOW_PARAMS, np.array([[13.0], [39.0]]), [0, 2, 5], [0, 30, 35], 39)
    assert values.shape == (2, 3)
    assert (values[1] > values[0]).all()


def test_simulation_mean_matches_expected_transactions_of_new_customers():
    # E[X(T)] (eq. 9) against the mean of 200,000 simulated customers (fixed seed); the
    # tolerance is 4 standard errors.
    T = np.full(200_000, 39.0)
    x, tx = bgnbd_simulate(CDNOW_PARAMS, T, seed=11)
    se = x.std() / math.sqrt(x.size)
    assert abs(x.mean() - bgnbd_expected_new_customer(CDNOW_PARAMS, 39.0)[()]) < 4 * se
    assert (tx <= T).all() and (tx[x == 0] == 0).all() and (tx[x > 0] > 0).all()


def test_conditional_expectation_averages_to_the_unconditional_increase():
    # Law of total expectation: over histories simulated up to T, the mean of E[Y(t) | history]
    # is E[X(T + t)] − E[X(T)] (eq. 9) — an independent check of eq. 10.
    T = np.full(200_000, 26.0)
    x, tx = bgnbd_simulate(CDNOW_PARAMS, T, seed=12)
    conditional = bgnbd_expected(CDNOW_PARAMS, 13.0, x, tx, T)
    new = bgnbd_expected_new_customer(CDNOW_PARAMS, [26.0, 39.0])
    se = conditional.std() / math.sqrt(conditional.size)
    assert abs(conditional.mean() - (new[1] - new[0])) < 4 * se


@pytest.mark.parametrize(
    "frequency, recency, T, message",
    [
        ([1.5], [1], [2], "whole numbers"),
        ([-1], [0], [2], "frequency must not be negative"),
        ([1], [3], [2], "recency cannot exceed T"),
        ([0], [1], [2], "recency must be 0"),
        ([1], [math.nan], [2], "recency contains NaN"),
        ([1, 2], [1], [2], "same length"),
        (["a"], [1], [2], "frequency must be numeric"),
    ],
)
def test_bgnbd_rejects_bad_customers(frequency, recency, T, message):
    with pytest.raises(ValueError, match=message):
        bgnbd_fit(frequency, recency, T)


def test_bgnbd_parameters_must_be_positive():
    with pytest.raises(ValueError, match="parameter b"):
        BgNbdParams(r=1.0, alpha=1.0, a=1.0, b=0.0)
    with pytest.raises(ValueError, match="BgNbdParams or BgNbdFit"):
        bgnbd_p_alive((1, 1, 1, 1), 0, 0, 1)


def test_bgnbd_fit_needs_a_repeat_purchase():
    with pytest.raises(ValueError, match="no customer has a repeat transaction"):
        bgnbd_fit([0, 0], [0, 0], [5, 6])
    with pytest.raises(ValueError, match="no customers"):
        bgnbd_fit([], [], [])
    with pytest.raises(ValueError, match="penalizer"):
        bgnbd_fit([1], [1], [2], penalizer=-1.0)


# ------------------------------------------------------------------- BG/NBD on CDNOW data


def test_bgnbd_reproduces_the_published_cdnow_fit(cdnow):
    # Fader, Hardie & Lee (2005), 2,357 customers, 39-week calibration period:
    # r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
    fit = bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert isinstance(fit, BgNbdFit)
    assert fit.converged
    assert fit.n_customers == 2357
    for name, published in CDNOW_BGNBD.items():
        assert three_sig(getattr(fit.params, name)) == three_sig(published), name
    assert fit.log_likelihood == pytest.approx(CDNOW_LL, abs=0.1)
    assert fit.n_rows < 2357  # identical rows were collapsed


def test_bgnbd_log_likelihood_sums_to_the_fit(cdnow):
    fit = bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    per_customer = bgnbd_log_likelihood(fit, cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert per_customer.sum() == pytest.approx(fit.log_likelihood, rel=1e-12)


def test_weights_give_the_same_fit_as_repeated_rows(cdnow):
    x, tx, T, w = compress_summary(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert w.sum() == 2357 and len(x) < 2357
    weighted = bgnbd_fit(x, tx, T, weights=w)
    plain = bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    for name in CDNOW_BGNBD:
        assert getattr(weighted.params, name) == pytest.approx(getattr(plain.params, name), 1e-6)
    # A row with weight 2 counts as two customers.
    doubled = bgnbd_fit(x, tx, T, weights=2 * w)
    assert doubled.n_customers == 4714
    assert doubled.log_likelihood == pytest.approx(2 * plain.log_likelihood, rel=1e-9)


def test_penalizer_shrinks_the_parameters(cdnow):
    plain = bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    shrunk = bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"], penalizer=0.01)

    def size(p):
        return p.r**2 + p.alpha**2 + p.a**2 + p.b**2

    assert size(shrunk.params) < size(plain.params)
    assert shrunk.log_likelihood < plain.log_likelihood


def test_cdnow_predictions_for_the_first_customer():
    # The sample's first customer (x = 2, t_x = 30.43, T = 38.86): expected transactions in
    # the next 39 weeks and P(alive) at the published parameters, against the printed formula.
    assert bgnbd_expected(CDNOW_PARAMS, 39, 2, 30.43, 38.86)[()] == pytest.approx(
        expected_direct(CDNOW_PARAMS, 39, 2, 30.43, 38.86), rel=1e-10
    )
    assert bgnbd_expected(CDNOW_PARAMS, 39, 2, 30.43, 38.86)[()] == pytest.approx(1.226, abs=5e-4)
    # P(alive) = 1/(1 + 0.793/3.426 · (43.274/34.844)^2.243)
    expected = 1 / (1 + 0.793 / 3.426 * (43.274 / 34.844) ** 2.243)
    assert bgnbd_p_alive(CDNOW_PARAMS, 2, 30.43, 38.86)[()] == pytest.approx(expected)


def test_fit_recovers_simulated_parameters():
    # 40,000 customers with 27–39 weeks of history simulated from the CDNOW parameters (fixed
    # seed); the estimates land within 12 % (the mean visit rate r/α within 5 %).
    rng = np.random.default_rng(2026)
    T = rng.uniform(27.0, 39.0, 40_000).round(2)
    x, tx = bgnbd_simulate(CDNOW_PARAMS, T, seed=rng)
    fit = bgnbd_fit(x, tx, T)
    assert fit.converged
    for name, true in CDNOW_BGNBD.items():
        assert getattr(fit.params, name) == pytest.approx(true, rel=0.12), name
    assert fit.params.r / fit.params.alpha == pytest.approx(0.243 / 4.414, rel=0.05)


def test_fit_reports_divergence_as_not_converged():
    # Everybody bought every week up to the end: no sign of drop-out, the drop-out
    # probability runs off to 0 and the fit says so rather than returning garbage silently.
    fit = bgnbd_fit(np.full(50, 20.0), np.full(50, 20.0), np.full(50, 20.0))
    assert not fit.converged


# ----------------------------------------------------------------------------- Gamma-Gamma


def test_gamma_gamma_density_by_hand():
    # p = q = v = 1, x = 1, z̄ = 1: Γ(2)/(Γ(1)Γ(1)) · 1 · 1 · 1/(1+1)² = ¼.
    one = GammaGammaParams(p=1.0, q=1.0, v=1.0)
    assert gamma_gamma_log_likelihood(one, [1], [1.0])[0] == pytest.approx(math.log(0.25))
    # p = 1, q = 2, v = 4, x = 2, z̄ = 3: Γ(4)/(Γ(2)Γ(2)) = 6, v^q = 16, z̄^(px−1) = 3,
    # x^(px) = 4, (v + x z̄)^(px+q) = 10⁴: f = 6·16·3·4/10⁴ = 0.1152.
    params = GammaGammaParams(p=1.0, q=2.0, v=4.0)
    assert gamma_gamma_log_likelihood(params, [2], [3.0])[0] == pytest.approx(math.log(0.1152))


@pytest.mark.parametrize("x", [1, 3, 10])
def test_gamma_gamma_density_integrates_to_one(x):
    params = GammaGammaParams(p=6.25, q=3.74, v=15.44)

    def density(z: float) -> float:
        return math.exp(gamma_gamma_log_likelihood(params, [x], [z])[0])

    total, _ = integrate.quad(density, 0, np.inf, limit=200)
    assert total == pytest.approx(1.0, abs=1e-7)


def test_expected_spend_shrinks_towards_the_population_mean():
    # p = 6, q = 4, v = 15: population mean p v/(q−1) = 30. x = 2, z̄ = 45:
    # 6 (15 + 90)/(12 + 3) = 42 = (3/15)·30 + (12/15)·45.
    params = GammaGammaParams(p=6.0, q=4.0, v=15.0)
    assert params.mean_spend == 30.0
    assert gamma_gamma_expected_spend(params, [2, 0], [45.0, 0.0]).tolist() == pytest.approx(
        [42.0, 30.0]
    )
    # More repeat transactions, more weight on the customer's own mean.
    spend = gamma_gamma_expected_spend(params, [1, 5, 50], 45.0)
    assert (np.diff(spend) > 0).all() and spend[-1] < 45.0


def test_expected_spend_needs_q_above_one():
    with pytest.raises(ValueError, match="q > 1"):
        gamma_gamma_expected_spend(GammaGammaParams(p=1.0, q=0.9, v=1.0), [1], [10.0])
    assert GammaGammaParams(p=1.0, q=0.9, v=1.0).mean_spend == math.inf


def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow):
    # Fader & Hardie (2013): 946 customers with x ≥ 1, p = 6.25, q = 3.74, γ = 15.44;
    # correlation of x and z̄ 0.11.
    fit = gamma_gamma_fit(cdnow["x"], cdnow["zbar"])
    assert fit.converged
    assert fit.n_customers == 946
    for name, published in CDNOW_GG.items():
        assert three_sig(getattr(fit.params, name)) == three_sig(published), name
    assert fit.frequency_spend_correlation == pytest.approx(0.11, abs=0.005)
    used = cdnow["x"] >= 1
    assert gamma_gamma_log_likelihood(fit, cdnow["x"], cdnow["zbar"]).sum() == pytest.approx(
        fit.log_likelihood
    )
    assert used.sum() == 946


def test_gamma_gamma_recovers_simulated_parameters():
    # 40,000 repeat customers (fixed seed) from the CDNOW parameters: p and v are strongly
    # correlated in this model, q and the mean spend p v/(q − 1) are well determined.
    rng = np.random.default_rng(7)
    n = 40_000
    x = rng.integers(1, 10, n)
    nu = rng.gamma(3.74, 1 / 15.44, n)
    zbar = rng.gamma(6.25 * x, 1 / (nu * x))  # mean of x Gamma(p, ν) draws
    fit = gamma_gamma_fit(x, zbar)
    assert fit.converged
    assert fit.params.p == pytest.approx(6.25, rel=0.15)
    assert fit.params.v == pytest.approx(15.44, rel=0.15)
    assert fit.params.q == pytest.approx(3.74, rel=0.05)
    assert fit.params.mean_spend == pytest.approx(6.25 * 15.44 / 2.74, rel=0.03)


def test_gamma_gamma_rejects_bad_input():
    with pytest.raises(ValueError, match="must be positive"):
        gamma_gamma_fit([1, 2], [10.0, 0.0])
    with pytest.raises(ValueError, match="no customer has a repeat"):
        gamma_gamma_fit([0, 0], [0.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        gamma_gamma_fit([1, 2], [10.0])


def test_gamma_gamma_ignores_customers_without_repeat_purchase(cdnow):
    with_zero = gamma_gamma_fit(cdnow["x"], cdnow["zbar"])
    used = cdnow["x"] >= 1
    only = gamma_gamma_fit(cdnow["x"][used], cdnow["zbar"][used])
    assert with_zero.params == only.params


# ---------------------------------------------------------------------------- expected value


def test_expected_value_is_transactions_times_spend():
    gg = GammaGammaParams(p=6.0, q=4.0, v=15.0)
    value = expected_value(CDNOW_PARAMS, gg, 52, [2, 0], [30.43, 0], [38.86, 38.86], [45.0, 0])
    transactions = bgnbd_expected(CDNOW_PARAMS, 52, [2, 0], [30.43, 0], 38.86)
    spend = gamma_gamma_expected_spend(gg, [2, 0], [45.0, 0])
    assert value == pytest.approx(transactions * spend, rel=1e-12)


def test_expected_value_discounts_each_period():
    # Horizon 10 in steps of 4: s = 4, 8, 10; value = E[Z]·Σ ΔE_k/(1+d)^k.
    gg = GammaGammaParams(p=6.0, q=4.0, v=15.0)
    d = 0.1
    e = bgnbd_expected(CDNOW_PARAMS, np.array([4.0, 8.0, 10.0]), 3, 12.0, 20.0)
    spend = gamma_gamma_expected_spend(gg, 3, 40.0)[()]
    hand = spend * (e[0] / 1.1 + (e[1] - e[0]) / 1.1**2 + (e[2] - e[1]) / 1.1**3)
    value = expected_value(CDNOW_PARAMS, gg, 10, 3, 12.0, 20.0, 40.0, discount_rate=d, period=4)
    assert value[()] == pytest.approx(hand, rel=1e-12)
    undiscounted = expected_value(CDNOW_PARAMS, gg, 10, 3, 12.0, 20.0, 40.0)
    assert value[()] < undiscounted[()]
    # One step covering the horizon: the whole expectation discounted once.
    single = expected_value(CDNOW_PARAMS, gg, 10, 3, 12.0, 20.0, 40.0, discount_rate=d, period=10)
    assert single[()] == pytest.approx(undiscounted[()] / 1.1, rel=1e-12)


def test_expected_value_rejects_bad_rates():
    gg = GammaGammaParams(p=6.0, q=4.0, v=15.0)
    with pytest.raises(ValueError, match="discount_rate"):
        expected_value(CDNOW_PARAMS, gg, 10, 3, 12.0, 20.0, 40.0, discount_rate=-0.1)
    with pytest.raises(ValueError, match="period"):
        expected_value(CDNOW_PARAMS, gg, 10, 3, 12.0, 20.0, 40.0, discount_rate=0.1, period=0)


# ---------------------------------------------------------------- summary from transactions


def test_summary_by_hand():
    # Customer "a": 1 Jan ¥10 and ¥5 (one day: ¥15), 4 Jan ¥20, 8 Jan ¥40; end 10 Jan.
    #   x = 3 days − 1 = 2, t_x = 7 days, T = 9 days, monetary = (20 + 40)/2 = 30,
    #   days since last = 2.
    # Customer "b": one purchase on 9 Jan: x = 0, t_x = 0, T = 1, monetary 0.
    # Customer "c": first purchase on 11 Jan, after the end: absent. "a" on 12 Jan: ignored.
    ids = ["a", "a", "b", "a", "a", "c", "a"]
    dates = [
        "2026-01-01 09:00",
        "2026-01-01 18:30",
        "2026-01-09 12:00",
        "2026-01-04 10:00",
        "2026-01-08 23:59",
        "2026-01-11 08:00",
        "2026-01-12 08:00",
    ]
    amounts = [10.0, 5.0, 99.0, 20.0, 40.0, 7.0, 1000.0]
    out = summary_from_transactions(ids, dates, amounts, observation_end="2026-01-10")
    assert out.index.tolist() == ["a", "b"]
    assert out.loc["a"].tolist() == [2, 7.0, 9.0, 30.0, 2]
    assert out.loc["b"].tolist() == [0, 0.0, 1.0, 0.0, 1]
    assert list(out.columns) == ["frequency", "recency", "T", "monetary", "days_since_last"]
    weeks = summary_from_transactions(ids, dates, amounts, observation_end="2026-01-10", period="W")
    assert weeks.loc["a", "recency"] == pytest.approx(1.0)
    assert weeks.loc["a", "T"] == pytest.approx(9 / 7)
    halves = summary_from_transactions(ids, dates, amounts, observation_end="2026-01-10", period=2)
    assert halves.loc["a", "T"] == pytest.approx(4.5)


def test_summary_takes_aware_dates_in_their_own_time_zone():
    # 23:30 in Shanghai on 1 Jan is 15:30 UTC: still 1 Jan locally.
    dates = pd.to_datetime(["2026-01-01 23:30", "2026-01-03 00:10"]).tz_localize("Asia/Shanghai")
    out = summary_from_transactions([1, 1], dates, [5, 6], observation_end="2026-01-05")
    assert out.loc[1].tolist() == [1, 2.0, 4.0, 6.0, 2]


def test_summary_reproduces_the_published_cdnow_summary(cdnow):
    # Fader & Hardie's calibration summary (t_x, T in weeks to 2 decimals, z̄ to the cent)
    # from the raw CDNOW sample transactions up to 1997-09-30.
    log = pd.read_csv(DATA / "cdnow_calibration_transactions.csv", dtype={"date": str})
    out = summary_from_transactions(
        log["customer"],
        pd.to_datetime(log["date"], format="%Y%m%d"),
        log["amount"],
        observation_end="1997-09-30",
        period="W",
    )
    assert out.index.tolist() == list(range(1, 2358))
    assert (out["frequency"].to_numpy() == cdnow["x"].to_numpy()).all()
    assert np.abs(out["recency"].to_numpy() - cdnow["t_x"].to_numpy()).max() <= 0.005 + 1e-9
    assert np.abs(out["T"].to_numpy() - cdnow["T"].to_numpy()).max() <= 0.005 + 1e-9
    assert np.abs(out["monetary"].to_numpy() - cdnow["zbar"].to_numpy()).max() <= 0.005 + 1e-9


def test_summary_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        summary_from_transactions([1, 2], ["2026-01-01"], [1.0], observation_end="2026-01-02")
    with pytest.raises(ValueError, match="amounts contains NaN"):
        summary_from_transactions([1], ["2026-01-01"], [math.nan], observation_end="2026-01-02")
    with pytest.raises(ValueError, match="period"):
        summary_from_transactions(
            [1], ["2026-01-01"], [1.0], observation_end="2026-01-02", period="M"
        )
    with pytest.raises(ValueError, match="missing"):
        summary_from_transactions([1], [None], [1.0], observation_end="2026-01-02")


# ------------------------------------------------------------------------------------ RFM


def test_quantile_scores_without_ties_are_equal_groups():
    # 10 distinct values, 5 bins: two customers per score, as qcut of the ranks.
    values = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 10.0, 4.0, 8.0, 6.0])
    scores = quantile_scores(values)
    assert scores.tolist() == [3, 1, 5, 2, 4, 1, 5, 2, 4, 3]
    ranks = pd.Series(values).rank(method="first")
    assert scores.tolist() == pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int).tolist()


def test_quantile_scores_keep_ties_together():
    # Six customers with 0, then 1, 2, 3, 4: the zeros all score 1 + ⌊5·0/10⌋ = 1; value 1 has
    # 6 below: 1 + ⌊30/10⌋ = 4; 2: 1 + ⌊35/10⌋ = 4; 3: 1 + ⌊40/10⌋ = 5; 4: 1 + ⌊45/10⌋ = 5.
    scores = quantile_scores([0, 0, 0, 0, 0, 0, 1, 2, 3, 4])
    assert scores.tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # Smaller is better (recency): the 6 tied largest values score 1.
    reverse = quantile_scores([9, 9, 9, 9, 9, 9, 4, 3, 2, 1], higher_is_better=False)
    assert reverse.tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


def test_segment_grid_covers_every_cell_with_named_segments():
    cells = {name for row in SEGMENT_GRID for name in row}
    assert cells == set(SEGMENTS)
    assert segment_of([5, 1, 1, 5, 2], [5, 1, 5, 1, 3]).tolist() == [
        CHAMPIONS,
        LOST,
        CANT_LOSE,
        NEW,
        AT_RISK,
    ]
    # Ten bins map onto the grid's quintiles: (10, 10) → (5, 5), (1, 2) → (1, 1).
    assert segment_of([10, 1], [10, 2], bins=10).tolist() == [CHAMPIONS, LOST]


def test_rfm_segments_of_constructed_customers():
    # Five customers, one per quintile on each measure (n = 5: score = 1 + number worse):
    #   0: bought 1 day ago, 20 times, ¥5,000 → R5 F4 M5 champions
    #   1: 400 days ago, 25 times, ¥4,000     → R2 F5 M4 can't lose
    #   2: 2 days ago, once, ¥50              → R4 F1 M2 promising
    #   3: 500 days ago, twice, ¥10           → R1 F2 M1 hibernating
    #   4: 30 days ago, 5 times, ¥300         → R3 F3 M3 need attention
    recency = [1, 400, 2, 500, 30]
    frequency = [20, 25, 1, 2, 5]
    monetary = [5000.0, 4000.0, 50.0, 10.0, 300.0]
    result = rfm_segments(recency, frequency, monetary)
    assert result.r.tolist() == [5, 2, 4, 1, 3]
    assert result.f.tolist() == [4, 5, 1, 2, 3]
    assert result.m.tolist() == [5, 4, 2, 1, 3]
    assert result.segment.tolist() == [
        CHAMPIONS,  # R5 F4
        CANT_LOSE,  # R2 F5
        "promising",  # R4 F1
        "hibernating",  # R1 F2
        "need attention",  # R3 F3
    ]
    assert result.code.tolist() == ["545", "254", "412", "121", "333"]
    with pytest.raises(ValueError):
        result.r[0] = 1  # read-only


def test_rfm_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        rfm_segments([1, 2], [1], [1.0])
    with pytest.raises(ValueError, match="recency_days must not be negative"):
        rfm_segments([-1], [1], [1.0])
    with pytest.raises(ValueError, match="bins"):
        rfm_segments([1], [1], [1.0], bins=1)
    with pytest.raises(ValueError, match="NaN"):
        rfm_segments([1], [1], [math.nan])


def test_rfm_of_an_empty_population_is_empty():
    result = rfm_segments([], [], [])
    assert result.r.size == result.segment.size == 0


def test_hyp2f1_series_helper_agrees_with_scipy():
    # The helper used above as an independent reference.
    assert hyp2f1_series(1.0, 1.0, 2.0, 0.5) == pytest.approx(2 * math.log(2))
    assert hyp2f1_series(2.2, 3.4, 4.1, 0.6) == pytest.approx(special.hyp2f1(2.2, 3.4, 4.1, 0.6))
