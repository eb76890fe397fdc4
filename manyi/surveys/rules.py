"""Rules that send a survey by themselves: when a case is closed, or after a follow-up call
that reached the customer. The worker runs `run_rules` every minute (manyi.surveys.tasks)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.choices import Status
from manyi.cases.models import Case
from manyi.core.errors import DomainError, ValidationFailed
from manyi.surveys.choices import Audience, InvitationSource, RuleTrigger
from manyi.surveys.models import Invitation, Survey, SurveyRule
from manyi.surveys.services import InviteOutcome, _check_admin, invite_customer

log = logging.getLogger(__name__)


@transaction.atomic
def save_rule(
    *,
    actor: User,
    survey: Survey,
    trigger: str,
    store: Store | None = None,
    delay_hours: int = 0,
    active: bool = True,
    rule: SurveyRule | None = None,
    now: dt.datetime | None = None,
) -> SurveyRule:
    """Create or change a rule. Only events after the rule's creation count, so a new rule
    never surveys the past."""
    _check_admin(actor, survey.organisation_id)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if trigger not in RuleTrigger.values:
        errors["trigger"] = [_("Unknown trigger.")]
    if store is not None and store.organisation_id != survey.organisation_id:
        errors["store"] = [_("Unknown store.")]
    if not 0 <= delay_hours <= 24 * 30:
        errors["delay_hours"] = [_("Between 0 and 720 hours.")]
    if survey.audience != Audience.CUSTOMER:
        errors["survey"] = [_("Only customer surveys can be sent by rules.")]
    if errors:
        raise ValidationFailed(errors)
    if rule is None:
        rule = SurveyRule(organisation_id=survey.organisation_id, created_at=now, created_by=actor)
    elif rule.organisation_id != survey.organisation_id:
        raise DomainError(_("Unknown rule."), code="not_found")
    rule.survey = survey
    rule.trigger = trigger
    rule.store = store
    rule.delay_hours = delay_hours
    rule.active = active
    rule.save()
    record_event(
        organisation_id=survey.organisation_id,
        kind=EventKind.SURVEY,
        actor=actor,
        message=_("Survey rule saved: %(rule)s (%(state)s)")
        % {"rule": str(rule), "state": _("active") if active else _("inactive")},
        at=now,
    )
    return rule


def _invite(**kwargs: Any) -> InviteOutcome | None:
    """One event's invitation; a refusal by a business rule is logged and the next event goes
    on (it is tried again next minute)."""
    try:
        return invite_customer(**kwargs)
    except DomainError:
        log.exception("survey rule could not invite for %s", kwargs.get("dedupe_key"))
        return None


def _count_key(outcome: InviteOutcome | None) -> str:
    if outcome is None:
        return "failed"
    return "sent" if outcome.sent else "skipped"


RULE_LOOKBACK_DAYS = 30  # events older than this are never surveyed by a rule


def run_rules(*, now: dt.datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Invite for every closed case / reached follow-up that an active rule covers and that
    has no invitation from that rule yet. Safe to run from several workers at once: the
    dedupe key (rule, event) is unique, so each event is invited exactly once."""
    from manyi.followups.choices import ContactResult, FollowUpState
    from manyi.followups.models import FollowUp

    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0}
    rules = SurveyRule.objects.filter(
        active=True, survey__archived=False, survey__current_version__isnull=False
    ).select_related("survey", "survey__organisation", "survey__current_version")
    for rule in rules:
        ready = now - dt.timedelta(hours=rule.delay_hours)
        since = max(rule.created_at, ready - dt.timedelta(days=RULE_LOOKBACK_DAYS))
        invited = Invitation.objects.filter(rule=rule)
        if rule.trigger == RuleTrigger.CASE_CLOSED:
            cases = (
                Case.objects.filter(
                    organisation_id=rule.organisation_id,
                    status=Status.CLOSED,
                    closed_at__gt=since,
                    closed_at__lte=ready,
                )
                .exclude(Exists(invited.filter(case=OuterRef("pk"))))
                .select_related("customer", "store", "owner")
            )
            if rule.store_id:
                cases = cases.filter(store_id=rule.store_id)
            for case in cases.order_by("closed_at")[:batch]:
                outcome = _invite(
                    survey=rule.survey,
                    customer=case.customer,
                    source=InvitationSource.CASE_CLOSED,
                    actor=None,
                    case=case,
                    rule=rule,
                    dedupe_key=f"rule:{rule.pk}:case:{case.pk}",
                    now=now,
                )
                key = _count_key(outcome)
                counts[key] = counts.get(key, 0) + 1
        else:
            followups = (
                FollowUp.objects.filter(
                    organisation_id=rule.organisation_id,
                    state=FollowUpState.DONE,
                    result=ContactResult.REACHED,
                    completed_at__gt=since,
                    completed_at__lte=ready,
                )
                .exclude(Exists(invited.filter(followup=OuterRef("pk"))))
                .select_related("customer", "store", "case", "assigned_to")
            )
            if rule.store_id:
                followups = followups.filter(store_id=rule.store_id)
            for followup in followups.order_by("completed_at")[:batch]:
                outcome = _invite(
                    survey=rule.survey,
                    customer=followup.customer,
                    source=InvitationSource.FOLLOWUP_DONE,
                    actor=None,
                    store=followup.store,
                    staff=followup.case.owner if followup.case else followup.assigned_to,
                    case=followup.case,
                    followup=followup,
                    rule=rule,
                    dedupe_key=f"rule:{rule.pk}:followup:{followup.pk}",
                    now=now,
                )
                key = _count_key(outcome)
                counts[key] = counts.get(key, 0) + 1
    return counts
