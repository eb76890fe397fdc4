"""Reads behind the staff survey pages (list, detail, invitations, rules). Every query starts
from the user's organisation; counts of answers and invitations follow the user's stores."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from manyi.accounts.models import User
from manyi.cases.models import Category
from manyi.core.scoping import stores_for
from manyi.surveys.choices import Audience, InvitationChannel, InvitationSource, InvitationState
from manyi.surveys.models import Invitation, Response, Survey, SurveyRule, SurveyVersion


def surveys_for(user: User) -> QuerySet[Survey]:
    if user.organisation_id is None:
        return Survey.objects.none()
    return Survey.objects.filter(organisation_id=user.organisation_id)


def survey_for(user: User, pk: int) -> Survey:
    """The survey if it is the user's organisation's; 404 otherwise."""
    return get_object_or_404(
        surveys_for(user).select_related("current_version", "loop_category"), pk=pk
    )


def _responses_seen_by(user: User) -> QuerySet[Response]:
    """Submitted answers in the user's stores."""
    qs = Response.objects.filter(submitted_at__isnull=False)
    if not user.is_org_wide:
        qs = qs.filter(store_id=user.store_id or 0)
    return qs


def _count(qs: QuerySet[Any], by: str) -> Subquery:
    counted = qs.filter(**{by: OuterRef("pk")}).values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)  # type: ignore[return-value]  # Coalesce of a Subquery is an expression Django accepts wherever a Subquery is


def survey_list(user: User, *, archived: bool = False) -> QuerySet[Survey]:
    """The organisation's surveys with the number of submitted answers and the last one."""
    answers = _responses_seen_by(user)
    last = answers.filter(survey=OuterRef("pk")).order_by("-submitted_at").values("submitted_at")
    return (
        surveys_for(user)
        .filter(archived=archived)
        .select_related("current_version")
        .annotate(
            response_count=_count(answers, "survey"),
            last_answer=Subquery(last[:1]),
        )
        .order_by("-updated_at", "-pk")
    )


def version_rows(user: User, survey: Survey) -> QuerySet[SurveyVersion]:
    """The survey's published versions, newest first, with their submitted answers."""
    return (
        survey.versions.select_related("published_by")
        .annotate(response_count=_count(_responses_seen_by(user), "survey_version"))
        .order_by("-number")
    )


def invitation_counts(user: User, survey: Survey) -> dict[str, int]:
    """Invitations of the survey in the user's stores: sent (not skipped), completed."""
    qs = invitations_for(user, survey)
    row = qs.aggregate(
        sent=Count("pk", filter=~Q(state=InvitationState.SKIPPED)),
        completed=Count("pk", filter=Q(state=InvitationState.COMPLETED)),
    )
    return {"sent": row["sent"] or 0, "completed": row["completed"] or 0}


def invitations_for(user: User, survey: Survey) -> QuerySet[Invitation]:
    """The survey's invitations in the stores the user works in."""
    return Invitation.objects.filter(
        organisation_id=survey.organisation_id,
        survey=survey,
        store__in=stores_for(user),
    )


EXPIRED = "expired"


def invitation_list(user: User, survey: Survey, *, state: str = "") -> QuerySet[Invitation]:
    """Newest first; `state` is an InvitationState or "expired" (past its expiry and neither
    completed nor skipped)."""
    qs = invitations_for(user, survey).select_related(
        "customer", "store", "staff", "survey_version", "case"
    )
    now = timezone.now()
    open_states = [InvitationState.SENT, InvitationState.OPENED, InvitationState.PARTIAL]
    if state == EXPIRED:
        qs = qs.filter(state__in=open_states, expires_at__lt=now)
    elif state in open_states:
        qs = qs.filter(state=state, expires_at__gte=now)
    elif state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-pk")


def counter_slip_for(user: User, pk: int) -> Invitation:
    """One counter slip (a printed invitation) of the user's organisation in one of the user's
    stores; 404 otherwise: another invitation's link belongs to its customer or staff member."""
    qs = Invitation.objects.filter(
        organisation_id=user.organisation_id or 0,
        store__in=stores_for(user),
        source=InvitationSource.COUNTER,
        channel=InvitationChannel.PRINT,
    ).select_related("survey", "store")
    return get_object_or_404(qs, pk=pk)


def loop_categories(user: User) -> QuerySet[Category]:
    return (
        Category.objects.filter(organisation_id=user.organisation_id or 0, active=True)
        .select_related("parent")
        .order_by("parent__position", "parent__code", "position", "code")
    )


def sendable_surveys(user: User, *, audience: str = Audience.CUSTOMER) -> QuerySet[Survey]:
    """Published, not archived surveys for this audience."""
    return (
        surveys_for(user)
        .filter(archived=False, current_version__isnull=False, audience=audience)
        .order_by("name_zh", "pk")
    )


def rules_for(user: User) -> QuerySet[SurveyRule]:
    if user.organisation_id is None:
        return SurveyRule.objects.none()
    return (
        SurveyRule.objects.filter(organisation_id=user.organisation_id)
        .select_related("survey", "store")
        .order_by("-active", "survey__name_zh", "pk")
    )
