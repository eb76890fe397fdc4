"""Settings pages for business calendars (admins only), mounted under /settings/calendars/."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from manyi.accounts import selectors
from manyi.accounts.decorators import admin_of, org_admin_required
from manyi.accounts.formtools import apply_domain_error
from manyi.calendars.engine import WEEKDAYS, official_data_years
from manyi.calendars.forms import WEEKDAY_LABELS, CalendarForm
from manyi.calendars.models import BusinessCalendar
from manyi.calendars.preview import preview
from manyi.calendars.services import create_calendar, missing_official_years, update_calendar
from manyi.core.errors import DomainError

PREVIEW_DAYS = 14


def _official_range() -> str:
    years = official_data_years()
    return f"{years.start}–{years.stop - 1}" if years else "—"


@org_admin_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    rows = [
        {
            "calendar": c,
            "missing": missing_official_years(c),
            "days": [
                (WEEKDAY_LABELS[d], [f"{a}–{b}" for a, b in (c.weekly_hours or {}).get(d) or []])
                for d in WEEKDAYS
            ],
        }
        for c in selectors.calendars_with_use(admin)
    ]
    context = {"rows": rows, "official_range": _official_range()}
    return render(request, "calendars/list.html", context)


def _page(
    request: HttpRequest, form: CalendarForm, calendar: BusinessCalendar | None
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "calendar": calendar,
        "official_range": _official_range(),
    }
    if calendar is not None:
        context["missing_years"] = missing_official_years(calendar)
        context["preview"] = preview(calendar, days=PREVIEW_DAYS)
        context["stores"] = list(calendar.stores.order_by("code"))
    return render(request, "calendars/form.html", context)


@org_admin_required
def calendar_create(request: HttpRequest) -> HttpResponse:
    admin = admin_of(request)
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = create_calendar(organisation=admin.organisation, data=form.to_data())  # type: ignore[arg-type]
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            messages.success(request, _("Calendar %(name)s created.") % {"name": calendar.name})
            return redirect("accounts:calendar_edit", pk=calendar.pk)
    return _page(request, form, None)


@org_admin_required
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = admin_of(request)
    calendar = get_object_or_404(selectors.org_calendars(admin), pk=pk)
    form = CalendarForm(request.POST or None, calendar=calendar)
    if request.method == "POST" and form.is_valid():
        try:
            update_calendar(calendar=calendar, data=form.to_data())
        except DomainError as e:
            apply_domain_error(form, e)
            calendar.refresh_from_db()
        else:
            messages.success(request, _("Calendar %(name)s saved.") % {"name": calendar.name})
            return redirect("accounts:calendar_edit", pk=calendar.pk)
    return _page(request, form, calendar)
