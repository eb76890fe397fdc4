"""Learn from every case: resolving needs the outcome, closing needs the root cause, its note
and the corrective action (service, case page and API); reopening clears the outcome."""

from __future__ import annotations

import re

import pytest

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases import services
from manyi.cases.models import Case
from manyi.cases.tests.ui_helpers import client_for, open_case
from manyi.core.errors import ValidationFailed
from manyi.core.tests.api_client import ApiClient, error_of

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
LESSON = {
    "root_cause": "process",
    "root_cause_note": "交车前没有路试",
    "corrective_action": "质检表增加路试签字",
}


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category)


def resolved(agent, case, **extra):
    return services.change_status(
        actor=agent, case=case, status="resolved", outcome="in_favour", **extra
    )


# --- the service ---------------------------------------------------------------------------


def test_resolving_without_an_outcome_is_refused_on_the_outcome_field(agent, case):
    with pytest.raises(ValidationFailed) as refused:
        services.change_status(actor=agent, case=case, status="resolved", note="已处理")
    assert set(refused.value.as_fields()) == {"outcome"}
    case.refresh_from_db()
    assert case.status == "new" and case.resolved_at is None


def test_an_unknown_outcome_is_refused(agent, case):
    with pytest.raises(ValidationFailed) as refused:
        services.change_status(actor=agent, case=case, status="resolved", outcome="happy")
    assert set(refused.value.as_fields()) == {"outcome"}


def test_resolving_records_the_outcome_in_the_case_and_the_timeline(agent, case):
    case = resolved(agent, case)
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("resolved", "in_favour")
    event = AuditEvent.objects.get(case=case, kind=EventKind.STATUS)
    assert event.changes["status"] == ["new", "resolved"]
    assert event.changes["outcome"] == ["", "in_favour"]


def test_closing_without_the_root_cause_is_refused_on_each_missing_field(agent, case):
    case = resolved(agent, case)
    with pytest.raises(ValidationFailed) as refused:
        services.change_status(actor=agent, case=case, status="closed")
    assert set(refused.value.as_fields()) == {"root_cause", "root_cause_note", "corrective_action"}
    with pytest.raises(ValidationFailed) as refused:
        services.change_status(
            actor=agent, case=case, status="closed", root_cause="people", root_cause_note="  "
        )
    assert set(refused.value.as_fields()) == {"root_cause_note", "corrective_action"}
    case.refresh_from_db()
    assert case.status == "resolved" and case.closed_at is None and case.root_cause == ""


def test_closing_with_the_root_cause_keeps_it_on_the_case(agent, case):
    case = resolved(agent, case)
    case = services.change_status(actor=agent, case=case, status="closed", **LESSON)
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    assert (case.root_cause, case.root_cause_note, case.corrective_action) == (
        "process",
        "交车前没有路试",
        "质检表增加路试签字",
    )
    close = AuditEvent.objects.filter(case=case, kind=EventKind.STATUS).latest("id")
    assert close.changes["root_cause"] == ["", "process"]


def test_a_root_cause_given_at_resolution_need_not_be_repeated_when_closing(agent, case):
    case = resolved(agent, case, **LESSON)
    case = services.change_status(actor=agent, case=case, status="closed")
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.root_cause == "process" and case.outcome == "in_favour"


def test_reopening_clears_the_outcome_and_resolving_again_asks_for_it(agent, case):
    case = resolved(agent, case, **LESSON)
    case = services.change_status(actor=agent, case=case, status="closed")
    case = services.reopen_case(actor=agent, case=case, reason="客户说问题又出现了")
    case.refresh_from_db()
    assert case.status == "in_progress" and case.outcome == ""
    # The root cause found before is kept as a starting point.
    assert case.root_cause == "process"
    with pytest.raises(ValidationFailed) as refused:
        services.change_status(actor=agent, case=case, status="resolved")
    assert set(refused.value.as_fields()) == {"outcome"}
    case = services.change_status(actor=agent, case=case, status="resolved", outcome="partly")
    assert case.outcome == "partly"


def test_reopening_through_the_status_change_also_clears_the_outcome(agent, case):
    case = resolved(agent, case)
    case = services.change_status(
        actor=agent, case=case, status="in_progress", note="客户不满意处理结果"
    )
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("in_progress", "")


def test_imports_of_old_cases_may_skip_the_learning(agent, case):
    case = services.change_status(actor=agent, case=case, status="resolved", require_learning=False)
    case = services.change_status(actor=agent, case=case, status="closed", require_learning=False)
    case.refresh_from_db()
    assert case.status == "closed" and case.outcome == "" and case.root_cause == ""


# --- the case page -------------------------------------------------------------------------


def post(user, case, **data):
    data.setdefault("version", str(Case.objects.get(pk=case.pk).version))
    return client_for(user).post(f"/cases/{case.pk}/status/", data, **HX)


