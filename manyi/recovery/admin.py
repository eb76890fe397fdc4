"""Django admin of service recovery: view-only. Recovery actions, checklist ticks and
guarantee breaches are written by services (they carry the audit trail); compensation
guides, authority limits and budgets are edited on the /recovery/ settings pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from manyi.core.admin_base import ReadOnlyAdmin
from manyi.recovery.models import (
    ChecklistTick,
    CompensationGuide,
    Guarantee,
    GuaranteeBreach,
    RecoveryAction,
)


class OrgReadOnlyAdmin(ReadOnlyAdmin):
    """View-only, limited to the admin's organisation along `org_path`."""

    org_path = "organisation"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        user: Any = request.user
        if user.is_superuser:
            return qs
        return qs.filter(**{f"{self.org_path}_id": user.organisation_id})

    def _own(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if obj is None or getattr(request.user, "is_superuser", False):
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()


@admin.register(RecoveryAction)
class RecoveryActionAdmin(OrgReadOnlyAdmin):
    list_display = ("case", "kind", "value", "state", "store", "requested_by", "requested_at")
    list_filter = ("state", "kind")
    search_fields = ("case__number", "note")
    date_hierarchy = "requested_at"
    list_select_related = ("case", "store", "requested_by")


@admin.register(ChecklistTick)
class ChecklistTickAdmin(OrgReadOnlyAdmin):
    org_path = "case__organisation"
    list_display = ("case", "principle", "by", "at")
    list_filter = ("principle",)
    search_fields = ("case__number",)
    list_select_related = ("case", "by")


@admin.register(CompensationGuide)
class CompensationGuideAdmin(OrgReadOnlyAdmin):
    list_display = ("category", "severity", "low", "high", "note")
    list_select_related = ("category__parent",)


@admin.register(Guarantee)
class GuaranteeAdmin(OrgReadOnlyAdmin):
    list_display = ("code", "name", "trigger", "payout_kind", "amount", "multiplier", "active")
    list_filter = ("trigger", "active")


@admin.register(GuaranteeBreach)
class GuaranteeBreachAdmin(OrgReadOnlyAdmin):
    list_display = ("guarantee", "store", "case", "payout", "at")
    date_hierarchy = "at"
    list_select_related = ("guarantee", "store", "case")
