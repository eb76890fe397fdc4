from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from manyi.accounts.models import ApiToken, Organisation, Store, Team, User
from manyi.core.admin_base import ScopedAdmin, ScopedMixin


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    list_display = ("name", "case_prefix", "created_at")
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # New tenants come from `manyi createorg`, which installs their defaults.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TeamInline(ScopedMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Team
    extra = 0
    allow_delete = True


@admin.register(Store)
class StoreAdmin(ScopedAdmin):
    list_display = ("code", "name", "organisation", "calendar")
    list_filter = ("organisation",)
    search_fields = ("code", "name")
    inlines = [TeamInline]


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    allow_delete = True
    list_display = ("name", "store")
    list_filter = ("store",)
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):  # type: ignore[misc,type-arg]
    list_display = ("username", "display_name", "role", "store", "is_active", "last_login")
    list_filter = ("role", "is_active", "store")
    search_fields = ("username", "display_name", "email", "mobile")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "first_name", "last_name", "email", "mobile")}),
        (
            _("Work"),
            {
                "fields": (
                    "organisation",
                    "role",
                    "store",
                    "team",
                    "supervisor",
                    "view_personal_data",
                )
            },
        ),
        (_("Access"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    superuser_fieldsets = (
        (_("Platform"), {"fields": ("is_superuser", "groups", "user_permissions")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "store"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and getattr(request.user, "is_superuser", False):
            return (*fieldsets, *self.superuser_fieldsets)
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not getattr(request.user, "is_superuser", False):
            # Only the superuser hands out Django admin access.
            fields.append("is_staff")
        return fields


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    """Tokens are issued with `manyi token`; here they can be seen and revoked."""

    allow_add = False
    allow_change = False
    allow_delete = True
    list_display = ("prefix", "user", "created_at", "last_used_at")
    search_fields = ("user__username", "prefix")
    exclude = ("digest",)
