"""Tests of the key-driver decompositions (manyi.metrics.drivers), without a database.

Hand computations are in the comments; the tests fail if a formula is wrong.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from manyi.metrics.drivers import (
    CONCENTRATE_HERE,
    KEEP_UP,
    LOW_PRIORITY,
    POSSIBLE_OVERKILL,
    DriverResult,
    SingularCorrelationError,
    key_drivers,
    quadrant,
    relative_weights,
    shapley_r2,
    subset_r2,
)

BOTH = [relative_weights, shapley_r2]


def r2_direct(corr, r_xy) -> float:
    """R² = r' R⁻¹ r, the squared multiple correlation."""
    corr, r_xy = np.asarray(corr, float), np.asarray(r_xy, float)
    return float(r_xy @ np.linalg.solve(corr, r_xy))


def random_problem(p: int, n: int = 400, seed: int = 7):
    """Correlations of p correlated predictors (a common factor) and an outcome."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = rng.normal(size=(n, p)) + common * rng.uniform(0.3, 1.5, size=p)
    y = x @ rng.uniform(0.0, 1.0, size=p) + rng.normal(scale=3.0, size=n)
    corr = np.asarray(np.corrcoef(np.column_stack([y, x]).T))
    return corr[1:, 1:], corr[1:, 0]


# ----------------------------------------------------------------------------- hand computed


@pytest.mark.parametrize("decompose", BOTH)
def test_uncorrelated_predictors_get_their_squared_correlation(decompose):
    # R = I: R² = 0.3² + 0.4² = 0.09 + 0.16 = 0.25. With orthogonal predictors each one adds
    # r_j² whatever the order (Shapley), and Λ = I, β = r (relative weights): weights 0.09 and
    # 0.16, i.e. 36 % and 64 %.
    result = decompose(np.eye(2), [0.3, 0.4])
    assert isinstance(result, DriverResult)
    assert result.r2 == pytest.approx(0.25)
    assert result.weights == pytest.approx([0.09, 0.16])
    assert result.percent == pytest.approx([36.0, 64.0])


@pytest.mark.parametrize("decompose", BOTH)
def test_uncorrelated_predictors_with_negative_correlation(decompose):
    # R = I, r = (−0.5, 0.1, 0.2): R² = 0.25 + 0.01 + 0.04 = 0.30; weights = r².
    result = decompose(np.eye(3), [-0.5, 0.1, 0.2])
    assert result.r2 == pytest.approx(0.30)
    assert result.weights == pytest.approx([0.25, 0.01, 0.04])
    assert result.percent == pytest.approx([250 / 3, 10 / 3, 40 / 3])


def test_two_correlated_predictors_relative_weights_by_hand():
    # Choose Λ = [[0.8, 0.6], [0.6, 0.8]]: Λ² = [[1, 0.96], [0.96, 1]] = R (ρ = 0.96), and
    # Λ is symmetric positive definite, so it is R's symmetric square root Q Δ^{1/2} Q'
    # (eigenvalues of Λ: 1.4 and 0.2; of R: 1.96 and 0.04).
    # Choose β = (0.5, 0.25): r_xy = Λ β = (0.8·0.5 + 0.6·0.25, 0.6·0.5 + 0.8·0.25) = (0.55, 0.5).
    # ε1 = 0.8²·0.5² + 0.6²·0.25² = 0.16 + 0.0225 = 0.1825
    # ε2 = 0.6²·0.5² + 0.8²·0.25² = 0.09 + 0.04   = 0.13
    # R² = β'β = 0.25 + 0.0625 = 0.3125; check with the two-predictor formula
    # R² = (r1² + r2² − 2ρ r1 r2)/(1 − ρ²) = (0.3025 + 0.25 − 0.528)/0.0784 = 0.0245/0.0784.
    result = relative_weights([[1.0, 0.96], [0.96, 1.0]], [0.55, 0.5])
    assert result.r2 == pytest.approx(0.3125)
    assert result.r2 == pytest.approx(0.0245 / 0.0784)
    assert result.weights == pytest.approx([0.1825, 0.13])
    assert result.percent == pytest.approx([58.4, 41.6])


def test_two_correlated_predictors_shapley_by_hand():
    # Same R and r_xy. Orders (1, 2) and (2, 1), each with weight 1/2:
    # φ1 = ½·R²({1}) + ½·(R²({1,2}) − R²({2})) = ½·0.3025 + ½·(0.3125 − 0.25) = 0.1825
    # φ2 = ½·R²({2}) + ½·(R²({1,2}) − R²({1})) = ½·0.25   + ½·(0.3125 − 0.3025) = 0.13
    # (for two predictors both methods agree).
    result = shapley_r2([[1.0, 0.96], [0.96, 1.0]], [0.55, 0.5])
    assert result.r2 == pytest.approx(0.3125)
    assert result.weights == pytest.approx([0.1825, 0.13])


def test_two_predictors_with_a_suppressor_shapley_by_hand():
    # ρ = 0.5, r = (0.6, 0.0): R² = (0.36 + 0 − 0)/(1 − 0.25) = 0.48.
    # φ1 = ½·0.36 + ½·(0.48 − 0) = 0.42; φ2 = ½·0 + ½·(0.48 − 0.36) = 0.06.
    # (x2 is uncorrelated with y but raises R² by suppressing x1's irrelevant variance.)
    result = shapley_r2([[1.0, 0.5], [0.5, 1.0]], [0.6, 0.0])
    assert result.r2 == pytest.approx(0.48)
    assert result.weights == pytest.approx([0.42, 0.06])
    assert relative_weights([[1.0, 0.5], [0.5, 1.0]], [0.6, 0.0]).weights == pytest.approx(
        [0.42, 0.06]
    )


# Three predictors: x1 and x3 uncorrelated, each correlated 0.5 with x2; r_xy = 0.5 for all.
CHAIN = [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
CHAIN_R = [0.5, 0.5, 0.5]


def test_three_predictors_shapley_by_hand():
    # Subset R²:  {1}, {2}, {3}: 0.25 each.
    #   {1,2}, {2,3} (ρ = 0.5): (0.25 + 0.25 − 2·0.5·0.25)/0.75 = 1/3.
    #   {1,3} (ρ = 0): 0.25 + 0.25 = 0.5.
    #   {1,2,3}: R b = r gives b = (0.5, 0, 0.5) (check: 0.5 + 0 = 0.5; 0.25 + 0 + 0.25 = 0.5),
    #            R² = r'b = 0.25 + 0 + 0.25 = 0.5.
    # Shapley weights for p = 3: |S| = 0 → 1/3, |S| = 1 → 1/6, |S| = 2 → 1/3.
    # φ2 = ⅓(0.25 − 0) + ⅙(⅓ − 0.25) + ⅙(⅓ − 0.25) + ⅓(0.5 − 0.5) = 1/12 + 1/72 + 1/72 = 1/9
    # φ1 = ⅓(0.25) + ⅙(⅓ − 0.25) + ⅙(0.5 − 0.25) + ⅓(0.5 − ⅓)
    #    = 1/12 + 1/72 + 1/24 + 1/18 = (6 + 1 + 3 + 4)/72 = 7/36 = φ3 (symmetry)
    # Sum: 14/36 + 4/36 = 0.5 = R².
    masks = subset_r2(CHAIN, CHAIN_R)
    assert masks[0] == 0.0
    assert masks[0b001] == pytest.approx(0.25)
    assert masks[0b011] == pytest.approx(1 / 3)
    assert masks[0b101] == pytest.approx(0.5)
    assert masks[0b111] == pytest.approx(0.5)
    result = shapley_r2(CHAIN, CHAIN_R)
    assert result.r2 == pytest.approx(0.5)
    assert result.weights == pytest.approx([7 / 36, 1 / 9, 7 / 36])


def test_three_predictors_relative_weights_by_hand():
    # R = CHAIN is tridiagonal: eigenvalues 1 + cos(kπ/4) = 1.707107, 1, 0.292893 with
    # eigenvectors q1 = (½, √½, ½), q2 = (√½, 0, −√½), q3 = (½, −√½, ½).
    # √λ = 1.306563, 1, 0.541196. q'r = 0.853553, 0, 0.146447 (= λ1/2, 0, λ3/2), so
    # β = Σ_k (q_k'r/√λ_k) q_k = 0.653281·q1 + 0.270598·q3 = (0.461940, 0.270598, 0.461940).
    # Λ = Σ_k √λ_k q_k q_k': Λ11 = Λ33 = 0.961940, Λ12 = Λ23 = 0.270598, Λ13 = −0.038060,
    # Λ22 = 0.923880.
    # ε1 = 0.961940²·0.461940² + 0.270598²·0.270598² + 0.038060²·0.461940²
    #    = 0.197454 + 0.005362 + 0.000309 = 0.203125 (= 13/64) = ε3
    # ε2 = 2·0.270598²·0.461940² + 0.923880²·0.270598² = 0.031250 + 0.062500 = 0.09375
    # Sum = 0.5 = R². Shapley gives (0.1944, 0.1111, 0.1944): the methods differ at p = 3.
    result = relative_weights(CHAIN, CHAIN_R)
    assert result.weights == pytest.approx([13 / 64, 0.09375, 13 / 64], abs=1e-9)
    assert result.percent == pytest.approx([40.625, 18.75, 40.625])
    assert not np.allclose(result.weights, shapley_r2(CHAIN, CHAIN_R).weights)


def test_relative_weights_follow_johnson_step_by_step():
    # Independent implementation of Johnson (2000): R = QΔQ', Λ = QΔ^{1/2}Q', β = Λ⁻¹r,
    # ε_j = Σ_k Λ_jk² β_k², with Λ² = R.
    corr, r_xy = random_problem(6)
    delta, q = np.linalg.eig(corr)
    lam = q @ np.diag(np.sqrt(delta.real)) @ q.T
    assert lam @ lam == pytest.approx(corr)
    beta = np.linalg.inv(lam) @ r_xy
    eps = np.array([sum(lam[j, k] ** 2 * beta[k] ** 2 for k in range(6)) for j in range(6)])
    result = relative_weights(corr, r_xy)
    assert result.weights == pytest.approx(eps)
    assert eps.sum() == pytest.approx(r2_direct(corr, r_xy))


def test_shapley_matches_the_average_over_all_orderings():
    # The definition itself: average over the 5! = 120 orders of each predictor's R² gain.
    corr, r_xy = random_problem(5)
    p = 5

    def r2(subset):
        idx = sorted(subset)
        if not idx:
            return 0.0
        return r2_direct(corr[np.ix_(idx, idx)], r_xy[idx])

    gains = np.zeros(p)
    orders = list(itertools.permutations(range(p)))
    for order in orders:
        entered: list[int] = []
        for j in order:
            gains[j] += r2([*entered, j]) - r2(entered)
            entered.append(j)
    assert shapley_r2(corr, r_xy).weights == pytest.approx(gains / len(orders))


# ----------------------------------------------------------------------------- properties


@pytest.mark.parametrize("decompose", BOTH)
@pytest.mark.parametrize("p", [1, 2, 5, 14])
def test_weights_sum_to_r2_and_percent_to_100(decompose, p):
    corr, r_xy = random_problem(p, seed=p)
    result = decompose(corr, r_xy)
    assert result.r2 == pytest.approx(r2_direct(corr, r_xy))
    assert result.weights.sum() == pytest.approx(result.r2)
    assert result.percent.sum() == pytest.approx(100.0)
    assert 0.0 <= result.r2 <= 1.0


def test_single_predictor_carries_everything():
    for decompose in BOTH:
        result = decompose([[1.0]], [-0.7])
        assert result.weights == pytest.approx([0.49])
        assert result.percent == pytest.approx([100.0])


def test_relative_weights_never_negative():
    for seed in range(20):
        corr, r_xy = random_problem(6, seed=seed)
        assert (relative_weights(corr, r_xy).weights >= 0).all()


@pytest.mark.parametrize("seed", range(5))
def test_relative_weights_and_shapley_agree_within_a_few_points(seed):
    corr, r_xy = random_problem(8, n=2000, seed=seed)
    rw, sh = relative_weights(corr, r_xy), shapley_r2(corr, r_xy)
    assert rw.r2 == pytest.approx(sh.r2)
    assert np.abs(rw.percent - sh.percent).max() < 5.0
    # ... and they rank the strongest driver the same way.
    assert np.argmax(rw.percent) == np.argmax(sh.percent)


@pytest.mark.parametrize("decompose", BOTH)
def test_invariant_to_predictor_order(decompose):
    corr, r_xy = random_problem(7, seed=3)
    base = decompose(corr, r_xy)
    perm = np.random.default_rng(0).permutation(7)
    permuted = decompose(corr[np.ix_(perm, perm)], r_xy[perm])
    assert permuted.weights == pytest.approx(base.weights[perm])
    assert permuted.r2 == pytest.approx(base.r2)


@pytest.mark.parametrize("decompose", BOTH)
def test_invariant_to_the_sign_of_a_predictor(decompose):
    # Reversing a scale (x → −x) flips its correlations but not its importance.
    corr, r_xy = random_problem(4, seed=5)
    flip = np.array([1.0, -1.0, 1.0, 1.0])
    result = decompose(corr * np.outer(flip, flip), r_xy * flip)
    assert result.weights == pytest.approx(decompose(corr, r_xy).weights)


def test_zero_outcome_correlations_give_zero_weights_and_nan_percent():
    for decompose in BOTH:
        result = decompose([[1.0, 0.3], [0.3, 1.0]], [0.0, 0.0])
        assert result.r2 == 0.0
        assert result.weights == pytest.approx([0.0, 0.0])
        assert np.isnan(result.percent).all()


def test_results_are_read_only():
    result = relative_weights(np.eye(2), [0.3, 0.4])
    with pytest.raises(ValueError, match="read-only"):
        result.weights[0] = 1.0


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("decompose", BOTH)
@pytest.mark.parametrize(
    ("corr", "r_xy", "message"),
    [
        ([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]], [0.1, 0.1, 0.1], "not positive"),
        ([[1.0, 1.0], [1.0, 1.0]], [0.5, 0.5], r"singular .*predictors \[0, 1\]"),
        ([[1.0, 0.2], [0.3, 1.0]], [0.1, 0.1], "symmetric"),
        ([[2.0, 0.2], [0.2, 1.0]], [0.1, 0.1], "unit diagonal"),
        ([[1.0, 0.2], [0.2, 1.0]], [0.1], "one correlation per predictor"),
        ([[1.0, 0.2], [0.2, 1.0]], [0.1, 1.5], r"\[-1, 1\]"),
        ([[1.0, 0.2], [0.2, 1.0]], [0.1, math.nan], "finite"),
        ([[1.0, 0.2, 0.1]], [0.1], "square"),
        (np.zeros((0, 0)), [], "empty"),
        (np.eye(2), [0.8, 0.8], "R² is 1.28 > 1"),
    ],
)
def test_bad_matrices_are_refused(decompose, corr, r_xy, message):
    with pytest.raises(ValueError, match=message):
        decompose(corr, r_xy)


def test_singular_error_names_the_collinear_predictors():
    # x3 = (x1 + x2)/√(2·1.0) with x1 ⟂ x2: corr(x1, x3) = corr(x2, x3) = 1/√2; x0 unrelated.
    s = 1 / math.sqrt(2)
    corr = [[1, 0, 0, 0], [0, 1, 0, s], [0, 0, 1, s], [0, s, s, 1]]
    with pytest.raises(SingularCorrelationError) as info:
        relative_weights(corr, [0.1, 0.2, 0.3, 0.1])
    assert info.value.predictors == [1, 2, 3]


def test_shapley_refuses_too_many_predictors():
    with pytest.raises(ValueError, match="at most 20"):
        shapley_r2(np.eye(21), np.full(21, 0.1))


# ----------------------------------------------------------------------------- quadrant


def test_quadrants_split_at_the_means():
    split = {"importance_split": 25.0, "performance_split": 3.5}
    assert quadrant(40.0, 3.0, **split) == CONCENTRATE_HERE
    assert quadrant(40.0, 4.0, **split) == KEEP_UP
    assert quadrant(10.0, 3.0, **split) == LOW_PRIORITY
    assert quadrant(10.0, 4.0, **split) == POSSIBLE_OVERKILL
    assert quadrant(25.0, 3.5, **split) == KEEP_UP  # on the split counts as high
    assert quadrant(math.nan, 3.5, **split) is None


# ----------------------------------------------------------------------------- data frame


def survey(n: int = 600, seed: int = 11, missing: int = 0) -> pd.DataFrame:
    """Items on 1–5 driving an overall score; item 'staff' matters most, 'parking' least."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    raw = {
        "staff": common + rng.normal(size=n),
        "speed": 0.5 * common + rng.normal(size=n),
        "price": rng.normal(size=n) + 0.5,
        "parking": rng.normal(size=n) - 0.3,
    }
    overall = 1.2 * raw["staff"] + 0.6 * raw["speed"] + 0.4 * raw["price"] + 0.05 * raw["parking"]
    overall = overall + rng.normal(scale=1.0, size=n)
    df = pd.DataFrame({k: np.clip(np.round(3 + v), 1, 5) for k, v in raw.items()})
    df["overall"] = np.clip(np.round(3 + overall / 2), 1, 5)
    df["comment"] = "x"
    if missing:
        df.loc[df.index[:missing], "speed"] = np.nan
    return df


