"""REST operations on surveys (满意度调查): list them, read one with the questions of its
published version, invite one customer, and enter the answers of a phone interview.

Surveys belong to the whole organisation: another organisation's survey answers 404.
Customers, cases and staff named in a body are looked up in the caller's scope (store-bound
roles: their store) and refused with their field otherwise. Writes go through
manyi.surveys.services and manyi.surveys.answers. The results are in api_results.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from manyi.accounts.models import User
from manyi.cases.models import Case
from manyi.core.api_support import (
    Input,
    Output,
    StoreRef,
    get_or_404,
    local,
    org_id,
    page,
    user_of,
)
from manyi.core.errors import DomainError, ValidationFailed
from manyi.core.scoping import cases_for, customers_for, staff_for, stores_for
from manyi.customers.models import Customer
from manyi.surveys import answers, services
from manyi.surveys.choices import (
    Audience,
    InvitationChannel,
    InvitationSource,
    InvitationState,
    ResponseMode,
    SurveyKind,
)
from manyi.surveys.definition import Question
from manyi.surveys.models import Invitation, Response, Survey

router = Router(tags=["surveys"])


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------


class VersionOut(Output):
    id: int
    number: int
    published_at: dt.datetime


class SurveyOut(Output):
    id: int
    name_zh: str
    name_en: str
    kind: SurveyKind
    audience: Audience
    template_key: str = Field(description="The shipped template it was made from, if any.")
    current_version: VersionOut | None = Field(
        description="The published version answered by new invitations; null: a draft."
    )
    draft_changed: bool = Field(description="The draft has edits not yet published.")
    archived: bool
    min_n: int = Field(description="Figures with fewer answers are shown greyed.")
    expiry_days: int = Field(description="How long an invitation link stays valid.")
    responses: int = Field(description="Submitted answers, all versions, in the caller's stores.")
    created_at: dt.datetime


class SurveyPage(Output):
    items: list[SurveyOut]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


class SurveyFilters(Schema):
    kind: SurveyKind | None = None
    audience: Audience | None = None
    archived: bool = Field(False, description="true: the archived surveys instead.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class OptionOut(Output):
    value: str
    zh: str
    en: str
    score: float | None


class ConditionOut(Output):
    key: str
    op: str = Field(description="lte, gte, eq or in.")
    value: Any


class QuestionOut(Output):
    key: str = Field(description="Answers are keyed by it.")
    type: str = Field(description="nps, scale, single, multi, text, kano, servqual or points.")
    text_zh: str
    text_en: str
    text2_zh: str = Field(description="Kano: the dysfunctional question.")
    text2_en: str
    required: bool
    scale_min: int | None = Field(description="Scales, NPS (0) and SERVQUAL.")
    scale_max: int | None
    label_low_zh: str
    label_low_en: str
    label_high_zh: str
    label_high_en: str
    allow_na: bool = Field(description='A scale that also takes "na" (not applicable).')
    total: int | None = Field(description="Points: the total to split among the options.")
    options: list[OptionOut]
    show_if: ConditionOut | None = Field(
        description="Asked only when the answer to an earlier question matches."
    )
    role: str = Field(description="What the results compute from it (nps, csat, ces, …).")
    factor: str
    weight: float | None
    dimension: str
    feature: str


class SurveyDetail(SurveyOut):
    intro_zh: str
    intro_en: str
    loop_enabled: bool = Field(description="A bad answer opens a case (close the loop).")
    loop_nps_max: int | None
    loop_csat_max: int | None
    loop_fairness: bool
    questions: list[QuestionOut] = Field(
        description="The published version's questions in order; empty for a draft."
    )


class InvitationIn(Input):
    customer_id: int
    case_id: int | None = Field(None, description="The case the survey is about, if any.")
    staff_id: int | None = Field(
        None, description="Who served the customer; default: the case's owner."
    )
    respect_quiet_period: bool = Field(
        True,
        description="false: send even if the customer was sent a survey within the "
        "organisation's quiet period (consent is always respected).",
    )


class InvitationCreated(Output):
    id: int
    survey: int
    survey_version: int
    customer: int
    case: int | None
    staff: int | None
    store: StoreRef
    source: InvitationSource
    channel: InvitationChannel = Field(description="How the link was sent.")
    state: InvitationState
    language: str
    expires_at: dt.datetime
    created_at: dt.datetime


class PhoneInterviewIn(Input):
    customer_id: int
    case_id: int | None = None
    staff_id: int | None = Field(
        None, description="Who served the customer; default: the case's owner."
    )
    answers: dict[str, Any] = Field(
        description='By question key: a number for nps and scale questions (or "na" where '
        "allowed), an option value for single, a list of values for multi, text, "
        '{"functional", "dysfunctional"} for kano, {"expectation", "perception"} for '
        "servqual, {option: points} for points."
    )


class CaseRef(Output):
    id: int
    number: str


class ResponseCreated(Output):
    id: int
    survey: int
    survey_version: int
    mode: ResponseMode
    customer: int | None
    case: int | None
    staff: int | None
    store: StoreRef
    answers: dict[str, Any]
    nps: int | None
    csat: int | None
    dissatisfied: bool = Field(description="The answer breaks the survey's loop rule.")
    submitted_at: dt.datetime
    loop_case: CaseRef | None = Field(
        description="The case opened for a bad answer (channel survey), if one was."
    )


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _surveys(user: User) -> QuerySet[Survey]:
    return Survey.objects.filter(organisation_id=org_id(user)).select_related("current_version")


def _with_counts(user: User) -> Callable[[QuerySet[Survey]], QuerySet[Survey]]:
    """The surveys with their submitted responses in the user's stores (like the web list)."""
    counted = Q(responses__submitted_at__isnull=False)
    if not user.is_org_wide:
        counted &= Q(responses__store__in=stores_for(user))

    def display(qs: QuerySet[Survey]) -> QuerySet[Survey]:
        return qs.select_related("current_version").annotate(
            submitted=Count("responses", filter=counted)
        )

    return display


