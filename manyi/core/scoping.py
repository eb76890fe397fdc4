"""Who may see what. Every query of views, API, exports and tasks starts here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from manyi.accounts.models import Store, User
    from manyi.cases.models import Case
    from manyi.customers.models import Customer


def stores_for(user: User) -> QuerySet[Store]:
    """Stores the user works in: all of the organisation's for org-wide roles, else their own."""
    from manyi.accounts.models import Store

    if user.organisation_id is None:
        return Store.objects.none()
    qs = Store.objects.filter(organisation_id=user.organisation_id)
    if user.is_org_wide:
        return qs
    if user.store_id is None:  # a store-bound role without a store sees nothing
        return qs.none()
    return qs.filter(id=user.store_id)


def _store_scoped(qs: QuerySet[Any], user: User) -> QuerySet[Any]:
    if user.organisation_id is None:
        return qs.none()
    qs = qs.filter(organisation_id=user.organisation_id)
    if not user.is_org_wide:
        if user.store_id is None:
            return qs.none()
        qs = qs.filter(store_id=user.store_id)
    return qs


def cases_for(user: User) -> QuerySet[Case]:
    from manyi.cases.models import Case

    return _store_scoped(Case.objects.all(), user)


def customers_for(user: User) -> QuerySet[Customer]:
    from manyi.customers.models import Customer

    return _store_scoped(Customer.objects.all(), user)


def staff_for(user: User) -> QuerySet[User]:
    """Colleagues the user may assign work to."""
    from manyi.accounts.models import User as UserModel

    if user.organisation_id is None:
        return UserModel.objects.none()
    qs = UserModel.objects.filter(organisation_id=user.organisation_id, is_active=True)
    if not user.is_org_wide:
        if user.store_id is None:
            return qs.none()
        qs = qs.filter(store_id=user.store_id)
    return qs


def mask_phone(value: str) -> str:
    """138****5678: keep the first three and last four digits."""
    if not value:
        return value
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value: str) -> str:
    """Keep the first four and the last two characters of an ID number."""
    if not value:
        return value
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return value
    local, _, domain = value.partition("@")
    return (local[:1] + "***@" + domain) if local else value
