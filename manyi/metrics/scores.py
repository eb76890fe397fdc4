"""Headline satisfaction scores: NPS, CSAT, CES and the dealer CSI index.

Pure functions on counts (and vectorised front ends on arrays of raw answers); no Django.
Every figure comes with its n; confidence intervals use the methods named in each docstring.

Conventions for the whole module:

* Bad input (negative or non-integral counts, values outside the scale, mismatched lengths or
  keys, an unknown method, a confidence level outside (0, 1)) raises ``ValueError`` with a
  message saying what is wrong.
* An empty sample (n = 0) is not an error: the result carries ``n == 0`` and ``None`` for every
  figure that needs data (score, interval, mean). The low-level helpers that return plain
  floats (``wilson_interval``, ``two_proportion_test``) return NaN instead.
* Percent-type figures (NPS, CSAT) are on their presentation scale (NPS −100..100, CSAT
  0..100); they are not rounded here.
* ``z`` for a two-sided level ``confidence`` is ``Φ⁻¹(1 − (1 − confidence)/2)`` (1.959964 for
  95 %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = [
    "ADJUSTED_WALD_PSEUDO",
    "DEFAULT_CSI_WEIGHTS",
    "CesResult",
    "CsatResult",
    "CsiResult",
    "Interval",
    "NpsChange",
    "NpsMethod",
    "NpsResult",
    "ProportionTest",
    "ces",
    "ces_from_scores",
    "csat",
    "csat_from_scores",
    "csi",
    "nps",
    "nps_change",
    "nps_from_scores",
    "two_proportion_test",
    "wilson_interval",
]

NpsMethod = Literal["wald", "adjusted_wald"]
CountsLike = Sequence[int] | Mapping[int, int] | npt.NDArray[np.integer[Any]]
ScoresLike = Sequence[float] | npt.NDArray[Any]

#: Pseudo-observations added by the adjusted Wald NPS interval (Rocks 2016): 3 in all, split
#: ¾ detractor, 1½ passive, ¾ promoter.
ADJUSTED_WALD_PSEUDO = (0.75, 1.5, 0.75)  # (detractors, passives, promoters)

#: The seven J.D. Power after-sales CSI factors and weights (percent) of DOMAIN.md §2
#: (seed 004): customer friendliness 16, service initiative 10, service supervision 11,
#: repair-process experience 12, product problems 21, service quality 15, vehicle pick-up 15.
DEFAULT_CSI_WEIGHTS: Mapping[str, float] = {
    "customer_friendliness": 16.0,
    "service_initiative": 10.0,
    "service_supervision": 11.0,
    "repair_process": 12.0,
    "product_problems": 21.0,
    "service_quality": 15.0,
    "vehicle_pickup": 15.0,
}


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _z(confidence: float) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise ValueError(f"confidence must be a number in (0, 1), got {confidence!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return float(stats.norm.ppf(1.0 - (1.0 - float(confidence)) / 2.0))


def _count(value: Any, name: str) -> int:
    """A non-negative integral count (Python or numpy int, or an integral float)."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a count, got the boolean {value!r}")
    if isinstance(value, int | np.integer):
        result = int(value)
    elif isinstance(value, float | np.floating):
        if not math.isfinite(float(value)) or float(value) != math.floor(float(value)):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        result = int(value)
    else:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if result < 0:
        raise ValueError(f"{name} must not be negative, got {result}")
    return result


def _scale_counts(counts: CountsLike, scale: int, name: str = "counts") -> list[int]:
    """Counts of the answers 1..scale, from a sequence of length ``scale`` or a mapping."""
    if isinstance(counts, Mapping):
        result = [0] * scale
        for key, value in counts.items():
            if isinstance(key, bool) or not isinstance(key, int | np.integer):
                raise ValueError(f"{name}: answer values must be integers 1..{scale}, got {key!r}")
            if not 1 <= int(key) <= scale:
                raise ValueError(f"{name}: answer value {key!r} is outside the scale 1..{scale}")
            result[int(key) - 1] = _count(value, f"{name}[{key!r}]")
        return result
    if isinstance(counts, str | bytes):
        raise ValueError(f"{name} must be a sequence of counts or a mapping, got a string")
    items = list(np.asarray(counts).ravel()) if isinstance(counts, np.ndarray) else list(counts)
    if len(items) != scale:
        raise ValueError(
            f"{name} must have one count per scale point 1..{scale} ({scale} counts), "
            f"got {len(items)}"
        )
    return [_count(v, f"{name}[{i}] (answer {i + 1})") for i, v in enumerate(items)]


