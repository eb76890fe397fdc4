"""GET /api/v1/surveys/{id}/results: every figure as JSON with the page's filters, the error
shape, and scoping (another organisation's survey is a 404; a store-bound agent gets their
store's responses).

The router (manyi.surveys.api_results) is mounted here on an API of its own at the same
address, so these tests do not depend on its registration in config/api.py."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.urls import include, path

from manyi.core.api_support import BearerAuth, ManyiAPI, install_error_handlers
from manyi.core.tests.api_client import ApiClient, error_of
from manyi.surveys import services
from manyi.surveys.api_results import router
from manyi.surveys.tests.test_results import WHEN, respond

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

api = ManyiAPI(
    title="Survey results (test)",
    version="test",
    urls_namespace="api-results-test",
    auth=BearerAuth(),
)
install_error_handlers(api)
api.add_router("", router, url_name_prefix="results_test")
urlpatterns = [path("api/v1/", api.urls), path("", include("config.urls"))]


@pytest.fixture
def nps(admin_user):
    return services.install_template(actor=admin_user, template_key="nps")


def test_results_answer_every_figure_with_its_n(admin_user, store_a, nps):
    for score in [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]:
        respond(nps, store_a, {"nps": score, "reason": "好"})
    response = ApiClient(admin_user).get(f"/surveys/{nps.pk}/results", {"bootstrap": 0})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["responses"] == 10 and body["min_n"] == 30
    assert body["nps"]["score"] == pytest.approx(20.0)
    assert (body["nps"]["n"], body["nps"]["low_n"]) == (10, True)
    assert body["nps"]["low"] < 20 < body["nps"]["high"]
    assert body["csat"] is None and body["kano"] == [] and body["drivers"] is None
    assert body["by_store"][0]["label"] == store_a.name and body["by_store"][0]["n"] == 10
    assert body["by_month"][0]["key"] == "2026-03"
    assert {d["key"] for d in body["distributions"]} == {"reason", "fix"}
    assert "timings" not in body


def test_the_period_filter_and_its_comparison(admin_user, store_a, nps):
    for i in range(40):
        respond(nps, store_a, {"nps": 2 if i % 2 else 9}, when=WHEN - dt.timedelta(days=31))
        respond(nps, store_a, {"nps": 10 if i % 4 else 3})
    params = {"start": "2026-03-01", "end": "2026-03-31", "bootstrap": 0}
    body = ApiClient(admin_user).get(f"/surveys/{nps.pk}/results", params).json()
    assert (body["compare_start"], body["compare_end"]) == ("2026-01-29", "2026-02-28")
    change = body["nps"]["change"]
    assert change["difference"] == pytest.approx(50.0) and change["significant"] is True
    assert change["test"] == "nps_z" and change["previous_n"] == 40
    body = (
        ApiClient(admin_user)
        .get(f"/surveys/{nps.pk}/results", {**params, "compare": "none"})
        .json()
    )
    assert body["nps"]["change"] is None and body["previous_responses"] is None


def test_a_store_bound_agent_gets_their_stores_responses(agent, store_a, store_b, nps):
    respond(nps, store_a, {"nps": 10})
    respond(nps, store_b, {"nps": 0})
    body = ApiClient(agent).get(f"/surveys/{nps.pk}/results", {"bootstrap": 0}).json()
    assert body["responses"] == 1 and body["nps"]["score"] == pytest.approx(100.0)


def test_another_organisations_survey_is_not_found(admin_user, other_org):
    theirs = services.install_template(actor=other_org["user"], template_key="nps")
    response = ApiClient(admin_user).get(f"/surveys/{theirs.pk}/results")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_bad_parameters_answer_the_error_shape(admin_user, nps):
    client = ApiClient(admin_user)
    response = client.get(
        f"/surveys/{nps.pk}/results", {"start": "2026-03-10", "end": "2026-03-01"}
    )
    assert response.status_code == 422
    assert "end" in error_of(response)["fields"]
    response = client.get(f"/surveys/{nps.pk}/results", {"bootstrap": 5000})
    assert response.status_code == 422
    assert "bootstrap" in error_of(response)["fields"]
    response = client.get(f"/surveys/{nps.pk}/results", {"compare": "sometimes"})
    assert response.status_code == 422


def test_without_a_token_the_answer_is_401(nps):
    from django.test import Client

    response = Client().get(f"/api/v1/surveys/{nps.pk}/results")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_key_drivers_in_json(admin_user, store_a):
    survey = services.install_template(actor=admin_user, template_key="employee")
    keys = ["es_tools", "es_authority", "es_support", "es_internal", "es_recognition"]
    keys.append("es_training")
    rng = np.random.default_rng(3)
    for i in range(40):
        answers = {k: int(rng.integers(1, 6)) for k in keys}
        answers["es_overall"] = int(np.clip(answers["es_tools"] + rng.integers(-1, 2), 1, 5))
        answers["enps"] = i % 11
        respond(survey, store_a, answers)
    body = ApiClient(admin_user).get(f"/surveys/{survey.pk}/results", {"bootstrap": 20}).json()
    drivers = body["drivers"]
    assert drivers["outcome_key"] == "es_overall" and drivers["n"] == 40
    assert [r["key"] for r in drivers["rows"]] == keys
    assert sum(r["percent"] for r in drivers["rows"]) == pytest.approx(100.0)
    assert drivers["bootstrap"] == 20
