"""Staff pages to build surveys: the list, a new survey from a template, the overview with
its settings and version history, and the question editor. Everyone of the organisation reads
them; organisation admins change them. Sending is in manyi.surveys.send_views."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi.accounts.decorators import org_admin_required
from manyi.accounts.formtools import apply_domain_error
from manyi.accounts.models import User
from manyi.core.errors import DomainError, ValidationFailed
from manyi.surveys import builder_selectors as selectors
from manyi.surveys import library, services
from manyi.surveys.choices import Audience
from manyi.surveys.definition import QuestionType
from manyi.surveys.forms import (
    ERROR_FIELDS,
    TYPE_LABELS,
    AddQuestionForm,
    NewSurveyForm,
    QuestionForm,
    SurveySettingsForm,
    VersionForm,
)
from manyi.surveys.models import Survey


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _admin(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_org_admin:
        raise PermissionDenied
    return user


def _language() -> str:
    return get_language() or "zh-hans"


def _messages(error: DomainError) -> list[str]:
    return [m for ms in error.as_fields().values() for m in ms]


# --- the list and a new survey ------------------------------------------------------------


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    archived = request.GET.get("archived") == "1"
    surveys = list(selectors.survey_list(user, archived=archived))
    return render(request, "surveys/list.html", {"surveys": surveys, "archived": archived})


@org_admin_required
def survey_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = NewSurveyForm(request.POST or None, initial={"template": "nps"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        template_key = "" if d["template"] == NewSurveyForm.BLANK else d["template"]
        try:
            survey = services.create_survey(
                actor=user, template_key=template_key, name_zh=d["name_zh"], name_en=d["name_en"]
            )
        except DomainError as e:
            apply_domain_error(form, e, field_map={"template_key": "template"})
        else:
            messages.success(
                request, _("Survey “%(name)s” created.") % {"name": survey.name(_language())}
            )
            return redirect("surveys:detail", pk=survey.pk)
    return render(
        request,
        "surveys/new.html",
        {"form": form, "templates": library.templates(), "blank": NewSurveyForm.BLANK},
    )


# --- the overview ---------------------------------------------------------------------------


def _detail(
    request: HttpRequest, survey: Survey, form: SurveySettingsForm | None = None
) -> HttpResponse:
    user = _user(request)
    if form is None and user.is_org_admin:
        form = SurveySettingsForm(
            initial=SurveySettingsForm.initial_for(survey),
            categories=selectors.loop_categories(user),
        )
    context = {
        "survey": survey,
        "form": form,
        "versions": list(selectors.version_rows(user, survey)),
        "counts": selectors.invitation_counts(user, survey),
        "question_count": len((survey.draft or {}).get("questions") or []),
        "is_customer_survey": survey.audience == Audience.CUSTOMER,
        "rules": list(selectors.rules_for(user).filter(survey=survey)),
    }
    return render(request, "surveys/detail.html", context)


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = selectors.survey_for(user, pk)
    if request.method != "POST":
        return _detail(request, survey)
    _admin(request)
    form = SurveySettingsForm(request.POST, categories=selectors.loop_categories(user))
    if form.is_valid():
        try:
            services.update_survey(
                actor=user,
                survey=survey,
                version=form.cleaned_data["version"],
                **form.changes(),
            )
        except DomainError as e:
            apply_domain_error(form, e, field_map={"version": "__all__"})
        else:
            messages.success(request, _("Survey settings saved."))
            return redirect("surveys:detail", pk=survey.pk)
    return _detail(request, survey, form)


@login_required
@require_POST
def survey_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Freeze the draft as the next version; answers given so far keep their version."""
    user = _admin(request)
    survey = selectors.survey_for(user, pk)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        published = services.publish_survey(actor=user, survey=survey, version=version)
    except DomainError as e:
        for message in _messages(e):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(n)s published: invitations sent from now on use it.")
            % {"n": published.number},
        )
    back = "surveys:questions" if request.POST.get("next") == "questions" else "surveys:detail"
    return redirect(back, pk=pk)


