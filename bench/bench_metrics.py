"""Survey metrics benchmark: every function of manyi.metrics on 1,000,000 synthetic responses,
and the key-driver analysis of the real airline survey (25,976 answers, 14 service items).

Run from the repository root (no database, no Django):

    .venv/bin/python bench/bench_metrics.py                 # --n 1000000 --runs 5 --bootstrap 200

Options: ``--n N`` synthetic responses (default 1,000,000), ``--runs R`` repetitions of every
timing (the table shows the median, min and max), ``--bootstrap B`` bootstrap replicates of
the key-driver intervals (default 200), ``--only synthetic,airline``.

What is timed: the library call on data already in memory (numpy arrays or a pandas data
frame, as the results page would hold them after its query); generating the synthetic data
and reading the CSV are reported apart. Synthetic data (numpy, fixed seed ``SEED``):

- NPS: 0–10 answers → `nps_from_scores` (counts + adjusted Wald interval);
- CSAT: 1–5 answers → `csat_from_scores` (top-2 box + Wilson interval);
- CES: 1–7 answers → `ces_from_scores` (mean + t interval);
- CSI: seven factors answered 1–10 → the seven factor means + `csi` (DOMAIN.md §2 weights);
- Kano: functional/dysfunctional answer strings for 5 features → `kano_categories` on all
  5 × n pairs, then `kano_counts` + `kano_summary` per feature;
- SERVQUAL: expectation and perception for the 22 items (1–7, 1 % missing) →
  `servqual` with dimension weights;
- key drivers: 14 items (1–5, from a common factor) and an overall satisfaction (1–5) →
  the 15 × 15 correlation matrix, `relative_weights` and `shapley_r2` from it, and the
  data-frame front end `key_drivers` without and with the bootstrap (reported with its count).

Airline data (``../shared/data/airline_passenger_satisfaction``, see its SOURCE.txt): the 14
service items are rated 1–5 with 0 = "not applicable", coded as missing here (listwise deletion
then keeps 23,863 of the 25,976 answers); the outcome is ``satisfaction`` as 1 ("satisfied") /
0 ("neutral or dissatisfied"), so R² is that of the linear probability model. Timed: CSAT
(top-2 box) of every item and `key_drivers` with both methods and the bootstrap; the top
drivers are printed with their intervals and importance–performance quadrants.
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

from manyi.metrics.drivers import key_drivers, relative_weights, shapley_r2  # noqa: E402
from manyi.metrics.kano import (  # noqa: E402
    ANSWERS,
    kano_categories,
    kano_code_counts,
    kano_counts,
    kano_summary,
)

ANSWERS_SORTED = sorted(ANSWERS)
ANSWER_CODE_OF_SORTED = np.array([ANSWERS.index(a) for a in ANSWERS_SORTED], dtype=np.int8)
from manyi.metrics.scores import (  # noqa: E402
    DEFAULT_CSI_WEIGHTS,
    ces_from_scores,
    csat_from_scores,
    csi,
    nps_from_scores,
)
from manyi.metrics.servqual import SERVQUAL_DIMENSION_OF_ITEM, servqual  # noqa: E402

SEED = 20260401
AIRLINE = (
    ROOT.parent
    / "shared"
    / "data"
    / "airline_passenger_satisfaction"
    / "Airline_Passenger_Satisfaction.csv"
)
AIRLINE_ITEMS = [
    "Inflight wifi service",
    "Departure/Arrival time convenient",
    "Ease of Online booking",
    "Gate location",
    "Food and drink",
    "Online boarding",
    "Seat comfort",
    "Inflight entertainment",
    "On-board service",
    "Leg room service",
    "Baggage handling",
    "Checkin service",
    "Inflight service",
    "Cleanliness",
]
KANO_FEATURES = 5
DRIVER_ITEMS = [f"item{k + 1:02d}" for k in range(14)]


# ----------------------------------------------------------------------------- machine


def machine() -> str:
    cpu = cpu_name()
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy "
        f"{np.__version__}, pandas {pd.__version__}"
    )


# ----------------------------------------------------------------------------- timing


class Table:
    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.rows: list[tuple[str, int, float, float, float, str, bool]] = []

    def time(
        self, metric: str, n: int, fn: Callable[[], Any], *, note: str = "", total: bool = False
    ) -> Any:
        """Run fn `runs` times; record the median, min and max seconds; return its result."""
        seconds = []
        result = None
        for _ in range(self.runs):
            start = time.perf_counter()
            result = fn()
            seconds.append(time.perf_counter() - start)
        row = (metric, n, statistics.median(seconds), min(seconds), max(seconds), note, total)
        self.rows.append(row)
        print(f"  {metric:<58} {n:>11,} {row[2]:>9.4f} s", flush=True)
        return result

    def print(self, title: str, *, target: bool = True) -> None:
        print(f"\n{title} (median of {self.runs} runs)\n")
        print(f"| {'metric':<58} | {'n':>11} | {'median s':>9} | {'min s':>8} | {'max s':>8} |")
        print(f"|{'-' * 60}|{'-' * 13}:|{'-' * 10}:|{'-' * 9}:|{'-' * 9}:|")
        for metric, n, med, lo, hi, note, _ in self.rows:
            label = f"{metric} ({note})" if note else metric
            print(f"| {label:<58} | {n:>11,} | {med:>9.4f} | {lo:>8.4f} | {hi:>8.4f} |")
        counted = [r for r in self.rows if r[6]]
        if counted:
            total = sum(r[2] for r in counted)
            verdict = ("met" if total < 1.0 else "NOT met") if target else "no target set"
            print(
                f"\nSum of the medians of the {len(counted)} metrics (everything but reading "
                f"the data and the bootstrap): {total:.3f} s — target < 1 s: {verdict}"
            )


# ----------------------------------------------------------------------------- synthetic data


def synthetic(n: int, seed: int = SEED) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    nps_p = np.array([2, 1, 1, 2, 2, 5, 7, 12, 20, 23, 25], dtype=float)
    data["nps"] = rng.choice(11, size=n, p=nps_p / nps_p.sum()).astype(np.int8)
    data["csat"] = rng.choice(5, size=n, p=[0.05, 0.08, 0.17, 0.35, 0.35]).astype(np.int8) + 1
    data["ces"] = rng.choice(7, size=n, p=[0.03, 0.05, 0.07, 0.1, 0.2, 0.3, 0.25]).astype(np.int8)
    data["ces"] += 1
    data["csi"] = np.clip(np.rint(rng.normal(7.8, 1.6, size=(n, 7))), 1, 10).astype(np.int8)

    answers = np.asarray(ANSWERS)
    functional = np.empty((n, KANO_FEATURES), dtype=answers.dtype)
    dysfunctional = np.empty_like(functional)
    for k in range(KANO_FEATURES):
        pf = rng.dirichlet(np.full(5, 1.0)) * 0.5 + np.eye(5)[k % 5] * 0.5
        pd_ = rng.dirichlet(np.full(5, 1.0)) * 0.5 + np.eye(5)[4 - (k % 3)] * 0.5
        functional[:, k] = answers[rng.choice(5, size=n, p=pf)]
        dysfunctional[:, k] = answers[rng.choice(5, size=n, p=pd_)]
    data["kano"] = (functional, dysfunctional)

    expect = np.clip(np.rint(rng.normal(6.0, 0.9, size=(n, 22))), 1, 7)
    perceive = np.clip(np.rint(expect - rng.normal(0.6, 1.1, size=(n, 22))), 1, 7)
    expect[rng.random(size=expect.shape) < 0.01] = np.nan
    perceive[rng.random(size=perceive.shape) < 0.01] = np.nan
    data["servqual"] = (expect, perceive)

    common = rng.normal(size=(n, 1))
    loadings = np.linspace(0.4, 1.2, 14)
    latent = common * loadings + rng.normal(size=(n, 14))
    effect = np.array([0.9, 0.1, 0.3, 0.05, 0.2, 0.6, 0.5, 0.4, 0.3, 0.25, 0.15, 0.1, 0.35, 0.2])
    overall = latent @ effect + rng.normal(scale=1.5, size=n)
    items = np.clip(np.rint(3.4 + latent * 0.9), 1, 5).astype(np.int8)
    frame = pd.DataFrame(items, columns=DRIVER_ITEMS)
    frame["overall"] = np.clip(np.rint(3.6 + overall / overall.std() * 1.0), 1, 5).astype(np.int8)
    data["drivers"] = frame
    return data


def correlations(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Predictor correlation matrix and predictor–outcome correlations (outcome first)."""
    values = frame[["overall", *DRIVER_ITEMS]].to_numpy(dtype=np.float64)
    corr = np.corrcoef(values, rowvar=False)
    return corr[1:, 1:], corr[1:, 0]


