"""Settings writes for stores and staff that accounts.services does not cover."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, Team, User
from manyi.accounts.services import create_staff
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.calendars.models import BusinessCalendar
from manyi.core.errors import ValidationFailed

STAFF_FIELDS = (
    "display_name",
    "email",
    "mobile",
    "role",
    "store",
    "supervisor",
    "team",
    "is_active",
    "view_personal_data",
    "password",
)


@transaction.atomic
def update_store(*, store: Store, name: str, code: str, calendar: BusinessCalendar | None) -> Store:
    errors: dict[str, list[str]] = {}
    name, code = name.strip(), code.strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    if not code:
        errors["code"] = [_("A code is required.")]
    elif (
        Store.objects.filter(organisation_id=store.organisation_id, code=code)
        .exclude(pk=store.pk)
        .exists()
    ):
        errors["code"] = [_("Another store has this code.")]
    if calendar is not None and calendar.organisation_id != store.organisation_id:
        errors["calendar"] = [_("Unknown calendar.")]
    if errors:
        raise ValidationFailed(errors)
    store.name, store.code, store.calendar = name, code, calendar
    store.save(update_fields=["name", "code", "calendar"])
    return store


@transaction.atomic
def update_organisation_settings(
    *, actor: User, organisation: Organisation, watch_list_severity: str
) -> Organisation:
    """Organisation-wide settings: the lowest severity a watch-list customer's new case
    starts at."""
    from manyi.cases.choices import Severity

    if watch_list_severity not in Severity.values:
        raise ValidationFailed({"watch_list_severity": [_("Not one of the allowed values.")]})
    current = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = current.watch_list_severity
    if before == watch_list_severity:
        return current
    current.watch_list_severity = watch_list_severity
    current.save(update_fields=["watch_list_severity"])
    record_event(
        organisation_id=current.pk,
        kind=EventKind.CHANGED,
        actor=actor,
        changes={"watch_list_severity": [before, watch_list_severity]},
    )
    return current


def _check_links(
    errors: dict[str, list[str]],
    *,
    organisation_id: int,
    role: str,
    store: Store | None,
    supervisor: User | None,
    team: Team | None,
    staff: User | None = None,
) -> None:
    if role not in Role.values:
        errors["role"] = [_("Not one of the allowed values.")]
    if store is not None and store.organisation_id != organisation_id:
        errors["store"] = [_("Unknown store.")]
    elif store is None and role in (Role.AGENT, Role.SUPERVISOR):
        errors["store"] = [_("Agents and supervisors belong to a store.")]
    if supervisor is not None:
        if supervisor.organisation_id != organisation_id:
            errors["supervisor"] = [_("Unknown staff member.")]
        elif staff is not None and supervisor.pk == staff.pk:
            errors["supervisor"] = [_("Nobody can be their own supervisor.")]
        elif staff is not None and _reports_to(supervisor, staff):
            errors["supervisor"] = [_("This would make a circle of supervisors.")]
    if team is not None:
        if team.store.organisation_id != organisation_id:
            errors["team"] = [_("Unknown team.")]
        elif store is None or team.store_id != store.pk:
            errors["team"] = [_("The team belongs to another store.")]


def _reports_to(person: User, boss: User) -> bool:
    """Whether `boss` is somewhere above `person` in the supervisor chain."""
    seen: set[int] = set()
    current: User | None = person
    while current is not None and current.supervisor_id is not None:
        if current.supervisor_id == boss.pk:
            return True
        if current.supervisor_id in seen:
            return False
        seen.add(current.supervisor_id)
        current = current.supervisor
    return False


@transaction.atomic
def create_staff_member(
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
    view_personal_data: bool | None = None,
) -> User:
    """accounts.services.create_staff plus the checks and the per-person personal-data
    override the settings page offers."""
    errors: dict[str, list[str]] = {}
    if not username.strip():
        errors["username"] = [_("A user name is required.")]
    elif User.objects.filter(username=username.strip()).exists():
        errors["username"] = [_("This user name is taken.")]
    if len(password) < 8:
        errors["password"] = [_("At least 8 characters.")]
    _check_links(
        errors,
        organisation_id=organisation.pk,
        role=role,
        store=store,
        supervisor=supervisor,
        team=team,
    )
    if errors:
        raise ValidationFailed(errors)
    user = create_staff(
        organisation=organisation,
        username=username.strip(),
        password=password,
        role=role,
        store=store,
        display_name=display_name.strip(),
        email=email.strip(),
        mobile=mobile.strip(),
        supervisor=supervisor,
        team=team,
    )
    if view_personal_data is not None:
        user.view_personal_data = view_personal_data
        user.save(update_fields=["view_personal_data"])
    return user


@transaction.atomic
def update_staff(*, actor: User, staff: User, changes: dict[str, Any]) -> User:
    """Change a staff member. An admin cannot lock themselves out (deactivate themselves or
    give up the admin role)."""
    unknown = set(changes) - set(STAFF_FIELDS)
    if unknown:
        raise ValidationFailed({k: [_("Unknown field.")] for k in sorted(unknown)})
    current = User.objects.select_for_update().get(pk=staff.pk)
    merged = {f: getattr(current, f) for f in STAFF_FIELDS if f != "password"}
    merged.update({k: v for k, v in changes.items() if k != "password"})
    errors: dict[str, list[str]] = {}
    assert current.organisation_id is not None
    _check_links(
        errors,
        organisation_id=current.organisation_id,
        role=merged["role"],
        store=merged["store"],
        supervisor=merged["supervisor"],
        team=merged["team"],
        staff=current,
    )
    if current.pk == actor.pk:
        if not merged["is_active"]:
            errors["is_active"] = [_("You cannot deactivate yourself.")]
        if merged["role"] != Role.ORG_ADMIN and not current.is_superuser:
            errors["role"] = [_("You cannot take the admin role away from yourself.")]
    password = changes.get("password") or ""
    if password:
        try:
            validate_password(password, current)
        except ValidationError as e:
            errors["password"] = [str(m) for m in e.messages]
    if errors:
        raise ValidationFailed(errors)
    for field, value in merged.items():
        setattr(
            current, field, value.strip() if isinstance(value, str) and field != "role" else value
        )
    if not current.is_superuser:
        current.is_staff = current.role == Role.ORG_ADMIN
    if password:
        current.set_password(password)
    current.save()
    return current
