"""Small constructed data for the analytics page tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from manyi.analytics.models import StoreVolume, Transaction
from manyi.cases.services import create_case
from manyi.followups.models import FollowUp, PhoneMessage
from manyi.surveys import services as surveys
from manyi.surveys.models import Response, Survey


def complaint(owner: Any, customer: Any, category: Any, when: dt.datetime, **kw: Any) -> Any:
    return create_case(
        actor=owner,
        customer=customer,
        channel=kw.pop("channel", "phone"),
        category=category,
        summary="等候太久",
        received_at=when,
        now=when,
        **kw,
    )


def volume(store: Any, month: dt.date, services: int) -> StoreVolume:
    return StoreVolume.objects.create(
        organisation_id=store.organisation_id, store=store, month=month, services=services
    )


def transactions(store: Any, customer: Any, day: dt.date, n: int, kind: str) -> None:
    Transaction.objects.bulk_create(
        Transaction(
            organisation_id=store.organisation_id,
            store=store,
            customer=customer,
            occurred_on=day,
            kind=kind,
        )
        for _ in range(n)
    )


def followup(customer: Any, user: Any, due: dt.datetime, state: str, **kw: Any) -> FollowUp:
    return FollowUp.objects.create(
        organisation_id=customer.organisation_id,
        store_id=kw.pop("store_id", customer.store_id),
        customer=customer,
        reason="complaint",
        assigned_to=user,
        scheduled_for=due.date(),
        due_at=due,
        state=state,
        **kw,
    )


def message(store: Any, user: Any, due: dt.datetime, returned: dt.datetime | None) -> PhoneMessage:
    return PhoneMessage.objects.create(
        organisation_id=store.organisation_id,
        store=store,
        caller_name="王先生",
        caller_phone="13811112222",
        reason="请回电",
        received_at=due - dt.timedelta(hours=4),
        for_user=user,
        due_at=due,
        returned_at=returned,
    )


def survey(admin: Any) -> Survey:
    s = surveys.create_survey(actor=admin, name_zh="满意度", name_en="Satisfaction")
    nps = {"key": "nps", "type": "nps", "text_zh": "推荐吗？", "role": "nps"}
    surveys.save_draft(actor=admin, survey=s, definition={"questions": [nps]})
    surveys.publish_survey(actor=admin, survey=s)
    s.refresh_from_db()
    return s


def answer(
    s: Survey, store: Any, when: dt.datetime, *, dissatisfied: bool, staff: Any = None
) -> Response:
    return Response.objects.create(
        organisation_id=s.organisation_id,
        survey=s,
        survey_version_id=s.current_version_id,
        store=store,
        staff=staff,
        mode="online",
        answers={"nps": 3 if dissatisfied else 9},
        nps=3 if dissatisfied else 9,
        dissatisfied=dissatisfied,
        started_at=when,
        updated_at=when,
        submitted_at=when,
    )
