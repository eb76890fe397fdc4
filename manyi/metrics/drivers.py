"""Key-driver analysis: how much of an outcome's explained variance (R²) each predictor carries.

Two decompositions of the R² of a linear regression of an outcome (overall satisfaction) on
correlated predictors (the service items), both computed from correlations only:

- `relative_weights` — Johnson's relative weights (Johnson 2000), from an orthogonal
  counterpart of the predictors;
- `shapley_r2` — the LMG / Shapley value decomposition (Lindeman, Merenda & Gold 1980; Grömping
  2006): each predictor's increase in R² when it is added to the model, averaged over every
  order of entry.

Both return a `DriverResult` whose raw weights sum to R² (the `percent` sum to 100). They
usually agree within a few percentage points; for two predictors they coincide.

`key_drivers` is the data-frame front end for raw answers: listwise deletion, correlations,
either decomposition, percentile bootstrap confidence intervals per predictor, and each
predictor's mean (its "performance") for an importance–performance quadrant (Martilla & James
1977).

Input rules (both decompositions): ``corr`` is a p × p correlation matrix (square, symmetric,
unit diagonal, entries in [−1, 1], finite) that must be positive definite — a non-PSD matrix
(e.g. assembled from pairwise-complete correlations) or a singular one (collinear predictors)
raises ValueError; ``r_xy`` holds the p predictor–outcome correlations and must be consistent
with ``corr`` (implied R² ≤ 1). If every r_xy is 0, R² = 0, all weights are 0 and the percent
shares are NaN (there is nothing to share).

References:
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
        variables in multiple regression. Multivariate Behavioral Research, 35(1), 1–19.
    Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). Introduction to Bivariate and
        Multivariate Analysis. Glenview, IL: Scott, Foresman (pp. 119 ff.).
    Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
        Journal of Statistical Software, 17(1), 1–27.
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall
        (ch. 13, percentile intervals).
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of
        Marketing, 41(1), 77–79.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

Method = Literal["relative_weights", "shapley"]

#: Largest number of predictors `shapley_r2` accepts: it evaluates all 2^p subsets
#: (2^20 ≈ 1,000,000 small regressions, a few seconds); use `relative_weights` beyond.
MAX_SHAPLEY_PREDICTORS = 20

#: Quadrant labels of the importance–performance chart (Martilla & James 1977).
CONCENTRATE_HERE = "concentrate here"  # high importance, low performance
KEEP_UP = "keep up the good work"  # high importance, high performance
LOW_PRIORITY = "low priority"  # low importance, low performance
POSSIBLE_OVERKILL = "possible overkill"  # low importance, high performance

_SYMMETRY_TOL = 1e-8
_NEGATIVE_EIG_TOL = 1e-8  # eigenvalue below −tol·λmax: not positive semi-definite
_SINGULAR_EIG_TOL = 1e-10  # eigenvalue at most tol·λmax: singular (collinear predictors)
_R2_TOL = 1e-8


class SingularCorrelationError(ValueError):
    """The predictor correlation matrix is singular: some predictors are collinear.

    ``predictors`` holds the indices of the predictors with the largest loadings (> 0.1) on the
    matrix's null direction — the ones involved in the linear dependence.
    """

    def __init__(self, eigenvalue: float, predictors: list[int], names: str | None = None):
        self.eigenvalue = eigenvalue
        self.predictors = predictors
        super().__init__(
            f"corr is singular (smallest eigenvalue {eigenvalue:.3g}): predictors "
            f"{names or predictors} are (nearly) exact linear combinations of each other; "
            "drop one of them"
        )


@dataclass(frozen=True)
class DriverResult:
    """A decomposition of R² over p predictors (arrays are read-only, in predictor order).

    Attributes:
        weights: raw weights, one per predictor, summing to ``r2``.
        percent: ``100 · weights / r2``, summing to 100 (NaN when r2 = 0).
        r2: the model R² = r_xy' R⁻¹ r_xy.
        method: ``"relative_weights"`` or ``"shapley"``.
    """

    weights: FloatArray
    percent: FloatArray
    r2: float
    method: str


def _frozen(values: FloatArray) -> FloatArray:
    values.setflags(write=False)
    return values


def _validated(corr: npt.ArrayLike, r_xy: npt.ArrayLike) -> tuple[FloatArray, FloatArray, float]:
    """Check a predictor correlation matrix and predictor–outcome correlations.

    Returns (R, r, R²) as float arrays, with R² = r' R⁻¹ r. Raises ValueError with a message
    naming the problem.
    """
    try:
        matrix = np.array(corr, dtype=np.float64)
        vector = np.array(r_xy, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"corr and r_xy must be numeric arrays: {exc}") from exc
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"corr must be a square p × p matrix, got shape {matrix.shape}")
    p = matrix.shape[0]
    if p == 0:
        raise ValueError("corr is empty: at least one predictor is needed")
    if vector.ndim != 1 or vector.shape[0] != p:
        raise ValueError(
            f"r_xy must hold one correlation per predictor ({p}), got shape {vector.shape}"
        )
    if not (np.isfinite(matrix).all() and np.isfinite(vector).all()):
        raise ValueError("corr and r_xy must be finite (no NaN or infinity)")
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=_SYMMETRY_TOL):
        raise ValueError("corr must be symmetric")
    if not np.allclose(np.diag(matrix), 1.0, rtol=0.0, atol=_SYMMETRY_TOL):
        raise ValueError("corr must have a unit diagonal (it is a correlation matrix)")
    if np.abs(matrix).max() > 1.0 + _SYMMETRY_TOL or np.abs(vector).max() > 1.0 + _SYMMETRY_TOL:
        raise ValueError("correlations must lie in [-1, 1]")
    matrix = (matrix + matrix.T) / 2.0
    np.fill_diagonal(matrix, 1.0)
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    smallest, largest = float(eigenvalues[0]), float(eigenvalues[-1])
    if smallest < -_NEGATIVE_EIG_TOL * largest:
        raise ValueError(
            f"corr is not positive semi-definite (smallest eigenvalue {smallest:.3g}): it is not "
            "the correlation matrix of any data — e.g. pairwise-complete correlations; compute "
            "it from complete responses (listwise deletion)"
        )
    if smallest <= _SINGULAR_EIG_TOL * largest:
        null_direction = np.abs(eigenvectors[:, 0])
        involved = [int(i) for i in np.flatnonzero(null_direction > 0.1)]
        raise SingularCorrelationError(smallest, involved)
    r2 = float(vector @ np.linalg.solve(matrix, vector))
    if r2 > 1.0 + _R2_TOL:
        raise ValueError(
            f"r_xy is inconsistent with corr: the implied R² is {r2:.6g} > 1 (the joint "
            "correlation matrix of outcome and predictors is not positive semi-definite)"
        )
    return matrix, vector, r2


def _percent(weights: FloatArray, r2: float) -> FloatArray:
    if r2 <= 0.0:
        return np.full_like(weights, np.nan)
    return np.asarray(100.0 * weights / r2, dtype=np.float64)


def relative_weights(corr: npt.ArrayLike, r_xy: npt.ArrayLike) -> DriverResult:
    """Johnson's (2000) relative weights of p correlated predictors.

    Formula (Johnson 2000, pp. 5–8), with R the p × p predictor correlation matrix and r_xy the
    predictor–outcome correlations:

        R = Q Δ Q'                       eigendecomposition (Q orthonormal, Δ eigenvalues)
        Λ = Q Δ^{1/2} Q'                 correlations between the predictors X and their
                                         closest orthogonal counterparts Z (Λ² = R)
        β = Λ⁻¹ r_xy                     standardised regression of the outcome on Z
        ε_j = Σ_k Λ_jk² β_k²             relative weight of predictor j

    Σ_j ε_j = Σ_k β_k² (each column of Λ has unit sum of squares) = r_xy' Λ⁻² r_xy
    = r_xy' R⁻¹ r_xy = R², the model's R². Weights are never negative.

    Args:
        corr: p × p predictor correlation matrix, positive definite.
        r_xy: the p correlations of each predictor with the outcome.

    Returns:
        DriverResult with ``weights`` (ε, summing to R²), ``percent`` (summing to 100) and
        ``r2`` = r_xy' R⁻¹ r_xy.

    Raises:
        ValueError: shapes, non-finite values, a matrix that is not a correlation matrix, not
            positive semi-definite or singular, or r_xy implying R² > 1.
    """
    matrix, vector, r2 = _validated(corr, r_xy)
    return _relative_weights_unchecked(matrix, vector, r2)


def _relative_weights_unchecked(matrix: FloatArray, vector: FloatArray, r2: float) -> DriverResult:
    eigenvalues, q = np.linalg.eigh(matrix)
    root = np.sqrt(eigenvalues)
    lam = (q * root) @ q.T  # Λ = Q Δ^{1/2} Q'
    beta = (q / root) @ (q.T @ vector)  # β = Λ⁻¹ r = Q Δ^{-1/2} Q' r
    weights = np.asarray((lam**2) @ (beta**2), dtype=np.float64)  # ε_j = Σ_k Λ_jk² β_k²
    return DriverResult(
        weights=_frozen(weights),
        percent=_frozen(_percent(weights, r2)),
        r2=r2,
        method="relative_weights",
    )


@dataclass(frozen=True)
class _SubsetIndex:
    """Every non-empty subset of p predictors, grouped by size, with Shapley coefficients."""

    by_size: tuple[tuple[IntArray, IntArray], ...]  # (bitmasks, member indices) per size k
    coef_in: FloatArray  # per bitmask S: weight of R²(S) for each j ∈ S
    coef_out: FloatArray  # per bitmask S: weight of R²(S) for each j ∉ S
    member: npt.NDArray[np.bool_]  # (2^p, p): j ∈ S


@lru_cache(maxsize=32)
def _subset_index(p: int) -> _SubsetIndex:
    by_size = []
    for k in range(1, p + 1):
        members = np.array(list(combinations(range(p), k)), dtype=np.int64).reshape(-1, k)
        masks = (np.int64(1) << members).sum(axis=1)
        by_size.append((masks, members))
    masks_all = np.arange(1 << p, dtype=np.int64)
    member = ((masks_all[:, None] >> np.arange(p, dtype=np.int64)) & 1).astype(bool)
    size = member.sum(axis=1)
    fact = [math.factorial(i) for i in range(p + 1)]
    # φ_j = Σ_{T ⊆ P∖{j}} |T|!(p−|T|−1)!/p! · [R²(T ∪ {j}) − R²(T)]
    #     = Σ_{S ∋ j} (|S|−1)!(p−|S|)!/p! · R²(S) − Σ_{S ∌ j} |S|!(p−|S|−1)!/p! · R²(S)
    coef_in_by_size = np.array(
        [0.0] + [fact[s - 1] * fact[p - s] / fact[p] for s in range(1, p + 1)], dtype=np.float64
    )
    coef_out_by_size = np.array(
        [fact[s] * fact[p - s - 1] / fact[p] for s in range(p)] + [0.0], dtype=np.float64
    )
    return _SubsetIndex(
        by_size=tuple(by_size),
        coef_in=coef_in_by_size[size],
        coef_out=coef_out_by_size[size],
        member=member,
    )


_SOLVE_CHUNK = 20_000  # subsets solved per batched call (bounds memory for large p)


def subset_r2(corr: npt.ArrayLike, r_xy: npt.ArrayLike) -> FloatArray:
    """R² of the regression on every subset S of the predictors, indexed by bitmask.

    R²(S) = r_S' R_SS⁻¹ r_S (the squared multiple correlation from correlations alone), with
    bit j of the index set when predictor j is in S; R²(∅) = 0. Returns an array of 2^p values;
    p is limited to `MAX_SHAPLEY_PREDICTORS`.

    Raises:
        ValueError: as `relative_weights`, or more than `MAX_SHAPLEY_PREDICTORS` predictors.
    """
    matrix, vector, _ = _validated(corr, r_xy)
    _check_shapley_size(matrix.shape[0])
    return _subset_r2_unchecked(matrix, vector)


def _check_shapley_size(p: int) -> None:
    if p > MAX_SHAPLEY_PREDICTORS:
        raise ValueError(
            f"shapley_r2 evaluates all 2^p subsets and accepts at most "
            f"{MAX_SHAPLEY_PREDICTORS} predictors, got {p}; use relative_weights"
        )


def _subset_r2_unchecked(matrix: FloatArray, vector: FloatArray) -> FloatArray:
    p = matrix.shape[0]
    index = _subset_index(p)
    r2 = np.zeros(1 << p, dtype=np.float64)
    # Every principal submatrix of a positive definite matrix is positive definite (Cauchy
    # interlacing), so each small system below is solvable.
    for masks, members in index.by_size:
        for start in range(0, masks.shape[0], _SOLVE_CHUNK):
            chunk = members[start : start + _SOLVE_CHUNK]
            r_s = vector[chunk]  # (m, k)
            r_ss = matrix[chunk[:, :, None], chunk[:, None, :]]  # (m, k, k)
            b = np.linalg.solve(r_ss, r_s[:, :, None])[:, :, 0]
            r2[masks[start : start + _SOLVE_CHUNK]] = np.einsum("mk,mk->m", r_s, b)
    return r2


def shapley_r2(corr: npt.ArrayLike, r_xy: npt.ArrayLike) -> DriverResult:
    """LMG / Shapley value decomposition of R² (Lindeman, Merenda & Gold 1980; Grömping 2006).

    Each predictor's share is its increase in R² when it enters the model, averaged over all
    p! orders of entry — the Shapley value of the "game" v(S) = R²(S):

        φ_j = Σ_{S ⊆ P∖{j}} |S|! (p − |S| − 1)! / p! · [R²(S ∪ {j}) − R²(S)]

    with R²(S) = r_S' R_SS⁻¹ r_S computed from the correlations (`subset_r2`), exactly, over
    all 2^p subsets (each subset's R² computed once; 14 predictors → 16,384 subsets). By the
    Shapley efficiency property Σ_j φ_j = R²(P) = r_xy' R⁻¹ r_xy. A share can be slightly
    negative when a predictor acts as a suppressor.

    Args:
        corr: p × p predictor correlation matrix, positive definite; p ≤
            `MAX_SHAPLEY_PREDICTORS`.
        r_xy: the p correlations of each predictor with the outcome.

    Returns:
        DriverResult with ``weights`` (φ, summing to R²), ``percent`` and ``r2``.

    Raises:
        ValueError: as `relative_weights`, or more than `MAX_SHAPLEY_PREDICTORS` predictors.
    """
    matrix, vector, r2 = _validated(corr, r_xy)
    _check_shapley_size(matrix.shape[0])
    return _shapley_unchecked(matrix, vector, r2)


def _shapley_unchecked(matrix: FloatArray, vector: FloatArray, r2: float) -> DriverResult:
    index = _subset_index(matrix.shape[0])
    values = _subset_r2_unchecked(matrix, vector)
    gain = index.member.T @ (index.coef_in * values)
    loss = (~index.member).T @ (index.coef_out * values)
    weights = np.asarray(gain - loss, dtype=np.float64)
    return DriverResult(
        weights=_frozen(weights),
        percent=_frozen(_percent(weights, r2)),
        r2=r2,
        method="shapley",
    )


_METHODS: dict[str, Callable[[FloatArray, FloatArray, float], DriverResult]] = {
    "relative_weights": _relative_weights_unchecked,
    "shapley": _shapley_unchecked,
}


# --------------------------------------------------------------------------- data-frame front end


@dataclass(frozen=True)
class KeyDriverTable:
    """Result of `key_drivers`.

    Attributes:
        table: one row per predictor (index ``predictor``, in the order given) with columns
            ``r`` (correlation with the outcome), ``weight``, ``weight_low``, ``weight_high``
            (raw weight and its bootstrap interval), ``percent``, ``percent_low``,
            ``percent_high`` (share of R² in %, the importance), ``rank`` (1 = largest share),
            ``performance`` (the predictor's mean over the responses used) and ``quadrant``.
        outcome: the outcome column.
        method: ``"relative_weights"`` or ``"shapley"``.
        n: responses used (complete on the outcome and every predictor).
        n_dropped: responses removed by listwise deletion.
        r2, r2_low, r2_high: model R² and its bootstrap interval.
        confidence: level of the intervals.
        bootstrap: replicates requested; bootstrap_valid: replicates that gave an estimable
            model (a resample can lose all variation in an item when n is small).
        importance_split: 100 / p, the mean share (quadrant boundary on importance).
        performance_split: mean of the predictors' means (quadrant boundary on performance).
        reason: why the figures are NaN (too few responses, an item without variation,
            collinear items), None when they are estimated.
    """

    table: pd.DataFrame
    outcome: str
    method: str
    n: int
    n_dropped: int
    r2: float
    r2_low: float
    r2_high: float
    confidence: float
    bootstrap: int
    bootstrap_valid: int
    importance_split: float
    performance_split: float
    reason: str | None

    def top(self, k: int = 5) -> pd.DataFrame:
        """The k predictors with the largest share of R², largest first."""
        return self.table.sort_values("percent", ascending=False, kind="stable").head(k)


def quadrant(
    importance: float, performance: float, *, importance_split: float, performance_split: float
) -> str | None:
    """Importance–performance quadrant of one attribute (Martilla & James 1977).

    High means at or above the split (here: the mean over the attributes). High importance and
    low performance → "concentrate here"; high and high → "keep up the good work"; low and
    low → "low priority"; low importance, high performance → "possible overkill". None when a
    figure is NaN.
    """
    values = (importance, performance, importance_split, performance_split)
    if any(math.isnan(v) for v in values):
        return None
    important = importance >= importance_split
    performing = performance >= performance_split
    if important:
        return KEEP_UP if performing else CONCENTRATE_HERE
    return POSSIBLE_OVERKILL if performing else LOW_PRIORITY


def _correlation_from_covariance(cov: FloatArray, floor: FloatArray) -> FloatArray:
    """Correlation matrix from a covariance matrix; a variable whose standard deviation is at
    most ``floor`` has no variation and gets NaN in its row and column."""
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    flat = sd <= floor
    safe = np.where(flat, 1.0, sd)
    corr = cov / np.outer(safe, safe)
    corr = (corr + corr.T) / 2.0
    np.fill_diagonal(corr, 1.0)
    corr[flat, :] = np.nan
    corr[:, flat] = np.nan
    return np.asarray(np.clip(corr, -1.0, 1.0), dtype=np.float64)


class _Bootstrap:
    """Correlation matrices of bootstrap resamples of the rows of ``centred``.

    A resample is a vector of counts c_i (how often row i was drawn; Σ c_i = n). Its moments
    come from one Gram matrix of the rows scaled by √c_i, with a column of ones appended:
    G = Y'Y, Y = [X 1]·diag(√c) — G holds Σ c_i x_i x_i', Σ c_i x_i and n — so each replicate
    is one pass over the data and no resampled copy is made.
    """

    def __init__(self, centred: FloatArray) -> None:
        n, k = centred.shape
        self.n = n
        self.augmented = np.empty((n, k + 1), dtype=np.float64)
        self.augmented[:, :k] = centred
        self.augmented[:, k] = 1.0
        self.scaled = np.empty_like(self.augmented)
        # A resample's standard deviation this small (relative to the sample's) only arises
        # when every drawn value is the same: rounding of Σc·x² − (Σc·x)²/n is ~1e-8 of it.
        self.floor = 1e-6 * np.sqrt((centred * centred).sum(axis=0) / n)

    def correlation(self, counts: IntArray) -> FloatArray:
        np.multiply(self.augmented, np.sqrt(counts.astype(np.float64))[:, None], out=self.scaled)
        gram = self.scaled.T @ self.scaled
        mean = gram[:-1, -1] / self.n
        cov = gram[:-1, :-1] / self.n - np.outer(mean, mean)
        return _correlation_from_covariance(cov, self.floor)


def _decompose(corr: FloatArray, method: str) -> DriverResult:
    """Decomposition from a joint correlation matrix (outcome first); raises ValueError."""
    return _METHODS[method](*_validated(corr[1:, 1:], corr[1:, 0]))


def key_drivers(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    method: Method = "relative_weights",
    bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> KeyDriverTable:
    """Key-driver analysis of raw survey answers, with bootstrap intervals and IPA quadrants.

    Steps:
      1. Listwise deletion: only responses with a value for the outcome and every predictor are
         used (pairwise-complete correlations can give a matrix that is not positive
         semi-definite and mix different samples). Code "not applicable" answers as missing
         before calling.
      2. Pearson correlations of the complete responses; `relative_weights` or `shapley_r2` on
         them (R² of the least-squares regression of the outcome on the predictors; with a 0/1
         outcome, of the linear probability model).
      3. Percentile bootstrap (Efron & Tibshirani 1993, ch. 13): ``bootstrap`` resamples of the
         n responses with replacement (``numpy.random.default_rng(seed)``); each interval is
         the (α/2, 1 − α/2) quantile pair of the replicates, α = 1 − confidence. Replicates
         whose correlation matrix is not estimable are skipped and counted.
      4. Importance–performance analysis (Martilla & James 1977): importance = share of R² (%),
         performance = the predictor's mean; both split at their mean over the predictors
         (100/p for importance), see `quadrant`. Performance is on each predictor's own scale:
         give predictors the same scale for the quadrants to mean anything.

    When the data cannot support the model — no complete response, fewer than p + 2 of them,
    an outcome or predictor without variation, collinear predictors — the result carries n,
    NaN figures and ``reason`` instead of raising, so a results page for a small store can
    show "not enough data". Bad arguments raise ValueError.

    Args:
        df: one row per response.
        outcome: numeric column to explain (e.g. overall satisfaction, or a 0/1 indicator).
        predictors: numeric columns (the items), at least one, distinct, not the outcome.
        method: ``"relative_weights"`` (default, any p) or ``"shapley"`` (p ≤ 20).
        bootstrap: number of bootstrap replicates, 0 for none (intervals are then NaN).
        confidence: level of the intervals, in (0, 1).
        seed: seed of the bootstrap's random generator.

    Raises:
        ValueError: unknown columns or method, non-numeric or infinite values, bad bootstrap
            count or confidence.
    """
    import pandas as pd

    if method not in _METHODS:
        raise ValueError(f"method must be 'relative_weights' or 'shapley', got {method!r}")
    if isinstance(predictors, str):
        raise ValueError("predictors must be a list of column names, not a string")
    names = list(predictors)
    if not names:
        raise ValueError("at least one predictor is needed")
    if len(set(names)) != len(names):
        raise ValueError("predictors must be distinct")
    if outcome in names:
        raise ValueError(f"the outcome {outcome!r} cannot also be a predictor")
    missing = [c for c in [outcome, *names] if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in the data frame: {missing}")
    for column in [outcome, *names]:
        if not pd.api.types.is_numeric_dtype(df[column]):
            raise ValueError(
                f"column {column!r} is not numeric (dtype {df[column].dtype}); map its answers "
                "to numbers first"
            )
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0:
        raise ValueError(f"bootstrap must be a whole number ≥ 0, got {bootstrap!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if method == "shapley":
        _check_shapley_size(len(names))

    columns = [outcome, *names]
    data = df[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    # One pass finds the rows with a missing or infinite value: their sum is not finite.
    row_sum = data @ np.ones(data.shape[1])
    suspect = ~np.isfinite(row_sum)
    complete = ~suspect
    if suspect.any():
        rows = data[suspect]
        if np.isinf(rows).any():
            raise ValueError("the data contain infinite values")
        complete[suspect] = ~np.isnan(rows).any(axis=1)
    values = data if complete.all() else data[complete]
    n, p = values.shape[0], len(names)
    means = np.ones(n) @ values / n if n else np.full(p + 1, np.nan)
    performance = means[1:]

    nan_p = np.full(p, np.nan)
    point: DriverResult | None = None
    r = nan_p
    reason: str | None = None
    centred = values - means
    if n < p + 2:
        reason = (
            f"{n} complete responses for {p} predictors: at least {p + 2} are needed "
            "(responses missing any of the items are left out)"
        )
    else:
        # Two-pass covariance (deviations from the mean); a constant column has deviations of
        # a few ulps of its value at most, hence the floor relative to |mean|.
        cov = centred.T @ centred / n
        corr = _correlation_from_covariance(cov, 1e-9 * np.abs(means))
        flat = [c for c, nan in zip(columns, np.isnan(np.diag(corr)), strict=True) if nan]
        if flat:
            reason = f"no variation in {flat} among the {n} complete responses"
        else:
            r = corr[1:, 0]
            try:
                point = _decompose(corr, method)
            except SingularCorrelationError as exc:
                involved = str([names[i] for i in exc.predictors])
                named = SingularCorrelationError(exc.eigenvalue, exc.predictors, involved)
                reason = f"the model cannot be estimated: {named}"
            except ValueError as exc:
                reason = f"the model cannot be estimated: {exc}"

    alpha = 1.0 - confidence
    valid = 0
    w_ci = (nan_p, nan_p)
    pct_ci = (nan_p, nan_p)
    r2_ci = (math.nan, math.nan)
    if point is not None and bootstrap > 0:
        rng = np.random.default_rng(seed)
        resampler = _Bootstrap(centred)
        reps_w, reps_pct, reps_r2 = [], [], []
        for _ in range(bootstrap):
            counts = np.bincount(rng.integers(0, n, size=n), minlength=n)
            corr_b = resampler.correlation(counts)
            if np.isnan(corr_b).any():
                continue
            try:
                result = _decompose(corr_b, method)
            except ValueError:
                continue
            reps_w.append(result.weights)
            reps_pct.append(result.percent)
            reps_r2.append(result.r2)
        valid = len(reps_r2)
        if valid:
            qs = (alpha / 2.0, 1.0 - alpha / 2.0)
            w_lo, w_hi = np.quantile(np.array(reps_w), qs, axis=0)
            p_lo, p_hi = np.quantile(np.array(reps_pct), qs, axis=0)
            r2_lo, r2_hi = np.quantile(np.array(reps_r2), qs)
            w_ci, pct_ci, r2_ci = (w_lo, w_hi), (p_lo, p_hi), (float(r2_lo), float(r2_hi))

    weights = point.weights if point is not None else nan_p
    percent = point.percent if point is not None else nan_p
    importance_split = 100.0 / p if point is not None else math.nan
    performance_split = float(performance.mean()) if n else math.nan
    table = pd.DataFrame(
        {
            "r": r,
            "weight": weights,
            "weight_low": w_ci[0],
            "weight_high": w_ci[1],
            "percent": percent,
            "percent_low": pct_ci[0],
            "percent_high": pct_ci[1],
        },
        index=pd.Index(names, name="predictor"),
    )
    table["rank"] = table["percent"].rank(ascending=False, method="min").astype("Int64")
    table["performance"] = performance
    table["quadrant"] = [
        quadrant(
            float(imp),
            float(perf),
            importance_split=importance_split,
            performance_split=performance_split,
        )
        for imp, perf in zip(percent, performance, strict=True)
    ]
    return KeyDriverTable(
        table=table,
        outcome=outcome,
        method=method,
        n=n,
        n_dropped=int(data.shape[0] - n),
        r2=point.r2 if point is not None else math.nan,
        r2_low=r2_ci[0],
        r2_high=r2_ci[1],
        confidence=confidence,
        bootstrap=bootstrap,
        bootstrap_valid=valid,
        importance_split=importance_split,
        performance_split=performance_split,
        reason=reason,
    )


__all__ = [
    "CONCENTRATE_HERE",
    "KEEP_UP",
    "LOW_PRIORITY",
    "MAX_SHAPLEY_PREDICTORS",
    "POSSIBLE_OVERKILL",
    "DriverResult",
    "KeyDriverTable",
    "SingularCorrelationError",
    "key_drivers",
    "quadrant",
    "relative_weights",
    "shapley_r2",
    "subset_r2",
]
