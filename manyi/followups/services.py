"""Every write to follow-ups and phone messages.

A follow-up's `due_at` is the end of the business day it is scheduled for, on the store's
calendar (the first working day on or after that date)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.calendars.engine import CalendarSpec, working_day_end
from manyi.cases.models import Case
from manyi.cases.sla import ALWAYS_OPEN
from manyi.followups.choices import FollowUpState, Reason
from manyi.followups.models import FollowUp


def store_spec(store: Store) -> CalendarSpec:
    """The store's business calendar; a store without one is open every day."""
    return store.calendar.spec() if store.calendar_id and store.calendar else ALWAYS_OPEN


def due_for(store: Store, day: dt.date) -> dt.datetime:
    """The end of the first working day on or after `day` on the store's calendar."""
    return working_day_end(store_spec(store), day)


@transaction.atomic
def schedule_case_followup(
    *, case: Case, actor: User | None, now: dt.datetime | None = None
) -> FollowUp | None:
    """The follow-up call after a case is resolved: `followup_days` calendar days later (SLA
    policy, default 7; 0 = none), assigned to the case owner. One open follow-up per case."""
    now = now or timezone.now()
    days = case.sla_policy.followup_days if case.sla_policy is not None else 7
    if days <= 0:
        return None
    open_ = FollowUp.objects.filter(case=case, state=FollowUpState.OPEN).first()
    if open_ is not None:
        return open_
    store = Store.objects.select_related("calendar").get(pk=case.store_id)
    day = timezone.localtime(now).date() + dt.timedelta(days=days)
    followup = FollowUp.objects.create(
        organisation_id=case.organisation_id,
        store=store,
        customer_id=case.customer_id,
        case=case,
        reason=Reason.COMPLAINT,
        assigned_to_id=case.owner_id,
        scheduled_for=day,
        due_at=due_for(store, day),
        created_by=actor,
    )
    record_event(
        organisation_id=case.organisation_id,
        kind=EventKind.FOLLOWUP,
        actor=actor,
        case=case,
        changes={
            "followup_reason": [None, Reason.COMPLAINT],
            "scheduled_for": [None, day.isoformat()],
        },
        at=now,
    )
    return followup


def cancel_case_followups(*, case: Case, actor: User | None, now: dt.datetime) -> int:
    """A reopened case's pending follow-up calls are cancelled; resolving it again schedules a
    new one."""
    return FollowUp.objects.filter(case=case, state=FollowUpState.OPEN).update(
        state=FollowUpState.CANCELLED, completed_at=now
    )
