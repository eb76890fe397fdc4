"""The default complaint taxonomy (car after-sales) and SLA policies of a new organisation."""

from __future__ import annotations

# (code, Chinese, English, [(code, Chinese, English), ...])
DEFAULT_CATEGORIES: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "repair_quality",
        "维修质量",
        "Repair quality",
        [
            ("repair_not_fixed", "故障未修复", "Fault not fixed"),
            ("repair_rework", "返修", "Repeat repair"),
            ("repair_damage", "维修中造成损坏", "Damage during repair"),
        ],
    ),
    (
        "waiting_time",
        "等待时间",
        "Waiting time",
        [
            ("wait_reception", "接车等待过长", "Long wait at reception"),
            ("wait_delivery", "交车延误", "Late delivery"),
            ("wait_appointment", "预约难", "Hard to get an appointment"),
        ],
    ),
    (
        "price_billing",
        "价格与收费",
        "Price and billing",
        [
            ("billing_error", "收费错误", "Billing error"),
            ("price_high", "价格过高", "Price too high"),
            ("price_unexplained", "费用未解释", "Charges not explained"),
        ],
    ),
    (
        "staff_attitude",
        "服务态度",
        "Staff attitude",
        [
            ("attitude_rude", "态度恶劣", "Rude staff"),
            ("attitude_ignored", "无人理睬", "Ignored"),
        ],
    ),
    (
        "promise_not_kept",
        "承诺未兑现",
        "Promise not kept",
        [
            ("promise_time", "未按时完成", "Not done on time"),
            ("promise_callback", "未按约回电", "No callback as agreed"),
        ],
    ),
    (
        "parts",
        "配件",
        "Parts",
        [
            ("parts_shortage", "配件缺货", "Parts out of stock"),
            ("parts_quality", "配件质量", "Parts quality"),
        ],
    ),
    (
        "facility",
        "环境设施",
        "Facility",
        [
            ("facility_clean", "清洁卫生", "Cleanliness"),
            ("facility_parking", "停车", "Parking"),
        ],
    ),
    (
        "sales",
        "销售",
        "Sales",
        [
            ("sales_delivery", "新车交付", "New-car delivery"),
            ("sales_promise", "销售承诺", "Sales promise"),
            ("sales_finance", "贷款与保险", "Finance and insurance"),
        ],
    ),
    (
        "product",
        "产品质量",
        "Product quality",
        [
            ("product_defect", "车辆缺陷", "Vehicle defect"),
        ],
    ),
    ("other", "其他", "Other", []),
]

# (name, rank, match, [(metric, minutes, clock)], is_default)
DEFAULT_POLICIES: list[tuple[str, int, dict[str, list[str]], list[tuple[str, int, str]], bool]] = [
    (
        "紧急与高风险 Critical",
        10,
        {"severity": ["critical"]},
        [
            ("first_response", 60, "business"),
            ("next_update", 240, "business"),
            ("resolution", 1440, "business"),
        ],
        False,
    ),
    (
        "监管与媒体 Regulator and media",
        20,
        {"channel": ["regulator", "social_media", "manufacturer"]},
        [
            ("first_response", 120, "business"),
            ("next_update", 480, "business"),
            ("resolution", 2880, "business"),
        ],
        False,
    ),
    (
        "高严重度 High",
        30,
        {"severity": ["high"]},
        [
            ("first_response", 240, "business"),
            ("next_update", 480, "business"),
            ("resolution", 2400, "business"),
        ],
        False,
    ),
    (
        "默认 Default",
        1000,
        {},
        [
            ("first_response", 480, "business"),
            ("next_update", 960, "business"),
            ("resolution", 4320, "calendar"),
        ],
        True,
    ),
]
