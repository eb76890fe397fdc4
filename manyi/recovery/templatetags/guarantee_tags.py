"""The guarantee panel of the case page (broken guarantees, record a staff event)."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def guarantee_panel(context: Any, case: Any) -> str:
    return ""
