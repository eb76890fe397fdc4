"""The SLA sweep: warnings, breaches, the escalation chain, the timeline and the SLA log, the
notifications it sends, idempotency, a batch that fails half-way, and a fixed number of SQL
statements per batch. Runs on SQLite (the ORM batches) and on PostgreSQL (the SQL batches).

The store calendar is Mon–Fri 09:00–12:00 and 13:30–18:00; the default policy promises a first
response in 480 business minutes and resolution in 4,320 calendar minutes, warning at 75%.
A case received Wednesday 2026-03-04 09:00 therefore has:
  first_response  warn Wed 16:30, due Thu 09:30
  resolution      warn Fri 15:00, due Sat 09:00
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from conftest import at
from manyi.accounts.choices import Role
from manyi.audit.models import AuditEvent
from manyi.cases import services
from manyi.cases.choices import SlaState
from manyi.cases.models import Case, CaseSla, SlaEvent, SlaPolicy
from manyi.cases.sweep import sweep
from manyi.core.tests.factories import CustomerFactory, UserFactory
from manyi.notifications.models import Notification
from manyi.notifications.services import deliver_pending
from manyi.notifications.sms import MemorySmsBackend

pytestmark = pytest.mark.django_db

WED_0900 = at(2026, 3, 4, 9, 0)
FR_WARN = at(2026, 3, 4, 16, 30)
FR_DUE = at(2026, 3, 5, 9, 30)
RES_WARN = at(2026, 3, 6, 15, 0)
RES_DUE = at(2026, 3, 7, 9, 0)


def open_case(owner, customer, category, *, received=WED_0900, summary="交车延误两天"):
    return services.create_case(
        actor=owner,
        customer=customer,
        channel="phone",
        category=category,
        summary=summary,
        received_at=received,
        now=received,
    )


def clock(case, metric):
    return CaseSla.objects.get(case=case, metric=metric)


def sla_log(case, metric):
    return list(
        SlaEvent.objects.filter(case=case, metric=metric)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def timeline(case):
    return [
        (e.kind, e.changes.get("event", [None, None])[1])
        for e in AuditEvent.objects.filter(case=case).order_by("id")
    ]


def recipients(case, kind):
    return sorted(
        Notification.objects.filter(case=case, kind=kind).values_list(
            "recipient__username", flat=True
        )
    )


def test_the_case_under_test_has_the_documented_deadlines(agent, customer, category):
    case = open_case(agent, customer, category)
    assert (clock(case, "first_response").warn_at, clock(case, "first_response").due_at) == (
        FR_WARN,
        FR_DUE,
    )
    assert (clock(case, "resolution").warn_at, clock(case, "resolution").due_at) == (
        RES_WARN,
        RES_DUE,
    )


def test_warning_at_75_percent_notifies_the_owner_by_email_and_sms(
    agent, customer, category, mailoutbox
):
    case = open_case(agent, customer, category)
    assert sweep(now=at(2026, 3, 4, 16, 29)).warned == 0

    result = sweep(now=FR_WARN)

    assert (result.warned, result.breached, result.escalated) == (1, 0, 0)
    c = clock(case, "first_response")
    assert c.state == SlaState.ACTIVE and c.warned_at == FR_WARN and c.warn_at is None
    assert sla_log(case, "first_response") == ["applied", "warned"]
    assert timeline(case)[-1] == ("sla", "warned")
    assert recipients(case, "sla_warning") == ["agent"]
    case.refresh_from_db()
    assert case.escalation_level == 0
    assert deliver_pending() == 1
    assert [m.to for m in mailoutbox] == [[agent.email]]
    assert case.number in mailoutbox[0].subject
    assert MemorySmsBackend.outbox == [{"to": agent.mobile, "text": mailoutbox[0].subject}]


def test_warning_percentage_is_configurable_per_policy(org, agent, customer, category):
    SlaPolicy.objects.filter(organisation=org, is_default=True).update(warn_at_percent=50)
    case = open_case(agent, customer, category)
    # 50% of 480 business minutes = 240: 180 before lunch, 60 after 13:30.
    assert sweep(now=at(2026, 3, 4, 14, 29)).warned == 0
    assert sweep(now=at(2026, 3, 4, 14, 30)).warned == 1
    assert clock(case, "first_response").warned_at == at(2026, 3, 4, 14, 30)


def test_breaches_escalate_owner_to_supervisor_then_store_manager(
    agent, supervisor, manager, customer, category, mailoutbox
):
    case = open_case(agent, customer, category)

    first = sweep(now=FR_DUE)

    assert (first.breached, first.escalated, first.warned) == (1, 1, 0)
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert clock(case, "first_response").state == SlaState.BREACHED
    assert clock(case, "first_response").breached_at == FR_DUE
    escalated = AuditEvent.objects.filter(case=case, kind="escalated").order_by("id")
    assert [e.changes for e in escalated] == [
        {"escalation_level": [0, 1], "to": [None, str(supervisor)], "automatic": [None, True]}
    ]
    assert recipients(case, "sla_breach") == ["agent", "supervisor"]
    deliver_pending()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([agent.email, supervisor.email])
    assert all(case.number in m.subject for m in mailoutbox)
    assert sorted(s["to"] for s in MemorySmsBackend.outbox) == sorted(
        [agent.mobile, supervisor.mobile]
    )

    assert sweep(now=RES_WARN).warned == 1
    second = sweep(now=RES_DUE)

    assert (second.breached, second.escalated) == (1, 1)
    case.refresh_from_db()
    assert case.escalation_level == 2
    escalated = AuditEvent.objects.filter(case=case, kind="escalated").order_by("id")
    assert escalated.last().changes["escalation_level"] == [1, 2]
    assert escalated.last().changes["to"] == [None, str(manager)]
    assert timeline(case) == [
        ("created", None),
        ("sla", "breached"),
        ("escalated", None),
        ("sla", "warned"),
        ("sla", "breached"),
        ("escalated", None),
    ]
    assert sla_log(case, "first_response") == ["applied", "breached"]
    assert sla_log(case, "resolution") == ["applied", "warned", "breached"]
    res_breach = Notification.objects.filter(case=case, dedupe_key__endswith="breached")
    assert sorted(
        res_breach.filter(
            dedupe_key__startswith=f"sla:{clock(case, 'resolution').pk}:"
        ).values_list("recipient__username", flat=True)
    ) == ["agent", "manager", "supervisor"]
    mailoutbox.clear()
    deliver_pending()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [agent.email, agent.email, supervisor.email, manager.email]
    )  # the resolution warning to the owner, then the breach to all three


def test_two_clocks_breached_at_once_escalate_two_steps_each_in_the_timeline(
    agent, supervisor, manager, customer, category
):
    case = open_case(agent, customer, category)

    result = sweep(now=RES_DUE)  # first_response and resolution are both overdue

    assert (result.breached, result.escalated) == (2, 2)
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert [
        e.changes["escalation_level"] for e in case.events.filter(kind="escalated").order_by("id")
    ] == [
        [0, 1],
        [1, 2],
    ]
    # one notification per recipient and clock
    assert Notification.objects.filter(case=case, kind="sla_breach").count() == 2 * 3


def test_owner_without_supervisor_escalates_to_the_store_supervisor(
    store_a, supervisor, customer, category
):
    loner = UserFactory(store=store_a, role=Role.AGENT, username="loner", supervisor=None)
    case = open_case(loner, customer, category)

    sweep(now=FR_DUE)

    assert case.events.get(kind="escalated").changes["to"] == [None, str(supervisor)]
    assert recipients(case, "sla_breach") == ["loner", "supervisor"]


def test_inactive_supervisor_is_skipped_for_the_store_supervisor(
    store_a, supervisor, customer, category
):
    gone = UserFactory(store=store_a, role=Role.SUPERVISOR, username="gone", is_active=False)
    agent = UserFactory(store=store_a, role=Role.AGENT, username="a2", supervisor=gone)
    case = open_case(agent, customer, category)

    sweep(now=FR_DUE)

    assert recipients(case, "sla_breach") == ["a2", "supervisor"]


def test_store_without_supervisor_or_manager_escalates_to_the_organisation_admin(
    agent_b, admin_user, customer_b, category
):
    case = open_case(agent_b, customer_b, category)

    sweep(now=RES_DUE)

    case.refresh_from_db()
    assert case.escalation_level == 2
    assert [e.changes["to"][1] for e in case.events.filter(kind="escalated").order_by("id")] == [
        str(admin_user),
        str(admin_user),
    ]
    assert Notification.objects.filter(case=case, recipient=admin_user).count() == 2


def test_sweeping_twice_at_the_same_time_changes_nothing_the_second_time(
    agent, supervisor, manager, customer, category, store_a
):
    cases = [open_case(agent, customer, category) for _ in range(3)]
    late = open_case(agent, customer, category, received=at(2026, 3, 6, 9, 0))
    now = at(2026, 3, 6, 16, 30)  # 3 cases: first_response breached, resolution warned;
    # the late one: first_response warned

    def state():
        return (
            list(SlaEvent.objects.order_by("id").values_list("id", "kind")),
            list(AuditEvent.objects.order_by("id").values_list("id", "kind")),
            list(Notification.objects.order_by("id").values_list("recipient", "dedupe_key")),
            list(Case.objects.order_by("id").values_list("id", "escalation_level", "version")),
            list(CaseSla.objects.order_by("id").values_list("state", "warned_at", "breached_at")),
        )

    first = sweep(now=now)
    assert (first.breached, first.warned, first.escalated) == (3, 3 + 1, 3)
    before = state()

    again = sweep(now=now)

    assert (again.breached, again.warned, again.escalated, again.notifications) == (0, 0, 0, 0)
    assert state() == before
    assert clock(late, "first_response").warned_at == now
    assert {c.escalation_level for c in Case.objects.filter(pk__in=[c.pk for c in cases])} == {1}


def test_paused_clocks_are_never_warned_or_breached(agent, supervisor, customer, category):
    case = open_case(agent, customer, category)
    services.change_status(
        actor=agent, case=case, status="waiting_customer", now=at(2026, 3, 4, 10, 0)
    )

    result = sweep(now=at(2026, 4, 30, 9, 0))

    assert (result.warned, result.breached) == (0, 0)
    assert set(CaseSla.objects.filter(case=case).values_list("state", flat=True)) == {"paused"}
    assert not SlaEvent.objects.filter(case=case, kind__in=["warned", "breached"]).exists()
    assert not Notification.objects.filter(case=case).exists()


def test_fulfilled_clocks_are_never_warned_or_breached(agent, supervisor, customer, category):
    case = open_case(agent, customer, category)
    services.respond_to_case(
        actor=agent, case=case, message="已致电客户道歉", now=at(2026, 3, 4, 10, 0)
    )

    result = sweep(now=FR_DUE)  # first_response's old due time; next_update is not yet due

    assert (result.warned, result.breached) == (0, 0)
    assert clock(case, "first_response").state == SlaState.FULFILLED
    assert sla_log(case, "first_response") == ["applied", "fulfilled"]


def test_resolved_case_is_never_escalated(agent, supervisor, customer, category):
    case = open_case(agent, customer, category)
    services.change_status(
        actor=agent, case=case, status="resolved", outcome="in_favour", now=at(2026, 3, 4, 10, 0)
    )

    result = sweep(now=at(2026, 4, 30, 9, 0))

    assert (result.warned, result.breached) == (0, 0)
    case.refresh_from_db()
    assert case.escalation_level == 0
    assert not Notification.objects.filter(case=case).exists()


def _fail_audit_inserts_for(case_id: int) -> None:
    """A database trigger that makes inserting the case's timeline entries fail."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "CREATE FUNCTION sweep_test_crash() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.case_id = {int(case_id)} THEN "
                "RAISE EXCEPTION 'simulated crash'; END IF; RETURN NEW; END $$"
            )
            cur.execute(
                "CREATE TRIGGER sweep_test_crash BEFORE INSERT ON audit_auditevent "
                "FOR EACH ROW EXECUTE FUNCTION sweep_test_crash()"
            )
        else:
            cur.execute(
                "CREATE TRIGGER sweep_test_crash BEFORE INSERT ON audit_auditevent "
                f"WHEN NEW.case_id = {int(case_id)} "
                "BEGIN SELECT RAISE(ABORT, 'simulated crash'); END"
            )


