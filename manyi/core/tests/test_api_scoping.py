"""Nobody reaches another organisation's (or, for store-bound roles, another store's) records
through any API operation. The operations are taken from the served OpenAPI document, so a
new operation without an entry here fails the test.

Every operation is in exactly one class: PATH_OPERATIONS (a record id in the path),
CREATE_OPERATIONS (a creation whose body names other records), SELF_CONTAINED (a creation
that names none), LIST_OPERATIONS (lists, filtered by the other organisation's ids where they
take any) or PUBLIC_OPERATIONS (no token at all; tested in manyi/cases/tests/test_public_*.py).
CROSS_REFERENCES adds the operations whose body or query names a record besides the one in
the path: the caller's own record in the path, the other organisation's in the body."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, User
from manyi.audit.models import AuditEvent
from manyi.calendars.models import BusinessCalendar
from manyi.cases import comm_services
from manyi.cases.models import (
    Attachment,
    Case,
    CaseSla,
    Category,
    Communication,
    ReplyTemplate,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
)
from manyi.cases.services import create_case, log_communication
from manyi.core.models import Counter, IdempotencyKey
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.core.tests.factories import AssetFactory, UserFactory
from manyi.customers.models import Asset, Customer
from manyi.followups import services as followup_services
from manyi.followups.models import FollowUp, FollowUpAttempt, PhoneMessage
from manyi.notifications.models import CustomerMessage, MessageTemplate, Notification
from manyi.recovery.guarantees import ensure_default_guarantees, record_staff_event
from manyi.recovery.models import (
    ChecklistTick,
    CompensationGuide,
    Guarantee,
    GuaranteeBreach,
    RecoveryAction,
)
from manyi.recovery.services import propose_action
from manyi.surveys.models import Invitation, Response, Survey, SurveyRule, SurveyVersion
from manyi.surveys.services import create_survey, install_template, publish_survey

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
    Communication,
    ReplyTemplate,
    Attachment,
    AuditEvent,
    Notification,
    CustomerMessage,
    MessageTemplate,
    Counter,
    IdempotencyKey,
    FollowUp,
    FollowUpAttempt,
    PhoneMessage,
    RecoveryAction,
    ChecklistTick,
    CompensationGuide,
    Guarantee,
    GuaranteeBreach,
    Survey,
    SurveyVersion,
    SurveyRule,
    Invitation,
    Response,
)


def database_state() -> dict[str, list[str]]:
    """Every row of every model an API operation could write (API tokens aside)."""
    state = {}
    for model in WATCHED:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        state[model.__name__] = sorted(map(repr, model.objects.values_list(*fields)))
    return state


Body = Callable[[dict[str, Any]], Any]

# For every operation with a path id: a body (or, for a GET or DELETE, the query) that is
# valid for the record's own organisation (checked by calling it as that organisation's admin
# afterwards, in the order of the OpenAPI document).
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
    ("get", "/api/v1/cases/{case_id}/communications"): None,
    ("post", "/api/v1/cases/{case_id}/communications"): lambda t: {"content": "已回电"},
    # Both the template (path) and the case (query) are the other organisation's.
    ("get", "/api/v1/reply-templates/{template_id}/render"): lambda t: {"case_id": t["case"]},
    ("put", "/api/v1/reply-templates/{template_id}"): lambda t: {"name": "改", "body_zh": "改了"},
    ("get", "/api/v1/cases/{case_id}/recovery-actions"): None,
    ("post", "/api/v1/cases/{case_id}/recovery-actions"): lambda t: {
        "kind": "apology",
        "value": "0",
    },
    # Each step has its own action of the other organisation (see fill).
    ("get", "/api/v1/recovery-actions/{action_id}"): None,
    ("post", "/api/v1/recovery-actions/{action_id}/approve"): lambda t: {},
    ("post", "/api/v1/recovery-actions/{action_id}/reject"): lambda t: {"reason": "不行"},
    ("post", "/api/v1/recovery-actions/{action_id}/give"): lambda t: {},
    ("post", "/api/v1/recovery-actions/{action_id}/cancel"): lambda t: {},
    ("get", "/api/v1/stores/{store_id}/recovery-budget"): None,
    ("get", "/api/v1/cases/{case_id}/checklist"): None,
    ("post", "/api/v1/cases/{case_id}/checklist"): lambda t: {"principle": "admit", "ticked": True},
    ("put", "/api/v1/guarantees/{guarantee_id}"): lambda t: {
        "code": "first_reply_48h",
        "name": "48小时首次答复",
        "text_zh": "您的投诉，我们保证在 48 小时内首次答复；做不到，赠送 120 元代金券。",
        "trigger": "sla_breach",
        "metric": "first_response",
        "amount": "120",
    },
    # Both the case (path) and the guarantee (body) are the other organisation's.
    ("post", "/api/v1/cases/{case_id}/guarantee-events"): lambda t: {
        "guarantee_id": t.get("staff_guarantee", 0),
        "amount_involved": "10",
        "note": "多收",
    },
    ("get", "/api/v1/followups/{followup_id}"): None,
    ("post", "/api/v1/followups/{followup_id}/attempts"): lambda t: {"result": "refused"},
    ("post", "/api/v1/phone-messages/{message_id}/return"): lambda t: {"note": "已回电"},
    ("get", "/api/v1/surveys/{survey_id}"): None,
    # The other organisation's store and staff as filters too: still 404 for the survey.
    ("get", "/api/v1/surveys/{survey_id}/results"): lambda t: {
        "store": t["store"],
        "staff": t["colleague"],
        "bootstrap": 0,
    },
    ("post", "/api/v1/surveys/{survey_id}/invitations"): lambda t: {"customer_id": t["customer"]},
    ("post", "/api/v1/surveys/{survey_id}/responses"): lambda t: {
        "customer_id": t["customer"],
        "answers": {"nps": 9},
    },
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
SELF_CONTAINED = {
    ("post", "/api/v1/calendars"),
    ("post", "/api/v1/guarantees"),
    ("post", "/api/v1/reply-templates"),
}

# Lists: filtered by the other organisation's ids, they show nothing of it.
LIST_OPERATIONS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("get", "/api/v1/me"): lambda t: {},
    ("get", "/api/v1/stores"): lambda t: {},
    ("get", "/api/v1/calendars"): lambda t: {},
    ("get", "/api/v1/sla-policies"): lambda t: {},
    ("get", "/api/v1/categories"): lambda t: {},
    ("get", "/api/v1/customers"): lambda t: {"q": t["phone"]},
    ("get", "/api/v1/cases"): lambda t: {"q": t["number"]},
    ("get", "/api/v1/reply-templates"): lambda t: {},
    ("get", "/api/v1/recovery-actions"): lambda t: {"case": t["case"], "store": t["store"]},
    ("get", "/api/v1/guarantees"): lambda t: {},
    ("get", "/api/v1/guarantee-breaches"): lambda t: {
        "guarantee": t["staff_guarantee"],
        "store": t["store"],
    },
    ("get", "/api/v1/followups"): lambda t: {"case": t["case"]},
    ("get", "/api/v1/phone-messages"): lambda t: {},
    ("get", "/api/v1/surveys"): lambda t: {},
}

# No token: what a store's website calls. Not bearer-scoped; see test_public_*.py.
PUBLIC_OPERATIONS = {
    ("post", "/api/v1/public/stores/{store_id}/complaints"),
    ("get", "/api/v1/public/stores/{store_id}/categories"),
    ("post", "/api/v1/public/case-status"),
}

# The caller's own record in the path, another organisation's in the body or query: refused
# (status, and the field of a 422) with nothing changed; the same body naming the caller's own
# record succeeds. `mine` holds the caller's records, `theirs` the other organisation's.
Cross = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
CROSS_REFERENCES: dict[tuple[str, str], tuple[Cross, int, str | None]] = {
    ("post", "/api/v1/cases/{case_id}/assign"): (
        lambda mine, theirs: {"owner": theirs["colleague"]},
        422,
        "owner",
    ),
    ("post", "/api/v1/cases/{case_id}/communications"): (
        lambda mine, theirs: {"content": "", "template_id": theirs["template"]},
        422,
        "template_id",
    ),
    ("get", "/api/v1/reply-templates/{template_id}/render"): (
        lambda mine, theirs: {"case_id": theirs["case"]},
        404,
        None,
    ),
    ("post", "/api/v1/cases/{case_id}/guarantee-events"): (
        lambda mine, theirs: {
            "guarantee_id": theirs["staff_guarantee"],
            "amount_involved": "10",
            "note": "多收",
        },
        404,
        None,
    ),
    ("post", "/api/v1/followups"): (
        lambda mine, theirs: {
            "customer": mine["customer"],
            "reason": "complaint",
            "case": theirs["case"],
            "scheduled_for": "2030-01-02",
        },
        422,
        "case",
    ),
    ("post", "/api/v1/surveys/{survey_id}/invitations"): (
        lambda mine, theirs: {"customer_id": theirs["customer"]},
        422,
        "customer_id",
    ),
    ("post", "/api/v1/surveys/{survey_id}/responses"): (
        lambda mine, theirs: {
            "customer_id": mine["customer"],
            "case_id": theirs["case"],
            "staff_id": theirs["colleague"],
            "answers": {"nps": 9},
        },
        422,
        "case_id",
    ),
}


def operations(api: ApiClient) -> list[tuple[str, str]]:
    document = api.get("/openapi.json").json()
    return [(m, p) for p, ops in document["paths"].items() for m in ops]


def fill(path: str, target: dict[str, Any]) -> str:
    """The path with the target's ids; 0 (no such record) for an id the target lacks. A
    recovery action's step takes the target's action for that step."""
    step = path.rsplit("/", 1)[-1]
    actions = target.get("actions", {})
    return (
        path.replace("{calendar_id}", str(target.get("calendar", 0)))
        .replace("{policy_id}", str(target.get("policy", 0)))
        .replace("{customer_id}", str(target.get("customer", 0)))
        .replace("{case_id}", str(target.get("case", 0)))
        .replace("{store_id}", str(target.get("store", 0)))
        .replace("{action_id}", str(actions.get(step, actions.get("read", 0))))
        .replace("{template_id}", str(target.get("template", 0)))
        .replace("{guarantee_id}", str(target.get("guarantee", 0)))
        .replace("{followup_id}", str(target.get("followup", 0)))
        .replace("{message_id}", str(target.get("message", 0)))
        .replace("{survey_id}", str(target.get("survey", 0)))
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
        "/api/v1/guarantees": set(target["guarantees"]),
        "/api/v1/reply-templates": {target["template"]},
        "/api/v1/surveys": {target["survey"]},
    }.get(path, set())


@pytest.fixture
def target(other_org: dict[str, Any]) -> dict[str, Any]:
    """The other organisation's records, and a colleague to transfer its case to."""
    store = other_org["store"]
    org = other_org["org"]
    admin = other_org["user"]
    case = other_org["case"]
    colleague = UserFactory.create(store=store, role=Role.AGENT, username="other_agent")
    AssetFactory.create(customer=other_org["customer"])
    followup = followup_services.schedule_followup(
        actor=admin,
        customer=other_org["customer"],
        reason="customer_care",
        assigned_to=colleague,
        scheduled_for=dt.date(2030, 1, 2),
    )
    message = followup_services.take_message(
        actor=admin,
        for_user=colleague,
        caller_name="外部来电",
        caller_phone="13611113333",
        reason="请回电",
    )
    log_communication(
        actor=admin,
        case=case,
        direction="outbound",
        medium="call",
        content="别的组织的回电记录",
    )
    template = comm_services.create_reply_template(
        organisation=org, name="别的组织的模板", body_zh="别的组织的话术 {customer_name}"
    )
    ensure_default_guarantees(org)
    guarantees = {g.code: g.pk for g in Guarantee.objects.filter(organisation=org)}
    survey = create_survey(actor=admin, template_key="nps", name_zh="别的组织的调查")
    publish_survey(actor=admin, survey=survey)
    record_staff_event(
        actor=admin,
        case=case,
        guarantee=Guarantee.objects.get(pk=guarantees["billing_error_double"]),
        amount_involved=Decimal("5"),
        note="别的组织多收了",
    )

    def action(value: str) -> int:
        note = "别的组织的补偿"
        return propose_action(
            actor=colleague, case=case, kind="refund", value=value, note=note
        ).action.pk

    return {
        # An action of the other organisation for each step: an approved one to give (first:
        # later ones of the same person on the case count against the limit too), pending ones
        # (above the agent's limit) to approve, reject and cancel.
        "actions": {
            "give": action("100"),
            "read": action("900"),
            "approve": action("900"),
            "reject": action("900"),
            "cancel": action("900"),
        },
        "followup": followup.pk,
        "message": message.pk,
        "template": template.pk,
        "survey": survey.pk,
        "guarantee": guarantees["first_reply_48h"],
        "staff_guarantee": guarantees["billing_error_double"],
        "guarantees": set(guarantees.values()),
        "org_admin": admin,
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
            case.summary,
            "other_admin",
            "other_agent",
            "外部来电",
            "别的组织",
        ],
        "customer": other_org["customer"].pk,
        "phone": other_org["customer"].phone,
        "case": case.pk,
        "number": case.number,
        "store": store.pk,
        "colleague": colleague.pk,
    }


