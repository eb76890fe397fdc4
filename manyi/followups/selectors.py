"""Reads of follow-ups and phone messages: the workbench lists, the case panel, the call
scripts, the service omission rate (服务遗漏率) and the calls due per person.

Every list starts from the caller's scope (`followups_for`, `messages_for`): agents and
supervisors see their store, store managers and organisation admins the organisation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from manyi.accounts.choices import Role
from manyi.accounts.models import User
from manyi.cases.models import Case
from manyi.core.scoping import mask_phone
from manyi.followups.choices import FollowUpState, Reason
from manyi.followups.models import CallScript, FollowUp, FollowUpAttempt, PhoneMessage
from manyi.followups.scripts import Script, default_script

ROW_RELATED = ("customer", "case", "assigned_to", "store__calendar")


def _scoped(qs: QuerySet[FollowUp] | QuerySet[PhoneMessage], user: User) -> QuerySet:  # type: ignore[type-arg]
    if user.organisation_id is None:
        return qs.none()
    qs = qs.filter(organisation_id=user.organisation_id)
    if not user.is_org_wide:
        if user.store_id is None:
            return qs.none()
        qs = qs.filter(store_id=user.store_id)
    return qs


def followups_for(user: User) -> QuerySet[FollowUp]:
    """Follow-ups the user may see and work on."""
    return _scoped(FollowUp.objects.all(), user)


def messages_for(user: User) -> QuerySet[PhoneMessage]:
    """Phone messages the user may see."""
    return _scoped(PhoneMessage.objects.all(), user)


def sees_full_phone(viewer: User, caller_id: int | None) -> bool:
    """The one rule for the numbers on follow-ups and phone messages: the person who must call
    back (the follow-up's `assigned_to`, the message's `for_user`) sees the full number;
    everyone else sees it as their personal-data permission allows (else masked)."""
    return (caller_id is not None and viewer.pk == caller_id) or viewer.can_view_personal_data


def phone_shown(viewer: User, phone: str, *, caller_id: int | None) -> str:
    """`phone` as `viewer` may see it (see sees_full_phone)."""
    return phone if sees_full_phone(viewer, caller_id) else mask_phone(phone or "")


def sees_whole_store(user: User) -> bool:
    """Supervisors and managers may look at everyone's calls, not only their own."""
    return user.is_superuser or user.role != Role.AGENT


# --- the workbench ----------------------------------------------------------------------------


def calls_today(user: User, *, today: dt.date) -> QuerySet[FollowUp]:
    """My open calls to make today or earlier, the nearest due time first."""
    return (
        followups_for(user)
        .filter(assigned_to=user, state=FollowUpState.OPEN, scheduled_for__lte=today)
        .select_related(*ROW_RELATED)
        .order_by("due_at", "id")
    )


def overdue_calls(user: User, *, now: dt.datetime, store_wide: bool = False) -> QuerySet[FollowUp]:
    """Open calls past their due time: mine, or (supervisors, managers) everyone's in scope."""
    qs = followups_for(user).filter(state=FollowUpState.OPEN, due_at__lt=now)
    if not (store_wide and sees_whole_store(user)):
        qs = qs.filter(assigned_to=user)
    return qs.select_related(*ROW_RELATED).order_by("due_at", "id")


def open_messages(user: User, *, store_wide: bool = False) -> QuerySet[PhoneMessage]:
    """Messages not yet returned: mine, or (supervisors, managers) everyone's in scope."""
    qs = messages_for(user).filter(returned_at__isnull=True)
    if not (store_wide and sees_whole_store(user)):
        qs = qs.filter(for_user=user)
    return qs.select_related("for_user", "taken_by", "customer", "store__calendar").order_by(
        "due_at", "id"
    )


