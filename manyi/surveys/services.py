"""Writes for surveys: authoring (draft, publish a version), invitations (by hand, to a
segment, printed for the counter, to staff) and the rules that invite automatically.

Answering and closing the loop are in manyi.surveys.answers."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from manyi.accounts.models import Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.models import Case
from manyi.core.db import lock_self
from manyi.core.errors import ConflictError, DomainError, ValidationFailed
from manyi.customers.models import Customer
from manyi.surveys import library
from manyi.surveys.choices import (
    Audience,
    InvitationChannel,
    InvitationSource,
    InvitationState,
)
from manyi.surveys.definition import Definition, DefinitionError, parse_definition
from manyi.surveys.models import Invitation, Survey, SurveyRule, SurveyVersion

TOKEN_BYTES = 24  # 32 URL-safe characters, 192 bits
MAX_COUNTER_SLIPS = 200


def definition_of(version: SurveyVersion) -> Definition:
    return parse_definition(version.definition)


def _check_admin(actor: User, organisation_id: int) -> None:
    if actor.organisation_id != organisation_id or not actor.is_org_admin:
        raise DomainError(_("Only an organisation admin can change surveys."), code="forbidden")


# --- authoring --------------------------------------------------------------------------------


@transaction.atomic
def create_survey(
    *,
    actor: User,
    template_key: str = "",
    name_zh: str = "",
    name_en: str = "",
    now: dt.datetime | None = None,
) -> Survey:
    """A new draft survey, from a shipped template (its questions copied into the draft) or
    empty. The template's name is used unless a name is given."""
    assert actor.organisation_id is not None
    _check_admin(actor, actor.organisation_id)
    template = library.template(template_key) if template_key else None
    if template_key and template is None:
        raise DomainError(_("Unknown template."), field="template_key")
    name_zh = name_zh.strip() or (template.name_zh if template else "")
    name_en = name_en.strip() or (template.name_en if template else "")
    if not name_zh:
        raise ValidationFailed({"name_zh": [_("Give the survey a name.")]})
    if len(name_zh) > 200 or len(name_en) > 200:
        raise ValidationFailed({"name_zh": [_("At most 200 characters.")]})
    survey = Survey.objects.create(
        organisation_id=actor.organisation_id,
        name_zh=name_zh,
        name_en=name_en,
        kind=template.kind if template else "custom",
        audience=template.audience if template else Audience.CUSTOMER,
        template_key=template.key if template else "",
        draft={"questions": template.questions if template else []},
        created_by=actor,
    )
    record_event(
        organisation_id=survey.organisation_id,
        kind=EventKind.SURVEY,
        actor=actor,
        message=_("Survey “%(name)s” created") % {"name": survey.name_zh},
        changes={"survey": [None, survey.pk]},
        at=now,
    )
    return survey


def _locked_survey(survey: Survey, version: int | None) -> Survey:
    locked = Survey.objects.select_for_update(**lock_self()).get(pk=survey.pk)
    if version is not None and locked.version != version:
        raise ConflictError(_("Someone else changed this survey. Reload and try again."))
    return locked


SETTINGS_FIELDS = (
    "name_zh",
    "name_en",
    "intro_zh",
    "intro_en",
    "min_n",
    "expiry_days",
    "loop_enabled",
    "loop_nps_max",
    "loop_csat_max",
    "loop_fairness",
    "loop_category",
    "archived",
)


