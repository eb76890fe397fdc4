"""Quick phone intake: find or create the customer (and vehicle) and open the case, all in one
transaction, so a refused complaint leaves nothing behind."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from manyi.accounts.models import Store, User
from manyi.cases.models import Case, Category
from manyi.cases.selectors import customer_by_phone, phone_taken_elsewhere
from manyi.cases.services import create_case
from manyi.core.errors import DomainError, ValidationFailed
from manyi.core.scoping import stores_for
from manyi.customers.models import Asset, Customer
from manyi.customers.services import add_asset, create_customer

# Field names of the customer and asset services → the intake form's field names.
_CUSTOMER_FIELDS = {"name": "customer_name", "phone": "phone", "store": "store"}


@dataclass(frozen=True)
class Complaint:
    """What the agent typed. `phone` is already normalised."""

    phone: str
    customer_name: str = ""
    asset_id: int | None = None
    plate: str = ""
    model: str = ""
    vin: str = ""
    store_id: int | None = None
    channel: str = "phone"
    category_id: int | None = None
    severity: str = "normal"
    summary: str = ""
    description: str = ""
    received_at: dt.datetime | None = None
    threatens_media: bool = False
    threatens_regulator: bool = False
    threatens_lawyer: bool = False
    repeat_complaint: bool = False
    nature: str = "problem_solving"
    complainer_type: str = "voicer"


def _rename(error: DomainError, names: dict[str, str]) -> ValidationFailed:
    return ValidationFailed({names.get(k, k): v for k, v in error.as_fields().items()})


def _store(actor: User, store_id: int | None) -> Store:
    stores = stores_for(actor)
    if store_id is not None:
        store = stores.filter(pk=store_id).first()
        if store is None:
            raise DomainError(_("Unknown store."), field="store")
        return store
    if actor.store_id is not None:
        store = stores.filter(pk=actor.store_id).first()
        if store is not None:
            return store
    raise DomainError(_("Choose the store the complaint is about."), field="store")


@transaction.atomic
def take_complaint(*, actor: User, complaint: Complaint) -> Case:
    """Open a case for the caller; raises ValidationFailed keyed by the intake form's fields."""
    c = complaint
    errors: dict[str, list[str]] = {}
    store: Store | None = None
    try:
        store = _store(actor, c.store_id)
    except DomainError as e:
        errors.update(e.as_fields())
    category = (
        Category.objects.filter(
            pk=c.category_id, organisation_id=actor.organisation_id or 0
        ).first()
        if c.category_id
        else None
    )
    if category is None:
        errors["category"] = [_("Choose a category.")]
    customer: Customer | None = customer_by_phone(actor, c.phone)
    if customer is None:
        if phone_taken_elsewhere(actor, c.phone):
            errors["phone"] = [
                _("This number belongs to a customer of another store; ask a manager to help.")
            ]
        elif not c.customer_name.strip():
            errors["customer_name"] = [_("New caller: enter the customer's name.")]
    asset: Asset | None = None
    if c.asset_id is not None:
        asset = Asset.objects.filter(pk=c.asset_id, customer=customer).first() if customer else None
        if asset is None:
            errors["asset"] = [_("This vehicle belongs to another customer.")]
    if not c.summary.strip():
        errors["summary"] = [_("A summary is required.")]
    if errors:
        raise ValidationFailed(errors)
    assert store is not None and category is not None
    if customer is None:
        try:
            customer = create_customer(
                actor=actor, store=store, name=c.customer_name, phone=c.phone
            )
        except DomainError as e:
            raise _rename(e, _CUSTOMER_FIELDS) from e
    if asset is None and (c.plate.strip() or c.model.strip() or c.vin.strip()):
        asset = add_asset(actor=actor, customer=customer, plate=c.plate, model=c.model, vin=c.vin)
    return create_case(
        actor=actor,
        customer=customer,
        store=store,
        asset=asset,
        channel=c.channel,
        category=category,
        severity=c.severity,
        summary=c.summary,
        description=c.description,
        received_at=c.received_at,
        threatens_media=c.threatens_media,
        threatens_regulator=c.threatens_regulator,
        threatens_lawyer=c.threatens_lawyer,
        repeat_complaint=c.repeat_complaint,
        nature=c.nature,
        complainer_type=c.complainer_type,
    )
