"""The follow-up workbench: calls to make today, overdue calls, phone messages; recording the
outcome of a call (an htmx post that swaps the call's row); taking and returning messages;
scheduling a call; the call scripts (organisation admins).

Views parse input with a form and call one selector or service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi.accounts.decorators import admin_of, org_admin_required
from manyi.accounts.models import User
from manyi.core.errors import ConflictError, DomainError
from manyi.followups import selectors, services
from manyi.followups.choices import MAX_ATTEMPTS, ContactResult, FollowUpState, Reason
from manyi.followups.forms import (
    MessageForm,
    OutcomeForm,
    ReturnForm,
    ScheduleForm,
    ScriptForm,
)
from manyi.followups.models import FollowUp, PhoneMessage
from manyi.followups.scripts import PLACEHOLDERS, Script, fill

TABS = ("today", "overdue", "messages")
SHOWN = 200  # rows per tab; a longer list is a staffing problem, not a paging one


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _add_errors(form: Any, error: DomainError) -> None:
    """Put a service's field-level messages next to the form's fields."""
    for name, texts in error.as_fields().items():
        target = name if name in form.fields else None
        for message in texts:
            form.add_error(target, message)


def _script_text(f: FollowUp, scripts: dict[str, Script]) -> str:
    script = scripts.get(f.reason) or scripts[Reason.COMPLAINT]
    return fill(
        script.text(translation.get_language()),
        customer=f.customer.name,
        staff=str(f.assigned_to),
        store=f.store.name,
        case=f.case.number if f.case is not None else "",
    )


def _outcome_form(f: FollowUp, data: Any = None) -> OutcomeForm:
    initial = {
        "version": f.version,
        "reschedule_to": services.next_working_day(
            f.store, services.local_date(f.store, timezone.now())
        ),
    }
    return OutcomeForm(data, prefix=f"fu{f.pk}", initial=initial)


def _or(value: str | None, fallback: str) -> str:
    """`value` unless it is None (no call recorded, or not loaded): then `fallback`."""
    return fallback if value is None else value


def _row(
    f: FollowUp,
    *,
    viewer: User,
    scripts: dict[str, Script],
    now: dt.datetime,
    form: OutcomeForm | None = None,
    expanded: bool = False,
) -> dict[str, Any]:
    is_open = f.state == FollowUpState.OPEN
    finished = f.state in (FollowUpState.DONE, FollowUpState.EXPIRED)
    return {
        "f": f,
        # A finished call shows what came of its last call (selectors.with_last_call), not
        # the note it was scheduled with.
        "finished": finished,
        "last_result": _or(getattr(f, "last_result", None), f.result),
        "last_satisfaction": _or(getattr(f, "last_satisfaction", None), f.satisfaction),
        "last_note": getattr(f, "last_note", None) or "",
        # The person who has to make the call sees the number in full.
        "show_phone": selectors.sees_full_phone(viewer, f.assigned_to_id),
        "form": (form or _outcome_form(f)) if is_open else None,
        "script": _script_text(f, scripts) if is_open else "",
        "overdue": is_open and f.due_at < now,
        "expanded": expanded,
        "max_attempts": MAX_ATTEMPTS,
    }


# --- the workbench ----------------------------------------------------------------------------


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    tab = request.GET.get("tab", "today")
    if tab not in TABS:
        tab = "today"
    store_wide = request.GET.get("who") == "store" and selectors.sees_whole_store(user)
    now = timezone.now()
    today = timezone.localdate(now)
    today_qs = selectors.calls_today(user, today=today)
    overdue_qs = selectors.overdue_calls(user, now=now, store_wide=store_wide)
    messages_qs = selectors.open_messages(user, store_wide=store_wide)
    counts = {
        "today": today_qs.count(),
        "overdue": overdue_qs.count(),
        "messages": messages_qs.count(),
    }
    context: dict[str, Any] = {
        "tab": tab,
        "counts": counts,
        "store_wide": store_wide,
        "can_see_store": selectors.sees_whole_store(user),
        "now": now,
        "today": today,
    }
    if tab == "messages":
        context["messages_rows"] = [_message_row(m, user) for m in messages_qs[:SHOWN]]
        context["message_form"] = MessageForm(user=user)
    else:
        scripts = selectors.scripts_for(user.organisation_id)
        qs = today_qs if tab == "today" else overdue_qs
        context["rows"] = [_row(f, viewer=user, scripts=scripts, now=now) for f in qs[:SHOWN]]
    return render(request, "followups/workbench.html", context)


@login_required
@require_POST
def record_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one call; htmx gets the call's row back, in its new state."""
    user = _user(request)
    qs = selectors.followups_for(user).select_related(*selectors.ROW_RELATED)
    followup = get_object_or_404(qs, pk=pk)
    back_to_case = request.POST.get("next") == "case" and followup.case_id is not None
    form: OutcomeForm | None = _outcome_form(followup, request.POST)
    assert form is not None
    flash: tuple[str, str] | None = None
    expanded = True
    if form.is_valid():
        d = form.cleaned_data
        try:
            done = services.record_attempt(
                actor=user,
                followup=followup,
                result=d["result"],
                satisfaction=d["satisfaction"],
                note=d["note"],
                reschedule_to=d["reschedule_to"],
                version=d["version"],
            )
        except ConflictError as e:
            flash = ("error", e.message)
        except DomainError as e:
            _add_errors(form, e)
            if form.non_field_errors():
                flash = ("error", " ".join(str(m) for m in form.non_field_errors()))
        else:
            flash = ("success", _outcome_message(done))
            form, expanded = None, False
    else:
        flash = ("error", _("Check the outcome of the call."))
    if back_to_case or not _htmx(request):
        level = messages.SUCCESS if form is None else messages.ERROR
        text = flash[1] if flash else ""
        if form is not None and form.errors and not form.non_field_errors():
            text = "; ".join(str(m) for errs in form.errors.values() for m in errs)
        messages.add_message(request, level, text)
        if back_to_case:
            return redirect("cases:detail", pk=followup.case_id)
        return redirect("followups:workbench")
    fresh = selectors.with_last_call(qs).get(pk=pk)
    if form is not None and fresh.version != followup.version:
        # Keep what the user typed, on top of the follow-up as it is now.
        data = request.POST.copy()
        data[f"fu{pk}-version"] = str(fresh.version)
        form = _outcome_form(fresh, data)
        form.is_valid()
    scripts = selectors.scripts_for(user.organisation_id)
    row = _row(
        fresh, viewer=user, scripts=scripts, now=timezone.now(), form=form, expanded=expanded
    )
    return render(request, "followups/_row.html", {"row": row, "flash": flash})


