"""Reads behind the settings pages. Everything is limited to the admin's organisation."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from manyi.accounts.models import Store, Team, User
from manyi.calendars.models import BusinessCalendar
from manyi.cases.models import Category, SlaPolicy, SlaTarget
from manyi.core.scoping import stores_for


def org_id(admin: User) -> int:
    """The admin's organisation; the settings views only let organisation members in."""
    assert admin.organisation_id is not None
    return admin.organisation_id


def settings_stores(admin: User) -> QuerySet[Store]:
    return (
        stores_for(admin)
        .select_related("calendar")
        .annotate(staff_count=Count("staff", filter=Q(staff__is_active=True)))
        .order_by("code")
    )


def settings_staff(admin: User, *, q: str = "", store_id: int | None = None) -> QuerySet[User]:
    """Every staff member of the organisation, including those switched off."""
    qs = User.objects.filter(organisation_id=org_id(admin)).select_related(
        "store", "supervisor", "team"
    )
    if q.strip():
        q = q.strip()
        qs = qs.filter(
            Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q)
        )
    if store_id:
        qs = qs.filter(store_id=store_id)
    return qs.order_by("-is_active", "store__code", "role", "username")


def staff_member(admin: User, pk: int) -> QuerySet[User]:
    return User.objects.filter(organisation_id=org_id(admin), pk=pk)


def org_teams(admin: User) -> QuerySet[Team]:
    return Team.objects.filter(store__organisation_id=org_id(admin)).select_related("store")


def org_calendars(admin: User) -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.filter(organisation_id=org_id(admin)).order_by("name")


def calendars_with_use(admin: User) -> QuerySet[BusinessCalendar]:
    return org_calendars(admin).prefetch_related(
        Prefetch("stores", queryset=Store.objects.order_by("code"))
    )


def org_categories(admin: User) -> QuerySet[Category]:
    return Category.objects.filter(organisation_id=org_id(admin)).select_related("parent")


def category_tree(admin: User) -> list[tuple[Category, list[Category]]]:
    """Top-level categories, each with its children, in display order (one query)."""
    nodes = list(org_categories(admin).order_by("position", "code"))
    children: dict[int, list[Category]] = {}
    for node in nodes:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node)
    return [(n, children.get(n.pk, [])) for n in nodes if n.parent_id is None]


def org_policies(admin: User) -> QuerySet[SlaPolicy]:
    return (
        SlaPolicy.objects.filter(organisation_id=org_id(admin))
        .select_related("calendar")
        .prefetch_related(Prefetch("targets", queryset=SlaTarget.objects.order_by("metric")))
        .annotate(case_count=Count("case"))
        .order_by("-active", "is_default", "rank", "pk")
    )
