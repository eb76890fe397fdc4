from typing import Any

from django import forms
from django.contrib import admin

from manyi.calendars.engine import validate_calendar_dict
from manyi.calendars.models import BusinessCalendar
from manyi.core.admin_base import ScopedAdmin


class BusinessCalendarAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BusinessCalendar
        fields = (
            "organisation",
            "name",
            "timezone",
            "weekly_hours",
            "holidays",
            "extra_workdays",
            "extra_workday_hours",
            "official_cn_holidays",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        data: dict[str, Any] = {
            k: cleaned.get(k)
            for k in (
                "timezone",
                "weekly_hours",
                "holidays",
                "extra_workdays",
                "extra_workday_hours",
                "official_cn_holidays",
            )
            if k in cleaned
        }
        for field, messages in validate_calendar_dict(data).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ScopedAdmin):
    form = BusinessCalendarAdminForm
    list_display = ("name", "organisation", "timezone", "official_cn_holidays", "updated_at")
    search_fields = ("name",)
