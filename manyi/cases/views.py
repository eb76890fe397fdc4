"""Case pages: the list (with exports), quick phone intake, and the case page with its actions.

Views parse input with a form and call one selector or service. Action forms post with htmx
and get back the `cases/_case_body.html` fragment; without htmx they redirect to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi.accounts.models import User
from manyi.audit.presenters import describe_all
from manyi.cases import exports, selectors, services
from manyi.cases.forms import (
    CaseFilterForm,
    EditCaseForm,
    EscalateForm,
    IntakeForm,
    NoteForm,
    RespondForm,
    StatusForm,
    TransferForm,
)
from manyi.cases.intake import Complaint, take_complaint
from manyi.cases.models import Case, Category
from manyi.cases.sla import live_clocks
from manyi.core.errors import ConflictError, DomainError
from manyi.customers.validation import normalise_phone

PAGE_SIZE = 25


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


# --- list and exports ---------------------------------------------------------------------


def _filter_form(request: HttpRequest) -> CaseFilterForm:
    user = _user(request)
    return CaseFilterForm(request.GET or None, user=user, categories=selectors.categories_for(user))


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = _filter_form(request)
    now = timezone.now()
    qs = selectors.case_list(user, form.filters(), now=now)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "now": now}
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "cases/_results.html", context)
    return render(request, "cases/list.html", context)


@login_required
@require_GET
def case_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(status=404)
    user = _user(request)
    qs = selectors.case_list(user, _filter_form(request).filters())
    if fmt == "xlsx":
        return exports.xlsx_response(qs, user=user)
    return exports.csv_response(qs, user=user)


# --- quick phone intake -------------------------------------------------------------------


def _lookup_context(user: User, form: IntakeForm) -> dict[str, Any]:
    """What the intake page shows under the phone field for the number typed so far."""
    raw_phone = str(form["phone"].value() or "").strip()
    if not raw_phone:
        return {"lookup": "empty"}
    try:
        phone = normalise_phone(raw_phone)
    except DomainError:
        return {"lookup": "incomplete"}
    found = selectors.customer_by_phone(user, phone)
    if found is not None:
        assets = list(found.assets.all())
        chosen = str(form["asset"].value() or "")
        if form.is_bound:
            selected = int(chosen) if chosen.isdigit() else None
        else:
            selected = assets[0].pk if assets else None
        return {"lookup": "found", "found": found, "assets": assets, "selected_asset": selected}
    if selectors.phone_taken_elsewhere(user, phone):
        return {"lookup": "elsewhere"}
    return {"lookup": "new"}


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    categories = selectors.categories_for(user)
    if request.method == "POST":
        form = IntakeForm(request.POST, user=user, categories=categories)
        if form.is_valid():
            d = form.cleaned_data
            complaint = Complaint(
                phone=d["phone"],
                customer_name=d["customer_name"],
                asset_id=d["asset"],
                plate=d["plate"],
                model=d["model"],
                vin=d["vin"],
                store_id=d["store"],
                channel=d["channel"],
                category_id=d["category"],
                severity=d["severity"],
                summary=d["summary"],
                description=d["description"],
                received_at=d["received_at"],
                threatens_media=d["threatens_media"],
                threatens_regulator=d["threatens_regulator"],
                threatens_lawyer=d["threatens_lawyer"],
                repeat_complaint=d["repeat_complaint"],
                nature=d["nature"],
                complainer_type=d["complainer_type"],
            )
            try:
                case = take_complaint(actor=user, complaint=complaint)
            except DomainError as e:
                _add_errors(form, e)
            else:
                return redirect("cases:detail", pk=case.pk)
    else:
        form = IntakeForm(user=user, categories=categories)
    context = {"form": form, **_lookup_context(user, form)}
    return render(request, "cases/intake.html", context)


@login_required
@require_GET
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: the caller's customer record (name, vehicles) or the fields of a new customer."""
    user = _user(request)
    typed = {k: request.GET.get(k, "") for k in ("phone", "customer_name", "plate", "model", "vin")}
    form = IntakeForm(initial=typed, user=user, categories=[])
    context = {"form": form, **_lookup_context(user, form)}
    return render(request, "cases/_customer_lookup.html", context)


# --- the case page ------------------------------------------------------------------------