def _outcome_message(f: FollowUp) -> str:
    if f.state == FollowUpState.OPEN:
        return _("No answer (call %(n)d of %(max)d). Next call on %(day)s.") % {
            "n": f.attempts,
            "max": MAX_ATTEMPTS,
            "day": f.scheduled_for.isoformat(),
        }
    if f.state == FollowUpState.EXPIRED:
        return _("No answer %(max)d times: the follow-up has expired.") % {"max": MAX_ATTEMPTS}
    text = _("Recorded: %(result)s.") % {"result": ContactResult(f.result).label}
    if f.case_id is not None and f.satisfaction == "no":
        text += " " + _("The case owner and their supervisor have been told.")
    return text


# --- phone messages ---------------------------------------------------------------------------


def _message_row(m: PhoneMessage, user: User, form: ReturnForm | None = None) -> dict[str, Any]:
    return {
        "m": m,
        "form": form or ReturnForm(prefix=f"pm{m.pk}"),
        "may_return": services.may_return(user, m),
        # The recipient has to call back: they always see the number in full.
        "show_phone": selectors.sees_full_phone(user, m.for_user_id),
        "overdue": m.returned_at is None and m.due_at < timezone.now(),
    }


@login_required
def message_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = MessageForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            message = services.take_message(
                actor=user,
                for_user=d["for_user"],
                caller_name=d["caller_name"],
                caller_phone=d["caller_phone"],
                reason=d["reason"],
                received_at=d["received_at"],
            )
        except DomainError as e:
            _add_errors(form, e)
        else:
            messages.success(
                request,
                _("Message for %(name)s saved; to be returned by %(due)s.")
                % {
                    "name": message.for_user,
                    "due": timezone.localtime(message.due_at).strftime("%Y-%m-%d %H:%M"),
                },
            )
            return redirect(reverse("followups:workbench") + "?tab=messages")
    return render(request, "followups/message_form.html", {"form": form})


