"""Customer value model benchmark: BG/NBD + Gamma-Gamma on 3,000,000 synthetic transactions,
and the check against the published CDNOW fits.

Run from the repository root (no database, no Django):

    .venv/bin/python bench/bench_value.py                  # --customers 420000 --runs 3

Options: ``--customers N`` (default 420,000, which gives ~3,000,000 transactions),
``--runs R`` repetitions of every timing (the table shows the median, min and max),
``--only cdnow,synthetic``.

CDNOW (``manyi/metrics/tests/data``, see its SOURCE.txt): `bgnbd_fit` and `gamma_gamma_fit`
on the 2,357-customer calibration summary, printed next to the published estimates
(Fader, Hardie & Lee 2005; Fader & Hardie 2013).

Synthetic log (numpy, fixed seed ``SEED``), simulated from the CDNOW estimates with the time
unit read as *days* (r = 0.243, α = 4.414 days, a = 0.793, b = 2.426; spend p = 6.25,
q = 3.74, v = 15.44): customers make their first purchase at a uniform time in the first
three years of a four-year log (1,461 days), then buy as a Poisson process with rate
λ ~ Gamma(r, α) and drop out after each repeat purchase with probability p ~ Beta(a, b);
each purchase's amount is Gamma(6.25, ν) with ν ~ Gamma(3.74, 15.44) per customer. At these
rates a customer makes 7.2 purchases on average, so 420,000 customers give ~3,000,000
transactions. The log is shuffled (no useful order) and has a time of day.

What is timed (data already in memory as numpy arrays, as after the query):

1. `summary_from_transactions` (days) on the whole log;
2. `compress_summary` alone (how many distinct (x, t_x, T) rows the fit evaluates) and
   `bgnbd_fit` (which compresses itself);
3. `gamma_gamma_fit` on the customers with a repeat purchase;
4. predictions for every customer: `bgnbd_p_alive`, `bgnbd_expected` (365 days),
   `expected_value` (365 days, undiscounted, and discounted monthly: 1 % per 30 days);
5. `rfm_segments` on (days since last purchase, purchases, total spend).

"The value model" is 1 + 2 (fit) + 3 + P(alive) + expected value: target < 60 s.
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
import pandas as pd
from common import cpu_name, load_average

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from manyi.metrics.rfm import rfm_segments  # noqa: E402
from manyi.metrics.value import (  # noqa: E402
    BgNbdParams,
    GammaGammaParams,
    bgnbd_expected,
    bgnbd_fit,
    bgnbd_p_alive,
    compress_summary,
    expected_value,
    gamma_gamma_fit,
    summary_from_transactions,
)

SEED = 20261123
CDNOW = ROOT / "manyi" / "metrics" / "tests" / "data" / "cdnow_summary.csv"
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}
TRUE_BGNBD = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
TRUE_GG = GammaGammaParams(p=6.25, q=3.74, v=15.44)
LOG_DAYS = 1461  # four years
JOIN_DAYS = 1096  # first purchases in the first three years
START = np.datetime64("2022-01-01T00:00:00", "s")


def machine() -> str:
    cpu = cpu_name()
    import scipy

    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy "
        f"{np.__version__}, scipy {scipy.__version__}, pandas {pd.__version__}"
    )


class Table:
    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.rows: list[tuple[str, int, float, float, float, bool]] = []

    def time(self, step: str, n: int, fn: Callable[[], Any], *, model: bool = False) -> Any:
        seconds = []
        result = None
        for _ in range(self.runs):
            start = time.perf_counter()
            result = fn()
            seconds.append(time.perf_counter() - start)
        row = (step, n, statistics.median(seconds), min(seconds), max(seconds), model)
        self.rows.append(row)
        print(f"  {step:<62} {n:>11,} {row[2]:>9.3f} s", flush=True)
        return result

    def print(self) -> None:
        print(f"\nTimings (median of {self.runs} runs; {load_average()})\n")
        print(f"| {'step':<62} | {'n':>11} | {'median':>8} | {'min':>7} | {'max':>7} |")
        print(f"|{'-' * 64}|{'-' * 12}:|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|")
        for step, n, med, lo, hi, model in self.rows:
            label = f"**{step}**" if model else step
            print(f"| {label:<62} | {n:>11,} | {med:>6.2f} s | {lo:>5.2f} s | {hi:>5.2f} s |")
        total = sum(r[2] for r in self.rows if r[5])
        verdict = "met" if total < 60.0 else "NOT met"
        print(f"\nThe value model (bold steps): {total:.1f} s — target < 60 s: {verdict}")


# ----------------------------------------------------------------------------- CDNOW


def cdnow() -> None:
    data = pd.read_csv(CDNOW)
    start = time.perf_counter()
    bg = bgnbd_fit(data["x"], data["t_x"], data["T"])
    bg_seconds = time.perf_counter() - start
    start = time.perf_counter()
    gg = gamma_gamma_fit(data["x"], data["zbar"])
    gg_seconds = time.perf_counter() - start
    print(
        f"\nCDNOW sample, {len(data):,} customers (BG/NBD {bg_seconds * 1000:.0f} ms, "
        f"{bg.n_rows} distinct rows, converged {bg.converged}; Gamma-Gamma "
        f"{gg_seconds * 1000:.0f} ms, {gg.n_customers} customers, converged {gg.converged})\n"
    )
    print("| model | parameter | published | ours |")
    print("|---|---|---:|---:|")
    for name in ("r", "alpha", "a", "b"):
        print(f"| BG/NBD | {name} | {PUBLISHED_BGNBD[name]} | {getattr(bg.params, name):.4f} |")
    print(
        f"| BG/NBD | log-likelihood | {PUBLISHED_BGNBD['log_likelihood']} | "
        f"{bg.log_likelihood:.2f} |"
    )
    for name in ("p", "q", "v"):
        print(f"| Gamma-Gamma | {name} | {PUBLISHED_GG[name]} | {getattr(gg.params, name):.4f} |")
    print(f"| Gamma-Gamma | corr(x, z̄) | 0.11 | {gg.frequency_spend_correlation:.3f} |")
    print(f"| Gamma-Gamma | log-likelihood | – | {gg.log_likelihood:.2f} |")


# ----------------------------------------------------------------------------- synthetic


def simulate(
    customers: int, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(customer id, timestamp, amount) of every transaction, shuffled, and the customers'
    exact (x, t_x, T, mean repeat spend) in continuous time (before grouping by day)."""
    rng = np.random.default_rng(seed)
    n = customers
    first = rng.uniform(0.0, JOIN_DAYS, n)  # time of the first purchase, days from START
    window = LOG_DAYS - first
    lam = rng.gamma(TRUE_BGNBD.r, 1.0 / TRUE_BGNBD.alpha, n)
    drop = np.clip(rng.beta(TRUE_BGNBD.a, TRUE_BGNBD.b, n), 1e-12, 1.0)
    before_drop = rng.geometric(drop)  # repeat purchases made before dropping out
    points = rng.poisson(lam * window)  # Poisson points in the window, alive or not
    repeats = np.minimum(before_drop, points)
    # The first `repeats` of `points` uniform times in (0, window): with E_k ~ Exp(1),
    # U_(k) = (E_1 + … + E_k) / (E_1 + … + E_(points+1)); only the first `repeats` E's and one
    # Gamma(points − repeats + 1) for the rest are drawn.
    owner = np.repeat(np.arange(n), repeats)
    gaps = rng.exponential(size=owner.size)
    running = np.cumsum(gaps)
    group_start = np.repeat(np.cumsum(repeats) - repeats, repeats)
    partial = running - (running[group_start] - gaps[group_start])
    ends = np.cumsum(repeats)[repeats > 0] - 1
    last_sum = np.zeros(n)
    last_sum[repeats > 0] = partial[ends]
    rest = np.zeros(n)
    rest[repeats > 0] = rng.gamma(points[repeats > 0] - repeats[repeats > 0] + 1.0)
    times = first[owner] + partial / (last_sum[owner] + rest[owner]) * window[owner]
    all_owner = np.concatenate([np.arange(n), owner])
    all_times = np.concatenate([first, times])
    nu = rng.gamma(TRUE_GG.q, 1.0 / TRUE_GG.v, n)
    amounts = np.round(rng.gamma(TRUE_GG.p, 1.0 / nu[all_owner]), 2)
    amounts = np.maximum(amounts, 0.01)
    order = rng.permutation(all_owner.size)
    ids = (all_owner[order] + 100_000).astype(np.int64)  # database-like ids
    stamps = START + (all_times[order] * 86_400).astype("timedelta64[s]")
    last_repeat = np.zeros(n)
    last_repeat[repeats > 0] = times[ends]
    repeat_spend = np.bincount(owner, weights=amounts[n:], minlength=n)
    exact = (
        repeats.astype(float),
        np.where(repeats > 0, last_repeat - first, 0.0),
        window,
        np.divide(repeat_spend, repeats, out=np.zeros(n), where=repeats > 0),
    )
    return ids, stamps, amounts[order], exact


