"""Edits of reply templates and of the texts of automatic customer messages are in the audit
trail: who, when, what changed. They are organisation-level events (no case, no customer), so
no case or customer timeline shows them, and the presenter still reads them."""

from __future__ import annotations

import pytest
from django.utils import translation

from manyi.audit.models import AuditEvent, EventKind
from manyi.audit.presenters import describe_all
from manyi.cases.comm_services import create_reply_template, update_reply_template
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.customers.selectors import customer_timeline
from manyi.notifications.customer import reset_message_template, save_message_template

pytestmark = pytest.mark.django_db


def template_events(org):
    return AuditEvent.objects.filter(
        organisation=org, case__isnull=True, customer__isnull=True
    ).order_by("id")


def test_creating_and_changing_a_reply_template_is_audited(org, admin_user):
    with translation.override("en"):
        t = create_reply_template(
            organisation=org, name="回电", body_zh="您好", medium="sms", actor=admin_user
        )
    created = template_events(org).get()
    assert created.kind == EventKind.CREATED and created.actor == admin_user
    assert created.message == "Reply template “回电”"
    assert created.changes["name"] == [None, "回电"]
    assert created.changes["body_zh"] == [None, "您好"]
    assert created.changes["medium"] == [None, "sms"]

    with translation.override("en"):
        update_reply_template(
            template=t,
            name="回电确认",
            body_zh="您好",
            medium="sms",
            active=False,
            actor=admin_user,
        )
    changed = template_events(org).last()
    assert changed.kind == EventKind.CHANGED and changed.actor == admin_user
    assert changed.message == "Reply template “回电确认”"
    assert changed.changes == {"name": ["回电", "回电确认"], "active": [True, False]}


def test_saving_a_reply_template_unchanged_records_nothing(org, admin_user):
    t = create_reply_template(organisation=org, name="回电", body_zh="您好", actor=admin_user)
    update_reply_template(template=t, name="回电", body_zh="您好 ", actor=admin_user)
    assert template_events(org).count() == 1


def test_customer_message_texts_saved_and_reset_are_audited(org, admin_user):
    with translation.override("en"):
        save_message_template(
            organisation_id=org.pk,
            key="case_received",
            subject_zh="已收到 {case_number}",
            body_zh="{customer_name}您好，已收到。",
            actor=admin_user,
        )
        save_message_template(
            organisation_id=org.pk,
            key="case_received",
            subject_zh="已收到 {case_number}",
            body_zh="{customer_name}您好，我们已收到。",
            actor=admin_user,
        )
        save_message_template(  # nothing changed: no event
            organisation_id=org.pk,
            key="case_received",
            subject_zh="已收到 {case_number}",
            body_zh="{customer_name}您好，我们已收到。",
            actor=admin_user,
        )
        assert reset_message_template(organisation_id=org.pk, key="case_received", actor=admin_user)
        assert not reset_message_template(
            organisation_id=org.pk, key="case_received", actor=admin_user
        )
    created, changed, reset = template_events(org)
    assert created.kind == EventKind.CREATED and created.actor == admin_user
    assert created.message == "Customer message “Complaint received”"
    assert created.changes["body_zh"] == [None, "{customer_name}您好，已收到。"]
    assert changed.kind == EventKind.CHANGED
    assert changed.changes == {
        "body_zh": ["{customer_name}您好，已收到。", "{customer_name}您好，我们已收到。"]
    }
    assert reset.kind == EventKind.CHANGED and reset.actor == admin_user
    assert "built-in" in reset.message
    assert reset.changes["body_zh"] == ["{customer_name}您好，我们已收到。", None]


def test_template_events_stay_off_timelines_and_still_read_well(
    org, admin_user, agent, customer, category
):
    case = open_case(agent, customer, category)
    t = create_reply_template(organisation=org, name="回电", body_zh="您好", actor=admin_user)
    update_reply_template(template=t, name="回电", body_zh="您好！", actor=admin_user)
    save_message_template(
        organisation_id=org.pk, key="case_resolved", subject_zh="好", body_zh="好", actor=admin_user
    )
    events = list(template_events(org))
    assert len(events) == 3
    views = describe_all(events)
    assert all(v.title and v.actor == str(admin_user) for v in views)
    assert "“回电”" in views[0].title
    timeline_ids = {e.pk for e in customer_timeline(user=agent, customer=customer)}
    assert not timeline_ids & {e.pk for e in events}
    # The case and customer pages still render.
    client = client_for(agent)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.get(f"/customers/{customer.pk}/").status_code == 200