ITEMS = ["staff", "speed", "price", "parking"]


@pytest.mark.parametrize("method", ["relative_weights", "shapley"])
def test_key_drivers_matches_the_matrix_functions(method):
    df = survey(missing=25)
    result = key_drivers(df, "overall", ITEMS, method=method, bootstrap=0)
    complete = df[["overall", *ITEMS]].dropna()
    assert (result.n, result.n_dropped) == (575, 25)
    corr = np.corrcoef(complete.to_numpy().T)
    expected = (relative_weights if method == "relative_weights" else shapley_r2)(
        corr[1:, 1:], corr[1:, 0]
    )
    table = result.table
    assert list(table.index) == ITEMS
    assert table["weight"].to_numpy() == pytest.approx(expected.weights)
    assert table["percent"].to_numpy() == pytest.approx(expected.percent)
    assert table["r"].to_numpy() == pytest.approx(corr[1:, 0])
    assert result.r2 == pytest.approx(expected.r2)
    assert table["performance"].to_numpy() == pytest.approx(complete[ITEMS].mean().to_numpy())
    assert result.reason is None
    assert result.top(1).index[0] == "staff"
    assert list(table["rank"]) == list(table["percent"].rank(ascending=False).astype(int))
    assert np.isnan(table["percent_low"]).all()  # no bootstrap, no interval


