"""Business calendars: the working hours SLA clocks are measured on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from manyi.calendars.engine import CalendarSpec


def default_weekly_hours() -> dict[str, list[list[str]]]:
    day = [["09:00", "12:00"], ["13:30", "18:00"]]
    return {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": []}


class BusinessCalendar(models.Model):
    """Working windows per weekday, holidays, make-up working days (调休) and official data."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="calendars"
    )
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    weekly_hours = models.JSONField(_("weekly hours"), default=default_weekly_hours)
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    extra_workdays = models.JSONField(_("make-up working days"), default=list, blank=True)
    extra_workday_hours = models.JSONField(
        _("hours on make-up working days"), null=True, blank=True
    )
    official_cn_holidays = models.BooleanField(
        _("include China's official holidays and make-up days"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_calendar_name")
        ]

    def __str__(self) -> str:
        return self.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "weekly_hours": self.weekly_hours,
            "holidays": self.holidays,
            "extra_workdays": self.extra_workdays,
            "extra_workday_hours": self.extra_workday_hours,
            "official_cn_holidays": self.official_cn_holidays,
        }

    def spec(self) -> CalendarSpec:
        from manyi.calendars.engine import CalendarSpec

        return CalendarSpec.from_dict(self.as_dict())
