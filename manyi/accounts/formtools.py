"""Small helpers shared by the settings and customer forms."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.http import HttpRequest

from manyi.core.errors import DomainError


def apply_domain_error(
    form: forms.BaseForm, error: DomainError, *, field_map: Mapping[str, str] | None = None
) -> None:
    """Show a service's DomainError on the form: each message on its field when the form has
    that field, otherwise at the top of the form."""
    for field, messages in error.as_fields().items():
        target: str | None = (field_map or {}).get(field, field)
        if target not in form.fields:
            target = None
        for message in messages:
            form.add_error(target, message)


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))
