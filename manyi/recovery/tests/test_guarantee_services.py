"""Service guarantees: defining them, paying an SLA breach or a missed follow-up exactly once,
channel and in-force filters, and staff-recorded events (a billing error pays double)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import at
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.models import CaseSla
from manyi.cases.sweep import sweep
from manyi.core.errors import ValidationFailed
from manyi.followups.models import FollowUp
from manyi.notifications.models import CustomerMessage, Notification
from manyi.recovery import guarantees
from manyi.recovery.guarantees import (
    NotAllowed,
    detect_breaches,
    ensure_default_guarantees,
    record_staff_event,
    save_guarantee,
)
from manyi.recovery.models import Guarantee, GuaranteeBreach, RecoveryAction

pytestmark = pytest.mark.django_db

WED_0900 = at(2026, 3, 4, 9, 0)  # first response due Thu 09:30 (480 business minutes)
AFTER_DUE = at(2026, 3, 5, 10, 0)
IN_FORCE = at(2026, 1, 1, 0, 0)


def open_case(owner, customer, category, *, channel="phone", received=WED_0900):
    return services.create_case(
        actor=owner,
        customer=customer,
        channel=channel,
        category=category,
        summary="交车延误两天",
        received_at=received,
        now=received,
    )


def first_reply_guarantee(org, **over):
    """The default first-reply guarantee, bound to the SLA clock's breach unless `over` gives
    it `within_minutes` (the default's 48 hours)."""
    ensure_default_guarantees(org)
    g = Guarantee.objects.get(organisation=org, code="first_reply_48h")
    for k, v in {"starts_at": IN_FORCE, "within_minutes": None, **over}.items():
        setattr(g, k, v)
    g.save()
    return g


def billing_guarantee(org):
    ensure_default_guarantees(org)
    g = Guarantee.objects.get(organisation=org, code="billing_error_double")
    g.starts_at = IN_FORCE
    g.save()
    return g


def breached(case):
    sweep(now=AFTER_DUE)
    clock = CaseSla.objects.get(case=case, metric="first_response")
    assert clock.state == "breached"
    return clock


# --- defining guarantees ------------------------------------------------------------------


def test_every_organisation_can_get_the_two_default_guarantees_once(org):
    created = ensure_default_guarantees(org)
    assert {g.code for g in created} == {"first_reply_48h", "billing_error_double"}
    assert ensure_default_guarantees(org) == []
    first = Guarantee.objects.get(organisation=org, code="first_reply_48h")
    assert (first.trigger, first.metric, first.payout_kind, first.amount) == (
        "sla_breach",
        "first_response",
        "fixed",
        Decimal("100.00"),
    )
    double = Guarantee.objects.get(organisation=org, code="billing_error_double")
    assert (double.trigger, double.payout_kind, double.multiplier, double.action_kind) == (
        "staff_event",
        "multiple",
        Decimal("2.00"),
        "refund",
    )


VALID = {
    "code": "resolve_3d",
    "name": "三天解决",
    "text_zh": "三天内解决，否则赠送保养一次。",
    "trigger": "sla_breach",
    "metric": "resolution",
    "payout_kind": "fixed",
    "action_kind": "free_service",
    "amount": "300",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": ""}, "code"),
        ({"name": " "}, "name"),
        ({"text_zh": ""}, "text_zh"),
        ({"metric": ""}, "metric"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"payout_kind": "multiple", "multiplier": "2"}, "payout_kind"),
        ({"trigger": "staff_event", "payout_kind": "multiple", "multiplier": "0"}, "multiplier"),
        ({"channels": ["phone", "carrier_pigeon"]}, "channels"),
        ({"action_kind": "apology"}, "action_kind"),
        ({"trigger": "whenever"}, "trigger"),
        ({"starts_at": dt.datetime(2026, 1, 1)}, "starts_at"),
    ],
)
def test_a_guarantee_is_refused_field_by_field(org, admin_user, change, field):
    with pytest.raises(ValidationFailed) as e:
        save_guarantee(actor=admin_user, organisation=org, data={**VALID, **change})
    assert field in e.value.fields
    assert not Guarantee.objects.filter(organisation=org).exists()


