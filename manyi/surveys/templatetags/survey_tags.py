"""The case page's survey panel: the survey answer a case was opened from, answers about the
case, and the invitations sent for it."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def survey_panel(context: Any, case: Any) -> SafeString:
    """Nothing when the case has no survey link (2 queries either way)."""
    from manyi.surveys.response_views import case_survey_items

    responses, invitations = case_survey_items(case)
    if not responses and not invitations:
        return SafeString("")
    html = get_template("surveys/_case_panel.html").render(
        {
            **context.flatten(),
            "case": case,
            "survey_responses": responses,
            "survey_invitations": invitations,
            "now": timezone.now(),
        }
    )
    return SafeString(html)
