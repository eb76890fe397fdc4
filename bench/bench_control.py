"""Control-chart benchmark: the u-chart (plain and Laney), EWMA and CUSUM of
`manyi.metrics.control` on 1,000 complaint series (store × category) × 104 weeks; and, with
``--arl``, the false-alarm figures quoted in the module's docstring.

Run from the repository root (no database, no Django):

    .venv/bin/python bench/bench_control.py                 # --series 1000 --weeks 104 --runs 5
    .venv/bin/python bench/bench_control.py --arl           # the ARL table (about a minute)

What is timed: one call per series (a Python loop over the series; each call is vectorised
over the periods), on arrays already in memory, as the early-warning job would hold them after
its query (one `GROUP BY store, category, week` of complaints and one of the volume). Each
figure is the median of ``--runs`` runs; the per-series cost is that median / the number of
series. Synthetic data (numpy, fixed seed ``SEED``): per store a weekly volume around a level
drawn from 200–3,000 services (Poisson), 1 % of the weeks closed (exposure 0, no complaints);
per series a base complaint rate from a gamma distribution (mean 0.6 per 100 services) with a
gamma frailty per week (over-dispersion, coefficient of variation 0.25); in 5 % of the series
the rate rises by half from week 80. The charts use their defaults (3σ; λ = 0.2, L = 3;
k = 0.5, h = 4 with reset) with the centre estimated from the series (phase I), and with a
baseline: target and Laney's σ_z from the first 52 weeks (phase II).

``--arl`` computes average run lengths (ARL, periods until a signal):

- normal data, by the Markov-chain method of Brook & Evans (1972) (CUSUM; 400 states) and of
  Lucas & Saccucci (1990) (EWMA with asymptotic limits; 1,201 states), two-sided and upper
  side only, in control and after shifts of 0.5, 1 and 2 σ; the Shewhart figures exactly;
- the EWMA with the exact time-varying limits, by simulation (20,000 runs of normal data);
- Poisson counts: the u-chart's upper-side ARL₀ exactly (1 / P(X > μ + 3√μ)), and the
  library's EWMA and CUSUM simulated on Poisson counts with the centre known (``target``),
  at 0.5 to 100 expected complaints per period.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from common import cpu_name, load_average
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from manyi.metrics.control import (  # noqa: E402
    ChartResult,
    cusum_chart,
    ewma_chart,
    laney_sigma_z,
    signals,
    u_chart,
)

SEED = 20260402
STEP_WEEK = 80
BASELINE_WEEKS = 52


def machine() -> str:
    cpu = cpu_name()
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy "
        f"{np.__version__}, scipy {scipy.__version__}"
    )


# ----------------------------------------------------------------------------- data


def synthetic(series: int, weeks: int, seed: int = SEED) -> dict[str, Any]:
    """Counts and exposures (series × weeks), and which series have a step change."""
    rng = np.random.default_rng(seed)
    categories = 10
    stores = max(1, series // categories)
    level = rng.uniform(200, 3000, size=stores)
    volume = rng.poisson(level[:, None] * rng.uniform(0.85, 1.15, size=(stores, weeks)))
    volume[rng.random(size=volume.shape) < 0.01] = 0  # closed weeks
    exposures = np.repeat(volume, categories, axis=0)[:series].astype(np.float64)
    base = rng.gamma(2.0, 0.003, size=series)  # mean 0.006 complaints per service
    frailty = rng.gamma(16.0, 1 / 16.0, size=(series, weeks))  # CV 0.25
    stepped = rng.random(size=series) < 0.05
    factor = np.where(stepped[:, None] & (np.arange(weeks) >= STEP_WEEK), 1.5, 1.0)
    counts = rng.poisson(exposures * base[:, None] * frailty * factor)
    return {"counts": counts, "exposures": exposures, "stepped": stepped}


# ----------------------------------------------------------------------------- timing


def timed(label: str, runs: int, series: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    seconds = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(
        f"| {label:<52} | {series:>6,} | {median * 1000:>9.1f} | {min(seconds) * 1000:>8.1f} "
        f"| {max(seconds) * 1000:>8.1f} | {median / series * 1e6:>11.0f} |",
        flush=True,
    )
    return median, result


def bench_charts(series: int, weeks: int, runs: int) -> None:
    print(f"\nGenerating {series:,} series × {weeks} periods (seed {SEED}) …", flush=True)
    data = synthetic(series, weeks)
    counts, exposures, stepped = data["counts"], data["exposures"], data["stepped"]
    print(
        f"  {int(counts.sum()):,} complaints, {int((exposures == 0).sum()):,} closed weeks, "
        f"{int(stepped.sum())} series with a +50 % step from week {STEP_WEEK}; {load_average()}\n"
    )
    rows = list(zip(counts, exposures, strict=True))
    print(f"Median of {runs} runs:\n")
    print(
        f"| {'chart':<52} | {'series':>6} | {'median ms':>9} | {'min ms':>8} | {'max ms':>8} "
        f"| {'µs / series':>11} |"
    )
    print(f"|{'-' * 54}|{'-' * 7}:|{'-' * 10}:|{'-' * 9}:|{'-' * 9}:|{'-' * 12}:|")

    def every(chart: Callable[..., ChartResult], **kwargs: Any) -> Callable[[], Any]:
        return lambda: [chart(c, n, **kwargs) for c, n in rows]

    t_u, u_results = timed("u-chart, 3σ", runs, series, every(u_chart))
    t_l, laney_results = timed("Laney u′ chart, 3σ", runs, series, every(u_chart, laney=True))
    t_e, ewma_results = timed("EWMA λ = 0.2, L = 3", runs, series, every(ewma_chart))
    t_c, cusum_results = timed("CUSUM k = 0.5, h = 4, reset", runs, series, every(cusum_chart))

    def all_three() -> list[Any]:
        return [(u_chart(c, n, laney=True), ewma_chart(c, n), cusum_chart(c, n)) for c, n in rows]

    t_all, _ = timed("all three (Laney u′, EWMA, CUSUM)", runs, series, all_three)

    def phase_two() -> list[Any]:
        out = []
        for c, n in rows:
            base_c, base_n = c[:BASELINE_WEEKS], n[:BASELINE_WEEKS]
            target = float(base_c.sum() / base_n.sum())
            sigma_z = laney_sigma_z(base_c, base_n)
            kw: dict[str, Any] = {"target": target, "laney": True, "sigma_z": sigma_z}
            out.append((u_chart(c, n, **kw), ewma_chart(c, n, **kw), cusum_chart(c, n, **kw)))
        return out

    t_p2, p2_results = timed("all three, Laney, baseline = first 52 weeks", runs, series, phase_two)
    print(
        f"\nSum of the four single charts: {(t_u + t_l + t_e + t_c) * 1000:.0f} ms; all three "
        f"per series: {t_all / series * 1e6:.0f} µs ({t_p2 / series * 1e6:.0f} µs with the "
        f"baseline); {load_average()}"
    )

    # What the charts say about this data (upper side: more complaints than expected).
    sigma_z = np.array([r.sigma_z for r in laney_results])
    print(
        f"\nLaney σ_z over the series: median {np.median(sigma_z):.2f}, "
        f"10–90 % {np.quantile(sigma_z, 0.1):.2f}–{np.quantile(sigma_z, 0.9):.2f}"
    )
    print("\nSeries with an upper signal (share of the 104 weeks that signal, in brackets):")
    for label, results in (
        ("u-chart", u_results),
        ("Laney u′", laney_results),
        ("EWMA", ewma_results),
        ("CUSUM", cusum_results),
        ("Laney u′, baseline", [r[0] for r in p2_results]),
        ("EWMA, Laney baseline", [r[1] for r in p2_results]),
        ("CUSUM, Laney baseline", [r[2] for r in p2_results]),
    ):
        high = np.array([r.high for r in results])
        after = high[:, STEP_WEEK:]
        caught = after[stepped].any(axis=1).mean() if stepped.any() else float("nan")
        quiet = high[~stepped].any(axis=1).mean()
        print(
            f"  {label:<22} stepped series caught from week {STEP_WEEK}: {caught:6.1%}; "
            f"series without a step that signal anywhere: {quiet:6.1%} "
            f"({high[~stepped].mean():.2%} of their weeks)"
        )


# ----------------------------------------------------------------------------- ARL


def cusum_arl(k: float, h: float, shift: float = 0.0, states: int = 400) -> float:
    """One-sided CUSUM ARL from 0 (Brook & Evans 1972), normal data N(shift, 1)."""
    w = 2 * h / (2 * states - 1)
    centres = np.arange(states) * w
    moves = centres[None, :] - centres[:, None] + k
    p = stats.norm.cdf(moves + w / 2, loc=shift) - stats.norm.cdf(moves - w / 2, loc=shift)
    p[:, 0] = stats.norm.cdf(w / 2 - centres + k, loc=shift)
    arl = np.linalg.solve(np.eye(states) - p, np.ones(states))
    return float(arl[0])


def ewma_arl(
    lam: float, width: float, shift: float = 0.0, *, upper_only: bool = False, states: int = 1201
) -> float:
    """EWMA ARL from the centre with asymptotic limits (Lucas & Saccucci 1990), N(shift, 1)."""
    sd = np.sqrt(lam / (2 - lam))
    ucl = width * sd
    low = -10 * sd if upper_only else -ucl  # upper only: no lower boundary within reach
    w = (ucl - low) / states
    c = low + (np.arange(states) + 0.5) * w
    hi = (c[None, :] + w / 2 - (1 - lam) * c[:, None]) / lam
    lo = (c[None, :] - w / 2 - (1 - lam) * c[:, None]) / lam
    p = stats.norm.cdf(hi, loc=shift) - stats.norm.cdf(lo, loc=shift)
    arl = np.linalg.solve(np.eye(states) - p, np.ones(states))
    return float(np.interp(0.0, c, arl))


def both_sides(upper: float, lower: float) -> float:
    return 1.0 / (1.0 / upper + 1.0 / lower)


def ewma_exact_limits_arl0(lam: float, width: float, runs: int, seed: int) -> tuple[float, float]:
    """Simulated two-sided ARL₀ of the EWMA with exact time-varying limits, normal data."""
    rng = np.random.default_rng(seed)
    z = np.zeros(runs)
    alive = np.ones(runs, dtype=bool)
    length = np.zeros(runs)
    t = 0
    while alive.any():
        t += 1
        z = lam * rng.standard_normal(runs) + (1 - lam) * z
        limit = width * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
        hit = alive & (np.abs(z) > limit)
        length[hit] = t
        alive &= ~hit
    return float(length.mean()), float(length.std() / np.sqrt(runs))


def poisson_upper_arl0(mu: float, periods: int, runs: int, seed: int) -> tuple[float, float]:
    """Library EWMA and CUSUM on Poisson(mu) counts, exposure 1, target mu: upper ARL₀.

    EWMA: the mean first-signal period of ``runs`` series of ``periods`` (a series without a
    signal counts as ``periods``: a slight underestimate, printed as "≥" when it happens).
    CUSUM with reset: periods / upper signals, pooled over the series (the gaps between
    restarts are independent run lengths).
    """
    rng = np.random.default_rng(seed)
    exposures = np.ones(periods)
    first, cusum_signals = [], 0
    for _ in range(runs):
        counts = rng.poisson(mu, size=periods)
        high = signals(ewma_chart(counts, exposures, target=mu), "high")
        first.append(high[0] + 1 if high else periods)
        cusum_signals += len(signals(cusum_chart(counts, exposures, target=mu), "high"))
    return float(np.mean(first)), periods * runs / max(cusum_signals, 1)


def bench_arl() -> None:
    print("\nNormal data, Markov chains (two-sided | upper side only); shift in σ of one point")
    print(
        f"\n| {'chart':<28} | {'ARL₀':>5} | {'upper':>5} | {'δ = 0.5':>7} | {'δ = 1':>6} "
        f"| {'δ = 2':>5} |"
    )
    print(f"|{'-' * 30}|{'-' * 6}:|{'-' * 6}:|{'-' * 8}:|{'-' * 7}:|{'-' * 6}:|")
    p3 = stats.norm.sf(3.0)

    def shewhart(d: float) -> float:
        return float(1 / (stats.norm.sf(3 - d) + stats.norm.cdf(-3 - d)))

    print(
        f"| {'Shewhart 3σ (exact)':<28} | {1 / (2 * p3):>5.0f} | {1 / p3:>5.0f} | "
        f"{shewhart(0.5):>7.1f} | {shewhart(1):>6.1f} | {shewhart(2):>5.1f} |"
    )
    up, two = ewma_arl(0.2, 3.0, upper_only=True), ewma_arl(0.2, 3.0)
    print(
        f"| {'EWMA λ = 0.2, L = 3':<28} | {two:>5.0f} | {up:>5.0f} | "
        f"{ewma_arl(0.2, 3.0, 0.5):>7.1f} | {ewma_arl(0.2, 3.0, 1.0):>6.1f} | "
        f"{ewma_arl(0.2, 3.0, 2.0):>5.1f} |"
    )
    print(
        f"| {'EWMA λ = 0.2, L = 2.962':<28} | {ewma_arl(0.2, 2.962):>5.0f} | "
        f"{ewma_arl(0.2, 2.962, upper_only=True):>5.0f} | "
        f"{ewma_arl(0.2, 2.962, 0.5):>7.1f} | {ewma_arl(0.2, 2.962, 1.0):>6.1f} | "
        f"{ewma_arl(0.2, 2.962, 2.0):>5.1f} |"
    )
    for h in (4.0, 5.0):
        one = cusum_arl(0.5, h)
        shifted = [both_sides(cusum_arl(0.5, h, d), cusum_arl(0.5, h, -d)) for d in (0.5, 1, 2)]
        print(
            f"| {f'CUSUM k = 0.5, h = {h:g}':<28} | {both_sides(one, one):>5.0f} | {one:>5.0f} | "
            f"{shifted[0]:>7.1f} | {shifted[1]:>6.1f} | {shifted[2]:>5.1f} |"
        )
    mean, se = ewma_exact_limits_arl0(0.2, 3.0, 20_000, SEED)
    print(
        f"\nEWMA λ = 0.2, L = 3 with the exact time-varying limits (20,000 simulated runs): "
        f"ARL₀ = {mean:.0f} ± {se:.0f} (standard error)"
    )

    print("\nPoisson counts, upper side only, centre known; μ = expected complaints a period")
    print(
        f"\n| {'μ':>5} | {'u-chart 3σ (exact)':>18} | {'EWMA (sim.)':>11} | {'CUSUM (sim.)':>12} |"
    )
    print(f"|{'-' * 6}:|{'-' * 19}:|{'-' * 12}:|{'-' * 13}:|")
    for i, mu in enumerate((0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 100.0)):
        ucl = mu + 3 * np.sqrt(mu)
        exact = 1 / stats.poisson.sf(np.floor(ucl), mu)
        ewma, cusum = poisson_upper_arl0(mu, periods=8000, runs=1000, seed=SEED + i)
        print(f"| {mu:>5g} | {exact:>18.0f} | {ewma:>11.0f} | {cusum:>12.0f} |", flush=True)
    print(f"\n{load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--arl", action="store_true", help="compute the ARL table instead")
    args = parser.parse_args()
    print(machine())
    print(load_average())
    if args.arl:
        bench_arl()
    else:
        bench_charts(args.series, args.weeks, args.runs)


if __name__ == "__main__":
    main()