def _check_scale(scale: int, name: str = "scale") -> int:
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or int(scale) < 2:
        raise ValueError(f"{name} must be an integer of at least 2, got {scale!r}")
    return int(scale)


def _integral_scores(scores: ScoresLike, low: int, high: int, name: str) -> npt.NDArray[np.int64]:
    """Raw answers as an int64 array, checked to be whole numbers in low..high."""
    arr = np.asarray(scores)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be numeric answers {low}..{high}, got dtype {arr.dtype}")
    arr = arr.ravel()
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity; drop missing answers first")
        if not (arr == np.floor(arr)).all():
            raise ValueError(f"{name} must be whole numbers {low}..{high}")
    lo, hi = arr.min(), arr.max()
    if lo < low or hi > high:
        raise ValueError(f"{name} must lie in {low}..{high}, found values from {lo} to {hi}")
    return arr.astype(np.int64, copy=False)


# --------------------------------------------------------------------------------------------
# Proportions: Wilson interval and the two-proportion z test
# --------------------------------------------------------------------------------------------


class Interval(NamedTuple):
    """A confidence interval; unpacks as ``low, high``."""

    low: float
    high: float


class ProportionTest(NamedTuple):
    """A z test result; unpacks as ``z, p_value``."""

    z: float
    p_value: float


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion, as proportions in [0, 1].

    With p̂ = x/n and z the two-sided normal quantile::

        centre     = (p̂ + z²/(2n)) / (1 + z²/n)
        half-width = z / (1 + z²/n) · √( p̂(1 − p̂)/n + z²/(4n²) )

    Source: E. B. Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", JASA 22:209–212; recommended by R. G. Newcombe (1998), "Two-sided confidence
    intervals for the single proportion", Statistics in Medicine 17:857–872 (method 3), and by
    Brown, Cai & DasGupta (2001), Statistical Science 16:101–133. The interval always lies in
    [0, 1]; at x = 0 the lower bound is exactly 0 and at x = n the upper bound exactly 1.
    n = 0 returns (NaN, NaN).
    """
    z = _z(confidence)
    x = _count(successes, "successes")
    n = _count(n, "n")
    if x > n:
        raise ValueError(f"successes ({x}) cannot exceed n ({n})")
    if n == 0:
        return Interval(math.nan, math.nan)
    p = x / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    # At x = 0 (x = n) the lower (upper) bound is exactly 0 (1); set it so rounding cannot
    # leave 1e-17 there.
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return Interval(low, high)


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> ProportionTest:
    """Pooled two-proportion z test of H₀: π₁ = π₂ (independent samples), two-sided.

    ::

        p̂ = (x₁ + x₂) / (n₁ + n₂)
        z  = (x₂/n₂ − x₁/n₁) / √( p̂(1 − p̂)(1/n₁ + 1/n₂) )
        p  = 2 · (1 − Φ(|z|))

    Sign convention: z > 0 when the second sample's proportion is higher, i.e. z measures the
    change *from* sample 1 *to* sample 2 (period 1 → period 2), like ``nps_change``. The p-value
    is two-sided so the sign does not affect it. Source: any standard text, e.g. Fleiss, Levin
    & Paik (2003), *Statistical Methods for Rates and Proportions*, 3rd ed., ch. 2, or Agresti
    (2013), *Categorical Data Analysis*, 3rd ed.; z² equals Pearson's uncorrected χ² for the
    2×2 table.

    If either n is 0 the result is (NaN, NaN). If the pooled proportion is 0 or 1 both samples
    are identical (all failures or all successes): z = 0, p = 1.
    """
    x1 = _count(x1, "x1")
    n1 = _count(n1, "n1")
    x2 = _count(x2, "x2")
    n2 = _count(n2, "n2")
    if x1 > n1:
        raise ValueError(f"x1 ({x1}) cannot exceed n1 ({n1})")
    if x2 > n2:
        raise ValueError(f"x2 ({x2}) cannot exceed n2 ({n2})")
    if n1 == 0 or n2 == 0:
        return ProportionTest(math.nan, math.nan)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:
        return ProportionTest(0.0, 1.0)
    z = (x2 / n2 - x1 / n1) / se
    return ProportionTest(z, float(2.0 * stats.norm.sf(abs(z))))


# --------------------------------------------------------------------------------------------
# NPS
# --------------------------------------------------------------------------------------------


def _nps_variance(promoters: float, detractors: float, n: float) -> float:
    """Variance of p_P − p_D (−1..1 scale) for a trinomial sample of size n."""
    pp = promoters / n
    pd = detractors / n
    return (pp + pd - (pp - pd) ** 2) / n


@dataclass(frozen=True)
class NpsResult:
    """A Net Promoter Score with its confidence interval.

    ``score``, ``low`` and ``high`` are on the −100..100 scale and are ``None`` when n = 0.
    """

    score: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    method: NpsMethod
    confidence: float

    @property
    def variance(self) -> float | None:
        """Var(p̂_P − p̂_D) = [p_P + p_D − (p_P − p_D)²]/n on the −1..1 scale (unadjusted)."""
        if self.n == 0:
            return None
        return _nps_variance(self.promoters, self.detractors, self.n)

    @property
    def standard_error(self) -> float | None:
        """Standard error of ``score`` on the −100..100 scale: 100·√variance (unadjusted)."""
        var = self.variance
        return None if var is None else 100.0 * math.sqrt(var)


def nps(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    confidence: float = 0.95,
    method: NpsMethod = "adjusted_wald",
) -> NpsResult:
    """Net Promoter Score with a confidence interval.

    Promoters answered 9–10, passives 7–8 and detractors 0–6 on the 0–10 "how likely are you
    to recommend" question (Reichheld 2003, "The one number you need to grow", HBR 81(12)).
    With n = P + Pa + D::

        NPS = 100 · (P − D) / n

    The NPS is a difference of two proportions of the same trinomial sample, so (Rocks 2016)::

        Var(p̂_P − p̂_D) = [p_P + p_D − (p_P − p_D)²] / n

    Methods:

    * ``"wald"``: NPS ± z · 100 · √Var, with the observed proportions.
    * ``"adjusted_wald"`` (default): the adjusted Wald interval of B. Rocks (2016), "Interval
      estimation for the 'Net Promoter Score'", *The American Statistician* 70(4):365–372
      (arXiv:1601.07235), which Rocks found to have among the best coverage. In the manner
      of Agresti & Coull (1998) it adds pseudo-observations before computing the Wald
      interval: **3 in total, ¾ to detractors, 1½ to passives, ¾ to promoters** (the default
      ``pseudo_observations = c(0.75, 1.5, 0.75)`` of Rocks's own R package *NPS*, function
      ``nps_test``; the same rule as described by Lewis & Sauro, MeasuringU 2021, "add 3 to
      n, ¾ to detractors and ¾ to promoters"). The number of pseudo-observations is fixed;
      it does not change with the confidence level. With ñ = n + 3,
      p̃_P = (P + ¾)/ñ, p̃_D = (D + ¾)/ñ::

          centre = p̃_P − p̃_D
          Var̃    = [p̃_P + p̃_D − (p̃_P − p̃_D)²] / ñ
          interval = 100 · (centre ± z · √Var̃)

      Note the interval is centred on the adjusted estimate (pulled slightly toward 0), while
      ``score`` stays the observed NPS; for very small n (e.g. n = 1, all promoters) the
      observed score can lie outside the interval — that is the method, not a bug.

    Both intervals are clipped to [−100, 100]. n = 0 returns ``score = low = high = None``.
    """
    p = _count(promoters, "promoters")
    pa = _count(passives, "passives")
    d = _count(detractors, "detractors")
    if method not in ("wald", "adjusted_wald"):
        raise ValueError(f"method must be 'wald' or 'adjusted_wald', got {method!r}")
    z = _z(confidence)
    n = p + pa + d
    if n == 0:
        return NpsResult(None, None, None, 0, p, pa, d, method, float(confidence))
    score = 100.0 * (p - d) / n
    if method == "wald":
        centre = (p - d) / n
        var = _nps_variance(p, d, n)
    else:
        add_d, add_pa, add_p = ADJUSTED_WALD_PSEUDO
        n_adj = n + add_d + add_pa + add_p
        centre = ((p + add_p) - (d + add_d)) / n_adj
        var = _nps_variance(p + add_p, d + add_d, n_adj)
    half = z * math.sqrt(max(var, 0.0))
    low = max(-100.0, 100.0 * (centre - half))
    high = min(100.0, 100.0 * (centre + half))
    return NpsResult(score, low, high, n, p, pa, d, method, float(confidence))


@dataclass(frozen=True)
class NpsChange:
    """Change of NPS from ``a`` to ``b`` (``difference = b.score − a.score``, −200..200)."""

    difference: float | None
    standard_error: float | None
    z: float | None
    p_value: float | None
    significant: bool
    confidence: float


def nps_change(a: NpsResult, b: NpsResult) -> NpsChange:
    """Two-sample z test for a change in NPS between independent samples ``a`` → ``b``.

    ::

        Δ  = NPS_b − NPS_a
        SE = 100 · √( Var_a + Var_b ),  Var = [p_P + p_D − (p_P − p_D)²]/n  (each sample)
        z  = Δ / SE,   p = 2 · (1 − Φ(|z|))

    This is the two-sample Wald test of Rocks (2016) and of the ``nps_test`` function of his
    R package *NPS*. Variances use the observed (unadjusted) proportions. ``significant`` is
    ``p < 1 − a.confidence``.

    Edge cases: if either sample is empty every figure is ``None`` and ``significant`` is
    False. If SE = 0 (both samples unanimous) then z = 0, p = 1 when Δ = 0, otherwise
    z = ±inf, p = 0.
    """
    if a.n == 0 or b.n == 0:
        return NpsChange(None, None, None, None, False, a.confidence)
    var_a = _nps_variance(a.promoters, a.detractors, a.n)
    var_b = _nps_variance(b.promoters, b.detractors, b.n)
    # Recompute the scores from the counts so a hand-built result cannot disagree with them.
    diff = 100.0 * ((b.promoters - b.detractors) / b.n - (a.promoters - a.detractors) / a.n)
    se = 100.0 * math.sqrt(max(var_a + var_b, 0.0))
    if se == 0.0:
        if diff == 0.0:
            z, p_value = 0.0, 1.0
        else:
            z, p_value = math.copysign(math.inf, diff), 0.0
    else:
        z = diff / se
        p_value = float(2.0 * stats.norm.sf(abs(z)))
    return NpsChange(diff, se, z, p_value, p_value < 1.0 - a.confidence, a.confidence)


def nps_from_scores(
    scores: ScoresLike,
    *,
    confidence: float = 0.95,
    method: NpsMethod = "adjusted_wald",
) -> NpsResult:
    """NPS from raw 0–10 answers (any array-like of whole numbers), vectorised.

    Counts 9–10 as promoters, 7–8 as passives, 0–6 as detractors with one ``np.bincount`` and
    then calls :func:`nps`. Missing answers (NaN) are refused: drop them first.
    """
    arr = _integral_scores(scores, 0, 10, "scores")
    counts = np.bincount(arr, minlength=11)
    return nps(
        int(counts[9:].sum()),
        int(counts[7:9].sum()),
        int(counts[:7].sum()),
        confidence=confidence,
        method=method,
    )


# --------------------------------------------------------------------------------------------
# CSAT
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsatResult:
    """CSAT: percent of answers in the top ``top_box`` points of a 1..``scale`` question.

    ``score``, ``low``, ``high`` are percent (0..100); ``mean`` is on the 1..scale answer
    scale. All four are ``None`` when n = 0.
    """

    score: float | None
    low: float | None
    high: float | None
    mean: float | None
    n: int
    satisfied: int
    top_box: int
    scale: int
    confidence: float


def csat(
    counts: CountsLike,
    *,
    top_box: int = 2,
    scale: int = 5,
    confidence: float = 0.95,
) -> CsatResult:
    """Customer satisfaction score (top-box percentage) with a Wilson interval.

    ``counts`` gives the number of answers for each point 1..scale, either as a sequence of
    length ``scale`` (``counts[0]`` = answers "1") or as a mapping ``{value: count}`` (missing
    values count 0). With x = the answers in the top ``top_box`` points (for the usual 1–5
    scale and top-2 box: the 4s and 5s) and n = all answers::

        CSAT = 100 · x / n
        low, high = 100 · Wilson(x, n, confidence)      (see ``wilson_interval``)
        mean = Σ v · count_v / n

    Source: the conventional top-box definition of CSAT (see e.g. Sauro & Lewis, *Quantifying
    the User Experience*, 2nd ed. 2016, on top-box scoring of rating scales); interval: Wilson
    (1927), as recommended by Newcombe (1998) and Brown, Cai & DasGupta (2001).
    n = 0 returns ``score = low = high = mean = None``.
    """
    scale = _check_scale(scale)
    if isinstance(top_box, bool) or not isinstance(top_box, int | np.integer):
        raise ValueError(f"top_box must be an integer 1..{scale}, got {top_box!r}")
    if not 1 <= int(top_box) <= scale:
        raise ValueError(f"top_box must be between 1 and the scale ({scale}), got {top_box}")
    top_box = int(top_box)
    _z(confidence)
    values = _scale_counts(counts, scale)
    n = sum(values)
    satisfied = sum(values[scale - top_box :])
    if n == 0:
        return CsatResult(None, None, None, None, 0, 0, top_box, scale, float(confidence))
    low, high = wilson_interval(satisfied, n, confidence)
    mean = sum((i + 1) * c for i, c in enumerate(values)) / n
    return CsatResult(
        100.0 * satisfied / n,
        100.0 * low,
        100.0 * high,
        mean,
        n,
        satisfied,
        top_box,
        scale,
        float(confidence),
    )


def csat_from_scores(
    scores: ScoresLike,
    *,
    top_box: int = 2,
    scale: int = 5,
    confidence: float = 0.95,
) -> CsatResult:
    """:func:`csat` from raw 1..scale answers (array-like of whole numbers), vectorised."""
    scale = _check_scale(scale)
    arr = _integral_scores(scores, 1, scale, "scores")
    counts = np.bincount(arr, minlength=scale + 1)[1:]
    return csat(counts, top_box=top_box, scale=scale, confidence=confidence)


# --------------------------------------------------------------------------------------------
# CES
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CesResult:
    """Customer Effort Score: the mean answer with a t interval (1..scale, higher = easier).

    ``mean`` is ``None`` when n = 0; ``low``/``high``/``sd`` are ``None`` when n < 2.
    """

    mean: float | None
    low: float | None
    high: float | None
    sd: float | None
    n: int
    scale: int
    confidence: float


def ces(counts: CountsLike, *, scale: int = 7, confidence: float = 0.95) -> CesResult:
    """Customer Effort Score: mean of the answers with a Student-t confidence interval.

    Scale direction, as in CES 2.0 (CEB / Gartner, Dixon, Toman & DeLisi 2013, *The Effortless
    Experience*): the statement "The company made it easy for me to handle my issue" is
    answered on 1..7 from **1 = strongly disagree (very difficult)** to **7 = strongly agree
    (very easy)**, so *higher is better*. (The original CES of Dixon, Freeman & Toman, "Stop
    trying to delight your customers", HBR 2010, ran 1–5 with high = more effort; it is not
    what this function assumes.)

    ``counts`` as for :func:`csat` (per point 1..scale, sequence or mapping). With n answers,
    mean x̄ and sample standard deviation s (divisor n − 1)::

        x̄ ± t_{1−α/2, n−1} · s / √n

    The bounds are clipped to [1, scale] (a mean cannot leave the scale). n = 0 gives
    ``mean = None``; n = 1 gives the mean but ``sd = low = high = None``.
    """
    scale = _check_scale(scale)
    _z(confidence)
    values = _scale_counts(counts, scale)
    n = sum(values)
    if n == 0:
        return CesResult(None, None, None, None, 0, scale, float(confidence))
    points = np.arange(1, scale + 1, dtype=float)
    weights = np.asarray(values, dtype=float)
    mean = float((points * weights).sum() / n)
    if n == 1:
        return CesResult(mean, None, None, None, 1, scale, float(confidence))
    sd = math.sqrt(float((weights * (points - mean) ** 2).sum()) / (n - 1))
    t = float(stats.t.ppf(1.0 - (1.0 - float(confidence)) / 2.0, n - 1))
    half = t * sd / math.sqrt(n)
    low = max(1.0, mean - half)
    high = min(float(scale), mean + half)
    return CesResult(mean, low, high, sd, n, scale, float(confidence))


def ces_from_scores(scores: ScoresLike, *, scale: int = 7, confidence: float = 0.95) -> CesResult:
    """:func:`ces` from raw 1..scale answers (array-like of whole numbers), vectorised."""
    scale = _check_scale(scale)
    arr = _integral_scores(scores, 1, scale, "scores")
    counts = np.bincount(arr, minlength=scale + 1)[1:]
    return ces(counts, scale=scale, confidence=confidence)


# --------------------------------------------------------------------------------------------
# CSI
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsiResult:
    """A weighted customer satisfaction index on 0..1000.

    ``contributions[f]`` = 1000 · w_f · s_f (they sum to ``index``); ``factor_index[f]`` =
    1000 · s_f (each factor on its own 0..1000 scale); ``weights`` are normalised to sum 1;
    ``normalised`` holds s_f in 0..1.
    """

    index: float
    contributions: Mapping[str, float]
    factor_index: Mapping[str, float]
    normalised: Mapping[str, float]
    weights: Mapping[str, float]


def csi(
    factor_scores: Mapping[str, float],
    weights: Mapping[str, float] | None = None,
    *,
    scale: tuple[float, float] = (1.0, 10.0),
) -> CsiResult:
    """Customer Satisfaction Index (0..1000) as a weighted mean of factor scores.

    Each factor's mean score x_f on the answer scale [lo, hi] is normalised to
    s_f = (x_f − lo)/(hi − lo) ∈ [0, 1]; weights are normalised to sum 1 (so they may be given
    as percents or fractions), w_f = W_f / Σ W; then::

        CSI = 1000 · Σ_f w_f · s_f

    This is the J.D. Power-style weighted factor index used for dealer after-sales CSI (the
    seven factors and weights of DOMAIN.md §2, seed 004, are ``DEFAULT_CSI_WEIGHTS``, used
    when ``weights`` is None). The keys of ``factor_scores`` and ``weights`` must be the same
    set. Factors with weight 0 are allowed. A factor without a score (None or NaN) is an
    error: the caller decides whether to drop the factor (and its weight) or not to report
    the index.
    """
    if weights is None:
        weights = DEFAULT_CSI_WEIGHTS
    if len(scale) != 2:
        raise ValueError(f"scale must be a pair (low, high), got {scale!r}")
    lo, hi = float(scale[0]), float(scale[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ValueError(f"scale must be (low, high) with low < high, got {scale!r}")
    if not factor_scores:
        raise ValueError("factor_scores is empty")
    missing = set(weights) - set(factor_scores)
    extra = set(factor_scores) - set(weights)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"no score for {sorted(missing)}")
        if extra:
            parts.append(f"no weight for {sorted(extra)}")
        raise ValueError(
            "factor_scores and weights must name the same factors: " + "; ".join(parts)
        )
    total_weight = 0.0
    for name, w in weights.items():
        if w is None or isinstance(w, bool) or not math.isfinite(float(w)) or float(w) < 0:
            raise ValueError(f"weight of {name!r} must be a finite number ≥ 0, got {w!r}")
        total_weight += float(w)
    if total_weight <= 0.0:
        raise ValueError("weights must not all be zero")
    normalised: dict[str, float] = {}
    for name, x in factor_scores.items():
        if x is None or isinstance(x, bool) or not math.isfinite(float(x)):
            raise ValueError(f"score of {name!r} must be a finite number, got {x!r}")
        if not lo <= float(x) <= hi:
            raise ValueError(f"score of {name!r} ({x}) is outside the scale {lo:g}..{hi:g}")
        normalised[name] = (float(x) - lo) / (hi - lo)
    w_norm = {name: float(weights[name]) / total_weight for name in factor_scores}
    contributions = {name: 1000.0 * w_norm[name] * normalised[name] for name in factor_scores}
    return CsiResult(
        index=sum(contributions.values()),
        contributions=contributions,
        factor_index={name: 1000.0 * s for name, s in normalised.items()},
        normalised=normalised,
        weights=w_norm,
    )
