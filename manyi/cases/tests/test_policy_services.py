"""save_sla_policy: SLA policies are checked field by field before anything is written."""

from __future__ import annotations

import pytest
from django.utils import translation

from manyi.audit.models import AuditEvent
from manyi.cases.models import SlaPolicy, SlaTarget
from manyi.cases.policy_services import save_sla_policy
from manyi.core.errors import ValidationFailed
from manyi.core.tests.factories import CalendarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


TARGETS = [
    {"metric": "first_response", "minutes": 120, "clock": "business"},
    {"metric": "resolution", "minutes": 2880, "clock": "calendar"},
]


def errors_of(org, data, policy=None):
    with pytest.raises(ValidationFailed) as info:
        save_sla_policy(organisation=org, actor=None, data=data, policy=policy)
    return info.value.fields


def test_a_policy_is_created_with_its_targets_and_audited(org, admin_user, store_a):
    policy = save_sla_policy(
        organisation=org,
        actor=admin_user,
        data={
            "name": "VIP",
            "rank": 5,
            "calendar": store_a.calendar_id,
            "match": {"customer_tier": ["vip"], "store": ["PD"], "severity": []},
            "targets": TARGETS,
        },
    )
    assert policy.match == {"customer_tier": ["vip"], "store": ["PD"]}
    assert policy.pause_on == ["waiting_customer", "waiting_third_party"]
    assert sorted(policy.targets.values_list("metric", "minutes", "clock")) == [
        ("first_response", 120, "business"),
        ("resolution", 2880, "calendar"),
    ]
    event = AuditEvent.objects.get(organisation=org, case=None, customer=None)
    assert event.actor == admin_user
    assert event.changes["rank"] == [None, 5]


def test_every_bad_field_is_named(org, other_org):
    fields = errors_of(
        org,
        {
            "name": " ",
            "rank": -1,
            "calendar": other_org["store"].calendar_id,
            "match": {
                "severity": ["urgent"],
                "channel": ["fax"],
                "category": ["wait_delivery", "no_such"],
                "customer_tier": ["gold"],
                "store": ["O2"],
                "colour": ["red"],
            },
            "targets": [
                {"metric": "first_response", "minutes": 0},
                {"metric": "first_response", "minutes": 10},
                {"metric": "lunch", "minutes": 10, "clock": "sundial"},
                {"metric": "resolution", "minutes": "soon"},
            ],
            "pause_on": ["waiting_customer", "closed", "sleeping"],
            "warn_at_percent": 0,
            "owner": 1,
        },
    )
    assert set(fields) == {
        "name",
        "rank",
        "calendar",
        "match.severity",
        "match.channel",
        "match.category",
        "match.customer_tier",
        "match.store",  # a store code of another organisation is unknown here
        "match.colour",
        "targets.0.minutes",
        "targets.1.metric",
        "targets.2.metric",
        "targets.2.clock",
        "targets.3.minutes",
        "pause_on",
        "warn_at_percent",
        "owner",
    }
    assert fields["match.category"] == ["Unknown values: no_such."]
    assert fields["targets.1.metric"] == ["This metric has a target already."]
    assert fields["targets.0.minutes"] == ["Must be more than 0 minutes."]
    assert not SlaPolicy.objects.filter(name=" ").exists()


def test_name_and_targets_are_required_to_create(org):
    assert errors_of(org, {"rank": 1}) == {
        "name": ["This field is required."],
        "targets": ["This field is required."],
    }
    assert errors_of(org, {"name": "空", "targets": []}) == {
        "targets": ["Give at least one target."]
    }


def test_a_change_replaces_targets_and_keeps_the_rest(org):
    policy = save_sla_policy(organisation=org, actor=None, data={"name": "A", "targets": TARGETS})
    save_sla_policy(
        organisation=org,
        actor=None,
        policy=policy,
        data={"targets": [{"metric": "next_update", "minutes": 60}], "rank": 3},
    )
    policy.refresh_from_db()
    assert (policy.name, policy.rank) == ("A", 3)
    assert list(SlaTarget.objects.filter(policy=policy).values_list("metric", "clock")) == [
        ("next_update", "business")
    ]


def test_the_default_policy_keeps_no_conditions_and_stays_active(org):
    default = SlaPolicy.objects.get(organisation=org, is_default=True)
    fields = errors_of(org, {"match": {"severity": ["high"]}, "active": False}, policy=default)
    assert set(fields) == {"match", "active"}


def test_a_calendar_of_another_organisation_is_unknown(org, other_org):
    calendar = CalendarFactory.create(organisation=other_org["org"])
    fields = errors_of(org, {"name": "x", "targets": TARGETS, "calendar": calendar})
    assert fields == {"calendar": ["Unknown calendar."]}


def test_a_policy_of_another_organisation_cannot_be_changed_through_this_one(org, other_org):
    foreign = SlaPolicy.objects.filter(organisation=other_org["org"]).first()
    assert "__all__" in errors_of(org, {"rank": 1}, policy=foreign)