def test_key_drivers_quadrants():
    result = key_drivers(survey(), "overall", ITEMS, bootstrap=0)
    table = result.table
    assert result.importance_split == pytest.approx(25.0)
    assert result.performance_split == pytest.approx(table["performance"].mean())
    for name, row in table.iterrows():
        high_i = row["percent"] >= 25.0
        high_p = row["performance"] >= result.performance_split
        expected = {
            (True, False): CONCENTRATE_HERE,
            (True, True): KEEP_UP,
            (False, False): LOW_PRIORITY,
            (False, True): POSSIBLE_OVERKILL,
        }[(high_i, high_p)]
        assert row["quadrant"] == expected, name
    # parking: little importance, mean ≈ 2.7 below the others' → low priority.
    assert table.loc["parking", "quadrant"] == LOW_PRIORITY


@pytest.mark.parametrize("method", ["relative_weights", "shapley"])
def test_bootstrap_interval_contains_the_estimate_and_is_reproducible(method):
    df = survey()
    result = key_drivers(df, "overall", ITEMS, method=method, bootstrap=100, seed=3)
    table = result.table
    assert result.bootstrap == 100 and result.bootstrap_valid == 100
    for column in ("weight", "percent"):
        assert (table[f"{column}_low"] <= table[column]).all()
        assert (table[column] <= table[f"{column}_high"]).all()
        assert (table[f"{column}_low"] < table[f"{column}_high"]).all()
    assert result.r2_low <= result.r2 <= result.r2_high
    again = key_drivers(df, "overall", ITEMS, method=method, bootstrap=100, seed=3)
    pd.testing.assert_frame_equal(table, again.table)
    other = key_drivers(df, "overall", ITEMS, method=method, bootstrap=100, seed=4)
    assert not np.allclose(table["weight_low"], other.table["weight_low"])


