"""Answering a survey: through an invitation link (partial saves, one submission), from a
phone interview entered by staff, or imported; and closing the loop on a bad answer."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.choices import Channel
from manyi.cases.models import Case, Category
from manyi.core.db import lock_self
from manyi.core.errors import DomainError, ValidationFailed
from manyi.customers.models import Customer
from manyi.surveys.choices import Audience, InvitationState, ResponseMode
from manyi.surveys.definition import Definition, QuestionType, Role, clean_answers
from manyi.surveys.models import Invitation, Response, Survey
from manyi.surveys.services import definition_of

ENTRY_KEY_RE = re.compile(r"^[0-9a-f]{32}$")


class InvitationClosed(DomainError):
    """The link can no longer be answered (expired, already submitted, not sent)."""

    status_code = 410


@dataclass
class SaveResult:
    response: Response
    errors: dict[str, str] = field(default_factory=dict)
    completed: bool = False
    loop_case: Case | None = None


def scores_of(definition: Definition, answers: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(NPS answer, CSAT answer) of the questions with those roles, for the SQL columns."""
    nps = csat = None
    for q in definition.questions:
        value = answers.get(q.key)
        if q.role == Role.NPS and nps is None and isinstance(value, int):
            nps = value
        if q.role == Role.CSAT and csat is None and isinstance(value, int):
            csat = value
    return nps, csat


def loop_reasons(survey: Survey, definition: Definition, answers: Mapping[str, Any]) -> list[str]:
    """Why this answer should open a case under the survey's close-the-loop rule (empty: it
    should not). NPS ≤ loop_nps_max, CSAT ≤ loop_csat_max, or a fairness dimension whose
    mean answer is below its scale's midpoint."""
    reasons: list[str] = []
    nps, csat = scores_of(definition, answers)
    if survey.loop_nps_max is not None and nps is not None and nps <= survey.loop_nps_max:
        reasons.append(
            _("NPS %(score)s (at or below %(max)s)") % {"score": nps, "max": survey.loop_nps_max}
        )
    if survey.loop_csat_max is not None and csat is not None and csat <= survey.loop_csat_max:
        reasons.append(
            _("Satisfaction %(score)s (at or below %(max)s)")
            % {"score": csat, "max": survey.loop_csat_max}
        )
    if survey.loop_fairness:
        names = {
            Role.FAIR_OUTCOME: _("outcome fairness"),
            Role.FAIR_PROCEDURAL: _("procedural fairness"),
            Role.FAIR_INTERACTIONAL: _("interactional fairness"),
        }
        for role in Role.FAIRNESS:
            items = [
                (q, q.number(answers.get(q.key)))
                for q in definition.with_role(role)
                if q.type == QuestionType.SCALE
            ]
            values = [v for _q, v in items if v is not None]
            if not values:
                continue
            midpoint = items[0][0].midpoint
            mean = fmean(values)
            if mean < midpoint:
                reasons.append(
                    _("%(dimension)s %(mean).1f (below the midpoint %(mid)s)")
                    % {"dimension": names[role], "mean": mean, "mid": f"{midpoint:g}"}
                )
    return reasons


def _finish(response: Response, definition: Definition, now: dt.datetime) -> None:
    response.nps, response.csat = scores_of(definition, response.answers)
    response.submitted_at = now
    response.updated_at = now


# --- online ----------------------------------------------------------------------------------


def invitation_for(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("survey", "survey_version", "store", "customer")
        .filter(token=token)
        .first()
    )