@pytest.fixture
def mine(admin_user, agent, customer, category) -> dict[str, Any]:
    """The caller's organisation's own case, template, guarantees and survey."""
    case = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="自己的"
    )
    template = comm_services.create_reply_template(
        organisation=admin_user.organisation, name="自己的模板", body_zh="您好 {customer_name}"
    )
    ensure_default_guarantees(admin_user.organisation)
    staff = Guarantee.objects.get(organisation=admin_user.organisation, code="billing_error_double")
    survey = install_template(actor=admin_user, template_key="nps")
    return {
        "survey": survey.pk,
        "case": case.pk,
        "customer": customer.pk,
        "template": template.pk,
        "colleague": admin_user.pk,
        "staff_guarantee": staff.pk,
    }


def test_every_operation_is_classified_for_the_scope_test(admin_user):
    api = ApiClient(admin_user)
    classes = [
        set(PATH_OPERATIONS),
        set(CREATE_OPERATIONS),
        SELF_CONTAINED,
        set(LIST_OPERATIONS),
        PUBLIC_OPERATIONS,
    ]
    known = set().union(*classes)
    assert sum(map(len, classes)) == len(known), "an operation is in two classes"
    assert set(operations(api)) == known
    assert set(CROSS_REFERENCES) <= known


def test_only_the_public_operations_answer_without_a_token(admin_user):
    """The public ones declare no security and live under /public/; every other operation
    declares the bearer token and answers 401 without one."""
    document = ApiClient(admin_user).get("/openapi.json").json()
    anonymous = Client()
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            key = (method, path)
            if key in PUBLIC_OPERATIONS:
                assert path.startswith("/api/v1/public/"), key
                assert not operation.get("security"), key
                continue
            assert operation.get("security") == [{"BearerAuth": []}], key
            url = re.sub(r"\{[a-z_]+\}", "1", path)
            response = getattr(anonymous, method)(url, content_type="application/json")
            assert response.status_code == 401, (key, response.content)
            assert error_of(response)["code"] == "unauthorized"


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
            rows = body["items"] if isinstance(body, dict) and "items" in body else body
            if isinstance(body, dict) and "total" in body:
                assert body["items"] == [] and body["total"] == 0, key
            ids = {r["id"] for r in rows} if isinstance(rows, list) else set()
            assert not ids & foreign_record_ids(path, target), key
            assert not shows_foreign_data(body, target), key
        else:
            assert key in SELF_CONTAINED | PUBLIC_OPERATIONS, f"unclassified: {key}"


