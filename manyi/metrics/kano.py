"""Kano analysis: the evaluation table, Better/Worse coefficients, category and total strength,
and Fong's test of the classification.

A Kano question pair asks how the customer feels if a feature is present (the *functional*
question) and if it is absent (the *dysfunctional* question), each answered with one of five
standard answers:

==============  ==========================================  ============
answer          meaning                                     中文
==============  ==========================================  ============
``like``        I like it that way                          我喜欢
``must_be``     It must be that way / I expect it           理应如此
``neutral``     I am neutral                                无所谓
``live_with``   I can live with it that way                 能忍受
``dislike``     I dislike it that way                       我不喜欢
==============  ==========================================  ============

The pair is classified with the evaluation table (Berger et al. 1993; Matzler & Hinterhuber
1998) into A (attractive, 魅力), O (one-dimensional, 期望), M (must-be, 必备), I (indifferent,
无差异), R (reverse, 反向) or Q (questionable, 可疑), and the classifications of all
respondents are summarised per feature.

Sources:
    Berger, C. et al. (1993). Kano's methods for understanding customer-defined quality.
    *Center for Quality of Management Journal* 2(4).
    Matzler, K. & Hinterhuber, H. H. (1998). How to make product development projects more
    successful by integrating Kano's model of customer satisfaction into quality function
    deployment. *Technovation* 18(1), 25–38.
    Matzler, K., Hinterhuber, H. H., Bailom, F. & Sauerwein, E. (1996). How to delight your
    customers. *Journal of Product & Brand Management* 5(2), 6–18 (the M > O > A > I rule).
    Lee, M. C. & Newcomb, J. F. (1997). Applying the Kano methodology to meet customer
    requirements: NASA's microgravity science program. *Quality Management Journal* 4(3)
    (total strength and category strength).
    Fong, D. (1996). Using the self-stated importance questionnaire to interpret Kano
    questionnaire results. *Center for Quality of Management Journal* 5, 21–24.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

ANSWERS: Final[tuple[str, ...]] = ("like", "must_be", "neutral", "live_with", "dislike")
"""The five standard answers, in the order of the evaluation table's rows and columns."""

CATEGORIES: Final[tuple[str, ...]] = ("A", "O", "M", "I", "R", "Q")
"""The six Kano categories."""

TIE_BREAK_ORDER: Final[tuple[str, ...]] = ("M", "O", "A", "I")
"""Precedence among near-tied categories (Matzler et al. 1996): the one whose neglect hurts
the product most wins."""

FONG_Z: Final[float] = 1.65
"""The constant of Fong's (1996) test (one-sided 5 % normal quantile, rounded)."""

# Rows: functional answer; columns: dysfunctional answer; both in ANSWERS order.
_TABLE: Final[tuple[str, ...]] = (
    "QAAAO",  # functional like
    "RIIIM",  # functional must_be
    "RIIIM",  # functional neutral
    "RIIIM",  # functional live_with
    "RRRRQ",  # functional dislike
)
_TABLE_ARRAY: Final[npt.NDArray[np.str_]] = np.array([list(row) for row in _TABLE], dtype="<U1")
_ANSWER_INDEX: Final[Mapping[str, int]] = MappingProxyType({a: i for i, a in enumerate(ANSWERS)})
_SORTED_ANSWERS: Final[npt.NDArray[np.str_]] = np.array(sorted(ANSWERS))
_SORTED_TO_TABLE: Final[npt.NDArray[np.intp]] = np.array(
    [_ANSWER_INDEX[a] for a in sorted(ANSWERS)], dtype=np.intp
)


def _answer_index(answer: str, which: str) -> int:
    try:
        return _ANSWER_INDEX[answer]
    except (KeyError, TypeError):
        raise ValueError(
            f"{which} answer must be one of {', '.join(ANSWERS)}; got {answer!r}"
        ) from None


