"""The demo data set: deterministic, valid, idempotent, with open and breached cases and six
months of survey answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, User
from manyi.analytics.models import Transaction
from manyi.cases.choices import OPEN_STATUSES
from manyi.cases.models import Case, CaseSla
from manyi.core.demo import DEMO_ORG_NAME, DEMO_PASSWORD, build_plan, load_demo
from manyi.core.demo.alerts import SUMMARIES as SPIKE_SUMMARIES
from manyi.core.demo.history import SUMMARIES as HISTORY_SUMMARIES
from manyi.customers.models import Asset, Customer
from manyi.customers.validation import normalise_phone, validate_vin
from manyi.surveys.models import Invitation, Response, Survey, SurveyRule

NOW = dt.datetime(2026, 3, 18, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The demo creates 15 staff; the default hasher takes a good part of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fingerprint() -> list[tuple[str, str, str, str]]:
    return list(
        Case.objects.order_by("number").values_list(
            "number", "summary", "status", "customer__phone"
        )
    )


def transactions_fingerprint() -> list[tuple[str, dt.date, Decimal, str, str]]:
    return list(
        Transaction.objects.order_by("reference").values_list(
            "customer__phone", "occurred_on", "amount", "kind", "reference"
        )
    )


class _Rollback(Exception):
    pass


def test_the_plan_is_the_same_for_the_same_seed_and_differs_for_another():
    first = build_plan(size="small", now=NOW)
    again = build_plan(size="small", now=NOW)
    other = build_plan(size="small", now=NOW, seed=1)
    assert first == again
    assert [c.phone for c in first.customers] != [c.phone for c in other.customers]


def test_the_full_plan_has_the_promised_size():
    plan = build_plan(size="full", now=NOW)
    assert len(plan.customers) == 1500
    assert len(plan.cases) == 600
    assert len(plan.staff) == 15
    assert {s.role for s in plan.staff} == set(Role.values)
    received = [c.fields["received_at"] for c in plan.cases]
    assert min(received) >= NOW - dt.timedelta(days=366)
    assert max(received) <= NOW


@pytest.mark.django_db
def test_loading_twice_from_scratch_gives_the_same_data():
    with pytest.raises(_Rollback), transaction.atomic():
        load_demo(size="small", now=NOW)
        first = fingerprint()
        first_transactions = transactions_fingerprint()
        raise _Rollback
    assert not Organisation.objects.filter(name=DEMO_ORG_NAME).exists()
    load_demo(size="small", now=NOW)
    assert fingerprint() == first
    assert transactions_fingerprint() == first_transactions
    assert first_transactions
    plan = build_plan(size="small", now=NOW)
    earliest = min(plan.cases, key=lambda c: c.created_at)
    # The planned cases are numbered first; the older ones taken over after them.
    planned = [row for row in first if row[1] not in HISTORY_SUMMARIES]
    assert planned[0][0] == "TS2025-000001"
    assert planned[0][1] == earliest.fields["summary"]


@pytest.mark.django_db
def test_the_small_demo_is_valid_has_open_and_breached_cases_and_loads_once():
    result = load_demo(size="small", now=NOW)
    org = result.organisation
    assert result.created
    # The planned cases, those that bad survey answers opened and the early-warning spike.
    loop_cases = Case.objects.filter(organisation=org, from_response__isnull=False).count()
    spike = Case.objects.filter(organisation=org, summary__in=SPIKE_SUMMARIES).count()
    assert spike > 0
    # and the older, closed complaints taken over from the previous system (12 per store)
    history = Case.objects.filter(organisation=org, summary__in=HISTORY_SUMMARIES)
    assert history.count() == 12 * 2
    assert not history.exclude(status="closed").exists()
    spike += history.count()
    assert (result.customers, result.cases) == (60, 30 + loop_cases + spike)

    customers = Customer.objects.filter(organisation=org)
    phones = list(customers.values_list("phone", flat=True))
    assert len(phones) == len(set(phones)) == 60
    assert all(normalise_phone(p) == p for p in phones)
    vins = list(Asset.objects.filter(customer__organisation=org).values_list("vin", flat=True))
    assert vins
    assert all(validate_vin(v) == v for v in vins)

    open_cases = Case.objects.filter(organisation=org, status__in=OPEN_STATUSES)
    assert open_cases.exists()
    assert Case.objects.filter(organisation=org, status="closed").exists()
    assert CaseSla.objects.filter(case__in=open_cases, state="breached").exists()
    assert result.breached_open_cases > 0
    assert Case.objects.filter(organisation=org, escalation_level__gt=0).exists()

    # Loading again (as a second `manyi demo` does) changes nothing.
    again = load_demo(size="small", now=NOW + dt.timedelta(days=1))
    assert not again.created
    assert again.organisation == org
    assert (again.customers, again.cases) == (60, 30 + loop_cases + spike)
    assert again.survey_responses == result.survey_responses > 0
    assert Organisation.objects.filter(name=DEMO_ORG_NAME).count() == 1
    assert Customer.objects.count() == 60


@pytest.mark.django_db
def test_stores_have_their_own_calendars_and_staff_every_role():
    org = load_demo(size="small", now=NOW).organisation
    pudong = Store.objects.get(organisation=org, code="PD")
    suzhou = Store.objects.get(organisation=org, code="SZ")
    assert pudong.calendar is not None and suzhou.calendar is not None
    assert pudong.calendar != suzhou.calendar
    assert pudong.calendar.weekly_hours["sat"] == [["08:30", "12:00"], ["13:00", "18:00"]]
    assert suzhou.calendar.weekly_hours["sat"] == []
    assert suzhou.calendar.weekly_hours["mon"] == [["09:00", "12:00"], ["13:30", "17:30"]]
    assert pudong.calendar.official_cn_holidays and suzhou.calendar.official_cn_holidays
    staff = User.objects.filter(organisation=org)
    assert staff.count() == 15
    assert {u.role for u in staff} == set(Role.values)
    assert all(u.supervisor is not None for u in staff.filter(role=Role.AGENT))
    admin = staff.get(username="admin")
    assert admin.role == Role.ORG_ADMIN
    assert admin.check_password(DEMO_PASSWORD)
    assert admin.email == "admin@demo.manyi.local"


@pytest.mark.django_db
def test_the_demo_has_published_surveys_answers_of_every_kind_and_cases_from_bad_answers():
    org = load_demo(size="small", now=NOW).organisation
    surveys = {s.template_key: s for s in Survey.objects.filter(organisation=org)}
    assert set(surveys) == {
        "recovery_fairness", "nps", "csat_ces", "dealer_csi", "kano", "servqual", "employee",
    }  # fmt: skip
    assert all(s.current_version is not None for s in surveys.values())
    rule = SurveyRule.objects.get(organisation=org)
    assert (rule.survey, rule.trigger) == (surveys["recovery_fairness"], "case_closed")

    responses = Response.objects.filter(organisation=org)
    submitted = responses.filter(submitted_at__isnull=False)
    assert submitted.filter(survey=surveys["nps"]).count() >= 30
    assert {"import", "phone", "online"} <= set(submitted.values_list("mode", flat=True))
    assert responses.filter(submitted_at__isnull=True).exists()  # partial answers
    times = [t for t in submitted.values_list("submitted_at", flat=True) if t is not None]
    assert NOW - dt.timedelta(days=183) <= min(times) and max(times) <= NOW
    # Every answer of a survey's own version, with the SQL columns filled in.
    nps = submitted.filter(survey=surveys["nps"])
    assert not nps.filter(nps__isnull=True).exists()
    assert set(nps.values_list("survey_version", flat=True)) == {surveys["nps"].current_version_id}

    invitations = Invitation.objects.filter(organisation=org)
    assert invitations.filter(survey=surveys["recovery_fairness"], rule=rule).exists()
    assert invitations.filter(state="completed").exists()
    unanswered = invitations.filter(state__in=["sent", "opened"])
    assert unanswered.filter(expires_at__lt=NOW).exists()  # expired
    assert unanswered.filter(expires_at__gte=NOW).exists()  # still pending

    # Bad live answers opened cases exactly as live; imported ones did not.
    opened = responses.filter(loop_case__isnull=False)
    assert opened.exists()
    assert not opened.filter(mode="import").exists()
    assert set(opened.values_list("loop_case__channel", flat=True)) == {"survey"}
    assert not responses.filter(mode="import", loop_case__isnull=False).exists()
    assert responses.filter(mode="import", dissatisfied=True).exists()