@transaction.atomic
def update_survey(
    *, actor: User, survey: Survey, version: int | None = None, **fields: Any
) -> Survey:
    """Change a survey's names and settings (not its questions: see save_draft)."""
    _check_admin(actor, survey.organisation_id)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(f"unknown fields {sorted(unknown)}")
    survey = _locked_survey(survey, version)
    errors: dict[str, list[str]] = {}
    if "name_zh" in fields and not str(fields["name_zh"]).strip():
        errors["name_zh"] = [_("Give the survey a name.")]
    if "min_n" in fields and not 1 <= int(fields["min_n"]) <= 10000:
        errors["min_n"] = [_("Between 1 and 10,000.")]
    if "expiry_days" in fields and not 1 <= int(fields["expiry_days"]) <= 365:
        errors["expiry_days"] = [_("Between 1 and 365 days.")]
    if fields.get("loop_nps_max") is not None and not 0 <= int(fields["loop_nps_max"]) <= 10:
        errors["loop_nps_max"] = [_("Between 0 and 10.")]
    if fields.get("loop_csat_max") is not None and not 1 <= int(fields["loop_csat_max"]) <= 5:
        errors["loop_csat_max"] = [_("Between 1 and 5.")]
    category = fields.get("loop_category")
    if category is not None and category.organisation_id != survey.organisation_id:
        errors["loop_category"] = [_("Unknown category.")]
    if errors:
        raise ValidationFailed(errors)
    before = {name: getattr(survey, name) for name in fields}
    for name, value in fields.items():
        setattr(survey, name, value)
    survey.version += 1
    survey.save()
    changes = {
        name: [str(before[name]), str(value)]
        for name, value in fields.items()
        if before[name] != value
    }
    if changes:
        record_event(
            organisation_id=survey.organisation_id,
            kind=EventKind.SURVEY,
            actor=actor,
            message=_("Survey “%(name)s” changed") % {"name": survey.name_zh},
            changes={"survey": [survey.pk, survey.pk], **changes},
        )
    return survey


@transaction.atomic
def save_draft(
    *, actor: User, survey: Survey, definition: dict[str, Any], version: int | None = None
) -> Survey:
    """Replace the draft questions after checking them (field-level errors keyed
    ``questions.<n>.<field>``). The published version is untouched until publish_survey."""
    _check_admin(actor, survey.organisation_id)
    try:
        parsed = parse_definition(definition)
    except DefinitionError as e:
        raise ValidationFailed(e.errors) from e
    survey = _locked_survey(survey, version)
    survey.draft = parsed.as_json()
    current = survey.current_version.definition if survey.current_version is not None else None
    survey.draft_changed = survey.draft != current
    survey.version += 1
    survey.save(update_fields=["draft", "draft_changed", "version", "updated_at"])
    return survey


@transaction.atomic
def publish_survey(
    *, actor: User, survey: Survey, version: int | None = None, now: dt.datetime | None = None
) -> SurveyVersion:
    """Freeze the draft as the next version. Earlier answers keep pointing to the version
    they answered; invitations sent from now on use the new one."""
    _check_admin(actor, survey.organisation_id)
    now = now or timezone.now()
    survey = _locked_survey(survey, version)
    try:
        parsed = parse_definition(survey.draft)
    except DefinitionError as e:
        raise ValidationFailed(e.errors) from e
    if not len(parsed):
        raise DomainError(_("Add at least one question before publishing."), field="draft")
    if survey.current_version_id and not survey.draft_changed:
        raise DomainError(_("Nothing changed since the last version."), field="draft")
    last = survey.versions.order_by("-number").values_list("number", flat=True).first() or 0
    published = SurveyVersion.objects.create(
        survey=survey,
        number=last + 1,
        definition=parsed.as_json(),
        published_at=now,
        published_by=actor,
    )
    survey.current_version = published
    survey.draft = parsed.as_json()
    survey.draft_changed = False
    survey.version += 1
    survey.save()
    record_event(
        organisation_id=survey.organisation_id,
        kind=EventKind.SURVEY,
        actor=actor,
        message=_("Survey “%(name)s” version %(n)s published")
        % {"name": survey.name_zh, "n": published.number},
        changes={"survey": [survey.pk, survey.pk], "published_version": [last, published.number]},
        at=now,
    )
    return published


# --- invitations ------------------------------------------------------------------------------


