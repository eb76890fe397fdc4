"""Reads behind the customer pages. Every query starts from manyi.core.scoping."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from manyi.accounts.models import User
from manyi.audit.models import AuditEvent
from manyi.cases.choices import OPEN_STATUSES
from manyi.cases.models import Case
from manyi.core.scoping import cases_for, customers_for
from manyi.customers.models import Asset, Customer
from manyi.customers.search import full_phone, phone_condition


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    tier: str = ""
    store_id: int | None = None
    watch_list: bool = False
    tag: str = ""
    lost: bool = False
    lost_reason: str = ""


def _search(qs: QuerySet[Customer], q: str, user: User) -> QuerySet[Customer]:
    """A full phone number in any format matches exactly; otherwise name, plate or VIN, and
    part of a phone number as `phone_condition` allows the user."""
    q = q.strip()
    if not q:
        return qs
    exact = full_phone(q)
    if exact:
        return qs.filter(phone=exact)
    phone = phone_condition(q, user)
    assets = Asset.objects.filter(Q(plate__icontains=q) | Q(vin=q.upper())).values("customer_id")
    condition = Q(name__icontains=q) | Q(pk__in=assets)
    if phone is not None:
        condition |= phone
    return qs.filter(condition)


def _has_tag(tag: str) -> Q:
    """Exact tag among a customer's tags. `tags` is a JSON list; `contains` on JSON is not
    available on SQLite, so match the quoted element in the stored text: SQLite keeps
    Django's ASCII-escaped JSON, PostgreSQL prints jsonb with the characters themselves."""
    return Q(tags__icontains=json.dumps(tag)) | Q(
        tags__icontains=json.dumps(tag, ensure_ascii=False)
    )


def customer_list(*, user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    qs = customers_for(user).select_related("store", "owner")
    qs = _search(qs, filters.q, user)
    if filters.tier:
        qs = qs.filter(tier=filters.tier)
    if filters.store_id:
        qs = qs.filter(store_id=filters.store_id)
    if filters.watch_list:
        qs = qs.filter(watch_list=True)
    if filters.lost_reason:
        qs = qs.filter(lost_reason=filters.lost_reason)
    elif filters.lost:
        qs = qs.exclude(lost_reason="")
    if filters.tag.strip():
        qs = qs.filter(_has_tag(filters.tag.strip()))
    return qs.annotate(
        open_cases=Count("cases", filter=Q(cases__status__in=list(OPEN_STATUSES)))
    ).order_by("-updated_at", "-pk")


def customer_for(user: User, pk: int) -> Customer:
    """The customer if the user may see it; 404 for another store's or organisation's."""
    return get_object_or_404(customers_for(user).select_related("store", "owner"), pk=pk)


def customer_assets(customer: Customer) -> QuerySet[Asset]:
    return customer.assets.order_by("-created_at", "-pk")


def customer_cases(*, user: User, customer: Customer, limit: int = 50) -> QuerySet[Case]:
    return (
        cases_for(user)
        .filter(customer=customer)
        .select_related("category", "category__parent", "owner", "store", "asset")
        .order_by("-received_at")[:limit]
    )


def customer_timeline(*, user: User, customer: Customer, limit: int = 200) -> QuerySet[AuditEvent]:
    """Everything that happened with the customer, newest first, including the events of the
    customer's cases the user may see."""
    visible_case = Q(case__isnull=True) | Q(case__in=cases_for(user).values("pk"))
    return (
        AuditEvent.objects.filter(organisation_id=customer.organisation_id, customer=customer)
        .filter(visible_case)
        .select_related("actor", "case")
        .order_by("-at", "-pk")[:limit]
    )
