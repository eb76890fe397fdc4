"""The communication log of a case (log an entry, fill in a reply template), and the settings
pages of reply templates and of the texts Manyi sends to customers.

Logging posts with htmx and gets back the whole case body (`cases/_case_body.html`), so the SLA
clocks and the timeline show what the entry changed; without htmx it redirects to the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi.accounts.decorators import admin_of, org_admin_required
from manyi.accounts.models import User
from manyi.cases import comm_services, selectors, services
from manyi.cases.comm_forms import CommunicationForm, MessageTemplateForm, ReplyTemplateForm
from manyi.cases.models import Case, ReplyTemplate
from manyi.cases.views import _add_errors, _case_context
from manyi.core.errors import ConflictError, DomainError
from manyi.notifications import customer as customer_messages
from manyi.notifications.models import MessageTemplate


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _org_id(request: HttpRequest) -> int:
    org_id = admin_of(request).organisation_id
    assert org_id is not None
    return org_id


def active_templates(case: Case) -> list[ReplyTemplate]:
    return list(
        ReplyTemplate.objects.filter(organisation_id=case.organisation_id, active=True).only(
            "id", "name", "medium", "organisation_id"
        )
    )


# --- the log on the case page -------------------------------------------------------------


@login_required
@require_POST
def log_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Log one call, SMS, email, WeChat message, visit or letter; a stale `version` answers
    with the conflict message and keeps what was typed."""
    user = _user(request)
    case = selectors.case_for(user, pk)
    templates = active_templates(case)
    form = CommunicationForm(request.POST, templates=templates)
    flash: tuple[str, str] | None = None
    saved = conflict = False
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.log_communication(
                actor=user,
                case=case,
                direction=d["direction"],
                medium=d["medium"],
                content=d["content"],
                at=d["at"],
                version=d["version"],
                template=form.chosen_template(),
            )
        except ConflictError as e:
            flash, conflict = ("error", e.message), True
        except DomainError as e:
            _add_errors(form, e)
        else:
            saved = True
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, _("Contact logged."))
                return redirect("cases:detail", pk=pk)
            flash = ("success", _("Contact logged."))
    case = selectors.case_for(user, pk)
    context = _case_context(request, case, message=flash)
    if conflict:
        # Keep what the user typed, but on top of the case as it is now (its new version).
        data = request.POST.copy()
        data["version"] = str(case.version)
        form = CommunicationForm(data, templates=templates)
        form.is_valid()
        context["comm_flash"] = flash
    if not saved:
        context["comm_form"] = form
    template = "cases/_case_body.html" if request.htmx else "cases/detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_GET
