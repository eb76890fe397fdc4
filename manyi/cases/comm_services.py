"""Reply templates (macros) of the communication log: writes, the default set of a new
organisation, and filling a template's placeholders for one case.

Placeholders: {customer_name} {case_number} {due_at} {store_name} {agent_name}. An unknown
placeholder stays visible as written, so a typo shows up in the text instead of vanishing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.audit.models import EventKind
from manyi.audit.services import diff, record_event, snapshot
from manyi.cases.choices import Medium
from manyi.cases.models import Case, ReplyTemplate
from manyi.core.errors import ValidationFailed
from manyi.notifications.customer import fill, is_english

if TYPE_CHECKING:
    from manyi.accounts.models import Organisation, User

PLACEHOLDERS = ("customer_name", "case_number", "due_at", "store_name", "agent_name")

# The reply templates every new organisation starts with (name, medium, body_zh, body_en).
DEFAULT_REPLY_TEMPLATES: tuple[dict[str, str], ...] = (
    {
        "name": "致歉并确认受理 · Apology and acknowledgement",
        "medium": Medium.CALL,
        "body_zh": "{customer_name}您好，我是{store_name}的{agent_name}。非常抱歉给您带来不便，"
        "您的投诉（单号 {case_number}）我们已受理，我会在 {due_at} 前给您答复。",
        "body_en": "Hello {customer_name}, this is {agent_name} from {store_name}. We are very "
        "sorry for the trouble. We have taken up your complaint (number {case_number}) and I "
        "will get back to you by {due_at}.",
    },
    {
        "name": "处理进展 · Progress update",
        "medium": Medium.SMS,
        "body_zh": "{customer_name}您好：您的投诉 {case_number} 正在处理中，"
        "我们会在 {due_at} 前再次与您联系。{store_name} {agent_name}",
        "body_en": "Dear {customer_name}, we are working on your complaint {case_number} and "
        "will contact you again by {due_at}. {agent_name}, {store_name}",
    },
    {
        "name": "需要补充信息 · More information needed",
        "medium": Medium.SMS,
        "body_zh": "{customer_name}您好：为尽快处理您的投诉 {case_number}，"
        "请您补充以下信息：____。谢谢！{store_name} {agent_name}",
        "body_en": "Dear {customer_name}, to settle your complaint {case_number} quickly we "
        "need a few more details: ____. Thank you! {agent_name}, {store_name}",
    },
    {
        "name": "处理结果告知 · Resolution",
        "medium": Medium.CALL,
        "body_zh": "{customer_name}您好，关于您的投诉 {case_number}，我们的处理结果是：____。"
        "再次向您致歉，感谢您的理解。如仍有不满意之处，请随时联系我（{agent_name}，{store_name}）。",
        "body_en": "Hello {customer_name}, about your complaint {case_number}, this is what we "
        "have done: ____. We apologise again and thank you for your patience. If anything is "
        "still not right, contact me ({agent_name}, {store_name}) at any time.",
    },
)


def _tz(case: Case) -> ZoneInfo:
    calendar = getattr(case.store, "calendar", None)
    name = getattr(calendar, "timezone", None) or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo(settings.TIME_ZONE)


def reply_context(
    case: Case, *, agent: User | None = None, now: dt.datetime | None = None
) -> dict[str, str]:
    """The placeholder values of `case`: {due_at} is the nearest running SLA due time in the
    store's time zone (empty when no clock runs); {agent_name} the writer, else the owner."""
    due = case.next_due_at
    writer = agent if agent is not None else case.owner
    return {
        "customer_name": case.customer.name,
        "case_number": case.number,
        "due_at": timezone.localtime(due, _tz(case)).strftime("%Y-%m-%d %H:%M") if due else "",
        "store_name": case.store.name,
        "agent_name": str(writer) if writer is not None else "",
    }


def render_reply(
    template: ReplyTemplate, case: Case, language: str = "zh-hans", *, agent: User | None = None
) -> str:
    """The template's text for `case` in `language` (English falls back to the Chinese text
    when the template has none)."""
    body = template.body_en if is_english(language) and template.body_en else template.body_zh
    return fill(body, reply_context(case, agent=agent))


# --- writes (organisation admins) ---------------------------------------------------------


