"""Guarantee pages: the organisation's promises (everyone reads them; organisation admins
create and change them), the guarantee report with its CSV export, and the case-page panel
with its "record a staff event" form (htmx: answers with the panel, plus the recovery panel
out of band, since the payout is a new recovery action)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi.accounts.decorators import admin_of, org_admin_required
from manyi.accounts.formtools import apply_domain_error
from manyi.accounts.models import User
from manyi.cases.choices import Channel
from manyi.cases.models import Case
from manyi.core.errors import DomainError
from manyi.core.scoping import cases_for, stores_for
from manyi.recovery import guarantee_selectors as selectors
from manyi.recovery.choices import ActionState
from manyi.recovery.guarantee_forms import GuaranteeForm, ReportFilterForm, StaffEventForm
from manyi.recovery.guarantees import record_staff_event, save_guarantee
from manyi.recovery.templatetags.recovery_tags import yuan

PANEL_ID = "guarantee-panel"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- the promises ---------------------------------------------------------------------------


@login_required
@require_GET
def guarantee_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = list(selectors.guarantees_for(user).order_by("-active", "code"))
    targets = selectors.sla_targets(user.organisation_id) if user.organisation_id else {}
    labels = dict(Channel.choices)
    context = {
        "rows": [
            {
                "g": g,
                "channels": [labels.get(c, c) for c in g.channels or []],
                "targets": targets.get(g.metric, []) if g.metric else [],
            }
            for g in rows
        ],
    }
    return render(request, "recovery/guarantees.html", context)


def _save(request: HttpRequest, guarantee: Any) -> HttpResponse:
    admin = admin_of(request)
    if request.method == "POST":
        form = GuaranteeForm(request.POST)
        if form.is_valid():
            try:
                saved = save_guarantee(
                    actor=admin,
                    organisation=admin.organisation,  # type: ignore[arg-type]
                    data=form.data_for_service(),
                    guarantee=guarantee,
                )
            except DomainError as e:
                apply_domain_error(form, e)
            else:
                messages.success(request, _("Guarantee “%(name)s” saved.") % {"name": saved.name})
                return redirect("recovery:guarantees")
    elif guarantee is not None:
        form = GuaranteeForm(initial=GuaranteeForm.initial_for(guarantee))
    else:
        form = GuaranteeForm()
    targets = selectors.sla_targets(admin.organisation_id) if admin.organisation_id else {}
    return render(
        request,
        "recovery/guarantee_form.html",
        {"form": form, "guarantee": guarantee, "targets": sorted(targets.items())},
    )


@org_admin_required
def guarantee_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@org_admin_required
def guarantee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    guarantee = get_object_or_404(selectors.guarantees_for(admin_of(request)), pk=pk)
    return _save(request, guarantee)


# --- the report -----------------------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[ReportFilterForm, selectors.Report]:
    user = _user(request)
    form = ReportFilterForm(
        request.GET or None,
        stores=stores_for(user),
        guarantees=selectors.guarantees_for(user).order_by("code"),
    )
    start, end = selectors.default_period()
    store_id = guarantee_id = None
    if form.is_valid():  # a bad filter shows the default period with its error
        d = form.cleaned_data
        if d.get("start"):
            start = d["start"]
            end = max(end, start)
        if d.get("end"):
            end = d["end"]
        store_id = d["store"].pk if d.get("store") else None
        guarantee_id = d["guarantee"].pk if d.get("guarantee") else None
    report = selectors.guarantee_report(
        user, start=start, end=end, store_id=store_id, guarantee_id=guarantee_id
    )
    return form, report


@login_required
@require_GET
def guarantee_report(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    query = request.GET.urlencode()
    return render(
        request,
        "recovery/guarantee_report.html",
        {"form": form, "report": report, "query": query},
    )


@login_required
@require_GET
def guarantee_report_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt != "csv":
        return HttpResponse(status=404)
    _form, report = _report(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"guarantees-{report.start:%Y-%m}-{report.end:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Month"),
            _("Guarantee"),
            _("Store"),
            _("Times broken"),
            _("Payout (yuan)"),
            _("Waiting for approval"),
            _("Waiting for approval (yuan)"),
        ]
    )
    for r in report.rows:
        writer.writerow(
            [
                f"{r.month:%Y-%m}",
                r.guarantee,
                r.store,
                r.breaches,
                f"{r.payout:.2f}",
                r.waiting,
                f"{r.waiting_payout:.2f}",
            ]
        )
    return response


# --- the case panel -------------------------------------------------------------------------


def render_guarantee_panel(
    request: HttpRequest,
    case: Case,
    *,
    form: StaffEventForm | None = None,
    flash: tuple[str, str] | None = None,
) -> SafeString:
    """Guarantees broken on the case (name, payout, state of the payout action) and the form
    to record a staff event. Two queries: the case's breaches, the staff-event guarantees."""
    now = timezone.now()
    breaches = selectors.case_breaches(case)
    choices = selectors.staff_event_guarantees(case.organisation_id, now)
    if form is None:
        form = StaffEventForm(guarantees=choices)
    context = {
        "case": case,
        "breaches": breaches,
        "form": form,
        "can_record": bool(choices),
        "flash": flash,
        "panel_id": PANEL_ID,
    }
    return render_to_string("recovery/_guarantee_panel.html", context, request=request)


def _recovery_panel_oob(request: HttpRequest, case: Case) -> str:
    """The recovery panel, to be swapped in out of band: the payout is one of its actions."""
    try:
        from manyi.recovery.views import render_recovery_panel
    except ImportError:  # pragma: no cover - the recovery panel is not there
        return ""
    html = str(render_recovery_panel(request, case))
    marker = 'id="recovery-panel"'
    if marker not in html:
        return ""
    return html.replace(marker, marker + ' hx-swap-oob="true"', 1)


@login_required
@require_POST
def guarantee_event(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a broken staff-event guarantee on a case: pays out at once within the user's
    authority, else the payout waits for approval."""
    user = _user(request)
    case = get_object_or_404(
        cases_for(user).select_related("store", "customer", "category__parent"), pk=pk
    )
    choices = selectors.staff_event_guarantees(case.organisation_id, timezone.now())
    form = StaffEventForm(request.POST, guarantees=choices)
    flash: tuple[str, str] | None = None
    paid = False
    if form.is_valid():
        d = form.cleaned_data
        try:
            breach = record_staff_event(
                actor=user,
                case=case,
                guarantee=form.chosen(),
                amount_involved=d.get("amount_involved"),
                note=d["note"],
                event_key=d.get("event_key") or None,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            paid = True
            values = {"name": breach.guarantee.name, "payout": yuan(breach.payout)}
            level = "success"
            if breach.payout_action.state == ActionState.PENDING:
                level = "info"
                text = (
                    _(
                        "Guarantee “%(name)s” broken: the payout of %(payout)s is above your "
                        "authority and waits for approval; the customer is told once it is "
                        "approved."
                    )
                    % values
                )
            else:
                text = (
                    _("Guarantee “%(name)s” broken: %(payout)s paid out and the customer told.")
                    % values
                )
            if not request.htmx:  # type: ignore[attr-defined]
                getattr(messages, level)(request, text)
                return redirect("cases:detail", pk=pk)
            flash, form = (level, text), StaffEventForm(guarantees=choices)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect("cases:detail", pk=pk)
    html = str(render_guarantee_panel(request, case, form=form, flash=flash))
    if paid:
        html += _recovery_panel_oob(request, case)
    return HttpResponse(html)
