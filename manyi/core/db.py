"""Small database helpers that differ between PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from django.db import connection


def lock_self(*, skip_locked: bool = False, related: tuple[str, ...] = ()) -> dict[str, Any]:
    """Arguments for `select_for_update()` that lock only the model's own row (and `related`),
    so nullable `select_related` joins are allowed on PostgreSQL. SQLite has no row locks: its
    IMMEDIATE transactions serialise writers instead, and the arguments are ignored there."""
    kwargs: dict[str, Any] = {"skip_locked": skip_locked}
    if connection.features.has_select_for_update_of:
        kwargs["of"] = ("self", *related)
    return kwargs
