"""Tests of the SERVQUAL gap scores, from hand-computed examples (shown in the comments) and
properties of the formulas. No database."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from manyi.metrics.servqual import (
    SERVQUAL_DIMENSION_NAMES,
    SERVQUAL_DIMENSION_OF_ITEM,
    SERVQUAL_DIMENSIONS,
    SERVQUAL_ITEMS,
    ServqualResult,
    servqual,
)

NAN = math.nan

# Three respondents × five items; items 1–2 tangibles, 3–4 reliability, 5 empathy.
E = [
    [6, 7, 7, 6, 5],
    [5, 6, NAN, 7, 6],
    [7, 7, 6, 7, 4],
]
P = [
    [5, 6, 5, 6, 5],
    [5, 4, 4, 5, NAN],
    [6, 7, 5, 6, 6],
]
DIMS = ["tangibles", "tangibles", "reliability", "reliability", "empathy"]


def test_hand_example_with_missing_answers_and_weights():
    # Per-respondent gaps P − E (NaN where either answer is missing):
    #   r1: -1  -1  -2   0   0
    #   r2:  0  -2  NaN -2  NaN
    #   r3: -1   0  -1  -1   2
    # item gaps: i1 = -2/3, i2 = -3/3 = -1, i3 = (-2-1)/2 = -1.5, i4 = -3/3 = -1,
    #            i5 = (0+2)/2 = 1
    # (i3 pairs only: Ē = (7+6)/2 = 6.5, P̄ = (5+5)/2 = 5; r2's lone P = 4 is dropped —
    #  an unpaired mean would give 14/3 − 6.5 = −1.833.)
    # dimensions: tangibles = (-2/3 - 1)/2 = -5/6; reliability = (-1.5 - 1)/2 = -5/4;
    #             empathy = 1
    # overall unweighted = (-5/6 - 5/4 + 1)/3 = (-13/12)/3 = -13/36
    # weights 20/50/30 -> 0.2, 0.5, 0.3: 0.2·(-5/6) + 0.5·(-5/4) + 0.3·1
    #                  = -1/6 - 5/8 + 3/10 = (-20 - 75 + 36)/120 = -59/120
    r = servqual(E, P, DIMS, weights={"tangibles": 20, "reliability": 50, "empathy": 30})
    assert isinstance(r, ServqualResult)
    assert r.n == 3
    assert r.item_n == (3, 3, 2, 3, 2)
    assert r.item_gaps == pytest.approx((-2 / 3, -1.0, -1.5, -1.0, 1.0))
    assert r.item_expectations == pytest.approx((6.0, 20 / 3, 6.5, 20 / 3, 4.5))
    assert r.item_perceptions == pytest.approx((16 / 3, 17 / 3, 5.0, 17 / 3, 5.5))
    assert r.dimensions == ("tangibles", "reliability", "empathy")
    assert dict(r.dimension_gaps) == pytest.approx(
        {"tangibles": -5 / 6, "reliability": -5 / 4, "empathy": 1.0}
    )
    assert r.overall_unweighted == pytest.approx(-13 / 36)
    assert r.overall_weighted == pytest.approx(-59 / 120)
    assert dict(r.weights) == pytest.approx({"tangibles": 0.2, "reliability": 0.5, "empathy": 0.3})


def test_weights_are_normalised_so_their_scale_does_not_matter():
    a = servqual(E, P, DIMS, weights={"tangibles": 2, "reliability": 5, "empathy": 3})
    b = servqual(E, P, DIMS, weights={"tangibles": 0.2, "reliability": 0.5, "empathy": 0.3})
    assert a.overall_weighted == pytest.approx(-59 / 120)
    assert b.overall_weighted == pytest.approx(-59 / 120)


def test_equal_weights_equal_the_unweighted_score():
    r = servqual(E, P, DIMS, weights={"tangibles": 1, "reliability": 1, "empathy": 1})
    assert r.overall_weighted == pytest.approx(r.overall_unweighted)


def test_a_zero_weight_leaves_a_dimension_out_of_the_weighted_score():
    # 0·(-5/6) + 0.5·(-5/4) + 0.5·1 = -1/8
    r = servqual(E, P, DIMS, weights={"tangibles": 0, "reliability": 50, "empathy": 50})
    assert r.overall_weighted == pytest.approx(-1 / 8)


def test_without_weights_the_weighted_score_is_none():
    r = servqual(E, P, DIMS)
    assert r.overall_weighted is None
    assert r.weights is None


def test_dimension_gap_is_the_mean_of_item_gaps_not_of_answers():
    # Item 1 answered by 1 respondent (gap -4), item 2 by 3 (gaps 0, 0, 0). The dimension gap
    # is (-4 + 0)/2 = -2, not the pooled (-4 + 0 + 0 + 0)/4 = -1.
    e = [[7, 5], [NAN, 5], [NAN, 5]]
    p = [[3, 5], [NAN, 5], [NAN, 5]]
    r = servqual(e, p, ["reliability", "reliability"])
    assert r.item_gaps == pytest.approx((-4.0, 0.0))
    assert r.dimension_gaps["reliability"] == pytest.approx(-2.0)


def test_per_item_means_input():
    # gaps: 5-6 = -1, 5-5 = 0, 4-7 = -3; a = (-1+0)/2 = -0.5, b = -3; overall = -1.75
    # weighted 1:3 -> 0.25·(-0.5) + 0.75·(-3) = -2.375
    r = servqual([6, 5, 7], [5, 5, 4], ["a", "a", "b"], weights={"a": 1, "b": 3})
    assert r.n is None
    assert r.item_n is None
    assert r.item_gaps == pytest.approx((-1.0, 0.0, -3.0))
    assert dict(r.dimension_gaps) == pytest.approx({"a": -0.5, "b": -3.0})
    assert r.overall_unweighted == pytest.approx(-1.75)
    assert r.overall_weighted == pytest.approx(-2.375)


def test_an_item_without_any_complete_pair_propagates_nan():
    e = [[6, 6, NAN], [5, 7, 6]]
    p = [[5, 7, 4], [5, 6, NAN]]
    r = servqual(e, p, ["x", "y", "y"], weights={"x": 1, "y": 1})
    assert r.item_n == (2, 2, 0)
    assert r.item_gaps[0] == pytest.approx(-0.5)
    assert r.item_gaps[1] == pytest.approx(0.0)
    assert math.isnan(r.item_gaps[2])
    assert r.dimension_gaps["x"] == pytest.approx(-0.5)
    assert math.isnan(r.dimension_gaps["y"])
    assert math.isnan(r.overall_unweighted)
    assert r.overall_weighted is not None
    assert math.isnan(r.overall_weighted)


def test_no_respondents_gives_n_zero_and_nan():
    r = servqual(np.empty((0, 3)), np.empty((0, 3)), ["a", "b", "b"], weights={"a": 1, "b": 1})
    assert r.n == 0
    assert r.item_n == (0, 0, 0)
    assert all(math.isnan(g) for g in r.item_gaps)
    assert math.isnan(r.overall_unweighted)
    assert r.overall_weighted is not None and math.isnan(r.overall_weighted)


def test_n_counts_respondents_with_at_least_one_complete_pair():
    e = [[6, 6], [NAN, 5], [7, NAN], [NAN, NAN]]
    p = [[5, 5], [4, NAN], [6, NAN], [5, 5]]
    # r1 complete; r2 none (E1 missing, P2 missing); r3 item 1; r4 none.
    r = servqual(e, p, ["a", "a"])
    assert r.n == 2
    assert r.item_n == (2, 1)


def test_standard_22_items_constant_gap():
    e = np.full((4, 22), 6.0)
    p = np.full((4, 22), 5.0)
    weights = {
        "tangibles": 10,
        "reliability": 30,
        "responsiveness": 25,
        "assurance": 20,
        "empathy": 15,
    }
    r = servqual(e, p, SERVQUAL_DIMENSION_OF_ITEM, weights=weights)
    assert r.dimensions == SERVQUAL_DIMENSIONS
    assert all(g == pytest.approx(-1.0) for g in r.item_gaps)
    assert r.overall_unweighted == pytest.approx(-1.0)
    assert r.overall_weighted == pytest.approx(-1.0)


def test_standard_22_items_weighted_by_100_points():
    # Gap = -1 on tangibles, -2 reliability, -3 responsiveness, -4 assurance, -5 empathy.
    # unweighted = (-1 - 2 - 3 - 4 - 5)/5 = -3; weighted with 100 points split 40/30/10/10/10:
    # (40·(-1) + 30·(-2) + 10·(-3) + 10·(-4) + 10·(-5))/100 = (-40 - 60 - 30 - 40 - 50)/100 = -2.2
    gap_of = {d: -(k + 1) for k, d in enumerate(SERVQUAL_DIMENSIONS)}
    e = np.full(22, 7.0)
    p = np.array([7.0 + gap_of[d] for d in SERVQUAL_DIMENSION_OF_ITEM])
    weights = dict(zip(SERVQUAL_DIMENSIONS, (40, 30, 10, 10, 10), strict=True))
    r = servqual(e, p, SERVQUAL_DIMENSION_OF_ITEM, weights=weights)
    assert dict(r.dimension_gaps) == pytest.approx({d: float(g) for d, g in gap_of.items()})
    assert r.overall_unweighted == pytest.approx(-3.0)
    assert r.overall_weighted == pytest.approx(-2.2)


def test_dimension_order_is_first_appearance():
    r = servqual([1, 2, 3], [1, 2, 3], ["empathy", "tangibles", "empathy"])
    assert r.dimensions == ("empathy", "tangibles")
    assert r.dimension_of_item == ("empathy", "tangibles", "empathy")


def test_properties_on_random_data():
    rng = np.random.default_rng(11)
    dims = list(SERVQUAL_DIMENSION_OF_ITEM)
    for _ in range(50):
        e = rng.integers(1, 8, size=(30, 22)).astype(float)
        p = rng.integers(1, 8, size=(30, 22)).astype(float)
        e[rng.random(e.shape) < 0.1] = np.nan
        p[rng.random(p.shape) < 0.1] = np.nan
        r = servqual(e, p, dims)
        gaps = np.array(r.item_gaps)
        # gap = P̄ − Ē over the same complete pairs
        assert gaps == pytest.approx(np.array(r.item_perceptions) - np.array(r.item_expectations))
        # on a 1–7 scale gaps lie in −6..6
        assert np.all((gaps >= -6) & (gaps <= 6))
        # shifting every perception by c shifts every gap and both overall scores by c
        shifted = servqual(e, p + 0.5, dims, weights=dict.fromkeys(SERVQUAL_DIMENSIONS, 1))
        assert np.array(shifted.item_gaps) == pytest.approx(gaps + 0.5)
        assert shifted.overall_unweighted == pytest.approx(r.overall_unweighted + 0.5)
        assert shifted.overall_weighted == pytest.approx(r.overall_unweighted + 0.5)
        # swapping expectations and perceptions negates the gaps
        swapped = servqual(p, e, dims)
        assert np.array(swapped.item_gaps) == pytest.approx(-gaps)


def test_complete_data_item_gap_is_difference_of_column_means():
    rng = np.random.default_rng(3)
    e = rng.integers(1, 8, size=(40, 5)).astype(float)
    p = rng.integers(1, 8, size=(40, 5)).astype(float)
    r = servqual(e, p, ["a", "a", "b", "b", "b"])
    assert np.array(r.item_gaps) == pytest.approx(p.mean(axis=0) - e.mean(axis=0))
    assert r.n == 40


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("e", "p", "dims", "message"),
    [
        ([[1, 2]], [[1, 2, 3]], ["a", "a"], "same shape"),
        ([1, 2], [[1, 2]], ["a", "a"], "same shape"),
        ([1, 2, 3], [1, 2, 3], ["a", "a"], "3 items"),
        ([], [], [], "at least one item"),
        ([[[1]]], [[[1]]], ["a"], "1-D"),
        (5, 5, ["a"], "1-D"),
        ([1, math.inf], [1, 2], ["a", "a"], "infinite"),
        (["x", "y"], [1, 2], ["a", "a"], "numbers"),
        ([1, 2], [1, 2], "ab", "sequence of dimension names"),
        ([1, 2], [1, 2], ["a", ""], "non-empty"),
        ([1, 2], [1, 2], ["a", None], "non-empty"),
    ],
)
def test_rejects_bad_input(e, p, dims, message):
    with pytest.raises(ValueError, match=message):
        servqual(e, p, dims)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"a": 1}, "missing dimension 'b'"),
        ({"a": 1, "b": 1, "c": 1}, "without items: 'c'"),
        ({"a": -1, "b": 2}, "not negative"),
        ({"a": 0, "b": 0}, "all be zero"),
        ({"a": math.nan, "b": 1}, "finite"),
        ({"a": "1", "b": 1}, "must be a number"),
        ({"a": True, "b": 1}, "must be a number"),
        ([1, 2], "mapping"),
    ],
)
def test_rejects_bad_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        servqual([5, 6], [4, 6], ["a", "b"], weights=weights)


# --- the 22 standard items ----------------------------------------------------------------


def test_servqual_items_structure():
    assert len(SERVQUAL_ITEMS) == 22
    assert Counter(i.dimension for i in SERVQUAL_ITEMS) == {
        "tangibles": 4,
        "reliability": 5,
        "responsiveness": 4,
        "assurance": 4,
        "empathy": 5,
    }
    # questionnaire order: dimensions in blocks, in the standard order
    assert tuple(dict.fromkeys(i.dimension for i in SERVQUAL_ITEMS)) == SERVQUAL_DIMENSIONS
    assert len({i.code for i in SERVQUAL_ITEMS}) == 22
    assert tuple(i.dimension for i in SERVQUAL_ITEMS) == SERVQUAL_DIMENSION_OF_ITEM
    for item in SERVQUAL_ITEMS:
        assert item.en.strip() and item.zh.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in item.zh)
    assert set(SERVQUAL_DIMENSION_NAMES) == set(SERVQUAL_DIMENSIONS)