def test_a_body_naming_another_organisations_record_is_refused(admin_user, mine, target):
    """On the caller's own case or template, a reference to B's record in the body or query
    is refused like an unknown id, and nothing changes; the caller's own record works."""
    api = ApiClient(admin_user)
    for (method, path), (make, status, field) in CROSS_REFERENCES.items():
        before = database_state()
        response = api.call(method, fill(path, mine), make(mine, target))
        assert response.status_code == status, (method, path, response.content)
        if field is not None:
            assert field in error_of(response)["fields"], (method, path)
        else:
            assert error_of(response)["code"] == "not_found"
        assert database_state() == before, (method, path)
        own = api.call(method, fill(path, mine), make(mine, mine))
        assert 200 <= own.status_code < 300, (method, path, own.content)


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


# Records of the whole organisation (every store shares them): an agent of store A may read
# them, so they are not part of the store test.
ORGANISATION_WIDE = (
    "/api/v1/calendars/",
    "/api/v1/sla-policies/",
    "/api/v1/guarantees/",
    "/api/v1/reply-templates/{template_id}",
    "/api/v1/surveys/",
)


def test_an_agent_of_one_store_cannot_reach_another_store(
    agent, agent_b, customer_b, category, mine
):
    """Cases, customers, their recovery actions, budgets, follow-ups and phone messages are
    store-bound for agents: store B's answer 404, also through an organisation-wide record
    (rendering the organisation's template for store B's case)."""
    other = ApiClient(agent_b).post(
        "/cases",
        {"customer": customer_b.pk, "category": category.pk, "channel": "phone", "summary": "B"},
    )
    assert other.status_code == 201
    case = Case.objects.get(pk=other.json()["id"])
    action = propose_action(actor=agent_b, case=case, kind="apology", value="0").action.pk
    followup = followup_services.schedule_followup(
        actor=agent_b,
        customer=customer_b,
        reason="customer_care",
        assigned_to=agent_b,
        scheduled_for=dt.date(2030, 1, 2),
    )
    message = followup_services.take_message(
        actor=agent_b,
        for_user=agent_b,
        caller_name="B店来电",
        caller_phone="13611114444",
        reason="请回电",
    )
    t = {
        "case": case.pk,
        "customer": customer_b.pk,
        "colleague": agent_b.pk,
        "store": customer_b.store_id,
        "actions": {"read": action},
        "followup": followup.pk,
        "message": message.pk,
        "template": mine["template"],
        "staff_guarantee": mine["staff_guarantee"],
    }
    api = ApiClient(agent)
    tried = set()
    for (method, path), make in PATH_OPERATIONS.items():
        if (method, path) != ("get", "/api/v1/reply-templates/{template_id}/render") and any(
            path.startswith(prefix) for prefix in ORGANISATION_WIDE
        ):
            continue
        tried.add(path)
        before = database_state()
        response = api.call(method, fill(path, t), make(t) if make else None)
        assert response.status_code == 404, (method, path, response.content)
        assert database_state() == before, (method, path)
    assert "/api/v1/stores/{store_id}/recovery-budget" in tried
    assert "/api/v1/phone-messages/{message_id}/return" in tried
    listed = api.get("/cases", {"store": customer_b.store_id}).json()
    assert listed["items"] == []
    found = api.get("/customers", {"q": customer_b.phone}).json()
    assert found["items"] == []
    for path in ("/recovery-actions", "/followups", "/phone-messages", "/guarantee-breaches"):
        assert api.get(path).json()["items"] == [], path