def check_open(invitation: Invitation, now: dt.datetime) -> None:
    if invitation.state == InvitationState.COMPLETED:
        raise InvitationClosed(
            _("This survey has already been answered. Thank you!"), code="already_submitted"
        )
    if invitation.state == InvitationState.SKIPPED:
        raise InvitationClosed(_("This link is not valid."), code="not_sent")
    if invitation.expires_at <= now:
        raise InvitationClosed(
            _("This link expired on %(date)s.")
            % {"date": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d")},
            code="expired",
        )


def mark_opened(invitation: Invitation, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=now,
            state=InvitationState.OPENED,
        )


@transaction.atomic
def save_answers(
    *,
    invitation: Invitation,
    raw: Mapping[str, Any],
    submit: bool,
    language: str | None = None,
    now: dt.datetime | None = None,
) -> SaveResult:
    """Save what the respondent answered so far; with `submit`, finish the survey.

    Valid answers are always kept (a bad one never loses the others); the result carries one
    message per bad or missing answer. A finished survey cannot be submitted again, and an
    expired link cannot be answered (InvitationClosed). Finishing opens a case when the
    close-the-loop rule says so, exactly once per response."""
    now = now or timezone.now()
    invitation = (
        Invitation.objects.select_for_update(**lock_self())
        .select_related("survey", "survey_version", "store", "customer", "staff", "case")
        .get(pk=invitation.pk)
    )
    check_open(invitation, now)
    definition = definition_of(invitation.survey_version)
    response = Response.objects.filter(invitation=invitation).first()
    previous = dict(response.answers) if response is not None else {}
    merged = {**previous, **raw}
    clean, errors = clean_answers(definition, merged, complete=submit)
    kept = {key: previous[key] for key in errors if key in previous}
    if kept:
        # A bad new answer never loses the valid one saved before: keep that one, and still
        # say what was wrong with the new one (if the question is still shown).
        clean, still = clean_answers(definition, {**merged, **kept}, complete=submit)
        errors = {**still, **{key: errors[key] for key in kept if key in clean}}
    if response is None:
        response = Response(
            organisation_id=invitation.organisation_id,
            survey=invitation.survey,
            survey_version=invitation.survey_version,
            invitation=invitation,
            store=invitation.store,
            customer=invitation.customer,
            staff=invitation.staff,
            case=invitation.case,
            mode=ResponseMode.ONLINE,
            started_at=now,
        )
    response.language = language or invitation.language
    response.answers = clean
    response.updated_at = now
    result = SaveResult(response=response, errors=errors)
    if submit and not errors:
        _finish(response, definition, now)
        response.dissatisfied = bool(loop_reasons(invitation.survey, definition, clean))
        response.save()
        invitation.state = InvitationState.COMPLETED
        invitation.completed_at = now
        invitation.save(update_fields=["state", "completed_at"])
        result.completed = True
        result.loop_case = close_loop(response=response, now=now)
        if result.loop_case is not None:
            response.loop_case = result.loop_case
    else:
        response.save()
        if invitation.state != InvitationState.PARTIAL:
            invitation.state = InvitationState.PARTIAL
            invitation.opened_at = invitation.opened_at or now
            invitation.save(update_fields=["state", "opened_at"])
    return result


# --- staff entry -----------------------------------------------------------------------------


@transaction.atomic
def record_phone_interview(
    *,
    actor: User,
    survey: Survey,
    customer: Customer,
    raw: Mapping[str, Any],
    store: Store | None = None,
    staff: User | None = None,
    case: Case | None = None,
    language: str | None = None,
    now: dt.datetime | None = None,
    entry_key: str | None = None,
) -> SaveResult:
    """Answers a customer gave on the phone (CSS by phone), entered by `actor` and marked as
    a phone interview. Every required question must be answered; nothing is saved otherwise.

    `entry_key` (32 hex digits, rendered into the form) makes a repeated submission return
    the response saved the first time instead of saving (and opening a case) twice."""
    from manyi.core.scoping import stores_for

    now = now or timezone.now()
    if survey.organisation_id != actor.organisation_id or survey.current_version is None:
        raise DomainError(_("Unknown survey."), code="not_found")
    if survey.audience != Audience.CUSTOMER:
        raise DomainError(_("A staff survey cannot be entered from a phone interview."))
    if customer.organisation_id != actor.organisation_id:
        raise DomainError(_("Unknown customer."), field="customer", code="not_found")
    if case is not None and (
        case.organisation_id != actor.organisation_id or case.customer_id != customer.pk
    ):
        raise DomainError(_("Unknown case."), field="case", code="not_found")
    if staff is not None and staff.organisation_id != actor.organisation_id:
        raise DomainError(_("Unknown staff member."), field="staff", code="not_found")
    store = store or (case.store if case is not None else customer.store)
    if not stores_for(actor).filter(pk=store.pk).exists():
        raise DomainError(_("Unknown store."), field="store", code="not_found")
    if entry_key is not None and not ENTRY_KEY_RE.match(entry_key):
        raise ValidationFailed(
            {"__all__": [_("The form is out of date. Reload the page and try again.")]}
        )
    if entry_key and (first := _entered(survey, customer, entry_key)) is not None:
        return first
    definition = definition_of(survey.current_version)
    clean, errors = clean_answers(definition, raw, complete=True)
    if errors:
        raise ValidationFailed({key: [message] for key, message in errors.items()})
    response = Response(
        organisation_id=survey.organisation_id,
        survey=survey,
        survey_version=survey.current_version,
        store=store,
        customer=customer,
        staff=staff or (case.owner if case is not None else None),
        case=case,
        mode=ResponseMode.PHONE,
        language=language or customer.language,
        answers=clean,
        entered_by=actor,
        started_at=now,
        updated_at=now,
        entry_key=entry_key or "",
    )
    _finish(response, definition, now)
    response.dissatisfied = bool(loop_reasons(survey, definition, clean))
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # the same form sent twice at once: the first one saved
        first = _entered(survey, customer, response.entry_key)
        if first is None:
            raise
        return first
    record_event(
        organisation_id=survey.organisation_id,
        kind=EventKind.SURVEY,
        actor=actor,
        customer=customer,
        case=case,
        message=_("Phone interview entered for survey “%(name)s”") % {"name": survey.name_zh},
        at=now,
    )
    opened = close_loop(response=response, now=now)
    if opened is not None:
        response.loop_case = opened
    return SaveResult(response=response, completed=True, loop_case=opened)


def _entered(survey: Survey, customer: Customer, entry_key: str) -> SaveResult | None:
    """The phone interview saved before with this form's key, if there is one."""
    first = (
        Response.objects.select_related("loop_case")
        .filter(organisation_id=survey.organisation_id, entry_key=entry_key)
        .first()
    )
    if first is None:
        return None
    if first.survey_id != survey.pk or first.customer_id != customer.pk:
        raise ValidationFailed(
            {"__all__": [_("The form is out of date. Reload the page and try again.")]}
        )
    return SaveResult(response=first, completed=True, loop_case=first.loop_case)


# --- close the loop --------------------------------------------------------------------------


def _loop_category(survey: Survey) -> Category | None:
    if survey.loop_category_id and survey.loop_category and survey.loop_category.active:
        return survey.loop_category
    return (
        Category.objects.filter(organisation_id=survey.organisation_id, active=True)
        # Top level first on every database (PostgreSQL sorts NULL last, SQLite first).
        .order_by(F("parent_id").asc(nulls_first=True), "position", "code")
        .first()
    )


def _loop_owner(response: Response) -> User | None:
    from manyi.cases.public_services import staff_on_duty

    staff = response.staff
    if staff is not None and staff.is_active and staff.organisation_id == response.organisation_id:
        return staff
    return staff_on_duty(response.store)


def _answers_text(definition: Definition, answers: Mapping[str, Any], language: str) -> str:
    lines: list[str] = []
    for q in definition.visible(answers):
        value = answers.get(q.key)
        if value is None:
            continue
        if q.type == QuestionType.SINGLE:
            option = q.option(str(value))
            value = option.label(language) if option else value
        elif q.type == QuestionType.MULTI:
            value = "、".join((o.label(language) if (o := q.option(v)) else v) for v in value)
        lines.append(f"{q.text(language)}: {value}")
    return "\n".join(lines)


def close_loop(*, response: Response, now: dt.datetime | None = None) -> Case | None:
    """Open a case (channel survey) for a submitted answer that breaks the survey's rule,
    owned by the staff member who served the customer, linked to the response (and through
    it to the original case). At most one case per response, however often it is called."""
    now = now or timezone.now()
    survey = response.survey
    if not survey.loop_enabled or response.submitted_at is None or response.customer_id is None:
        return None
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(**lock_self())
            .select_related("survey", "survey_version", "customer", "store", "staff", "case")
            .get(pk=response.pk)
        )
        if response.loop_case_id is not None:
            return response.loop_case
        definition = definition_of(response.survey_version)
        reasons = loop_reasons(survey, definition, response.answers)
        if not reasons:
            return None
        owner = _loop_owner(response)
        category = _loop_category(survey)
        if owner is None or category is None:
            values = {"name": survey.name_zh, "reasons": "; ".join(reasons)}
            if category is None:
                why = _(
                    "A case could not be opened for the answer to survey “%(name)s” "
                    "(%(reasons)s): there is no active complaint category."
                )
            else:
                why = _(
                    "A case could not be opened for the answer to survey “%(name)s” "
                    "(%(reasons)s): no active staff member can own it."
                )
            record_event(
                organisation_id=response.organisation_id,
                kind=EventKind.SURVEY,
                actor=None,
                customer=response.customer,
                message=why % values,
                changes={"survey_response": [None, response.pk]},
                at=now,
            )
            return None
        from manyi.cases.services import create_case

        assert response.customer is not None
        with override("zh-hans"):
            summary = _("Survey “%(name)s”: %(reasons)s") % {
                "name": survey.name_zh,
                "reasons": "; ".join(reasons),
            }
            description = _answers_text(definition, response.answers, "zh-hans")
            if response.case is not None:
                description = (
                    _("Original case: %(number)s") % {"number": response.case.number}
                    + "\n\n"
                    + description
                )
        case = create_case(
            actor=owner,
            customer=response.customer,
            channel=Channel.SURVEY,
            category=category,
            summary=summary[:200],
            description=description,
            store=response.store,
            owner=owner,
            now=now,
        )
        response.loop_case = case
        response.dissatisfied = True
        response.save(update_fields=["loop_case", "dissatisfied"])
        record_event(
            organisation_id=response.organisation_id,
            kind=EventKind.SURVEY,
            actor=None,
            case=case,
            message=_("Opened from survey response #%(id)s (%(mode)s)")
            % {"id": response.pk, "mode": response.get_mode_display()},
            changes={"survey_response": [None, response.pk]},
            at=now,
        )
        return case