def with_last_call(qs: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    """`qs` with what came of each follow-up's latest call: `last_result`,
    `last_satisfaction`, `last_note` (None without a call), in the same query. A finished
    row shows these, not `note` (what was said when the call was scheduled)."""
    latest = FollowUpAttempt.objects.filter(followup=OuterRef("pk")).order_by("-at", "-id")
    return qs.annotate(
        last_result=Subquery(latest.values("result")[:1]),
        last_satisfaction=Subquery(latest.values("satisfaction")[:1]),
        last_note=Subquery(latest.values("note")[:1]),
    )


def case_followups(case: Case) -> list[FollowUp]:
    """The case's follow-ups, newest first, with their calls (two queries)."""
    return list(
        FollowUp.objects.filter(case_id=case.pk)
        .select_related("assigned_to")
        .prefetch_related(
            Prefetch("attempt_log", queryset=FollowUpAttempt.objects.select_related("by"))
        )
        .order_by("-created_at", "-id")
    )


# --- call scripts -----------------------------------------------------------------------------


def scripts_for(organisation_id: int | None) -> dict[str, Script]:
    """The script of every reason: the organisation's own, else the default (one query)."""
    own: dict[str, CallScript] = {}
    if organisation_id is not None:
        own = {s.reason: s for s in CallScript.objects.filter(organisation_id=organisation_id)}
    out: dict[str, Script] = {}
    for reason in Reason.values:
        row = own.get(reason)
        if row is None:
            out[reason] = default_script(reason)
        else:
            out[reason] = Script(
                reason=reason, text_zh=row.text_zh, text_en=row.text_en, custom=True
            )
    return out


# --- figures ----------------------------------------------------------------------------------


def omission_rate(
    store_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> tuple[int, int, float | None]:
    """Service omission rate (服务遗漏率) of the stores for follow-ups and phone messages DUE in
    [start, end): (missed, due, missed ÷ due), the rate None when nothing was due.

    Missed: a follow-up done after its due time, expired, flagged, or still open past its due
    time; a message returned after its due time or not returned past it. Cancelled follow-ups
    (their case was reopened) do not count."""
    now = now or timezone.now()
    stores = list(store_ids)
    followups = (
        FollowUp.objects.filter(store_id__in=stores, due_at__gte=start, due_at__lt=end)
        .exclude(state=FollowUpState.CANCELLED)
        .aggregate(
            due=Count("id"),
            missed=Count(
                "id",
                filter=Q(missed=True)
                | Q(state=FollowUpState.EXPIRED)
                | Q(state=FollowUpState.OPEN, due_at__lt=now)
                | Q(state=FollowUpState.DONE, completed_at__gt=F("due_at")),
            ),
        )
    )
    messages = PhoneMessage.objects.filter(
        store_id__in=stores, due_at__gte=start, due_at__lt=end
    ).aggregate(
        due=Count("id"),
        missed=Count(
            "id",
            filter=Q(returned_at__gt=F("due_at")) | Q(returned_at__isnull=True, due_at__lt=now),
        ),
    )
    due = int(followups["due"]) + int(messages["due"])
    missed = int(followups["missed"]) + int(messages["missed"])
    return missed, due, (missed / due if due else None)


@dataclass(frozen=True)
class PersonCalls:
    """One line of `manyi followups due`."""

    user_id: int
    name: str
    store: str
    calls: int
    overdue: int
    messages: int
    next_due: dt.datetime | None
    next_customer: str


def calls_due(organisation_id: int, day: dt.date, *, now: dt.datetime) -> list[PersonCalls]:
    """Per person of the organisation: open calls to make on `day` (or earlier), how many are
    overdue (past due now, or for another day by its start), unreturned messages, and the next
    customer to call. One query; most calls first."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    reference = now if start <= now < end else start
    todo = Q(followups__state=FollowUpState.OPEN, followups__scheduled_for__lte=day)
    first = FollowUp.objects.filter(
        assigned_to=OuterRef("pk"), state=FollowUpState.OPEN, scheduled_for__lte=day
    ).order_by("due_at", "id")
    unreturned = (
        PhoneMessage.objects.filter(
            for_user=OuterRef("pk"), returned_at__isnull=True, received_at__lt=end
        )
        .order_by()
        .values("for_user")
        .annotate(n=Count("id"))
        .values("n")
    )
    people = (
        User.objects.filter(organisation_id=organisation_id)
        .annotate(
            calls=Count("followups", filter=todo),
            overdue=Count("followups", filter=todo & Q(followups__due_at__lt=reference)),
            next_due=Min("followups__due_at", filter=todo),
            next_customer=Subquery(first.values("customer__name")[:1]),
            open_messages=Coalesce(Subquery(unreturned, output_field=IntegerField()), 0),
            store_name=F("store__name"),
        )
        .filter(Q(calls__gt=0) | Q(open_messages__gt=0))
        .order_by("-calls", "-overdue", "username")
    )
    return [
        PersonCalls(
            user_id=u.pk,
            name=str(u),
            store=u.store_name or "",
            calls=u.calls,
            overdue=u.overdue,
            messages=u.open_messages,
            next_due=u.next_due,
            next_customer=u.next_customer or "",
        )
        for u in people
    ]
