"""Customer value and churn risk: the value page (the model's fit, totals, RFM segments, the
P(alive) distribution, the most valuable customers), the churn-risk list with its one-click
retention call, their exports, and the refresh button.

Read from the `CustomerValue` summary table (a snapshot of the last refresh). Supervisors and
up; agents get 403. The refresh is for store managers and organisation admins."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from manyi.accounts.formtools import is_htmx
from manyi.accounts.models import User
from manyi.analytics import churn as selectors
from manyi.analytics import exports, snapshots
from manyi.analytics.forms_value import ChurnFilterForm, ValueFilterForm
from manyi.analytics.models import CustomerValue, Transaction
from manyi.analytics.views import FORMATS, _user, analyst_required, analyst_view
from manyi.core.errors import DomainError
from manyi.core.scoping import customers_for, mask_phone

#: Below this many transactions the refresh button computes at once; above, it is queued.
SYNC_LIMIT = 50_000


def _phone(user: User, phone: str) -> str:
    return phone if user.can_view_personal_data else mask_phone(phone)


# --- the value page ---------------------------------------------------------------------------


def _value_form(request: HttpRequest) -> ValueFilterForm:
    return ValueFilterForm(request.GET or None, user=_user(request), today=timezone.localdate())


def _summary(user: User, store_ids: tuple[int, ...]) -> selectors.ValueSummary:
    """The value page's figures. The aggregates change only when the values are refreshed,
    so they are kept in the shared "analytics" cache under the fit's time (a refresh makes a
    new key); the most valuable customers — personal data — are always read live."""
    fit = selectors.fit_for(user)
    if fit is None:
        return selectors.value_summary(user, store_ids)
    key = "value-summary:" + ":".join(
        [
            str(fit.organisation_id),
            fit.computed_at.isoformat(),
            translation.get_language() or "",
            ",".join(str(pk) for pk in sorted(store_ids)),
        ]
    )
    cache = caches[snapshots.CACHE]
    cached = cache.get(key)
    if isinstance(cached, selectors.ValueSummary):
        return replace(cached, top=selectors.top_customers(user, store_ids))
    summary = selectors.value_summary(user, store_ids)
    cache.set(key, replace(summary, top=[]), SUMMARY_TTL)
    return summary


SUMMARY_TTL = 26 * 3600  # a day and a bit: the values are refreshed daily


@analyst_required
def value(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = _value_form(request)
    summary = _summary(user, form.store_ids())
    chart = {
        "buckets": [f"{i / 10:.1f}–{(i + 1) / 10:.1f}" for i in range(10)],
        "counts": summary.buckets,
        "texts": {"customers": _("Customers"), "p_alive": _("Probability alive")},
    }
    context = {
        "form": form,
        "s": summary,
        "fit": selectors.fit_for(user),
        "chart": chart,
        "can_refresh": user.is_org_wide,
        "p_alive_risk": selectors.P_ALIVE_RISK,
    }
    return render(request, "analytics/value.html", context)


def _segments_table(summary: selectors.ValueSummary) -> exports.Table:
    header = [
        _("RFM segment"),
        _("Customers"),
        _("Share (%)"),
        _("Mean expected value, next 12 months (yuan)"),
        _("Mean lifetime value, worksheet (yuan)"),
        _("Value at risk (yuan)"),
    ]
    rows = [
        [r.label, r.customers, r.share, r.mean_value, r.mean_worksheet, r.value_at_risk]
        for r in summary.segments
    ]
    return header, rows


def _customers_table(user: User, rows: list[CustomerValue], *, churn_list: bool) -> exports.Table:
    header = [_("Customer"), _("Phone"), _("Store"), _("RFM segment")]
    if churn_list:
        header.append(_("Risks"))
    header += [
        _("Probability alive"),
        _("Expected value, next 12 months (yuan)"),
        _("Value at risk (yuan)"),
        _("Lifetime value, worksheet (yuan)"),
        _("Transactions"),
        _("Last transaction"),
    ]
    out = []
    for v in rows:
        row: list[Any] = [
            v.customer.name,
            _phone(user, v.customer.phone),
            v.store.name if v.store else None,
            selectors.segment_label(v.segment),
        ]
        if churn_list:
            row.append(", ".join(str(selectors.FLAGS[f]) for f in selectors.flags_of(v)))
        row += [
            None if v.p_alive is None else round(v.p_alive, 3),
            v.expected_value_12m,
            v.value_at_risk,
            v.worksheet_value,
            v.transactions,
            v.last_on,
        ]
        out.append(row)
    return header, out


@analyst_required
def value_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS or table not in ("segments", "customers"):
        raise Http404
    user = _user(request)
    summary = _summary(user, _value_form(request).store_ids())
    if table == "segments":
        data = _segments_table(summary)
    else:
        data = _customers_table(user, summary.top, churn_list=False)
    return exports.write(fmt, f"customer-value-{table}", _("Customer value"), data)


@analyst_view(methods=("POST",), managers_only=True)
def refresh(request: HttpRequest) -> HttpResponse:
    """Recompute now when the organisation is small, else queue the refresh task."""
    from manyi.analytics.value import refresh_customer_values
    from manyi.analytics.value_tasks import refresh_values_task

    user = _user(request)
    assert user.organisation is not None and user.organisation_id is not None
    n = Transaction.objects.filter(organisation_id=user.organisation_id)[: SYNC_LIMIT + 1].count()
    if n <= SYNC_LIMIT:
        fit = refresh_customer_values(organisation=user.organisation)
        messages.success(
            request,
            _("Customer values recomputed: %(n)d customers in %(s).1f s.")
            % {"n": fit.customers, "s": fit.seconds},
        )
    else:
        refresh_values_task.enqueue(user.organisation_id)
        messages.info(
            request,
            _(
                "The refresh was queued: with this many transactions it runs in the background "
                "(about a minute). Reload the page later."
            ),
        )
    return HttpResponseRedirect(reverse("analytics:value"))


# --- the churn-risk list ----------------------------------------------------------------------


def _churn_form(request: HttpRequest) -> ChurnFilterForm:
    return ChurnFilterForm(request.GET or None, user=_user(request), today=timezone.localdate())


@analyst_required
def churn(request: HttpRequest) -> HttpResponse:
    form = _churn_form(request)
    try:
        number = min(int(request.GET.get("page", "1")), 10_000)
    except ValueError:
        number = 1
    page = selectors.churn_page(
        _user(request),
        form.store_ids(),
        flag=form.choice("flag"),
        segment=form.choice("segment"),
        now=timezone.now(),
        number=number,
    )
    context = {
        "form": form,
        "page": page,
        "fit": selectors.fit_for(_user(request)),
        "flags": selectors.FLAGS,
        "flag_help": selectors.FLAG_HELP,
        "p_alive_risk": selectors.P_ALIVE_RISK,
        "export_limit": selectors.EXPORT_LIMIT,
    }
    return render(request, "analytics/churn.html", context)


@analyst_required
def churn_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    form = _churn_form(request)
    now = timezone.now()
    ids = selectors.churn_ids(
        _user(request),
        form.store_ids(),
        flag=form.choice("flag"),
        segment=form.choice("segment"),
        now=now,
        start=0,
        stop=selectors.EXPORT_LIMIT,
    )
    rows = selectors.churn_rows(ids, now=now)
    data = _customers_table(_user(request), rows, churn_list=True)
    return exports.write(fmt, "churn-risk", _("Churn risk"), data)


@analyst_view(methods=("POST",))
def start_retention(request: HttpRequest, customer_id: int) -> HttpResponse:
    """One click on the churn-risk list: a retention call for the customer."""
    from manyi.analytics.value import start_retention_followup

    user = _user(request)
    customer = get_object_or_404(customers_for(user), pk=customer_id)
    try:
        followup = start_retention_followup(actor=user, customer=customer)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            _("Retention call to %(name)s scheduled for %(day)s, assigned to %(who)s.")
            % {
                "name": customer.name,
                "day": followup.scheduled_for.isoformat(),
                "who": str(followup.assigned_to),
            },
        )
    if is_htmx(request):
        value = CustomerValue.objects.filter(customer_id=customer.pk).values_list("pk", flat=True)
        rows = selectors.churn_rows(list(value), now=timezone.now())
        if not rows:
            return HttpResponse("")
        row = rows[0]
        return render(request, "analytics/_churn_row.html", {"v": row, "flags": selectors.FLAGS})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("analytics:churn")
    return HttpResponseRedirect(back)
