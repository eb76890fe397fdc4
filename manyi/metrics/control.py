"""Control charts for complaint rates: the u-chart (with Laney's u′ correction), EWMA and CUSUM.

Early warning (issue 5): one *series* is the complaints of one category in one store, period by
period (days or weeks). Period i has c_i complaints and an *exposure* n_i > 0, the volume they
come from (services, visits, transactions; in whatever unit the caller chooses — the rates are
then complaints per that unit). The rate is u_i = c_i / n_i. If complaints arrive as a Poisson
process in proportion to volume, c_i ~ Poisson(μ n_i), so u_i has mean μ and variance μ / n_i:
every chart here standardises with that variance, each period with its own exposure.

- :func:`u_chart` — Shewhart u-chart (limits ū ± 3√(ū/n_i)); with ``laney=True`` Laney's u′
  chart, whose limits are widened (or narrowed) by the observed between-period variation σ_z.
- :func:`ewma_chart` — exponentially weighted moving average of the rates with the exact
  time-varying limits for unequal exposures.
- :func:`cusum_chart` — two-sided tabular CUSUM of the standardised rates.

All three return a :class:`ChartResult` of the same shape (per period: the rate, the charted
``value`` with its ``lcl``/``ucl``, the standardised ``statistic`` z_i and the ``signal``
flags), so one page can draw any of them; :func:`signals` lists the periods that signal.

Conventions for the whole module
--------------------------------

* ``counts`` and ``exposures`` are one-dimensional, of the same length, one entry per period in
  time order. Counts are whole numbers ≥ 0; exposures are finite numbers ≥ 0. NaN, infinity,
  negative values, non-integral counts, booleans, a length mismatch or more than one dimension
  raise ``ValueError`` naming the first offending period.
* **Periods with zero exposure** (a closed store, a week without imported volume) are *skipped*:
  they get NaN for the rate, value, limits and statistic and never signal, and they are left
  out of everything else — the centre, Laney's moving ranges, the EWMA and CUSUM recursions —
  as if the period did not exist (the EWMA and CUSUM carry on from the previous period with
  exposure). A period with complaints but zero exposure is a data error (a rate needs a
  volume) and raises ``ValueError``.
* At least ``MIN_PERIODS`` (2) periods with exposure > 0 are needed (one moving range for
  Laney); fewer raise ``ValueError``. Two points make a chart, not a good one: Laney's σ_z and
  an estimated centre want 20 or more periods (Montgomery's rule of thumb for phase I is 20–25
  samples).
* **The centre** is the in-control rate: ``target`` when given (phase II: a rate known or
  estimated from a baseline, e.g. the previous year), else the pooled rate of the series,
  ū = Σc_i / Σn_i (phase I: the data judge themselves, so a lasting shift also moves the
  centre and is harder to see; for early warning prefer a baseline ``target``, and
  :func:`laney_sigma_z` of the same baseline for ``sigma_z``). ``target`` must be > 0.
* **All-zero counts** (with the centre estimated) give ū = 0, z_i = 0, limits 0 and no
  signal.
* A point signals when it lies strictly beyond a limit; differences under 10⁻⁹ of the scale
  (floating-point rounding) count as on the limit. Lower limits of rates are clipped at 0.
* The standardised statistic of every chart is the Poisson z score of the period against the
  centre, z_i = (u_i − centre) / √(centre / n_i) (0 when the centre is 0).
* All arrays of a result are read-only numpy arrays.

The false-alarm trade-off
-------------------------

A chart's *average run length* (ARL) is the expected number of periods until it signals. With
nothing wrong (ARL₀) every signal is a false alarm, so ARL₀ is the time between false alarms of
one series — a manager watching 50 series (10 categories × 5 stores) weekly with ARL₀ = 370
sees a false alarm every 370 / 50 ≈ 7 weeks. After a lasting shift of the rate by δ standard
deviations of one period (ARL₁), the smaller the better. Wider limits (larger ``sigma``,
``L``, ``h``) mean fewer false alarms and later detection. For normally distributed points
(two-sided charts, shift δ in units of one period's σ):

=======================================  =======  ========  ======  ======
chart                                    ARL₀     δ = 0.5   δ = 1   δ = 2
=======================================  =======  ========  ======  ======
Shewhart (u-chart), 3σ                   370      155       44      6.3
EWMA λ = 0.2, L = 3 (the defaults)       560      44        10.8    3.8
CUSUM k = 0.5, h = 4 (the defaults)      168      26.6      8.4     3.3
CUSUM k = 0.5, h = 5                     465      38.0      10.4    4.0
=======================================  =======  ========  ======  ======

Read it as: the Shewhart chart is best at large sudden jumps (δ = 2 and up); EWMA and CUSUM
find small lasting increases (δ = 0.5–1) three to six times sooner. The Shewhart figure is
exact (1 / 0.0027); the CUSUM figures are those of Montgomery's table for k = ½, h = 4 and 5
(ch. 9); the EWMA figure is for the asymptotic limits (Montgomery's EWMA table, after Lucas
& Saccucci 1990, takes L = 2.962 with λ = 0.2 to get 500). All of them were recomputed with
the Markov-chain method of Brook & Evans (1972) by ``bench/bench_control.py --arl``,
which also simulates the exact time-varying EWMA limits used here: ARL₀ ≈ 550 (548 ± 4 in
20,000 runs), a little below 560 because the limits are narrower in the first periods.

An alert on complaints only cares about the **upper side**; counting only upper signals
doubles the normal-theory ARL₀: 741 for the 3σ Shewhart chart, ≈ 1,130 for the EWMA, 335
(h = 4) and 931 (h = 5) for the CUSUM. **Counts are not normal**: at a few complaints per
period the Poisson distribution is skewed and discrete, so the upper 3σ limit is crossed more
often than normal theory says. For the u-chart with in-control mean count μ n per period, the
exact upper-side ARL₀ is 70 at 0.5 expected complaints, 273 at 1, 221 at 2, 183 at 5, 289 at
10, 372 at 20 and 586 at 100. The EWMA and the CUSUM (defaults, centre known) simulated on
Poisson counts by ``bench/bench_control.py --arl``: 267 and 128 at 0.5, 377 and 183 at 1,
623 and 224 at 5, 806 and 266 at 20, 933 and 315 at 100 expected complaints a period (normal
theory: 1,128 and 335; simulation error about 3 %). So a weekly series with ARL₀ ≈ 200 raises
a false alarm about every four years, and 1,000 such series about five a week: choose wider
limits (``sigma`` 3.5, ``h`` 5, ``L`` 3.2) or fewer, larger series (weeks rather than days,
a store's categories together) when that is too many.

**Over-dispersion** — extra variation between periods that is real but not actionable
(seasons, campaigns, a new product) — makes the Poisson limits too narrow and the charts
signal far more often than the figures above; Laney's σ_z (> 1 then) measures it and widens
the limits: use ``laney=True`` when σ_z is well above 1.

References:
    Montgomery, D. C. (2019). *Introduction to Statistical Quality Control*, 8th ed. Wiley:
        ch. 7 (the u-chart with variable sample size), ch. 9 (the tabular CUSUM, the EWMA with
        its exact limits, and their ARLs), ch. 5–6 (ARL₀ = 370 of the 3σ chart).
    Laney, D. B. (2002). Improved control charts for attributes. *Quality Engineering* 14(4),
        531–537 (the p′ and u′ charts).
    Page, E. S. (1954). Continuous inspection schemes. *Biometrika* 41(1/2), 100–115.
    Roberts, S. W. (1959). Control chart tests based on geometric moving averages.
        *Technometrics* 1(3), 239–250.
    Lucas, J. M. & Saccucci, M. S. (1990). Exponentially weighted moving average control
        schemes: properties and enhancements. *Technometrics* 32(1), 1–12.
    Brook, D. & Evans, D. A. (1972). An approach to the probability distribution of CUSUM run
        length. *Biometrika* 59(3), 539–549.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

__all__ = [
    "D2",
    "MIN_PERIODS",
    "ChartMethod",
    "ChartResult",
    "Side",
    "cusum_chart",
    "ewma_chart",
    "laney_sigma_z",
    "signals",
    "u_chart",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ChartMethod = Literal["u", "laney_u", "ewma", "cusum"]
Side = Literal["both", "high", "low"]

MIN_PERIODS: Final[int] = 2
"""Fewest periods with exposure > 0 that a chart accepts."""

D2: Final[float] = 1.128
"""d₂ for moving ranges of two: E|X₁ − X₂| = (2/√π)·σ ≈ 1.128·σ for normal X (Laney 2002)."""

_REL_TOL: Final[float] = 1e-9


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ChartResult:
    """One control chart of one series, period by period (arrays of the series' length).

    Draw ``value`` between ``lcl`` and ``ucl`` around ``centre``; for the CUSUM also draw
    ``value_low`` (the lower sum, as −C⁻, against ``lcl`` = −h). Skipped periods (zero
    exposure) are NaN in every float array and False in every flag.

    Attributes:
        method: ``"u"``, ``"laney_u"``, ``"ewma"`` or ``"cusum"``.
        centre: the centre line of ``value``: the in-control rate for the u-chart and the EWMA,
            0 for the CUSUM.
        rate_centre: the in-control rate the chart compares against (``target`` or ū).
        sigma_z: Laney's σ_z used to scale the Poisson standard deviation (1.0 without Laney).
        rate: u_i = c_i / n_i.
        value: the charted value — u_i (u-chart), the EWMA Z_i (EWMA), the upper sum C⁺_i
            (CUSUM).
        value_low: the CUSUM's lower sum as −C⁻_i (≤ 0); None for the other charts, whose
            ``value`` is tested against both limits.
        lcl, ucl: the control limits of ``value`` (rates clipped at 0; ±h for the CUSUM).
        statistic: z_i = (u_i − rate_centre) / √(rate_centre / n_i), the period's Poisson
            z score (0 when the centre is 0). Laney's standardised value is z_i / sigma_z.
        high: the period signals above: ``value`` > ``ucl``.
        low: the period signals below: ``value`` (or ``value_low``) < ``lcl``.
        signal: ``high | low``.
        params: the chart's settings (sigma / lam, L / k, h, reset; laney, target).
    """

    method: ChartMethod
    centre: float
    rate_centre: float
    sigma_z: float
    rate: FloatArray
    value: FloatArray
    value_low: FloatArray | None
    lcl: FloatArray
    ucl: FloatArray
    statistic: FloatArray
    high: BoolArray
    low: BoolArray
    signal: BoolArray
    params: Mapping[str, float | bool | None]

    def __len__(self) -> int:
        return int(self.rate.shape[0])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists, NaN as None) for a chart library such as ECharts."""
        return {
            "method": self.method,
            "centre": self.centre,
            "rate_centre": self.rate_centre,
            "sigma_z": self.sigma_z,
            "rate": _json_list(self.rate),
            "value": _json_list(self.value),
            "value_low": None if self.value_low is None else _json_list(self.value_low),
            "lcl": _json_list(self.lcl),
            "ucl": _json_list(self.ucl),
            "statistic": _json_list(self.statistic),
            "high": self.high.tolist(),
            "low": self.low.tolist(),
            "signal": self.signal.tolist(),
            "params": dict(self.params),
        }


def _json_list(values: FloatArray) -> list[float | None]:
    out = values.astype(object)
    out[~np.isfinite(values)] = None
    return list(out.tolist())


def signals(result: ChartResult, side: Side = "both") -> list[int]:
    """Indices of the periods that signal: ``"both"`` sides, only ``"high"`` (more complaints
    than expected: the side an alert wants) or only ``"low"``."""
    if side == "both":
        mask = result.signal
    elif side == "high":
        mask = result.high
    elif side == "low":
        mask = result.low
    else:
        raise ValueError(f"side must be 'both', 'high' or 'low', got {side!r}")
    return [int(i) for i in np.flatnonzero(mask)]


def _frozen(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values.setflags(write=False)
    return values


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _numeric_series(values: npt.ArrayLike, name: str) -> FloatArray:
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (one value per period), got shape {arr.shape}"
        )
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be numbers, got values of type {arr.dtype}")
    result = arr.astype(np.float64)
    bad = ~np.isfinite(result)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}[{i}] is {result[i]}: every period needs a finite value (NaN is not a "
            "count; drop the period or give 0)"
        )
    negative = result < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise ValueError(f"{name}[{i}] is {arr[i]}: {name} must not be negative")
    return result


