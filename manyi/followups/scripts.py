"""Call scripts (话术) for follow-up calls: the defaults per reason, and filling in a script.

A script is data in two languages (an organisation edits both on /followups/scripts/), not a
gettext string: the Chinese text is what the staff say, the English one helps English-speaking
staff and auditors. Placeholders: {customer}, {staff}, {store}, {case}."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.followups.choices import Reason

PLACEHOLDERS = ("customer", "staff", "store", "case")


@dataclass(frozen=True)
class Script:
    reason: str
    text_zh: str
    text_en: str
    custom: bool = False  # the organisation's own text, not the default

    def text(self, language: str | None) -> str:
        """The text for a UI language (zh-hans or en); English falls back to Chinese."""
        if language and language.startswith("en") and self.text_en.strip():
            return self.text_en
        return self.text_zh


# Greeting, who we are, why we call, ask about satisfaction, thank (DOMAIN.md §3 and §5: "a call
# within a reasonable time after the repair to ask whether the customer is fully satisfied").
DEFAULT_SCRIPTS: dict[str, tuple[str, str]] = {
    Reason.COMPLAINT: (
        "您好，请问是{customer}吗？我是{store}的{staff}。"
        "关于您之前反映的问题（编号 {case}），我们已经处理完毕，今天特地给您回个电话："
        "请问问题解决得您满意吗？您觉得我们还有哪些地方需要改进？"
        "非常感谢您的宝贵意见，给您添麻烦了，祝您生活愉快！",
        "Hello, is this {customer}? This is {staff} from {store}. "
        "We are calling about the problem you reported (case {case}), which we have resolved: "
        "are you satisfied with how it was handled? Is there anything we should do better? "
        "Thank you very much for your feedback, and sorry again for the trouble.",
    ),
    Reason.SERVICE_VISIT: (
        "您好，请问是{customer}吗？我是{store}的{staff}。"
        "您前几天在我们这里做了保养/维修，想跟您确认一下：车辆使用情况正常吗？"
        "对我们这次的服务满意吗？有没有需要我们改进的地方？"
        "感谢您的支持，有任何问题随时联系我们！",
        "Hello, is this {customer}? This is {staff} from {store}. "
        "You had your vehicle serviced with us a few days ago: is everything working well? "
        "Were you satisfied with our service, and is there anything we could improve? "
        "Thank you for choosing us; call us any time if something comes up.",
    ),
    Reason.PROSPECT: (
        "您好，请问是{customer}吗？我是{store}的{staff}。"
        "感谢您前几天到店看车，想了解一下您对车型和价格还有什么疑问？"
        "方便的话欢迎您再来店试驾，我帮您提前安排。感谢您的时间，祝您生活愉快！",
        "Hello, is this {customer}? This is {staff} from {store}. "
        "Thank you for visiting us the other day. Do you have any questions about the model "
        "or the price? If you like, I can arrange a test drive for you. "
        "Thank you for your time!",
    ),
    Reason.CUSTOMER_CARE: (
        "您好，请问是{customer}吗？我是{store}的{staff}。"
        "好久没有联系了，特地打电话问候您一下：车辆使用还顺利吗？对我们的服务还满意吗？"
        "近期店里有客户关怀活动，欢迎您来参加。感谢您一直以来的支持！",
        "Hello, is this {customer}? This is {staff} from {store}. "
        "We have not heard from you for a while and wanted to ask how you are doing: is the "
        "vehicle running well, and are you happy with our service? We have a customer-care "
        "event coming up and would be glad to see you. Thank you for your loyalty!",
    ),
    Reason.RETENTION: (
        "您好，请问是{customer}吗？我是{store}的{staff}。"
        "我们注意到您最近没有来店，想了解一下是不是我们哪里做得不够好？"
        "您的意见对我们非常重要，我们也为老客户准备了专属优惠。感谢您抽出时间，期待再次为您服务！",
        "Hello, is this {customer}? This is {staff} from {store}. "
        "We noticed you have not been back for a while, and we would like to know whether "
        "we let you down somewhere. Your opinion matters a lot to us, and we have an offer for "
        "returning customers. Thank you for your time; we hope to serve you again!",
    ),
}


def default_script(reason: str) -> Script:
    zh, en = DEFAULT_SCRIPTS.get(reason, DEFAULT_SCRIPTS[Reason.COMPLAINT])
    return Script(reason=reason, text_zh=zh, text_en=en)


def fill(text: str, **values: str) -> str:
    """Replace the known placeholders; anything else in braces stays as typed."""
    for key in PLACEHOLDERS:
        text = text.replace("{" + key + "}", values.get(key) or "—")
    return text