def synthetic(customers: int, runs: int) -> None:
    start = time.perf_counter()
    ids, stamps, amounts, exact = simulate(customers)
    print(
        f"\nSynthetic log: {ids.size:,} transactions of {customers:,} customers, simulated in "
        f"{time.perf_counter() - start:.1f} s ({load_average()})\n"
    )
    end = (START + np.timedelta64(LOG_DAYS - 1, "D")).astype("datetime64[D]")
    table = Table(runs)
    summary = table.time(
        "summary_from_transactions (days)",
        ids.size,
        lambda: summary_from_transactions(
            ids, stamps, amounts, observation_end=str(end), period="D"
        ),
        model=True,
    )
    x = summary["frequency"].to_numpy(dtype=float)
    tx = summary["recency"].to_numpy()
    T = summary["T"].to_numpy()
    m = summary["monetary"].to_numpy()
    n = len(summary)
    rows = table.time(
        "compress_summary (distinct (x, t_x, T) rows)", n, lambda: compress_summary(x, tx, T)
    )
    bg = table.time("bgnbd_fit (compresses first)", n, lambda: bgnbd_fit(x, tx, T), model=True)
    gg = table.time(
        "gamma_gamma_fit (customers with x ≥ 1)",
        int((x > 0).sum()),
        lambda: gamma_gamma_fit(x, m),
        model=True,
    )
    table.time("bgnbd_p_alive", n, lambda: bgnbd_p_alive(bg, x, tx, T), model=True)
    table.time("bgnbd_expected, next 365 days", n, lambda: bgnbd_expected(bg, 365, x, tx, T))
    value = table.time(
        "expected_value, next 365 days",
        n,
        lambda: expected_value(bg, gg, 365, x, tx, T, m),
        model=True,
    )
    table.time(
        "expected_value, 365 days discounted 1 %/30 days (13 steps)",
        n,
        lambda: expected_value(bg, gg, 365, x, tx, T, m, discount_rate=0.01, period=30),
    )
    table.time(
        "rfm_segments",
        n,
        lambda: rfm_segments(summary["days_since_last"], x + 1, m * x),
    )
    table.print()
    print(
        f"\nBG/NBD: {n:,} customers, {rows[0].size:,} distinct rows "
        f"({rows[0].size / n:.0%}), {bg.iterations} iterations, converged {bg.converged}, "
        f"log-likelihood {bg.log_likelihood:,.1f}"
    )
    print(
        f"Gamma-Gamma: {gg.n_customers:,} customers, {gg.iterations} iterations, "
        f"converged {gg.converged}"
    )
    # The same customers in continuous time: what the fit recovers when purchases on one day
    # are not merged into one transaction (untimed check of the simulation and the fit).
    exact_bg = bgnbd_fit(exact[0], exact[1], exact[2])
    exact_gg = gamma_gamma_fit(exact[0], exact[3])
    merged = ids.size - int(x.sum()) - n
    print(
        f"Purchases merged into an earlier one of the same day by the daily summary: "
        f"{merged:,} ({merged / ids.size:.1%})"
    )
    print("\n| parameter | simulated | recovered, daily summary | recovered, exact times |")
    print("|---|---:|---:|---:|")
    for name in ("r", "alpha", "a", "b"):
        print(
            f"| {name} | {getattr(TRUE_BGNBD, name)} | {getattr(bg.params, name):.4f} | "
            f"{getattr(exact_bg.params, name):.4f} |"
        )
    for name in ("p", "q", "v"):
        print(
            f"| {name} | {getattr(TRUE_GG, name)} | {getattr(gg.params, name):.4f} | "
            f"{getattr(exact_gg.params, name):.4f} |"
        )
    print(
        f"| mean spend p·v/(q−1) | {TRUE_GG.mean_spend:.2f} | {gg.params.mean_spend:.2f} | "
        f"{exact_gg.params.mean_spend:.2f} |"
    )
    top = np.sort(value)[-max(n // 100, 1) :].sum() / value.sum()
    print(
        f"\nExpected value of the next 365 days: total {value.sum():,.0f}, mean "
        f"{value.mean():.2f}, top 1 % of customers hold {top:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=420_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="cdnow,synthetic")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(machine())
    print(load_average())
    if "cdnow" in only:
        cdnow()
    if "synthetic" in only:
        synthetic(args.customers, args.runs)


if __name__ == "__main__":
    main()
