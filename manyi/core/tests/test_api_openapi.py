"""The OpenAPI document is served and lists every operation the routers register."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from config.api import ROUTERS, api

pytestmark = pytest.mark.django_db


def registered_operations() -> set[tuple[str, str]]:
    """(method, path) of every operation declared in the router modules."""
    found = set()
    for router in ROUTERS:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if not operation.include_in_schema:
                    continue
                for method in operation.methods:
                    found.add(
                        (method.lower(), "/api/v1" + re.sub(r"{(\w+:)?(\w+)}", r"{\2}", path))
                    )
    return found


@pytest.fixture
def document():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_openapi_document_lists_every_registered_operation(document):
    served = {(m, p) for p, ops in document["paths"].items() for m in ops}
    registered = registered_operations()
    assert len(registered) >= 25
    assert registered == served


def test_every_router_module_is_mounted():
    mounted = {id(router) for _prefix, router in api._routers}
    assert all(id(router) in mounted for router in ROUTERS)
    modules = {
        router.path_operations[p].operations[0].view_func.__module__
        for router in ROUTERS
        for p in router.path_operations
    }
    assert modules == {
        "manyi.accounts.api",
        "manyi.calendars.api",
        "manyi.cases.api",
        "manyi.cases.api_policies",
        "manyi.cases.api_comms",
        "manyi.cases.api_public",
        "manyi.customers.api",
        "manyi.followups.api",
        "manyi.recovery.api",
        "manyi.recovery.api_guarantees",
        "manyi.surveys.api",
        "manyi.surveys.api_results",
    }


def test_every_operation_needs_the_bearer_token_and_documents_its_errors(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {"type": "http", "scheme": "bearer"}
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            if path.startswith("/api/v1/public/"):
                # The public complaint endpoints answer anyone (rate-limited instead).
                assert "security" not in op or op["security"] == [], (method, path)
            else:
                assert op["security"] == [{"BearerAuth": []}], (method, path)
            assert op.get("summary"), (method, path)


def test_every_post_documents_the_idempotency_key_header(document):
    for path, ops in document["paths"].items():
        if "post" in ops and not path.startswith("/api/v1/public/"):
            headers = [p["name"] for p in ops["post"].get("parameters", []) if p["in"] == "header"]
            assert headers == ["Idempotency-Key"], path


def test_case_schema_shows_sla_and_allowed_values(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["Severity"]["enum"]) == {"low", "normal", "high", "critical"}
    sla = schemas["SlaOut"]["properties"]
    for field in (
        "metric",
        "due_at",
        "state",
        "business_minutes_elapsed",
        "calendar_minutes_elapsed",
    ):
        assert field in sla
    assert "version" in schemas["CaseUpdate"]["required"]
