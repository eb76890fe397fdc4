"""Loading the demo plan into the database through the services, with explicit `now=` values
so that every timeline, SLA clock and escalation looks as it would have happened."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from manyi.accounts.models import Organisation, Store, User
from manyi.accounts.services import create_organisation, create_staff, create_store
from manyi.audit.models import AuditEvent
from manyi.calendars.services import create_calendar
from manyi.cases.choices import OPEN_STATUSES, SlaState
from manyi.cases.models import Case, CaseSla, Category
from manyi.cases.services import (
    assign_case,
    change_status,
    create_case,
    escalate_case,
    respond_to_case,
)
from manyi.cases.sweep import sweep
from manyi.core.demo.history import add_history
from manyi.core.demo.plan import SEED, CasePlan, DemoPlan, Step, build_plan
from manyi.core.demo.recovery import RecoveryDemo
from manyi.core.demo.surveys import SurveysDemo
from manyi.core.demo.transactions import TransactionsDemo
from manyi.core.errors import DomainError
from manyi.customers.models import Asset, Customer
from manyi.customers.services import add_asset, create_customer
from manyi.notifications.models import DeliveryState, Notification

DEMO_ORG_NAME = "华东汽车服务集团"
# Older complaints per store (the year before the demo's twelve months), per demo size.
HISTORY_PER_STORE = {"full": 100, "small": 12}
DEMO_PASSWORD = "manyi-demo"  # noqa: S105 - the published password of the demo logins
ADMIN_USERNAME = "admin"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoResult:
    organisation: Organisation
    created: bool
    customers: int
    cases: int
    open_cases: int
    breached_open_cases: int
    survey_responses: int = 0
    transactions: int = 0
    skipped_steps: int = 0
    seconds: float = 0.0


def summarise(org: Organisation, **extra: Any) -> DemoResult:
    from manyi.analytics.models import Transaction
    from manyi.surveys.models import Response

    cases = Case.objects.filter(organisation=org)
    open_cases = cases.filter(status__in=OPEN_STATUSES)
    return DemoResult(
        organisation=org,
        customers=Customer.objects.filter(organisation=org).count(),
        cases=cases.count(),
        survey_responses=Response.objects.filter(
            organisation=org, submitted_at__isnull=False
        ).count(),
        transactions=Transaction.objects.filter(organisation=org).count(),
        open_cases=open_cases.count(),
        breached_open_cases=open_cases.filter(slas__state=SlaState.BREACHED).distinct().count(),
        **extra,
    )


def load_demo(
    *,
    size: str = "full",
    now: dt.datetime | None = None,
    seed: int = SEED,
    progress: Progress | None = None,
) -> DemoResult:
    """Load the demo data set unless its organisation exists already (then nothing changes)."""
    existing = Organisation.objects.filter(name=DEMO_ORG_NAME).first()
    if existing is not None:
        return summarise(existing, created=False)
    started = time.monotonic()
    enqueued_since = timezone.now()
    plan = build_plan(size=size, now=now or timezone.now(), seed=seed)
    with translation.override("zh-hans"), transaction.atomic():
        loader = _Loader(plan, progress or (lambda phase, done, total: None), seed=seed, size=size)
        org = loader.run()
    _drop_idle_deliveries(enqueued_since)
    return summarise(
        org,
        created=True,
        skipped_steps=loader.skipped,
        seconds=round(time.monotonic() - started, 1),
    )


def _anything_due(at: dt.datetime) -> bool:
    return CaseSla.objects.filter(
        Q(due_at__lte=at) | Q(warn_at__lte=at, warned_at__isnull=True), state=SlaState.ACTIVE
    ).exists()


def _drop_idle_deliveries(since: dt.datetime) -> None:
    """Each service call of the load scheduled a delivery task on commit; the load marks its
    notifications as sent, so those tasks would find nothing to do."""
    from manyi.core.worker import uses_database_backend
    from manyi.notifications.tasks import deliver_notifications

    if uses_database_backend(deliver_notifications.backend):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.ready().filter(
            task_path=deliver_notifications.module_path, enqueued_at__gte=since
        ).delete()


class _Loader:
    def __init__(
        self, plan: DemoPlan, progress: Progress, *, seed: int = SEED, size: str = "full"
    ) -> None:
        self.plan = plan
        self.progress = progress
        self.users: dict[str, User] = {}
        self.stores: dict[str, Store] = {}
        self.customers: list[Customer] = []
        self.assets: list[list[Asset]] = []
        self.skipped = 0
        self.sweeps = 0
        self.size = size
        self.seed = seed
        self.recovery = RecoveryDemo(seed=seed, users=self.users, now=plan.now)
        self.surveys = SurveysDemo(seed=seed, users=self.users, now=plan.now, size=size)
        self.transactions = TransactionsDemo(seed=seed, now=plan.now)

    def run(self) -> Organisation:
        org = self._organisation()
        self._customers(org)
        since = min((cp.created_at for cp in self.plan.cases), default=self.plan.now)
        self.recovery.start(org, self.stores, since - dt.timedelta(days=1))
        self.surveys.start(org)
        self._cases(org)
        # The year before: closed complaints as taken over from the previous system (TARP).
        self.progress("history", 0, 1)
        add_history(org, now=self.plan.now, per_store=HISTORY_PER_STORE[self.size], seed=self.seed)
        self.progress("history", 1, 1)
        # Before recovery's finish: the cases that bad answers opened get their follow-ups
        # there, and the survey invitations' messages are marked sent with the others.
        self.surveys.finish(org, lambda done, total: self.progress("surveys", done, total))
        self.progress("recovery", 0, 1)
        self.recovery.finish(org)
        self.progress("recovery", 1, 1)
        # Last: the transactions agree with the customers, their cases and who was lost.
        self.transactions.load(org, lambda done, total: self.progress("transactions", done, total))
        # Then what the worker would compute from them: customers' values and early warning.
        from manyi.analytics.demo import raise_demo_alerts
        from manyi.analytics.value import refresh_demo_values

        self.progress("customer values", 0, 1)
        refresh_demo_values(org, self.plan.now)
        self.progress("customer values", 1, 1)
        self.progress("early warning", 0, 1)
        raise_demo_alerts(org, self.plan.now)
        self.progress("early warning", 1, 1)
        # The demo's past notifications went out at the time; the worker sends new ones only.
        Notification.objects.filter(organisation=org, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENT, sent_at=self.plan.now, attempts=1
        )
        return org

    def _organisation(self) -> Organisation:
        org, admin = create_organisation(
            name=DEMO_ORG_NAME, admin_username=ADMIN_USERNAME, admin_password=DEMO_PASSWORD
        )
        for s in self.plan.stores:
            calendar = create_calendar(
                organisation=org,
                data={
                    "name": s.calendar_name,
                    "weekly_hours": s.weekly_hours,
                    "official_cn_holidays": True,
                },
            )
            self.stores[s.code] = create_store(
                organisation=org, name=s.name, code=s.code, calendar=calendar
            )
        for p in self.plan.staff:
            if p.username == ADMIN_USERNAME:
                User.objects.filter(pk=admin.pk).update(
                    display_name=p.display_name, email=p.email, mobile=p.mobile
                )
                admin.refresh_from_db()
                self.users[p.username] = admin
                continue
            self.users[p.username] = create_staff(
                organisation=org,
                username=p.username,
                password=DEMO_PASSWORD,
                role=p.role,
                store=self.stores[p.store] if p.store else None,
                display_name=p.display_name,
                email=p.email,
                mobile=p.mobile,
                supervisor=self.users[p.supervisor] if p.supervisor else None,
            )
        return org

    def _customers(self, org: Organisation) -> None:
        total = len(self.plan.customers)
        for i, p in enumerate(self.plan.customers):
            owner = self.users[p.owner] if p.owner else None
            actor = owner or self.users[ADMIN_USERNAME]
            customer = create_customer(
                actor=actor, store=self.stores[p.store], name=p.name, owner=owner, **p.fields
            )
            assets = [
                add_asset(
                    actor=actor,
                    customer=customer,
                    vin=a.vin,
                    plate=a.plate,
                    model=a.model,
                    purchase_date=a.purchase_date,
                    mileage=a.mileage,
                )
                for a in p.assets
            ]
            # A customer of several years is not created today: date the record and its
            # first timeline entries back to when the customer came.
            Customer.objects.filter(pk=customer.pk).update(created_at=p.since)
            AuditEvent.objects.filter(customer=customer, case__isnull=True).update(at=p.since)
            self.customers.append(customer)
            self.assets.append(assets)
            if i % 50 == 0 or i == total - 1:
                self.progress("customers", i + 1, total)

    def _cases(self, org: Organisation) -> None:
        categories = {c.code: c for c in Category.objects.filter(organisation=org)}
        events: list[tuple[dt.datetime, int, int, Step | None]] = []
        for idx, cp in enumerate(self.plan.cases):
            events.append((cp.created_at, idx, -1, None))
            events.extend((s.at, idx, n, s) for n, s in enumerate(cp.steps))
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        cases: dict[int, Case] = {}
        total = len(events)
        for done, (at, idx, _n, step) in enumerate(events, start=1):
            # The worker sweeps every minute: sweeping before each event is as good.
            if _anything_due(at):
                sweep(now=at)
                self.sweeps += 1
            # The worker also pays broken guarantees within the minute: once a simulated hour
            # is close enough for the demo, so payouts carry the time of their breach.
            self.recovery.detect(at)
            if step is None:
                cases[idx] = self._create(self.plan.cases[idx], categories, at)
            else:
                try:
                    self._apply(step, cases[idx])
                except DomainError:
                    # e.g. a manual escalation of a case the sweep already escalated fully
                    self.skipped += 1
            if done % 100 == 0 or done == total:
                self.progress("cases", done, total)
        sweep(now=self.plan.now)

    def _create(self, cp: CasePlan, categories: dict[str, Category], at: dt.datetime) -> Case:
        fields = dict(cp.fields)
        fields["category"] = categories[fields["category"]]
        return create_case(
            actor=self.users[cp.actor],
            owner=self.users[cp.owner],
            customer=self.customers[cp.customer],
            asset=self.assets[cp.customer][cp.asset] if cp.asset is not None else None,
            store=self.stores[cp.store],
            now=at,
            **fields,
        )

    def _apply(self, step: Step, case: Case) -> None:
        actor = self.users[step.actor]
        a = step.args
        if step.action == "respond":
            respond_to_case(
                actor=actor, case=case, message=a["message"], channel=a["channel"], now=step.at
            )
        elif step.action == "status":
            if a["status"] == "resolved" and case.status != "resolved":
                self.recovery.on_resolve(case, step.at)
                case.refresh_from_db()
            change_status(
                actor=actor,
                case=case,
                status=a["status"],
                note=a["note"],
                now=step.at,
                outcome=a.get("outcome", ""),
                root_cause=a.get("root_cause", ""),
                root_cause_note=a.get("root_cause_note", ""),
                corrective_action=a.get("corrective_action", ""),
            )
        elif step.action == "assign":
            assign_case(
                actor=actor, case=case, owner=self.users[a["owner"]], note=a["note"], now=step.at
            )
        elif step.action == "escalate":
            escalate_case(actor=actor, case=case, reason=a["reason"], now=step.at)
        else:  # pragma: no cover - the plan only makes the four above
            raise ValueError(step.action)
