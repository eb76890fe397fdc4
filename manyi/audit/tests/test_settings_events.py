"""Audit events about settings (a reply template, a guarantee) belong to no case or customer:
they read as what was created or changed."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from manyi.audit.models import AuditEvent, EventKind
from manyi.audit.presenters import describe

pytestmark = pytest.mark.django_db


def test_a_settings_event_names_what_changed(org, admin_user):
    event = AuditEvent.objects.create(
        organisation=org,
        actor=admin_user,
        kind=EventKind.CHANGED,
        message="Reply template “致歉”",
        changes={"name": ["致歉", "致歉与说明"]},
        at=timezone.now(),
    )
    with translation.override("en"):
        view = describe(event)
    assert view.title == "Changed: Reply template “致歉”"
    assert view.body == "" and view.details
