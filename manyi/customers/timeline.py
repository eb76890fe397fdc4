"""The customer's timeline: audit events described by manyi.audit.presenters, with personal
data masked for readers who may not see it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from manyi.accounts.models import User
from manyi.audit.models import AuditEvent
from manyi.audit.presenters import EventView, describe_all
from manyi.core.scoping import mask_id_number, mask_phone

_MASKERS = {"phone": mask_phone, "id_number": mask_id_number}


def _masked(value: Any, name: str) -> Any:
    if isinstance(value, str) and value:
        return _MASKERS[name](value)
    return value


def timeline_entries(
    events: Iterable[AuditEvent], *, user: User
) -> list[tuple[AuditEvent, EventView]]:
    """(event, how to show it) pairs, newest first as given. The events are not saved: the
    masking only changes what this reader sees."""
    events = list(events)
    if not user.can_view_personal_data:
        for event in events:
            changes = event.changes or {}
            for name in _MASKERS.keys() & changes.keys():
                pair = changes[name]
                if isinstance(pair, list):
                    changes[name] = [_masked(v, name) for v in pair]
    return list(zip(events, describe_all(events), strict=True))