def _remove_failure() -> None:
    with connection.cursor() as cur:
        cur.execute(
            "DROP TRIGGER sweep_test_crash"
            + (" ON audit_auditevent" if connection.vendor == "postgresql" else "")
        )


def test_a_batch_that_fails_half_way_writes_nothing_and_the_next_run_does_it_once(
    agent, supervisor, customer, category
):
    cases = [open_case(agent, customer, category) for _ in range(6)]
    _fail_audit_inserts_for(cases[2].pk)  # the first case of the second batch of two

    with pytest.raises(DatabaseError):
        sweep(now=FR_DUE, batch=2)

    done, lost = cases[:2], cases[2:]
    assert all(clock(c, "first_response").state == SlaState.BREACHED for c in done)
    for c in lost:  # the failed batch and the ones after it: untouched
        c.refresh_from_db()
        assert c.escalation_level == 0
        assert clock(c, "first_response").state == SlaState.ACTIVE
        assert sla_log(c, "first_response") == ["applied"]
        assert timeline(c) == [("created", None)]
        assert not Notification.objects.filter(case=c).exists()

    _remove_failure()
    result = sweep(now=FR_DUE, batch=2)

    assert (result.breached, result.escalated) == (4, 4)
    for c in cases:
        c.refresh_from_db()
        assert c.escalation_level == 1
        assert sla_log(c, "first_response") == ["applied", "breached"]
        assert [k for k, _ in timeline(c)] == ["created", "sla", "escalated"]
        assert recipients(c, "sla_breach") == ["agent", "supervisor"]


