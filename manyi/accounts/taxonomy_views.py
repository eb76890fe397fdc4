"""Settings pages for the complaint categories and the SLA policies (admins only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.accounts import selectors
from manyi.accounts.decorators import admin_of, org_admin_required
from manyi.accounts.forms import CategoryCreateForm, CategoryRenameForm
from manyi.accounts.formtools import apply_domain_error
from manyi.accounts.policy_forms import PolicyForm, match_summary, target_cells
from manyi.cases.category_services import create_category, rename_category, set_category_active
from manyi.cases.choices import SlaMetric
from manyi.cases.policy_removal import delete_sla_policy
from manyi.cases.policy_services import save_sla_policy
from manyi.core.errors import DomainError


@org_admin_required
def category_list(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    form = CategoryCreateForm(request.POST or None, admin=admin)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            category = create_category(
                organisation=admin.organisation,  # type: ignore[arg-type]
                name_zh=data["name_zh"],
                name_en=data.get("name_en") or "",
                parent=data.get("parent"),
                code=data.get("code") or "",
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Category %(name)s added.") % {"name": category.label()})
            return redirect("accounts:categories")
    preset = request.GET.get("parent")
    if not form.is_bound and preset and preset.isdigit():
        form.initial["parent"] = int(preset)
    context = {"form": form, "tree": selectors.category_tree(admin)}
    return render(request, "accounts/category_list.html", context)


@org_admin_required
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    category = get_object_or_404(selectors.org_categories(admin), pk=pk)
    initial = {"name_zh": category.name_zh, "name_en": category.name_en}
    form = CategoryRenameForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rename_category(
                category=category,
                name_zh=form.cleaned_data["name_zh"],
                name_en=form.cleaned_data.get("name_en") or "",
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Category renamed."))
            return redirect("accounts:categories")
    return render(request, "accounts/category_form.html", {"form": form, "category": category})


@org_admin_required
@require_POST
def category_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    category = get_object_or_404(selectors.org_categories(admin), pk=pk)
    try:
        set_category_active(category=category, active=not category.active)
    except DomainError as e:
        messages.error(request, " ".join(m for ms in e.as_fields().values() for m in ms))
    else:
        if category.active:
            messages.success(request, _("%(name)s is active again.") % {"name": category.label()})
        else:
            messages.success(
                request,
                _("%(name)s is switched off: new complaints cannot use it.")
                % {"name": category.label()},
            )
    return redirect("accounts:categories")


@org_admin_required
def policy_list(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    policies = list(selectors.org_policies(admin))
    summary = match_summary(policies, admin)
    rows = [(p, summary[p.pk], target_cells(p)) for p in policies]
    context = {"rows": rows, "metrics": SlaMetric.choices}
    return render(request, "accounts/policy_list.html", context)


def _policy_form_page(request: HttpRequest, pk: int | None) -> HttpResponse:
    admin = admin_of(request)
    policy = get_object_or_404(selectors.org_policies(admin), pk=pk) if pk else None
    form = PolicyForm(request.POST or None, admin=admin, policy=policy)
    if request.method == "POST" and form.is_valid():
        data, names = form.to_data()
        try:
            saved = save_sla_policy(
                organisation=admin.organisation,  # type: ignore[arg-type]
                actor=admin,
                data=data,
                policy=policy,
            )
        except DomainError as e:
            apply_domain_error(form, e, field_map=names)
        else:
            messages.success(request, _("SLA policy %(name)s saved.") % {"name": saved.name})
            return redirect("accounts:policies")
    return render(request, "accounts/policy_form.html", {"form": form, "policy": policy})


@org_admin_required
def policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_form_page(request, None)


@org_admin_required
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _policy_form_page(request, pk)


@org_admin_required
@require_POST
def policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    policy = get_object_or_404(selectors.org_policies(admin), pk=pk)
    try:
        delete_sla_policy(actor=admin, policy=policy)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("accounts:policy_edit", pk=policy.pk)
    messages.success(request, _("SLA policy %(name)s deleted.") % {"name": policy.name})
    return redirect("accounts:policies")
