"""Constructed data for the return-after-complaints tests (TARP, paradox, fairness)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from manyi.analytics.models import Transaction
from manyi.cases.models import Case, CaseSla
from manyi.surveys import services as surveys
from manyi.surveys.models import Response, Survey


def resolve(case: Any, outcome: str, when: dt.datetime, *, clock: str | None) -> None:
    """Mark `case` resolved with `outcome` at `when`; its resolution clock `clock`
    ("fulfilled", "breached") or removed (None)."""
    Case.objects.filter(pk=case.pk).update(status="resolved", outcome=outcome, resolved_at=when)
    slas = CaseSla.objects.filter(case=case, metric="resolution")
    if clock is None:
        slas.delete()
    else:
        slas.update(state=clock, fulfilled_at=when)


def transaction(store: Any, customer: Any, day: dt.date, kind: str = "service_order") -> None:
    Transaction.objects.create(
        organisation_id=store.organisation_id,
        store=store,
        customer=customer,
        occurred_on=day,
        kind=kind,
    )


def fairness_survey(admin: Any) -> Survey:
    s = surveys.create_survey(actor=admin, template_key="recovery_fairness")
    surveys.publish_survey(actor=admin, survey=s)
    s.refresh_from_db()
    return s


def answer(
    s: Survey,
    customer: Any,
    when: dt.datetime,
    answers: dict[str, Any] | None = None,
    *,
    nps: int | None = None,
    csat: int | None = None,
    store: Any = None,
) -> Response:
    return Response.objects.create(
        organisation_id=s.organisation_id,
        survey=s,
        survey_version_id=s.current_version_id,
        store_id=store.pk if store else customer.store_id,
        customer=customer,
        mode="online",
        answers=answers or {},
        nps=nps,
        csat=csat,
        started_at=when,
        updated_at=when,
        submitted_at=when,
    )


def fair(
    outcome: tuple[Any, Any], procedural: tuple[Any, Any], interactional: tuple[Any, Any]
) -> dict[str, Any]:
    """The fairness template's six items (1–7)."""
    return {
        "fair_outcome_1": outcome[0],
        "fair_outcome_2": outcome[1],
        "fair_procedural_1": procedural[0],
        "fair_procedural_2": procedural[1],
        "fair_interactional_1": interactional[0],
        "fair_interactional_2": interactional[1],
    }


def local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()