def survey_out(s: Survey) -> dict[str, Any]:
    v = s.current_version
    return {
        "id": s.pk,
        "name_zh": s.name_zh,
        "name_en": s.name_en,
        "kind": s.kind,
        "audience": s.audience,
        "template_key": s.template_key,
        "current_version": None
        if v is None
        else {"id": v.pk, "number": v.number, "published_at": local(v.published_at)},
        "draft_changed": s.draft_changed,
        "archived": s.archived,
        "min_n": s.min_n,
        "expiry_days": s.expiry_days,
        "responses": getattr(s, "submitted", 0),
        "created_at": local(s.created_at),
    }


def question_out(q: Question) -> dict[str, Any]:
    scaled = q.type in ("nps", "scale", "servqual")
    return {
        "key": q.key,
        "type": q.type,
        "text_zh": q.text_zh,
        "text_en": q.text_en,
        "text2_zh": q.text2_zh,
        "text2_en": q.text2_en,
        "required": q.required,
        "scale_min": q.scale_min if scaled else None,
        "scale_max": q.scale_max if scaled else None,
        "label_low_zh": q.label_low_zh,
        "label_low_en": q.label_low_en,
        "label_high_zh": q.label_high_zh,
        "label_high_en": q.label_high_en,
        "allow_na": q.allow_na,
        "total": q.total if q.type == "points" else None,
        "options": [
            {"value": o.value, "zh": o.zh, "en": o.en, "score": o.score} for o in q.options
        ],
        "show_if": None
        if q.show_if is None
        else {"key": q.show_if.key, "op": q.show_if.op, "value": q.show_if.value},
        "role": q.role,
        "factor": q.factor,
        "weight": q.weight,
        "dimension": q.dimension,
        "feature": q.feature,
    }


def _store_ref(store: Any) -> dict[str, Any]:
    return {"id": store.pk, "code": store.code, "name": store.name}


def _references(
    user: User, customer_id: int, case_id: int | None, staff_id: int | None
) -> tuple[Customer, Case | None, User | None]:
    """The customer, case and staff member a body names, each in the caller's scope; any
    other id is refused with its field (nothing of another store or organisation is
    revealed)."""
    errors: dict[str, list[str]] = {}
    customer = customers_for(user).filter(pk=customer_id).first()
    if customer is None:
        errors["customer_id"] = [_("Unknown customer.")]
    case = None
    if case_id is not None:
        case = cases_for(user).select_related("store", "owner").filter(pk=case_id).first()
        if case is None:
            errors["case_id"] = [_("Unknown case.")]
        elif customer is not None and case.customer_id != customer.pk:
            errors["case_id"] = [_("This case is another customer's.")]
    staff = None
    if staff_id is not None:
        staff = staff_for(user).filter(pk=staff_id).first()
        if staff is None:
            errors["staff_id"] = [_("Unknown staff member.")]
    if errors:
        raise ValidationFailed(errors)
    assert customer is not None
    return customer, case, staff


# --------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------


