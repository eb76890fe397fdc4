from django.contrib import admin

from manyi.core.admin_base import ReadOnlyAdmin
from manyi.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "subject", "state", "attempts", "read_at")
    list_filter = ("state", "kind")
    search_fields = ("subject", "recipient__username")
    date_hierarchy = "created_at"
