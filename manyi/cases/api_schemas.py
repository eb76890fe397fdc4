"""Request and response schemas of the case operations, and the functions that turn cases
into response dicts (times in the store's time zone, personal data masked by role)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from ninja import Field, Schema

from manyi.accounts.models import User
from manyi.audit.models import AuditEvent
from manyi.cases.choices import (
    Channel,
    ComplainerType,
    Nature,
    Outcome,
    RootCause,
    Severity,
    Status,
)
from manyi.cases.models import Case, CaseSla, Category
from manyi.cases.sla import live_clocks
from manyi.core.api_support import Input, Output, StoreRef, UserRef, local
from manyi.core.scoping import mask_email, mask_id_number, mask_phone

# --------------------------------------------------------------------------------------
# Shared references
# --------------------------------------------------------------------------------------


class CategoryRef(Output):
    id: int
    code: str
    name: str
    parent: int | None


class CustomerRef(Output):
    id: int
    name: str
    phone: str = Field(description="Masked (138****5678) unless you may view personal data.")


class AssetRef(Output):
    id: int
    kind: str
    vin: str
    plate: str
    model: str


class PolicyRef(Output):
    id: int
    name: str


def user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def category_ref(category: Category) -> dict[str, Any]:
    return {
        "id": category.pk,
        "code": category.code,
        "name": category.name(),
        "parent": category.parent_id,
    }


def phone_for(viewer: User, phone: str) -> str:
    return phone if viewer.can_view_personal_data else mask_phone(phone)


PERSONAL_KEYS = {"phone": mask_phone, "id_number": mask_id_number, "email": mask_email}


def masked_changes(viewer: User, changes: dict[str, Any]) -> dict[str, Any]:
    """An audit event's {field: [before, after]} with personal data masked for the viewer."""
    if viewer.can_view_personal_data or not (PERSONAL_KEYS.keys() & changes.keys()):
        return changes
    out = dict(changes)
    for key, mask in PERSONAL_KEYS.items():
        pair = out.get(key)
        if isinstance(pair, list):
            out[key] = [mask(v) if isinstance(v, str) else v for v in pair]
    return out


# --------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------


class CaseCreate(Input):
    customer: int = Field(description="Customer id.")
    category: int | str = Field(description="Category id or code.", examples=["wait_delivery"])
    channel: Channel
    summary: str = Field(max_length=200, examples=["交车延误两天"])
    severity: Severity = Severity.NORMAL
    nature: Nature = Nature.PROBLEM_SOLVING
    complainer_type: ComplainerType = ComplainerType.VOICER
    threatens_media: bool = False
    threatens_regulator: bool = False
    threatens_lawyer: bool = False
    repeat_complaint: bool = False
    description: str = ""
    received_at: dt.datetime | None = Field(
        None,
        description="When the complaint was received, with its offset; default now. "
        "May be earlier (a complaint taken on paper), not later.",
        examples=["2026-03-09T09:30:00+08:00"],
    )
    asset: int | None = Field(None, description="Id of one of the customer's assets.")
    store: int | None = Field(None, description="Store id; default the customer's store.")
    owner: int | None = Field(None, description="Staff id; default the caller.")


class CaseUpdate(Input):
    """Send `version` (from the last read) and only the fields to change."""

    version: int = Field(description="The case version you read; a stale one answers 409.")
    channel: Channel | None = None
    category: int | str | None = Field(None, description="Category id or code.")
    severity: Severity | None = None
    nature: Nature | None = None
    complainer_type: ComplainerType | None = None
    threatens_media: bool | None = None
    threatens_regulator: bool | None = None
    threatens_lawyer: bool | None = None
    repeat_complaint: bool | None = None
    summary: str | None = Field(None, max_length=200)
    description: str | None = None
    asset: int | None = Field(None, description="Asset id; null removes the asset.")


class RespondIn(Input):
    message: str = Field(description="What the customer was told.")
    channel: Channel = Channel.PHONE
    version: int | None = None


class StatusIn(Input):
    """Resolving needs `outcome`; closing needs `root_cause`, `root_cause_note` and
    `corrective_action` (each may have been given earlier, e.g. at resolution)."""

    status: Status
    note: str = Field("", description="Required when reopening a resolved or closed case.")
    version: int | None = None
    outcome: Outcome | None = Field(
        None, description="How the complaint ended; required when resolving."
    )
    root_cause: RootCause | None = Field(
        None, description="Where the failure came from; required when closing."
    )
    root_cause_note: str = Field(
        "", max_length=5000, description="What went wrong; required when closing."
    )
    corrective_action: str = Field(
        "",
        max_length=5000,
        description="What will be done so that it does not happen again; required when closing.",
    )


class AssignIn(Input):
    owner: int = Field(description="Staff id of the new owner.")
    note: str = ""
    version: int | None = None


class EscalateIn(Input):
    reason: str
    version: int | None = None


class CommentIn(Input):
    text: str = Field(description="An internal note; the customer does not see it.")