def test_only_an_organisation_admin_defines_guarantees(org, manager, admin_user, other_org):
    with pytest.raises(NotAllowed):
        save_guarantee(actor=manager, organisation=org, data=VALID)
    with pytest.raises(NotAllowed):
        save_guarantee(actor=other_org["user"], organisation=org, data=VALID)
    g = save_guarantee(actor=admin_user, organisation=org, data={**VALID, "channels": ["web"]})
    assert (g.metric, g.channels, g.amount) == ("resolution", ["web"], Decimal("300.00"))
    g = save_guarantee(actor=admin_user, organisation=org, guarantee=g, data={"amount": "350"})
    assert g.amount == Decimal("350.00") and g.code == "resolve_3d"
    with pytest.raises(ValidationFailed) as e:
        save_guarantee(actor=admin_user, organisation=org, data=VALID)
    assert "code" in e.value.fields  # the code is taken


def test_a_staff_event_guarantee_drops_metric_and_channels(org, admin_user):
    g = save_guarantee(
        actor=admin_user,
        organisation=org,
        data={
            **VALID,
            "trigger": "staff_event",
            "channels": ["phone"],
            "payout_kind": "multiple",
            "multiplier": "3",
        },
    )
    assert (g.metric, g.channels, g.multiplier) == ("", [], Decimal("3.00"))


# --- SLA breaches ---------------------------------------------------------------------------


def test_an_sla_breach_pays_exactly_once_however_often_detection_runs(
    org, agent, manager, customer, category
):
    g = first_reply_guarantee(org)
    case = open_case(agent, customer, category)
    clock = breached(case)

    assert detect_breaches(now=AFTER_DUE) == 1
    assert detect_breaches(now=AFTER_DUE) == 0
    assert detect_breaches(now=AFTER_DUE + dt.timedelta(hours=1)) == 0

    breach = GuaranteeBreach.objects.get()
    assert breach.source_key == f"sla:{clock.pk}:{clock.cycle}"
    assert (breach.guarantee, breach.case, breach.store, breach.customer) == (
        g,
        case,
        case.store,
        customer,
    )
    assert breach.payout == Decimal("100.00") and breach.at == clock.breached_at
    action = RecoveryAction.objects.get()
    assert action.guarantee_breach == breach
    assert (action.state, action.kind, action.value) == ("approved", "discount", Decimal("100"))
    assert action.decided_by is None and action.requested_by is None
    assert action.decided_at == AFTER_DUE and action.store == case.store
    assert g.name in action.decision_reason
    message = CustomerMessage.objects.get()
    assert (message.kind, message.dedupe_key, message.channel) == (
        "guarantee_payout",
        f"guarantee:{breach.pk}",
        "sms",
    )
    assert "¥100.00" in message.body and g.text_zh in message.body
    event = AuditEvent.objects.get(case=case, kind="guarantee")
    assert event.changes["guarantee"] == [None, g.name]
    assert event.changes["payout"] == [None, "100.00"]
    told = set(
        Notification.objects.filter(kind="guarantee_breach").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"agent", "manager"}


def test_the_channel_filter_leaves_other_channels_unpaid(org, agent, customer, category):
    first_reply_guarantee(org, channels=["web", "wechat"])
    phone = open_case(agent, customer, category, channel="phone")
    web = open_case(agent, customer, category, channel="web")
    sweep(now=AFTER_DUE)

    assert detect_breaches(now=AFTER_DUE) == 1

    assert list(GuaranteeBreach.objects.values_list("case_id", flat=True)) == [web.pk]
    assert not RecoveryAction.objects.filter(case=phone).exists()


def test_a_guarantee_in_force_after_the_breach_does_not_pay_it(org, agent, customer, category):
    first_reply_guarantee(org, starts_at=AFTER_DUE + dt.timedelta(minutes=1))
    case = open_case(agent, customer, category)
    breached(case)

    assert detect_breaches(now=AFTER_DUE + dt.timedelta(days=1)) == 0
    assert not GuaranteeBreach.objects.exists()


def test_a_guarantee_created_after_the_breach_does_not_pay_it(org, agent, customer, category):
    case = open_case(agent, customer, category)
    breached(case)
    # created now (November 2026), long after the March breach, without a start date
    first_reply_guarantee(org, starts_at=None)

    assert detect_breaches() == 0


