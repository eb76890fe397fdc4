from django.contrib import admin

from manyi.cases.models import Case, CaseSla, Category, SlaEvent, SlaPolicy, SlaTarget
from manyi.core.admin_base import ReadOnlyAdmin, ReadOnlyInline, ScopedAdmin


@admin.register(Category)
class CategoryAdmin(ScopedAdmin):
    list_display = ("code", "name_zh", "name_en", "parent", "active", "position")
    list_filter = ("active",)
    search_fields = ("code", "name_zh", "name_en")


class SlaTargetInline(ReadOnlyInline):
    model = SlaTarget
    fields = ("metric", "minutes", "clock")
    readonly_fields = fields


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReadOnlyAdmin):
    """View-only: policies are checked and saved on the settings page (or the API)."""

    list_display = ("name", "rank", "is_default", "active", "calendar")
    list_filter = ("active",)
    inlines = [SlaTargetInline]


class CaseSlaInline(ReadOnlyInline):
    model = CaseSla
    fields = ("metric", "state", "due_at", "business_minutes_elapsed", "calendar_minutes_elapsed")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """View-only: case changes go through the app so the timeline and SLA clocks follow."""

    list_display = ("number", "summary", "store", "status", "severity", "owner", "received_at")
    list_filter = ("status", "severity", "channel", "store")
    search_fields = ("number", "summary", "customer__name")
    date_hierarchy = "received_at"
    inlines = [CaseSlaInline]


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "metric", "kind", "at", "due_at")
    list_filter = ("kind", "metric")
    date_hierarchy = "at"
