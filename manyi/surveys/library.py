"""The survey templates Manyi ships (issue 4): each is a name, an audience and a definition
(see manyi.surveys.definition). Creating a survey from a template copies the definition into
the survey's draft, where it can be edited before it is published.

Texts are bilingual; the Chinese ones follow the seeds' wording where they have one (dealer
CSI factors from seed 004, Kano answers from 001, fairness from 002)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.metrics.scores import DEFAULT_CSI_WEIGHTS
from manyi.metrics.servqual import SERVQUAL_DIMENSION_NAMES, SERVQUAL_DIMENSIONS, SERVQUAL_ITEMS
from manyi.surveys.definition import QuestionType as T
from manyi.surveys.definition import Role as R

Q = dict[str, Any]


def _scale(
    key: str,
    zh: str,
    en: str,
    *,
    lo: int = 1,
    hi: int = 5,
    low: tuple[str, str] = ("非常不满意", "Very dissatisfied"),
    high: tuple[str, str] = ("非常满意", "Very satisfied"),
    role: str = "",
    required: bool = True,
    **extra: Any,
) -> Q:
    return {
        "key": key,
        "type": T.SCALE,
        "text_zh": zh,
        "text_en": en,
        "scale_min": lo,
        "scale_max": hi,
        "label_low_zh": low[0],
        "label_low_en": low[1],
        "label_high_zh": high[0],
        "label_high_en": high[1],
        "role": role,
        "required": required,
        **extra,
    }


def _text(key: str, zh: str, en: str, *, show_if: dict[str, Any] | None = None) -> Q:
    q: Q = {"key": key, "type": T.TEXT, "text_zh": zh, "text_en": en, "required": False}
    if show_if:
        q["show_if"] = show_if
    return q


def _nps(key: str = "nps", *, about: tuple[str, str] | None = None) -> Q:
    zh, en = about or ("本店", "this store")
    return {
        "key": key,
        "type": T.NPS,
        "text_zh": f"您有多大可能向亲友推荐{zh}？",
        "text_en": f"How likely are you to recommend {en} to a friend or colleague?",
        "label_low_zh": "完全不可能",
        "label_low_en": "Not at all likely",
        "label_high_zh": "非常可能",
        "label_high_en": "Extremely likely",
        "role": R.NPS,
        "required": True,
    }


AGREE = (("非常不同意", "Strongly disagree"), ("非常同意", "Strongly agree"))

# --- 1. dealer after-sales CSI (seed 004: the J.D. Power factors and weights) ----------------

CSI_FACTORS: dict[str, tuple[str, str]] = {
    "customer_friendliness": ("服务顾问的友好程度", "Friendliness of the service advisor"),
    "service_initiative": ("服务的主动性（预约、提醒、主动说明）", "Service initiative"),
    "service_supervision": ("服务过程的跟进与说明", "Supervision and explanation of the work"),
    "repair_process": ("维修过程的体验（等候、便利）", "The repair-process experience"),
    "product_problems": ("车辆问题是否得到解决", "Whether the vehicle's problem was fixed"),
    "service_quality": ("维修保养质量（一次修好）", "Quality of the work (fixed right first time)"),
    "vehicle_pickup": ("交车过程（准时、洁净、费用说明）", "Vehicle pick-up"),
}


def _csi() -> list[Q]:
    questions = [
        _scale(
            f"csi_{factor}",
            f"请为“{zh}”打分",
            f"Please rate: {en}",
            lo=1,
            hi=10,
            low=("非常差", "Very poor"),
            high=("非常好", "Excellent"),
            role=R.CSI_FACTOR,
            factor=factor,
            weight=DEFAULT_CSI_WEIGHTS[factor],
        )
        for factor, (zh, en) in CSI_FACTORS.items()
    ]
    questions.append(
        _scale(
            "overall",
            "总体而言，您对本次售后服务的满意程度如何？",
            "Overall, how satisfied are you with this service visit?",
            lo=1,
            hi=10,
            role=R.OVERALL,
        )
    )
    questions.append(
        _text(
            "improve",
            "您认为我们最需要改进的是什么？",
            "What should we improve first?",
            show_if={"key": "overall", "op": "lte", "value": 6},
        )
    )
    return questions


# --- 2. NPS with a reason ----------------------------------------------------------------------


def _nps_survey() -> list[Q]:
    return [
        _nps(),
        _text(
            "reason", "您给出这个分数的主要原因是什么？", "What is the main reason for your score?"
        ),
        _text(
            "fix",
            "我们怎样做才能让您更满意？",
            "What could we do to make you happier with us?",
            show_if={"key": "nps", "op": "lte", "value": 6},
        ),
    ]


# --- 3. CSAT (1–5) and Customer Effort Score (1–7) ----------------------------------------------


def _csat_ces() -> list[Q]:
    return [
        _scale(
            "csat",
            "您对本次服务的总体满意程度如何？",
            "How satisfied were you with the service you received?",
            role=R.CSAT,
        ),
        _scale(
            "ces",
            "本店让我的问题处理起来很省心。",
            "The store made it easy for me to handle my issue.",
            lo=1,
            hi=7,
            low=AGREE[0],
            high=AGREE[1],
            role=R.CES,
        ),
        _text(
            "what_went_wrong",
            "很抱歉让您不满意，请告诉我们哪里没做好。",
            "We are sorry. Please tell us what went wrong.",
            show_if={"key": "csat", "op": "lte", "value": 2},
        ),
    ]


# --- 4. SERVQUAL: 22 items, expectation and perception, importance points ---------------------


def _servqual() -> list[Q]:
    questions: list[Q] = [
        {
            "key": f"sq_{item.code.lower()}",
            "type": T.SERVQUAL,
            "text_zh": item.zh,
            "text_en": item.en,
            "scale_min": 1,
            "scale_max": 7,
            "label_low_zh": AGREE[0][0],
            "label_low_en": AGREE[0][1],
            "label_high_zh": AGREE[1][0],
            "label_high_en": AGREE[1][1],
            "role": R.SERVQUAL,
            "dimension": item.dimension,
            "required": True,
        }
        for item in SERVQUAL_ITEMS
    ]
    questions.append(
        {
            "key": "sq_importance",
            "type": T.POINTS,
            "text_zh": "请把 100 分分配给以下五个方面，分数越高表示该方面对您越重要。",
            "text_en": "Split 100 points among these five aspects: the more important an "
            "aspect is to you, the more points it gets.",
            "options": [
                {
                    "value": d,
                    "zh": SERVQUAL_DIMENSION_NAMES[d][1],
                    "en": SERVQUAL_DIMENSION_NAMES[d][0],
                }
                for d in SERVQUAL_DIMENSIONS
            ],
            "total": 100,
            "role": R.SERVQUAL_WEIGHTS,
            "required": False,
        }
    )
    return questions


# --- 5. Kano ------------------------------------------------------------------------------------

KANO_FEATURES: list[tuple[str, str, str]] = [
    ("online_booking", "网上或微信预约保养", "booking service online or by WeChat"),
    (
        "progress_updates",
        "维修过程中通过微信推送进度",
        "progress updates by WeChat during the repair",
    ),
    ("pickup_delivery", "免费上门取送车", "free pick-up and delivery of the car"),
    ("quote_first", "开工前明确报价", "a firm price before work starts"),
    ("free_wash", "保养后免费洗车", "a free car wash after the service"),
    ("lounge_wifi", "休息区提供无线网络和饮品", "a lounge with Wi-Fi and drinks"),
]


def _kano() -> list[Q]:
    return [
        {
            "key": f"kano_{key}",
            "type": T.KANO,
            "text_zh": f"如果本店提供“{zh}”，您觉得如何？",
            "text_en": f"If the store offers {en}, how do you feel?",
            "text2_zh": f"如果本店不提供“{zh}”，您觉得如何？",
            "text2_en": f"If the store does not offer {en}, how do you feel?",
            "role": R.KANO,
            "feature": key,
            "required": True,
        }
        for key, zh, en in KANO_FEATURES
    ]


# --- 6. recovery fairness after a complaint (seed 002: outcome, procedure, interaction) -------


def _fairness() -> list[Q]:
    agree: dict[str, Any] = {"lo": 1, "hi": 7, "low": AGREE[0], "high": AGREE[1]}
    return [
        _scale(
            "fair_outcome_1",
            "我得到的处理结果（补偿、维修、道歉）与我受到的损失相称。",
            "What I received (compensation, repair, apology) matched the trouble I had.",
            role=R.FAIR_OUTCOME,
            **agree,
        ),
        _scale(
            "fair_outcome_2",
            "考虑到整个情况，处理结果是公平的。",
            "Given the circumstances, the outcome was fair.",
            role=R.FAIR_OUTCOME,
            **agree,
        ),
        _scale(
            "fair_procedural_1",
            "我的投诉得到了及时处理。",
            "My complaint was dealt with quickly.",
            role=R.FAIR_PROCEDURAL,
            **agree,
        ),
        _scale(
            "fair_procedural_2",
            "处理过程清楚，我不需要反复证明自己。",
            "The process was clear and I did not have to prove everything myself.",
            role=R.FAIR_PROCEDURAL,
            **agree,
        ),
        _scale(
            "fair_interactional_1",
            "工作人员对我礼貌、真诚。",
            "The staff were courteous and sincere with me.",
            role=R.FAIR_INTERACTIONAL,
            **agree,
        ),
        _scale(
            "fair_interactional_2",
            "工作人员向我道歉，并清楚说明了发生的事。",
            "The staff apologised and explained clearly what had happened.",
            role=R.FAIR_INTERACTIONAL,
            **agree,
        ),
        _scale(
            "handling_satisfaction",
            "总体而言，您对投诉的处理满意吗？",
            "Overall, how satisfied are you with how your complaint was handled?",
            role=R.OVERALL,
            lo=1,
            hi=7,
        ),
        _scale(
            "return_intent",
            "我还会再来本店消费。",
            "I will come back to this store.",
            role=R.RETURN_INTENT,
            **agree,
        ),
        _scale(
            "recommend_intent",
            "我愿意向亲友推荐本店。",
            "I would recommend this store to friends.",
            role=R.RECOMMEND_INTENT,
            **agree,
        ),
        _text(
            "comment",
            "还有什么想告诉我们的吗？",
            "Is there anything else you would like to tell us?",
        ),
    ]


# --- 7. internal customer / employee satisfaction (DOMAIN.md §1) ------------------------------


def _employee() -> list[Q]:
    agree: dict[str, Any] = {"low": AGREE[0], "high": AGREE[1]}
    return [
        _scale(
            "es_tools",
            "我有做好客户服务所需的工具和信息。",
            "I have the tools and information I need to serve customers well.",
            role=R.DRIVER,
            **agree,
        ),
        _scale(
            "es_authority",
            "在我的权限内，我可以自己为客户补救。",
            "Within my authority I can put things right for a customer myself.",
            role=R.DRIVER,
            **agree,
        ),
        _scale(
            "es_support",
            "处理棘手投诉时，我的主管会支持我。",
            "My supervisor backs me when I handle a difficult complaint.",
            role=R.DRIVER,
            **agree,
        ),
        _scale(
            "es_internal",
            "其他部门像对待客户一样对待我（内部顾客）。",
            "Other departments serve me as they would a customer.",
            role=R.DRIVER,
            **agree,
        ),
        _scale(
            "es_recognition",
            "优质服务会得到认可和奖励。",
            "Good service is recognised and rewarded.",
            role=R.DRIVER,
            **agree,
        ),
        _scale(
            "es_training",
            "我接受过足够的服务礼仪和投诉处理培训。",
            "I have had enough training in service etiquette and complaint handling.",
            role=R.DRIVER,
            **agree,
        ),
        _scale(
            "es_overall",
            "总体而言，您对在这里的工作满意吗？",
            "Overall, how satisfied are you with working here?",
            role=R.OVERALL,
        ),
        _nps("enps", about=("本公司作为工作单位", "this company as a place to work")),
        _text("es_comment", "您有什么建议？", "Any suggestion?"),
    ]


# --- the real airline data (shared/data/airline_passenger_satisfaction) -----------------------

AIRLINE_ITEMS: list[tuple[str, str, str]] = [
    ("wifi", "Inflight wifi service", "机上无线网络"),
    ("time_convenient", "Departure/Arrival time convenient", "起降时间方便"),
    ("online_booking", "Ease of Online booking", "网上订票便捷"),
    ("gate_location", "Gate location", "登机口位置"),
    ("food_drink", "Food and drink", "餐饮"),
    ("online_boarding", "Online boarding", "在线值机登机"),
    ("seat_comfort", "Seat comfort", "座椅舒适度"),
    ("entertainment", "Inflight entertainment", "机上娱乐"),
    ("onboard_service", "On-board service", "机上服务"),
    ("leg_room", "Leg room service", "腿部空间"),
    ("baggage", "Baggage handling", "行李处理"),
    ("checkin", "Checkin service", "值机服务"),
    ("inflight_service", "Inflight service", "飞行中服务"),
    ("cleanliness", "Cleanliness", "清洁"),
]


def _choice(key: str, zh: str, en: str, options: list[tuple[str, str, str]], **extra: Any) -> Q:
    return {
        "key": key,
        "type": T.SINGLE,
        "text_zh": zh,
        "text_en": en,
        "options": [{"value": v, "zh": z, "en": e} for v, z, e in options],
        "required": False,
        **extra,
    }


def _airline() -> list[Q]:
    questions: list[Q] = [
        _scale(
            f"air_{key}",
            f"请为“{zh}”打分",
            f"Please rate: {en}",
            low=("非常差", "Very poor"),
            high=("非常好", "Excellent"),
            role=R.DRIVER,
            allow_na=True,
            required=False,
            import_column=en,
            na_code="0",
        )
        for key, en, zh in AIRLINE_ITEMS
    ]
    overall = _choice(
        "satisfaction",
        "总体而言，您对本次航班满意吗？",
        "Overall, were you satisfied with this flight?",
        [
            ("satisfied", "满意", "Satisfied"),
            ("neutral or dissatisfied", "一般或不满意", "Neutral or dissatisfied"),
        ],
        role=R.OVERALL,
        import_column="satisfaction",
    )
    overall["options"][0]["score"] = 1
    overall["options"][1]["score"] = 0
    overall["required"] = True
    questions.append(overall)
    questions += [
        _choice(
            "customer_type",
            "旅客类型",
            "Customer type",
            [
                ("Loyal Customer", "忠诚旅客", "Loyal customer"),
                ("disloyal Customer", "非忠诚旅客", "Disloyal customer"),
            ],
            import_column="Customer Type",
        ),
        _choice(
            "travel_type",
            "出行目的",
            "Type of travel",
            [
                ("Business travel", "商务出行", "Business travel"),
                ("Personal Travel", "个人出行", "Personal travel"),
            ],
            import_column="Type of Travel",
        ),
        _choice(
            "travel_class",
            "舱位",
            "Class",
            [
                ("Business", "商务舱", "Business"),
                ("Eco", "经济舱", "Economy"),
                ("Eco Plus", "超级经济舱", "Economy plus"),
            ],
            import_column="Class",
        ),
    ]
    return questions


@dataclass(frozen=True)
class Template:
    key: str
    kind: str
    name_zh: str
    name_en: str
    description: Any  # lazy translation
    audience: str
    questions: list[Q]


def templates() -> list[Template]:
    """The shipped templates, built fresh (callers may change the dicts they get)."""
    return [
        Template(
            "dealer_csi",
            "csi",
            "售后服务满意度（CSI）",
            "After-sales satisfaction (CSI)",
            _("Seven weighted factors of a dealer's after-sales visit, as in J.D. Power's CSI."),
            "customer",
            _csi(),
        ),
        Template(
            "nps",
            "nps",
            "净推荐值（NPS）",
            "Net Promoter Score (NPS)",
            _("Likelihood to recommend (0–10) and the reason for it."),
            "customer",
            _nps_survey(),
        ),
        Template(
            "csat_ces",
            "csat",
            "满意度与费力度（CSAT + CES）",
            "Satisfaction and effort (CSAT + CES)",
            _("Satisfaction 1–5 and the Customer Effort Score 1–7."),
            "customer",
            _csat_ces(),
        ),
        Template(
            "servqual",
            "servqual",
            "服务质量（SERVQUAL）",
            "Service quality (SERVQUAL)",
            _("22 items in five dimensions, expectation and perception, importance points."),
            "customer",
            _servqual(),
        ),
        Template(
            "kano",
            "kano",
            "服务功能需求（Kano）",
            "Service features (Kano)",
            _("Functional and dysfunctional questions for a list of service features."),
            "customer",
            _kano(),
        ),
        Template(
            "recovery_fairness",
            "fairness",
            "投诉处理公平感",
            "Complaint handling fairness",
            _(
                "Outcome, procedural and interactional fairness after a complaint, "
                "satisfaction with the handling, intention to return and to recommend."
            ),
            "customer",
            _fairness(),
        ),
        Template(
            "employee",
            "employee",
            "员工（内部顾客）满意度",
            "Employee (internal customer) satisfaction",
            _("How well staff are equipped and supported to serve customers."),
            "employee",
            _employee(),
        ),
        Template(
            "airline",
            "custom",
            "航空旅客满意度（公开数据）",
            "Airline passenger satisfaction (public data)",
            _("Fourteen service items and overall satisfaction, for the public airline data."),
            "customer",
            _airline(),
        ),
    ]


def template(key: str) -> Template | None:
    return next((t for t in templates() if t.key == key), None)