@login_required
@require_POST
def message_return(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    qs = selectors.messages_for(user).select_related(
        "for_user", "taken_by", "customer", "store__calendar"
    )
    message = get_object_or_404(qs, pk=pk)
    form = ReturnForm(request.POST, prefix=f"pm{pk}")
    flash: tuple[str, str] | None = None
    if form.is_valid():
        try:
            services.return_message(actor=user, message=message, note=form.cleaned_data["note"])
        except DomainError as e:
            flash = ("error", e.message)
        else:
            flash = ("success", _("Marked as returned."))
    if not _htmx(request):
        if flash:
            messages.add_message(
                request, messages.SUCCESS if flash[0] == "success" else messages.ERROR, flash[1]
            )
        return redirect(reverse("followups:workbench") + "?tab=messages")
    row = _message_row(qs.get(pk=pk), user, form if flash and flash[0] == "error" else None)
    return render(request, "followups/_message_row.html", {"row": row, "flash": flash})


# --- scheduling a call ------------------------------------------------------------------------


@login_required
def followup_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    initial = {"customer_phone": request.GET.get("phone", "")}
    form = ScheduleForm(request.POST or None, user=user, today=today, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        assert form.customer is not None
        try:
            services.schedule_followup(
                actor=user,
                customer=form.customer,
                reason=d["reason"],
                assigned_to=d["assigned_to"],
                scheduled_for=d["scheduled_for"],
                note=d["note"],
            )
        except DomainError as e:
            _add_errors(form, e)
        else:
            messages.success(
                request,
                _("Call to %(customer)s scheduled for %(day)s.")
                % {"customer": form.customer.name, "day": d["scheduled_for"].isoformat()},
            )
            return redirect("followups:workbench")
    return render(request, "followups/followup_form.html", {"form": form})


# --- call scripts -----------------------------------------------------------------------------


@org_admin_required
def scripts(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    bound_reason = request.POST.get("reason") if request.method == "POST" else None
    bound: ScriptForm | None = None
    if bound_reason in Reason.values:
        if request.POST.get("action") == "reset":
            services.reset_call_script(actor=admin, reason=bound_reason)
            messages.success(request, _("The default script is back."))
            return redirect("followups:scripts")
        bound = ScriptForm(request.POST, prefix=bound_reason)
        if bound.is_valid():
            try:
                services.save_call_script(
                    actor=admin,
                    reason=bound_reason,
                    text_zh=bound.cleaned_data["text_zh"],
                    text_en=bound.cleaned_data["text_en"],
                )
            except DomainError as e:
                _add_errors(bound, e)
            else:
                messages.success(
                    request,
                    _("Script for “%(reason)s” saved.") % {"reason": Reason(bound_reason).label},
                )
                return redirect("followups:scripts")
    current = selectors.scripts_for(admin.organisation_id)
    items = []
    for reason, label in Reason.choices:
        script = current[reason]
        form = (
            bound
            if bound is not None and reason == bound_reason
            else ScriptForm(
                prefix=reason, initial={"text_zh": script.text_zh, "text_en": script.text_en}
            )
        )
        items.append({"reason": reason, "label": label, "form": form, "custom": script.custom})
    placeholders = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    return render(request, "followups/scripts.html", {"items": items, "placeholders": placeholders})
