"""Display names of the codes the results carry (Kano categories, quadrants, fairness
dimensions), translated at display time."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.metrics.drivers import CONCENTRATE_HERE, KEEP_UP, LOW_PRIORITY, POSSIBLE_OVERKILL
from manyi.metrics.servqual import SERVQUAL_DIMENSION_NAMES
from manyi.surveys.definition import Role

KANO_CATEGORIES: dict[str, Any] = {
    "A": _("Attractive"),
    "O": _("One-dimensional"),
    "M": _("Must-be"),
    "I": _("Indifferent"),
    "R": _("Reverse"),
    "Q": _("Questionable"),
}

QUADRANTS: dict[str, Any] = {
    CONCENTRATE_HERE: _("Concentrate here"),
    KEEP_UP: _("Keep up the good work"),
    LOW_PRIORITY: _("Low priority"),
    POSSIBLE_OVERKILL: _("Possible overkill"),
}

FAIRNESS: dict[str, Any] = {
    Role.FAIR_OUTCOME: _("Outcome fairness"),
    Role.FAIR_PROCEDURAL: _("Procedural fairness"),
    Role.FAIR_INTERACTIONAL: _("Interactional fairness"),
}


def servqual_dimension(dimension: str, language: str) -> str:
    names = SERVQUAL_DIMENSION_NAMES.get(dimension)
    if names is None:
        return dimension
    return names[0] if language.startswith("en") else names[1]


def kano_category(code: str | None) -> str:
    return str(KANO_CATEGORIES.get(code or "", code or "—"))


def quadrant(code: str | None) -> str:
    return str(QUADRANTS.get(code or "", code or "—"))
