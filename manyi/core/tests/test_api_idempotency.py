"""POST with an Idempotency-Key: the same key twice does the work once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import Case
from manyi.core.models import IdempotencyKey
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.customers.models import Customer

pytestmark = pytest.mark.django_db


def case_body(customer, summary="交车延误两天"):
    return {
        "customer": customer.pk,
        "category": "wait_delivery",
        "channel": "phone",
        "summary": summary,
    }


def test_the_same_key_twice_creates_one_case_and_replays_the_answer(agent, customer):
    api = ApiClient(agent)
    first = api.post("/cases", case_body(customer), key="k-1")
    second = api.post("/cases", case_body(customer), key="k-1")
    assert first.status_code == second.status_code == 201
    assert Case.objects.count() == 1
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_different_keys_create_two_cases(agent, customer):
    api = ApiClient(agent)
    a = api.post("/cases", case_body(customer), key="k-1").json()
    b = api.post("/cases", case_body(customer), key="k-2").json()
    assert a["id"] != b["id"]
    assert Case.objects.count() == 2


def test_without_a_key_every_post_creates(agent, customer):
    api = ApiClient(agent)
    api.post("/cases", case_body(customer))
    api.post("/cases", case_body(customer))
    assert Case.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_key_reused_on_another_path_is_independent(agent, customer):
    api = ApiClient(agent)
    created = api.post("/cases", case_body(customer), key="shared")
    assert created.status_code == 201
    case_id = created.json()["id"]
    commented = api.post(f"/cases/{case_id}/comment", {"text": "已联系车间"}, key="shared")
    assert commented.status_code == 200
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(case_id=case_id, kind=EventKind.COMMENTED).count() == 1
    customer_made = api.post("/customers", {"name": "王芳", "phone": "13611112222"}, key="shared")
    assert customer_made.status_code == 201
    assert IdempotencyKey.objects.filter(key="shared").count() == 3


def test_keys_belong_to_their_user(agent, supervisor, customer):
    ApiClient(agent).post("/cases", case_body(customer), key="same")
    ApiClient(supervisor).post("/cases", case_body(customer), key="same")
    assert Case.objects.count() == 2


def test_a_case_action_with_a_key_happens_once(agent, customer):
    api = ApiClient(agent)
    case_id = api.post("/cases", case_body(customer)).json()["id"]
    for _ in range(3):
        response = api.post(f"/cases/{case_id}/respond", {"message": "已致电客户"}, key="r-1")
        assert response.status_code == 200
    assert AuditEvent.objects.filter(case_id=case_id, kind=EventKind.RESPONDED).count() == 1


def test_a_key_reused_with_another_body_is_refused(agent, customer):
    api = ApiClient(agent)
    api.post("/cases", case_body(customer, "第一次"), key="k-1")
    response = api.post("/cases", case_body(customer, "另一个投诉"), key="k-1")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "idempotency_key_reused"
    assert "idempotency_key" in error["fields"]
    assert Case.objects.count() == 1


def test_a_refused_request_keeps_no_key_so_it_can_be_retried(agent, customer):
    api = ApiClient(agent)
    refused = api.post("/cases", {**case_body(customer), "severity": "urgent"}, key="k-1")
    assert refused.status_code == 422
    assert not IdempotencyKey.objects.exists()
    fixed = api.post("/cases", case_body(customer), key="k-1")
    assert fixed.status_code == 201
    assert Case.objects.count() == 1


def test_a_refused_customer_keeps_nothing(agent):
    api = ApiClient(agent)
    response = api.post("/customers", {"name": "王芳", "phone": "12345"}, key="c-1")
    assert response.status_code == 422
    assert not Customer.objects.filter(name="王芳").exists()
    assert not IdempotencyKey.objects.exists()


def test_an_overlong_key_is_a_field_error(agent, customer):
    response = ApiClient(agent).post("/cases", case_body(customer), key="x" * 201)
    assert response.status_code == 422
    assert "idempotency_key" in error_of(response)["fields"]
    assert not Case.objects.exists()


def test_a_key_without_a_valid_token_answers_401(customer, agent):
    api = ApiClient(agent)
    api.token = "wrong"
    assert api.post("/cases", case_body(customer), key="k-1").status_code == 401
    assert not IdempotencyKey.objects.exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_create_one_case(agent, customer):
    """Both requests start together; the second INSERT of the key waits for the first
    transaction and then replays its answer."""
    clients = [ApiClient(agent), ApiClient(agent)]
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, int]] = []

    def post(api: ApiClient) -> None:
        try:
            barrier.wait()
            response = api.post("/cases", case_body(customer), key="race")
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(api,)) for api in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _id in results] == [201, 201]
    assert len({case_id for _status, case_id in results}) == 1
    assert Case.objects.count() == 1
