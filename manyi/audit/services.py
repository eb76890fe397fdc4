"""Writing the audit trail. Rows are only ever inserted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from manyi.audit.models import AuditEvent, EventKind

if TYPE_CHECKING:
    from manyi.accounts.models import User
    from manyi.cases.models import Case
    from manyi.customers.models import Customer


def json_value(value: Any) -> Any:
    """A JSON-safe form of a model field value for the `changes` column."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {f: json_value(getattr(instance, f)) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record_event(
    *,
    organisation_id: int,
    kind: EventKind | str,
    actor: User | None,
    case: Case | None = None,
    customer: Customer | None = None,
    message: str = "",
    changes: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event; a case event is also shown on its customer's timeline."""
    if case is not None and customer is None:
        customer_id: int | None = case.customer_id
    else:
        customer_id = customer.pk if customer is not None else None
    return AuditEvent.objects.create(
        organisation_id=organisation_id,
        case=case,
        customer_id=customer_id,
        actor=actor if actor is not None and actor.pk else None,
        kind=kind,
        message=message,
        changes=changes or {},
        at=at or timezone.now(),
    )
