import pytest

from manyi.audit.models import AuditEvent
from manyi.core.errors import ConflictError, DomainError, ValidationFailed
from manyi.customers import services
from manyi.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_create_customer_normalises_phone_and_records_audit(agent, store_a):
    c = services.create_customer(
        actor=agent, store=store_a, name="王芳", phone="+86 139-1111-2222", tags="老客户，VIP"
    )
    assert c.phone == "13911112222"
    assert c.tags == ["老客户", "VIP"]
    ev = AuditEvent.objects.get(customer=c, kind="created")
    assert ev.actor == agent and ev.changes["phone"] == [None, "13911112222"]


def test_phone_is_unique_within_an_organisation_only(agent, store_a, store_b, other_org):
    services.create_customer(actor=agent, store=store_a, name="王芳", phone="13911112222")
    with pytest.raises(DomainError) as e:
        services.create_customer(actor=agent, store=store_b, name="王芳2", phone="139 1111 2222")
    assert e.value.field == "phone"
    # another organisation may have a customer with the same number
    services.create_customer(
        actor=other_org["user"], store=other_org["store"], name="X", phone="13911112222"
    )


def test_bad_fields_are_all_reported_and_nothing_is_written(agent, store_a):
    before = Customer.objects.count()
    with pytest.raises(ValidationFailed) as e:
        services.create_customer(
            actor=agent,
            store=store_a,
            name="",
            phone="123",
            email="not-an-email",
            tier="gold",
            watch_list=True,
        )
    assert set(e.value.fields) >= {"name", "phone", "email", "tier", "watch_reason"}
    assert Customer.objects.count() == before


def test_update_records_before_and_after_and_refuses_stale_version(agent, customer):
    v = customer.version
    services.update_customer(actor=agent, customer=customer, changes={"tier": "vip"}, version=v)
    ev = AuditEvent.objects.filter(customer=customer, kind="changed").latest("id")
    assert ev.changes == {"tier": ["regular", "vip"]}
    with pytest.raises(ConflictError):
        services.update_customer(
            actor=agent, customer=customer, changes={"tier": "regular"}, version=v
        )


def test_asset_requires_a_valid_vin(agent, customer):
    with pytest.raises(ValidationFailed) as e:
        services.add_asset(actor=agent, customer=customer, vin="1M8GDM9A1KP042788")
    assert "vin" in e.value.fields
    a = services.add_asset(
        actor=agent, customer=customer, vin="1M8GDM9AXKP042788", plate="沪a12345", model="途观L"
    )
    assert a.plate == "沪A12345"
