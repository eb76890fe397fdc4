"""The case services refuse objects of another organisation (or another store where the rule
says so) with a field-level error, and change nothing."""

from __future__ import annotations

import pytest

from conftest import at
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.models import Case
from manyi.core.errors import DomainError, ValidationFailed
from manyi.core.tests.factories import AssetFactory
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 4, 9, 0)


def new_case(agent, customer, category, **kw):
    return services.create_case(
        actor=agent,
        customer=customer,
        channel="phone",
        category=category,
        summary="交车延误两天",
        received_at=NOW,
        now=NOW,
        **kw,
    )


def test_a_case_cannot_use_another_organisations_category_store_or_owner(
    agent, customer, category, other_org
):
    foreign_category = other_org["case"].category
    before = Case.objects.count()

    with pytest.raises(ValidationFailed) as e:
        new_case(agent, customer, foreign_category)
    assert "category" in e.value.as_fields()
    with pytest.raises(ValidationFailed) as e:
        new_case(agent, customer, category, store=other_org["store"])
    assert "store" in e.value.as_fields()
    with pytest.raises(ValidationFailed) as e:
        new_case(agent, customer, category, owner=other_org["user"])
    assert "owner" in e.value.as_fields()

    assert Case.objects.count() == before


def test_a_case_cannot_name_another_customers_vehicle(agent, customer, customer_b, category):
    theirs = AssetFactory(customer=customer_b)
    with pytest.raises(ValidationFailed) as e:
        new_case(agent, customer, category, asset=theirs)
    assert "asset" in e.value.as_fields()


def test_a_case_cannot_be_transferred_to_another_organisation(agent, customer, category, other_org):
    case = new_case(agent, customer, category)

    with pytest.raises(DomainError) as e:
        services.assign_case(actor=agent, case=case, owner=other_org["user"], version=case.version)

    assert e.value.field == "owner"
    case.refresh_from_db()
    assert (case.owner_id, case.version) == (agent.pk, 1)
    assert not AuditEvent.objects.filter(case=case, kind="assigned").exists()
    assert not Notification.objects.filter(recipient=other_org["user"]).exists()


def test_an_agent_of_another_store_cannot_receive_the_case(agent, agent_b, customer, category):
    case = new_case(agent, customer, category)

    with pytest.raises(DomainError) as e:
        services.assign_case(actor=agent, case=case, owner=agent_b)

    assert e.value.field == "owner"
    case.refresh_from_db()
    assert case.owner_id == agent.pk


def test_manual_escalation_stops_at_the_store_manager(
    agent, supervisor, manager, customer, category
):
    case = new_case(agent, customer, category)
    case = services.escalate_case(actor=agent, case=case, reason="客户要求见主管")
    case = services.escalate_case(actor=agent, case=case, reason="客户威胁投诉媒体")
    assert case.escalation_level == 2

    with pytest.raises(DomainError) as e:
        services.escalate_case(actor=agent, case=case, reason="再次升级")

    assert e.value.field == "escalation_level"
    assert [ev.changes["to"][1] for ev in case.events.filter(kind="escalated").order_by("id")] == [
        str(supervisor),
        str(manager),
    ]