def kano_category(functional: str, dysfunctional: str) -> str:
    """Classify one functional/dysfunctional answer pair with the Kano evaluation table.

    The standard 5×5 evaluation table (Berger et al. 1993; Matzler & Hinterhuber 1998); rows
    are the functional answer ("if the feature is present"), columns the dysfunctional answer
    ("if the feature is absent")::

                               dysfunctional
        functional   like  must_be  neutral  live_with  dislike
        like          Q      A        A         A          O
        must_be       R      I        I         I          M
        neutral       R      I        I         I          M
        live_with     R      I        I         I          M
        dislike       R      R        R         R          Q

    A attractive, O one-dimensional, M must-be, I indifferent, R reverse, Q questionable (the
    answers contradict each other: liking or disliking both presence and absence).

    Raises ValueError for an answer outside ``ANSWERS``.
    """
    row = _answer_index(functional, "functional")
    col = _answer_index(dysfunctional, "dysfunctional")
    return _TABLE[row][col]


def _answer_indices(answers: npt.ArrayLike, which: str) -> npt.NDArray[np.intp]:
    arr = np.asarray(answers)
    if arr.dtype.kind not in "UO":
        raise ValueError(f"{which} answers must be strings from {', '.join(ANSWERS)}")
    if arr.dtype.kind == "O":
        bad = [a for a in arr.ravel().tolist() if not isinstance(a, str)]
        if bad:
            raise ValueError(f"{which} answers must be one of {', '.join(ANSWERS)}; got {bad[0]!r}")
        arr = arr.astype(str)
    pos = np.searchsorted(_SORTED_ANSWERS, arr)
    clipped = np.minimum(pos, len(ANSWERS) - 1)
    valid = (pos < len(ANSWERS)) & (_SORTED_ANSWERS[clipped] == arr)
    if not bool(np.all(valid)):
        first_bad = arr[~valid].ravel()[0]
        raise ValueError(
            f"{which} answers must be one of {', '.join(ANSWERS)}; got {str(first_bad)!r}"
        )
    return _SORTED_TO_TABLE[clipped]


def kano_categories(
    functional_array: npt.ArrayLike, dysfunctional_array: npt.ArrayLike
) -> npt.NDArray[np.str_]:
    """Vectorised `kano_category`: classify many answer pairs at once.

    Both arguments are array-likes of answer strings (any shape, e.g. respondents × features)
    with the same shape; the result is an array of that shape holding one category letter per
    pair, looked up in the same evaluation table (Berger et al. 1993). Missing answers are not
    accepted: drop incomplete pairs before calling.

    Raises ValueError for mismatched shapes or an answer outside ``ANSWERS``.
    """
    f = np.asarray(functional_array)
    d = np.asarray(dysfunctional_array)
    if f.shape != d.shape:
        raise ValueError(
            f"functional and dysfunctional answers must have the same shape; "
            f"got {f.shape} and {d.shape}"
        )
    if f.size == 0:
        return np.empty(f.shape, dtype="<U1")
    rows = _answer_indices(f, "functional")
    cols = _answer_indices(d, "dysfunctional")
    return _TABLE_ARRAY[rows, cols]


_CELL_CATEGORY: Final[npt.NDArray[np.intp]] = np.array(
    [CATEGORIES.index(str(c)) for c in _TABLE_ARRAY.ravel()], dtype=np.intp
)


