"""Entering a phone interview (CSS by phone): staff read a survey's questions to a customer on
the phone and enter the answers, marked as a phone interview and as entered by them.

/surveys/<pk>/phone/ first asks for the customer (search, or ``?customer=<id>`` from a
customer or case page, with ``&case=<id>``), then shows the questions. The rules live in
manyi.surveys.answers.record_phone_interview: nothing is saved unless every answer is
right."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from manyi.accounts.models import User
from manyi.cases.models import Case
from manyi.core.errors import DomainError
from manyi.core.scoping import cases_for, customers_for, staff_for
from manyi.customers.models import Customer
from manyi.customers.selectors import CustomerFilters, customer_list
from manyi.surveys import answers
from manyi.surveys.choices import Audience
from manyi.surveys.definition import Definition, clean_answers
from manyi.surveys.models import Survey
from manyi.surveys.public_forms import (
    PhoneEntryForm,
    field_views,
    raw_answers,
    shown_keys,
    shown_value,
)
from manyi.surveys.services import definition_of

SEARCH_RESULTS = 20


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _id(raw: str | None) -> int | None:
    """An id from the query or the form: None when absent, 404 when not a number."""
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError as e:
        raise Http404 from e


def _survey_url(survey: Survey) -> str:
    """The survey's page (resolved at request time: it is another module's URL)."""
    for name in ("surveys:detail", "surveys:results"):
        try:
            return reverse(name, args=[survey.pk])
        except NoReverseMatch:
            continue
    return "/"


def _unavailable(survey: Survey) -> str:
    if survey.current_version_id is None or survey.archived:
        return _("This survey is not published: publish it before entering answers.")
    if survey.audience != Audience.CUSTOMER:
        return _("This is a staff survey: it cannot be entered from a phone interview.")
    return ""


def _language(customer: Customer) -> str:
    return "en" if (customer.language or "").startswith("en") else "zh-hans"


def _form(user: User, customer: Customer, data: QueryDict | None, case_id: int | None) -> Any:
    cases = cases_for(user).filter(customer=customer).order_by("-received_at")
    initial = {"customer": customer.pk, "case": case_id}
    return PhoneEntryForm(data, cases=cases, staff=staff_for(user), initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def phone_interview(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = get_object_or_404(
        Survey.objects.select_related("current_version"),
        pk=pk,
        organisation_id=user.organisation_id,
    )
    template = "surveys/phone.html"
    context: dict[str, Any] = {"survey": survey, "survey_url": _survey_url(survey)}
    unavailable = _unavailable(survey)
    if unavailable:
        context["unavailable"] = unavailable
        return render(request, template, context, status=409)
    data = request.POST if request.method == "POST" else request.GET
    customer_id = _id(data.get("customer"))
    case_id = _id(data.get("case"))
    if customer_id is None:
        query = request.GET.get("q", "").strip()[:100]
        found = customer_list(user=user, filters=CustomerFilters(q=query)) if query else None
        context.update(
            query=query,
            results=list(found[:SEARCH_RESULTS]) if found is not None else None,
            case_id=case_id,
        )
        return render(request, template, context)
    customer = get_object_or_404(customers_for(user).select_related("store"), pk=customer_id)
    if case_id is not None:
        get_object_or_404(cases_for(user), pk=case_id)  # another store's or organisation's: 404
    assert survey.current_version is not None
    definition = definition_of(survey.current_version)
    language = _language(customer)
    context.update(customer=customer, language=language)
    if request.method != "POST":
        return _page(
            request,
            context,
            definition,
            form=_form(user, customer, None, case_id),
            values={},
            errors={},
        )

    form = _form(user, customer, request.POST, case_id)
    form.is_valid()
    shown = shown_keys(definition, request.POST)
    raw = raw_answers(definition, request.POST, shown)
    clean, errors = clean_answers(definition, raw, complete=True)
    # A question the answers show that was not on the screen (no script): ask it first.
    revealed = [q.key for q in definition.visible(clean) if q.key not in shown]
    case: Case | None = form.cleaned_data.get("case")
    if case is not None and case.customer_id != customer.pk:
        form.add_error("case", _("This case is about another customer."))
    if form.errors or revealed:
        errors = {k: v for k, v in errors.items() if k not in revealed}
        return _page(
            request, context, definition, form=form, values=raw, errors=errors, revealed=revealed
        )
    try:
        result = answers.record_phone_interview(
            actor=user,
            survey=survey,
            customer=customer,
            raw=raw,
            staff=form.cleaned_data.get("staff"),
            case=case,
            language=language,
            entry_key=form.cleaned_data.get("entry_key") or None,
        )
    except DomainError as e:
        fields = e.as_fields()
        question_errors = {k: " ".join(v) for k, v in fields.items() if definition.get(k)}
        for name, texts in fields.items():
            if name not in question_errors:
                for text in texts:
                    form.add_error(name if name in form.fields else None, text)
        return _page(request, context, definition, form=form, values=raw, errors=question_errors)
    if result.loop_case is not None:
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Phone interview saved."),
                reverse("cases:detail", args=[result.loop_case.pk]),
                _("Case %(number)s was opened for the bad answer.")
                % {"number": result.loop_case.number},
            ),
        )
    else:
        messages.success(request, _("Phone interview saved."))
    return redirect(_survey_url(survey))


def _page(
    request: HttpRequest,
    context: dict[str, Any],
    definition: Definition,
    *,
    form: PhoneEntryForm,
    values: dict[str, Any],
    errors: dict[str, str],
    revealed: list[str] | None = None,
) -> HttpResponse:
    clean, _errors = clean_answers(definition, values, complete=False)
    fields = field_views(
        definition,
        values=values,
        errors=errors,
        language=context["language"],
        visible=[q.key for q in definition.visible(clean)],
        new=revealed or (),
    )
    customer = context["customer"]
    context.update(
        form=form,
        fields=fields,
        shown=shown_value(fields),
        errors=errors,
        revealed=[f for f in fields if f.new],
        change_url=f"{request.path}?{urlencode({'q': customer.name})}",
    )
    return render(request, "surveys/phone.html", context)
