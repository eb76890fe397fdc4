"""Staff pages to send surveys: to one customer (or the staff of a store), to the customers
of a filtered customer list, on slips with a QR code for the store counter; the survey's
invitations; and the rules that send by themselves with the organisation's quiet period."""

from __future__ import annotations

import re
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from manyi.accounts.formtools import apply_domain_error
from manyi.accounts.models import User
from manyi.core.errors import DomainError
from manyi.core.scoping import cases_for, customers_for, staff_for, stores_for
from manyi.customers import selectors as customer_selectors
from manyi.customers.forms import CustomerFilterForm
from manyi.customers.models import Customer
from manyi.customers.selectors import CustomerFilters
from manyi.surveys import builder_selectors as selectors
from manyi.surveys import rules as survey_rules
from manyi.surveys import services
from manyi.surveys.choices import Audience, InvitationSource, InvitationState
from manyi.surveys.forms import (
    InvitationFilterForm,
    QuietPeriodForm,
    RuleForm,
    SegmentForm,
    SendOneForm,
    SlipsForm,
    StoreForm,
)
from manyi.surveys.models import Invitation, Survey, SurveyRule
from manyi.surveys.settings_services import set_quiet_period

SEARCH_LIMIT = 20
INVITATIONS_PER_PAGE = 50
BATCH_RE = re.compile(r"^(\d+)-(\d+)$")
SEGMENT_RESULT = "surveys_segment_result"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _language() -> str:
    return get_language() or "zh-hans"


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


# --- one customer, or the staff of a store -------------------------------------------------


def _send_one(
    request: HttpRequest, survey: Survey, customer: Customer, form: SendOneForm
) -> HttpResponse | None:
    user = _user(request)
    d = form.cleaned_data
    try:
        outcome = services.invite_customer(
            survey=survey,
            customer=customer,
            source=InvitationSource.MANUAL,
            actor=user,
            case=d.get("case"),
            staff=d.get("staff"),
            respect_quiet_period=not d.get("override_quiet_period"),
        )
    except DomainError as e:
        apply_domain_error(form, e, field_map={"customer": "__all__", "survey": "__all__"})
        return None
    if outcome.sent and outcome.invitation is not None:
        messages.success(
            request,
            _("Survey sent to %(name)s by %(channel)s.")
            % {"name": customer.name, "channel": outcome.invitation.get_channel_display()},
        )
    else:
        messages.warning(
            request,
            _("Not sent to %(name)s: %(reason)s")
            % {"name": customer.name, "reason": outcome.reason},
        )
    return redirect(reverse("surveys:send", args=[survey.pk]) + f"?customer={customer.pk}")


def _send_staff(request: HttpRequest, survey: Survey, form: StoreForm) -> HttpResponse | None:
    try:
        n = services.invite_staff(
            survey=survey, store=form.cleaned_data["store"], actor=_user(request)
        )
    except DomainError as e:
        apply_domain_error(form, e, field_map={"survey": "__all__"})
        return None
    messages.success(
        request,
        _("Staff survey sent by email to %(n)s people of %(store)s.")
        % {"n": n, "store": form.cleaned_data["store"].name},
    )
    return redirect("surveys:send", pk=survey.pk)


