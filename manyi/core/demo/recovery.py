"""Service recovery in the demo: recovery actions with approvals, checklist ticks, guarantees
and their payouts, 12 months of follow-up calls with outcomes, phone messages, watch-list and
lost customers. Everything goes through the services with explicit `now=` values, like the
rest of the demo (manyi.core.demo.load), and is deterministic for a seed."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from decimal import Decimal

from django.db.models import Max

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, User
from manyi.cases.choices import ComplainerType, Status
from manyi.cases.models import Case
from manyi.cases.services import escalation_target
from manyi.core.errors import DomainError
from manyi.customers.choices import SwitchingReason
from manyi.customers.models import Customer
from manyi.customers.services import mark_customer_lost, update_customer
from manyi.followups.choices import ContactResult, FollowUpState, Satisfaction
from manyi.followups.models import FollowUp
from manyi.followups.services import flag_overdue, record_attempt, return_message, take_message
from manyi.notifications.models import CustomerMessage, DeliveryState
from manyi.recovery.choices import ActionKind, ActionState, Principle
from manyi.recovery.guarantees import (
    detect_breaches,
    ensure_default_guarantees,
    record_staff_event,
)
from manyi.recovery.models import Guarantee
from manyi.recovery.services import (
    approve_action,
    authority_limit,
    covers,
    give_action,
    propose_action,
    reject_action,
    save_guide,
    tick_principle,
)

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)

# What a dealer gives, by top-level category code: (kind, low, high) in yuan.
OFFERS: dict[str, list[tuple[str, int, int]]] = {
    "repair_quality": [
        (ActionKind.REPAIR, 0, 2500),
        (ActionKind.FREE_SERVICE, 200, 900),
        (ActionKind.LOANER, 0, 600),
    ],
    "price_billing": [(ActionKind.PARTIAL_REFUND, 80, 800), (ActionKind.REFUND, 200, 3000)],
    "staff_attitude": [(ActionKind.APOLOGY, 0, 0), (ActionKind.GIFT, 50, 200)],
    "waiting_time": [(ActionKind.DISCOUNT, 100, 400), (ActionKind.GOODWILL_POINTS, 100, 500)],
}
DEFAULT_OFFERS = [
    (ActionKind.APOLOGY, 0, 0),
    (ActionKind.EXPLANATION, 0, 0),
    (ActionKind.DISCOUNT, 100, 500),
    (ActionKind.GIFT, 50, 300),
]
NOTES: dict[str, str] = {
    ActionKind.APOLOGY: "店总当面致歉",
    ActionKind.EXPLANATION: "向客户说明原因和后续安排",
    ActionKind.REPAIR: "免费返修并延长质保",
    ActionKind.FREE_SERVICE: "赠送一次免费保养",
    ActionKind.LOANER: "维修期间提供代步车",
    ActionKind.PARTIAL_REFUND: "退还多收的工时费",
    ActionKind.REFUND: "退还全部维修费用",
    ActionKind.GIFT: "赠送车载礼品",
    ActionKind.DISCOUNT: "下次保养代金券",
    ActionKind.GOODWILL_POINTS: "会员积分补偿",
}
REJECT_REASONS = ["金额超出同类投诉标准，建议改为代金券", "责任在第三方，已协调厂家处理"]
FOLLOWUP_NOTES = {
    Satisfaction.YES: ["客户对处理结果满意，感谢回访", "问题已解决，客户表示以后还来", "满意"],
    Satisfaction.PARTLY: ["基本满意，但等待时间太长", "问题解决了，希望沟通更及时"],
    Satisfaction.NO: ["客户表示问题又出现了，要求重新处理", "对补偿方案不满意"],
}
LOST_REASONS = [  # Keaveney's reasons, weighted as service businesses usually see them
    (SwitchingReason.CORE_SERVICE_FAILURE, 30),
    (SwitchingReason.PRICING, 20),
    (SwitchingReason.RESPONSE_TO_FAILURE, 15),
    (SwitchingReason.INCONVENIENCE, 12),
    (SwitchingReason.SERVICE_ENCOUNTER_FAILURE, 10),
    (SwitchingReason.COMPETITION, 8),
    (SwitchingReason.ETHICAL_PROBLEMS, 3),
    (SwitchingReason.INVOLUNTARY, 2),
]
LOST_NOTES = {
    SwitchingReason.CORE_SERVICE_FAILURE: "同一故障修了三次没修好，去了别家4S店",
    SwitchingReason.PRICING: "觉得保养价格比路边店贵太多",
    SwitchingReason.RESPONSE_TO_FAILURE: "投诉后一直没人回电话",
    SwitchingReason.INCONVENIENCE: "搬家了，离门店太远",
    SwitchingReason.SERVICE_ENCOUNTER_FAILURE: "接待人员态度差",
    SwitchingReason.COMPETITION: "新开的店有更多优惠",
    SwitchingReason.ETHICAL_PROBLEMS: "怀疑被过度维修",
    SwitchingReason.INVOLUNTARY: "车已卖掉",
}
# Suggested compensation by severity, any category (yuan).
GUIDES = [("low", 0, 100), ("normal", 50, 300), ("high", 200, 1000), ("critical", 500, 3000)]
MESSAGES = [
    ("王先生", "13761234567", "想问一下上周保养的发票什么时候能开好"),
    ("刘女士", "13917654321", "车辆年检预约，请回电"),
    ("陈先生", "18621112222", "对上次维修报价有疑问"),
    ("周女士", "15900001111", "投诉处理进度，请尽快回电"),
    ("孙先生", "13688889999", "想预约试驾新款车型"),
]


class RecoveryDemo:
    """Called by the demo loader: `on_resolve` just before each case is resolved (while it is
    still open, at that moment of the story), `finish` once the whole year is loaded."""

    def __init__(self, *, seed: int, users: dict[str, User], now: dt.datetime) -> None:
        self.r = random.Random(seed + 3)
        self.users = users
        self.now = now
        self.counts = {"actions": 0, "pending": 0, "rejected": 0, "ticks": 0}
        self.last_detection: dt.datetime | None = None

    # -- set-up ---------------------------------------------------------------------------

    def start(self, org: Organisation, stores: dict[str, Store], since: dt.datetime) -> None:
        ensure_default_guarantees(org)
        # In force for the whole demo year.
        Guarantee.objects.filter(organisation=org).update(starts_at=since)
        admin = self.users.get("admin")
        if admin is not None:
            for severity, low, high in GUIDES:
                save_guide(actor=admin, category=None, severity=severity, low=low, high=high)
        for i, store in enumerate(sorted(stores.values(), key=lambda s: s.code)):
            Store.objects.filter(pk=store.pk).update(
                monthly_recovery_budget=Decimal(20000 - 5000 * i)
            )

    # -- during the year ------------------------------------------------------------------

    def detect(self, at: dt.datetime) -> None:
        """Pay broken guarantees as the worker would, at most once a simulated hour."""
        hour = at.replace(minute=0, second=0, microsecond=0)
        if self.last_detection is not None and hour <= self.last_detection:
            return
        self.last_detection = hour
        detect_breaches(now=at)

    def on_resolve(self, case: Case, at: dt.datetime) -> None:
        """Tick the checklist and, for about half the cases, record what was given."""
        r = self.r
        owner = case.owner
        for n, principle in enumerate(r.sample(list(Principle), r.randint(4, 9))):
            try:
                tick_principle(actor=owner, case=case, principle=principle, now=at - (40 - n) * M)
                self.counts["ticks"] += 1
            except DomainError:
                pass
        if case.category.code == "billing_error":
            billing = Guarantee.objects.filter(
                organisation_id=case.organisation_id, code="billing_error_double"
            ).first()
            if billing is not None:
                with contextlib.suppress(DomainError):
                    breach = record_staff_event(
                        actor=owner,
                        case=case,
                        guarantee=billing,
                        amount_involved=Decimal(r.randrange(60, 600, 10)),
                        note="核对收费单，确认多收工时费",
                        now=at - 35 * M,
                    )
                    payout = breach.payout_action
                    # Beyond the owner's authority the payout waits: her supervisor approves it.
                    approver = self._approver(case, payout.value)
                    if payout.state == ActionState.PENDING and approver is not None:
                        approve_action(actor=approver, action=payout, now=at - 33 * M)
        if r.random() > 0.5:
            return
        parent = case.category.parent.code if case.category.parent else case.category.code
        kind, low, high = r.choice(OFFERS.get(parent, DEFAULT_OFFERS))
        value = Decimal(r.randrange(low, high + 1, 10) if high else 0)
        self._action(case, kind, value, at - 30 * M)

    def _action(self, case: Case, kind: str, value: Decimal, at: dt.datetime) -> None:
        try:
            result = propose_action(
                actor=case.owner, case=case, kind=kind, value=value, note=NOTES[kind], now=at
            )
        except DomainError:
            return
        action = result.action
        self.counts["actions"] += 1
        if action.state == ActionState.PENDING:
            approver = self._approver(case, value)
            if approver is None:
                return
            if self.r.random() < 0.12:
                reject_action(
                    actor=approver,
                    action=action,
                    reason=self.r.choice(REJECT_REASONS),
                    now=at + 10 * M,
                )
                self.counts["rejected"] += 1
                return
            approve_action(actor=approver, action=action, reason="同意", now=at + 10 * M)
        give_action(actor=case.owner, action=action, now=at + 20 * M)

    def _approver(self, case: Case, value: Decimal) -> User | None:
        for level in (1, 2):
            who = escalation_target(case, level)
            if who is not None and who.pk != case.owner_id and covers(authority_limit(who), value):
                return who
        admin = self.users.get("admin")
        return admin if admin is not None and admin.pk != case.owner_id else None

    # -- at the end -----------------------------------------------------------------------

    def finish(self, org: Organisation) -> None:
        self._pending_approvals(org)
        self._followups(org)
        detect_breaches(now=self.now)
        self._messages(org)
        flag_overdue(now=self.now)
        self._watch_list(org)
        self._lost(org)
        # The year's messages to customers went out at the time.
        CustomerMessage.objects.filter(organisation=org, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENT, sent_at=self.now, attempts=1
        )

    def _pending_approvals(self, org: Organisation) -> None:
        """A few recent over-limit requests still wait for a decision."""
        open_cases = Case.objects.filter(
            organisation=org, status__in=[Status.IN_PROGRESS, Status.ACKNOWLEDGED]
        ).select_related("owner", "category__parent", "store")
        for case in list(open_cases.filter(owner__role=Role.AGENT).order_by("-received_at")[:4]):
            value = Decimal(self.r.randrange(300, 1500, 50))
            try:
                result = propose_action(
                    actor=case.owner,
                    case=case,
                    kind=ActionKind.FREE_SERVICE,
                    value=value,
                    note="客户要求免费保养一次作为补偿",
                    now=self.now - self.r.randint(1, 20) * H,
                )
            except DomainError:
                continue
            if result.action.state == ActionState.PENDING:
                self.counts["pending"] += 1

    def _followups(self, org: Organisation) -> None:
        """Call back everyone whose follow-up fell due: most are reached and satisfied, some
        never answer, a few are unhappy (their case reopens) and a few calls are forgotten."""
        r = self.r
        due = (
            FollowUp.objects.filter(organisation=org, state=FollowUpState.OPEN, due_at__lt=self.now)
            .select_related("assigned_to", "store__calendar", "case")
            .order_by("due_at", "id")
        )
        unhappy = 0
        for fu in list(due):
            roll = r.random()
            if roll < 0.06:
                continue  # forgotten: the sweep marks it missed
            call_at = fu.due_at - r.randint(2, 7) * H
            actor = fu.assigned_to
            try:
                if roll < 0.13:
                    self._no_answer(fu, actor, call_at)
                elif roll < 0.16:
                    record_attempt(
                        actor=actor, followup=fu, result=ContactResult.WRONG_NUMBER, now=call_at
                    )
                else:
                    sat = Satisfaction.YES if roll < 0.86 else Satisfaction.PARTLY
                    if roll > 0.97 and unhappy < 3:
                        sat, unhappy = Satisfaction.NO, unhappy + 1
                    record_attempt(
                        actor=actor,
                        followup=fu,
                        result=ContactResult.REACHED,
                        satisfaction=sat,
                        note=r.choice(FOLLOWUP_NOTES[sat]),
                        now=call_at,
                    )
            except DomainError:
                continue

    def _no_answer(self, fu: FollowUp, actor: User, at: dt.datetime) -> None:
        """Up to three unanswered calls, a working day apart; the last may get through."""
        for attempt in range(3):
            current = FollowUp.objects.get(pk=fu.pk)
            if current.state != FollowUpState.OPEN or at >= self.now:
                return
            if attempt == 2 and self.r.random() < 0.4:
                record_attempt(
                    actor=actor,
                    followup=current,
                    result=ContactResult.REACHED,
                    satisfaction=Satisfaction.YES,
                    note="第三次终于接通，客户满意",
                    now=at,
                )
                return
            record_attempt(actor=actor, followup=current, result=ContactResult.NO_ANSWER, now=at)
            current.refresh_from_db()
            at = max(at + 20 * H, current.due_at - 3 * H)

    def _messages(self, org: Organisation) -> None:
        staff = list(
            User.objects.filter(organisation=org, is_active=True, role=Role.AGENT).order_by("id")
        )
        if len(staff) < 2:
            return
        for i, (name, phone, reason) in enumerate(MESSAGES):
            for_user, taker = staff[i % len(staff)], staff[(i + 1) % len(staff)]
            received = self.now - dt.timedelta(days=6 - i, hours=self.r.randint(1, 5))
            try:
                message = take_message(
                    actor=taker,
                    for_user=for_user,
                    caller_name=name,
                    caller_phone=phone,
                    reason=reason,
                    received_at=received,
                    now=received,
                )
                if i % 2 == 0 and message.due_at - 2 * H < self.now:
                    return_message(
                        actor=for_user,
                        message=message,
                        note="已回电，问题已答复",
                        now=message.due_at - 2 * H,
                    )
            except DomainError:
                continue

    def _watch_list(self, org: Organisation) -> None:
        risky = (
            Case.objects.filter(organisation=org)
            .filter(
                complainer_type__in=[ComplainerType.ACTIVIST, ComplainerType.TERRORIST],
            )
            .values_list("customer_id", flat=True)
            .distinct()
        )
        media = (
            Case.objects.filter(organisation=org, threatens_media=True)
            .values_list("customer_id", flat=True)
            .distinct()
        )
        ids = sorted(set(risky) | set(media))[:8]
        admin = self.users.get("admin")
        for customer in Customer.objects.filter(pk__in=ids):
            update_customer(
                actor=admin,
                customer=customer,
                changes={
                    "watch_list": True,
                    "watch_reason": "曾扬言找媒体/多次投诉，处理前先报主管",
                },
            )

    def _lost(self, org: Organisation) -> None:
        reasons = [reason for reason, weight in LOST_REASONS for _ in range(weight)]
        unhappy = (
            Case.objects.filter(organisation=org, outcome__in=["not_resolved", "partly"])
            .values_list("customer_id", flat=True)
            .distinct()
        )
        pool = sorted(set(unhappy))
        others = list(
            Customer.objects.filter(organisation=org, cases__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)[:200]
        )
        chosen = pool[:10] + self.r.sample(others, min(8, len(others)))
        admin = self.users.get("admin")
        last_case = dict(
            Case.objects.filter(organisation=org, customer_id__in=chosen)
            .values("customer_id")
            .annotate(last=Max("received_at"))
            .values_list("customer_id", "last")
        )
        for customer in Customer.objects.filter(pk__in=chosen).order_by("id"):
            reason = self.r.choice(reasons)
            if customer.pk in pool and self.r.random() < 0.6:
                reason = SwitchingReason.RESPONSE_TO_FAILURE
            # Lost after their last complaint, never before it: between three days after it
            # (or 200 days ago) and yesterday.
            earliest = self.now - dt.timedelta(days=200)
            if customer.pk in last_case:
                earliest = max(earliest, last_case[customer.pk] + dt.timedelta(days=3))
            span = max(0, int((self.now - dt.timedelta(days=1) - earliest).total_seconds()))
            mark_customer_lost(
                actor=admin,
                customer=customer,
                reason=reason,
                note=LOST_NOTES[reason],
                now=min(self.now, earliest + dt.timedelta(seconds=self.r.randint(0, span))),
            )