def test_bootstrap_interval_narrows_with_more_responses():
    small = key_drivers(survey(n=200), "overall", ITEMS, bootstrap=100)
    large = key_drivers(survey(n=5000), "overall", ITEMS, bootstrap=100)
    width = lambda r: (r.table["percent_high"] - r.table["percent_low"]).to_numpy()  # noqa: E731
    assert (width(large) < width(small)).all()


def test_higher_confidence_gives_wider_intervals():
    df = survey()
    narrow = key_drivers(df, "overall", ITEMS, bootstrap=100, confidence=0.8)
    wide = key_drivers(df, "overall", ITEMS, bootstrap=100, confidence=0.99)
    assert (wide.table["weight_low"] <= narrow.table["weight_low"]).all()
    assert (wide.table["weight_high"] >= narrow.table["weight_high"]).all()


def test_key_drivers_with_no_usable_data_returns_nan_with_a_reason():
    empty = key_drivers(survey().iloc[:0], "overall", ITEMS)
    assert empty.n == 0 and math.isnan(empty.r2) and "0 complete responses" in str(empty.reason)
    assert empty.table["percent"].isna().all() and empty.table["quadrant"].isna().all()

    few = key_drivers(survey().iloc[:5], "overall", ITEMS)
    assert few.n == 5 and "at least 6" in str(few.reason)

    flat = survey()
    flat["price"] = 3.0
    result = key_drivers(flat, "overall", ITEMS)
    assert "no variation in ['price']" in str(result.reason)
    assert result.table["weight"].isna().all()

    collinear = survey()
    collinear["speed"] = 6 - collinear["staff"]
    result = key_drivers(collinear, "overall", ITEMS)
    reason = str(result.reason)
    assert "singular" in reason and "['staff', 'speed']" in reason


