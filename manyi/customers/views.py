"""Customer pages: list with search and filters, detail with vehicles, cases and timeline,
create and edit. Views parse input and call customers.services; reads come from selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.accounts.formtools import apply_domain_error, is_htmx
from manyi.accounts.models import User
from manyi.core.errors import DomainError
from manyi.customers import selectors, services
from manyi.customers.forms import (
    AssetForm,
    ComeBackForm,
    CustomerFilterForm,
    CustomerForm,
    LostForm,
)
from manyi.customers.models import Customer
from manyi.customers.timeline import timeline_entries

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = CustomerFilterForm(request.GET or None, user=user)
    qs = selectors.customer_list(user=user, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if is_htmx(request) and request.headers.get("HX-Target") == "customer-results":
        return render(request, "customers/list.html#results", context)
    return render(request, "customers/list.html", context)


def _detail_context(
    request: HttpRequest,
    customer: Customer,
    *,
    asset_form: AssetForm | None = None,
    lost_form: LostForm | None = None,
    back_form: ComeBackForm | None = None,
) -> dict[str, Any]:
    user = _user(request)
    initial = {"version": customer.version}
    if lost_form is None:
        initial_lost = {**initial, "reason": customer.lost_reason, "note": customer.lost_note}
        lost_form = LostForm(initial=initial_lost)
    return {
        "lost_form": lost_form,
        "back_form": back_form or ComeBackForm(initial=initial),
        "customer": customer,
        "assets": selectors.customer_assets(customer),
        "cases": selectors.customer_cases(user=user, customer=customer),
        "timeline": timeline_entries(
            selectors.customer_timeline(user=user, customer=customer), user=user
        ),
        "asset_form": asset_form or AssetForm(),
    }


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for(_user(request), pk)
    return render(request, "customers/detail.html", _detail_context(request, customer))


@login_required
def customer_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = CustomerForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.changes()
        store = data.pop("store")
        name = data.pop("name")
        try:
            customer = services.create_customer(actor=user, store=store, name=name, **data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    customer = selectors.customer_for(user, pk)
    form = CustomerForm(request.POST or None, user=user, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_customer(
                actor=user,
                customer=customer,
                changes=form.changes(),
                version=form.cleaned_data.get("version"),
            )
        except DomainError as e:
            apply_domain_error(form, e, field_map={"version": "__all__"})
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@login_required
@require_POST
def asset_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    customer = selectors.customer_for(user, pk)
    form = AssetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_asset(
                actor=user,
                customer=customer,
                kind=data["kind"],
                vin=data["vin"] or "",
                plate=data["plate"] or "",
                model=data["model"] or "",
                purchase_date=data["purchase_date"],
                mileage=data["mileage"],
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            if not is_htmx(request):
                messages.success(request, _("Vehicle added."))
                return redirect(reverse("customers:detail", args=[customer.pk]) + "#assets")
            form = AssetForm()
    context = _detail_context(request, customer, asset_form=form)
    context["asset_added"] = form.is_bound is False
    if is_htmx(request):
        return render(request, "customers/detail.html#assets", context)
    return render(request, "customers/detail.html", context)


@login_required
@require_POST
def customer_lost(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the customer as lost (or correct the switching reason)."""
    user = _user(request)
    customer = selectors.customer_for(user, pk)
    form = LostForm(request.POST)
    if form.is_valid():
        try:
            services.mark_customer_lost(
                actor=user,
                customer=customer,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                version=form.cleaned_data.get("version"),
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Customer marked as lost."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#lost")
    context = _detail_context(request, customer, lost_form=form)
    return render(request, "customers/detail.html", context)


@login_required
@require_POST
def customer_back(request: HttpRequest, pk: int) -> HttpResponse:
    """Clear the lost mark: the customer came back."""
    user = _user(request)
    customer = selectors.customer_for(user, pk)
    form = ComeBackForm(request.POST)
    if form.is_valid():
        try:
            services.unmark_customer_lost(
                actor=user,
                customer=customer,
                note=form.cleaned_data["note"],
                version=form.cleaned_data.get("version"),
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("The customer is no longer marked as lost."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#lost")
    context = _detail_context(request, customer, back_form=form)
    return render(request, "customers/detail.html", context)