def bench_synthetic(n: int, runs: int, bootstrap: int) -> None:
    print(f"\nGenerating {n:,} synthetic responses (seed {SEED}) …", flush=True)
    start = time.perf_counter()
    data = synthetic(n)
    print(f"  generated in {time.perf_counter() - start:.1f} s; {load_average()}", flush=True)
    table = Table(runs)

    table.time("NPS + adjusted Wald CI", n, lambda: nps_from_scores(data["nps"]), total=True)
    table.time(
        "CSAT (top-2 of 1–5) + Wilson CI", n, lambda: csat_from_scores(data["csat"]), total=True
    )
    table.time("CES (1–7) + t CI", n, lambda: ces_from_scores(data["ces"], scale=7), total=True)
    factors = list(DEFAULT_CSI_WEIGHTS)

    def run_csi() -> Any:
        means = data["csi"].mean(axis=0, dtype=np.float64)
        return csi(dict(zip(factors, means.tolist(), strict=True)), scale=(1.0, 10.0))

    table.time("CSI (7 factor means + index)", n, run_csi, total=True)
    functional, dysfunctional = data["kano"]
    # Answers are stored as codes (positions in ANSWERS): the page counts them per feature.
    f_codes = np.searchsorted(np.array(ANSWERS_SORTED), functional).astype(np.int8)
    d_codes = np.searchsorted(np.array(ANSWERS_SORTED), dysfunctional).astype(np.int8)
    f_codes = ANSWER_CODE_OF_SORTED[f_codes]
    d_codes = ANSWER_CODE_OF_SORTED[d_codes]
    table.time(
        "Kano categories + summaries (5 features, coded answers)",
        n * KANO_FEATURES,
        lambda: [
            kano_summary(kano_code_counts(f_codes[:, k], d_codes[:, k]))
            for k in range(KANO_FEATURES)
        ],
        note="pairs",
        total=True,
    )
    categories = table.time(
        "Kano categories from answer strings (5 features)",
        n * KANO_FEATURES,
        lambda: kano_categories(functional, dysfunctional),
        note="pairs; not in the total",
    )
    table.time(
        "Kano counts of the letters + summaries",
        n * KANO_FEATURES,
        lambda: [kano_summary(kano_counts(categories[:, k])) for k in range(KANO_FEATURES)],
        note="pairs; not in the total",
    )
    expect, perceive = data["servqual"]
    weights = {
        "tangibles": 10,
        "reliability": 30,
        "responsiveness": 20,
        "assurance": 20,
        "empathy": 20,
    }
    table.time(
        "SERVQUAL gaps (22 items, weighted)",
        n,
        lambda: servqual(expect, perceive, SERVQUAL_DIMENSION_OF_ITEM, weights),
        total=True,
    )
    frame = data["drivers"]
    corr, r_xy = table.time(
        "correlation matrix (14 items + overall)", n, lambda: correlations(frame)
    )
    table.time("relative weights, from the matrix", n, lambda: relative_weights(corr, r_xy))
    table.time("Shapley / LMG R², from the matrix (2^14)", n, lambda: shapley_r2(corr, r_xy))
    table.time(
        "key_drivers front end, relative weights",
        n,
        lambda: key_drivers(frame, "overall", DRIVER_ITEMS, bootstrap=0),
        note="no bootstrap",
        total=True,
    )
    table.time(
        "key_drivers front end, Shapley",
        n,
        lambda: key_drivers(frame, "overall", DRIVER_ITEMS, method="shapley", bootstrap=0),
        note="no bootstrap",
        total=True,
    )
    if bootstrap:
        results = {}
        for method in ("relative_weights", "shapley"):
            results[method] = table.time(
                f"key_drivers, {method}",
                n,
                lambda method=method: key_drivers(
                    frame, "overall", DRIVER_ITEMS, method=method, bootstrap=bootstrap
                ),
                note=f"bootstrap {bootstrap}",
            )
        print_drivers(results["relative_weights"], "synthetic, relative weights", 5)
    table.print(f"Synthetic survey metrics, n = {n:,}")
    print(
        "(the target sum counts both key_drivers front ends, each computing its own "
        "correlation matrix from the data frame; the rows 'from the matrix' are the "
        "decompositions alone)"
    )
    print(load_average())


