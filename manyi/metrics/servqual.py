"""SERVQUAL gap scores: perception − expectation per item, per dimension and overall, unweighted
and weighted by dimension importance, plus the standard 22 items for a survey template.

Sources:
    Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1988). SERVQUAL: a multiple-item scale
    for measuring consumer perceptions of service quality. *Journal of Retailing* 64(1),
    12–40 (the five dimensions and the 22-item, 4/5/4/4/5 structure; gap = P − E).
    Parasuraman, A., Berry, L. L. & Zeithaml, V. A. (1991). Refinement and reassessment of the
    SERVQUAL scale. *Journal of Retailing* 67(4), 420–450 (the positively worded item set
    used for ``SERVQUAL_ITEMS``, and the weighted score from 100 importance points split
    across the five dimensions).
    Zeithaml, V. A., Parasuraman, A. & Berry, L. L. (1990). *Delivering Quality Service.*
    Free Press, appendix A (computing unweighted and weighted SERVQUAL scores).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

SERVQUAL_DIMENSIONS: Final[tuple[str, ...]] = (
    "tangibles",
    "reliability",
    "responsiveness",
    "assurance",
    "empathy",
)
"""The five SERVQUAL dimensions (Parasuraman, Zeithaml & Berry 1988), in their usual order."""

SERVQUAL_DIMENSION_NAMES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "tangibles": ("Tangibles", "有形性"),
        "reliability": ("Reliability", "可靠性"),
        "responsiveness": ("Responsiveness", "响应性"),
        "assurance": ("Assurance", "保证性"),
        "empathy": ("Empathy", "移情性"),
    }
)
"""English and Chinese display names of the dimensions."""


@dataclass(frozen=True)
class ServqualItem:
    """One SERVQUAL statement. ``code`` is stable (T1…T4, RL1…RL5, RS1…RS4, A1…A4, E1…E5);
    ``en`` / ``zh`` are short statements about the service provider, worded positively so the
    same text serves the expectation question ("an excellent provider …") and the perception
    question ("this store …")."""

    code: str
    dimension: str
    en: str
    zh: str


SERVQUAL_ITEMS: Final[tuple[ServqualItem, ...]] = (
    # Tangibles (4)
    ServqualItem("T1", "tangibles", "Has modern-looking equipment.", "设备看起来现代、先进。"),
    ServqualItem(
        "T2",
        "tangibles",
        "Its physical facilities are visually appealing.",
        "环境设施美观、吸引人。",
    ),
    ServqualItem(
        "T3", "tangibles", "Its employees look neat and professional.", "员工着装整洁、得体。"
    ),
    ServqualItem(
        "T4",
        "tangibles",
        "Materials associated with the service (leaflets, statements) are visually appealing.",
        "与服务相关的资料（宣传册、单据等）清楚美观。",
    ),
    # Reliability (5)
    ServqualItem(
        "RL1",
        "reliability",
        "When it promises to do something by a certain time, it does so.",
        "承诺在某个时间完成的事，能按时做到。",
    ),
    ServqualItem(
        "RL2",
        "reliability",
        "When you have a problem, it shows a sincere interest in solving it.",
        "您遇到问题时，真诚地帮您解决。",
    ),
    ServqualItem(
        "RL3",
        "reliability",
        "It performs the service right the first time.",
        "第一次就把服务做好。",
    ),
    ServqualItem(
        "RL4",
        "reliability",
        "It provides its services at the time it promises to.",
        "在承诺的时间提供服务。",
    ),
    ServqualItem("RL5", "reliability", "It insists on error-free records.", "坚持记录准确无误。"),
    # Responsiveness (4)
    ServqualItem(
        "RS1",
        "responsiveness",
        "Employees tell you exactly when services will be performed.",
        "员工明确告诉您服务何时进行。",
    ),
    ServqualItem(
        "RS2", "responsiveness", "Employees give you prompt service.", "员工为您提供及时的服务。"
    ),
    ServqualItem(
        "RS3", "responsiveness", "Employees are always willing to help you.", "员工总是乐于帮助您。"
    ),
    ServqualItem(
        "RS4",
        "responsiveness",
        "Employees are never too busy to respond to your requests.",
        "员工不会因为太忙而不回应您的请求。",
    ),
    # Assurance (4)
    ServqualItem(
        "A1",
        "assurance",
        "The behaviour of employees instils confidence in you.",
        "员工的言行让您信任。",
    ),
    ServqualItem(
        "A2", "assurance", "You feel safe in your transactions with it.", "与其打交道让您感到放心。"
    ),
    ServqualItem(
        "A3", "assurance", "Employees are consistently courteous with you.", "员工始终对您礼貌。"
    ),
    ServqualItem(
        "A4",
        "assurance",
        "Employees have the knowledge to answer your questions.",
        "员工有足够的专业知识回答您的问题。",
    ),
    # Empathy (5)
    ServqualItem("E1", "empathy", "It gives you individual attention.", "对您给予个别的关注。"),
    ServqualItem(
        "E2",
        "empathy",
        "It has operating hours convenient to all its customers.",
        "营业时间方便所有顾客。",
    ),
    ServqualItem(
        "E3",
        "empathy",
        "It has employees who give you personal attention.",
        "员工给予您个性化的关怀。",
    ),
    ServqualItem("E4", "empathy", "It has your best interests at heart.", "真心为您的利益着想。"),
    ServqualItem(
        "E5", "empathy", "Employees understand your specific needs.", "员工了解您的具体需求。"
    ),
)
"""The standard 22 SERVQUAL items (Parasuraman, Berry & Zeithaml 1991 wording, shortened and
generalised from "XYZ"), in questionnaire order: 4 tangibles, 5 reliability,
4 responsiveness, 4 assurance, 5 empathy."""

SERVQUAL_DIMENSION_OF_ITEM: Final[tuple[str, ...]] = tuple(i.dimension for i in SERVQUAL_ITEMS)
"""``dimension_of_item`` for the standard 22 items, ready to pass to `servqual`."""


@dataclass(frozen=True)
class ServqualResult:
    """SERVQUAL gap scores; see `servqual` for the formulas.

    Per-item tuples follow the item (column) order of the input; dimension mappings follow
    ``dimensions`` (order of first appearance in ``dimension_of_item``). Negative gaps mean
    perceptions fall short of expectations.
    """

    n: int | None
    """Respondents with at least one complete expectation/perception pair; None when the
    input was per-item means (the number of respondents is then unknown)."""
    item_n: tuple[int, ...] | None
    """Complete pairs per item; None for per-item-mean input."""
    item_expectations: tuple[float, ...]
    item_perceptions: tuple[float, ...]
    item_gaps: tuple[float, ...]
    dimensions: tuple[str, ...]
    dimension_of_item: tuple[str, ...]
    dimension_gaps: Mapping[str, float]
    overall_unweighted: float
    overall_weighted: float | None
    """None when no weights were given."""
    weights: Mapping[str, float] | None
    """The normalised weights (summing to 1) used for ``overall_weighted``."""


def _as_float_array(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (NaN for a missing answer)") from None
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (per-item means) or 2-D (respondents × items); "
            f"got {arr.ndim} dimensions"
        )
    if np.isinf(arr).any():
        raise ValueError(f"{name} must not contain infinite values")
    return arr


def _normalised_weights(
    weights: Mapping[str, float], dimensions: tuple[str, ...]
) -> dict[str, float]:
    if not isinstance(weights, Mapping):
        raise ValueError("weights must be a mapping from dimension to importance points")
    extra = [k for k in weights if k not in dimensions]
    if extra:
        raise ValueError(f"weights name a dimension without items: {extra[0]!r}")
    missing = [d for d in dimensions if d not in weights]
    if missing:
        raise ValueError(f"weights are missing dimension {missing[0]!r}")
    values: dict[str, float] = {}
    for d in dimensions:
        w = weights[d]
        if isinstance(w, bool) or not isinstance(w, int | float | np.integer | np.floating):
            raise ValueError(f"weight of {d!r} must be a number; got {w!r}")
        w = float(w)
        if not math.isfinite(w) or w < 0:
            raise ValueError(f"weight of {d!r} must be finite and not negative; got {w!r}")
        values[d] = w
    total = math.fsum(values.values())
    if total <= 0:
        raise ValueError("weights must not all be zero")
    return {d: w / total for d, w in values.items()}


def servqual(
    expectations: npt.ArrayLike,
    perceptions: npt.ArrayLike,
    dimension_of_item: Sequence[str],
    weights: Mapping[str, float] | None = None,
) -> ServqualResult:
    """SERVQUAL gap scores (Parasuraman, Zeithaml & Berry 1988; Zeithaml et al. 1990, app. A).

    ``expectations`` and ``perceptions`` have the same shape: either 2-D, respondents × items,
    raw answers on the questionnaire's scale (usually 1–7) with NaN for a missing answer, or
    1-D, one mean per item. ``dimension_of_item[j]`` names the dimension of item j (the five
    standard ones for SERVQUAL, see ``SERVQUAL_DIMENSION_OF_ITEM``, but any names work, e.g.
    the ten-dimension model). ``weights``, if given, maps every dimension to its importance
    (e.g. the 100 points a respondent splits across the five dimensions, or their mean); they
    are normalised to sum to 1.

    Item gap (2-D input): with G_rj = P_rj − E_rj for each respondent r who answered *both*
    questions of item j (a pair with either answer missing is dropped),
        gap_j = mean_r G_rj = P̄_j − Ē_j,
    where P̄_j and Ē_j (``item_perceptions``, ``item_expectations``) are the means over those
    same complete pairs. 1-D input: gap_j = P_j − E_j.
    Dimension gap: gap_d = mean of gap_j over the items j of dimension d.
    Overall unweighted: mean of gap_d over the dimensions.
    Overall weighted: Σ_d w_d · gap_d / Σ_d w_d.

    Missing data: an item with no complete pair has a NaN gap, and NaN propagates: its
    dimension's gap and both overall scores are then NaN too (the score is not silently
    computed on fewer items; drop the item if that is intended). A 2-D input with no rows (or
    no complete pairs at all) gives n=0 and NaN figures.

    Raises ValueError for mismatched shapes, an item count different from
    ``len(dimension_of_item)``, no items, infinite values, an empty dimension name, or weights
    that are negative, all zero, missing a dimension or naming an unknown one.
    """
    e = _as_float_array(expectations, "expectations")
    p = _as_float_array(perceptions, "perceptions")
    if e.shape != p.shape:
        raise ValueError(
            f"expectations and perceptions must have the same shape; got {e.shape} and {p.shape}"
        )
    n_items = e.shape[-1]
    if n_items == 0:
        raise ValueError("there must be at least one item")
    if isinstance(dimension_of_item, str):
        raise ValueError("dimension_of_item must be a sequence of dimension names, one per item")
    dims_of_item = tuple(dimension_of_item)
    if len(dims_of_item) != n_items:
        raise ValueError(
            f"dimension_of_item has {len(dims_of_item)} entries but there are {n_items} items"
        )
    for d in dims_of_item:
        if not isinstance(d, str) or not d:
            raise ValueError(f"each dimension must be a non-empty name; got {d!r}")
    dimensions = tuple(dict.fromkeys(dims_of_item))

    n: int | None
    item_n: tuple[int, ...] | None
    if e.ndim == 2:
        diff = p - e  # NaN where either answer is missing
        complete = ~np.isnan(diff)
        counts = complete.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_e = e.sum(axis=0, where=complete) / counts
            mean_p = p.sum(axis=0, where=complete) / counts
            gaps = diff.sum(axis=0, where=complete) / counts
        # 0/0 already gives NaN for items without a complete pair; make it explicit.
        mean_e[counts == 0] = np.nan
        mean_p[counts == 0] = np.nan
        gaps[counts == 0] = np.nan
        n = int(complete.any(axis=1).sum())
        item_n = tuple(int(c) for c in counts)
    else:
        mean_e, mean_p = e, p
        gaps = p - e
        n = None
        item_n = None

    dim_index = np.array([dimensions.index(d) for d in dims_of_item])
    dimension_gaps: dict[str, float] = {}
    for k, d in enumerate(dimensions):
        # NaN propagates through np.mean by design (see the docstring).
        dimension_gaps[d] = float(np.mean(gaps[dim_index == k]))
    dim_values = np.array([dimension_gaps[d] for d in dimensions])
    overall_unweighted = float(np.mean(dim_values))

    overall_weighted: float | None = None
    norm_weights: dict[str, float] | None = None
    if weights is not None:
        norm_weights = _normalised_weights(weights, dimensions)
        w = np.array([norm_weights[d] for d in dimensions])
        # A NaN gap with weight 0 still makes the weighted score NaN: the data are missing.
        overall_weighted = float(np.sum(w * dim_values))

    return ServqualResult(
        n=n,
        item_n=item_n,
        item_expectations=tuple(float(x) for x in mean_e),
        item_perceptions=tuple(float(x) for x in mean_p),
        item_gaps=tuple(float(x) for x in gaps),
        dimensions=dimensions,
        dimension_of_item=dims_of_item,
        dimension_gaps=MappingProxyType(dimension_gaps),
        overall_unweighted=overall_unweighted,
        overall_weighted=overall_weighted,
        weights=MappingProxyType(norm_weights) if norm_weights is not None else None,
    )
