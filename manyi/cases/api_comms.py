"""REST operations of the communication log of a case and of the reply templates. Every query
starts from the caller's scope; a case or template outside it answers 404. Writes go through
manyi.cases.services.log_communication and manyi.cases.comm_services."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from manyi.accounts.models import User
from manyi.cases import comm_services, services
from manyi.cases.api_schemas import PageParams, user_ref
from manyi.cases.choices import Direction, Medium
from manyi.cases.models import Case, Communication, ReplyTemplate
from manyi.core.api_support import (
    Input,
    Output,
    UserRef,
    aware,
    get_or_404,
    local,
    org_id,
    page,
    require_org_admin,
    user_of,
)
from manyi.core.errors import ValidationFailed
from manyi.core.scoping import cases_for

router = Router(tags=["communications"])


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------


class CommunicationIn(Input):
    direction: Direction = Direction.OUTBOUND
    medium: Medium = Medium.CALL
    content: str = Field(
        "",
        description="What the customer was told or said. May be empty when `template_id` is "
        "given: the template's text, filled in for the case, is logged.",
    )
    at: dt.datetime | None = Field(None, description="When it happened; default now.")
    template_id: int | None = Field(None, description="The reply template used, if any.")
    version: int | None = Field(None, description="The case version you saw (409 if stale).")


class CommunicationOut(Output):
    id: int
    case: int
    direction: str
    medium: str
    content: str
    at: dt.datetime
    by: UserRef | None
    automatic: bool = Field(description="Sent by Manyi itself; does not count as a response.")
    template: int | None


class LoggedOut(CommunicationOut):
    case_version: int = Field(description="The case version after the entry.")


class CommunicationPage(Output):
    items: list[CommunicationOut]
    total: int
    total_is_exact: bool
    limit: int
    offset: int


class ReplyTemplateIn(Input):
    name: str = Field(max_length=100)
    body_zh: str
    body_en: str = ""
    medium: Medium | None = Field(None, description="The medium it is written for, if any.")
    active: bool = True


class ReplyTemplateOut(Output):
    id: int
    name: str
    body_zh: str
    body_en: str
    medium: str
    active: bool


class ReplyTemplateList(Output):
    items: list[ReplyTemplateOut]


class ReplyTemplateFilters(Schema):
    active: bool | None = Field(None, description="true: only those staff can pick.")


class RenderParams(Schema):
    case_id: int
    language: str | None = Field(
        None, description="zh-hans or en; default the Accept-Language of the request."
    )


class RenderedOut(Output):
    template: int
    case: int
    language: str
    text: str


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _tz(case: Case) -> str | None:
    calendar = case.store.calendar if case.store.calendar_id else None
    return calendar.timezone if calendar is not None else None


def communication_out(entry: Communication, tz: str | None) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "case": entry.case_id,
        "direction": entry.direction,
        "medium": entry.medium,
        "content": entry.content,
        "at": local(entry.at, tz),
        "by": user_ref(entry.by),
        "automatic": entry.automatic,
        "template": entry.template_id,
    }


def template_out(t: ReplyTemplate) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "body_zh": t.body_zh,
        "body_en": t.body_en,
        "medium": t.medium,
        "active": t.active,
    }


def _case(user: User, case_id: int) -> Case:
    return get_or_404(
        cases_for(user).select_related("customer", "store__calendar", "owner"), case_id
    )


def _templates(user: User) -> Any:
    return ReplyTemplate.objects.filter(organisation_id=org_id(user))


def _language(requested: str | None) -> str:
    return requested or translation.get_language() or "zh-hans"


# --------------------------------------------------------------------------------------
# The log of a case
# --------------------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/communications",
    response=CommunicationPage,
    summary="List a case's communication log",
)
def list_communications(
    request: HttpRequest, case_id: int, params: Query[PageParams]
) -> dict[str, Any]:
    """Calls, SMS, email, WeChat messages, visits and letters with the customer, newest
    first. Internal notes are not here (they are in the timeline)."""
    user = user_of(request)
    case = _case(user, case_id)
    qs = Communication.objects.filter(case=case).select_related("by").order_by("-at", "-id")
    rows, total, exact = page(qs, limit=params.limit, offset=params.offset)
    tz = _tz(case)
    return {
        "items": [communication_out(e, tz) for e in rows],
        "total": total,
        "total_is_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/cases/{case_id}/communications",
    response={201: LoggedOut},
    summary="Log a contact with the customer",
)
def add_communication(
    request: HttpRequest, case_id: int, payload: CommunicationIn
) -> Status[dict[str, Any]]:
    """An outbound entry on an open case is a response: it meets `first_response` and
    restarts `next_update`. Inbound entries only go into the log. A stale `version` answers
    409 and logs nothing."""
    user = user_of(request)
    case = _case(user, case_id)
    template = None
    if payload.template_id is not None:
        template = _templates(user).filter(pk=payload.template_id).first()
        if template is None:
            raise ValidationFailed({"template_id": [_("Unknown template.")]})
    content = payload.content
    if not content.strip() and template is not None:
        content = comm_services.render_reply(template, case, _language(None), agent=user)
    entry = services.log_communication(
        actor=user,
        case=case,
        direction=payload.direction,
        medium=payload.medium,
        content=content,
        at=aware(payload.at, _tz(case)),
        version=payload.version,
        template=template,
    )
    body = communication_out(entry, _tz(case))
    body["case_version"] = entry.case.version
    return Status(201, body)


# --------------------------------------------------------------------------------------
# Reply templates
# --------------------------------------------------------------------------------------


@router.get("/reply-templates", response=ReplyTemplateList, summary="List reply templates")
def list_reply_templates(
    request: HttpRequest, filters: Query[ReplyTemplateFilters]
) -> dict[str, Any]:
    qs = _templates(user_of(request))
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    return {"items": [template_out(t) for t in qs]}


@router.get(
    "/reply-templates/{template_id}/render",
    response=RenderedOut,
    summary="Fill in a reply template for a case",
)
def render_reply_template(
    request: HttpRequest, template_id: int, params: Query[RenderParams]
) -> dict[str, Any]:
    """The template's text with {customer_name}, {case_number}, {due_at}, {store_name} and
    {agent_name} filled in for the case; unknown placeholders stay as written."""
    user = user_of(request)
    template = get_or_404(_templates(user), template_id)
    case = _case(user, params.case_id)
    language = _language(params.language)
    return {
        "template": template.pk,
        "case": case.pk,
        "language": "en" if language.lower().startswith("en") else "zh-hans",
        "text": comm_services.render_reply(template, case, language, agent=user),
    }


@router.post(
    "/reply-templates",
    response={201: ReplyTemplateOut},
    summary="Add a reply template (organisation admins)",
)
def add_reply_template(request: HttpRequest, payload: ReplyTemplateIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    require_org_admin(user)
    org_id(user)
    assert user.organisation is not None
    template = comm_services.create_reply_template(
        organisation=user.organisation,
        actor=user,
        name=payload.name,
        body_zh=payload.body_zh,
        body_en=payload.body_en,
        medium=payload.medium or "",
        active=payload.active,
    )
    return Status(201, template_out(template))


@router.put(
    "/reply-templates/{template_id}",
    response=ReplyTemplateOut,
    summary="Replace a reply template (organisation admins)",
)
def change_reply_template(
    request: HttpRequest, template_id: int, payload: ReplyTemplateIn
) -> dict[str, Any]:
    user = user_of(request)
    template = get_or_404(_templates(user), template_id)
    require_org_admin(user)
    template = comm_services.update_reply_template(
        template=template,
        actor=user,
        name=payload.name,
        body_zh=payload.body_zh,
        body_en=payload.body_en,
        medium=payload.medium or "",
        active=payload.active,
    )
    return template_out(template)