# ----------------------------------------------------------------------------- airline


def airline_frame() -> pd.DataFrame:
    raw = pd.read_csv(AIRLINE)
    frame = raw[AIRLINE_ITEMS].astype("float64").replace(0.0, np.nan)  # 0 = not applicable
    frame["satisfied"] = (raw["satisfaction"] == "satisfied").astype("float64")
    unknown = set(raw["satisfaction"]) - {"satisfied", "neutral or dissatisfied"}
    if unknown:
        sys.exit(f"unexpected satisfaction labels: {unknown}")
    return frame


def print_drivers(result: Any, title: str, top: int) -> None:
    level = round(100 * result.confidence)
    print(
        f"\nTop {top} drivers — {title}: n = {result.n:,} (dropped {result.n_dropped:,}), "
        f"R² = {result.r2:.3f} [{result.r2_low:.3f}, {result.r2_high:.3f}], "
        f"{result.bootstrap_valid}/{result.bootstrap} bootstrap replicates, {level} % intervals"
    )
    print(f"  {'item':<34} {'r':>6} {'share %':>8} {'interval %':>15} {'mean':>5}  quadrant")
    for name, row in result.top(top).iterrows():
        interval = f"[{row['percent_low']:.1f}, {row['percent_high']:.1f}]"
        print(
            f"  {name:<34} {row['r']:>6.3f} {row['percent']:>8.1f} {interval:>15} "
            f"{row['performance']:>5.2f}  {row['quadrant']}"
        )


