"""Business calendars through the REST API."""

from __future__ import annotations

import pytest

from manyi.calendars.engine import official_data_years
from manyi.calendars.models import BusinessCalendar
from manyi.core.tests.api_client import ApiClient, error_of

pytestmark = pytest.mark.django_db

WEEK = {
    "mon": [["09:00", "12:00"], ["13:30", "18:00"]],
    "tue": [["09:00", "12:00"], ["13:30", "18:00"]],
    "wed": [["09:00", "12:00"], ["13:30", "18:00"]],
    "thu": [["09:00", "12:00"], ["13:30", "18:00"]],
    "fri": [["09:00", "12:00"], ["13:30", "18:00"]],
    "sat": [["09:00", "12:00"]],
    "sun": [],
}


def test_an_admin_creates_and_reads_a_calendar(admin_user):
    api = ApiClient(admin_user)
    created = api.post(
        "/calendars",
        {
            "name": "售后服务时间",
            "weekly_hours": WEEK,
            "holidays": ["2026-05-04"],
            "extra_workdays": ["2026-05-09"],
            "extra_workday_hours": [["09:00", "17:00"]],
            "official_cn_holidays": True,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["weekly_hours"]["sat"] == [["09:00", "12:00"]]
    assert body["timezone"] == "Asia/Shanghai"
    assert isinstance(body["years_without_official_data"], list)
    assert body["updated_at"].endswith("+08:00")
    read = api.get(f"/calendars/{body['id']}").json()
    assert read == body


def test_defaults_fill_what_is_not_given(admin_user):
    body = ApiClient(admin_user).post("/calendars", {"name": "默认"}).json()
    assert body["weekly_hours"]["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert body["weekly_hours"]["sun"] == []
    assert body["official_cn_holidays"] is True
    assert body["extra_workday_hours"] is None


def test_a_year_without_official_data_is_reported(admin_user, store_a):
    body = ApiClient(admin_user).get(f"/calendars/{store_a.calendar_id}").json()
    covered = official_data_years()
    assert body["years_without_official_data"]
    assert all(y not in covered for y in body["years_without_official_data"])


def test_calendar_errors_are_per_field(admin_user):
    response = ApiClient(admin_user).post(
        "/calendars",
        {
            "name": "坏日历",
            "timezone": "Mars/Olympus",
            "weekly_hours": {"mon": [["09:00", "25:00"]]},
            "holidays": ["2026-02-30"],
        },
    )
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) == {"timezone", "weekly_hours", "holidays"}
    assert not BusinessCalendar.objects.filter(name="坏日历").exists()


def test_changing_a_calendar_keeps_what_is_not_sent(admin_user, store_a):
    api = ApiClient(admin_user)
    response = api.patch(
        f"/calendars/{store_a.calendar_id}", {"holidays": ["2026-10-09"], "name": "浦东日历"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["holidays"]) == ("浦东日历", ["2026-10-09"])
    assert body["weekly_hours"]["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    clash = api.patch(f"/calendars/{store_a.calendar_id}", {"extra_workdays": ["2026-10-09"]})
    assert list(error_of(clash)["fields"]) == ["extra_workdays"]


def test_a_duplicate_name_is_refused(admin_user, store_a, store_b):
    response = ApiClient(admin_user).patch(
        f"/calendars/{store_b.calendar_id}", {"name": store_a.calendar.name}
    )
    assert error_of(response)["fields"] == {"name": ["Another calendar has this name."]}


def test_everyone_reads_only_admins_write(agent, store_a):
    api = ApiClient(agent)
    assert [c["id"] for c in api.get("/calendars").json()] == [store_a.calendar_id]
    response = api.patch(f"/calendars/{store_a.calendar_id}", {"holidays": []})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
