"""Log-in, notifications and the language switch of the web UI."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone, translation

from manyi.cases.tests.ui_helpers import client_for
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_login_page_and_logging_in(agent):
    client = Client()
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "agent", "password": "pass-1234"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def notify(user, subject, case=None, read=False):
    return Notification.objects.create(
        organisation=user.organisation,
        recipient=user,
        case=case,
        kind="test",
        dedupe_key=subject,
        subject=subject,
        body="",
        read_at=timezone.now() if read else None,
    )


def test_notifications_page_lists_only_my_notifications(agent, supervisor):
    notify(agent, "给我的通知")
    notify(supervisor, "给主管的通知")
    html = client_for(agent).get("/notifications/").content.decode()
    assert "给我的通知" in html and "给主管的通知" not in html
    assert 'class="count">1<' in html  # the unread badge in the top bar


def test_marking_notifications_read(agent, supervisor):
    first = notify(agent, "一")
    notify(agent, "二")
    theirs = notify(supervisor, "三")
    client = client_for(agent)
    client.post(f"/notifications/{first.pk}/read/")
    client.post(f"/notifications/{theirs.pk}/read/")  # someone else's: nothing happens
    assert set(
        Notification.objects.filter(read_at__isnull=True).values_list("subject", flat=True)
    ) == {"二", "三"}
    client.post("/notifications/read/")
    assert list(
        Notification.objects.filter(read_at__isnull=True).values_list("subject", flat=True)
    ) == ["三"]


def test_chinese_by_default_and_english_after_the_switch(agent):
    client = client_for(agent)
    html = client.get("/cases/").content.decode()
    assert '<html lang="zh-CN">' in html
    assert 'value="en"' in html  # the switch offers English
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    html = client.get("/cases/").content.decode()
    assert '<html lang="en">' in html
    assert ">Cases<" in html and ">Severity<" in html and "Nearest deadline" in html
    assert 'value="zh-hans"' in html  # and offers Chinese back
    with translation.override("zh-hans"):
        chinese = translation.gettext("Cases")
    if chinese != "Cases":  # once the Chinese catalogue is compiled, the labels differ
        assert chinese not in html
        assert chinese in client_for(agent).get("/cases/").content.decode()