def _clean(
    *, organisation_id: int, name: str, body_zh: str, body_en: str, medium: str, pk: int | None
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name, body_zh, body_en = name.strip(), body_zh.strip(), body_en.strip()
    if not name:
        errors["name"] = [_("Give the template a name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(n)d characters.") % {"n": 100}]
    elif (
        ReplyTemplate.objects.filter(organisation_id=organisation_id, name=name)
        .exclude(pk=pk or 0)
        .exists()
    ):
        errors["name"] = [_("Another reply template has this name.")]
    if not body_zh:
        errors["body_zh"] = [_("The Chinese text is required.")]
    if medium and medium not in Medium.values:
        errors["medium"] = [_("Not one of the allowed values.")]
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "body_zh": body_zh, "body_en": body_en, "medium": medium}


def _name_taken() -> ValidationFailed:
    return ValidationFailed({"name": [_("Another reply template has this name.")]})


# What the audit trail keeps of a reply template (organisation-level events: no case, no
# customer; they show in the admin's audit log, not on a timeline).
AUDITED_FIELDS = ("name", "body_zh", "body_en", "medium", "active")


def _audit_template(
    *,
    template: ReplyTemplate,
    kind: EventKind,
    actor: User | None,
    changes: dict[str, list[Any]],
) -> None:
    record_event(
        organisation_id=template.organisation_id,
        kind=kind,
        actor=actor,
        message=_("Reply template “%(name)s”") % {"name": template.name},
        changes=changes,
    )


@transaction.atomic
def create_reply_template(
    *,
    organisation: Organisation,
    name: str,
    body_zh: str,
    body_en: str = "",
    medium: str = "",
    active: bool = True,
    actor: User | None = None,
) -> ReplyTemplate:
    """Add a reply template at the end of the organisation's list (recorded in the audit
    trail with `actor`)."""
    fields = _clean(
        organisation_id=organisation.pk,
        name=name,
        body_zh=body_zh,
        body_en=body_en,
        medium=medium,
        pk=None,
    )
    last = ReplyTemplate.objects.filter(organisation=organisation).aggregate(m=Max("position"))
    try:
        with transaction.atomic():
            template = ReplyTemplate.objects.create(
                organisation=organisation,
                active=active,
                position=(last["m"] or 0) + 1,
                **fields,
            )
    except IntegrityError as e:  # the same name saved at the same moment
        raise _name_taken() from e
    _audit_template(
        template=template,
        kind=EventKind.CREATED,
        actor=actor,
        changes=diff({}, snapshot(template, AUDITED_FIELDS)),
    )
    return template


@transaction.atomic
def update_reply_template(
    *,
    template: ReplyTemplate,
    name: str,
    body_zh: str,
    body_en: str = "",
    medium: str = "",
    active: bool = True,
    actor: User | None = None,
) -> ReplyTemplate:
    """Change a reply template; switched off (`active=False`) it leaves the picker, and the
    log entries written with it keep their text. A real change is recorded in the audit trail
    with `actor`."""
    current = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
    before = snapshot(current, AUDITED_FIELDS)
    fields = _clean(
        organisation_id=current.organisation_id,
        name=name,
        body_zh=body_zh,
        body_en=body_en,
        medium=medium,
        pk=current.pk,
    )
    for key, value in fields.items():
        setattr(current, key, value)
    current.active = active
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError as e:
        raise _name_taken() from e
    changes = diff(before, snapshot(current, AUDITED_FIELDS))
    if changes:
        _audit_template(template=current, kind=EventKind.CHANGED, actor=actor, changes=changes)
    return current


@transaction.atomic
def ensure_default_reply_templates(*, organisation: Organisation) -> int:
    """Give the organisation the default reply templates it does not have yet (by name);
    returns how many were added. Safe to call again."""
    have = set(
        ReplyTemplate.objects.filter(organisation=organisation).values_list("name", flat=True)
    )
    last = ReplyTemplate.objects.filter(organisation=organisation).aggregate(m=Max("position"))
    position = last["m"] or 0
    rows = []
    for spec in DEFAULT_REPLY_TEMPLATES:
        if spec["name"] in have:
            continue
        position += 1
        rows.append(ReplyTemplate(organisation=organisation, position=position, **spec))
    ReplyTemplate.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
