"""The recovery panel and the nine-principle checklist of the case page, and small filters
for amounts and action states."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.recovery.choices import ActionState

register = template.Library()

STATE_BADGES = {
    ActionState.PENDING: "b-amber",
    ActionState.APPROVED: "b-blue",
    ActionState.REJECTED: "b-red",
    ActionState.GIVEN: "b-green",
    ActionState.CANCELLED: "b-grey",
}
LEVEL_BADGES = {"ok": "b-green", "warning": "b-amber", "exceeded": "b-red"}


def _viewer(context: Any) -> User | None:
    user = context.get("user") or getattr(context.get("request"), "user", None)
    return user if isinstance(user, User) else None


def _render(context: Any, name: str, values: dict[str, Any]) -> str:
    """Render a panel inside the page's context (its csrf_token, user and request) without
    running the context processors again: they cost queries on every render."""
    return get_template(name).render({**context.flatten(), **values})


@register.simple_tag(takes_context=True)
def recovery_panel(context: Any, case: Any) -> str:
    from manyi.recovery.views import RECOVERY_PANEL, recovery_panel_context

    user = _viewer(context)
    if user is None:
        return ""
    return _render(context, RECOVERY_PANEL, recovery_panel_context(user, case))


@register.simple_tag(takes_context=True)
def checklist_panel(context: Any, case: Any) -> str:
    from manyi.recovery.views import CHECKLIST_PANEL, checklist_panel_context

    if _viewer(context) is None:
        return ""
    return _render(context, CHECKLIST_PANEL, checklist_panel_context(case))


@register.filter
def yuan(value: Any) -> str:
    """¥1,200 or ¥199.50; "—" for nothing."""
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        return f"¥{amount:,.0f}"
    return f"¥{amount:,.2f}"


@register.filter
def limit_text(value: Any) -> str:
    """An authority limit: an amount, or "no limit" for None."""
    return _("no limit") if value is None else yuan(value)


@register.simple_tag
def action_state_badge(action: Any) -> SafeString:
    state = ActionState(action.state)
    return format_html(
        '<span class="badge {}">{}</span>', STATE_BADGES.get(state, "b-grey"), state.label
    )


@register.simple_tag
def budget_level_badge(status: Any) -> SafeString:
    if status.budget is None:
        return format_html('<span class="badge b-grey">{}</span>', _("No budget"))
    labels = {"ok": _("Within budget"), "warning": _("Nearly used"), "exceeded": _("Over budget")}
    return format_html(
        '<span class="badge {}">{}</span>', LEVEL_BADGES[status.level], labels[status.level]
    )


@register.filter
def decision_text(action: Any) -> str:
    """The reason of a decision; an action approved at once reads "within authority"."""
    from manyi.recovery.services import WITHIN_AUTHORITY

    if action.decision_reason == WITHIN_AUTHORITY:
        return _("Within the requester's authority")
    return str(action.decision_reason or "")
