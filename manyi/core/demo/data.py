"""Word lists of the demo data set: names, vehicles, places and complaint wording.

The demo is a Chinese car-dealer group, so its content is Chinese on purpose: it is sample
data, not user-interface text, and is not translated.
"""

from __future__ import annotations

# The most common surnames, roughly weighted by frequency.
SURNAMES: list[tuple[str, int]] = [
    ("王", 72), ("李", 70), ("张", 66), ("刘", 54), ("陈", 46), ("杨", 32), ("黄", 25),
    ("赵", 22), ("吴", 21), ("周", 21), ("徐", 18), ("孙", 16), ("马", 15), ("朱", 14),
    ("胡", 13), ("郭", 12), ("何", 12), ("高", 11), ("林", 11), ("罗", 10), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7),
    ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 6), ("袁", 5), ("潘", 5),
    ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 5), ("程", 5), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("钱", 3),
    ("顾", 3), ("陆", 3), ("欧阳", 1), ("司马", 1),
]  # fmt: skip

GIVEN_MALE = [
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "超", "明", "刚", "平", "辉", "鹏", "华",
    "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "建国", "志强", "建华",
    "晓东", "海涛", "文博", "子轩", "浩然", "宇航", "俊杰", "家豪", "明辉", "立新", "国栋",
]  # fmt: skip
GIVEN_FEMALE = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "琳", "颖", "倩",
    "秀英", "桂英", "玉兰", "晓燕", "丽娟", "欣怡", "梓涵", "诗琪", "雨桐", "佳慧", "思雨",
    "婉婷", "慧敏", "春梅", "海燕",
]  # fmt: skip

MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "182",
    "183", "186", "187", "188", "189", "191", "198", "199",
]  # fmt: skip

EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com"]

# (model, world manufacturer identifier, VDS prefix, new-energy vehicle, share in the fleet)
VEHICLES: list[tuple[str, str, str, bool, int]] = [
    ("朗逸", "LSV", "AA4", False, 18),
    ("帕萨特", "LSV", "CA2", False, 12),
    ("途观L", "LSV", "UC6", False, 12),
    ("凯美瑞", "LVG", "BV1", False, 10),
    ("雅阁", "LHG", "CV1", False, 10),
    ("轩逸", "LGB", "H12", False, 10),
    ("Model 3", "LRW", "3E7", True, 8),
    ("比亚迪汉", "LGX", "CH6", True, 8),
    ("宝马3系", "LBV", "8Y3", False, 5),
    ("奥迪A6L", "LFV", "3A2", False, 5),
    ("别克GL8", "LSG", "UL8", False, 4),
]
# Model-year codes (10th VIN character).
MODEL_YEAR_CODES = {
    2015: "F", 2016: "G", 2017: "H", 2018: "J", 2019: "K", 2020: "L",
    2021: "M", 2022: "N", 2023: "P", 2024: "R", 2025: "S", 2026: "T",
}  # fmt: skip
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

SH_DISTRICTS = ["浦东新区", "闵行区", "徐汇区", "杨浦区", "静安区", "长宁区", "宝山区"]
SZ_DISTRICTS = ["工业园区", "姑苏区", "吴中区", "相城区", "虎丘区", "吴江区"]
ROADS = [
    "世纪大道", "张杨路", "锦绣路", "金科路", "龙阳路", "现代大道", "星湖街", "人民路",
    "干将路", "苏州大道", "东环路", "长江路", "科苑路", "川沙路",
]  # fmt: skip
# Area codes of ID numbers (浦东新区, 闵行区, 苏州工业园区, 姑苏区, 其他省市)
ID_AREAS = ["310115", "310112", "320571", "320508", "320102", "330106", "340104"]

CUSTOMER_TAGS = ["老客户", "车队客户", "新能源", "延保", "本店投保", "爱好改装", "投诉敏感"]
WATCH_REASONS = [
    "多次威胁向媒体曝光，沟通须由主管出面",
    "曾在店内与服务顾问发生冲突",
    "反复提出超出标准的索赔要求",
    "曾向12315投诉，处理须留存书面记录",
]