def bench_airline(runs: int, bootstrap: int) -> None:
    print(f"\nAirline passenger satisfaction: {AIRLINE}", flush=True)
    if not AIRLINE.exists():
        sys.exit(f"missing {AIRLINE}")
    table = Table(runs)
    frame = table.time("read CSV + code 0 as missing", 25_976, airline_frame)
    n = len(frame)

    def item_csat() -> list[Any]:
        out = []
        for item in AIRLINE_ITEMS:
            answers = frame[item].dropna().to_numpy(dtype=np.int64)
            out.append(csat_from_scores(answers))
        return out

    table.time("CSAT (top-2 of 1–5) of the 14 items", n, item_csat, total=True)
    for method in ("relative_weights", "shapley"):
        table.time(
            f"key_drivers, {method}",
            n,
            lambda method=method: key_drivers(
                frame, "satisfied", AIRLINE_ITEMS, method=method, bootstrap=0
            ),
            note="no bootstrap",
            total=True,
        )
    results = {}
    for method in ("relative_weights", "shapley"):
        results[method] = table.time(
            f"key_drivers, {method}",
            n,
            lambda method=method: key_drivers(
                frame, "satisfied", AIRLINE_ITEMS, method=method, bootstrap=bootstrap
            ),
            note=f"bootstrap {bootstrap}",
        )
    table.print(
        "Airline data (25,976 answers; rows with any item 'not applicable' dropped)",
        target=False,
    )
    rw, sh = results["relative_weights"], results["shapley"]
    print_drivers(rw, "airline, relative weights (Johnson 2000)", 6)
    print_drivers(sh, "airline, Shapley / LMG", 6)
    gap = (rw.table["percent"] - sh.table["percent"]).abs()
    print(
        f"\nRelative weights vs Shapley: largest difference {gap.max():.1f} points "
        f"({gap.idxmax()}); same top driver: {rw.top(1).index[0] == sh.top(1).index[0]}"
    )
    quadrants = rw.table.groupby("quadrant").size().to_dict()
    print(f"Quadrants (relative weights): {quadrants}")
    print(load_average())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--only", default="synthetic,airline")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(machine())
    print(load_average())
    if "synthetic" in parts:
        bench_synthetic(args.n, args.runs, args.bootstrap)
    if "airline" in parts:
        bench_airline(args.runs, args.bootstrap)


if __name__ == "__main__":
    main()
