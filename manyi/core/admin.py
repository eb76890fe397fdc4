from django.contrib import admin

from manyi.core.admin_base import ReadOnlyAdmin
from manyi.core.models import Counter, IdempotencyKey


@admin.register(Counter)
class CounterAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "key", "value")
    list_filter = ("key",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "path", "status_code", "created_at")
    search_fields = ("key", "path")
    date_hierarchy = "created_at"
