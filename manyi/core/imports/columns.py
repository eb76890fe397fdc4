"""The columns an import file may have, their Chinese header aliases, and the words accepted
for choice fields (the English value, the English label, or the Chinese word)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.core.imports.readers import ImportFileError


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    help: Promise | str
    required: bool = False


CUSTOMER_COLUMNS = [
    Column(
        "name",
        ("姓名", "客户姓名", "客户名称", "名字"),
        gettext_lazy("customer name"),
        required=True,
    ),
    Column(
        "phone",
        ("手机", "电话", "手机号", "手机号码", "联系电话", "电话号码"),
        gettext_lazy("mobile or landline; unique in the organisation"),
    ),
    Column("email", ("邮箱", "电子邮件", "电子邮箱"), gettext_lazy("email address")),
    Column("wechat_id", ("微信", "微信号"), gettext_lazy("WeChat id")),
    Column("gender", ("性别",), gettext_lazy("male/female (男/女)")),
    Column("birthday", ("生日", "出生日期"), gettext_lazy("date, YYYY-MM-DD")),
    Column("id_number", ("身份证号", "身份证", "证件号码"), gettext_lazy("ID card number")),
    Column("address", ("地址", "联系地址"), gettext_lazy("address")),
    Column(
        "source_channel",
        ("来源", "来源渠道", "客户来源"),
        gettext_lazy("walk_in, phone, referral, web, wechat, event, other"),
    ),
    Column(
        "tier", ("等级", "客户等级"), gettext_lazy("regular, vip, key_account (普通/VIP/大客户)")
    ),
    Column("tags", ("标签",), gettext_lazy("comma-separated")),
    Column(
        "language",
        ("语言", "偏好语言", "沟通语言"),
        gettext_lazy(
            "language of messages to the customer: zh-hans or en (中文/英文); empty: zh-hans"
        ),
    ),
    Column(
        "contact_consent",
        ("同意联系", "允许联系", "联系同意"),
        gettext_lazy("yes/no (是/否); empty means yes"),
    ),
    Column(
        "store",
        ("门店", "门店代码", "所属门店"),
        gettext_lazy("store code; empty: the --store option, or the only store"),
    ),
    Column(
        "owner", ("负责人", "专属顾问", "归属顾问"), gettext_lazy("user name of the staff owner")
    ),
    Column("notes", ("备注",), gettext_lazy("notes")),
    Column("vin", ("车架号", "vin码", "车辆识别代号"), gettext_lazy("vehicle: 17-character VIN")),
    Column("plate", ("车牌", "车牌号", "车牌号码"), gettext_lazy("vehicle: plate number")),
    Column("model", ("车型",), gettext_lazy("vehicle: model")),
    Column("purchase_date", ("购车日期", "购买日期"), gettext_lazy("vehicle: date, YYYY-MM-DD")),
    Column("mileage", ("里程", "行驶里程", "公里数"), gettext_lazy("vehicle: kilometres")),
]

CASE_COLUMNS = [
    Column(
        "number",
        ("编号", "投诉编号", "投诉单号", "单号"),
        gettext_lazy("case number; empty: numbered as usual, given: kept"),
    ),
    Column(
        "customer_phone",
        ("客户手机", "客户电话", "手机", "电话", "手机号", "联系电话"),
        gettext_lazy("phone of an existing customer"),
        required=True,
    ),
    Column("store", ("门店", "门店代码"), gettext_lazy("store code; empty: the customer's store")),
    Column(
        "channel",
        ("渠道", "投诉渠道", "来源渠道"),
        gettext_lazy(
            "phone, walk_in, email, web, wechat, letter, social_media, regulator, "
            "manufacturer, survey (or 电话/到店/微信 ...)"
        ),
        required=True,
    ),
    Column(
        "category",
        ("类别", "投诉类别", "分类"),
        gettext_lazy("category code (or its Chinese or English name)"),
        required=True,
    ),
    Column(
        "severity",
        ("严重度", "严重程度", "级别"),
        gettext_lazy("low, normal, high, critical (低/一般/高/紧急); empty: normal"),
    ),
    Column(
        "nature",
        ("性质", "投诉性质"),
        gettext_lazy("problem_solving, venting, expectation; empty: problem_solving"),
    ),
    Column(
        "complainer_type",
        ("投诉人类型", "客户类型"),
        gettext_lazy("passive, voicer, irate, activist, terrorist; empty: voicer"),
    ),
    Column(
        "summary",
        ("摘要", "投诉摘要", "标题"),
        gettext_lazy("at most 200 characters"),
        required=True,
    ),
    Column("description", ("描述", "详细描述", "投诉内容"), gettext_lazy("full description")),
    Column(
        "received_at",
        ("受理时间", "接收时间", "投诉时间"),
        gettext_lazy('ISO 8601 or "YYYY-MM-DD HH:MM" local time; empty: now'),
    ),
    Column("owner", ("负责人", "处理人"), gettext_lazy("user name; empty: the importing user")),
    Column(
        "status",
        ("状态",),
        gettext_lazy(
            "new, acknowledged, in_progress, waiting_customer, waiting_third_party, resolved, "
            "closed; empty: new"
        ),
    ),
    Column(
        "outcome",
        ("结果", "处理结果", "投诉结果"),
        gettext_lazy(
            "resolved or closed cases: in_favour, partly, not_resolved, withdrawn "
            "(已解决/部分解决/未解决/客户撤诉); may be empty for old cases"
        ),
    ),
    Column(
        "root_cause",
        ("根本原因", "根因", "原因类别"),
        gettext_lazy(
            "resolved or closed cases: people, process, product, policy, third_party, customer, "
            "unknown (人员/流程/产品/政策/第三方/客户/未知)"
        ),
    ),
    Column(
        "root_cause_note",
        ("原因说明", "根因说明", "原因分析"),
        gettext_lazy("resolved or closed cases: what went wrong"),
    ),
    Column(
        "corrective_action",
        ("纠正措施", "整改措施", "改进措施"),
        gettext_lazy("resolved or closed cases: what is done so that it does not happen again"),
    ),
]


def normalise_header(header: str) -> str:
    h = re.sub(r"[（(].*?[)）]", "", header.replace("\ufeff", ""))
    return re.sub(r"[\s_\-*：:]", "", h).lower()


def map_headers(headers: list[str], columns: list[Column]) -> tuple[dict[str, int], list[str]]:
    """{field: column index} and the headers that match no field. Raises ImportFileError for
    a missing required column or two columns meaning the same field."""
    lookup: dict[str, str] = {}
    for col in columns:
        for alias in (col.name, *col.aliases):
            lookup.setdefault(normalise_header(alias), col.name)
    found: dict[str, int] = {}
    unknown = []
    for i, header in enumerate(headers):
        if not header:
            continue
        field = lookup.get(normalise_header(header))
        if field is None:
            unknown.append(header)
        elif field in found:
            raise ImportFileError(
                _("The columns “%(a)s” and “%(b)s” both mean %(field)s; keep one.")
                % {"a": headers[found[field]], "b": header, "field": field}
            )
        else:
            found[field] = i
    missing = [c.name for c in columns if c.required and c.name not in found]
    if missing:
        raise ImportFileError(
            _("Required columns are missing: %(cols)s.") % {"cols": ", ".join(missing)}
        )
    return found, unknown


def columns_help(columns: list[Column]) -> str:
    lines = []
    for c in columns:
        star = "*" if c.required else " "
        lines.append(f"  {star}{c.name:<16} {'/'.join(c.aliases)}: {c.help}")
    return "\n".join(lines)


# Words accepted for choice fields, besides the value itself and its English label.
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "gender": {"男": "male", "女": "female", "m": "male", "f": "female", "未知": ""},
    "tier": {
        "普通": "regular", "普通客户": "regular", "贵宾": "vip", "vip客户": "vip",
        "大客户": "key_account", "重点客户": "key_account",
    },
    "language": {
        "中文": "zh-hans", "简体": "zh-hans", "汉语": "zh-hans", "zh": "zh-hans",
        "zh-cn": "zh-hans", "英文": "en", "英语": "en",
    },
    "source_channel": {
        "到店": "walk_in", "自然到店": "walk_in", "电话": "phone", "转介绍": "referral",
        "推荐": "referral", "网站": "web", "官网": "web", "网络": "web", "微信": "wechat",
        "活动": "event", "其他": "other",
    },
    "channel": {
        "电话": "phone", "热线": "phone", "到店": "walk_in", "来店": "walk_in",
        "现场": "walk_in", "邮件": "email", "电子邮件": "email", "邮箱": "email",
        "网站": "web", "官网": "web", "网页": "web", "微信": "wechat", "公众号": "wechat",
        "信函": "letter", "来信": "letter", "书面": "letter", "社交媒体": "social_media",
        "微博": "social_media", "抖音": "social_media", "监管": "regulator",
        "监管部门": "regulator", "12315": "regulator", "消协": "regulator",
        "市场监管": "regulator", "厂家": "manufacturer", "主机厂": "manufacturer",
        "调查": "survey", "满意度调查": "survey",
    },
    "severity": {
        "低": "low", "一般": "normal", "普通": "normal", "中": "normal", "高": "high",
        "严重": "high", "紧急": "critical", "特急": "critical", "重大": "critical",
    },
    "nature": {
        "解决问题": "problem_solving", "问题解决": "problem_solving", "发泄": "venting",
        "期待": "expectation", "期望": "expectation",
    },
    "complainer_type": {
        "消极者": "passive", "消极": "passive", "发言者": "voicer", "发怒者": "irate",
        "愤怒": "irate", "积极分子": "activist", "恐怖分子": "terrorist",
    },
    "status": {
        "新建": "new", "新": "new", "已受理": "acknowledged", "已确认": "acknowledged",
        "处理中": "in_progress", "等待客户": "waiting_customer",
        "等待第三方": "waiting_third_party", "已解决": "resolved", "已关闭": "closed",
        "关闭": "closed",
    },
    "outcome": {
        "已解决": "in_favour", "解决": "in_favour", "满意": "in_favour",
        "客户满意": "in_favour", "有利于客户": "in_favour", "部分解决": "partly",
        "部分": "partly", "未解决": "not_resolved", "没解决": "not_resolved",
        "客户撤诉": "withdrawn", "撤诉": "withdrawn", "客户撤回": "withdrawn",
        "撤回": "withdrawn",
    },
    "root_cause": {
        "人员": "people", "人": "people", "员工": "people", "流程": "process",
        "过程": "process", "产品": "product", "质量": "product", "政策": "policy",
        "制度": "policy", "第三方": "third_party", "供应商": "third_party",
        "客户": "customer", "客户原因": "customer", "未知": "unknown", "不明": "unknown",
        "其他": "unknown",
    },
}  # fmt: skip