ACTION_FORMS: dict[str, Callable[..., Any]] = {
    "respond": lambda case, user, cats, data: RespondForm(data, initial={"version": case.version}),
    "note": lambda case, user, cats, data: NoteForm(data, initial={"version": case.version}),
    "status": lambda case, user, cats, data: StatusForm(
        data, case=case, initial={"version": case.version}
    ),
    "transfer": lambda case, user, cats, data: TransferForm(
        data, case=case, user=user, initial={"version": case.version}
    ),
    "escalate": lambda case, user, cats, data: EscalateForm(
        data, initial={"version": case.version}
    ),
    "edit": lambda case, user, cats, data: (
        EditCaseForm(data, case=case, categories=cats)
        if data is not None
        else EditCaseForm(case=case, categories=cats)
    ),
}


def _case_context(
    request: HttpRequest,
    case: Case,
    *,
    bound: tuple[str, Any] | None = None,
    message: tuple[str, str] | None = None,
    categories: list[Category] | None = None,
) -> dict[str, Any]:
    user = _user(request)
    now = timezone.now()
    if categories is None:
        categories = selectors.categories_for(user)
    forms = {name: make(case, user, categories, None) for name, make in ACTION_FORMS.items()}
    active = "respond" if case.is_open else "status"
    if bound is not None:
        forms[bound[0]] = bound[1]
        active = bound[0]
    return {
        "case": case,
        "now": now,
        "clocks": live_clocks(case, case.slas.all(), now=now),
        "events": describe_all(selectors.timeline(case)),
        "forms": forms,
        "active_tab": active,
        "flash": message,
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for(_user(request), pk)
    return render(request, "cases/detail.html", _case_context(request, case))


@login_required
@require_GET
def case_clocks(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the SLA clocks, polled so a breach found by the sweep shows without a reload."""
    case = selectors.case_for(_user(request), pk)
    now = timezone.now()
    clocks = live_clocks(case, case.slas.all(), now=now)
    return render(request, "cases/_clocks.html", {"case": case, "clocks": clocks, "now": now})


def _run(form: Any, action: str, case: Case, user: User) -> Case:
    d = form.cleaned_data
    version = d["version"]
    if action == "respond":
        return services.respond_to_case(
            actor=user, case=case, message=d["message"], channel=d["channel"], version=version
        )
    if action == "note":
        return services.comment_on_case(actor=user, case=case, text=d["text"])
    if action == "status":
        return services.change_status(
            actor=user,
            case=case,
            status=d["status"],
            note=d["note"],
            version=version,
            **form.learning(),
        )
    if action == "transfer":
        return services.assign_case(
            actor=user, case=case, owner=d["owner"], note=d["note"], version=version
        )
    if action == "escalate":
        return services.escalate_case(actor=user, case=case, reason=d["reason"], version=version)
    if action == "edit":
        return services.update_case(actor=user, case=case, changes=form.changes(), version=version)
    raise ValueError(action)


DONE = {
    "respond": lambda: _("Response recorded."),
    "note": lambda: _("Note added."),
    "status": lambda: _("Status changed."),
    "transfer": lambda: _("Case transferred."),
    "escalate": lambda: _("Case escalated."),
    "edit": lambda: _("Case updated."),
}


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action of the case page; a stale `version` answers with the conflict message."""
    if action not in ACTION_FORMS:
        return HttpResponse(status=404)
    user = _user(request)
    categories = selectors.categories_for(user)
    case = selectors.case_for(user, pk)
    form = ACTION_FORMS[action](case, user, categories, request.POST)
    message: tuple[str, str] | None = None
    bound: tuple[str, Any] | None = (action, form)
    conflict = False
    if form.is_valid():
        try:
            _run(form, action, case, user)
        except ConflictError as e:
            message, conflict = ("error", e.message), True
        except DomainError as e:
            _add_errors(form, e)
            if form.non_field_errors():
                message = ("error", " ".join(form.non_field_errors()))
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, DONE[action]())
                return redirect("cases:detail", pk=pk)
            message, bound = ("success", DONE[action]()), None
    case = selectors.case_for(user, pk)
    if conflict:
        # Keep what the user typed, but on top of the case as it is now.
        data = request.POST.copy()
        data["version"] = str(case.version)
        again = ACTION_FORMS[action](case, user, categories, data)
        again.is_valid()
        bound = (action, again)
    context = _case_context(request, case, bound=bound, message=message, categories=categories)
    template = "cases/_case_body.html" if request.htmx else "cases/detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)
