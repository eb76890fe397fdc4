"""Nobody reaches another organisation's (or, for store-bound roles, another store's) records
through any API operation. The operations are taken from the served OpenAPI document, so a
new operation without an entry here fails the test."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, User
from manyi.audit.models import AuditEvent
from manyi.calendars.models import BusinessCalendar
from manyi.cases.models import Case, CaseSla, Category, SlaEvent, SlaPolicy, SlaTarget
from manyi.core.models import Counter, IdempotencyKey
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import AssetFactory, UserFactory
from manyi.customers.models import Asset, Customer
from manyi.followups import services as followup_services
from manyi.followups.models import FollowUp, FollowUpAttempt, PhoneMessage
from manyi.notifications.models import Notification

pytestmark = pytest.mark.django_db

WATCHED = (
    Organisation,
    Store,
    User,
    BusinessCalendar,
    Category,
    SlaPolicy,
    SlaTarget,
    Customer,
    Asset,
    Case,
    CaseSla,
    SlaEvent,
    AuditEvent,
    Notification,
    Counter,
    IdempotencyKey,
    FollowUp,
    FollowUpAttempt,
    PhoneMessage,
)


def database_state() -> dict[str, list[str]]:
    """Every row of every model an API operation could write (API tokens aside)."""
    state = {}
    for model in WATCHED:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        state[model.__name__] = sorted(map(repr, model.objects.values_list(*fields)))
    return state


Body = Callable[[dict[str, Any]], Any]

# For every operation with a path id: a body that is valid for the record's own organisation
# (checked by calling it as that organisation's admin afterwards).
PATH_OPERATIONS: dict[tuple[str, str], Body | None] = {
    ("get", "/api/v1/calendars/{calendar_id}"): None,
    ("patch", "/api/v1/calendars/{calendar_id}"): lambda t: {"holidays": ["2026-12-31"]},
    ("get", "/api/v1/sla-policies/{policy_id}"): None,
    ("patch", "/api/v1/sla-policies/{policy_id}"): lambda t: {"rank": 7},
    ("get", "/api/v1/customers/{customer_id}"): None,
    ("patch", "/api/v1/customers/{customer_id}"): lambda t: {
        "version": Customer.objects.get(pk=t["customer"]).version,
        "notes": "改了",
    },
    ("post", "/api/v1/customers/{customer_id}/assets"): lambda t: {"plate": "沪B99999"},
    ("get", "/api/v1/customers/{customer_id}/timeline"): None,
    # The owner's POST marks the customer lost, so the owner's DELETE after it succeeds.
    ("post", "/api/v1/customers/{customer_id}/lost"): lambda t: {"reason": "competition"},
    ("delete", "/api/v1/customers/{customer_id}/lost"): lambda t: {"note": "回来了"},
    ("get", "/api/v1/cases/{case_id}"): None,
    ("patch", "/api/v1/cases/{case_id}"): lambda t: {
        "version": Case.objects.get(pk=t["case"]).version,
        "severity": "high",
    },
    ("post", "/api/v1/cases/{case_id}/respond"): lambda t: {"message": "已回电"},
    ("post", "/api/v1/cases/{case_id}/status"): lambda t: {"status": "in_progress"},
    ("post", "/api/v1/cases/{case_id}/assign"): lambda t: {"owner": t["colleague"]},
    ("post", "/api/v1/cases/{case_id}/escalate"): lambda t: {"reason": "客户要求"},
    ("post", "/api/v1/cases/{case_id}/comment"): lambda t: {"text": "内部备注"},
    ("get", "/api/v1/cases/{case_id}/timeline"): None,
    ("get", "/api/v1/followups/{followup_id}"): None,
    ("post", "/api/v1/followups/{followup_id}/attempts"): lambda t: {"result": "refused"},
    ("post", "/api/v1/phone-messages/{message_id}/return"): lambda t: {"note": "已回电"},
}

# Creations: the body points at the other organisation's records; refused with the field.
CREATE_OPERATIONS: dict[tuple[str, str], tuple[Body, str]] = {
    ("post", "/api/v1/stores"): (
        lambda t: {"name": "新店", "code": "NEW", "calendar": t["calendar"]},
        "calendar",
    ),
    ("post", "/api/v1/sla-policies"): (
        lambda t: {
            "name": "借用日历",
            "calendar": t["calendar"],
            "targets": [{"metric": "resolution", "minutes": 60, "clock": "calendar"}],
        },
        "calendar",
    ),
    ("post", "/api/v1/customers"): (
        lambda t: {"name": "王芳", "phone": "13611112222", "store": t["store"]},
        "store",
    ),
    ("post", "/api/v1/cases"): (
        lambda t: {
            "customer": t["customer"],
            "category": "billing_error",
            "channel": "phone",
            "summary": "借用客户",
        },
        "customer",
    ),
    ("post", "/api/v1/followups"): (
        lambda t: {"customer": t["customer"], "reason": "prospect", "scheduled_for": "2030-01-02"},
        "customer",
    ),
    ("post", "/api/v1/phone-messages"): (
        lambda t: {
            "for_user": t["colleague"],
            "caller_name": "王先生",
            "caller_phone": "13611112222",
            "reason": "请回电",
        },
        "for_user",
    ),
}
# Creations that refer to no other record: nothing of another organisation to reach.
SELF_CONTAINED = {("post", "/api/v1/calendars")}

# Lists: filtered by the other organisation's ids, they show nothing of it.
LIST_OPERATIONS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("get", "/api/v1/me"): lambda t: {},
    ("get", "/api/v1/stores"): lambda t: {},
    ("get", "/api/v1/calendars"): lambda t: {},
    ("get", "/api/v1/sla-policies"): lambda t: {},
    ("get", "/api/v1/categories"): lambda t: {},
    ("get", "/api/v1/customers"): lambda t: {"q": t["phone"]},
    ("get", "/api/v1/cases"): lambda t: {"q": t["number"]},
    ("get", "/api/v1/followups"): lambda t: {},
    ("get", "/api/v1/phone-messages"): lambda t: {},
}


def operations(api: ApiClient) -> list[tuple[str, str]]:
    document = api.get("/openapi.json").json()
    return [(m, p) for p, ops in document["paths"].items() for m in ops]


def fill(path: str, target: dict[str, Any]) -> str:
    return (
        path.replace("{calendar_id}", str(target["calendar"]))
        .replace("{policy_id}", str(target["policy"]))
        .replace("{customer_id}", str(target["customer"]))
        .replace("{case_id}", str(target["case"]))
        .replace("{followup_id}", str(target.get("followup", 0)))
        .replace("{message_id}", str(target.get("message", 0)))
    )


def shows_foreign_data(body: Any, target: dict[str, Any]) -> bool:
    text = json.dumps(body, ensure_ascii=False)
    return any(marker in text for marker in target["markers"])


def foreign_record_ids(path: str, target: dict[str, Any]) -> set[int]:
    return {
        "/api/v1/stores": {target["store"]},
        "/api/v1/calendars": {target["calendar"]},
        "/api/v1/sla-policies": set(target["policies"]),
        "/api/v1/categories": set(target["categories"]),
    }.get(path, set())


@pytest.fixture
def target(other_org: dict[str, Any]) -> dict[str, Any]:
    """The other organisation's records, and a colleague to transfer its case to."""
    store = other_org["store"]
    org = other_org["org"]
    colleague = UserFactory.create(store=store, role=Role.AGENT, username="other_agent")
    AssetFactory.create(customer=other_org["customer"])
    followup = followup_services.schedule_followup(
        actor=other_org["user"],
        customer=other_org["customer"],
        reason="customer_care",
        assigned_to=colleague,
        scheduled_for=dt.date(2030, 1, 2),
    )
    message = followup_services.take_message(
        actor=other_org["user"],
        for_user=colleague,
        caller_name="外部来电",
        caller_phone="13611113333",
        reason="请回电",
    )
    return {
        "followup": followup.pk,
        "message": message.pk,
        "org_admin": other_org["user"],
        "calendar": store.calendar_id,
        "policy": SlaPolicy.objects.filter(organisation=org).order_by("id")[0].pk,
        "policies": list(SlaPolicy.objects.filter(organisation=org).values_list("pk", flat=True)),
        "categories": list(Category.objects.filter(organisation=org).values_list("pk", flat=True)),
        "markers": [
            org.name,
            store.name,
            store.calendar.name,
            other_org["customer"].name,
            other_org["customer"].phone,
            other_org["case"].summary,
            "other_admin",
        ],
        "customer": other_org["customer"].pk,
        "phone": other_org["customer"].phone,
        "case": other_org["case"].pk,
        "number": other_org["case"].number,
        "store": store.pk,
        "colleague": colleague.pk,
    }


