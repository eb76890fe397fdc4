"""Django admin of the analytics data: view-only, limited to the admin's organisation.
Transactions and store volumes are written by the imports (`manyi import transactions`,
`manyi import volumes`) and analytics.services, which check them."""

from django.contrib import admin

from manyi.analytics.models import StoreVolume, Transaction
from manyi.core.admin_base import ORG_PATHS, ReadOnlyAdmin

# Scoping of this app's organisation models (see manyi.core.admin_base.ORG_PATHS).
ORG_PATHS.setdefault("analytics.transaction", "organisation")
ORG_PATHS.setdefault("analytics.storevolume", "organisation")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("occurred_on", "customer", "store", "kind", "amount", "reference")
    # No store filter: its choice list would name every organisation's stores.
    list_filter = ("kind",)
    search_fields = ("reference", "customer__name")
    date_hierarchy = "occurred_on"
    list_select_related = ("customer", "store")
    show_full_result_count = False  # millions of rows: no second COUNT(*)


@admin.register(StoreVolume)
class StoreVolumeAdmin(ReadOnlyAdmin):
    list_display = ("month", "store", "services", "updated_at")
    date_hierarchy = "month"
    list_select_related = ("store",)
