"""Settings pages (organisation admins only): the index, stores and staff. Categories and
SLA policies are in taxonomy_views, calendars in manyi.calendars.views."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from manyi.accounts import selectors
from manyi.accounts.decorators import admin_of, org_admin_required
from manyi.accounts.forms import (
    OrganisationForm,
    StaffCreateForm,
    StaffEditForm,
    StaffFilterForm,
    StoreForm,
    staff_initial,
)
from manyi.accounts.formtools import apply_domain_error
from manyi.accounts.services import create_store
from manyi.accounts.staff_services import (
    create_staff_member,
    update_organisation_settings,
    update_staff,
    update_store,
)
from manyi.calendars.services import missing_official_years
from manyi.core.errors import DomainError

STAFF_PAGE_SIZE = 50


@org_admin_required
def index(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    organisation = admin.organisation
    assert organisation is not None
    calendars = list(selectors.org_calendars(admin))
    warnings = [(c, years) for c in calendars if (years := missing_official_years(c))]
    context = {
        "store_count": selectors.settings_stores(admin).count(),
        "staff_count": selectors.settings_staff(admin).filter(is_active=True).count(),
        "category_count": selectors.org_categories(admin).filter(active=True).count(),
        "policy_count": selectors.org_policies(admin).filter(active=True).count(),
        "calendar_count": len(calendars),
        "calendar_warnings": warnings,
        "watch_list_severity": _severity_label(organisation.watch_list_severity),
    }
    return render(request, "accounts/index.html", context)


def _severity_label(value: str) -> str:
    from manyi.cases.choices import Severity

    return str(Severity(value).label) if value in Severity.values else value


@org_admin_required
def organisation_edit(request: HttpRequest) -> HttpResponse:
    """Organisation-wide settings (the watch-list severity)."""
    admin = admin_of(request)
    organisation = admin.organisation
    assert organisation is not None
    initial = {"watch_list_severity": organisation.watch_list_severity}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_organisation_settings(
                actor=admin,
                organisation=organisation,
                watch_list_severity=form.cleaned_data["watch_list_severity"],
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Organisation settings saved."))
            return redirect("accounts:organisation")
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation}
    )


@org_admin_required
def store_list(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    return render(request, "accounts/store_list.html", {"stores": selectors.settings_stores(admin)})


@org_admin_required
def store_create(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    form = StoreForm(request.POST or None, admin=admin)
    if request.method == "POST" and form.is_valid():
        try:
            store = create_store(organisation=admin.organisation, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Store %(name)s created.") % {"name": store.name})
            return redirect("accounts:stores")
    return render(request, "accounts/store_form.html", {"form": form, "store": None})


@org_admin_required
def store_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    store = get_object_or_404(selectors.settings_stores(admin), pk=pk)
    initial = {"name": store.name, "code": store.code, "calendar": store.calendar_id}
    form = StoreForm(request.POST or None, admin=admin, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_store(store=store, **form.cleaned_data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Store %(name)s saved.") % {"name": store.name})
            return redirect("accounts:stores")
    return render(request, "accounts/store_form.html", {"form": form, "store": store})


@org_admin_required
def staff_list(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    form = StaffFilterForm(request.GET or None, admin=admin)
    q, store_id = "", None
    if form.is_valid():
        q = form.cleaned_data.get("q") or ""
        store = form.cleaned_data.get("store")
        store_id = store.pk if store is not None else None
    qs = selectors.settings_staff(admin, q=q, store_id=store_id)
    page = Paginator(qs, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html", {"form": form, "page": page})


@org_admin_required
def staff_create(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    form = StaffCreateForm(request.POST or None, admin=admin)
    if request.method == "POST" and form.is_valid():
        try:
            person = create_staff_member(
                organisation=admin.organisation,  # type: ignore[arg-type]
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                **form.staff_values(),
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("%(name)s can now sign in.") % {"name": person})
            return redirect("accounts:staff")
    return render(request, "accounts/staff_form.html", {"form": form, "person": None})


@org_admin_required
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    person = get_object_or_404(selectors.staff_member(admin, pk))
    form = StaffEditForm(
        request.POST or None, admin=admin, staff=person, initial=staff_initial(person)
    )
    if request.method == "POST" and form.is_valid():
        changes = form.staff_values()
        changes["is_active"] = bool(form.cleaned_data.get("is_active"))
        if form.cleaned_data.get("password"):
            changes["password"] = form.cleaned_data["password"]
        try:
            saved = update_staff(actor=admin, staff=person, changes=changes)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": saved})
            return redirect("accounts:staff")
    return render(request, "accounts/staff_form.html", {"form": form, "person": person})