def test_an_inactive_guarantee_or_another_metric_pays_nothing(org, agent, customer, category):
    first_reply_guarantee(org, active=False)
    Guarantee.objects.create(
        organisation=org,
        code="res",
        name="解决",
        text_zh="x",
        trigger="sla_breach",
        metric="resolution",
        amount=Decimal("50"),
        starts_at=IN_FORCE,
    )
    case = open_case(agent, customer, category)
    breached(case)  # first response only; resolution is due on Saturday

    assert detect_breaches(now=AFTER_DUE) == 0


def test_another_organisations_breach_is_not_paid_by_our_guarantee(
    org, agent, customer, category, other_org
):
    first_reply_guarantee(org)
    sweep(now=dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=30))
    assert CaseSla.objects.filter(case=other_org["case"], state="breached").exists()

    assert detect_breaches(now=dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=30)) == 0


def test_detection_pages_through_more_breaches_than_one_batch(org, agent, customer, category):
    first_reply_guarantee(org)
    cases = [open_case(agent, customer, category) for _ in range(5)]
    sweep(now=AFTER_DUE)

    assert detect_breaches(now=AFTER_DUE, batch=2) == 5

    assert set(GuaranteeBreach.objects.values_list("case_id", flat=True)) == {c.pk for c in cases}
    assert RecoveryAction.objects.count() == 5
    assert CustomerMessage.objects.count() == 5


def test_a_case_whose_customer_cannot_be_reached_still_pays(org, agent, category):
    from manyi.core.tests.factories import CustomerFactory

    silent = CustomerFactory(store=agent.store, phone="", email="", wechat_id="")
    first_reply_guarantee(org)
    case = open_case(agent, silent, category)
    breached(case)

    assert detect_breaches(now=AFTER_DUE) == 1
    assert RecoveryAction.objects.filter(case=case, state="approved").exists()
    assert not CustomerMessage.objects.exists()


# --- missed follow-ups ----------------------------------------------------------------------


def _followup(case, *, missed, due):
    return FollowUp.objects.create(
        organisation=case.organisation,
        store=case.store,
        customer=case.customer,
        case=case,
        reason="complaint",
        assigned_to=case.owner,
        scheduled_for=due.date(),
        due_at=due,
        state="expired" if missed else "open",
        missed=missed,
    )


def test_a_missed_follow_up_pays_once(org, admin_user, agent, customer, category):
    g = save_guarantee(
        actor=admin_user,
        organisation=org,
        data={
            "code": "callback",
            "name": "回访承诺",
            "text_zh": "处理完毕后一周内回访。",
            "trigger": "followup_missed",
            "payout_kind": "fixed",
            "action_kind": "goodwill_points",
            "amount": "50",
            "starts_at": IN_FORCE,
        },
    )
    case = open_case(agent, customer, category)
    missed = _followup(case, missed=True, due=at(2026, 3, 11, 18, 0))
    _followup(case, missed=False, due=at(2026, 3, 12, 18, 0))

    assert detect_breaches(now=at(2026, 3, 13, 9, 0)) == 1
    assert detect_breaches(now=at(2026, 3, 13, 9, 0)) == 0

    breach = GuaranteeBreach.objects.get()
    assert (breach.guarantee, breach.source_key, breach.payout) == (
        g,
        f"followup:{missed.pk}",
        Decimal("50.00"),
    )
    action = breach.payout_action
    assert (action.kind, action.state, action.value) == (
        "goodwill_points",
        "approved",
        Decimal("50"),
    )


# --- staff events ---------------------------------------------------------------------------


def test_a_billing_error_of_120_pays_a_240_refund_approved_by_the_guarantee(
    org, agent, manager, customer, category
):
    g = billing_guarantee(org)
    case = open_case(agent, customer, category)

    breach = record_staff_event(
        actor=manager,  # ¥240 is within a store manager's ¥5,000
        case=case,
        guarantee=g,
        amount_involved=Decimal("120"),
        note="保养多收了 120 元",
        now=AFTER_DUE,
    )

    assert breach.source_key.startswith("event:") and len(breach.source_key) == 6 + 32
    assert (breach.amount_involved, breach.payout, breach.recorded_by) == (
        Decimal("120.00"),
        Decimal("240.00"),
        manager,
    )
    action = RecoveryAction.objects.get(case=case)
    assert (action.kind, action.value, action.state) == ("refund", Decimal("240"), "approved")
    assert action.decided_by is None and action.guarantee_breach == breach
    assert action.requested_by == manager
    assert CustomerMessage.objects.get(dedupe_key=f"guarantee:{breach.pk}")
    event = AuditEvent.objects.get(case=case, kind="guarantee")
    assert event.changes["payout"] == [None, "240.00"]
    assert event.changes["action_state"] == [None, "approved"]
    assert not Notification.objects.filter(kind="recovery_approval").exists()


