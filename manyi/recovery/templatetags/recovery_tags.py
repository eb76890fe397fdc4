"""The recovery panel and the nine-principle checklist of the case page."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def recovery_panel(context: Any, case: Any) -> str:
    return ""


@register.simple_tag(takes_context=True)
def checklist_panel(context: Any, case: Any) -> str:
    return ""
