"""The public complaint page of a store (no login): the form, the "thank you" page with the
case number and the promised reply time, and the status look-up. Plain HTML forms that
work without JavaScript, protected by Django's CSRF middleware; the rules live in
manyi.cases.public_services.

Also the staff-only download of attachments (login required, scoped like every case read),
mounted by manyi/cases/urls.py, never under /complain/.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from manyi.accounts.models import Store, User
from manyi.cases.models import Attachment, Case
from manyi.cases.public_forms import PublicComplaintForm, StatusLookupForm
from manyi.cases.public_services import (
    SpamRefused,
    lookup_case,
    promised_first_response,
    public_categories,
    public_status,
    public_store,
    store_zone,
    submit_public_complaint,
)
from manyi.core.errors import DomainError, NotFound
from manyi.core.ratelimit import RateLimited, client_ip
from manyi.core.scoping import cases_for

# The session remembers the case just sent, so the "thank you" page can show it after the
# redirect without putting the number in the address.
SESSION_KEY = "public_case"


def _store(store_id: int) -> Store:
    try:
        return public_store(store_id)
    except NotFound as e:
        raise Http404 from e


def _max_mb() -> str:
    return f"{int(settings.MANYI_UPLOAD_MAX_BYTES) / (1024 * 1024):g}"


def _add_errors(form: Any, error: DomainError) -> None:
    for name, texts in error.as_fields().items():
        target = name if name in form.fields else None
        for message in texts:
            form.add_error(target, message)


def _refused(
    request: HttpRequest, template: str, context: dict[str, Any], error: DomainError, status: int
) -> HttpResponse:
    context["refusal"] = error.message
    response = render(request, template, context, status=status)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
def complaint_form(request: HttpRequest, store_id: int) -> HttpResponse:
    store = _store(store_id)
    categories = public_categories(store.organisation_id)
    options: dict[str, Any] = {
        "categories": categories,
        "max_files": int(settings.MANYI_UPLOAD_MAX_FILES),
        "max_mb": _max_mb(),
    }
    template = "cases/public/form.html"
    context: dict[str, Any] = {"store": store, "max_files": settings.MANYI_UPLOAD_MAX_FILES}
    if request.method != "POST":
        context["form"] = PublicComplaintForm(**options)
        return render(request, template, context)
    form = PublicComplaintForm(request.POST, request.FILES, **options)
    form.is_valid()  # only parses; the service checks
    data = form.cleaned_data
    context["form"] = form
    try:
        case = submit_public_complaint(
            store=store,
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            plate=data.get("plate", ""),
            order_number=data.get("order_number", ""),
            category=data.get("category") or None,
            description=data.get("description", ""),
            photos=data.get("photos") or [],
            language=translation.get_language() or settings.LANGUAGE_CODE,
            ip=client_ip(request),
            honeypot=data.get("website", ""),
        )
    except SpamRefused as e:
        return _refused(request, template, context, e, 400)
    except RateLimited as e:
        return _refused(request, template, context, e, 429)
    except NotFound as e:
        raise Http404 from e
    except DomainError as e:
        _add_errors(form, e)
        context["photo_reminder"] = bool(request.FILES)
        return render(request, template, context)
    request.session[SESSION_KEY] = case.pk
    return redirect("public:done", store_id=store.pk)


@require_GET
def complaint_done(request: HttpRequest, store_id: int) -> HttpResponse:
    store = _store(store_id)
    case_id = request.session.get(SESSION_KEY)
    case = (
        Case.objects.filter(pk=case_id, store=store).only("number", "store").first()
        if isinstance(case_id, int)
        else None
    )
    if case is None:
        return redirect("public:form", store_id=store.pk)
    context = {
        "store": store,
        "case": case,
        "reply_due_at": promised_first_response(case),
        "tz": str(store_zone(store)),
    }
    return render(request, "cases/public/done.html", context)


@require_http_methods(["GET", "POST"])
def case_status(request: HttpRequest, store_id: int) -> HttpResponse:
    store = _store(store_id)
    template = "cases/public/status.html"
    context: dict[str, Any] = {"store": store}
    if request.method != "POST":
        context["form"] = StatusLookupForm(initial={"number": request.GET.get("number", "")})
        return render(request, template, context)
    form = StatusLookupForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    context["form"] = form
    try:
        case = lookup_case(
            organisation_id=store.organisation_id,
            number=data.get("number", ""),
            phone=data.get("phone", ""),
            ip=client_ip(request),
        )
    except RateLimited as e:
        return _refused(request, template, context, e, 429)
    except DomainError as e:
        _add_errors(form, e)
        return render(request, template, context)
    if case is None:
        form.add_error(
            None,
            _(
                "We found no complaint with this number and phone number. Please check both "
                "and try again."
            ),
        )
        return render(request, template, context)
    context["status"] = public_status(case)
    return render(request, template, context)


# --------------------------------------------------------------------------------------
# Staff only
# --------------------------------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A case's attachment for staff who may see the case; anything else is 404. Shown inline
    (only checked JPEG/PNG/WebP are stored), `?download=1` saves it."""
    user = request.user
    assert isinstance(user, User)
    attachment = Attachment.objects.filter(pk=pk, case__in=cases_for(user)).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as e:
        raise Http404 from e
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
