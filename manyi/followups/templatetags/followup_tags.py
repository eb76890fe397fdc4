"""The follow-ups panel of the case page, and badges of follow-up states and results."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from manyi.followups.choices import MAX_ATTEMPTS, ContactResult, FollowUpState, Satisfaction

register = template.Library()

STATE_COLOURS = {
    FollowUpState.OPEN: "b-blue",
    FollowUpState.DONE: "b-green",
    FollowUpState.EXPIRED: "b-red",
    FollowUpState.CANCELLED: "b-grey",
}
RESULT_COLOURS = {
    ContactResult.REACHED: "b-green",
    ContactResult.NO_ANSWER: "b-amber",
    ContactResult.WRONG_NUMBER: "b-grey",
    ContactResult.REFUSED: "b-orange",
}
SATISFACTION_COLOURS = {
    Satisfaction.YES: "b-green",
    Satisfaction.PARTLY: "b-amber",
    Satisfaction.NO: "b-red",
}


def _badge(colours: dict[Any, str], choices: Any, value: str) -> SafeString:
    if not value:
        return format_html('<span class="muted">—</span>')
    label = choices(value).label if value in choices.values else value
    return format_html('<span class="badge {}">{}</span>', colours.get(value, "b-grey"), label)


@register.simple_tag
def followup_state_badge(value: str) -> SafeString:
    return _badge(STATE_COLOURS, FollowUpState, value)


@register.simple_tag
def contact_result_badge(value: str) -> SafeString:
    return _badge(RESULT_COLOURS, ContactResult, value)


@register.simple_tag
def satisfaction_badge(value: str) -> SafeString:
    return _badge(SATISFACTION_COLOURS, Satisfaction, value)


@register.simple_tag(takes_context=True)
def followups_panel(context: Any, case: Any) -> SafeString:
    """The case's follow-up calls (two queries): state, when, result and satisfaction, each
    call with its note; an open call can be recorded from here."""
    from manyi.followups.selectors import case_followups
    from manyi.followups.services import local_date, next_working_day

    followups = case_followups(case)
    if not followups:
        return SafeString("")
    request = context.get("request")
    user = context.get("user")
    open_ = next((f for f in followups if f.state == FollowUpState.OPEN), None)
    may_record = bool(
        open_ is not None
        and user is not None
        and getattr(user, "is_authenticated", False)
        and (user.is_org_wide or user.store_id == open_.store_id)
        and user.organisation_id == open_.organisation_id
    )
    form = None
    if may_record and open_ is not None:
        from django.utils import timezone

        from manyi.followups.forms import OutcomeForm

        # The store's calendar is the case's, already loaded with the case page.
        store = case.store if case.store_id == open_.store_id else open_.store
        form = OutcomeForm(
            prefix=f"fu{open_.pk}",
            initial={
                "version": open_.version,
                "reschedule_to": next_working_day(store, local_date(store, timezone.now())),
            },
        )
    return render_to_string(
        "followups/_panel.html",
        {
            "case": case,
            "followups": followups,
            "open_followup": open_,
            "form": form,
            "max_attempts": MAX_ATTEMPTS,
        },
        request=request,
    )
