"""Recovery pages: the case-page panels (recovery actions, nine-principle checklist) and their
actions, the approval queue with store budgets, and the settings pages for compensation
guides, authority limits and budgets.

Panel actions post with htmx and get back the panel they came from (`HX-Target`); without
htmx they redirect back to the page they came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi.accounts.decorators import admin_of, org_admin_required
from manyi.accounts.models import User
from manyi.cases.choices import Status
from manyi.cases.models import Case, Category
from manyi.core.errors import DomainError
from manyi.core.scoping import cases_for, staff_for, stores_for
from manyi.recovery import selectors, services
from manyi.recovery.choices import ActionState, Principle
from manyi.recovery.forms import (
    ActionForm,
    BudgetsForm,
    DecisionForm,
    GuideForm,
    LimitsForm,
    PersonalLimitForm,
)
from manyi.recovery.models import RecoveryAction

QUEUE_SIZE = 200
STEPS = ("approve", "reject", "give", "cancel")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _add_errors(form: Any, error: DomainError) -> None:
    """Put a service's field-level messages next to the form's fields."""
    for name, texts in error.as_fields().items():
        target = name if name in form.fields else None
        for message in texts:
            form.add_error(target, message)


def _htmx_target(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    return str(htmx.target or "") if htmx else ""


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the `next` address of the form when it is ours, else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _panel_case(user: User, pk: int) -> Case:
    return get_object_or_404(
        cases_for(user).select_related("store", "category__parent", "customer"), pk=pk
    )


# --- the case-page panels -----------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    action: RecoveryAction
    can_decide: bool
    can_give: bool
    can_cancel: bool


def action_rows(user: User, actions: list[RecoveryAction]) -> list[ActionRow]:
    """What the viewer may do with each action (the services check again)."""
    limit: Decimal | None = Decimal("0")
    if any(a.state in (ActionState.PENDING, ActionState.APPROVED) for a in actions):
        limit = services.authority_limit(user)
    rows = []
    for a in actions:
        own = a.requested_by_id is not None and a.requested_by_id == user.pk
        covered = services.covers(limit, a.value)
        rows.append(
            ActionRow(
                action=a,
                can_decide=a.state == ActionState.PENDING and not own and covered,
                can_give=a.state == ActionState.APPROVED,
                can_cancel=a.state in (ActionState.PENDING, ActionState.APPROVED)
                and (own or covered),
            )
        )
    return rows


RECOVERY_PANEL = "recovery/_recovery_panel.html"
CHECKLIST_PANEL = "recovery/_checklist_panel.html"


def recovery_panel_context(
    user: User,
    case: Case,
    *,
    form: ActionForm | None = None,
    flash: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """What the recovery panel of a case shows: actions, suggested range, budget, the
    new-action form. A fixed number of queries (actions, guide, budget, and the
    organisation's limits when the viewer has no personal limit and it is not loaded)."""
    now = timezone.now()
    return {
        "case": case,
        "rows": action_rows(user, selectors.case_actions(case)),
        "guide": selectors.suggested_range(case),
        "budget": selectors.budget_status(case.store, now),
        "form": form or ActionForm(),
        "my_limit": services.authority_limit(user),
        "closed": case.status == Status.CLOSED,
        "flash": flash,
        "case_url": reverse("cases:detail", args=[case.pk]),
    }


def checklist_panel_context(case: Case, *, flash: tuple[str, str] | None = None) -> dict[str, Any]:
    rows = selectors.checklist(case)
    return {
        "case": case,
        "rows": rows,
        "done": sum(1 for r in rows if r.tick is not None),
        "total": len(rows),
        "closed": case.status == Status.CLOSED,
        "flash": flash,
        "case_url": reverse("cases:detail", args=[case.pk]),
    }


def render_recovery_panel(
    request: HttpRequest,
    case: Case,
    *,
    form: ActionForm | None = None,
    flash: tuple[str, str] | None = None,
) -> SafeString:
    context = recovery_panel_context(_user(request), case, form=form, flash=flash)
    return render_to_string(RECOVERY_PANEL, context, request=request)


def render_checklist_panel(
    request: HttpRequest, case: Case, *, flash: tuple[str, str] | None = None
) -> SafeString:
    context = checklist_panel_context(case, flash=flash)
    return render_to_string(CHECKLIST_PANEL, context, request=request)


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a recovery action on a case (approved at once within the author's authority)."""
    user = _user(request)
    case = _panel_case(user, pk)
    form = ActionForm(request.POST)
    flash: tuple[str, str] | None = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            result = services.propose_action(
                actor=user, case=case, kind=d["kind"], value=d["value"], note=d["note"]
            )
        except DomainError as e:
            _add_errors(form, e)
        else:
            if result.action.state == ActionState.APPROVED:
                text = _("Recorded and approved: within your authority.")
            else:
                text = _("Recorded. It waits for approval by someone whose authority covers it.")
            level = "success"
            if result.budget_warning:
                text, level = f"{text} {result.budget_warning}", "warning"
            if not request.htmx:  # type: ignore[attr-defined]
                getattr(messages, level)(request, text)
                return redirect("cases:detail", pk=pk)
            flash, form = (level, text), ActionForm()
    if not request.htmx and form.errors:  # type: ignore[attr-defined]
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect("cases:detail", pk=pk)
    return HttpResponse(render_recovery_panel(request, case, form=form, flash=flash))


DONE = {
    "approve": lambda: _("Approved."),
    "reject": lambda: _("Rejected."),
    "give": lambda: _("Recorded as given to the customer."),
    "cancel": lambda: _("Cancelled."),
}


@login_required
@require_POST
def action_step(request: HttpRequest, action_id: int, step: str) -> HttpResponse:
    """Approve, reject, give or cancel one action; answers with the panel it came from."""
    if step not in STEPS:
        return HttpResponse(status=404)
    user = _user(request)
    action = get_object_or_404(selectors.actions_for(user), pk=action_id)
    form = DecisionForm(request.POST)
    reason = form.data.get("reason", "") if form.is_bound else ""
    reason = str(reason)[:2000]
    flash: tuple[str, str]
    try:
        if step == "approve":
            services.approve_action(actor=user, action=action, reason=reason)
        elif step == "reject":
            services.reject_action(actor=user, action=action, reason=reason)
        elif step == "give":
            services.give_action(actor=user, action=action, note=reason)
        else:
            services.cancel_action(actor=user, action=action, reason=reason)
    except DomainError as e:
        flash = ("error", e.message)
    else:
        flash = ("success", DONE[step]())
    target = _htmx_target(request)
    if target == "recovery-panel":
        case = _panel_case(user, action.case_id)
        return HttpResponse(render_recovery_panel(request, case, flash=flash))
    if target == "approval-queue":
        if flash[0] == "success":
            # The budgets and the recent actions on the same page change too: reload it.
            getattr(messages, flash[0])(request, flash[1])
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        return render(request, "recovery/_queue.html", {**_queue_context(user), "flash": flash})
    getattr(messages, flash[0])(request, flash[1])
    return _back(request, reverse("cases:detail", args=[action.case_id]))


@login_required
@require_POST
def checklist_toggle(request: HttpRequest, pk: int, principle: str) -> HttpResponse:
    """Tick (`ticked` sent) or untick (not sent) one principle of the case's checklist."""
    if principle not in Principle.values:
        return HttpResponse(status=404)
    user = _user(request)
    case = _panel_case(user, pk)
    flash: tuple[str, str] | None = None
    try:
        if request.POST.get("ticked"):
            services.tick_principle(actor=user, case=case, principle=principle)
        else:
            services.untick_principle(actor=user, case=case, principle=principle)
    except DomainError as e:
        flash = ("error", e.message)
    if not request.htmx:  # type: ignore[attr-defined]
        if flash:
            messages.error(request, flash[1])
        return redirect("cases:detail", pk=pk)
    return HttpResponse(render_checklist_panel(request, case, flash=flash))


# --- the approval queue and budgets -------------------------------------------------------


def _month(request: HttpRequest) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return selectors.month_of(timezone.now())


def _queue_context(user: User) -> dict[str, Any]:
    limit = services.authority_limit(user)
    return {
        "queue": list(selectors.approval_queue(user, limit=limit)[:QUEUE_SIZE]),
        "my_limit": limit,
        "queue_url": reverse("recovery:queue"),
    }


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """待我审批: pending actions the user may decide, their own waiting requests, the budgets
    of their stores this month and recent actions."""
    user = _user(request)
    month = _month(request)
    context = {
        **_queue_context(user),
        "mine": list(selectors.my_pending(user)[:QUEUE_SIZE]),
        "budgets": selectors.budgets_for(user, month),
        "month": month,
        "previous_month": (month - dt.timedelta(days=1)).replace(day=1),
        "next_month": (month + dt.timedelta(days=32)).replace(day=1),
        "recent": selectors.recent_actions(user),
    }
    return render(request, "recovery/queue.html", context)


# --- settings: compensation guides, authority limits and budgets --------------------------


def _categories(admin: User) -> list[Category]:
    return list(
        Category.objects.filter(organisation=admin.organisation)
        .select_related("parent")
        .order_by("position", "code")
    )


@org_admin_required
def guides(request: HttpRequest) -> HttpResponse:
    """Suggested compensation ranges per category and severity: the list and a form to add."""
    admin = admin_of(request)
    categories = _categories(admin)
    form = GuideForm(request.POST or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.save_guide(
                actor=admin,
                category=form.chosen_category(),
                severity=d["severity"],
                low=d["low"],
                high=d["high"],
                note=d["note"],
            )
        except DomainError as e:
            _add_errors(form, e)
        else:
            messages.success(request, _("Compensation range saved."))
            return redirect("recovery:guides")
    context = {"guides": list(selectors.guides_for(admin)), "form": form}
    return render(request, "recovery/guides.html", context)


@org_admin_required
def guide_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    guide = get_object_or_404(selectors.guides_for(admin), pk=pk)
    categories = _categories(admin)
    initial = {
        "category": str(guide.category_id or ""),
        "severity": guide.severity,
        "low": guide.low,
        "high": guide.high,
        "note": guide.note,
    }
    form = GuideForm(request.POST or None, categories=categories, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.save_guide(
                actor=admin,
                guide=guide,
                category=form.chosen_category(),
                severity=d["severity"],
                low=d["low"],
                high=d["high"],
                note=d["note"],
            )
        except DomainError as e:
            _add_errors(form, e)
        else:
            messages.success(request, _("Compensation range saved."))
            return redirect("recovery:guides")
    return render(request, "recovery/guide_form.html", {"form": form, "guide": guide})


@org_admin_required
@require_POST
def guide_delete(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    guide = get_object_or_404(selectors.guides_for(admin), pk=pk)
    services.delete_guide(actor=admin, guide=guide)
    messages.success(request, _("Compensation range removed."))
    return redirect("recovery:guides")


@org_admin_required
def limits(request: HttpRequest) -> HttpResponse:
    """Authority limits per role, and each store's monthly recovery budget."""
    admin = admin_of(request)
    organisation = admin.organisation
    assert organisation is not None
    stores = list(stores_for(admin).order_by("code"))
    current = services.limits_for(organisation)
    posted = request.POST if request.method == "POST" else None
    which = posted.get("form") if posted is not None else None
    limits_form = LimitsForm(posted if which == "limits" else None, initial=current)
    budgets_form = BudgetsForm(
        posted if which == "budgets" else None,
        stores=stores,
        initial={f"store_{s.pk}": s.monthly_recovery_budget for s in stores},
    )
    if which == "limits" and limits_form.is_valid():
        try:
            services.set_authority_limits(actor=admin, limits=limits_form.limits())
        except DomainError as e:
            _add_errors(limits_form, e)
        else:
            messages.success(request, _("Authority limits saved."))
            return redirect("recovery:limits")
    staff = staff_for(admin).select_related("store").order_by("store__code", "username")
    personal_form = PersonalLimitForm(posted if which == "personal" else None, staff=staff)
    if which == "personal" and personal_form.is_valid():
        d = personal_form.cleaned_data
        try:
            services.set_personal_limit(actor=admin, staff=d["staff"], limit=d["limit"])
        except DomainError as e:
            _add_errors(personal_form, e)
        else:
            messages.success(request, _("Personal limit saved."))
            return redirect("recovery:limits")
    if which == "budgets" and budgets_form.is_valid():
        try:
            with transaction.atomic():  # all stores or none
                for store in stores:
                    services.set_store_budget(
                        actor=admin,
                        store=store,
                        budget=budgets_form.cleaned_data[f"store_{store.pk}"],
                    )
        except DomainError as e:
            _add_errors(budgets_form, e)
        else:
            messages.success(request, _("Budgets saved."))
            return redirect("recovery:limits")
    overrides = list(
        User.objects.filter(organisation=organisation, authority_limit__isnull=False)
        .select_related("store")
        .order_by("store__code", "username")
    )
    context = {
        "limits_form": limits_form,
        "budgets_form": budgets_form,
        "personal_form": personal_form,
        "overrides": overrides,
        "defaults": services.DEFAULT_AUTHORITY_LIMITS,
    }
    return render(request, "recovery/limits.html", context)