# Complaint wording per category code; the {placeholders} are filled in by demo.cases._summary.
SUMMARIES: dict[str, list[str]] = {
    "repair_not_fixed": [
        "{model}{problem}，维修后问题依旧",
        "{model}{problem}已修两次仍未解决",
    ],
    "repair_rework": [
        "{model}因{problem}第{times}次返修",
        "上周刚修好的{problem}又出现了",
    ],
    "repair_damage": [
        "保养后发现{part}有新划痕",
        "取车时发现{part}被碰伤，门店不认",
    ],
    "wait_reception": [
        "到店后等了{minutes}分钟无人接车",
        "预约到店仍排队{minutes}分钟才开单",
    ],
    "wait_delivery": [
        "约定下午交车，实际延误{hours}小时",
        "{model}保养说两小时，等了大半天",
    ],
    "wait_appointment": [
        "连续{days}天打电话约不上保养",
        "线上预约提交后一直没人确认",
    ],
    "billing_error": [
        "结算单重复收取{item}费用{amount}元",
        "保修期内的项目被收费{amount}元",
    ],
    "price_high": [
        "{item}报价{amount}元，比其他门店贵很多",
        "小保养收费{amount}元，觉得不合理",
    ],
    "price_unexplained": [
        "结算时多出{amount}元，事先没人说明",
        "发票上有看不懂的{item}费用",
    ],
    "attitude_rude": [
        "服务顾问说话不耐烦，态度恶劣",
        "询问维修进度被前台顶撞",
    ],
    "attitude_ignored": [
        "在休息区等了{minutes}分钟没人告知进度",
        "展厅里半天没有人接待",
    ],
    "promise_time": [
        "承诺当天完工，{days}天后仍未完成",
        "说好周五交车，到现在还没消息",
    ],
    "promise_callback": [
        "说好{days}天内回电，至今没人联系",
        "答应给处理方案，一直没有回复",
    ],
    "parts_shortage": [
        "{part}缺货，已经等了{weeks}周",
        "{model}{part}要从厂家调货，迟迟不到",
    ],
    "parts_quality": [
        "刚换的{part}不到{months}个月又坏了",
        "怀疑更换的{part}不是原厂件",
    ],
    "facility_clean": [
        "交车时车内有油污和脚印",
        "客户休息区卫生间很脏",
    ],
    "facility_parking": [
        "门店车位不足，车辆在店内被剐蹭",
        "停车场指引混乱，等了很久才停好车",
    ],
    "sales_delivery": [
        "新车交付推迟{weeks}周且没有提前告知",
        "提车时发现{part}有划痕",
    ],
    "sales_promise": [
        "购车时承诺赠送的{item}至今未兑现",
        "销售说好的免费首保被收费",
    ],
    "sales_finance": [
        "贷款手续费与合同约定不一致",
        "保险被强制捆绑购买，要求退保",
    ],
    "product_defect": [
        "{model}{problem}，怀疑车辆质量缺陷",
        "{model}新车{months}个月出现{problem}",
    ],
    "other": [
        "对门店服务流程有意见",
        "建议增加周末的服务时间",
    ],
}
PROBLEMS = [
    "底盘异响", "空调不制冷", "发动机故障灯亮", "刹车抖动", "中控屏黑屏", "变速箱顿挫",
    "车窗异响", "漏油", "方向盘跑偏", "续航突然下降", "雨刮不回位",
]  # fmt: skip
PARTS = ["左前门", "后保险杠", "轮毂", "前大灯", "座椅", "刹车片", "蓄电池", "空调压缩机"]
ITEMS = ["工时", "机油", "检测", "空调滤芯", "燃油添加剂", "贴膜", "脚垫", "保养套餐"]

DESCRIPTIONS = [
    "客户来电情绪激动，表示{summary}。要求门店尽快给出说法。",
    "客户到店反映：{summary}。客户希望今天之内得到答复。",
    "客户通过微信留言：{summary}，并附上照片。",
    "客户称{summary}，这已经不是第一次了，对门店很失望。",
    "{summary}。客户态度平和，希望门店改进。",
]
ACK_MESSAGES = [
    "已致电客户道歉，说明会在今天内给出处理方案。",
    "已联系客户确认情况，正在与车间核实。",
    "已回复客户：问题已登记，由专人跟进。",
    "已向客户致歉并约定明天上午回电。",
]
UPDATE_MESSAGES = [
    "已告知客户处理进度：车间正在复检。",
    "已与客户沟通方案，客户表示理解。",
    "向客户说明配件预计到货时间。",
    "已请技术经理与客户通话解释原因。",
]
RESOLUTIONS = [
    "免费重新维修，并赠送一次常规保养。",
    "退还多收费用{amount}元，并书面致歉。",
    "更换配件并延长该部件保修一年。",
    "店长当面致歉，赠送洗车卡五次。",
    "已安排代步车，维修完成后上门交车。",
    "解释收费明细，客户接受并表示满意。",
]
WAITING_CUSTOMER_NOTES = [
    "等待客户确认到店时间",
    "等待客户提供照片和结算单",
    "客户出差，约定下周再联系",
]
WAITING_THIRD_PARTY_NOTES = ["等待厂家技术支持答复", "等待配件到货", "等待保险公司定损"]
TRANSFER_NOTES = ["客户要求换一位顾问跟进", "涉及钣喷，转给对应顾问", "原负责人休假，交接处理"]
ESCALATE_NOTES = ["客户要求店长出面", "客户威胁向媒体曝光", "赔偿金额超出权限"]
REOPEN_NOTES = ["客户反馈问题再次出现", "客户对处理结果不满意，要求重新处理"]
CLOSE_NOTES = ["回访确认客户满意，关闭", "客户确认问题已解决"]
