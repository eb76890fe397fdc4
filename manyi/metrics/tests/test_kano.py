"""Tests of the Kano evaluation table and summary, from the published table and from hand
computations (shown in the comments). No database."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from manyi.metrics.kano import (
    ANSWERS,
    CATEGORIES,
    KanoSummary,
    kano_categories,
    kano_category,
    kano_counts,
    kano_summary,
)

# The evaluation table of Berger et al. (1993) / Matzler & Hinterhuber (1998), cell by cell,
# written out independently of the module: (functional, dysfunctional) -> category.
TABLE = {
    ("like", "like"): "Q",
    ("like", "must_be"): "A",
    ("like", "neutral"): "A",
    ("like", "live_with"): "A",
    ("like", "dislike"): "O",
    ("must_be", "like"): "R",
    ("must_be", "must_be"): "I",
    ("must_be", "neutral"): "I",
    ("must_be", "live_with"): "I",
    ("must_be", "dislike"): "M",
    ("neutral", "like"): "R",
    ("neutral", "must_be"): "I",
    ("neutral", "neutral"): "I",
    ("neutral", "live_with"): "I",
    ("neutral", "dislike"): "M",
    ("live_with", "like"): "R",
    ("live_with", "must_be"): "I",
    ("live_with", "neutral"): "I",
    ("live_with", "live_with"): "I",
    ("live_with", "dislike"): "M",
    ("dislike", "like"): "R",
    ("dislike", "must_be"): "R",
    ("dislike", "neutral"): "R",
    ("dislike", "live_with"): "R",
    ("dislike", "dislike"): "Q",
}


def test_table_covers_all_25_cells():
    assert len(TABLE) == 25
    assert {f for f, _ in TABLE} == set(ANSWERS) == {d for _, d in TABLE}


@pytest.mark.parametrize(("functional", "dysfunctional"), sorted(TABLE))
def test_kano_category_every_cell(functional, dysfunctional):
    assert kano_category(functional, dysfunctional) == TABLE[(functional, dysfunctional)]


def test_kano_category_keyword_call():
    assert kano_category(functional="like", dysfunctional="dislike") == "O"
    assert kano_category(functional="must_be", dysfunctional="dislike") == "M"


@pytest.mark.parametrize(
    ("functional", "dysfunctional"),
    [("Like", "dislike"), ("like", "hate"), ("", "dislike"), ("like", None), (1, "like")],
)
def test_kano_category_rejects_unknown_answers(functional, dysfunctional):
    with pytest.raises(ValueError, match="must be one of"):
        kano_category(functional, dysfunctional)


def test_kano_categories_matches_the_table_for_all_cells():
    pairs = sorted(TABLE)
    f = [p[0] for p in pairs]
    d = [p[1] for p in pairs]
    got = kano_categories(f, d)
    assert got.shape == (25,)
    assert got.tolist() == [TABLE[p] for p in pairs]


def test_kano_categories_keeps_the_shape_respondents_by_features():
    f = np.array([["like", "must_be", "dislike"], ["neutral", "like", "like"]])
    d = np.array([["dislike", "dislike", "dislike"], ["neutral", "like", "live_with"]])
    got = kano_categories(f, d)
    assert got.shape == (2, 3)
    assert got.tolist() == [["O", "M", "Q"], ["I", "Q", "A"]]


def test_kano_categories_object_arrays_and_empty_input():
    f = np.array(["like", "neutral"], dtype=object)
    d = np.array(["dislike", "dislike"], dtype=object)
    assert kano_categories(f, d).tolist() == ["O", "M"]
    assert kano_categories([], []).shape == (0,)


def test_kano_categories_large_random_input_agrees_with_scalar_version():
    rng = np.random.default_rng(7)
    f = rng.choice(np.array(ANSWERS), size=2000)
    d = rng.choice(np.array(ANSWERS), size=2000)
    got = kano_categories(f, d)
    assert got.tolist() == [TABLE[(a, b)] for a, b in zip(f.tolist(), d.tolist(), strict=True)]


def test_kano_categories_validation():
    with pytest.raises(ValueError, match="same shape"):
        kano_categories(["like", "like"], ["dislike"])
    with pytest.raises(ValueError, match="dysfunctional answers must be one of"):
        kano_categories(["like", "like"], ["dislike", "dislikes"])
    with pytest.raises(ValueError, match="functional answers must be one of"):
        kano_categories(["zzz"], ["dislike"])  # sorts after every answer
    with pytest.raises(ValueError, match="functional answers must be one of"):
        kano_categories(["a"], ["dislike"])  # sorts before every answer
    with pytest.raises(ValueError, match="functional answers must be one of"):
        kano_categories(np.array([None], dtype=object), ["dislike"])
    with pytest.raises(ValueError, match="must be strings"):
        kano_categories([1, 2], [3, 4])


def test_kano_counts():
    assert kano_counts(["A", "M", "M", "Q"]) == {"A": 1, "O": 0, "M": 2, "I": 0, "R": 0, "Q": 1}
    assert kano_counts([]) == dict.fromkeys(CATEGORIES, 0)
    with pytest.raises(ValueError, match="must be one of"):
        kano_counts(["A", "X"])


# --- kano_summary ------------------------------------------------------------------------


def test_summary_hand_computed_significant():
    # A=10, O=20, M=30, I=5, R=2, Q=1: n = 68, A+O+M+I = 65.
    # better = (A+O)/65 = 30/65; worse = -(O+M)/65 = -50/65.
    # mode: M (30). total strength = (10+20+30)/68 = 60/68 = 88.235…%.
    # two most frequent: M=30, O=20 -> category strength = 10/68 = 14.706…%.
    # Fong: 1.65·√((30+20)(136−50)/136) = 1.65·√(4300/136) = 1.65·√31.6176 = 1.65·5.62296
    #       = 9.2779; |30 − 20| = 10 ≥ 9.2779 -> significant.
    s = kano_summary({"A": 10, "O": 20, "M": 30, "I": 5, "R": 2, "Q": 1})
    assert isinstance(s, KanoSummary)
    assert s.n == 68
    assert s.category == "M"
    assert s.better == pytest.approx(30 / 65)
    assert s.worse == pytest.approx(-50 / 65)
    assert s.total_strength == pytest.approx(100 * 60 / 68)
    assert s.category_strength == pytest.approx(100 * 10 / 68)
    assert s.fong_critical == pytest.approx(9.2779, abs=1e-4)
    assert s.fong_significant is True
    assert dict(s.counts) == {"A": 10, "O": 20, "M": 30, "I": 5, "R": 2, "Q": 1}


def test_summary_hand_computed_not_significant():
    # A=10, O=25, M=30, I=5, R=2, Q=1: n = 73; two most frequent M=30, O=25.
    # Fong: 1.65·√((55)(146−55)/146) = 1.65·√(5005/146) = 1.65·√34.2808 = 1.65·5.85498
    #       = 9.6607; |30 − 25| = 5 < 9.6607 -> NOT significant.
    # better = 35/70 = 0.5, worse = -55/70; category strength = 5/73.
    s = kano_summary({"A": 10, "O": 25, "M": 30, "I": 5, "R": 2, "Q": 1})
    assert s.category == "M"
    assert s.fong_critical == pytest.approx(9.6607, abs=1e-4)
    assert s.fong_significant is False
    assert s.better == pytest.approx(0.5)
    assert s.worse == pytest.approx(-55 / 70)
    assert s.category_strength == pytest.approx(100 * 5 / 73)


def test_fong_boundary_is_strict_less_than_for_not_significant():
    # a=9, b=1, n=10: critical = 1.65·√(10·10/20) = 1.65·√5 = 3.6895; |9−1| = 8 -> significant.
    # a=5, b=5: |0| < critical -> not significant.
    assert kano_summary({"M": 9, "O": 1}).fong_significant is True
    assert kano_summary({"M": 5, "O": 5}).fong_significant is False
    # a=1, b=0, n=1: critical = 1.65·√(1·1/2) = 1.1667 > 1 -> not significant.
    single = kano_summary({"A": 1})
    assert single.fong_critical == pytest.approx(1.65 * math.sqrt(0.5))
    assert single.fong_significant is False


def test_fong_and_category_strength_use_r_and_q_as_competitors():
    # M=30, R=25 (R does not dominate, so the category is M) but R is the runner-up:
    # category strength = 5/60, Fong critical = 1.65·√(55·65/120).
    s = kano_summary({"M": 30, "R": 25, "O": 5})
    assert s.category == "M"
    assert s.category_strength == pytest.approx(100 * 5 / 60)
    assert s.fong_critical == pytest.approx(1.65 * math.sqrt(55 * 65 / 120))


@pytest.mark.parametrize(
    ("counts", "m", "o", "a", "i", "category", "category_strength", "significant"),
    [
        # Published example (stp25kano README, after Berger et al. 1993 and Fong 1996),
        # n = 296, tolerance 5 percentage points; expected rounded values from that table.
        ({"M": 95, "O": 123, "A": 45, "I": 33}, 95, 123, 45, 33, "O", 9, True),
        ({"M": 101, "O": 54, "A": 54, "I": 81, "R": 3, "Q": 3}, 101, 54, 54, 81, "M", 7, True),
        ({"M": 15, "O": 24, "A": 121, "I": 124, "R": 6, "Q": 6}, 15, 24, 121, 124, "A", 1, False),
        ({"M": 65, "O": 87, "A": 93, "I": 51}, 65, 87, 93, 51, "O", 2, False),
        ({"M": 9, "O": 18, "A": 83, "I": 177, "R": 6, "Q": 3}, 9, 18, 83, 177, "I", 32, True),
    ],
)
def test_summary_against_published_example(
    counts, m, o, a, i, category, category_strength, significant
):
    s = kano_summary(counts, tie_tolerance=0.05)
    assert s.n == 296
    assert s.category == category
    assert round(s.category_strength) == category_strength
    assert s.fong_significant is significant
    assert s.better == pytest.approx((a + o) / (a + o + m + i))
    assert s.worse == pytest.approx(-(o + m) / (a + o + m + i))


def test_tie_break_order_on_exact_ties():
    assert kano_summary({"A": 10, "O": 10, "M": 10, "I": 10}).category == "M"
    assert kano_summary({"A": 10, "O": 10, "I": 10}).category == "O"
    assert kano_summary({"A": 10, "I": 10}).category == "A"
    assert kano_summary({"I": 10, "A": 9}).category == "I"


def test_tie_tolerance_is_a_fraction_of_the_total_and_inclusive():
    # n = 100; O = 30 is the mode, M = 28 is 2 answers (= 2 % of n) behind.
    counts = {"A": 20, "O": 30, "M": 28, "I": 22}
    assert kano_summary(counts).category == "O"
    assert kano_summary(counts, tie_tolerance=0.019).category == "O"
    assert kano_summary(counts, tie_tolerance=0.02).category == "M"
    # I = 32 mode, A = 30: 2 % apart -> A wins within 2 %, I does not lose to A at 1 %.
    counts = {"A": 30, "O": 20, "M": 18, "I": 32}
    assert kano_summary(counts, tie_tolerance=0.01).category == "I"
    assert kano_summary(counts, tie_tolerance=0.02).category == "A"
    # Wider tolerances reach further down the M > O > A > I order: O is 12 behind, M 14.
    assert kano_summary(counts, tie_tolerance=0.119).category == "A"
    assert kano_summary(counts, tie_tolerance=0.12).category == "O"
    assert kano_summary(counts, tie_tolerance=0.139).category == "O"
    assert kano_summary(counts, tie_tolerance=0.14).category == "M"
    # Floating point: 0.29 · 100 = 28.999…96; a gap of exactly 29 must still count as within.
    assert 0.29 * 100 < 29
    assert kano_summary({"I": 59, "M": 30, "O": 11}, tie_tolerance=0.29).category == "M"
    assert kano_summary({"I": 59, "M": 29, "O": 12}, tie_tolerance=0.29).category == "I"


def test_r_and_q_only_win_when_they_dominate():
    assert kano_summary({"R": 40, "M": 30, "A": 10}).category == "R"
    assert kano_summary({"Q": 40, "M": 30, "R": 5}).category == "Q"
    # A tie with the largest of A/O/M/I is not domination.
    assert kano_summary({"R": 30, "M": 30}).category == "M"
    # Tolerance does not pull R/Q into the mode nor lets them win.
    assert kano_summary({"R": 31, "M": 30}, tie_tolerance=0.5).category == "R"
    assert kano_summary({"R": 29, "M": 30}, tie_tolerance=0.5).category == "M"
    # R and Q tie above the rest -> Q (the question needs rewording).
    assert kano_summary({"R": 20, "Q": 20, "A": 5}).category == "Q"


def test_only_r_and_q_answers_give_nan_better_worse():
    s = kano_summary({"R": 3, "Q": 1})
    assert s.n == 4
    assert s.category == "R"
    assert math.isnan(s.better)
    assert math.isnan(s.worse)
    assert s.total_strength == 0.0


def test_empty_counts_give_n_zero_and_nan_figures():
    for counts in ({}, dict.fromkeys(CATEGORIES, 0)):
        s = kano_summary(counts)
        assert s.n == 0
        assert s.category is None
        assert s.fong_significant is None
        for value in (
            s.better,
            s.worse,
            s.total_strength,
            s.category_strength,
            s.fong_critical,
        ):
            assert math.isnan(value)


def test_worse_is_not_negative_zero():
    s = kano_summary({"A": 5, "I": 5})
    assert s.worse == 0.0
    assert math.copysign(1.0, s.worse) == 1.0


def test_numpy_integers_and_integral_floats_are_accepted():
    counts: dict[str, Any] = {"A": np.int64(3), "M": 2.0}
    s = kano_summary(counts)
    assert s.n == 5
    assert s.category == "A"


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"A": -1}, "must not be negative"),
        ({"X": 3}, "keys must be among"),
        ({"a": 3}, "keys must be among"),
        ({"A": 1.5}, "whole number"),
        ({"A": float("nan")}, "whole number"),
        ({"A": True}, "whole number"),
        ({"A": "3"}, "whole number"),
        ([("A", 3)], "mapping"),
    ],
)
def test_summary_rejects_bad_counts(counts, message):
    with pytest.raises(ValueError, match=message):
        kano_summary(counts)


@pytest.mark.parametrize("tolerance", [-0.01, 1.0, 2, float("nan"), float("inf"), True, "0.1"])
def test_summary_rejects_bad_tolerance(tolerance):
    with pytest.raises(ValueError, match="tie_tolerance"):
        kano_summary({"A": 1}, tie_tolerance=tolerance)


def test_summary_properties_on_random_counts():
    rng = np.random.default_rng(2024)
    for _ in range(500):
        values = rng.integers(0, 50, size=6)
        counts = dict(zip(CATEGORIES, (int(v) for v in values), strict=True))
        n = sum(counts.values())
        s = kano_summary(counts)
        if n == 0:
            continue
        a, o, m, i = counts["A"], counts["O"], counts["M"], counts["I"]
        if a + o + m + i:
            assert 0.0 <= s.better <= 1.0
            assert -1.0 <= s.worse <= 0.0
            # better + |worse| = (A + 2O + M) / (A+O+M+I) ≤ 2
            assert s.better - s.worse == pytest.approx((a + 2 * o + m) / (a + o + m + i))
        assert 0.0 <= s.total_strength <= 100.0
        assert 0.0 <= s.category_strength <= 100.0
        top = max(a, o, m, i)
        if max(counts["R"], counts["Q"]) <= top:
            # With zero tolerance the category is one of the most frequent of A/O/M/I.
            assert s.category is not None
            assert counts[s.category] == top
        else:
            assert s.category in ("R", "Q")
        # A wider tolerance can only move the category along M > O > A > I, never to a
        # category farther from the mode than the tolerance.
        wide = kano_summary(counts, tie_tolerance=0.1)
        if wide.category in ("A", "O", "M", "I"):
            assert top - counts[wide.category] <= 0.1 * n + 1e-9


def test_coded_counts_match_the_letters_on_every_cell_and_on_random_answers():
    import numpy as np

    from manyi.metrics.kano import ANSWERS, kano_categories, kano_code_counts, kano_counts

    # Every one of the 25 cells once: the coded tally equals the table's letters.
    f = np.repeat(np.arange(5), 5)
    d = np.tile(np.arange(5), 5)
    letters = kano_categories(np.array(ANSWERS)[f], np.array(ANSWERS)[d])
    assert kano_code_counts(f, d) == kano_counts(letters)
    rng = np.random.default_rng(3)
    f = rng.integers(0, 5, size=10_000)
    d = rng.integers(0, 5, size=10_000)
    letters = kano_categories(np.array(ANSWERS)[f], np.array(ANSWERS)[d])
    assert kano_code_counts(f, d) == kano_counts(letters)


def test_coded_counts_refuse_codes_outside_the_answers():
    import numpy as np
    import pytest

    from manyi.metrics.kano import kano_code_counts

    with pytest.raises(ValueError, match=r"0\.\.4"):
        kano_code_counts(np.array([0, 5]), np.array([1, 1]))
    with pytest.raises(ValueError, match="same shape"):
        kano_code_counts(np.array([0]), np.array([1, 1]))
    assert sum(kano_code_counts(np.array([], dtype=int), np.array([], dtype=int)).values()) == 0