def answer_url(token: str) -> str:
    return settings.MANYI_BASE_URL.rstrip("/") + reverse("surveys:answer", args=[token])


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def reach(customer: Customer, case: Case | None = None) -> tuple[str, str] | None:
    """(channel, address) for a survey link: the case's channel when it was WeChat or email,
    else SMS, else email, else WeChat; None when the customer left none."""
    from manyi.cases.choices import Channel

    if case is not None and case.channel == Channel.WECHAT and customer.wechat_id:
        return InvitationChannel.WECHAT, customer.wechat_id
    if customer.email and (
        (case is not None and case.channel == Channel.EMAIL) or not customer.phone
    ):
        return InvitationChannel.EMAIL, customer.email
    if customer.phone:
        return InvitationChannel.SMS, customer.phone
    if customer.wechat_id:
        return InvitationChannel.WECHAT, customer.wechat_id
    return None


def quiet_since(organisation_quiet_days: int, now: dt.datetime) -> dt.datetime | None:
    if organisation_quiet_days <= 0:
        return None
    return now - dt.timedelta(days=organisation_quiet_days)


def surveyed_recently(customer: Customer, *, now: dt.datetime, days: int) -> bool:
    since = quiet_since(days, now)
    if since is None:
        return False
    return (
        Invitation.objects.filter(customer=customer, created_at__gt=since)
        .exclude(state=InvitationState.SKIPPED)
        .exists()
    )


def _published(survey: Survey) -> SurveyVersion:
    if survey.current_version_id is None or survey.archived:
        raise DomainError(_("Publish the survey before sending it."), field="survey")
    assert survey.current_version is not None
    return survey.current_version


def _deliver(invitation: Invitation, *, to: str, now: dt.datetime) -> None:
    """Queue the invitation text through the customer-message outbox (SMS, email, WeChat)."""
    from manyi.notifications.customer import (
        render_message,
        schedule_customer_delivery_on_commit,
    )
    from manyi.notifications.models import CustomerMessage

    assert invitation.customer is not None
    local_expiry = timezone.localtime(invitation.expires_at)
    subject, body = render_message(
        organisation_id=invitation.organisation_id,
        kind="survey_invitation",
        context={
            "customer_name": invitation.customer.name,
            "store_name": invitation.store.name,
            "survey_name": invitation.survey.name(invitation.language),
            "link": answer_url(invitation.token),
            "expires": local_expiry.strftime("%Y-%m-%d"),
            "case_number": invitation.case.number if invitation.case else "",
        },
        language=invitation.language,
    )
    CustomerMessage.objects.create(
        organisation_id=invitation.organisation_id,
        customer=invitation.customer,
        case=invitation.case,
        channel=invitation.channel,
        to=to,
        kind="survey_invitation",
        dedupe_key=f"survey-invitation:{invitation.pk}",
        subject=subject[:200],
        body=body,
    )
    schedule_customer_delivery_on_commit()


def _skip(invitation: Invitation, reason: str) -> Invitation:
    invitation.state = InvitationState.SKIPPED
    invitation.channel = InvitationChannel.NONE
    invitation.skip_reason = reason[:200]
    return invitation


@dataclass
class InviteOutcome:
    invitation: Invitation | None
    sent: bool
    reason: str = ""