def test_key_drivers_argument_errors():
    df = survey()
    with pytest.raises(ValueError, match="not in the data frame"):
        key_drivers(df, "overall", ["staff", "nope"])
    with pytest.raises(ValueError, match="not numeric"):
        key_drivers(df, "overall", ["staff", "comment"])
    with pytest.raises(ValueError, match="cannot also be a predictor"):
        key_drivers(df, "overall", ["overall", "staff"])
    with pytest.raises(ValueError, match="distinct"):
        key_drivers(df, "overall", ["staff", "staff"])
    with pytest.raises(ValueError, match="at least one"):
        key_drivers(df, "overall", [])
    with pytest.raises(ValueError, match="list of column names"):
        key_drivers(df, "overall", "staff")
    with pytest.raises(ValueError, match="method"):
        key_drivers(df, "overall", ITEMS, method="dominance")
    with pytest.raises(ValueError, match="bootstrap"):
        key_drivers(df, "overall", ITEMS, bootstrap=-1)
    with pytest.raises(ValueError, match="confidence"):
        key_drivers(df, "overall", ITEMS, confidence=95)
    infinite = df.copy()
    infinite.loc[0, "staff"] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        key_drivers(infinite, "overall", ITEMS)


def test_key_drivers_accepts_nullable_and_boolean_columns():
    df = survey()
    df["staff"] = df["staff"].astype("Int64")
    df.loc[0, "staff"] = pd.NA
    df["satisfied"] = df["overall"] >= 4
    result = key_drivers(df, "satisfied", ITEMS, bootstrap=0)
    assert result.n == 599 and result.reason is None
    assert result.table["weight"].sum() == pytest.approx(result.r2)


