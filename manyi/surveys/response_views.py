"""One survey response, as staff see it: every answer with its question, where it came from
and the case it opened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from manyi.accounts.models import User
from manyi.core.scoping import stores_for
from manyi.metrics.kano import ANSWERS as KANO_ANSWERS
from manyi.surveys.definition import Question, QuestionType, parse_definition
from manyi.surveys.models import Response


def responses_for(user: User) -> QuerySet[Response]:
    """Responses of the user's organisation in the stores the user works in."""
    if user.organisation_id is None:
        return Response.objects.none()
    return Response.objects.filter(organisation_id=user.organisation_id, store__in=stores_for(user))


@dataclass(frozen=True)
class ShownAnswer:
    question: Question
    text: str
    value: str


def kano_label(answer: str) -> str:
    from django.utils.translation import gettext as _

    labels = {
        "like": _("I like it"),
        "must_be": _("It must be that way"),
        "neutral": _("I am neutral"),
        "live_with": _("I can live with it"),
        "dislike": _("I dislike it"),
    }
    return labels.get(answer, answer)


def _display(q: Question, value: Any, language: str) -> str:
    from django.utils.translation import gettext as _

    if value is None:
        return "—"
    if value == "na":
        return _("Not applicable")
    if q.type == QuestionType.SINGLE:
        option = q.option(str(value))
        return option.label(language) if option else str(value)
    if q.type == QuestionType.MULTI:
        return "、".join((o.label(language) if (o := q.option(v)) else v) for v in value)
    if q.type == QuestionType.KANO:
        return _("present: %(f)s · absent: %(d)s") % {
            "f": kano_label(value.get("functional", "")),
            "d": kano_label(value.get("dysfunctional", "")),
        }
    if q.type == QuestionType.SERVQUAL:
        return _("expected %(e)s · perceived %(p)s") % {
            "e": value.get("expectation"),
            "p": value.get("perception"),
        }
    if q.type == QuestionType.POINTS:
        return " · ".join(f"{o.label(language)} {value.get(o.value, 0)}" for o in q.options)
    if q.type in (QuestionType.NPS, QuestionType.SCALE):
        return f"{value} / {q.points[-1]}"
    return str(value)


def shown_answers(response: Response, language: str) -> list[ShownAnswer]:
    definition = parse_definition(response.survey_version.definition)
    return [
        ShownAnswer(q, q.text(language), _display(q, response.answers.get(q.key), language))
        for q in definition.visible(response.answers)
    ]


@login_required
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    response = get_object_or_404(
        responses_for(request.user).select_related(
            "survey",
            "survey_version",
            "store",
            "customer",
            "staff",
            "case",
            "loop_case",
            "entered_by",
        ),
        pk=pk,
    )
    language = get_language() or "zh-hans"
    return render(
        request,
        "surveys/response.html",
        {
            "response": response,
            "answers": shown_answers(response, language),
            "survey_name": response.survey.name(language),
            "kano_answers": KANO_ANSWERS,
        },
    )


def case_survey_items(case: Any) -> tuple[list[Response], list[Any]]:
    """The responses about or opened from `case` and the invitations sent for it (2 queries)."""
    from manyi.surveys.models import Invitation

    responses = list(
        Response.objects.filter(Q(case=case) | Q(loop_case=case))
        .filter(organisation_id=case.organisation_id)
        .select_related("survey")
        .order_by("-started_at")[:10]
    )
    invitations = list(
        Invitation.objects.filter(organisation_id=case.organisation_id, case=case)
        .select_related("survey")
        .order_by("-created_at")[:10]
    )
    return responses, invitations
