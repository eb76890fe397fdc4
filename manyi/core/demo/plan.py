"""The demo data set as a plan: plain data built from a seeded random generator, no database.

The same seed and the same `now` give the same plan, so the loaded data set is reproducible.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from manyi.core.demo import data as words
from manyi.customers.validation import vin_check_digit

SEED = 20260101
TZ = ZoneInfo("Asia/Shanghai")
# size → (customers, cases, cases received in the last RECENT_DAYS days)
SIZES = {"full": (1500, 600, 70), "small": (60, 30, 10)}
RECENT_DAYS = 14
HISTORY_DAYS = 365


@dataclass(frozen=True)
class StaffPlan:
    username: str
    role: str
    store: str | None  # store code; None: the organisation's head office
    display_name: str
    supervisor: str | None = None
    mobile: str = ""

    @property
    def email(self) -> str:
        return f"{self.username}@demo.manyi.local"


@dataclass(frozen=True)
class StorePlan:
    code: str
    name: str
    calendar_name: str
    weekly_hours: dict[str, list[list[str]]]
    # Rough opening hours used to place demo events in working time (local hours, weekdays).
    open_at: float
    close_at: float
    workdays: frozenset[int]


@dataclass
class AssetPlan:
    vin: str
    plate: str
    model: str
    purchase_date: dt.date
    mileage: int


@dataclass
class CustomerPlan:
    store: str
    name: str
    phone: str
    since: dt.datetime
    fields: dict[str, Any]
    owner: str | None
    assets: list[AssetPlan] = field(default_factory=list)


@dataclass
class Step:
    at: dt.datetime
    actor: str
    action: str  # respond | status | assign | escalate
    args: dict[str, str]


@dataclass
class CasePlan:
    customer: int  # index into DemoPlan.customers
    asset: int | None  # index into that customer's assets
    store: str
    actor: str
    owner: str
    created_at: dt.datetime
    fields: dict[str, Any]
    steps: list[Step] = field(default_factory=list)


@dataclass
class DemoPlan:
    now: dt.datetime
    stores: list[StorePlan]
    staff: list[StaffPlan]
    customers: list[CustomerPlan]
    cases: list[CasePlan]


def _day(*windows: tuple[str, str]) -> list[list[str]]:
    return [list(w) for w in windows]


_PD_DAY = _day(("08:30", "12:00"), ("13:00", "18:00"))
_SZ_DAY = _day(("09:00", "12:00"), ("13:30", "17:30"))
STORES = [
    StorePlan(
        "PD",
        "浦东4S店",
        "浦东4S店营业时间",
        {d: _PD_DAY for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {"sun": []},
        8.5,
        18.0,
        frozenset(range(6)),
    ),
    StorePlan(
        "SZ",
        "苏州4S店",
        "苏州4S店营业时间",
        {d: _SZ_DAY for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []},
        9.0,
        17.5,
        frozenset(range(5)),
    ),
]

STAFF = [
    StaffPlan("admin", "org_admin", None, "周敏"),
    StaffPlan("care", "store_manager", None, "吴静"),
    StaffPlan("pd_manager", "store_manager", "PD", "王建国"),
    StaffPlan("pd_supervisor", "supervisor", "PD", "李娜"),
    StaffPlan("pd_supervisor2", "supervisor", "PD", "陈刚"),
    StaffPlan("pd_agent1", "agent", "PD", "张伟", "pd_supervisor"),
    StaffPlan("pd_agent2", "agent", "PD", "刘芳", "pd_supervisor"),
    StaffPlan("pd_agent3", "agent", "PD", "杨洋", "pd_supervisor2"),
    StaffPlan("pd_agent4", "agent", "PD", "赵敏", "pd_supervisor2"),
    StaffPlan("sz_manager", "store_manager", "SZ", "徐海涛"),
    StaffPlan("sz_supervisor", "supervisor", "SZ", "孙丽"),
    StaffPlan("sz_agent1", "agent", "SZ", "马超", "sz_supervisor"),
    StaffPlan("sz_agent2", "agent", "SZ", "朱婷", "sz_supervisor"),
    StaffPlan("sz_agent3", "agent", "SZ", "胡斌", "sz_supervisor"),
    StaffPlan("sz_agent4", "agent", "SZ", "郭雪", "sz_supervisor"),
]

CHANNELS = [
    ("phone", 44), ("walk_in", 20), ("wechat", 15), ("email", 6), ("web", 4), ("letter", 1),
    ("social_media", 3), ("regulator", 2), ("manufacturer", 3), ("survey", 2),
]  # fmt: skip
CATEGORIES = [
    ("repair_not_fixed", 9), ("repair_rework", 6), ("repair_damage", 4), ("wait_reception", 5),
    ("wait_delivery", 9), ("wait_appointment", 4), ("billing_error", 5), ("price_high", 6),
    ("price_unexplained", 5), ("attitude_rude", 6), ("attitude_ignored", 4),
    ("promise_time", 6), ("promise_callback", 5), ("parts_shortage", 5), ("parts_quality", 3),
    ("facility_clean", 2), ("facility_parking", 2), ("sales_delivery", 3),
    ("sales_promise", 3), ("sales_finance", 2), ("product_defect", 4), ("other", 2),
]  # fmt: skip
SEVERITIES = [("low", 14), ("normal", 66), ("high", 16), ("critical", 4)]
COMPLAINERS = [("voicer", 55), ("passive", 20), ("irate", 18), ("activist", 5), ("terrorist", 2)]


class _Gen:
    def __init__(self, seed: int, now: dt.datetime) -> None:
        self.r = random.Random(seed)
        self.now = now
        self.stores = {s.code: s for s in STORES}

    def pick(self, weighted: list[tuple[str, int]]) -> str:
        return self.r.choices([v for v, _ in weighted], [w for _, w in weighted])[0]

    # --- people ---------------------------------------------------------------------------
    def person(self) -> tuple[str, str]:
        surname = self.pick(words.SURNAMES)
        gender = "male" if self.r.random() < 0.56 else "female"
        given = self.r.choice(words.GIVEN_MALE if gender == "male" else words.GIVEN_FEMALE)
        return surname + given, gender

    def phone(self, taken: set[str]) -> str:
        while True:
            number = self.r.choice(words.MOBILE_PREFIXES) + f"{self.r.randrange(10**8):08d}"
            if number not in taken:
                taken.add(number)
                return number

    def id_number(self, birthday: dt.date, gender: str) -> str:
        seq = self.r.randrange(0, 50) * 2 + (1 if gender == "male" else 0)
        body = f"{self.r.choice(words.ID_AREAS)}{birthday:%Y%m%d}{self.r.randrange(10)}{seq:02d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
        return body + check

    def vehicle(self, store: str, since: dt.datetime) -> AssetPlan:
        model, wmi, vds, nev, _w = self.r.choices(words.VEHICLES, [v[4] for v in words.VEHICLES])[0]
        latest = min(since.date(), self.now.date() - dt.timedelta(days=30))
        bought = latest - dt.timedelta(days=self.r.randrange(0, 1500))
        year = max(2015, min(2026, bought.year + (1 if bought.month >= 9 else 0)))
        chars = words.VIN_CHARS
        body = (
            wmi
            + vds
            + "".join(self.r.choice(chars) for _ in range(2))
            + "0"
            + words.MODEL_YEAR_CODES[year]
            + self.r.choice("ABCDEFGH123456789")
            + f"{self.r.randrange(10**6):06d}"
        )
        vin = body[:8] + vin_check_digit(body) + body[9:]
        region = "沪" if (store == "PD") == (self.r.random() < 0.85) else "苏"
        letter = self.r.choice("ABCDEFGHJKLMN") if region == "沪" else "E"
        tail = "".join(
            self.r.choice(words.PLATE_CHARS)
            if i == 0 and self.r.random() < 0.3
            else str(self.r.randrange(10))
            for i in range(5)
        )
        plate = f"{region}{letter}·{'D' if nev else ''}{tail}"
        years = max(0.1, (self.now.date() - bought).days / 365)
        mileage = int(years * self.r.uniform(8000, 22000))
        return AssetPlan(vin, plate, model, bought, mileage)

    def customer(self, store: str, phones: set[str], owners: list[str]) -> CustomerPlan:
        name, gender = self.person()
        since = self.now - dt.timedelta(days=self.r.uniform(400, 2600))
        birthday = dt.date(self.r.randrange(1958, 2002), self.r.randrange(1, 13), 1)
        birthday += dt.timedelta(days=self.r.randrange(28))
        district = self.r.choice(words.SH_DISTRICTS if store == "PD" else words.SZ_DISTRICTS)
        city = "上海市" if store == "PD" else "苏州市"
        tier = self.pick([("regular", 85), ("vip", 12), ("key_account", 3)])
        phone = self.phone(phones)
        fields: dict[str, Any] = {
            "phone": phone,
            "gender": gender,
            "birthday": birthday if self.r.random() < 0.7 else None,
            "address": f"{city}{district}{self.r.choice(words.ROADS)}{self.r.randrange(1, 999)}号",
            "source_channel": self.pick(
                [
                    ("walk_in", 35),
                    ("phone", 20),
                    ("referral", 15),
                    ("web", 10),
                    ("wechat", 15),
                    ("event", 5),
                ]
            ),
            "tier": tier,
            "contact_consent": self.r.random() < 0.9,
            "tags": sorted(set(self.r.sample(words.CUSTOMER_TAGS, self.r.choice((0, 0, 1, 2))))),
        }
        if self.r.random() < 0.35:
            fields["email"] = f"{phone[-8:]}@{self.r.choice(words.EMAIL_DOMAINS)}"
        if self.r.random() < 0.6:
            fields["wechat_id"] = f"wx_{phone[3:7]}{self.r.randrange(100, 999)}"
        if self.r.random() < 0.5:
            fields["id_number"] = self.id_number(birthday, gender)
        if self.r.random() < 0.012:
            fields["watch_list"] = True
            fields["watch_reason"] = self.r.choice(words.WATCH_REASONS)
        if tier != "regular":
            fields["notes"] = self.r.choice(
                ["集团大客户，优先安排工位", "多台车在本店保养", "老客户"]
            )
        owner = self.r.choice(owners) if self.r.random() < 0.6 else None
        plan = CustomerPlan(store, name, phone, since, fields, owner)
        for _ in range(self.r.choices((0, 1, 2), (4, 86, 10))[0]):
            plan.assets.append(self.vehicle(store, since))
        return plan

    # --- time ---------------------------------------------------------------------------
    def work_time(self, at: dt.datetime, store: str) -> dt.datetime:
        """`at`, or the next moment the store's staff are at work."""
        s = self.stores[store]
        local = at.astimezone(TZ)
        for _ in range(10):
            hour = local.hour + local.minute / 60
            if local.weekday() in s.workdays and s.open_at <= hour < s.close_at:
                return local
            if local.weekday() in s.workdays and hour < s.open_at:
                start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            else:
                start = (local + dt.timedelta(days=1)).replace(
                    hour=0, minute=0, second=0, microsecond=0
                )
            local = start + dt.timedelta(hours=s.open_at, minutes=self.r.randrange(5, 50))
        return local

    def received(self, channel: str, days_ago: float) -> dt.datetime:
        day = (self.now - dt.timedelta(days=days_ago)).astimezone(TZ)
        if channel in ("wechat", "email", "web", "social_media"):
            hour = self.r.uniform(7.0, 23.0)
        else:
            hour = self.r.triangular(8.5, 19.0, 10.5)
        at = day.replace(hour=int(hour), minute=int(hour % 1 * 60), second=0, microsecond=0)
        return min(at, self.now - dt.timedelta(minutes=20))


def build_plan(*, size: str = "full", now: dt.datetime, seed: int = SEED) -> DemoPlan:
    from manyi.core.demo.cases import plan_cases

    n_customers, n_cases, n_recent = SIZES[size]
    g = _Gen(seed, now)
    phones: set[str] = {"13900000000"}
    agents = {
        s.code: [p.username for p in STAFF if p.store == s.code and p.role == "agent"]
        for s in STORES
    }
    customers = []
    for i in range(n_customers):
        store = "PD" if i % 5 < 3 else "SZ"
        customers.append(g.customer(store, phones, agents[store]))
    staff = [
        StaffPlan(p.username, p.role, p.store, p.display_name, p.supervisor, g.phone(phones))
        for p in STAFF
    ]
    cases = plan_cases(g, customers, n_cases, n_recent)
    return DemoPlan(now, STORES, staff, customers, cases)