def test_bootstrap_moments_equal_those_of_the_explicit_resample():
    # The weighted Gram matrix must give exactly the correlations of the resampled rows.
    from manyi.metrics.drivers import _Bootstrap

    rng = np.random.default_rng(5)
    x = rng.normal(size=(50, 4)) + rng.normal(size=(50, 1))
    centred = x - x.mean(axis=0)
    idx = rng.integers(0, 50, size=50)
    counts = np.bincount(idx, minlength=50)
    assert _Bootstrap(centred).correlation(counts) == pytest.approx(np.corrcoef(x[idx].T))


def test_bootstrap_skips_resamples_without_variation():
    # x takes the value 2 once in 8 rows: a resample misses it with probability
    # (7/8)^8 ≈ 0.34, leaves x constant, and must be skipped, not crash or give NaN bounds.
    df = pd.DataFrame(
        {
            "x": [1, 1, 1, 1, 1, 1, 1, 2],
            "z": [1, 2, 3, 4, 1, 2, 3, 4],
            "y": [1, 2, 2, 3, 1, 3, 2, 5],
        }
    )
    result = key_drivers(df, "y", ["x", "z"], bootstrap=200, seed=1)
    assert result.reason is None
    assert 100 < result.bootstrap_valid < 170
    assert not result.table[["weight_low", "weight_high"]].isna().any().any()