def _series(
    counts: npt.ArrayLike, exposures: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Checked counts and exposures as floats, and the mask of periods with exposure > 0."""
    c = _numeric_series(counts, "counts")
    n = _numeric_series(exposures, "exposures")
    if c.shape != n.shape:
        raise ValueError(
            f"counts and exposures must have one value per period each, got {c.shape[0]} "
            f"counts and {n.shape[0]} exposures"
        )
    fractional = c != np.floor(c)
    if fractional.any():
        i = int(np.flatnonzero(fractional)[0])
        raise ValueError(f"counts[{i}] is {c[i]}: counts must be whole numbers")
    valid = n > 0
    orphan = ~valid & (c > 0)
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        raise ValueError(
            f"period {i} has {int(c[i])} complaints but exposure 0: a rate needs a volume; "
            "give the period its exposure or leave it out"
        )
    used = int(valid.sum())
    if used < MIN_PERIODS:
        raise ValueError(
            f"a control chart needs at least {MIN_PERIODS} periods with exposure > 0, got "
            f"{used} (of {c.shape[0]} periods)"
        )
    return c, n, valid


def _positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return number


def _centre(c: FloatArray, n: FloatArray, target: float | None) -> float:
    if target is None:
        return float(c.sum() / n.sum())
    return _positive(target, "target")


def _standardise(
    c: FloatArray, n: FloatArray, valid: BoolArray, centre: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rates u_i, Poisson standard deviations √(centre/n_i) and z scores (NaN where skipped)."""
    rate = np.full(c.shape, np.nan)
    sd = np.full(c.shape, np.nan)
    z = np.full(c.shape, np.nan)
    rate[valid] = c[valid] / n[valid]
    sd[valid] = np.sqrt(centre / n[valid])
    z[valid] = (rate[valid] - centre) / sd[valid] if centre > 0 else 0.0
    return rate, sd, z


def _moving_range_sigma(z_valid: FloatArray) -> float:
    return float(np.abs(np.diff(z_valid)).mean() / D2)


def _sigma_z(
    z: FloatArray, valid: BoolArray, laney: bool, sigma_z: float | None
) -> tuple[float, FloatArray]:
    """Laney's σ_z (1 without Laney) and the z scores of the used periods divided by it."""
    if not isinstance(laney, bool | np.bool_):
        raise ValueError(f"laney must be True or False, got {laney!r}")
    z_valid = z[valid]
    if sigma_z is not None:
        if not laney:
            raise ValueError("sigma_z is Laney's σ_z: give it together with laney=True")
        scale = _positive(sigma_z, "sigma_z")
    elif laney:
        scale = _moving_range_sigma(z_valid)
    else:
        scale = 1.0
    if scale == 0.0:
        if np.any(z_valid != 0.0):
            raise ValueError(
                "Laney's σ_z is 0: every period lies the same distance from the target, so the "
                "between-period variation cannot be estimated; use laney=False or give sigma_z"
            )
        return 0.0, np.zeros_like(z_valid)
    return scale, z_valid / scale


def _tol(scale: float) -> float:
    return _REL_TOL * max(abs(scale), 1e-300)


def _params(**values: float | bool | None) -> Mapping[str, float | bool | None]:
    return MappingProxyType(dict(values))


# --------------------------------------------------------------------------------------------
# Laney's σ_z
# --------------------------------------------------------------------------------------------


def laney_sigma_z(
    counts: npt.ArrayLike, exposures: npt.ArrayLike, *, target: float | None = None
) -> float:
    """Laney's (2002) σ_z: the between-period variation of the Poisson z scores.

    With the centre μ (``target``, else ū = Σc/Σn) and z_i = (u_i − μ) / √(μ / n_i) for the
    periods with exposure > 0, in time order::

        MR_i = |z_i − z_{i−1}|        (consecutive periods with exposure)
        σ_z  = mean(MR) / 1.128       (d₂ for ranges of two)

    σ_z ≈ 1 when the counts are Poisson; σ_z > 1 is over-dispersion (the Poisson limits are too
    narrow), σ_z < 1 under-dispersion. Computing it on a baseline period and passing it with
    ``laney=True, sigma_z=...`` to a chart of later periods keeps the limits fixed. All-zero
    counts give 0.
    """
    c, n, valid = _series(counts, exposures)
    centre = _centre(c, n, target)
    _, _, z = _standardise(c, n, valid, centre)
    return _moving_range_sigma(z[valid])


# --------------------------------------------------------------------------------------------
# u-chart and Laney's u′ chart
# --------------------------------------------------------------------------------------------


def u_chart(
    counts: npt.ArrayLike,
    exposures: npt.ArrayLike,
    *,
    sigma: float = 3.0,
    laney: bool = False,
    sigma_z: float | None = None,
    target: float | None = None,
) -> ChartResult:
    """Shewhart u-chart of complaint rates with variable exposure; Laney's u′ chart on request.

    For period i with c_i complaints and exposure n_i (Montgomery ch. 7, "variable sample
    size")::

        u_i    = c_i / n_i
        ū      = Σ c_i / Σ n_i                  (or ``target``)
        σ_i    = √(ū / n_i)
        limits = ū ± sigma · σ_i                 (lower limit clipped at 0)

    With ``laney=True`` (Laney 2002, the u′ chart), the Poisson σ_i is multiplied by the
    observed between-period variation of the z scores::

        z_i    = (u_i − ū) / σ_i
        σ_z    = mean |z_i − z_{i−1}| / 1.128   (moving ranges of consecutive periods)
        limits = ū ± sigma · σ_z · σ_i

    σ_z ≈ 1 when the data are Poisson (the u′ chart is then the u-chart), > 1 with
    over-dispersion (wider limits, fewer false alarms), < 1 with under-dispersion.
    ``sigma_z`` fixes σ_z instead of estimating it (e.g. :func:`laney_sigma_z` of a baseline).

    Returns a :class:`ChartResult` with method ``"u"`` or ``"laney_u"``: ``value`` = ``rate``
    = u_i, ``statistic`` = z_i, ``sigma_z``, and the limits; a point signals ``high`` above
    the UCL and ``low`` below the LCL (impossible while the LCL is 0).

    Raises:
        ValueError: bad counts or exposures (see the module docstring), fewer than 2 periods
            with exposure, ``sigma`` or ``target`` not a positive number.
    """
    sigma = _positive(sigma, "sigma")
    c, n, valid = _series(counts, exposures)
    centre = _centre(c, n, target)
    rate, sd, z = _standardise(c, n, valid, centre)
    scale, _ = _sigma_z(z, valid, laney, sigma_z)
    width = sigma * scale * sd
    ucl = centre + width
    lcl = np.maximum(centre - width, 0.0)
    tol = _tol(centre)
    high = valid & (rate > ucl + tol)
    low = valid & (rate < lcl - tol)
    return ChartResult(
        method="laney_u" if laney else "u",
        centre=centre,
        rate_centre=centre,
        sigma_z=scale,
        rate=_frozen(rate),
        value=_frozen(rate.copy()),
        value_low=None,
        lcl=_frozen(lcl),
        ucl=_frozen(ucl),
        statistic=_frozen(z),
        high=_frozen(high),
        low=_frozen(low),
        signal=_frozen(high | low),
        params=_params(sigma=sigma, laney=bool(laney), target=target),
    )


# --------------------------------------------------------------------------------------------
# EWMA
# --------------------------------------------------------------------------------------------


def ewma_chart(
    counts: npt.ArrayLike,
    exposures: npt.ArrayLike,
    *,
    lam: float = 0.2,
    L: float = 3.0,  # Montgomery's name for the limit width
    target: float | None = None,
    laney: bool = False,
    sigma_z: float | None = None,
) -> ChartResult:
    """EWMA chart of complaint rates with exact time-varying limits for unequal exposures.

    Roberts (1959); Montgomery ch. 9. On the rates x_t = u_t = c_t / n_t of the periods with
    exposure, starting from the centre μ₀ (``target``, else ū = Σc/Σn)::

        Z_0 = μ₀
        Z_t = λ · x_t + (1 − λ) · Z_{t−1}

    Each x_t has its own Poisson variance σ_t² = μ₀ / n_t (times σ_z² with ``laney=True``),
    so the exact variance of Z_t is Σ_j λ²(1 − λ)^{2(t−j)} σ_j², computed by the recursion::

        V_t = (1 − λ)² · V_{t−1} + λ² · σ_t²,   V_0 = 0
        limits = μ₀ ± L · √V_t                   (lower limit clipped at 0)

    With equal exposures this is Montgomery's exact limit μ₀ ± L σ √(λ/(2−λ) · [1 − (1−λ)^{2t}]),
    which widens over the first periods towards the asymptotic μ₀ ± L σ √(λ/(2−λ)). λ = 1 gives
    the Shewhart chart of the rates. Small λ (0.05–0.25) detect small lasting shifts; λ = 0.2,
    L = 3 give ARL₀ ≈ 560 for normal data (module docstring). With ``laney=True`` σ_z is
    estimated as in :func:`u_chart` (or given as ``sigma_z``) and scales every σ_t — an
    extension of Laney's idea to the EWMA, not part of Laney (2002).

    Returns a :class:`ChartResult` with method ``"ewma"``: ``value`` = Z_t, ``rate`` = x_t,
    ``statistic`` = the Poisson z score of x_t; a period signals when Z_t leaves the limits.

    Raises:
        ValueError: bad counts or exposures, fewer than 2 periods with exposure, λ outside
            (0, 1], L or ``target`` not a positive number.
    """
    lam = _positive(lam, "lam")
    if lam > 1.0:
        raise ValueError(f"lam must lie in (0, 1], got {lam!r}")
    width = _positive(L, "L")
    c, n, valid = _series(counts, exposures)
    centre = _centre(c, n, target)
    rate, sd, z = _standardise(c, n, valid, centre)
    scale, _ = _sigma_z(z, valid, laney, sigma_z)
    x = rate[valid]
    smoothed = np.asarray(
        lfilter([lam], [1.0, -(1.0 - lam)], x, zi=[(1.0 - lam) * centre])[0], dtype=np.float64
    )
    variance = np.asarray(
        lfilter([lam * lam], [1.0, -((1.0 - lam) ** 2)], (scale * sd[valid]) ** 2),
        dtype=np.float64,
    )
    value = np.full(c.shape, np.nan)
    half = np.full(c.shape, np.nan)
    value[valid] = smoothed
    half[valid] = width * np.sqrt(variance)
    ucl = centre + half
    lcl = np.maximum(centre - half, 0.0)
    tol = _tol(centre)
    high = valid & (value > ucl + tol)
    low = valid & (value < lcl - tol)
    return ChartResult(
        method="ewma",
        centre=centre,
        rate_centre=centre,
        sigma_z=scale,
        rate=_frozen(rate),
        value=_frozen(value),
        value_low=None,
        lcl=_frozen(lcl),
        ucl=_frozen(ucl),
        statistic=_frozen(z),
        high=_frozen(high),
        low=_frozen(low),
        signal=_frozen(high | low),
        params=_params(lam=lam, L=width, laney=bool(laney), target=target),
    )


# --------------------------------------------------------------------------------------------
# CUSUM
# --------------------------------------------------------------------------------------------


def _one_sided_cusum(x: FloatArray, k: float, h: float, reset: bool) -> FloatArray:
    """C_t = max(0, x_t − k + C_{t−1}), C_0 = 0; restarted at 0 after each C_t > h if reset.

    Vectorised with the Lindley identity: with S_t = Σ_{j≤t}(x_j − k) and S_0 = 0,
    C_t = S_t − min(S_0, …, S_t). With ``reset`` the identity is applied again from the period
    after each signal (one numpy pass per signal).
    """
    out = np.empty_like(x)
    start, size, limit = 0, x.shape[0], h + _tol(h)
    while start < size:
        sums = np.cumsum(x[start:] - k)
        sums_c = sums - np.minimum.accumulate(np.minimum(sums, 0.0))
        over = np.flatnonzero(sums_c > limit) if reset else np.zeros(0, dtype=np.intp)
        if over.size == 0:
            out[start:] = sums_c
            break
        stop = start + int(over[0]) + 1
        out[start:stop] = sums_c[: int(over[0]) + 1]
        start = stop
    return out


def cusum_chart(
    counts: npt.ArrayLike,
    exposures: npt.ArrayLike,
    *,
    k: float = 0.5,
    h: float = 4.0,
    target: float | None = None,
    reset: bool = True,
    laney: bool = False,
    sigma_z: float | None = None,
) -> ChartResult:
    """Two-sided tabular CUSUM of the standardised complaint rates.

    Page (1954); Montgomery ch. 9 (the tabular CUSUM, in standardised form). With the centre
    μ₀ (``target``, else ū = Σc/Σn) each period with exposure is standardised with its own
    Poisson variance, z_t = (u_t − μ₀) / √(μ₀ / n_t) (divided by σ_z with ``laney=True``),
    and::

        C⁺_t = max(0, z_t − k + C⁺_{t−1})      C⁺_0 = 0
        C⁻_t = max(0, −z_t − k + C⁻_{t−1})     C⁻_0 = 0
        signal high when C⁺_t > h, low when C⁻_t > h

    k (the reference value, in σ) is usually half the shift to detect fastest (k = 0.5 for a
    1σ shift); h the decision interval (4 or 5: ARL₀ 168 or 465 for normal data, two-sided;
    module docstring). With ``reset=True`` (default; Montgomery: the CUSUM is restarted at zero
    after an out-of-control signal, once its cause is dealt with) the side that signalled
    starts again from 0 in the next period, so a lasting shift signals again about every ARL₁
    periods; with ``reset=False`` the sum carries on and every period stays signalling until it
    falls back under h. With ``laney=True`` σ_z is estimated as in :func:`u_chart` (or given
    as ``sigma_z``) — an extension of Laney's idea, not part of Laney (2002).

    Returns a :class:`ChartResult` with method ``"cusum"``: ``value`` = C⁺_t, ``value_low`` =
    −C⁻_t, ``ucl`` = h, ``lcl`` = −h, ``centre`` = 0, ``rate_centre`` = μ₀ and ``statistic`` =
    the Poisson z_t (before division by σ_z).

    Raises:
        ValueError: bad counts or exposures, fewer than 2 periods with exposure, k < 0, h or
            ``target`` not a positive number.
    """
    k = _positive(k, "k", allow_zero=True)
    h = _positive(h, "h")
    if not isinstance(reset, bool | np.bool_):
        raise ValueError(f"reset must be True or False, got {reset!r}")
    c, n, valid = _series(counts, exposures)
    centre = _centre(c, n, target)
    rate, _, z = _standardise(c, n, valid, centre)
    scale, standardised = _sigma_z(z, valid, laney, sigma_z)
    upper = np.full(c.shape, np.nan)
    lower = np.full(c.shape, np.nan)
    upper[valid] = _one_sided_cusum(standardised, k, h, bool(reset))
    lower[valid] = 0.0 - _one_sided_cusum(-standardised, k, h, bool(reset))  # no −0.0
    ucl = np.where(valid, h, np.nan)
    lcl = np.where(valid, -h, np.nan)
    tol = _tol(h)
    high = valid & (upper > h + tol)
    low = valid & (lower < -h - tol)
    return ChartResult(
        method="cusum",
        centre=0.0,
        rate_centre=centre,
        sigma_z=scale,
        rate=_frozen(rate),
        value=_frozen(upper),
        value_low=_frozen(lower),
        lcl=_frozen(lcl),
        ucl=_frozen(ucl),
        statistic=_frozen(z),
        high=_frozen(high),
        low=_frozen(low),
        signal=_frozen(high | low),
        params=_params(k=k, h=h, reset=bool(reset), laney=bool(laney), target=target),
    )


# --------------------------------------------------------------------------------------------
# Average run lengths (the false-alarm trade-off of the settings page)
# --------------------------------------------------------------------------------------------


def _arl_sides(side: Side, upper: float, lower: float | None) -> float:
    """The two-sided ARL of two one-sided schemes run together: 1/ARL = 1/ARL⁺ + 1/ARL⁻
    (exact for the Shewhart chart, the usual approximation for the CUSUM)."""
    if side == "high":
        return upper
    assert lower is not None
    if side == "low":
        return lower
    return 1.0 / (1.0 / upper + 1.0 / lower)


def _check_side(side: Side) -> None:
    if side not in ("both", "high", "low"):
        raise ValueError(f"side must be 'both', 'high' or 'low', got {side!r}")


def _arl_markov(transitions: FloatArray, start: int) -> float:
    """Expected steps to absorption from `start` for the transient states' matrix R:
    ARL = (I − R)⁻¹ 1 (Brook & Evans 1972)."""
    size = transitions.shape[0]
    arl = np.linalg.solve(np.eye(size) - transitions, np.ones(size))
    value = float(arl[start])
    # When absorption is all but impossible (a wide CUSUM interval with a large allowance),
    # I − R is singular in floating point and the solve returns noise, even a negative ARL:
    # the run length is then beyond anything representable.
    if not math.isfinite(value) or value < 1.0 or value > 1e15:
        return math.inf
    return value


def arl_shewhart(sigma: float = 3.0, *, shift: float = 0.0, side: Side = "high") -> float:
    """ARL of a Shewhart chart with limits ±``sigma`` for normal points whose mean moved by
    ``shift`` standard deviations: 1 / P(point beyond a limit). ``arl_shewhart(3, side=
    "both")`` = 370.4, ``side="high"`` (the alert's side) = 740.8 in control."""
    from scipy.stats import norm

    sigma = _positive(sigma, "sigma")
    _check_side(side)
    upper = float(norm.sf(sigma - shift))
    lower = float(norm.cdf(-sigma - shift))
    p = {"high": upper, "low": lower, "both": upper + lower}[side]
    return math.inf if p == 0.0 else 1.0 / p


def arl_cusum(
    k: float = 0.5, h: float = 4.0, *, shift: float = 0.0, side: Side = "high", states: int = 200
) -> float:
    """ARL of the tabular CUSUM (reference value ``k``, decision interval ``h``, in σ) of
    normal points whose mean moved by ``shift`` σ, by the Markov chain of Brook & Evans
    (1972) with ``states`` states: the upper sum's range [0, h] cut into a state at 0 of width
    w/2 and states of width w = 2h / (2·states − 1) centred on i·w. The two sides are combined
    by 1/ARL = 1/ARL⁺ + 1/ARL⁻. k = ½: h = 4 → 168, h = 5 → 465 (two-sided, in control),
    335 and 931 for the upper side alone."""
    from scipy.stats import norm

    k = _positive(k, "k", allow_zero=True)
    h = _positive(h, "h")
    _check_side(side)
    if states < 2:
        raise ValueError(f"states must be at least 2, got {states!r}")
    width = 2.0 * h / (2 * states - 1)
    centres = np.arange(states) * width

    def one_sided(mean: float) -> float:
        # From state i the next sum is max(0, c_i + X − k), X ~ N(mean, 1).
        low_edges = np.concatenate([[-np.inf], centres[1:] - width / 2.0])
        high_edges = centres + width / 2.0
        shifted = centres[:, None] - k + mean
        matrix = norm.cdf(high_edges[None, :] - shifted) - norm.cdf(low_edges[None, :] - shifted)
        return _arl_markov(np.asarray(matrix, dtype=np.float64), 0)

    upper = one_sided(shift)
    lower = one_sided(-shift) if side != "high" else None
    return _arl_sides(side, upper, lower)


def arl_ewma(
    lam: float = 0.2, L: float = 3.0, *, shift: float = 0.0, side: Side = "high", states: int = 201
) -> float:
    """ARL of the EWMA chart (weight ``lam``, asymptotic limits ±L σ √(λ/(2−λ))) of normal
    points whose mean moved by ``shift`` σ, started at the centre, by the Markov chain of
    Lucas & Saccucci (1990) with ``states`` states (odd, so one is centred on 0). For one
    side the other is not a limit: the chain reaches down to 6 σ_Z below the centre, where it
    holds (what falls below stays in the lowest state). λ = 0.2: L = 3 → ≈ 560, L = 2.962 →
    ≈ 500 (two-sided, in control). The exact time-varying limits of :func:`ewma_chart` are
    narrower in the first periods, so its ARL₀ is a little lower (module docstring)."""
    from scipy.stats import norm

    lam = _positive(lam, "lam")
    if lam > 1.0:
        raise ValueError(f"lam must lie in (0, 1], got {lam!r}")
    width_l = _positive(L, "L")
    _check_side(side)
    if states < 3 or states % 2 == 0:
        raise ValueError(f"states must be an odd number ≥ 3, got {states!r}")
    spread = math.sqrt(lam / (2.0 - lam))
    limit = width_l * spread
    reach = 6.0 * spread + limit
    top, bottom = {"high": (limit, -reach), "low": (reach, -limit), "both": (limit, -limit)}[side]
    width = (top - bottom) / states
    centres = bottom + (np.arange(states) + 0.5) * width
    low_edges = centres - width / 2.0
    high_edges = centres + width / 2.0
    if side == "high":
        low_edges[0] = -np.inf
    elif side == "low":
        high_edges[-1] = np.inf
    # Z' = (1 − λ) c_i + λ X, X ~ N(shift, 1): Z' in [a, b) ⇔ X in [(a − (1−λ)c_i)/λ, ...).
    base = (1.0 - lam) * centres[:, None]
    matrix = norm.cdf((high_edges[None, :] - base) / lam - shift) - norm.cdf(
        (low_edges[None, :] - base) / lam - shift
    )
    start = int(np.argmin(np.abs(centres)))
    return _arl_markov(np.asarray(matrix, dtype=np.float64), start)
