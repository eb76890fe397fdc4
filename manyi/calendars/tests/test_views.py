"""Calendar settings pages: weekly hours as text, validation messages per field, the
missing-official-data warning and the 14-day preview."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from conftest import at
from manyi.calendars.models import BusinessCalendar
from manyi.calendars.services import create_calendar

pytestmark = pytest.mark.django_db

WEEK = {
    "hours_mon": "09:00-12:00, 13:30-18:00",
    "hours_tue": "09:00-12:00, 13:30-18:00",
    "hours_wed": "09:00-12:00, 13:30-18:00",
    "hours_thu": "09:00-12:00, 13:30-18:00",
    "hours_fri": "09:00-12:00, 13:30-18:00",
    "hours_sat": "9-12",
    "hours_sun": "",
}


@pytest.fixture
def admin_client(client, admin_user):
    client.cookies["django_language"] = "en"  # the UI language switch stores it here
    client.force_login(admin_user)
    return client


def _data(**overrides):
    data = {
        "name": "售后日历",
        "timezone": "Asia/Shanghai",
        **WEEK,
        "holidays": "",
        "extra_workdays": "",
        "extra_workday_hours": "",
        "official_cn_holidays": "on",
    }
    data.update(overrides)
    return data


def test_create_calendar_with_a_lunch_break_and_dates(admin_client, org):
    response = admin_client.post(
        reverse("accounts:calendar_new"),
        _data(
            holidays="2027-02-05 ~ 2027-02-07\n2027-01-01  元旦",
            extra_workdays="2027/2/14",
            extra_workday_hours="09:00-17:00",
            hours_fri="8:30–12:00 13:00-17:30",
        ),
    )
    calendar = BusinessCalendar.objects.get(organisation=org, name="售后日历")
    assert response.status_code == 302
    assert calendar.weekly_hours["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert calendar.weekly_hours["fri"] == [["08:30", "12:00"], ["13:00", "17:30"]]
    assert calendar.weekly_hours["sat"] == [["09:00", "12:00"]]
    assert calendar.weekly_hours["sun"] == []
    assert calendar.holidays == ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07"]
    assert calendar.extra_workdays == ["2027-02-14"]
    assert calendar.extra_workday_hours == [["09:00", "17:00"]]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours_mon", "09:00-25:00", "25:00 is not a valid time (00:00 to 24:00)."),
        (
            "hours_tue",
            "09:00-12:00, 11:00-14:00",
            "The windows 09:00-12:00 and 11:00-14:00 overlap.",
        ),
        ("hours_wed", "9 to 5", "“9 to 5” is not a time window; write it like 09:00-12:00."),
        ("hours_thu", "18:00-09:00", "In 18:00-09:00 the start must be before the end."),
        ("holidays", "2027-02-30", "Line 1: “2027-02-30” is not a date; write YYYY-MM-DD."),
        ("extra_workday_hours", "08:61-12:00", "08:61 is not a valid time (00:00 to 24:00)."),
    ],
)
def test_bad_input_shows_a_message_on_its_field_and_saves_nothing(
    admin_client, org, field, value, message
):
    before = BusinessCalendar.objects.count()
    response = admin_client.post(reverse("accounts:calendar_new"), _data(**{field: value}))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert BusinessCalendar.objects.count() == before


def test_a_day_both_holiday_and_make_up_day_is_refused(admin_client):
    response = admin_client.post(
        reverse("accounts:calendar_new"),
        _data(holidays="2027-02-14", extra_workdays="2027-02-14"),
    )
    assert response.context["form"].errors["extra_workdays"] == [
        "2027-02-14 cannot be both a holiday and a make-up working day."
    ]


def test_duplicate_name_is_a_field_error(admin_client, org):
    create_calendar(organisation=org, data={"name": "售后日历"})
    response = admin_client.post(reverse("accounts:calendar_new"), _data())
    assert response.context["form"].errors["name"] == ["Another calendar has this name."]


def test_edit_keeps_the_form_values_on_error_and_the_calendar_unchanged(admin_client, store_a):
    calendar = store_a.calendar
    page = admin_client.get(reverse("accounts:calendar_edit", args=[calendar.pk]))
    assert page.context["form"].initial["hours_mon"] == "09:00-12:00, 13:30-18:00"
    response = admin_client.post(
        reverse("accounts:calendar_edit", args=[calendar.pk]),
        _data(name=calendar.name, hours_fri="13:00-12:00"),
    )
    assert "hours_fri" in response.context["form"].errors
    calendar.refresh_from_db()
    assert calendar.weekly_hours["fri"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    ok = admin_client.post(
        reverse("accounts:calendar_edit", args=[calendar.pk]),
        _data(name=calendar.name, hours_fri="08:30-17:30"),
    )
    assert ok.status_code == 302
    calendar.refresh_from_db()
    assert calendar.weekly_hours["fri"] == [["08:30", "17:30"]]


@time_machine.travel(at(2026, 6, 1, 10, 0), tick=False)
def test_years_without_official_data_are_warned_about(admin_client, store_a):
    calendar = store_a.calendar
    page = admin_client.get(reverse("accounts:calendar_edit", args=[calendar.pk]))
    assert page.context["missing_years"] == [2027, 2028]
    html = page.content.decode()
    assert "Warning: no official holiday data for 2027, 2028" in html
    assert "falls back to its weekly hours plus its own holidays" in html
    assert "make-up working days" in html
    listing = admin_client.get(reverse("accounts:calendars")).content.decode()
    assert "No official data for 2027, 2028" in listing
    assert "2027, 2028" in admin_client.get(reverse("accounts:index")).content.decode()


@time_machine.travel(at(2026, 6, 1, 10, 0), tick=False)
def test_no_warning_when_the_calendar_does_not_use_official_data(admin_client, store_a):
    calendar = store_a.calendar
    calendar.official_cn_holidays = False
    calendar.save()
    page = admin_client.get(reverse("accounts:calendar_edit", args=[calendar.pk]))
    assert page.context["missing_years"] == []
    assert "no official holiday data" not in page.content.decode()


@time_machine.travel(at(2026, 9, 30, 10, 0), tick=False)
def test_preview_applies_official_and_own_days(admin_client, org):
    calendar = create_calendar(
        organisation=org,
        data={"name": "预览", "holidays": ["2026-10-09"], "extra_workdays": ["2026-10-11"]},
    )
    page = admin_client.get(reverse("accounts:calendar_edit", args=[calendar.pk]))
    days = {d.date: d for d in page.context["preview"]}
    assert len(days) == 14
    assert min(days) == dt.date(2026, 9, 30)
    assert days[dt.date(2026, 9, 30)].windows == ["09:00–12:00", "13:30–18:00"]
    assert days[dt.date(2026, 10, 1)].windows == []
    assert days[dt.date(2026, 10, 1)].reason == "Official holiday: National Day"
    assert days[dt.date(2026, 10, 9)].reason == "Holiday of this calendar"
    assert days[dt.date(2026, 10, 10)].kind == "makeup"  # official make-up Saturday
    assert days[dt.date(2026, 10, 10)].windows == ["09:00–12:00", "13:30–18:00"]
    assert days[dt.date(2026, 10, 11)].reason == "Make-up working day of this calendar"
    assert days[dt.date(2026, 10, 12)].windows == ["09:00–12:00", "13:30–18:00"]


def test_calendar_pages_are_for_admins_only(client, agent, supervisor, manager, store_a):
    for user in (agent, supervisor, manager):
        client.force_login(user)
        assert client.get(reverse("accounts:calendars")).status_code == 403
        url = reverse("accounts:calendar_edit", args=[store_a.calendar_id])
        assert client.post(url, _data()).status_code == 403


def test_other_organisations_calendar_is_404(admin_client, other_org):
    pk = other_org["store"].calendar_id
    assert admin_client.get(reverse("accounts:calendar_edit", args=[pk])).status_code == 404