@router.get("/surveys", response=SurveyPage, summary="List surveys")
def list_surveys(request: HttpRequest, filters: Query[SurveyFilters]) -> dict[str, Any]:
    """The organisation's surveys, newest first (archived ones with `archived=true`)."""
    user = user_of(request)
    qs = _surveys(user).filter(archived=filters.archived).order_by("-created_at", "-id")
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    if filters.audience is not None:
        qs = qs.filter(audience=filters.audience)
    rows, total, exact = page(
        qs, limit=filters.limit, offset=filters.offset, display=_with_counts(user)
    )
    return {
        "items": [survey_out(s) for s in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.get("/surveys/{survey_id}", response=SurveyDetail, summary="Read a survey")
def get_survey(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    """With the questions of the published version (what invitations and phone interviews
    answer now); a survey never published has none."""
    user = user_of(request)
    survey = get_or_404(_with_counts(user)(_surveys(user)), survey_id)
    version = survey.current_version
    questions = services.definition_of(version).questions if version is not None else ()
    return {
        **survey_out(survey),
        "intro_zh": survey.intro_zh,
        "intro_en": survey.intro_en,
        "loop_enabled": survey.loop_enabled,
        "loop_nps_max": survey.loop_nps_max,
        "loop_csat_max": survey.loop_csat_max,
        "loop_fairness": survey.loop_fairness,
        "questions": [question_out(q) for q in questions],
    }


@router.post(
    "/surveys/{survey_id}/invitations",
    response={201: InvitationCreated},
    summary="Invite one customer",
)
def invite(request: HttpRequest, survey_id: int, payload: InvitationIn) -> Status[dict[str, Any]]:
    """A new unguessable link to the published version, valid for the survey's
    `expiry_days`, sent by SMS, email or WeChat in the customer's language. Refused (422,
    code `not_sent`, the reason on `customer_id`) when the customer has not consented to be
    contacted, was sent a survey within the quiet period (unless `respect_quiet_period` is
    false) or left no phone, email or WeChat id; nothing is recorded then."""
    user = user_of(request)
    survey = get_or_404(_surveys(user).select_related("organisation"), survey_id)
    customer, case, staff = _references(
        user, payload.customer_id, payload.case_id, payload.staff_id
    )
    outcome = services.invite_customer(
        survey=survey,
        customer=customer,
        source=InvitationSource.MANUAL,
        actor=user,
        case=case,
        staff=staff,
        respect_quiet_period=payload.respect_quiet_period,
    )
    if not outcome.sent or outcome.invitation is None:
        raise DomainError(outcome.reason, field="customer_id", code="not_sent")
    i = Invitation.objects.select_related("store").get(pk=outcome.invitation.pk)
    return Status(
        201,
        {
            "id": i.pk,
            "survey": i.survey_id,
            "survey_version": i.survey_version_id,
            "customer": i.customer_id,
            "case": i.case_id,
            "staff": i.staff_id,
            "store": _store_ref(i.store),
            "source": i.source,
            "channel": i.channel,
            "state": i.state,
            "language": i.language,
            "expires_at": local(i.expires_at),
            "created_at": local(i.created_at),
        },
    )


@router.post(
    "/surveys/{survey_id}/responses",
    response={201: ResponseCreated},
    summary="Enter a phone interview",
)
def phone_interview(
    request: HttpRequest, survey_id: int, payload: PhoneInterviewIn
) -> Status[dict[str, Any]]:
    """The answers a customer gave on the phone, entered by the caller and marked as a phone
    interview (mode `phone`), against the published version. Every required question that
    is shown must be answered: errors are keyed `answers.<question key>` and nothing is
    saved. A bad answer opens a case under the survey's loop rule (`loop_case`)."""
    user = user_of(request)
    survey = get_or_404(_surveys(user), survey_id)
    customer, case, staff = _references(
        user, payload.customer_id, payload.case_id, payload.staff_id
    )
    try:
        result = answers.record_phone_interview(
            actor=user,
            survey=survey,
            customer=customer,
            raw=payload.answers,
            staff=staff,
            case=case,
        )
    except ValidationFailed as e:
        raise ValidationFailed({f"answers.{k}": v for k, v in e.fields.items()}) from e
    r = Response.objects.select_related("store", "loop_case").get(pk=result.response.pk)
    assert r.submitted_at is not None
    return Status(
        201,
        {
            "id": r.pk,
            "survey": r.survey_id,
            "survey_version": r.survey_version_id,
            "mode": r.mode,
            "customer": r.customer_id,
            "case": r.case_id,
            "staff": r.staff_id,
            "store": _store_ref(r.store),
            "answers": r.answers,
            "nps": r.nps,
            "csat": r.csat,
            "dissatisfied": r.dissatisfied,
            "submitted_at": local(r.submitted_at),
            "loop_case": None
            if r.loop_case is None
            else {"id": r.loop_case.pk, "number": r.loop_case.number},
        },
    )