def test_every_operation_is_classified_for_the_scope_test(admin_user):
    api = ApiClient(admin_user)
    known = set(PATH_OPERATIONS) | set(CREATE_OPERATIONS) | set(LIST_OPERATIONS) | SELF_CONTAINED
    assert set(operations(api)) == known


def test_no_operation_reaches_another_organisation(admin_user, target):
    """As an org admin of A (who may do everything in A): B's ids answer 404, B's records
    in a body are refused with their field, lists show nothing of B, and nothing changes.
    The same requests made by B's own admin succeed, so the refusals are the scope's."""
    api = ApiClient(admin_user)
    owner_api = ApiClient(User.objects.get(pk=target["org_admin"].pk))
    for method, path in operations(api):
        key = (method, path)
        if key in PATH_OPERATIONS:
            make = PATH_OPERATIONS[key]
            body = make(target) if make else None
            before = database_state()
            response = api.call(method, fill(path, target), body)
            assert response.status_code == 404, (key, response.content)
            assert error_of(response)["code"] == "not_found"
            assert database_state() == before, key
            own = owner_api.call(method, fill(path, target), make(target) if make else None)
            assert 200 <= own.status_code < 300, (key, own.content)
        elif key in CREATE_OPERATIONS:
            make_body, field = CREATE_OPERATIONS[key]
            before = database_state()
            response = api.call(method, path, make_body(target))
            assert response.status_code == 422, (key, response.content)
            assert field in error_of(response)["fields"], key
            assert database_state() == before, key
            own = owner_api.call(method, path, make_body(target))
            assert 200 <= own.status_code < 300, (key, own.content)
        elif key in LIST_OPERATIONS:
            response = api.get(path, LIST_OPERATIONS[key](target))
            assert response.status_code == 200, key
            body = response.json()
            if isinstance(body, dict) and "items" in body:
                assert body["items"] == [] and body["total"] == 0, key
            ids = {r["id"] for r in body} if isinstance(body, list) else set()
            assert not ids & foreign_record_ids(path, target), key
            assert not shows_foreign_data(body, target), key


