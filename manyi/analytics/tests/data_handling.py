"""Cases built through the case services (so their SLA clocks are real) for the SLA and
handling page tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from manyi.cases import services
from manyi.cases.models import Case


def received(owner: Any, customer: Any, category: Any, when: dt.datetime, **kw: Any) -> Case:
    return services.create_case(
        actor=owner,
        customer=customer,
        channel=kw.pop("channel", "phone"),
        category=category,
        summary="等候太久",
        received_at=when,
        now=when,
        **kw,
    )


def respond(case: Case, by: Any, when: dt.datetime) -> Case:
    return services.respond_to_case(actor=by, case=case, message="已回电", now=when)


def inbound(case: Case, when: dt.datetime) -> None:
    """The customer calls about the case."""
    services.log_communication(
        actor=None, case=case, direction="inbound", medium="call", content="客户来电催促", now=when
    )


def status(case: Case, by: Any, new: str, when: dt.datetime) -> Case:
    case.refresh_from_db()
    extra = {"outcome": "in_favour"} if new == "resolved" else {}
    return services.change_status(actor=by, case=case, status=new, now=when, **extra)


def reopen(case: Case, by: Any, when: dt.datetime) -> Case:
    case.refresh_from_db()
    return services.reopen_case(actor=by, case=case, reason="客户不满意", now=when)


def escalate(case: Case, by: Any, when: dt.datetime) -> Case:
    case.refresh_from_db()
    return services.escalate_case(actor=by, case=case, reason="客户情绪激动", now=when)