def test_a_staff_event_sent_twice_with_its_form_key_pays_once(org, agent, customer, category):
    g = billing_guarantee(org)
    case = open_case(agent, customer, category)
    key = "0123456789abcdef0123456789abcdef"
    kwargs = {"actor": agent, "guarantee": g, "amount_involved": Decimal("80"), "note": "多收"}

    first = record_staff_event(case=case, event_key=key, **kwargs)
    again = record_staff_event(case=case, event_key=key, **kwargs)
    other = record_staff_event(case=case, **kwargs)  # a second, real billing error

    assert first.pk == again.pk != other.pk
    assert RecoveryAction.objects.filter(case=case).count() == 2


@pytest.mark.parametrize(
    ("amount", "note", "field"),
    [
        (None, "多收", "amount_involved"),
        (Decimal("0"), "多收", "amount_involved"),
        (Decimal("-3"), "多收", "amount_involved"),
        (Decimal("10"), " ", "note"),
    ],
)
def test_a_staff_event_needs_the_amount_and_a_note(
    org, agent, customer, category, amount, note, field
):
    g = billing_guarantee(org)
    case = open_case(agent, customer, category)
    with pytest.raises(ValidationFailed) as e:
        record_staff_event(actor=agent, case=case, guarantee=g, amount_involved=amount, note=note)
    assert field in e.value.fields
    assert not GuaranteeBreach.objects.exists() and not RecoveryAction.objects.exists()


def test_a_measured_guarantee_cannot_be_recorded_by_hand(org, agent, customer, category):
    g = first_reply_guarantee(org)
    case = open_case(agent, customer, category)
    with pytest.raises(ValidationFailed) as e:
        record_staff_event(
            actor=agent, case=case, guarantee=g, amount_involved=None, note="没有回复"
        )
    assert "guarantee" in e.value.fields


def test_a_fixed_staff_event_pays_its_amount_without_an_amount_involved(
    org, admin_user, agent, customer, category
):
    g = save_guarantee(
        actor=admin_user,
        organisation=org,
        data={**VALID, "code": "clean", "trigger": "staff_event", "amount": "88"},
    )
    case = open_case(agent, customer, category)
    breach = record_staff_event(
        actor=agent, case=case, guarantee=g, amount_involved=None, note="车内未清洁"
    )
    assert breach.payout == Decimal("88.00") and breach.amount_involved is None


def test_payout_rounds_a_multiple_to_the_cent(org):
    g = Guarantee(payout_kind="multiple", multiplier=Decimal("1.5"))
    assert guarantees.payout_for(g, Decimal("33.33")) == Decimal("50.00")


def test_a_form_key_used_on_another_case_is_refused(org, agent, customer, category):
    g = billing_guarantee(org)
    one, two = open_case(agent, customer, category), open_case(agent, customer, category)
    key = "fedcba9876543210fedcba9876543210"
    kwargs = {"actor": agent, "guarantee": g, "amount_involved": Decimal("10"), "note": "多收"}
    record_staff_event(case=one, event_key=key, **kwargs)

    with pytest.raises(ValidationFailed):
        record_staff_event(case=two, event_key=key, **kwargs)
    assert not GuaranteeBreach.objects.filter(case=two).exists()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks
def test_the_worker_schedules_detection_once_and_the_task_pays(
    settings, org, agent, customer, category
):
    from django_tasks_db.models import DBTaskResult

    from manyi.core.worker import make_db_worker, schedule_guarantee_detection

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    first_reply_guarantee(org)
    breached(open_case(agent, customer, category))

    assert schedule_guarantee_detection() is not None
    assert schedule_guarantee_detection() is None  # one is waiting: no pile-up
    make_db_worker(batch=True, interval=0).run()

    result = DBTaskResult.objects.get(task_path="manyi.recovery.tasks.detect_guarantee_breaches")
    assert result.status == "SUCCESSFUL", result.traceback
    assert result.return_value == {"paid": 1}
    assert GuaranteeBreach.objects.count() == 1
