"""The guarantee panel of the case page (broken guarantees, record a staff event)."""

from typing import Any

from django import template

from manyi.accounts.models import User

register = template.Library()


@register.simple_tag(takes_context=True)
def guarantee_panel(context: Any, case: Any) -> str:
    from manyi.recovery.guarantee_views import render_guarantee_panel

    request = context.get("request")
    if request is None or not isinstance(getattr(request, "user", None), User):
        return ""
    return render_guarantee_panel(request, case)


@register.filter
def within(minutes: Any) -> str:
    """A guarantee's `within_minutes` for people: "48 h" or "90 min"."""
    from manyi.recovery.guarantees import within_text

    if minutes in (None, ""):
        return ""
    return within_text(int(minutes))
