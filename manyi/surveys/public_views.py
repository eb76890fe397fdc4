"""The public answer page of a survey invitation (no login): /s/<token>/.

A plain HTML form that works without JavaScript, protected by Django's CSRF middleware, in
the customer's language (``?lang=en`` / ``?lang=zh-hans`` switches). "Save and finish later"
keeps what was answered; "Submit" finishes. Without the page script a conditional question
appears only after the answers that show it were sent: when a submit makes a question
visible that the respondent has not seen, the page comes back asking for it instead of
finishing. The rules (validation, one submission, expiry, closing the loop) live in
manyi.surveys.answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from manyi.core import ratelimit
from manyi.surveys import answers
from manyi.surveys.choices import InvitationState
from manyi.surveys.definition import Definition, clean_answers
from manyi.surveys.models import Invitation, Response
from manyi.surveys.public_forms import field_views, raw_answers, shown_keys, shown_value
from manyi.surveys.services import definition_of

LANGUAGES = ("zh-hans", "en")
RATE_WINDOW = dt.timedelta(minutes=10)


def _rate_per_link() -> int:
    """Posts of one link in RATE_WINDOW; a person answering needs a handful."""
    return int(getattr(settings, "MANYI_SURVEY_RATE_PER_LINK", 30))


def _private(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """The link is personal: never cached, never indexed."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


def _language(request: HttpRequest, invitation: Invitation | None) -> tuple[str, bool]:
    """(language of the page, chosen with ?lang=): the invitation's unless switched."""
    chosen = request.GET.get("lang", "")
    if chosen in LANGUAGES:
        return chosen, True
    base = invitation.language if invitation is not None else settings.LANGUAGE_CODE
    return ("en" if base.startswith("en") else "zh-hans"), False


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    other = "zh-hans" if language == "en" else "en"
    context.update(
        switch_url=f"{request.path}?{urlencode({'lang': other})}",
        switch_lang="zh-CN" if other == "zh-hans" else "en",
        switch_label="中文" if other == "zh-hans" else "English",
    )
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


def _url(name: str, token: str, language: str, chosen: bool, **params: str) -> str:
    query = {**({"lang": language} if chosen else {}), **params}
    url = reverse(name, args=[token])
    return f"{url}?{urlencode(query)}" if query else url


def _closed(
    request: HttpRequest, invitation: Invitation | None, error: answers.InvitationClosed | None
) -> HttpResponse:
    language, _chosen = _language(request, invitation)
    with translation.override(language):
        message = (
            error.message if error is not None else translation.gettext("This link is not valid.")
        )
    context = {
        "invitation": invitation,
        "store_name": invitation.store.name if invitation is not None else "",
        "code": error.code if error is not None else "unknown",
        "message": message,
    }
    status = 410 if invitation is not None else 404
    return _page(request, "surveys/answer_closed.html", context, language=language, status=status)


def _saved_answers(invitation: Invitation) -> dict[str, Any]:
    response = Response.objects.filter(invitation=invitation).only("answers").first()
    return dict(response.answers) if response is not None else {}


def _form(
    request: HttpRequest,
    invitation: Invitation,
    definition: Definition,
    *,
    language: str,
    chosen: bool,
    values: dict[str, Any],
    saved: dict[str, Any],
    errors: dict[str, str] | None = None,
    revealed: list[str] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    """The questions visible given the `saved` answers, filled with `values`."""
    errors = errors or {}
    visible = [q.key for q in definition.visible(saved)]
    fields = field_views(
        definition,
        values=values,
        errors=errors,
        language=language,
        visible=visible,
        new=revealed or (),
    )
    survey = invitation.survey
    context = {
        "invitation": invitation,
        "store_name": invitation.store.name,
        "survey_name": survey.name(language),
        "intro": survey.intro(language),
        "fields": fields,
        "shown": shown_value(fields),
        "errors": errors,
        "revealed": [f for f in fields if f.key in (revealed or [])],
        "saved": request.GET.get("saved") == "1" and not errors and not revealed,
        "refusal": refusal,
        "action": _url("surveys:answer", invitation.token, language, chosen),
        "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
    }
    return _page(request, "surveys/answer.html", context, language=language, status=status)


@_private
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = answers.invitation_for(token)
    if invitation is None:
        return _closed(request, None, None)
    language, chosen = _language(request, invitation)
    # The services' messages (a closed link, a bad answer) are written in the active language:
    # make it the respondent's for the whole request, not only for rendering.
    translation.activate(language)
    now = timezone.now()
    try:
        answers.check_open(invitation, now)
    except answers.InvitationClosed as e:
        return _closed(request, invitation, e)
    definition = definition_of(invitation.survey_version)
    saved = _saved_answers(invitation)
    page: dict[str, Any] = {"language": language, "chosen": chosen}
    if request.method != "POST":
        answers.mark_opened(invitation, now=now)
        return _form(request, invitation, definition, values=saved, saved=saved, **page)

    allowed = ratelimit.hit(
        f"survey:answer:{invitation.pk}", limit=_rate_per_link(), window=RATE_WINDOW, now=now
    )
    shown = shown_keys(definition, request.POST)
    raw = raw_answers(definition, request.POST, shown)
    if not allowed:
        with translation.override(language):
            refusal = translation.gettext(
                "Too many attempts. Please wait a few minutes and try again."
            )
        response = _form(
            request,
            invitation,
            definition,
            values={**saved, **raw},
            saved=saved,
            refusal=refusal,
            status=429,
            **page,
        )
        response["Retry-After"] = str(ratelimit.seconds_left(now, RATE_WINDOW))
        return response

    submit = request.POST.get("action") != "save"
    revealed: list[str] = []
    if submit:
        # A question the answers now show, but the respondent has not seen yet (no script):
        # ask for it rather than finishing without it.
        clean, _errors = clean_answers(definition, {**saved, **raw}, complete=False)
        revealed = [q.key for q in definition.visible(clean) if q.key not in shown]
    try:
        result = answers.save_answers(
            invitation=invitation,
            raw=raw,
            submit=submit and not revealed,
            language=language,
            now=now,
        )
    except answers.InvitationClosed as e:
        return _closed(request, invitation, e)
    if result.completed:
        return redirect(_url("surveys:answer_done", token, language, chosen))
    if not result.errors and not revealed:
        return redirect(_url("surveys:answer", token, language, chosen, saved="1"))
    saved = dict(result.response.answers)
    bad = {key: raw[key] for key in result.errors if key in raw}
    return _form(
        request,
        invitation,
        definition,
        values={**saved, **bad},
        saved=saved,
        errors=result.errors,
        revealed=revealed,
        **page,
    )


@_private
@require_GET
def answer_done(request: HttpRequest, token: str) -> HttpResponse:
    """The thank-you page after the submission (the answer page itself is closed now)."""
    invitation = answers.invitation_for(token)
    if invitation is None:
        return _closed(request, None, None)
    language, chosen = _language(request, invitation)
    if invitation.state != InvitationState.COMPLETED:
        return redirect(_url("surveys:answer", token, language, chosen))
    response = Response.objects.filter(invitation=invitation).only("loop_case_id").first()
    context = {
        "invitation": invitation,
        "store_name": invitation.store.name,
        "survey_name": invitation.survey.name(language),
        "contact": response is not None and response.loop_case_id is not None,
    }
    return _page(request, "surveys/answer_done.html", context, language=language)
