from django.contrib import admin

from manyi.audit.models import AuditEvent
from manyi.core.admin_base import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: nobody adds, changes or deletes rows, the superuser included."""

    list_display = ("at", "kind", "actor", "case", "customer", "message")
    list_filter = ("kind",)
    search_fields = ("message", "case__number", "customer__name")
    date_hierarchy = "at"
    list_select_related = ("actor", "case", "customer")