class CaseFilters(Schema):
    status: list[Status] | None = Field(None, description="Repeat for several statuses.")
    open: bool | None = Field(
        None, description="true: open cases only; false: resolved and closed ones."
    )
    store: int | None = None
    owner: int | None = None
    severity: list[Severity] | None = None
    channel: list[Channel] | None = None
    category: str | None = Field(
        None, description="Category id or code; a top-level category includes its children."
    )
    breached: bool | None = Field(None, description="Cases with (true) or without a breach.")
    q: str | None = Field(
        None,
        max_length=100,
        description="Case number, words of the summary or the customer's name, or the "
        "customer's full phone number.",
    )
    received_from: dt.datetime | None = Field(
        None, description="Inclusive. Without an offset: Asia/Shanghai time."
    )
    received_to: dt.datetime | None = Field(None, description="Exclusive.")
    ordering: Literal["-received_at", "received_at", "next_due_at"] = "-received_at"
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


# --------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------


class SlaOut(Output):
    metric: str
    due_at: dt.datetime | None
    state: str
    business_minutes_elapsed: int
    calendar_minutes_elapsed: int
    target_minutes: int
    clock: str
    warned: bool


class CaseItem(Output):
    id: int
    number: str
    status: Status
    severity: Severity
    channel: Channel
    summary: str
    received_at: dt.datetime
    next_due_at: dt.datetime | None = Field(description="Earliest due time of running clocks.")
    breached: bool = Field(description="At least one SLA clock of the case is breached.")
    escalation_level: int
    store: StoreRef
    category: CategoryRef
    owner: UserRef
    customer: CustomerRef
    version: int


class CasePage(Output):
    items: list[CaseItem]
    total: int
    total_is_exact: bool = Field(description="false: more than `total` cases match.")
    limit: int
    offset: int


class CaseDetail(CaseItem):
    nature: Nature
    complainer_type: ComplainerType
    threatens_media: bool
    threatens_regulator: bool
    threatens_lawyer: bool
    repeat_complaint: bool
    description: str
    asset: AssetRef | None
    sla_policy: PolicyRef | None
    first_responded_at: dt.datetime | None
    last_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: Outcome | None = Field(description="How the complaint ended (set when resolved).")
    root_cause: RootCause | None = Field(description="Where the failure came from.")
    root_cause_note: str
    corrective_action: str
    created_at: dt.datetime
    updated_at: dt.datetime
    sla: list[SlaOut]


class EventOut(Output):
    id: int
    kind: str
    message: str
    changes: dict[str, Any]
    actor: UserRef | None
    at: dt.datetime


class EventPage(Output):
    items: list[EventOut]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


def _tz(case: Case) -> str | None:
    tz = getattr(case, "store_tz", None)
    if tz is None and case.store.calendar_id is not None and case.store.calendar is not None:
        tz = case.store.calendar.timezone
    return tz


def case_item(case: Case, viewer: User, *, breached: bool) -> dict[str, Any]:
    tz = _tz(case)
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "severity": case.severity,
        "channel": case.channel,
        "summary": case.summary,
        "received_at": local(case.received_at, tz),
        "next_due_at": local(case.next_due_at, tz),
        "breached": breached,
        "escalation_level": case.escalation_level,
        "store": {"id": case.store.pk, "code": case.store.code, "name": case.store.name},
        "category": category_ref(case.category),
        "owner": user_ref(case.owner),
        "customer": {
            "id": case.customer.pk,
            "name": case.customer.name,
            "phone": phone_for(viewer, case.customer.phone),
        },
        "version": case.version,
    }


def case_detail(
    case: Case, clocks: Iterable[CaseSla], viewer: User, *, now: dt.datetime
) -> dict[str, Any]:
    """Everything about a case; `clocks` are its CaseSla rows (prefetched by the caller)."""
    tz = _tz(case)
    clocks = list(clocks)
    sla = [
        {
            "metric": c.metric,
            "due_at": local(c.due_at, tz),
            "state": c.state,
            "business_minutes_elapsed": c.business_minutes_elapsed,
            "calendar_minutes_elapsed": c.calendar_minutes_elapsed,
            "target_minutes": c.target_minutes,
            "clock": c.clock,
            "warned": c.warned,
        }
        for c in live_clocks(case, clocks, now=now)
    ]
    asset = case.asset
    out = case_item(case, viewer, breached=any(c["state"] == "breached" for c in sla))
    out.update(
        {
            "nature": case.nature,
            "complainer_type": case.complainer_type,
            "threatens_media": case.threatens_media,
            "threatens_regulator": case.threatens_regulator,
            "threatens_lawyer": case.threatens_lawyer,
            "repeat_complaint": case.repeat_complaint,
            "description": case.description,
            "asset": (
                {
                    "id": asset.pk,
                    "kind": asset.kind,
                    "vin": asset.vin,
                    "plate": asset.plate,
                    "model": asset.model,
                }
                if asset is not None
                else None
            ),
            "sla_policy": (
                {"id": case.sla_policy.pk, "name": case.sla_policy.name}
                if case.sla_policy is not None
                else None
            ),
            "first_responded_at": local(case.first_responded_at, tz),
            "last_responded_at": local(case.last_responded_at, tz),
            "resolved_at": local(case.resolved_at, tz),
            "closed_at": local(case.closed_at, tz),
            "outcome": case.outcome or None,
            "root_cause": case.root_cause or None,
            "root_cause_note": case.root_cause_note,
            "corrective_action": case.corrective_action,
            "created_at": local(case.created_at, tz),
            "updated_at": local(case.updated_at, tz),
            "sla": sla,
        }
    )
    return out


def event_out(event: AuditEvent, viewer: User, tz: str | None) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "message": event.message,
        "changes": masked_changes(viewer, event.changes or {}),
        "actor": user_ref(event.actor),
        "at": local(event.at, tz),
    }
