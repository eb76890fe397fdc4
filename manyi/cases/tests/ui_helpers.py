"""Helpers of the web UI tests: cases in a known SLA state, and a logged-in client."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from manyi.cases import services
from manyi.cases.choices import SlaState
from manyi.cases.models import Case, CaseSla
from manyi.cases.sla import refresh_next_due


def client_for(user: Any, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def open_case(
    user: Any, customer: Any, category: Any, *, summary: str = "交车延误两天", **kw: Any
) -> Case:
    return services.create_case(
        actor=user, customer=customer, channel="phone", category=category, summary=summary, **kw
    )


def make_due_in(case: Case, minutes: int) -> Case:
    """Move the case's running clocks so the nearest one falls due in `minutes` (negative:
    overdue, not yet swept)."""
    due = timezone.now() + dt.timedelta(minutes=minutes)
    CaseSla.objects.filter(case=case, state=SlaState.ACTIVE, metric="first_response").update(
        due_at=due
    )
    CaseSla.objects.filter(case=case, state=SlaState.ACTIVE).exclude(
        metric="first_response"
    ).update(due_at=due + dt.timedelta(days=2))
    refresh_next_due(case)
    return case


def make_breached(case: Case) -> Case:
    """Mark the first-response clock breached the way the sweep does."""
    now = timezone.now()
    CaseSla.objects.filter(case=case, metric="first_response").update(
        state=SlaState.BREACHED, breached_at=now, due_at=now - dt.timedelta(minutes=35)
    )
    refresh_next_due(case)
    return case
