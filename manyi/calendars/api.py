"""REST operations on business calendars. Everyone of the organisation reads them; only
organisation admins change them."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Status

from manyi.accounts.models import Organisation, User
from manyi.calendars.models import BusinessCalendar
from manyi.calendars.services import create_calendar, missing_official_years, update_calendar
from manyi.core.api_support import (
    Input,
    Output,
    get_or_404,
    local,
    org_id,
    require_org_admin,
    user_of,
)

router = Router(tags=["calendars"])

Windows = list[list[str]]
WEEKLY_EXAMPLE = {
    "mon": [["09:00", "12:00"], ["13:30", "18:00"]],
    "tue": [["09:00", "12:00"], ["13:30", "18:00"]],
    "wed": [["09:00", "12:00"], ["13:30", "18:00"]],
    "thu": [["09:00", "12:00"], ["13:30", "18:00"]],
    "fri": [["09:00", "12:00"], ["13:30", "18:00"]],
    "sat": [],
    "sun": [],
}


class CalendarOut(Output):
    id: int
    name: str
    timezone: str
    weekly_hours: dict[str, Windows]
    holidays: list[str]
    extra_workdays: list[str]
    extra_workday_hours: Windows | None
    official_cn_holidays: bool
    years_without_official_data: list[int] = Field(
        description="Years from last year to two years ahead for which China's official "
        "holiday data is missing: they use the weekly hours and this calendar's own days."
    )
    updated_at: dt.datetime


class CalendarCreate(Input):
    name: str = Field(max_length=200, examples=["标准工作时间"])
    timezone: str = Field("Asia/Shanghai", max_length=64)
    weekly_hours: dict[str, Windows] | None = Field(
        None,
        examples=[WEEKLY_EXAMPLE],
        description="Working windows per weekday (mon…sun); a lunch break is two windows.",
    )
    holidays: list[str] = Field(default_factory=list, examples=[["2026-05-04"]])
    extra_workdays: list[str] = Field(
        default_factory=list, description="Make-up working days (调休), YYYY-MM-DD."
    )
    extra_workday_hours: Windows | None = Field(
        None, description="Hours on make-up working days; null: Monday's hours."
    )
    official_cn_holidays: bool = True


class CalendarUpdate(Input):
    """Absent (or null) fields stay as they are."""

    name: str | None = Field(None, max_length=200)
    timezone: str | None = Field(None, max_length=64)
    weekly_hours: dict[str, Windows] | None = Field(None, examples=[WEEKLY_EXAMPLE])
    holidays: list[str] | None = None
    extra_workdays: list[str] | None = None
    extra_workday_hours: Windows | None = Field(
        None, description="Hours on make-up working days; null: Monday's hours."
    )
    official_cn_holidays: bool | None = None


def calendars_for(user: User) -> QuerySet[BusinessCalendar]:
    if user.organisation_id is None:
        return BusinessCalendar.objects.none()
    return BusinessCalendar.objects.filter(organisation_id=org_id(user))


def calendar_out(calendar: BusinessCalendar) -> dict[str, Any]:
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "timezone": calendar.timezone,
        "weekly_hours": calendar.weekly_hours,
        "holidays": calendar.holidays,
        "extra_workdays": calendar.extra_workdays,
        "extra_workday_hours": calendar.extra_workday_hours,
        "official_cn_holidays": calendar.official_cn_holidays,
        "years_without_official_data": missing_official_years(calendar),
        "updated_at": local(calendar.updated_at, calendar.timezone),
    }


def _data(payload: Input) -> dict[str, Any]:
    """The fields the client sent; an explicit null means "unchanged" except for
    extra_workday_hours, where it means "Monday's hours"."""
    sent = payload.model_dump(exclude_unset=True)
    return {k: v for k, v in sent.items() if v is not None or k == "extra_workday_hours"}


@router.get("/calendars", response=list[CalendarOut], summary="List calendars")
def list_calendars(request: HttpRequest) -> list[dict[str, Any]]:
    return [calendar_out(c) for c in calendars_for(user_of(request)).order_by("name")]


@router.post("/calendars", response={201: CalendarOut}, summary="Create a calendar")
def add_calendar(request: HttpRequest, payload: CalendarCreate) -> Status[dict[str, Any]]:
    """Organisation admins only. Absent fields take the defaults (Asia/Shanghai, Monday to
    Friday 09:00–12:00 and 13:30–18:00, official holidays included)."""
    user = user_of(request)
    require_org_admin(user)
    organisation = Organisation.objects.get(pk=org_id(user))
    calendar = create_calendar(organisation=organisation, data=_data(payload))
    return Status(201, calendar_out(calendar))


@router.get("/calendars/{calendar_id}", response=CalendarOut, summary="Read a calendar")
def get_calendar(request: HttpRequest, calendar_id: int) -> dict[str, Any]:
    return calendar_out(get_or_404(calendars_for(user_of(request)), calendar_id))


@router.patch("/calendars/{calendar_id}", response=CalendarOut, summary="Change a calendar")
def change_calendar(
    request: HttpRequest, calendar_id: int, payload: CalendarUpdate
) -> dict[str, Any]:
    """Organisation admins only. Send only the fields to change. Due times already set on
    open cases stay; cases re-evaluated later use the new hours."""
    user = user_of(request)
    require_org_admin(user)
    calendar = get_or_404(calendars_for(user).select_related("organisation"), calendar_id)
    return calendar_out(update_calendar(calendar=calendar, data=_data(payload)))