def test_an_agent_reaches_neither_another_organisation_nor_admin_operations(agent, target):
    api = ApiClient(agent)
    for (method, path), make in PATH_OPERATIONS.items():
        before = database_state()
        response = api.call(method, fill(path, target), make(target) if make else None)
        assert response.status_code in (403, 404), (method, path, response.content)
        assert error_of(response)["code"] in ("forbidden", "not_found")
        assert database_state() == before, (method, path)
    for (method, path), (make_body, _field) in CREATE_OPERATIONS.items():
        before = database_state()
        response = api.call(method, path, make_body(target))
        assert response.status_code in (403, 422), (method, path, response.content)
        assert database_state() == before, (method, path)


def test_an_agent_of_one_store_cannot_reach_another_store(agent, agent_b, customer_b, category):
    """Cases and customers are store-bound for agents: store B's answer 404."""
    other = ApiClient(agent_b).post(
        "/cases",
        {"customer": customer_b.pk, "category": category.pk, "channel": "phone", "summary": "B"},
    )
    assert other.status_code == 201
    case_id = other.json()["id"]
    t = {
        "case": case_id,
        "customer": customer_b.pk,
        "colleague": agent_b.pk,
        "calendar": 0,
        "policy": 0,
    }
    api = ApiClient(agent)
    for (method, path), make in PATH_OPERATIONS.items():
        if "/cases/" not in path and "/customers/" not in path:
            continue
        before = database_state()
        response = api.call(method, fill(path, t), make(t) if make else None)
        assert response.status_code == 404, (method, path, response.content)
        assert database_state() == before, (method, path)
    listed = api.get("/cases", {"store": customer_b.store_id}).json()
    assert listed["items"] == []
    found = api.get("/customers", {"q": customer_b.phone}).json()
    assert found["items"] == []
