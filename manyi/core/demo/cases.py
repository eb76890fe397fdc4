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

    def status(self, delay: dt.timedelta, status: str, note: str = "", actor: str = "") -> None:
        self.add(delay, "status", actor or None, status=status, note=note)


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
    tl.status(dt.timedelta(minutes=5), "resolved", resolution)
    closer = tl.owner if r.random() < 0.7 else r.choice(_staff(store, "supervisor"))
    tl.status(r.uniform(24, 120) * H, "closed", r.choice(words.CLOSE_NOTES), actor=closer)
    if old and r.random() < 0.05:
        tl.status(r.uniform(48, 240) * H, "in_progress", r.choice(words.REOPEN_NOTES))
        tl.respond(r.uniform(1, 4) * H, r.choice(words.ACK_MESSAGES))
        tl.respond(r.uniform(24, 72) * H, r.choice(words.RESOLUTIONS).format(amount=amount))
        tl.status(dt.timedelta(minutes=5), "resolved", "二次处理完成")
        tl.status(r.uniform(24, 72) * H, "closed", r.choice(words.CLOSE_NOTES))


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