@transaction.atomic
def invite_customer(
    *,
    survey: Survey,
    customer: Customer,
    source: str,
    actor: User | None,
    store: Store | None = None,
    staff: User | None = None,
    case: Case | None = None,
    followup: Any = None,
    rule: SurveyRule | None = None,
    dedupe_key: str = "",
    respect_quiet_period: bool = True,
    now: dt.datetime | None = None,
) -> InviteOutcome:
    """Invite one customer: a new unguessable link, valid for the survey's `expiry_days`,
    sent through the customer-message outbox in the customer's language.

    Refused (the outcome says why; with a `dedupe_key` the refusal is kept as a skipped
    invitation so a rule does not try again) when the customer has not consented to be
    contacted, was sent a survey within the organisation's quiet period (unless
    `respect_quiet_period` is False: a person sending by hand may override it), or left no
    phone, email or WeChat id. A repeat of a `dedupe_key` returns the first invitation."""
    now = now or timezone.now()
    if customer.organisation_id != survey.organisation_id:
        raise DomainError(_("Unknown customer."), field="customer")
    if survey.audience != Audience.CUSTOMER:
        raise DomainError(_("This survey is for staff, not customers."), field="survey")
    version = _published(survey)
    if dedupe_key:
        existing = Invitation.objects.filter(
            organisation_id=survey.organisation_id, dedupe_key=dedupe_key
        ).first()
        if existing is not None:
            return InviteOutcome(existing, False, _("Already invited."))
    # Locking the customer serialises the quiet-period check of two invitations at once.
    customer = (
        Customer.objects.select_for_update(**lock_self())
        .select_related("store")
        .get(pk=customer.pk)
    )
    store = store or (case.store if case is not None else None) or customer.store
    invitation = Invitation(
        organisation_id=survey.organisation_id,
        survey=survey,
        survey_version=version,
        token=new_token(),
        store=store,
        customer=customer,
        staff=staff or (case.owner if case is not None else None),
        case=case,
        followup=followup,
        rule=rule,
        source=source,
        language=customer.language,
        dedupe_key=dedupe_key[:120],
        expires_at=now + dt.timedelta(days=survey.expiry_days),
        created_by=actor,
        created_at=now,
    )
    target = reach(customer, case)
    reason = ""
    if not customer.contact_consent:
        reason = _("The customer has not consented to be contacted.")
    elif respect_quiet_period and surveyed_recently(
        customer, now=now, days=survey.organisation.survey_quiet_days
    ):
        reason = _("The customer was sent a survey in the last %(n)s days.") % {
            "n": survey.organisation.survey_quiet_days
        }
    elif target is None:
        reason = _("The customer has no phone number, email address or WeChat id.")
    if reason:
        if not dedupe_key:
            return InviteOutcome(None, False, reason)
        _skip(invitation, reason)
    else:
        assert target is not None
        invitation.channel = target[0]
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # another worker invited for the same event first
        existing = Invitation.objects.get(
            organisation_id=survey.organisation_id, dedupe_key=dedupe_key
        )
        return InviteOutcome(existing, False, _("Already invited."))
    if reason:
        return InviteOutcome(invitation, False, reason)
    assert target is not None
    _deliver(invitation, to=target[1], now=now)
    record_event(
        organisation_id=survey.organisation_id,
        kind=EventKind.SURVEY,
        actor=actor,
        customer=customer,
        case=case,
        message=_("Survey “%(name)s” sent by %(channel)s")
        % {"name": survey.name_zh, "channel": invitation.get_channel_display()},
        at=now,
    )
    return InviteOutcome(invitation, True)


@dataclass
class SegmentResult:
    sent: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


MAX_SEGMENT = 5000


def invite_segment(
    *,
    survey: Survey,
    customers: QuerySet[Customer],
    actor: User,
    now: dt.datetime | None = None,
) -> SegmentResult:
    """Invite every customer of a filtered customer list (at most MAX_SEGMENT), respecting
    consent and the quiet period; the result counts the skipped ones by reason. Each customer
    is its own transaction, so one refusal never undoes the others."""
    now = now or timezone.now()
    _published(survey)
    ids = list(customers.values_list("pk", flat=True)[: MAX_SEGMENT + 1])
    if len(ids) > MAX_SEGMENT:
        raise DomainError(
            _("At most %(n)s customers at once: narrow the filters.") % {"n": MAX_SEGMENT}
        )
    result = SegmentResult()
    for customer in Customer.objects.filter(pk__in=ids).select_related("store"):
        outcome = invite_customer(
            survey=survey,
            customer=customer,
            source=InvitationSource.SEGMENT,
            actor=actor,
            now=now,
            dedupe_key="",
        )
        if outcome.sent:
            result.sent += 1
        else:
            result.skipped[outcome.reason] = result.skipped.get(outcome.reason, 0) + 1
    return result


