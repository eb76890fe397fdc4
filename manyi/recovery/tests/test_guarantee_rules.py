"""What breaks a guarantee: `within_minutes` measures the time the promise states (the default
"48-hour first reply" pays for a first reply later than 48 hours, not for a missed 8-hour SLA
target), and a guarantee changed or re-activated does not pay for the past."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import at
from manyi.cases import services
from manyi.cases.models import Case, CaseSla
from manyi.cases.sweep import sweep
from manyi.core.errors import ValidationFailed
from manyi.recovery.guarantees import detect_breaches, ensure_default_guarantees, save_guarantee
from manyi.recovery.models import Guarantee, GuaranteeBreach, RecoveryAction

pytestmark = pytest.mark.django_db

IN_FORCE = at(2026, 1, 1, 0, 0)
RECEIVED = at(2026, 3, 4, 9, 0)  # Wednesday; the SLA first response is due Thu 09:30
DUE_48H = RECEIVED + dt.timedelta(hours=48)


def open_case(owner, customer, category, *, channel="phone", received=RECEIVED):
    return services.create_case(
        actor=owner,
        customer=customer,
        channel=channel,
        category=category,
        summary="两天没人回复",
        received_at=received,
        now=received,
    )


@pytest.fixture
def first_reply(org):
    """The default guarantee as every organisation gets it, in force since January."""
    ensure_default_guarantees(org)
    g = Guarantee.objects.get(organisation=org, code="first_reply_48h")
    Guarantee.objects.filter(pk=g.pk).update(starts_at=IN_FORCE)
    g.refresh_from_db()
    return g


def reply(case, agent, when):
    services.respond_to_case(actor=agent, case=case, message="已安排技师联系您", now=when)


# --- the default guarantee measures 48 hours --------------------------------------------------


def test_the_default_first_reply_guarantee_measures_48_hours(first_reply):
    assert first_reply.within_minutes == 48 * 60
    assert (first_reply.trigger, first_reply.metric) == ("sla_breach", "first_response")
    assert "48 小时" in first_reply.text_zh


def test_a_first_reply_after_the_sla_target_but_within_48_hours_pays_nothing(
    first_reply, agent, customer, category
):
    case = open_case(agent, customer, category)
    sweep(now=RECEIVED + dt.timedelta(hours=25))
    assert CaseSla.objects.get(case=case, metric="first_response").state == "breached"
    assert detect_breaches(now=RECEIVED + dt.timedelta(hours=25)) == 0
    reply(case, agent, RECEIVED + dt.timedelta(hours=30))  # 8 business hours missed, not 48 h

    assert detect_breaches(now=RECEIVED + dt.timedelta(hours=30)) == 0
    assert detect_breaches(now=RECEIVED + dt.timedelta(days=10)) == 0
    assert not GuaranteeBreach.objects.exists()


def test_no_first_reply_within_48_hours_pays_once_when_the_48_hours_are_up(
    first_reply, agent, customer, category
):
    case = open_case(agent, customer, category)
    sweep(now=DUE_48H - dt.timedelta(minutes=1))

    assert detect_breaches(now=DUE_48H - dt.timedelta(minutes=1)) == 0
    assert detect_breaches(now=DUE_48H) == 1
    assert detect_breaches(now=DUE_48H + dt.timedelta(hours=1)) == 0
    reply(case, agent, DUE_48H + dt.timedelta(hours=2))  # a late reply does not pay again
    assert detect_breaches(now=DUE_48H + dt.timedelta(hours=3)) == 0

    breach = GuaranteeBreach.objects.get()
    assert (breach.guarantee, breach.case, breach.source_key) == (
        first_reply,
        case,
        f"within:{case.pk}:first_response",
    )
    assert (breach.at, breach.payout) == (DUE_48H, Decimal("100.00"))
    action = RecoveryAction.objects.get()
    assert (action.state, action.requested_by, action.decided_by) == ("approved", None, None)


def test_a_first_reply_later_than_48_hours_pays_even_when_detection_runs_after_it(
    first_reply, agent, customer, category
):
    late = open_case(agent, customer, category)
    in_time = open_case(agent, customer, category)
    reply(late, agent, DUE_48H + dt.timedelta(minutes=1))
    reply(in_time, agent, DUE_48H)  # exactly 48 hours: kept

    assert detect_breaches(now=DUE_48H + dt.timedelta(days=2)) == 1

    assert list(GuaranteeBreach.objects.values_list("case_id", flat=True)) == [late.pk]


def test_within_respects_channels_and_the_time_in_force(first_reply, agent, customer, category):
    Guarantee.objects.filter(pk=first_reply.pk).update(
        channels=["web"], starts_at=at(2026, 3, 4, 8, 0)
    )
    phone = open_case(agent, customer, category, channel="phone")
    web = open_case(agent, customer, category, channel="web")
    before = open_case(agent, customer, category, channel="web", received=at(2026, 3, 4, 7, 0))

    assert detect_breaches(now=DUE_48H + dt.timedelta(days=1)) == 1

    paid = set(GuaranteeBreach.objects.values_list("case_id", flat=True))
    assert paid == {web.pk}
    assert phone.pk not in paid and before.pk not in paid


def test_a_resolution_guarantee_in_minutes_pages_through_many_cases(
    org, admin_user, agent, customer, category
):
    g = save_guarantee(
        actor=admin_user,
        organisation=org,
        data={
            "code": "resolve_3d",
            "name": "三天解决",
            "text_zh": "三天内解决，否则赠送保养一次。",
            "trigger": "sla_breach",
            "metric": "resolution",
            "within_minutes": 3 * 24 * 60,
            "amount": "300",
            "action_kind": "free_service",
            "starts_at": IN_FORCE,
        },
    )
    cases = [open_case(agent, customer, category) for _ in range(5)]
    due = RECEIVED + dt.timedelta(days=3)
    Case.objects.filter(pk=cases[0].pk).update(resolved_at=due - dt.timedelta(hours=1))
    Case.objects.filter(pk=cases[1].pk).update(resolved_at=due + dt.timedelta(hours=1))

    assert detect_breaches(now=due + dt.timedelta(hours=2), batch=2) == 4
    assert detect_breaches(now=due + dt.timedelta(hours=2), batch=2) == 0

    breaches = GuaranteeBreach.objects.filter(guarantee=g)
    assert {b.case_id for b in breaches} == {c.pk for c in cases[1:]}
    assert {b.source_key.rsplit(":", 1)[1] for b in breaches} == {"resolution"}
    assert {b.payout for b in breaches} == {Decimal("300.00")}


def test_a_guarantee_without_within_still_pays_on_the_sla_clock(
    first_reply, agent, customer, category
):
    Guarantee.objects.filter(pk=first_reply.pk).update(within_minutes=None)
    case = open_case(agent, customer, category)
    sweep(now=at(2026, 3, 5, 10, 0))

    assert detect_breaches(now=at(2026, 3, 5, 10, 0)) == 1
    assert GuaranteeBreach.objects.get().source_key.startswith("sla:")
    assert GuaranteeBreach.objects.get().case == case


VALID = {
    "code": "reply_24h",
    "name": "24小时答复",
    "text_zh": "24 小时内答复。",
    "trigger": "sla_breach",
    "metric": "first_response",
    "amount": "50",
}


@pytest.mark.parametrize(
    "change",
    [
        {"within_minutes": 0},
        {"within_minutes": -5},
        {"within_minutes": 60 * 24 * 60 + 1},
        {"within_minutes": "soon"},
        {"within_minutes": True},
        {"within_minutes": 60, "metric": "next_update"},
        {"within_minutes": 60, "trigger": "followup_missed"},
        {"within_minutes": 60, "trigger": "staff_event"},
    ],
)
def test_within_minutes_is_refused_when_it_cannot_apply(org, admin_user, change):
    with pytest.raises(ValidationFailed) as e:
        save_guarantee(actor=admin_user, organisation=org, data={**VALID, **change})
    assert "within_minutes" in e.value.fields
    assert not Guarantee.objects.exists()


@pytest.mark.parametrize("value", [1, 1440, "1440", 60 * 24 * 60])
def test_within_minutes_is_kept_within_60_days(org, admin_user, value):
    g = save_guarantee(actor=admin_user, organisation=org, data={**VALID, "within_minutes": value})
    assert g.within_minutes == int(value)


# --- changing or re-activating a guarantee does not pay for the past ---------------------------


NOW = at(2026, 3, 10, 12, 0)


@pytest.fixture
def old_case(first_reply, agent, customer, category):
    """A case not answered in 48 hours, long before NOW, that no detection has paid yet."""
    return open_case(agent, customer, category)


@pytest.mark.parametrize(
    "change",
    [
        {"within_minutes": 24 * 60},
        {"within_minutes": None},
        {"metric": "resolution"},
        {"channels": ["phone"]},
        {"trigger": "followup_missed", "within_minutes": None},
    ],
)
def test_changing_what_breaks_a_guarantee_applies_from_the_change_on(
    first_reply, old_case, admin_user, org, change
):
    sweep(now=NOW - dt.timedelta(days=1))  # the SLA clocks breached before the change
    g = save_guarantee(
        actor=admin_user, organisation=org, guarantee=first_reply, data=change, now=NOW
    )

    assert g.starts_at == NOW
    assert detect_breaches(now=NOW + dt.timedelta(days=30)) == 0
    assert not GuaranteeBreach.objects.filter(case=old_case).exists()


def test_a_re_activated_guarantee_does_not_pay_for_the_time_it_was_off(
    first_reply, old_case, admin_user, org, agent, customer, category
):
    off = save_guarantee(
        actor=admin_user,
        organisation=org,
        guarantee=first_reply,
        data={"active": False},
        now=at(2026, 3, 4, 10, 0),
    )
    assert off.starts_at == IN_FORCE  # switching off changes nothing else
    on = save_guarantee(
        actor=admin_user, organisation=org, guarantee=off, data={"active": True}, now=NOW
    )
    assert on.starts_at == NOW
    new = open_case(agent, customer, category, received=NOW + dt.timedelta(hours=1))

    assert detect_breaches(now=NOW + dt.timedelta(days=5)) == 1
    assert GuaranteeBreach.objects.get().case == new


def test_changing_the_amount_or_texts_keeps_the_time_in_force(
    first_reply, old_case, admin_user, org
):
    g = save_guarantee(
        actor=admin_user,
        organisation=org,
        guarantee=first_reply,
        data={"amount": "120", "name": "48小时首次答复", "channels": []},
        now=NOW,
    )

    assert g.starts_at == IN_FORCE
    assert detect_breaches(now=NOW) == 1  # the old case, unpaid so far, pays the new amount
    assert GuaranteeBreach.objects.get().payout == Decimal("120.00")


def test_a_later_start_given_with_the_change_is_kept(first_reply, admin_user, org):
    later = NOW + dt.timedelta(days=7)
    g = save_guarantee(
        actor=admin_user,
        organisation=org,
        guarantee=first_reply,
        data={"within_minutes": 24 * 60, "starts_at": later},
        now=NOW,
    )
    assert g.starts_at == later
    g = save_guarantee(
        actor=admin_user,
        organisation=org,
        guarantee=g,
        data={"within_minutes": 12 * 60, "starts_at": at(2026, 1, 1, 0, 0)},
        now=NOW,
    )
    assert g.starts_at == later  # never back into the past


# --- existing organisations ------------------------------------------------------------------


def test_the_migration_binds_an_unchanged_default_to_48_hours_from_now(org, other_org):
    import importlib

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("manyi.recovery.migrations.0002_guarantee_within_minutes")
    ensure_default_guarantees(org)
    ensure_default_guarantees(other_org["org"])
    Guarantee.objects.filter(code="first_reply_48h").update(within_minutes=None, starts_at=IN_FORCE)
    # the other organisation rewrote its promise: left as its admin made it
    Guarantee.objects.filter(organisation=other_org["org"], code="first_reply_48h").update(
        text_zh="8 小时内首次答复。"
    )
    before = timezone.now()

    migration.measure_the_48_hours(apps, None)

    ours = Guarantee.objects.get(organisation=org, code="first_reply_48h")
    assert ours.within_minutes == 2880
    assert ours.starts_at is not None and ours.starts_at >= before
    theirs = Guarantee.objects.get(organisation=other_org["org"], code="first_reply_48h")
    assert (theirs.within_minutes, theirs.starts_at) == (None, IN_FORCE)
    billing = Guarantee.objects.get(organisation=org, code="billing_error_double")
    assert billing.within_minutes is None
