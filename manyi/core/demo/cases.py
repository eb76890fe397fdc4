"""Twelve months of demo complaint cases with their timelines, ending at the plan's `now`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from manyi.core.demo import data as words
from manyi.core.demo.plan import (
    CATEGORIES,
    CHANNELS,
    COMPLAINERS,
    HISTORY_DAYS,
    RECENT_DAYS,
    SEVERITIES,
    STAFF,
    CasePlan,
    CustomerPlan,
    Step,
)

if TYPE_CHECKING:
    from manyi.core.demo.plan import _Gen

H = dt.timedelta(hours=1)
RISKY = ("irate", "activist", "terrorist")
ESCORTED_CHANNELS = ("regulator", "manufacturer", "social_media")


# How resolved complaints ended (most in the customer's favour, DOMAIN.md §3).
OUTCOMES = [("in_favour", 72), ("partly", 18), ("not_resolved", 6), ("withdrawn", 4)]

# Root cause, its note and the corrective action, by the first part of the category code.
LESSONS: dict[str, list[tuple[str, str, str]]] = {
    "repair": [
        ("people", "技师未按维修手册做完整诊断，只更换了表面部件。",
         "组织技师进行故障诊断流程培训；疑难故障须由技术经理复核后再报价维修。"),
        ("process", "完工后未路试，质检环节流于形式。",
         "质检表增加路试记录和技术经理签字，未路试的车辆不得交车。"),
        ("product", "同批次配件存在质量缺陷，装车后短期内失效。",
         "向厂家提交质量反馈并申请批次排查，库存同批次配件暂停使用。"),
    ],
    "wait": [
        ("process", "预约排班未考虑车间实际工位，高峰期接车积压。",
         "预约系统按工位数限流，周末高峰增加一名接车顾问。"),
        ("people", "服务顾问未及时告知客户延误原因和新的交车时间。",
         "延误超过30分钟必须主动致电客户说明原因并给出新时间，纳入月度考核。"),
        ("third_party", "配件供应商延迟发货，导致维修无法按时完工。",
         "与供应商约定到货时限和违约条款，常用件建立安全库存。"),
    ],
    "billing": [
        ("process", "结算前未与客户逐项核对工单，多计了工时。",
         "结算前由服务顾问与客户逐项确认费用，客户签字后再收款。"),
        ("people", "收银员手工录入工时出错。",
         "结算系统增加工时与工单自动比对，差异超过5%须主管确认。"),
    ],
    "price": [
        ("policy", "工时单价和常用项目价格未在店内公示，客户无从比较。",
         "在接待区和小程序公示工时单价及常用保养套餐价格。"),
        ("people", "服务顾问报价时未解释费用构成。",
         "统一报价单模板，逐项列明配件和工时，报价时向客户讲解。"),
    ],
    "attitude": [
        ("people", "服务顾问在高峰期态度生硬，没有倾听客户诉求。",
         "开展投诉处理与沟通礼仪培训，神秘客户检查结果纳入绩效。"),
        ("process", "客户来电无人接听，也没有回电机制。",
         "建立来电登记和当日回电制度，未接来电由前台在2小时内回拨。"),
    ],
    "promise": [
        ("process", "对客户的承诺没有登记，交接后无人跟进。",
         "所有对客承诺录入系统并设置到期提醒，交接时逐条确认。"),
        ("people", "服务顾问为安抚客户随口承诺了无法兑现的时间。",
         "培训「只承诺能做到的事」，交车时间以车间确认为准。"),
    ],
    "parts": [
        ("third_party", "厂家配件缺货，到货周期超过两周。",
         "常用配件建立安全库存；缺件超过3天主动为客户提供代步车。"),
        ("product", "配件批次质量问题，更换后不久再次损坏。",
         "向厂家反馈并退回同批次配件，已更换客户免费再次更换。"),
    ],
    "facility": [
        ("process", "客户休息区清洁没有排班，高峰期无人打扫。",
         "制定休息区每两小时巡检清洁表，由值班主管签字确认。"),
        ("policy", "停车区划分不合理，客户车位被员工车辆占用。",
         "员工车辆统一停放到后场，前场车位全部留给客户。"),
    ],
    "sales": [
        ("people", "销售顾问口头承诺的赠品和服务未写入合同。",
         "所有承诺必须写入合同或补充协议，交车前由销售经理核对。"),
        ("policy", "金融方案的费用和条款说明不充分。",
         "统一金融方案说明模板，逐项讲解并由客户签字确认。"),
    ],
    "product": [
        ("product", "车型设计缺陷，同类故障在多台车上出现。",
         "上报厂家技术部门，跟进技术通报或召回，并主动联系同车型客户检查。"),
    ],
    "other": [
        ("customer", "客户对保养项目和保修范围存在误解。",
         "交车时增加保养项目和保修范围讲解，并在微信推送说明。"),
        ("unknown", "多方核实后仍无法确定原因。",
         "记录在案，若同类投诉再次出现，由客服经理牵头专项分析。"),
    ],
}  # fmt: skip


def _lesson(g: _Gen, category: str) -> dict[str, str]:
    root_cause, note, action = g.r.choice(LESSONS.get(category.split("_")[0], LESSONS["other"]))
    return {"root_cause": root_cause, "root_cause_note": note, "corrective_action": action}


def _staff(store: str, role: str) -> list[str]:
    return [p.username for p in STAFF if p.store == store and p.role == role]


class _Timeline:
    """Builds the steps of one case, keeping times increasing and inside working hours."""

    def __init__(self, g: _Gen, case: CasePlan, channel: str) -> None:
        self.g = g
        self.case = case
        self.t = case.created_at
        self.owner = case.owner
        self.reply_channel = channel if channel in ("wechat", "email", "letter") else "phone"
        if channel == "letter":
            self.reply_channel = "phone"

    def at(self, delay: dt.timedelta) -> dt.datetime:
        self.t = self.g.work_time(self.t + delay, self.case.store)
        return self.t

    def add(self, delay: dt.timedelta, action: str, actor: str | None = None, **args: str) -> None:
        self.case.steps.append(Step(self.at(delay), actor or self.owner, action, args))

    def respond(self, delay: dt.timedelta, message: str) -> None:
        self.add(delay, "respond", message=message, channel=self.reply_channel)

    def status(
        self, delay: dt.timedelta, status: str, note: str = "", actor: str = "", **learned: str
    ) -> None:
        self.add(delay, "status", actor or None, status=status, note=note, **learned)


def _summary(g: _Gen, category: str, model: str) -> str:
    r = g.r
    return r.choice(words.SUMMARIES[category]).format(
        model=model,
        times=r.randrange(2, 5),
        minutes=r.randrange(25, 95, 5),
        hours=r.randrange(2, 6),
        days=r.randrange(2, 8),
        weeks=r.randrange(2, 7),
        months=r.randrange(2, 10),
        amount=r.choice((180, 260, 320, 480, 650, 880, 1200, 2400)),
        part=r.choice(words.PARTS),
        problem=r.choice(words.PROBLEMS),
        item=r.choice(words.ITEMS),
    )


def _lifecycle(g: _Gen, tl: _Timeline, *, fate: str, old: bool, escalate_p: float) -> None:
    r = g.r
    store = tl.case.store
    if fate == "neglected":
        return
    late_ack = r.random() < (0.06 if fate == "normal" else 0.3)
    # Minutes to acknowledge: the more severe, the faster (the SLA policies ask the same).
    quick = {"critical": 40, "high": 120}.get(tl.case.fields["severity"], 240)
    ack = (
        dt.timedelta(days=r.uniform(1, 3))
        if late_ack
        else dt.timedelta(minutes=r.uniform(5, quick))
    )
    tl.respond(ack, r.choice(words.ACK_MESSAGES))
    tl.status(dt.timedelta(minutes=r.uniform(5, 60)), "in_progress")
    if r.random() < 0.1:
        choices = [a for a in _staff(store, "agent") if a != tl.owner]
        if r.random() < 0.2:
            choices = _staff(store, "supervisor")
        new_owner = r.choice(choices)
        tl.add(r.uniform(1, 5) * H, "assign", owner=new_owner, note=r.choice(words.TRANSFER_NOTES))
        tl.owner = new_owner
    if r.random() < escalate_p:
        tl.add(r.uniform(1, 6) * H, "escalate", reason=r.choice(words.ESCALATE_NOTES))
    if fate == "stalled":
        if r.random() < 0.4:
            tl.respond(r.uniform(4, 30) * H, r.choice(words.UPDATE_MESSAGES))
        if r.random() < 0.25:
            tl.status(
                r.uniform(1, 8) * H, "waiting_customer", r.choice(words.WAITING_CUSTOMER_NOTES)
            )
        return
    roll = r.random()
    # Most complaints are settled within a day or two; a few drag on for weeks.
    hours = (
        r.uniform(3, 30)
        if roll < 0.82
        else r.uniform(30, 100)
        if roll < 0.96
        else r.uniform(100, 300)
    )
    resolve_at = tl.case.created_at + hours * H
    if r.random() < 0.25 and tl.t + 4 * H < resolve_at:
        third_party = r.random() < 0.35
        tl.status(
            r.uniform(2, 20) * H,
            "waiting_third_party" if third_party else "waiting_customer",
            r.choice(
                words.WAITING_THIRD_PARTY_NOTES if third_party else words.WAITING_CUSTOMER_NOTES
            ),
        )
        tl.status(r.uniform(8, 60) * H, "in_progress", "已收到答复，继续处理")
        tl.respond(r.uniform(0.2, 1) * H, r.choice(words.UPDATE_MESSAGES))
        resolve_at = max(resolve_at, tl.t + 2 * H)
    while tl.t + 30 * H < resolve_at:
        tl.respond(r.uniform(20, 40) * H, r.choice(words.UPDATE_MESSAGES))
    amount = str(r.choice((200, 300, 500, 800)))
    resolution = r.choice(words.RESOLUTIONS).format(amount=amount)
    tl.respond(max(resolve_at - tl.t, 0.2 * H), resolution)
    tl.status(dt.timedelta(minutes=5), "resolved", resolution, outcome=g.pick(OUTCOMES))
    closer = tl.owner if r.random() < 0.7 else r.choice(_staff(store, "supervisor"))
    lesson = _lesson(g, tl.case.fields["category"])
    tl.status(r.uniform(24, 120) * H, "closed", r.choice(words.CLOSE_NOTES), closer, **lesson)
    if old and r.random() < 0.05:
        tl.status(r.uniform(48, 240) * H, "in_progress", r.choice(words.REOPEN_NOTES))
        tl.respond(r.uniform(1, 4) * H, r.choice(words.ACK_MESSAGES))
        tl.respond(r.uniform(24, 72) * H, r.choice(words.RESOLUTIONS).format(amount=amount))
        tl.status(dt.timedelta(minutes=5), "resolved", "二次处理完成", outcome=g.pick(OUTCOMES))
        tl.status(r.uniform(24, 72) * H, "closed", r.choice(words.CLOSE_NOTES), **lesson)


def plan_cases(
    g: _Gen, customers: list[CustomerPlan], n_cases: int, n_recent: int
) -> list[CasePlan]:
    r = g.r
    now = g.now
    by_store = {
        code: [i for i, c in enumerate(customers) if c.store == code] for code in ("PD", "SZ")
    }
    # Oldest first, so that case numbers and repeat complaints follow the calendar.
    older = sorted(
        (r.uniform(RECENT_DAYS, HISTORY_DAYS) for _ in range(n_cases - n_recent)), reverse=True
    )
    recent = [RECENT_DAYS * (1 - (j + r.random()) / n_recent) + 0.05 for j in range(n_recent)]
    seen: dict[str, list[int]] = {"PD": [], "SZ": []}
    plans: list[CasePlan] = []
    for k, days_ago in enumerate([*older, *recent]):
        store = "PD" if r.random() < 0.6 else "SZ"
        repeat = bool(seen[store]) and r.random() < 0.12
        ci = r.choice(seen[store]) if repeat else r.choice(by_store[store])
        seen[store].append(ci)
        customer = customers[ci]
        asset = r.randrange(len(customer.assets)) if customer.assets and r.random() < 0.9 else None
        model = customer.assets[asset].model if asset is not None else "车辆"
        channel = g.pick(CHANNELS)
        category = g.pick(CATEGORIES)
        complainer = g.pick(COMPLAINERS)
        severity = g.pick(SEVERITIES)
        if complainer in ("activist", "terrorist") and severity in ("low", "normal"):
            severity = "high"
        nature = (
            "venting"
            if complainer == "irate" and r.random() < 0.5
            else g.pick([("problem_solving", 70), ("venting", 12), ("expectation", 18)])
        )
        summary = _summary(g, category, model)
        received = g.received(channel, days_ago)
        agents = _staff(store, "agent")
        owner = r.choice(agents)
        actor = _staff(store, "supervisor")[0] if channel in ESCORTED_CHANNELS else owner
        created = received
        if channel in ("letter", "survey"):
            created = min(g.work_time(received + r.uniform(2, 30) * H, store), now - 0.1 * H)
        fields = {
            "channel": channel,
            "category": category,
            "severity": severity,
            "nature": nature,
            "complainer_type": complainer,
            "summary": summary,
            "description": r.choice(words.DESCRIPTIONS).format(summary=summary),
            "received_at": received,
            "threatens_media": channel == "social_media"
            or (complainer in ("activist", "terrorist") and r.random() < 0.5),
            "threatens_regulator": channel == "regulator",
            "threatens_lawyer": complainer == "terrorist" and r.random() < 0.4,
            "repeat_complaint": repeat,
        }
        case = CasePlan(ci, asset, store, actor, owner, created, fields)
        j = k - len(older)
        fate = "normal"
        if j >= 0:
            fate = "neglected" if j % 7 == 0 else "stalled" if j % 7 in (1, 2) else "normal"
        risky = complainer in RISKY or fields["threatens_media"] or fields["threatens_lawyer"]
        _lifecycle(
            g,
            _Timeline(g, case, channel),
            fate=fate,
            old=j < 0,
            escalate_p=0.3 if risky else 0.04,
        )
        # What would happen after `now` has not happened yet: the case stays open there.
        cut = next((i for i, s in enumerate(case.steps) if s.at >= now), None)
        if cut is not None:
            del case.steps[cut:]
        plans.append(case)
    return plans