def kano_code_counts(
    functional_codes: npt.ArrayLike, dysfunctional_codes: npt.ArrayLike
) -> dict[str, int]:
    """Count the categories of many answer pairs stored as codes, without building letters.

    Codes are the answers' positions in ``ANSWERS`` (0 = like … 4 = dislike), as a survey
    stores them. Each pair is the evaluation-table cell ``5·f + d``; ``np.bincount`` tallies
    the 25 cells and each cell's count goes to its category (same table as `kano_category`).
    The result is the ``counts`` mapping `kano_summary` takes.

    Raises ValueError for mismatched shapes or a code outside 0..4.
    """
    f = np.asarray(functional_codes)
    d = np.asarray(dysfunctional_codes)
    if f.shape != d.shape:
        raise ValueError(
            f"functional and dysfunctional codes must have the same shape; "
            f"got {f.shape} and {d.shape}"
        )
    if f.size == 0:
        return dict.fromkeys(CATEGORIES, 0)
    if f.dtype.kind not in "iu" or d.dtype.kind not in "iu":
        raise ValueError("answer codes must be integers 0..4 (positions in ANSWERS)")
    if min(int(f.min()), int(d.min())) < 0 or max(int(f.max()), int(d.max())) > 4:
        raise ValueError("answer codes must lie in 0..4 (positions in ANSWERS)")
    cells = np.bincount((f.ravel().astype(np.intp) * 5 + d.ravel()), minlength=25)
    per_category = np.bincount(_CELL_CATEGORY, weights=cells, minlength=len(CATEGORIES))
    return {c: int(per_category[i]) for i, c in enumerate(CATEGORIES)}


def kano_counts(categories: npt.ArrayLike) -> dict[str, int]:
    """Tally category letters (e.g. the output of `kano_categories` for one feature) into the
    ``counts`` mapping `kano_summary` expects, with all six letters present (zeros included).

    Raises ValueError for a letter outside ``CATEGORIES``.
    """
    arr = np.asarray(categories).ravel()
    if arr.size == 0:
        return dict.fromkeys(CATEGORIES, 0)
    if arr.dtype.kind not in "UO":
        raise ValueError(f"categories must be letters from {', '.join(CATEGORIES)}")
    values, freq = np.unique(arr.astype(str), return_counts=True)
    unknown = [v for v in values.tolist() if v not in CATEGORIES]
    if unknown:
        raise ValueError(f"categories must be one of {', '.join(CATEGORIES)}; got {unknown[0]!r}")
    found = dict(zip(values.tolist(), (int(c) for c in freq), strict=True))
    return {c: found.get(c, 0) for c in CATEGORIES}


@dataclass(frozen=True)
class KanoSummary:
    """The Kano result for one feature; see `kano_summary` for the formulas.

    ``n`` is the number of classified answer pairs (all six categories). With ``n == 0``
    every figure is NaN, ``category`` is None and ``fong_significant`` is None. ``better`` and
    ``worse`` are NaN as well when A + O + M + I = 0 (only R and Q answers).
    """

    n: int
    counts: Mapping[str, int]
    category: str | None
    better: float
    worse: float
    total_strength: float
    category_strength: float
    fong_significant: bool | None
    fong_critical: float
    """Fong's critical difference 1.65·√((a + b)(2n − a − b)/(2n)), in answers."""