def field_errors(html: str, name: str) -> str:
    """The errors rendered inside the field's own block (partials/field.html)."""
    m = re.search(rf'id="f-{name}".*?</div>\s*(<ul class="errors">.*?</ul>)?', html, re.S)
    assert m is not None, name
    return m.group(1) or ""


def test_status_form_shows_the_outcome_on_an_open_case_and_the_root_cause_once_resolved(
    agent, case
):
    html = client_for(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'name="outcome"' in html and 'data-learn="outcome"' in html
    assert 'data-learn="root_cause"' not in html
    resolved(agent, case)
    html = client_for(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-learn="root_cause"' in html
    for name in ("root_cause", "root_cause_note", "corrective_action"):
        assert f'name="{name}"' in html
    # The outcome given at resolution is shown, so closing does not ask for it again.
    assert re.search(r'<option value="in_favour" selected>', html)


def test_the_status_tab_of_a_resolved_case_offers_closing_first_and_reopening_too(agent, case):
    def status_select(html):
        m = re.search(r'<select name="status"[^>]*>(.*?)</select>', html, re.S)
        assert m is not None
        return m.group(1)

    options = status_select(client_for(agent, "en").get(f"/cases/{case.pk}/").content.decode())
    assert " selected" not in options  # an open case: no choice made for the user
    resolved(agent, case)
    options = status_select(client_for(agent, "en").get(f"/cases/{case.pk}/").content.decode())
    assert re.search(r'<option value="closed" selected>', options)
    assert re.search(
        r'<option value="in_progress">Reopen \(back to in progress\)</option>', options
    )
    assert options.count(" selected") == 1


def test_resolving_on_the_page_without_an_outcome_shows_the_error_next_to_the_field(agent, case):
    response = post(agent, case, status="resolved", note="")
    form = response.context["forms"]["status"]
    assert list(form.errors) == ["outcome"]
    assert response.context["active_tab"] == "status"
    html = response.content.decode()
    assert "<li>" in field_errors(html, "outcome")
    assert 'class="learn learn-outcome has-errors"' in html
    case.refresh_from_db()
    assert case.status == "new"


def test_closing_on_the_page_without_the_root_cause_shows_three_field_errors(agent, case):
    resolved(agent, case)
    response = post(agent, case, status="closed", outcome="in_favour")
    form = response.context["forms"]["status"]
    assert set(form.errors) == {"root_cause", "root_cause_note", "corrective_action"}
    html = response.content.decode()
    for name in ("root_cause", "root_cause_note", "corrective_action"):
        assert "<li>" in field_errors(html, name), name
    case.refresh_from_db()
    assert case.status == "resolved"


def test_resolving_and_closing_on_the_page_show_outcome_and_root_cause_in_the_details(agent, case):
    post(agent, case, status="resolved", note="已退款", outcome="partly")
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("resolved", "partly")
    response = post(agent, case, status="closed", outcome="partly", **LESSON)
    assert response.context["flash"][0] == "success"
    case.refresh_from_db()
    assert case.status == "closed" and case.corrective_action == "质检表增加路试签字"
    html = client_for(agent, "en").get(f"/cases/{case.pk}/").content.decode()
    assert re.search(r'data-detail="outcome">\s*Partly resolved', html)
    assert re.search(r'data-detail="root_cause">\s*Process', html)
    assert "交车前没有路试" in html and "质检表增加路试签字" in html


# --- the API -------------------------------------------------------------------------------


def test_api_refuses_resolving_without_an_outcome_with_422_on_the_field(agent, case):
    api = ApiClient(agent)
    response = api.post(f"/cases/{case.pk}/status", {"status": "resolved"})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["outcome"]
    bad = api.post(f"/cases/{case.pk}/status", {"status": "resolved", "outcome": "happy"})
    assert bad.status_code == 422
    assert "outcome" in str(error_of(bad)["fields"])


def test_api_closing_needs_the_root_cause_and_returns_it(agent, case):
    api = ApiClient(agent)
    done = api.post(f"/cases/{case.pk}/status", {"status": "resolved", "outcome": "withdrawn"})
    assert done.status_code == 200
    body = done.json()
    assert body["outcome"] == "withdrawn" and body["root_cause"] is None
    refused = api.post(f"/cases/{case.pk}/status", {"status": "closed"})
    assert refused.status_code == 422
    assert set(error_of(refused)["fields"]) == {
        "root_cause",
        "root_cause_note",
        "corrective_action",
    }
    closed = api.post(f"/cases/{case.pk}/status", {"status": "closed", **LESSON})
    assert closed.status_code == 200
    body = api.get(f"/cases/{case.pk}").json()
    assert body["status"] == "closed"
    assert (body["outcome"], body["root_cause"]) == ("withdrawn", "process")
    assert body["root_cause_note"] == "交车前没有路试"
    assert body["corrective_action"] == "质检表增加路试签字"
    reopened = api.post(f"/cases/{case.pk}/status", {"status": "in_progress", "note": "复发"})
    assert reopened.json()["outcome"] is None
    assert reopened.json()["root_cause"] == "process"
