"""Template tags of the analytics pages' drill-down links."""

from __future__ import annotations

from typing import Any

from django import template

from manyi.analytics import handling

register = template.Library()


@register.simple_tag
def controls_cases(row: Any, filters: Any) -> str:
    """The case list's query string for the complaints counted in a three-controls row."""
    return handling.controls_query(row, filters)
