"""Shared helpers of the follow-up tests: a resolved case with its follow-up call."""

from __future__ import annotations

from typing import Any

from manyi.cases import services as case_services
from manyi.followups.models import FollowUp


def resolve(case: Any, actor: Any, now: Any) -> Any:
    return case_services.change_status(
        actor=actor, case=case, status="resolved", outcome="in_favour", note="已解决", now=now
    )


def resolved_case(owner: Any, customer: Any, category: Any, *, at: Any) -> tuple[Any, FollowUp]:
    """A complaint taken and resolved at `at`; returns the case and its follow-up call."""
    case = case_services.create_case(
        actor=owner,
        customer=customer,
        channel="phone",
        category=category,
        summary="交车延误两天",
        received_at=at,
        now=at,
    )
    case = resolve(case, owner, at)
    return case, FollowUp.objects.get(case=case)
