"""Token authentication and the one error shape of every failure."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from manyi.accounts.models import ApiToken
from manyi.cases.models import Case
from manyi.core.tests.api_client import ApiClient, error_of

pytestmark = pytest.mark.django_db


def new_case_body(customer, **overrides):
    body = {
        "customer": customer.pk,
        "category": "wait_delivery",
        "channel": "phone",
        "summary": "交车延误",
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-token", "Token abc", "Basic dXNlcjpwYXNz"],
)
def test_missing_or_wrong_token_answers_401_in_the_error_shape(agent, header):
    headers = {"Authorization": header} if header else {}
    response = Client().get("/api/v1/cases", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "unauthorized"


def test_a_token_of_a_deactivated_user_stops_working(agent):
    api = ApiClient(agent)
    assert api.get("/me").status_code == 200
    agent.is_active = False
    agent.save()
    assert api.get("/me").status_code == 401


def test_token_authenticated_posts_need_no_csrf_cookie(agent, customer):
    api = ApiClient(agent, enforce_csrf_checks=True)
    assert api.post("/cases", new_case_body(customer)).status_code == 201


def test_the_token_is_stored_only_as_a_digest(agent):
    api = ApiClient(agent)
    assert not ApiToken.objects.filter(digest=api.token).exists()
    assert ApiToken.objects.filter(digest=ApiToken.hash(api.token), user=agent).exists()


def test_authentication_costs_one_query_per_request(agent, django_assert_num_queries):
    api = ApiClient(agent)
    api.get("/me")  # the first use records last_used_at
    with django_assert_num_queries(2):  # the token (with its user) and /me's own read
        assert api.get("/me").status_code == 200


def test_pydantic_errors_become_field_messages(agent, customer):
    response = ApiClient(agent).post(
        "/cases",
        new_case_body(customer, severity="urgent", received_at="yesterday", summary="x" * 201),
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {
        "severity": ["Not one of the allowed values."],
        "received_at": [
            "Enter a date and time in ISO 8601 with its offset, e.g. 2026-03-09T17:30:00+08:00."
        ],
        "summary": ["At most 200 characters."],
    }
    assert not Case.objects.exists()


def test_missing_and_unknown_fields_are_named(agent):
    response = ApiClient(agent).post("/cases", {"channel": "phone", "colour": "red"})
    fields = error_of(response)["fields"]
    assert fields["customer"] == ["This field is required."]
    assert fields["summary"] == ["This field is required."]
    assert fields["colour"] == ["Unknown field."]


def test_nested_errors_are_named_by_their_path(admin_user):
    response = ApiClient(admin_user).post(
        "/sla-policies",
        {"name": "x", "targets": [{"metric": "first_response", "minutes": 0}]},
    )
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"targets.0.minutes": ["Must be greater than 0."]}


def test_query_string_errors_are_named(agent):
    response = ApiClient(agent).get("/cases", {"status": ["new", "lost"], "limit": 0})
    assert error_of(response)["fields"] == {
        "status.1": ["Not one of the allowed values."],
        "limit": ["Must be at least 1."],
    }


def test_a_body_that_is_not_json_is_refused_in_the_shape(agent):
    api = ApiClient(agent)
    response = api.client.post(
        "/api/v1/cases",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
    assert not Case.objects.exists()


def test_a_json_array_instead_of_an_object_is_a_validation_error(agent):
    response = ApiClient(agent).post("/cases", [1, 2])
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"__all__": ["Enter an object."]}


def test_a_method_an_address_does_not_accept_answers_405_in_the_shape(agent):
    api = ApiClient(agent)
    response = api.client.delete("/api/v1/cases", headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


def test_an_unknown_address_answers_404_in_the_shape(agent):
    response = ApiClient(agent).get("/no-such-thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_unknown_id_answers_404_in_the_shape(agent):
    response = ApiClient(agent).get("/cases/999999")
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_role_restricted_write_answers_403(agent):
    response = ApiClient(agent).post("/calendars", {"name": "周末也上班"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_unexpected_failure_answers_500_without_leaking(agent, customer, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("password=hunter2 in /srv/secret.py")

    monkeypatch.setattr("manyi.cases.api.services.comment_on_case", broken)
    case = ApiClient(agent).post("/cases", new_case_body(customer)).json()
    api = ApiClient(agent, raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="manyi.api"):
        response = api.post(f"/cases/{case['id']}/comment", {"text": "备注"})
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "hunter2" not in response.content.decode()
    assert "secret" not in response.content.decode()
    assert any("hunter2" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_messages_follow_the_language_of_the_request(agent):
    chinese = ApiClient(agent, language="zh-hans").post("/cases", {"channel": "phone"})
    english = ApiClient(agent, language="en").post("/cases", {"channel": "phone"})
    with translation.override("zh-hans"):
        required = gettext("This field is required.")
    assert required != "This field is required."
    assert error_of(chinese)["fields"]["customer"] == [required]
    assert chinese["Content-Language"] == "zh-hans"
    assert error_of(english)["fields"]["customer"] == ["This field is required."]
    assert english["Content-Language"] == "en"