@login_required
@require_POST
def survey_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive (hide, stop sending) or restore a survey; its answers stay."""
    user = _admin(request)
    survey = selectors.survey_for(user, pk)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    archive = request.POST.get("archived") == "1"
    try:
        services.update_survey(actor=user, survey=survey, version=version, archived=archive)
    except DomainError as e:
        for message in _messages(e):
            messages.error(request, message)
    else:
        messages.success(
            request, _("Survey archived.") if archive else _("Survey restored from the archive.")
        )
    return redirect("surveys:detail", pk=pk)


# --- the question editor --------------------------------------------------------------------


def _questions(survey: Survey) -> list[dict[str, Any]]:
    """A deep copy of the draft questions (the editor changes them before saving)."""
    return copy.deepcopy(list((survey.draft or {}).get("questions") or []))


def _index(questions: list[dict[str, Any]], key: str) -> int:
    for i, q in enumerate(questions):
        if q.get("key") == key:
            return i
    raise Http404


def _save(
    request: HttpRequest, survey: Survey, questions: list[dict[str, Any]], version: int | None
) -> DomainError | None:
    """save_draft; the error, if any, for the caller to show."""
    try:
        services.save_draft(
            actor=_user(request),
            survey=survey,
            definition={"questions": questions},
            version=version,
        )
    except DomainError as e:
        return e
    return None


def _error_lines(
    error: DomainError, questions: list[dict[str, Any]], skip: int | None
) -> list[str]:
    """Messages of a failed save as text: ``questions.<n>.<field>`` → "Question n (key): …";
    the messages about question `skip` (0-based) are left to its form."""
    lines: list[str] = []
    for name, messages_ in error.as_fields().items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "questions" and parts[1].isdigit():
            n = int(parts[1])
            if skip is not None and n == skip + 1:
                continue
            key = questions[n - 1].get("key", "") if 0 < n <= len(questions) else ""
            prefix = _("Question %(n)s (%(key)s)") % {"n": n, "key": key}
            lines.extend(f"{prefix}: {m}" for m in messages_)
        else:
            lines.extend(str(m) for m in messages_)
    return lines


def _apply_question_errors(
    form: QuestionForm, error: DomainError, questions: list[dict[str, Any]], index: int
) -> None:
    if isinstance(error, ValidationFailed):
        prefix = f"questions.{index + 1}."
        for name, messages_ in error.as_fields().items():
            if not name.startswith(prefix):
                continue
            field: str | None = name[len(prefix) :]
            field = ERROR_FIELDS.get(field or "", field)
            if field not in form.fields:
                field = None
            for m in messages_:
                form.add_error(field, m)
    for line in _error_lines(error, questions, index):
        form.add_error(None, line)


def _renamed(questions: list[dict[str, Any]], old: str, new: str) -> None:
    """Conditions of later questions follow a question's new key."""
    if old == new:
        return
    for q in questions:
        show_if = q.get("show_if")
        if isinstance(show_if, dict) and show_if.get("key") == old:
            show_if["key"] = new


def _new_key(questions: list[dict[str, Any]]) -> str:
    keys = {q.get("key") for q in questions}
    n = len(questions) + 1
    while f"q{n}" in keys:
        n += 1
    return f"q{n}"


