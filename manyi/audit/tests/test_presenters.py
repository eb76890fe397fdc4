"""Audit events described in the reader's language from their kind and changes."""

from __future__ import annotations

import pytest
from django.utils import translation

from conftest import at
from manyi.audit.models import AuditEvent, EventKind
from manyi.audit.presenters import describe, describe_all
from manyi.cases import services
from manyi.cases.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category):
    return services.create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="交车延误"
    )


def events(case, kind):
    return list(AuditEvent.objects.filter(case=case, kind=kind).order_by("id"))


def test_category_change_reads_in_the_current_language(agent, case, org):
    other = Category.objects.get(organisation=org, code="billing_error")
    services.update_case(actor=agent, case=case, changes={"category": other})
    (event,) = events(case, EventKind.CHANGED)
    with translation.override("en"):
        (view,) = describe_all([event])
        assert view.title == "Changed the case"
        assert view.details == [
            "category: Waiting time / Late delivery → Price and billing / Billing error"
        ]
    with translation.override("zh-hans"):
        (view,) = describe_all([event])
        assert (
            "等待时间 / 交车延误" in view.details[0] and "价格与收费 / 收费错误" in view.details[0]
        )
    assert view.actor == str(agent)


def test_status_change_and_response(agent, case):
    services.respond_to_case(actor=agent, case=case, message="已致电客户", channel="wechat")
    with translation.override("en"):
        (responded,) = [describe(e) for e in events(case, EventKind.RESPONDED)]
        (status,) = [describe(e) for e in events(case, EventKind.STATUS)]
    assert responded.title == "Responded to the customer (WeChat)"  # medium follows the channel
    assert responded.body == "已致电客户" and responded.kind == "responded"
    assert status.title == "Changed the status from New to Acknowledged"


def test_sla_breach_and_automatic_escalation_by_the_system(case):
    breach = AuditEvent.objects.create(
        organisation_id=case.organisation_id,
        case=case,
        kind=EventKind.SLA,
        at=at(2026, 3, 2, 17, 31),
        changes={
            "event": [None, "breached"],
            "metric": [None, "first_response"],
            "due_at": [None, at(2026, 3, 2, 17, 30).isoformat()],
        },
    )
    escalation = AuditEvent.objects.create(
        organisation_id=case.organisation_id,
        case=case,
        kind=EventKind.ESCALATED,
        at=at(2026, 3, 2, 17, 31),
        changes={"escalation_level": [0, 1], "to": [None, "王主管"], "automatic": [None, True]},
    )
    with translation.override("en"):
        b = describe(breach)
        e = describe(escalation)
    assert b.title == "SLA breached: First response was due at 2026-03-02 17:30"
    assert b.kind == "sla-breached" and b.actor == "System"
    assert e.title == "Escalated automatically to Supervisor (王主管)"


def test_creation_names_channel_category_severity_and_policy(case):
    (created,) = events(case, EventKind.CREATED)
    with translation.override("en"):
        view = describe_all([created])[0]
    assert view.title == "Created the case"
    assert view.details[0] == "Phone · Waiting time / Late delivery · Normal"
    assert view.details[1].startswith("SLA policy: ")
