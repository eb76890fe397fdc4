"""The demo's older complaints: a year of cases before its twelve months, as taken over from the
previous system (closed, with their outcome and resolution time), so that the pages that look
a year back — who came back within twelve months of a complaint (TARP) and the recovery
paradox — have complaints whose window is over.

Each case goes through `create_case` and `change_status` at its own past times, so its SLA
clocks are met or breached as they would have been. About half are resolved fast in the
customer's favour, a third slowly or only partly, the rest not resolved; the demo's
transactions, generated afterwards, make customers come back accordingly
(manyi.core.demo.transactions.return_chance)."""

from __future__ import annotations

import datetime as dt
import random

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, User
from manyi.cases.choices import Channel, Outcome, RootCause, Status
from manyi.cases.models import Case, Category
from manyi.cases.services import change_status, create_case
from manyi.customers.models import Customer

SUMMARIES = (
    "保养后仪表盘报警灯仍亮",
    "维修报价与结算金额不符",
    "洗车后车内有划痕",
    "预约后到店仍等候两小时",
    "更换零件后异响未消除",
    "销售承诺的赠品未兑现",
)
ROOT_CAUSE_NOTES = {
    RootCause.PEOPLE: "接待人员未按流程说明（旧系统记录）",
    RootCause.PROCESS: "预约与派工流程脱节（旧系统记录）",
    RootCause.PRODUCT: "零部件质量问题（旧系统记录）",
    RootCause.THIRD_PARTY: "外协单位延误（旧系统记录）",
}
ROOT_CAUSES = tuple(ROOT_CAUSE_NOTES)
# (share, outcome, hours to resolve (low, high)); None hours: closed without resolution.
KINDS = (
    (0.50, Outcome.IN_FAVOUR, (2, 30)),
    (0.30, Outcome.PARTLY, (80, 400)),
    (0.20, Outcome.NOT_RESOLVED, (200, 700)),
)


def add_history(org: Organisation, *, now: dt.datetime, per_store: int, seed: int) -> list[Case]:
    """`per_store` closed complaints per store received 13 to 23 months before `now`."""
    r = random.Random(seed)
    categories = list(
        Category.objects.filter(organisation=org, parent__isnull=False, active=True).order_by("pk")
    )
    made: list[Case] = []
    for store in org.stores.order_by("code"):
        staff = list(
            User.objects.filter(store=store, is_active=True)
            .exclude(role=Role.ORG_ADMIN)
            .order_by("pk")
        )
        customers = list(Customer.objects.filter(store=store).order_by("pk"))
        if not staff or not customers or not categories:
            continue
        for _ in range(per_store):
            received = now - dt.timedelta(days=r.uniform(395, 700), hours=r.uniform(0, 8))
            received = received.replace(hour=r.randint(9, 16))
            # A customer already known then (the demo's customers joined at different times).
            known = [c for c in customers if c.created_at <= received - dt.timedelta(days=10)]
            if not known:
                continue
            owner = r.choice(staff)
            case = create_case(
                actor=owner,
                customer=r.choice(known),
                store=store,
                channel=r.choice([Channel.PHONE, Channel.WALK_IN, Channel.WECHAT]),
                category=r.choice(categories),
                summary=r.choice(SUMMARIES),
                received_at=received,
                now=received,
            )
            pick, outcome, hours = r.random(), KINDS[-1][1], KINDS[-1][2]
            for share, kind_outcome, kind_hours in KINDS:
                if pick < share:
                    outcome, hours = kind_outcome, kind_hours
                    break
                pick -= share
            resolved = received + dt.timedelta(hours=r.uniform(*hours))
            root_cause = r.choice(ROOT_CAUSES)
            for status, at in ((Status.RESOLVED, resolved), (Status.CLOSED, resolved)):
                case = change_status(
                    actor=owner,
                    case=case,
                    status=status,
                    note="旧系统导入的历史投诉",
                    now=at + dt.timedelta(minutes=5 if status == Status.CLOSED else 0),
                    require_learning=False,
                    outcome=outcome,
                    root_cause=root_cause,
                    root_cause_note=ROOT_CAUSE_NOTES[root_cause],
                    corrective_action="已纳入班组周会案例复盘",
                )
            made.append(case)
    return made
