"""Django admin for organisation admins: every queryset and every choice list is limited to
the admin's organisation (the platform superuser sees everything).

Records whose changes must go through a service (cases, customers, SLA clocks, the audit
trail) are view-only here: editing them in the admin would skip the audit trail and the SLA
bookkeeping. The settings pages and the app are where they change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

# How to get from a model to its organisation, for scoping querysets and choice lists.
ORG_PATHS: dict[str, str] = {
    "accounts.organisation": "",
    "accounts.store": "organisation",
    "accounts.team": "store__organisation",
    "accounts.user": "organisation",
    "accounts.apitoken": "user__organisation",
    "calendars.businesscalendar": "organisation",
    "customers.customer": "organisation",
    "customers.asset": "customer__organisation",
    "cases.category": "organisation",
    "cases.slapolicy": "organisation",
    "cases.slatarget": "policy__organisation",
    "cases.case": "organisation",
    "cases.casesla": "case__organisation",
    "cases.slaevent": "case__organisation",
    "audit.auditevent": "organisation",
    "notifications.notification": "organisation",
    "core.counter": "organisation",
    "core.idempotencykey": "user__organisation",
}


def _is_org_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(
        user.is_active
        and user.is_staff
        and (user.is_superuser or (user.is_org_admin and user.organisation_id is not None))
    )


def scope(qs: QuerySet[Any], request: HttpRequest) -> QuerySet[Any]:
    """Limit `qs` to the request user's organisation unless they are the superuser."""
    user: Any = request.user
    if user.is_superuser:
        return qs
    path = ORG_PATHS.get(qs.model._meta.label_lower)
    if path is None:
        return qs.none()
    if path == "":
        return qs.filter(pk=user.organisation_id)
    return qs.filter(**{f"{path}_id": user.organisation_id})


class ScopedMixin:
    """Permissions by role (organisation admins manage their organisation) and scoping."""

    # What organisation admins may do besides viewing.
    allow_add = True
    allow_change = True
    allow_delete = False

    def _own(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if obj is None or getattr(request.user, "is_superuser", False):
            return True
        return scope(type(obj)._default_manager.filter(pk=obj.pk), request).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_org_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_org_admin(request) and self._own(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_add and _is_org_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_change and _is_org_admin(request) and self._own(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_delete and _is_org_admin(request) and self._own(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope(super().get_queryset(request), request)  # type: ignore[misc]

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        remote = db_field.remote_field.model
        if isinstance(remote, type) and remote._meta.label_lower in ORG_PATHS:
            kwargs["queryset"] = scope(remote._default_manager.all(), request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedAdmin(ScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """An editable model of an organisation. The organisation is set from the admin's own
    and cannot be changed by anyone but the superuser."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not getattr(request.user, "is_superuser", False) and any(
            f.name == "organisation" for f in self.model._meta.fields
        ):
            fields.append("organisation")
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user: Any = request.user
        if not change and not user.is_superuser and hasattr(obj, "organisation_id"):
            obj.organisation_id = user.organisation_id
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(ScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """View-only for everyone, the superuser included: rows written by services only."""

    allow_add = False
    allow_change = False
    allow_delete = False


class ReadOnlyInline(ScopedMixin, admin.TabularInline):  # type: ignore[type-arg]
    allow_add = False
    allow_change = False
    allow_delete = False
    extra = 0
    show_change_link = False