@transaction.atomic
def print_counter_invitations(
    *,
    survey: Survey,
    store: Store,
    count: int,
    actor: User,
    staff: User | None = None,
    language: str = "zh-hans",
    now: dt.datetime | None = None,
) -> list[Invitation]:
    """`count` anonymous invitations for slips with a QR code handed out at the counter."""
    now = now or timezone.now()
    version = _published(survey)
    if store.organisation_id != survey.organisation_id:
        raise DomainError(_("Unknown store."), field="store")
    if not 1 <= count <= MAX_COUNTER_SLIPS:
        raise DomainError(
            _("Print between 1 and %(n)s slips at a time.") % {"n": MAX_COUNTER_SLIPS},
            field="count",
        )
    invitations = [
        Invitation(
            organisation_id=survey.organisation_id,
            survey=survey,
            survey_version=version,
            token=new_token(),
            store=store,
            staff=staff,
            source=InvitationSource.COUNTER,
            channel=InvitationChannel.PRINT,
            language=language,
            expires_at=now + dt.timedelta(days=survey.expiry_days),
            created_by=actor,
            created_at=now,
        )
        for _i in range(count)
    ]
    created = Invitation.objects.bulk_create(invitations)
    record_event(
        organisation_id=survey.organisation_id,
        kind=EventKind.SURVEY,
        actor=actor,
        message=_("%(n)s survey slips printed for %(store)s") % {"n": count, "store": store.name},
        at=now,
    )
    return created


@transaction.atomic
def invite_staff(
    *, survey: Survey, store: Store, actor: User, now: dt.datetime | None = None
) -> int:
    """A staff survey for every active colleague of `store` with an email address: one
    anonymous link each (the link does not record who got it), by email."""
    now = now or timezone.now()
    version = _published(survey)
    _check_admin(actor, survey.organisation_id)
    if survey.audience != Audience.EMPLOYEE:
        raise DomainError(_("This survey is for customers, not staff."), field="survey")
    if store.organisation_id != survey.organisation_id:
        raise DomainError(_("Unknown store."), field="store")
    staff = list(
        User.objects.filter(
            organisation_id=survey.organisation_id, store=store, is_active=True
        ).exclude(email="")
    )
    mails: list[tuple[str, str, str]] = []
    for person in staff:
        invitation = Invitation.objects.create(
            organisation_id=survey.organisation_id,
            survey=survey,
            survey_version=version,
            token=new_token(),
            store=store,
            source=InvitationSource.STAFF,
            channel=InvitationChannel.EMAIL,
            language=settings.LANGUAGE_CODE,
            expires_at=now + dt.timedelta(days=survey.expiry_days),
            created_by=actor,
            created_at=now,
        )
        with override(invitation.language):
            subject = _("Staff survey: %(name)s") % {"name": survey.name(invitation.language)}
            body = _(
                "Please answer this short staff survey. It is anonymous: the link does not "
                "record who you are.\n%(link)s\nThe link is valid until %(date)s."
            ) % {
                "link": answer_url(invitation.token),
                "date": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
            }
        mails.append((subject, body, person.email))

    def send() -> None:
        for subject, body, to in mails:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=True)

    transaction.on_commit(send)
    record_event(
        organisation_id=survey.organisation_id,
        kind=EventKind.SURVEY,
        actor=actor,
        message=_("Staff survey “%(name)s” sent to %(n)s people of %(store)s")
        % {"name": survey.name_zh, "n": len(mails), "store": store.name},
        at=now,
    )
    return len(mails)


def install_template(
    *, actor: User, template_key: str, publish: bool = True, now: dt.datetime | None = None
) -> Survey:
    """Create a survey from a template and (by default) publish it at once."""
    survey = create_survey(actor=actor, template_key=template_key, now=now)
    if publish:
        publish_survey(actor=actor, survey=survey, now=now)
        survey.refresh_from_db()
    return survey