@login_required
def send(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = selectors.survey_for(user, pk)
    context: dict[str, Any] = {"survey": survey}
    if survey.audience == Audience.EMPLOYEE:
        stores = stores_for(user)
        staff_form = StoreForm(
            request.POST or None, stores=stores, initial={"store": user.store_id}
        )
        if request.method == "POST" and staff_form.is_valid():
            response = _send_staff(request, survey, staff_form)
            if response is not None:
                return response
        context["staff_form"] = staff_form
        return render(request, "surveys/send.html", context)

    customer_id = _int(request.GET.get("customer") or request.POST.get("customer"))
    if customer_id is not None:
        customer = get_object_or_404(customers_for(user).select_related("store"), pk=customer_id)
        form = SendOneForm(
            request.POST or None,
            cases=cases_for(user).filter(customer=customer).order_by("-received_at"),
            staff=staff_for(user).order_by("display_name", "username"),
            initial={"case": _int(request.GET.get("case"))},
        )
        if request.method == "POST" and form.is_valid():
            response = _send_one(request, survey, customer, form)
            if response is not None:
                return response
        context.update(
            customer=customer,
            form=form,
            recent=Invitation.objects.filter(
                organisation_id=survey.organisation_id, customer=customer
            )
            .select_related("survey")
            .order_by("-created_at")[:5],
            quiet_days=survey.organisation.survey_quiet_days,
        )
    else:
        q = (request.GET.get("q") or "").strip()
        found: list[Customer] = []
        if q:
            found = list(
                customer_selectors.customer_list(user=user, filters=CustomerFilters(q=q))[
                    :SEARCH_LIMIT
                ]
            )
        context.update(q=q, found=found)
    return render(request, "surveys/send.html", context)


@login_required
@require_GET
def send_pick(request: HttpRequest) -> HttpResponse:
    """From a customer's page: choose which survey to send them."""
    user = _user(request)
    customer = get_object_or_404(customers_for(user), pk=_int(request.GET.get("customer")) or 0)
    surveys = list(selectors.sendable_surveys(user))
    if len(surveys) == 1:
        return redirect(reverse("surveys:send", args=[surveys[0].pk]) + f"?customer={customer.pk}")
    return render(request, "surveys/send_pick.html", {"customer": customer, "surveys": surveys})


# --- a segment of the customer list ---------------------------------------------------------


def _filter_summary(form: CustomerFilterForm) -> list[tuple[str, str]]:
    """The customer-list filters in force, as (label, value) for the page."""
    if not form.is_valid():
        return []
    summary = []
    for name, value in form.cleaned_data.items():
        if value in (None, "", False):
            continue
        field = form[name]
        if value is True:
            summary.append((str(field.label), _("yes")))
        elif hasattr(field.field, "choices") and not hasattr(value, "pk"):
            labels = dict(field.field.choices)
            summary.append((str(field.label), str(labels.get(value, value))))
        else:
            summary.append((str(field.label), str(value)))
    return summary


@login_required
def send_segment(request: HttpRequest) -> HttpResponse:
    """Send a survey to every customer of the customer list as filtered by the query string,
    with the customer list's own filters (so the segment is exactly that list)."""
    user = _user(request)
    if not user.is_org_wide:
        raise PermissionDenied
    query = request.GET.copy()
    for name in ("page", "survey", "done"):
        query.pop(name, None)
    filter_form = CustomerFilterForm(query, user=user)
    customers = customer_selectors.customer_list(user=user, filters=filter_form.filters())
    if not filter_form.is_valid():  # a bad filter is not "no filter": send to nobody
        customers = customers.none()
    surveys = selectors.sendable_surveys(user)
    form = SegmentForm(
        request.POST or None,
        surveys=surveys,
        initial={"survey": _int(request.GET.get("survey"))},
    )
    encoded = query.urlencode()
    if request.method == "POST" and filter_form.is_valid() and form.is_valid():
        survey = form.cleaned_data["survey"]
        try:
            result = services.invite_segment(survey=survey, customers=customers, actor=user)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            request.session[SEGMENT_RESULT] = {
                "survey": survey.name(_language()),
                "survey_id": survey.pk,
                "sent": result.sent,
                "skipped_total": result.skipped_total,
                "skipped": sorted(result.skipped.items(), key=lambda kv: -kv[1]),
            }
            done = f"{encoded}&done=1" if encoded else "done=1"
            return redirect(reverse("surveys:send_segment") + "?" + done)
    result_data = request.session.pop(SEGMENT_RESULT, None) if request.GET.get("done") else None
    context = {
        "form": form,
        "count": customers.count(),
        "max_segment": services.MAX_SEGMENT,
        "filters": _filter_summary(filter_form),
        "filter_errors": [
            (str(filter_form[name].label) if name in filter_form.fields else "", message)
            for name, messages in filter_form.errors.items()
            for message in messages
        ],
        "query": encoded,
        "result": result_data,
        "has_surveys": surveys.exists(),
    }
    return render(request, "surveys/send_segment.html", context)


# --- counter slips with a QR code -----------------------------------------------------------


def qr_svg(url: str, *, scale: int = 4) -> SafeString:
    """An inline SVG QR code of `url` (segno's own output, nothing of ours inside)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=scale))  # noqa: S308 - segno's SVG


@login_required
def slips(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = selectors.survey_for(user, pk)
    form = SlipsForm(
        request.POST or None,
        stores=stores_for(user),
        staff=staff_for(user).order_by("display_name", "username"),
        initial={"store": user.store_id, "language": _language(), "count": 20},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            printed = services.print_counter_invitations(
                survey=survey,
                store=d["store"],
                count=d["count"],
                actor=user,
                staff=d.get("staff"),
                language=d["language"],
            )
        except DomainError as e:
            apply_domain_error(form, e, field_map={"survey": "__all__"})
        else:
            ids = sorted(i.pk for i in printed)
            url = reverse("surveys:slips", args=[survey.pk])
            return redirect(f"{url}?batch={ids[0]}-{ids[-1]}")
    sheet: list[dict[str, Any]] = []
    batch = BATCH_RE.match(request.GET.get("batch") or "")
    if batch:
        printed_qs = (
            selectors.invitations_for(user, survey)
            .filter(
                source=InvitationSource.COUNTER,
                pk__gte=int(batch.group(1)),
                pk__lte=int(batch.group(2)),
            )
            .select_related("store", "staff")
            .order_by("pk")[: services.MAX_COUNTER_SLIPS]
        )
        for invitation in printed_qs:
            url = services.answer_url(invitation.token)
            sheet.append(
                {
                    "invitation": invitation,
                    "url": url,
                    "qr": qr_svg(url),
                    "name": survey.name(invitation.language),
                }
            )
    return render(request, "surveys/slips.html", {"survey": survey, "form": form, "sheet": sheet})


@login_required
@require_GET
def qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code of one counter slip's link as an SVG file."""
    invitation = selectors.counter_slip_for(_user(request), pk)
    svg = segno.make(services.answer_url(invitation.token), error="m").svg_inline(scale=4)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the invitations of a survey ------------------------------------------------------------


@login_required
@require_GET
def invitations(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = selectors.survey_for(user, pk)
    form = InvitationFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    qs = selectors.invitation_list(user, survey, state=state)
    page = Paginator(qs, INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/invitations.html",
        {
            "survey": survey,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "now": timezone.now(),
            "open_states": (InvitationState.SENT, InvitationState.OPENED, InvitationState.PARTIAL),
            "counts": selectors.invitation_counts(user, survey),
        },
    )


# --- rules and the quiet period -------------------------------------------------------------


def _rule_form(request: HttpRequest, data: Any = None, **kwargs: Any) -> RuleForm:
    user = _user(request)
    surveys = selectors.surveys_for(user).filter(archived=False, audience=Audience.CUSTOMER)
    return RuleForm(
        data,
        surveys=surveys.order_by("name_zh"),
        stores=stores_for(user),
        **kwargs,
    )


def _save_rule(request: HttpRequest, form: RuleForm, rule: SurveyRule | None) -> bool:
    d = form.cleaned_data
    try:
        survey_rules.save_rule(
            actor=_user(request),
            survey=d["survey"],
            trigger=d["trigger"],
            store=d.get("store"),
            delay_hours=d["delay_hours"],
            active=bool(d.get("active")),
            rule=rule,
        )
    except DomainError as e:
        apply_domain_error(form, e)
        return False
    messages.success(request, _("Rule saved."))
    return True


def _rules_page(
    request: HttpRequest,
    *,
    form: RuleForm | None = None,
    quiet_form: QuietPeriodForm | None = None,
    rule: SurveyRule | None = None,
) -> HttpResponse:
    user = _user(request)
    organisation = user.organisation
    assert organisation is not None
    if user.is_org_admin:
        form = form or _rule_form(request, initial={"delay_hours": 0, "active": True})
        quiet_form = quiet_form or QuietPeriodForm(initial={"days": organisation.survey_quiet_days})
    return render(
        request,
        "surveys/rules.html",
        {
            "rules": list(selectors.rules_for(user)),
            "form": form,
            "quiet_form": quiet_form,
            "quiet_days": organisation.survey_quiet_days,
            "editing": rule,
        },
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        return _rules_page(request)
    if not user.is_org_admin:
        raise PermissionDenied
    if request.POST.get("action") == "quiet":
        quiet_form = QuietPeriodForm(request.POST)
        if quiet_form.is_valid():
            try:
                set_quiet_period(actor=user, days=quiet_form.cleaned_data["days"])
            except DomainError as e:
                apply_domain_error(quiet_form, e)
            else:
                messages.success(request, _("Quiet period saved."))
                return redirect("surveys:rules")
        return _rules_page(request, quiet_form=quiet_form)
    form = _rule_form(request, request.POST)
    if form.is_valid() and _save_rule(request, form, None):
        return redirect("surveys:rules")
    return _rules_page(request, form=form)


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    if not user.is_org_admin:
        raise PermissionDenied
    rule = get_object_or_404(selectors.rules_for(user), pk=pk)
    if request.method == "POST":
        form = _rule_form(request, request.POST)
        if form.is_valid() and _save_rule(request, form, rule):
            return redirect("surveys:rules")
    else:
        form = _rule_form(request, initial=RuleForm.initial_for(rule))
    return _rules_page(request, form=form, rule=rule)
