"""Organisations, stores, staff and API tokens."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.choices import Role
from manyi.accounts.models import ApiToken, Organisation, Store, Team, User
from manyi.calendars.models import BusinessCalendar
from manyi.cases.defaults import DEFAULT_CATEGORIES, DEFAULT_POLICIES
from manyi.cases.models import Category, SlaPolicy, SlaTarget
from manyi.core.errors import DomainError, ValidationFailed


@transaction.atomic
def create_organisation(
    *, name: str, admin_username: str, admin_password: str, case_prefix: str = "TS"
) -> tuple[Organisation, User]:
    """A new tenant with a default calendar, the car after-sales taxonomy, default SLA
    policies, one store and its admin."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    elif Organisation.objects.filter(name=name.strip()).exists():
        errors["name"] = [_("An organisation with this name exists.")]
    if not admin_username.strip():
        errors["admin_username"] = [_("A user name is required.")]
    elif User.objects.filter(username=admin_username).exists():
        errors["admin_username"] = [_("This user name is taken.")]
    if len(admin_password) < 8:
        errors["admin_password"] = [_("At least 8 characters.")]
    if errors:
        raise ValidationFailed(errors)
    org = Organisation.objects.create(name=name.strip(), case_prefix=case_prefix)
    calendar = BusinessCalendar.objects.create(organisation=org, name=_("Standard hours"))
    install_default_categories(org)
    install_default_policies(org)
    from manyi.cases.comm_services import ensure_default_reply_templates

    ensure_default_reply_templates(organisation=org)
    from manyi.recovery.guarantees import ensure_default_guarantees

    ensure_default_guarantees(org)
    store = Store.objects.create(
        organisation=org, name=_("Head office"), code="HQ", calendar=calendar
    )
    admin = User.objects.create_user(
        username=admin_username,
        password=admin_password,
        organisation=org,
        store=store,
        role=Role.ORG_ADMIN,
        is_staff=True,
        display_name=admin_username,
    )
    return org, admin


def install_default_categories(org: Organisation) -> None:
    for i, (code, zh, en, children) in enumerate(DEFAULT_CATEGORIES):
        parent = Category.objects.create(
            organisation=org, code=code, name_zh=zh, name_en=en, position=i * 100
        )
        for j, (ccode, czh, cen) in enumerate(children):
            Category.objects.create(
                organisation=org,
                parent=parent,
                code=ccode,
                name_zh=czh,
                name_en=cen,
                position=i * 100 + j + 1,
            )


def install_default_policies(org: Organisation) -> None:
    for name, rank, match, targets, is_default in DEFAULT_POLICIES:
        policy = SlaPolicy.objects.create(
            organisation=org,
            name=name,
            rank=rank,
            match=match,
            is_default=is_default,
            pause_on=["waiting_customer", "waiting_third_party"],
        )
        for metric, minutes, clock in targets:
            SlaTarget.objects.create(policy=policy, metric=metric, minutes=minutes, clock=clock)


@transaction.atomic
def create_store(
    *, organisation: Organisation, name: str, code: str, calendar: BusinessCalendar | None = None
) -> Store:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    if not code.strip():
        errors["code"] = [_("A code is required.")]
    elif Store.objects.filter(organisation=organisation, code=code.strip()).exists():
        errors["code"] = [_("Another store has this code.")]
    if calendar is not None and calendar.organisation_id != organisation.pk:
        errors["calendar"] = [_("Unknown calendar.")]
    if errors:
        raise ValidationFailed(errors)
    return Store.objects.create(
        organisation=organisation, name=name.strip(), code=code.strip(), calendar=calendar
    )


@transaction.atomic
def create_staff(
    *,
    organisation: Organisation,
    username: str,
    password: str,
    role: str,
    store: Store | None,
    display_name: str = "",
    email: str = "",
    mobile: str = "",
    supervisor: User | None = None,
    team: Team | None = None,
) -> User:
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [_("Not one of the allowed values.")]
    if not username.strip():
        errors["username"] = [_("A user name is required.")]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [_("This user name is taken.")]
    if len(password) < 8:
        errors["password"] = [_("At least 8 characters.")]
    if store is not None and store.organisation_id != organisation.pk:
        errors["store"] = [_("Unknown store.")]
    if store is None and role in (Role.AGENT, Role.SUPERVISOR):
        errors["store"] = [_("Agents and supervisors belong to a store.")]
    if supervisor is not None and supervisor.organisation_id != organisation.pk:
        errors["supervisor"] = [_("Unknown staff member.")]
    if errors:
        raise ValidationFailed(errors)
    try:
        return User.objects.create_user(
            username=username,
            password=password,
            organisation=organisation,
            store=store,
            role=role,
            display_name=display_name,
            email=email,
            mobile=mobile,
            supervisor=supervisor,
            team=team,
            is_staff=role == Role.ORG_ADMIN,
        )
    except IntegrityError as e:
        raise DomainError(_("This user name is taken."), field="username") from e


def issue_token(*, user: User) -> str:
    """Create an API token and return it; only its digest is kept."""
    raw = "mny_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=ApiToken.hash(raw), prefix=raw[:8])
    return raw


def user_for_token(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def describe(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "store": str(user.store or "")}
