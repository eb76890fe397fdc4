"""Surveys in the demo: six months of satisfaction measurement at both stores.

Six months before the demo's `now` the admin installed and published seven templates (NPS,
CSAT + CES, dealer CSI, Kano, SERVQUAL, employee, recovery fairness) and a rule that sends the
fairness survey two hours after a case is closed. From then on, day by day:

- the rule runs as the worker would (`run_rules`), and about half of the customers answer
  (`save_answers`): their fairness answers follow how their complaint ended, and the bad ones
  open a case through the close-the-loop rule, exactly as live;
- four weeks before `now` the stores started sending NPS and CSAT + CES themselves (by hand
  and to a segment, SMS or WeChat, plus QR slips at the counter) and the care centre started
  the CSI phone interviews; answers come in over the following days, some only partly, some
  never (the link expires or is still pending);
- the NPS, CSAT and CSI answers of the months before went-live come from the previous survey
  vendor's export, imported with `manyi import responses` (they open no cases);
- a Kano study (four months ago), a SERVQUAL study (two months ago) and two staff surveys
  have fewer answers than the minimum of 30, so their figures are shown greyed.

Scores come from seeded latent satisfaction per store (Suzhou a little behind Pudong), so the
figures, their differences and the key-driver chart are plausible and reproducible.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from django.utils import timezone

from manyi.accounts.models import Organisation, Store, User
from manyi.cases.choices import Status
from manyi.cases.models import Case
from manyi.cases.services import change_status, respond_to_case
from manyi.cases.sweep import sweep
from manyi.core.errors import DomainError
from manyi.core.imports.responses import import_responses
from manyi.customers.models import Customer
from manyi.metrics.servqual import SERVQUAL_DIMENSIONS, SERVQUAL_ITEMS
from manyi.surveys import answers as survey_answers
from manyi.surveys import rules as survey_rules
from manyi.surveys import services as survey_services
from manyi.surveys.choices import (
    InvitationChannel,
    InvitationSource,
    InvitationState,
    RuleTrigger,
)
from manyi.surveys.library import CSI_FACTORS, KANO_FEATURES
from manyi.surveys.models import Invitation, Survey

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
SURVEY_DAYS = 182  # the surveys were set up this long before `now`
LIVE_DAYS = 28  # the stores have sent NPS, CSAT and CSI through Manyi this long
RULE_DELAY = 2 * H  # the fairness survey goes out this long after a case is closed
TEMPLATES = ("recovery_fairness", "nps", "csat_ces", "dealer_csi", "kano", "servqual", "employee")

# Per size: imported history per survey (answers before went-live), invitations per day while
# live (per survey), people in the Kano and SERVQUAL studies, staff answering each staff survey.
SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "history": {"nps": 300, "csat_ces": 240, "dealer_csi": 190},
        "per_day": {"nps": 4.5, "csat_ces": 3.5, "dealer_csi": 0.8, "csi_phone": 1.6},
        "slips": 24,
        "kano": 60,
        "servqual": 64,
        "staff": 11,
    },
    "small": {
        "history": {"nps": 40, "csat_ces": 30, "dealer_csi": 25},
        "per_day": {"nps": 0.6, "csat_ces": 0.4, "dealer_csi": 0.1, "csi_phone": 0.3},
        "slips": 4,
        "kano": 10,
        "servqual": 10,
        "staff": 4,
    },
}
# Latent satisfaction per store (mean of a standard normal): Suzhou a little behind.
STORE_MOOD = {"PD": 0.15, "SZ": -0.2}
# Kano: the category each feature really has for these customers.
KANO_TRUTH = {
    "online_booking": "O",
    "progress_updates": "A",
    "pickup_delivery": "A",
    "quote_first": "M",
    "free_wash": "I",
    "lounge_wifi": "M",
}
KANO_PAIRS = {
    "A": [("like", "neutral"), ("like", "live_with"), ("like", "must_be")],
    "O": [("like", "dislike")],
    "M": [("must_be", "dislike"), ("neutral", "dislike"), ("live_with", "dislike")],
    "I": [("neutral", "neutral"), ("neutral", "live_with"), ("live_with", "live_with")],
}
# SERVQUAL: perception minus expectation per dimension, and the importance points.
SERVQUAL_GAP = {
    "tangibles": -0.3,
    "reliability": -1.2,
    "responsiveness": -0.9,
    "assurance": -0.4,
    "empathy": -0.6,
}
SERVQUAL_POINTS = {
    "tangibles": 12,
    "reliability": 32,
    "responsiveness": 22,
    "assurance": 18,
    "empathy": 16,
}
# What actually moves overall CSI (the key-driver chart should find it): fixing it right.
CSI_DRIVERS = {
    "service_quality": 0.30,
    "product_problems": 0.25,
    "customer_friendliness": 0.15,
    "vehicle_pickup": 0.10,
    "repair_process": 0.10,
    "service_initiative": 0.05,
    "service_supervision": 0.05,
}
CSI_MEANS = {
    "customer_friendliness": 8.6,
    "service_initiative": 7.6,
    "service_supervision": 7.9,
    "repair_process": 7.7,
    "product_problems": 8.2,
    "service_quality": 8.3,
    "vehicle_pickup": 8.5,
}
# How the complaint ended → how fair the handling felt (latent mean).
OUTCOME_MOOD = {"in_favour": 1.0, "partly": -0.1, "not_resolved": -1.2, "withdrawn": 0.3}

NPS_REASONS = {
    "promoter": [
        "服务顾问很专业，解释得很清楚", "维修一次就修好了", "价格透明，不乱收费",
        "环境好，等待时有咖啡",
    ],
    "passive": ["还可以，就是等的时间有点长", "整体不错，价格偏高", "服务一般，没什么特别"],
    "detractor": [
        "等了三个小时才交车", "同一个问题修了两次", "收费和报价不一样", "服务顾问态度冷淡",
    ],
}  # fmt: skip
NPS_FIX = ["交车时间准一点", "报价先说清楚", "希望有人主动告知进度", "提高一次修复率"]
CSAT_WRONG = ["预约了还要排队", "没人告诉我车什么时候好", "结账时多收了费用"]
CSI_IMPROVE = ["维修质量要稳定", "交车前把车洗干净", "主动告知维修进度", "缩短等待时间"]
FAIR_COMMENTS = {
    "good": ["处理很及时，谢谢", "店长亲自道歉，很有诚意", "补偿合理"],
    "bad": ["问题拖了很久才解决", "补偿太少，不满意", "感觉在推卸责任", "要反复打电话催"],
}
STAFF_COMMENTS = ["希望增加培训", "高峰期人手不够", "系统太慢", "投诉处理授权可以再放宽一些"]
LOOP_REPLY = "已致电客户致歉，了解了具体情况，约定处理方案"
LOOP_LESSON = ("process", "调查回访发现客户对处理过程不满意。", "处理方案须当天电话确认客户接受。")


class Answers(Protocol):
    def __call__(self, code: str, *, live: bool = ...) -> dict[str, Any]: ...


def _clip(value: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(value)))


class SurveysDemo:
    """Called by the demo loader: `start` before the year's cases (the surveys and the rule
    exist from six months before `now`), `finish` once the cases are loaded."""

    def __init__(
        self, *, seed: int, users: dict[str, User], now: dt.datetime, size: str = "full"
    ) -> None:
        self.r = random.Random(seed + 4)
        self.users = users
        self.now = now
        self.size = SIZES.get(size, SIZES["full"])
        self.surveys: dict[str, Survey] = {}
        # Local (Asia/Shanghai) times, so that hours of the day mean what they say.
        self.start_at = timezone.localtime(now - SURVEY_DAYS * D)
        self.live_at = now - LIVE_DAYS * D
        self.counts = {"invited": 0, "answered": 0, "partial": 0, "phone": 0, "loop_cases": 0}

    # -- set-up ---------------------------------------------------------------------------

    def start(self, org: Organisation) -> None:
        admin = self.users["admin"]
        for key in TEMPLATES:
            self.surveys[key] = survey_services.install_template(
                actor=admin, template_key=key, now=self.start_at
            )
        survey_rules.save_rule(
            actor=admin,
            survey=self.surveys["recovery_fairness"],
            trigger=RuleTrigger.CASE_CLOSED,
            delay_hours=int(RULE_DELAY / H),
            now=self.start_at,
        )

    # -- after the year's cases -------------------------------------------------------------

    def finish(self, org: Organisation, progress: Callable[[int, int], None]) -> None:
        self.stores = {s.code: s for s in Store.objects.filter(organisation=org)}
        consenting = Customer.objects.filter(
            organisation=org, contact_consent=True, lost_at__isnull=True
        ).exclude(phone="")
        self.customers = {
            code: list(consenting.filter(store=store).order_by("id"))
            for code, store in self.stores.items()
        }
        self.agents = {
            code: [u for u in self.users.values() if u.store_id == store.pk and u.role == "agent"]
            for code, store in self.stores.items()
        }
        self.closed = sorted(
            t
            for t in Case.objects.filter(organisation=org, closed_at__isnull=False).values_list(
                "closed_at", flat=True
            )
            if t is not None
        )
        days = int((self.now - self.start_at) / D)
        for n in range(1, days + 1):
            day = self.start_at + n * D
            self._day(day)
            if n % 10 == 0 or n == days:
                progress(n, days + 2)
        self._history()
        self._staff_surveys()
        self._handle_loop_cases(org)
        # Cases closed by the handling above: the worker's next run would invite for them.
        survey_rules.run_rules(now=self.now)
        sweep(now=self.now)
        progress(days + 2, days + 2)

    def _day(self, day: dt.datetime) -> None:
        evening = day.replace(hour=20, minute=0)
        if evening <= self.now:
            self._fairness(evening)
        if day > self.live_at:
            self._live(day)
        kano_at = self.now - 120 * D
        servqual_at = self.now - 60 * D
        if kano_at <= day < kano_at + D:
            self._study("kano", day, self.size["kano"], self._kano_answers)
        if servqual_at <= day < servqual_at + D:
            self._study("servqual", day, self.size["servqual"], self._servqual_answers)

    # -- the fairness rule --------------------------------------------------------------------

    def _fairness(self, at: dt.datetime) -> None:
        # The worker runs the rules every minute; here once a simulated evening, and only
        # when a case was closed since the last run (past the rule's two hours).
        ready = at - RULE_DELAY
        if bisect.bisect_right(self.closed, ready) == bisect.bisect_right(self.closed, ready - D):
            return
        survey_rules.run_rules(now=at)
        new = (
            Invitation.objects.filter(survey=self.surveys["recovery_fairness"], created_at=at)
            .exclude(state=InvitationState.SKIPPED)
            .select_related("case")
            .order_by("case__closed_at", "case__number")
        )
        for invitation in new:
            self.counts["invited"] += 1
            case = invitation.case
            mood = OUTCOME_MOOD.get(case.outcome if case else "", 0.0)
            self._respond(invitation, self._fairness_answers(mood), rate=0.5)

    def _fairness_answers(self, mood: float) -> dict[str, Any]:
        z = self.r.gauss(mood, 0.8)
        out: dict[str, Any] = {}
        for key, shift in (
            ("fair_outcome_1", 0.0),
            ("fair_outcome_2", 0.1),
            ("fair_procedural_1", -0.3),
            ("fair_procedural_2", -0.2),
            ("fair_interactional_1", 0.3),
            ("fair_interactional_2", 0.1),
        ):
            out[key] = _clip(5.5 + 1.4 * (z + shift + self.r.gauss(0, 0.45)), 1, 7)
        out["handling_satisfaction"] = _clip(5.4 + 1.5 * (z + self.r.gauss(0, 0.3)), 1, 7)
        out["return_intent"] = _clip(5.0 + 1.3 * (z + self.r.gauss(0, 0.5)), 1, 7)
        out["recommend_intent"] = _clip(4.8 + 1.3 * (z + self.r.gauss(0, 0.5)), 1, 7)
        if self.r.random() < 0.35:
            out["comment"] = self.r.choice(FAIR_COMMENTS["good" if z > 0 else "bad"])
        return out

    # -- live sending by the stores -------------------------------------------------------------

    def _live(self, day: dt.datetime) -> None:
        per_day = self.size["per_day"]
        for code in sorted(self.stores):
            if code not in STORE_MOOD:
                continue
            share = 0.6 if code == "PD" else 0.4
            for key, answers in (
                ("nps", self._nps_answers),
                ("csat_ces", self._csat_answers),
                ("dealer_csi", self._csi_answers),
            ):
                for _ in range(self._count(per_day[key] * share)):
                    self._send(key, code, self._work_hour(day), answers)
            for _ in range(self._count(per_day["csi_phone"] * share)):
                self._phone_interview(code, self._work_hour(day))
        if day.date() == (self.live_at + 7 * D).date():
            for code in ("PD", "SZ"):
                if code in self.stores:
                    self._counter_slips(code, day.replace(hour=9, minute=30))

    def _count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (1 if self.r.random() < expected - whole else 0)

    def _work_hour(self, day: dt.datetime) -> dt.datetime:
        return day.replace(hour=self.r.randint(9, 17), minute=self.r.randrange(0, 60, 5))

    def _send(self, key: str, code: str, at: dt.datetime, answers: Answers) -> None:
        """Invite a customer of the store by hand (the first one the quiet period allows)."""
        survey = self.surveys[key]
        pool = self.customers.get(code) or []
        for _try in range(6):
            if not pool:
                return
            customer = self.r.choice(pool)
            outcome = survey_services.invite_customer(
                survey=survey,
                customer=customer,
                source=InvitationSource.MANUAL,
                actor=self.r.choice(self.agents[code] or [self.users["admin"]]),
                staff=self.r.choice(self.agents[code]) if self.agents[code] else None,
                now=at,
            )
            if outcome.sent and outcome.invitation is not None:
                self.counts["invited"] += 1
                self._respond(outcome.invitation, answers(code, live=True), rate=0.55)
                return

    def _respond(self, invitation: Invitation, answers: dict[str, Any], *, rate: float) -> None:
        """Most answer within a day or two; some stop half-way, some only open the link."""
        roll = self.r.random()
        at = invitation.created_at + self.r.uniform(0.3, 50) * H
        if at >= self.now or roll >= rate + 0.18:
            return  # still pending, or never answered (the link expires)
        if roll < rate:
            result = survey_answers.save_answers(
                invitation=invitation, raw=answers, submit=True, now=at
            )
            self.counts["answered"] += result.completed
            self.counts["loop_cases"] += result.loop_case is not None
        elif roll < rate + 0.08:
            keys = list(answers)[: max(1, len(answers) // 3)]
            survey_answers.save_answers(
                invitation=invitation, raw={k: answers[k] for k in keys}, submit=False, now=at
            )
            self.counts["partial"] += 1
        else:
            survey_answers.mark_opened(invitation, now=at)

    def _counter_slips(self, code: str, at: dt.datetime) -> None:
        """QR slips handed out at the counter for a week: anonymous NPS answers."""
        slips = survey_services.print_counter_invitations(
            survey=self.surveys["nps"],
            store=self.stores[code],
            count=self.size["slips"],
            actor=self.users["admin"],
            now=at,
        )
        for n, invitation in enumerate(slips):
            if self.r.random() < 0.55:
                answer_at = at + (n % 7) * D + self.r.uniform(1, 9) * H
                if answer_at < self.now:
                    survey_answers.save_answers(
                        invitation=invitation,
                        raw=self._nps_answers(code, live=True),
                        submit=True,
                        now=answer_at,
                    )
                    self.counts["answered"] += 1

    def _phone_interview(self, code: str, at: dt.datetime) -> None:
        """CSS by phone: the care centre calls a customer after a service visit."""
        pool = self.customers.get(code) or []
        caller = self.users.get("care") or self.users["admin"]
        if not pool or at >= self.now:
            return
        result = survey_answers.record_phone_interview(
            actor=caller,
            survey=self.surveys["dealer_csi"],
            customer=self.r.choice(pool),
            raw=self._csi_answers(code, live=True),
            staff=self.r.choice(self.agents[code]) if self.agents[code] else None,
            now=at,
        )
        self.counts["phone"] += 1
        self.counts["loop_cases"] += result.loop_case is not None

    def _study(self, key: str, day: dt.datetime, people: int, answers: Answers) -> None:
        """A one-off study: the survey sent to a segment of customers of both stores."""
        chosen: list[Customer] = []
        for code in ("PD", "SZ"):
            pool = self.customers.get(code) or []
            chosen += self.r.sample(pool, min(len(pool), people // 2))
        at = day.replace(hour=10, minute=0)
        survey_services.invite_segment(
            survey=self.surveys[key],
            customers=Customer.objects.filter(pk__in=[c.pk for c in chosen]),
            actor=self.users["admin"],
            now=at,
        )
        invitations = Invitation.objects.filter(
            survey=self.surveys[key], created_at=at
        ).select_related("store")
        for invitation in invitations.order_by("customer__phone"):
            self.counts["invited"] += 1
            self._respond(invitation, answers(invitation.store.code, live=False), rate=0.4)

    # -- answers ---------------------------------------------------------------------------------

    def _mood(self, code: str, *, live: bool) -> float:
        # A little better since the stores started acting on the answers.
        return self.r.gauss(STORE_MOOD.get(code, 0.0) + (0.15 if live else 0.0), 1.0)

    def _nps_answers(self, code: str, *, live: bool = False) -> dict[str, Any]:
        score = _clip(8.4 + 1.7 * self._mood(code, live=live), 0, 10)
        out: dict[str, Any] = {"nps": score}
        kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        if self.r.random() < 0.6:
            out["reason"] = self.r.choice(NPS_REASONS[kind])
        if score <= 6 and self.r.random() < 0.7:
            out["fix"] = self.r.choice(NPS_FIX)
        return out

    def _csat_answers(self, code: str, *, live: bool = False) -> dict[str, Any]:
        z = self._mood(code, live=live)
        csat = _clip(4.05 + 0.85 * z, 1, 5)
        out: dict[str, Any] = {
            "csat": csat,
            "ces": _clip(5.3 + 1.2 * (0.7 * z + 0.7 * self.r.gauss(0, 1)), 1, 7),
        }
        if csat <= 2 and self.r.random() < 0.8:
            out["what_went_wrong"] = self.r.choice(CSAT_WRONG)
        return out

    def _csi_answers(self, code: str, *, live: bool = False) -> dict[str, Any]:
        z = self._mood(code, live=live)
        factors = {}
        for factor in CSI_FACTORS:
            mean = CSI_MEANS[factor] - (0.5 if code == "SZ" and factor == "repair_process" else 0)
            factors[factor] = _clip(mean + 1.25 * (0.55 * z + 0.83 * self.r.gauss(0, 1)), 1, 10)
        overall = sum(CSI_DRIVERS[f] * v for f, v in factors.items()) + self.r.gauss(0, 0.55)
        out: dict[str, Any] = {f"csi_{f}": v for f, v in factors.items()}
        out["overall"] = _clip(overall, 1, 10)
        if out["overall"] <= 6 and self.r.random() < 0.7:
            out["improve"] = self.r.choice(CSI_IMPROVE)
        return out

    def _kano_answers(self, code: str, *, live: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, _zh, _en in KANO_FEATURES:
            truth = KANO_TRUTH[key]
            category = truth if self.r.random() < 0.7 else self.r.choice("AOMI")
            functional, dysfunctional = self.r.choice(KANO_PAIRS[category])
            out[f"kano_{key}"] = {"functional": functional, "dysfunctional": dysfunctional}
        return out

    def _servqual_answers(self, code: str, *, live: bool = False) -> dict[str, Any]:
        z = self._mood(code, live=False)
        out: dict[str, Any] = {}
        for item in SERVQUAL_ITEMS:
            expectation = _clip(6.2 + 0.7 * self.r.gauss(0, 1), 3, 7)
            gap = SERVQUAL_GAP[item.dimension] + 0.5 * z + 0.6 * self.r.gauss(0, 1)
            out[f"sq_{item.code.lower()}"] = {
                "expectation": expectation,
                "perception": _clip(expectation + gap, 1, 7),
            }
        weights = {
            d: max(0, SERVQUAL_POINTS[d] + self.r.randint(-6, 6)) for d in SERVQUAL_DIMENSIONS
        }
        first = SERVQUAL_DIMENSIONS[0]
        weights[first] += 100 - sum(weights.values())
        if weights[first] >= 0 and self.r.random() < 0.8:
            out["sq_importance"] = weights
        return out

    def _staff_answers(self) -> dict[str, Any]:
        z = self.r.gauss(0.1, 1.0)
        out: dict[str, Any] = {}
        for key, shift in (
            ("es_tools", 0.2),
            ("es_authority", -0.5),
            ("es_support", 0.3),
            ("es_internal", -0.3),
            ("es_recognition", -0.2),
            ("es_training", 0.0),
        ):
            out[key] = _clip(3.7 + 0.9 * (0.6 * z + 0.8 * self.r.gauss(shift, 1)), 1, 5)
        out["es_overall"] = _clip(3.6 + 0.9 * z, 1, 5)
        out["enps"] = _clip(7.2 + 2.0 * z, 0, 10)
        if self.r.random() < 0.3:
            out["es_comment"] = self.r.choice(STAFF_COMMENTS)
        return out

    # -- the months before went-live: the previous vendor's export, imported -----------------

    def _history(self) -> None:
        admin = self.users["admin"]
        staff = {code: [u.username for u in agents] for code, agents in self.agents.items()}
        for key, answers in (
            ("nps", self._nps_answers),
            ("csat_ces", self._csat_answers),
            ("dealer_csi", self._csi_answers),
        ):
            survey = self.surveys[key]
            assert survey.current_version is not None
            questions = [q["key"] for q in survey.current_version.definition["questions"]]
            rows: list[list[Any]] = [
                ["store", "customer_phone", "staff", "submitted_at", *questions]
            ]
            for _ in range(self.size["history"][key]):
                code = "PD" if self.r.random() < 0.6 else "SZ"
                pool = self.customers.get(code) or []
                at = self.start_at + self.r.uniform(1, SURVEY_DAYS - LIVE_DAYS) * D
                at = at.replace(hour=self.r.randint(9, 19), minute=self.r.randrange(60))
                given = answers(code)
                rows.append(
                    [
                        code,
                        self.r.choice(pool).phone if pool and self.r.random() < 0.8 else "",
                        self.r.choice(staff[code]) if staff.get(code) else "",
                        at.strftime("%Y-%m-%d %H:%M"),
                        *(given.get(q, "") for q in questions),
                    ]
                )
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"css_{key}_export.csv"
                with path.open("w", encoding="utf-8", newline="") as f:
                    csv.writer(f).writerows(rows)
                result = import_responses(path=path, survey=survey, actor=admin, now=self.now)
            if not result.ok:  # pragma: no cover - the demo writes only good rows
                raise DomainError(f"demo import of {key}: {result.errors[:3]}")

    # -- staff surveys ---------------------------------------------------------------------------

    def _staff_surveys(self) -> None:
        """Two waves of the anonymous staff survey: links by email, most colleagues answer."""
        survey = self.surveys["employee"]
        version = survey.current_version
        assert version is not None
        for days_ago in (95, 20):
            at = (self.now - days_ago * D).replace(hour=9, minute=0)
            for code in ("PD", "SZ"):
                store = self.stores.get(code)
                if store is None:
                    continue
                for _ in range(self.size["staff"]):
                    invitation = Invitation.objects.create(
                        organisation_id=survey.organisation_id,
                        survey=survey,
                        survey_version=version,
                        token=survey_services.new_token(),
                        store=store,
                        source=InvitationSource.STAFF,
                        channel=InvitationChannel.EMAIL,
                        expires_at=at + survey.expiry_days * D,
                        created_by=self.users["admin"],
                        created_at=at,
                    )
                    self._respond(invitation, self._staff_answers(), rate=0.6)

    # -- the cases opened by bad answers ----------------------------------------------------------

    def _handle_loop_cases(self, org: Organisation) -> None:
        """The owner calls back within hours; cases older than ten days are resolved and closed."""
        loops = (
            Case.objects.filter(organisation=org, from_response__isnull=False)
            .select_related("owner")
            .order_by("received_at", "number")
        )
        for case in loops:
            owner = case.owner
            at = case.received_at + self.r.uniform(0.5, 3) * H
            try:
                if at < self.now:
                    respond_to_case(actor=owner, case=case, message=LOOP_REPLY, now=at)
                if case.received_at < self.now - 10 * D:
                    case = change_status(
                        actor=owner,
                        case=case,
                        status=Status.RESOLVED,
                        outcome=self.r.choice(["in_favour", "in_favour", "partly"]),
                        note="客户接受处理方案",
                        now=case.received_at + 2 * D,
                    )
                    root_cause, note, action = LOOP_LESSON
                    change_status(
                        actor=owner,
                        case=case,
                        status=Status.CLOSED,
                        root_cause=root_cause,
                        root_cause_note=note,
                        corrective_action=action,
                        now=case.received_at + 4 * D,
                    )
            except DomainError:
                continue
