"""The caller and the stores through the REST API."""

from __future__ import annotations

import pytest

from manyi.accounts.models import Store
from manyi.core.tests.api_client import ApiClient, error_of

pytestmark = pytest.mark.django_db


def test_me_tells_role_store_and_permissions(agent, org):
    me = ApiClient(agent).get("/me").json()
    assert me["username"] == "agent"
    assert me["role"] == "agent"
    assert me["organisation"] == {"id": org.pk, "name": org.name}
    assert me["store"]["code"] == "PD"
    assert (me["is_org_wide"], me["is_org_admin"], me["can_view_personal_data"]) == (
        False,
        False,
        False,
    )


def test_an_agent_lists_her_store_a_manager_all_stores(agent, manager, store_a, store_b):
    assert [s["code"] for s in ApiClient(agent).get("/stores").json()] == ["PD"]
    listed = ApiClient(manager).get("/stores").json()
    assert [s["code"] for s in listed] == ["PD", "XH"]
    assert listed[0]["calendar"] == store_a.calendar_id


def test_an_org_admin_creates_a_store_with_a_calendar(admin_user, store_a):
    response = ApiClient(admin_user).post(
        "/stores", {"name": "闵行店", "code": "MH", "calendar": store_a.calendar_id}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["calendar"]) == ("MH", store_a.calendar_id)
    assert Store.objects.get(pk=body["id"]).organisation_id == admin_user.organisation_id


def test_a_duplicate_store_code_is_a_field_error(admin_user, store_a):
    response = ApiClient(admin_user).post("/stores", {"name": "又一个浦东店", "code": "PD"})
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"code": ["Another store has this code."]}


@pytest.mark.parametrize("role_fixture", ["agent", "supervisor", "manager"])
def test_only_org_admins_create_stores(request, role_fixture, store_a):
    user = request.getfixturevalue(role_fixture)
    response = ApiClient(user).post("/stores", {"name": "闵行店", "code": "MH"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert not Store.objects.filter(code="MH").exists()
