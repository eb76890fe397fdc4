"""Average run lengths of the control charts (the settings page's false-alarm trade-off)
against the published figures: Montgomery's tables (Shewhart 370, CUSUM k = ½ with h = 4
and 5) and Lucas & Saccucci (1990) for the EWMA."""

from __future__ import annotations

import math

import pytest

from manyi.metrics.control import arl_cusum, arl_ewma, arl_shewhart


def test_shewhart_arl_is_one_over_the_tail_probability() -> None:
    # P(|Z| > 3) = 0.0026998 → 370.4; the upper side alone is half as likely → 740.8.
    assert arl_shewhart(3.0, side="both") == pytest.approx(370.4, abs=0.1)
    assert arl_shewhart(3.0) == pytest.approx(740.8, abs=0.1)
    # A 1σ shift up: P(Z > 2) + P(Z < −4) = 0.02275 + 0.0000317 → 43.9.
    assert arl_shewhart(3.0, shift=1.0, side="both") == pytest.approx(43.9, abs=0.1)
    assert arl_shewhart(3.0, shift=-1.0, side="low") == pytest.approx(1 / 0.02275, rel=1e-3)


def test_cusum_arl_matches_montgomerys_table() -> None:
    assert arl_cusum(0.5, 4.0, side="both") == pytest.approx(168, rel=0.01)
    assert arl_cusum(0.5, 5.0, side="both") == pytest.approx(465, rel=0.01)
    assert arl_cusum(0.5, 5.0, shift=1.0, side="both") == pytest.approx(10.4, rel=0.01)
    assert arl_cusum(0.5, 4.0, shift=2.0, side="both") == pytest.approx(3.34, rel=0.02)
    # One side only: twice the two-sided figure in control (the sides are symmetric).
    assert arl_cusum(0.5, 4.0) == pytest.approx(2 * arl_cusum(0.5, 4.0, side="both"))


def test_ewma_arl_matches_lucas_and_saccucci() -> None:
    assert arl_ewma(0.2, 2.962, side="both") == pytest.approx(500, rel=0.01)
    assert arl_ewma(0.2, 3.0, side="both") == pytest.approx(560, rel=0.01)
    assert arl_ewma(0.2, 3.0, shift=1.0, side="both") == pytest.approx(10.8, rel=0.02)
    # One side: about twice, and the two sides mirror each other.
    up, down = arl_ewma(0.2, 3.0), arl_ewma(0.2, 3.0, side="low")
    assert up == pytest.approx(down, rel=1e-6)
    assert up == pytest.approx(2 * 560, rel=0.02)


def test_wider_limits_mean_fewer_false_alarms_and_later_detection() -> None:
    assert arl_shewhart(3.5) > arl_shewhart(3.0)
    assert arl_cusum(0.5, 5.0) > arl_cusum(0.5, 4.0)
    assert arl_cusum(0.5, 5.0, shift=1.0) > arl_cusum(0.5, 4.0, shift=1.0)
    assert arl_ewma(0.2, 3.2) > arl_ewma(0.2, 3.0)
    # λ = 1 is the Shewhart chart.
    assert arl_ewma(1.0, 3.0, side="both") == pytest.approx(370.4, rel=0.01)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: arl_shewhart(0), "sigma"),
        (lambda: arl_cusum(-1, 4), "k"),
        (lambda: arl_cusum(0.5, 0), "h"),
        (lambda: arl_ewma(1.5, 3), "lam"),
        (lambda: arl_ewma(0.2, -1), "L"),
        (lambda: arl_ewma(0.2, 3, states=10), "odd"),
        (lambda: arl_shewhart(3, side="up"), "side"),  # type: ignore[arg-type]
    ],
)
def test_bad_parameters_are_refused(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_a_shift_too_large_to_miss_signals_at_once() -> None:
    assert arl_shewhart(3.0, shift=10.0) == pytest.approx(1.0)
    assert math.isinf(arl_shewhart(40.0))


def test_an_arl_beyond_floating_point_is_infinite_never_negative() -> None:
    # k = 3, h = 20: the upper sum practically never reaches h; I − R is singular in floating
    # point and the solve returned noise (−1.1e18 at a shift of ½ σ).
    for shift in (0.0, 0.5, 1.0, 2.0):
        assert arl_cusum(3.0, 20.0, shift=shift) >= 1.0
    assert math.isinf(arl_cusum(3.0, 20.0, shift=0.5))
    # Ordinary settings are untouched.
    assert arl_cusum(0.5, 4.0) == pytest.approx(335, rel=0.02)