@login_required
@require_GET
def questions(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = selectors.survey_for(user, pk)
    return render(
        request,
        "surveys/questions.html",
        {
            "survey": survey,
            "questions": _questions(survey),
            "add_form": AddQuestionForm(),
            "published": survey.current_version_id is not None,
        },
    )


def _question_page(
    request: HttpRequest,
    survey: Survey,
    form: QuestionForm,
    *,
    number: int,
    question: dict[str, Any] | None,
) -> HttpResponse:
    return render(
        request,
        "surveys/question_form.html",
        {
            "survey": survey,
            "form": form,
            "question": question,
            "number": number,
            "type_label": TYPE_LABELS[form.qtype],
            "qtype": form.qtype,
        },
    )


@login_required
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    survey = selectors.survey_for(user, pk)
    qtype = request.GET.get("type") or request.POST.get("type") or ""
    if qtype not in QuestionType.ALL:
        messages.error(request, _("Choose a question type."))
        return redirect("surveys:questions", pk=pk)
    current = _questions(survey)
    earlier = [str(q.get("key")) for q in current]
    if request.method == "POST":
        form = QuestionForm(request.POST, qtype=qtype, earlier_keys=earlier)
        if form.is_valid():
            question = form.question({"type": qtype})
            current.append(question)
            error = _save(request, survey, current, form.cleaned_data["version"])
            if error is None:
                messages.success(request, _("Question added to the draft."))
                return redirect(reverse("surveys:questions", args=[pk]) + f"#q-{question['key']}")
            _apply_question_errors(form, error, current, len(current) - 1)
    else:
        blank: dict[str, Any] = {"key": _new_key(current), "type": qtype, "required": True}
        if qtype in QuestionType.CHOICES:
            blank["options"] = [
                {"value": "1", "zh": "是", "en": "Yes"},
                {"value": "0", "zh": "否", "en": "No"},
            ]
        form = QuestionForm(
            initial=QuestionForm.initial_for(blank, survey.version),
            qtype=qtype,
            earlier_keys=earlier,
        )
    return _question_page(request, survey, form, number=len(current) + 1, question=None)


@login_required
def question_edit(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    user = _admin(request)
    survey = selectors.survey_for(user, pk)
    current = _questions(survey)
    index = _index(current, key)
    base = current[index]
    qtype = str(base.get("type"))
    if qtype not in QuestionType.ALL:  # pragma: no cover - save_draft only stores known types
        raise DomainError(_("Unknown question type."))
    earlier = [str(q.get("key")) for q in current[:index]]
    role = str(base.get("role") or "")
    if request.method == "POST":
        form = QuestionForm(request.POST, qtype=qtype, earlier_keys=earlier, current_role=role)
        if form.is_valid():
            question = form.question(base)
            current[index] = question
            _renamed(current[index + 1 :], key, question["key"])
            error = _save(request, survey, current, form.cleaned_data["version"])
            if error is None:
                messages.success(request, _("Question saved in the draft."))
                return redirect(reverse("surveys:questions", args=[pk]) + f"#q-{question['key']}")
            _apply_question_errors(form, error, current, index)
    else:
        form = QuestionForm(
            initial=QuestionForm.initial_for(base, survey.version),
            qtype=qtype,
            earlier_keys=earlier,
            current_role=role,
        )
    return _question_page(request, survey, form, number=index + 1, question=base)


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    user = _admin(request)
    survey = selectors.survey_for(user, pk)
    current = _questions(survey)
    del current[_index(current, key)]
    form = VersionForm(request.POST)
    error = _save(
        request, survey, current, form.cleaned_data["version"] if form.is_valid() else None
    )
    if error is None:
        messages.success(request, _("Question “%(key)s” removed from the draft.") % {"key": key})
    else:
        for line in _error_lines(error, current, None):
            messages.error(request, line)
    return redirect("surveys:questions", pk=pk)


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    user = _admin(request)
    survey = selectors.survey_for(user, pk)
    current = _questions(survey)
    index = _index(current, key)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(current):
        current[index], current[other] = current[other], current[index]
        form = VersionForm(request.POST)
        version = form.cleaned_data["version"] if form.is_valid() else None
        error = _save(request, survey, current, version)
        if error is not None:
            for line in _error_lines(error, current, None):
                messages.error(request, line)
    return redirect(reverse("surveys:questions", args=[pk]) + f"#q-{key}")