def fill_template(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the content textarea filled with the chosen reply template for this case, in the
    language of the page; with a medium, the medium select comes along (out of band)."""
    user = _user(request)
    case = selectors.case_for(user, pk)
    chosen = request.GET.get("template", "")
    template = None
    if chosen.isdigit():
        template = ReplyTemplate.objects.filter(
            organisation_id=case.organisation_id, pk=int(chosen), active=True
        ).first()
    if template is not None:
        language = request.GET.get("language") or translation.get_language() or "zh-hans"
        content = comm_services.render_reply(template, case, language, agent=user)
    else:
        content = request.GET.get("content", "")
    medium = template.medium if template is not None and template.medium else ""
    form = CommunicationForm(
        initial={"content": content, "medium": medium or request.GET.get("medium", "")},
        templates=[template] if template is not None else [],
    )
    medium_select = form["medium"].as_widget(attrs={"hx-swap-oob": "true"}) if medium else ""
    return render(
        request,
        "cases/_communications_fill.html",
        {"form": form, "medium_select": medium_select},
    )


# --- reply templates (settings) -----------------------------------------------------------


@org_admin_required
@require_GET
def reply_template_list(request: HttpRequest) -> HttpResponse:
    rows = ReplyTemplate.objects.filter(organisation_id=_org_id(request))
    return render(request, "cases/reply_template_list.html", {"templates": rows})


def _reply_template_form(
    request: HttpRequest, template: ReplyTemplate | None
) -> tuple[ReplyTemplateForm, bool]:
    """The bound form and whether the service saved it."""
    admin = admin_of(request)
    if request.method != "POST":
        initial = (
            {
                "name": template.name,
                "medium": template.medium,
                "body_zh": template.body_zh,
                "body_en": template.body_en,
                "active": template.active,
            }
            if template is not None
            else None
        )
        return ReplyTemplateForm(initial=initial), False
    form = ReplyTemplateForm(request.POST)
    if not form.is_valid():
        return form, False
    d = form.cleaned_data
    try:
        if template is None:
            assert admin.organisation is not None
            comm_services.create_reply_template(organisation=admin.organisation, actor=admin, **d)
        else:
            comm_services.update_reply_template(template=template, actor=admin, **d)
    except DomainError as e:
        _add_errors(form, e)
        return form, False
    return form, True


@org_admin_required
def reply_template_create(request: HttpRequest) -> HttpResponse:
    form, saved = _reply_template_form(request, None)
    if saved:
        messages.success(request, _("Reply template added."))
        return redirect("cases:reply_templates")
    return render(
        request,
        "cases/reply_template_form.html",
        {"form": form, "template": None, "placeholders": comm_services.PLACEHOLDERS},
    )


@org_admin_required
def reply_template_edit(request: HttpRequest, tpk: int) -> HttpResponse:
    template = get_object_or_404(ReplyTemplate, pk=tpk, organisation_id=_org_id(request))
    form, saved = _reply_template_form(request, template)
    if saved:
        messages.success(request, _("Reply template saved."))
        return redirect("cases:reply_templates")
    return render(
        request,
        "cases/reply_template_form.html",
        {"form": form, "template": template, "placeholders": comm_services.PLACEHOLDERS},
    )


# --- texts of the messages Manyi sends to customers (settings) ----------------------------


def _kind_or_404(key: str) -> str:
    if key not in customer_messages.DEFAULT_TEMPLATES:
        raise Http404
    return key


@org_admin_required
@require_GET
def message_template_list(request: HttpRequest) -> HttpResponse:
    overrides = {t.key: t for t in MessageTemplate.objects.filter(organisation_id=_org_id(request))}
    rows: list[dict[str, Any]] = []
    english = customer_messages.is_english(translation.get_language())
    for key, default in customer_messages.DEFAULT_TEMPLATES.items():
        own = overrides.get(key)
        if own is not None:
            subject, body = (
                (own.subject_en or own.subject_zh, own.body_en or own.body_zh)
                if english
                else (own.subject_zh, own.body_zh)
            )
        else:
            subject, body = (default[2], default[3]) if english else (default[0], default[1])
        rows.append(
            {
                "key": key,
                "label": customer_messages.KIND_LABELS.get(key, key),
                "placeholders": customer_messages.KIND_PLACEHOLDERS.get(key, ()),
                "overridden": own is not None,
                "subject": subject,
                "body": body,
            }
        )
    return render(request, "cases/reply_template_messages.html", {"rows": rows})


@org_admin_required
def message_template_edit(request: HttpRequest, key: str) -> HttpResponse:
    admin = admin_of(request)
    assert admin.organisation_id is not None
    key = _kind_or_404(key)
    own = MessageTemplate.objects.filter(organisation_id=admin.organisation_id, key=key).first()
    default = customer_messages.DEFAULT_TEMPLATES[key]
    if request.method == "POST":
        form = MessageTemplateForm(request.POST)
        if form.is_valid():
            try:
                customer_messages.save_message_template(
                    organisation_id=admin.organisation_id,
                    key=key,
                    actor=admin,
                    **form.cleaned_data,
                )
            except DomainError as e:
                _add_errors(form, e)
            else:
                messages.success(request, _("Message text saved."))
                return redirect("cases:message_templates")
    else:
        source = (
            (own.subject_zh, own.body_zh, own.subject_en, own.body_en)
            if own is not None
            else default
        )
        form = MessageTemplateForm(
            initial=dict(
                zip(("subject_zh", "body_zh", "subject_en", "body_en"), source, strict=True)
            )
        )
    context = {
        "form": form,
        "key": key,
        "label": customer_messages.KIND_LABELS.get(key, key),
        "placeholders": customer_messages.KIND_PLACEHOLDERS.get(key, ()),
        "overridden": own is not None,
        "default": default,
    }
    return render(request, "cases/reply_template_message_form.html", context)


@org_admin_required
@require_POST
def message_template_reset(request: HttpRequest, key: str) -> HttpResponse:
    admin = admin_of(request)
    assert admin.organisation_id is not None
    customer_messages.reset_message_template(
        organisation_id=admin.organisation_id, key=_kind_or_404(key), actor=admin
    )
    messages.success(request, _("The built-in text applies again."))
    return redirect("cases:message_templates")