def test_sql_statements_per_batch_do_not_grow_with_the_number_of_due_cases(
    store_a, agent, supervisor, manager, category
):
    customers = CustomerFactory.create_batch(55, store=store_a)
    for cust in customers[:5]:
        open_case(agent, cust, category, received=at(2026, 3, 2, 9, 0))  # Monday
    for cust in customers[5:]:
        open_case(agent, cust, category, received=at(2026, 3, 3, 9, 0))  # Tuesday

    with CaptureQueriesContext(connection) as five:
        r5 = sweep(now=at(2026, 3, 3, 10, 0), batch=100)  # Monday's first responses
    with CaptureQueriesContext(connection) as fifty:
        r50 = sweep(now=at(2026, 3, 4, 10, 0), batch=100)  # Tuesday's

    assert (r5.breached, r50.breached) == (5, 50)
    assert r50.notifications == 100
    assert len(fifty.captured_queries) == len(five.captured_queries)
    assert len(fifty.captured_queries) <= 16


def test_a_breach_after_a_manual_escalation_goes_on_from_the_current_level(
    agent, supervisor, manager, customer, category
):
    case = open_case(agent, customer, category)
    services.escalate_case(
        actor=agent, case=case, reason="客户要求见主管", now=at(2026, 3, 4, 10, 0)
    )

    result = sweep(now=FR_DUE)

    assert result.escalated == 1
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert [
        e.changes["escalation_level"] for e in case.events.filter(kind="escalated").order_by("id")
    ] == [
        [0, 1],
        [1, 2],
    ]
    assert recipients(case, "sla_breach") == ["agent", "manager", "supervisor"]