def _validated_counts(counts: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(counts, Mapping):
        raise ValueError("counts must be a mapping from category letter to count")
    unknown = [k for k in counts if k not in CATEGORIES]
    if unknown:
        raise ValueError(f"counts keys must be among {', '.join(CATEGORIES)}; got {unknown[0]!r}")
    out: dict[str, int] = {}
    for c in CATEGORIES:
        v = counts.get(c, 0)
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            if isinstance(v, float | np.floating) and math.isfinite(v) and float(v).is_integer():
                v = int(v)
            else:
                raise ValueError(f"count of {c} must be a whole number; got {v!r}")
        if v < 0:
            raise ValueError(f"count of {c} must not be negative; got {v}")
        out[c] = int(v)
    return out


def kano_summary(counts: Mapping[str, int], *, tie_tolerance: float = 0.0) -> KanoSummary:
    """Summarise the Kano classifications of one feature.

    ``counts`` maps category letters ("A", "O", "M", "I", "R", "Q") to the number of
    respondents whose answer pair fell in that category; missing letters count as 0. Let
    n = A + O + M + I + R + Q.

    category (the mode, "max category" of Berger et al. 1993):
        The most frequent of A, O, M, I. Categories whose count is within
        ``tie_tolerance · n`` of the largest (``tie_tolerance`` a fraction of n, e.g. 0.05 =
        five percentage points; inclusive) count as tied, and a tie is broken
        M > O > A > I (Matzler et al. 1996): with the default 0.0 only exact ties are broken.
        R and Q are left out of the mode, because they say nothing about how to deliver the
        feature, unless one of them *dominates*: strictly exceeds every one of A, O, M and I
        (no tolerance applies). The category is then the larger of R and Q, Q on a tie
        between them (a mostly contradictory answer set says the question needs rewording).
    better (satisfaction coefficient, CS+; Berger et al. 1993):
        (A + O) / (A + O + M + I), in 0..1.
    worse (dissatisfaction coefficient, CS−; Berger et al. 1993):
        −(O + M) / (A + O + M + I), in −1..0.
    total_strength (Lee & Newcomb 1997):
        100 · (A + O + M) / n, percent of respondents for whom the feature matters.
    category_strength (Lee & Newcomb 1997):
        100 · (a − b) / n, where a ≥ b are the two largest counts among all six categories;
        percent.
    fong_significant (Fong 1996):
        The difference between the two most frequent categories (a, b as above) is *not*
        significant when ``|a − b| < 1.65 · √((a + b)(2n − a − b) / (2n))``; otherwise it is.
        ``fong_critical`` holds the right-hand side.

    n = 0 gives a summary with n=0, category None, fong_significant None and NaN figures.

    Raises ValueError for an unknown key, a negative or fractional count, or a tolerance
    outside 0 ≤ tie_tolerance < 1.
    """
    if (
        isinstance(tie_tolerance, bool)
        or not isinstance(tie_tolerance, int | float | np.floating)
        or not math.isfinite(tie_tolerance)
        or not 0.0 <= tie_tolerance < 1.0
    ):
        raise ValueError(f"tie_tolerance must be a fraction in [0, 1); got {tie_tolerance!r}")
    tie_tolerance = float(tie_tolerance)
    c = _validated_counts(counts)
    frozen_counts = MappingProxyType(dict(c))
    n = sum(c.values())
    nan = math.nan
    if n == 0:
        return KanoSummary(
            n=0,
            counts=frozen_counts,
            category=None,
            better=nan,
            worse=nan,
            total_strength=nan,
            category_strength=nan,
            fong_significant=None,
            fong_critical=nan,
        )

    a_, o_, m_, i_ = c["A"], c["O"], c["M"], c["I"]
    aomi = a_ + o_ + m_ + i_

    # Mode among A, O, M, I with the tolerance and the M > O > A > I tie-break.
    top_aomi = max(a_, o_, m_, i_)
    top_rq = max(c["R"], c["Q"])
    category: str
    if top_rq > top_aomi:
        category = "Q" if c["Q"] >= c["R"] else "R"
    else:
        # The tiny relative slack keeps e.g. 0.29 · 100 (= 28.999…) from excluding a gap of 29.
        slack = tie_tolerance * n * (1.0 + 1e-12)
        category = next(k for k in TIE_BREAK_ORDER if top_aomi - c[k] <= slack)

    if aomi > 0:
        better = (a_ + o_) / aomi
        worse = 0.0 - (o_ + m_) / aomi  # 0.0 - x keeps 0 from becoming -0.0
    else:
        better = worse = nan

    total_strength = 100.0 * (a_ + o_ + m_) / n
    first, second = sorted(c.values(), reverse=True)[:2]
    category_strength = 100.0 * (first - second) / n
    fong_critical = FONG_Z * math.sqrt((first + second) * (2 * n - first - second) / (2 * n))
    fong_significant = not (abs(first - second) < fong_critical)

    return KanoSummary(
        n=n,
        counts=frozen_counts,
        category=category,
        better=better,
        worse=worse,
        total_strength=total_strength,
        category_strength=category_strength,
        fong_significant=fong_significant,
        fong_critical=fong_critical,
    )
