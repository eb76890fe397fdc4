from django.contrib import admin

from manyi.core.admin_base import ReadOnlyAdmin, ReadOnlyInline
from manyi.customers.models import Asset, Customer


class AssetInline(ReadOnlyInline):
    model = Asset
    fields = ("kind", "plate", "model", "vin", "purchase_date", "mileage")
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """View-only: customer changes go through the app so the timeline records them."""

    list_display = ("name", "store", "tier", "watch_list", "updated_at")
    list_filter = ("tier", "watch_list", "store")
    search_fields = ("name", "phone")
    inlines = [AssetInline]


@admin.register(Asset)
class AssetAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "customer", "kind", "vin", "plate")
    search_fields = ("vin", "plate", "customer__name")
