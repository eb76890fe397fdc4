"""Writes to the organisation's two-level complaint taxonomy (settings pages)."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation
from manyi.cases.models import Category
from manyi.core.errors import ValidationFailed

_CODE = re.compile(r"^[a-z0-9_]{1,50}$")
# Top-level categories are spaced this far apart so children sort right after their parent.
_GAP = 100


def _names(name_zh: str, name_en: str, errors: dict[str, list[str]]) -> tuple[str, str]:
    name_zh, name_en = name_zh.strip(), name_en.strip()
    if not name_zh:
        errors["name_zh"] = [_("A Chinese name is required.")]
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if len(value) > 100:
            errors[field] = [_("At most %(n)d characters.") % {"n": 100}]
    return name_zh, name_en or name_zh


def _free_code(organisation: Organisation, base: str) -> str:
    base = (slugify(base).replace("-", "_") or "category")[:40]
    taken = set(
        Category.objects.filter(organisation=organisation, code__startswith=base).values_list(
            "code", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


@transaction.atomic
def create_category(
    *,
    organisation: Organisation,
    name_zh: str,
    name_en: str = "",
    parent: Category | None = None,
    code: str = "",
) -> Category:
    """Add a top-level category, or a child of a top-level one. Without a code one is made
    from the English name."""
    errors: dict[str, list[str]] = {}
    name_zh, name_en = _names(name_zh, name_en, errors)
    if parent is not None:
        if parent.organisation_id != organisation.pk:
            errors["parent"] = [_("Unknown category.")]
        elif parent.parent_id is not None:
            errors["parent"] = [_("Categories have two levels: choose a top-level parent.")]
    code = code.strip().lower()
    if code:
        if not _CODE.match(code):
            errors["code"] = [_("Use lower-case letters, digits and underscores.")]
        elif Category.objects.filter(organisation=organisation, code=code).exists():
            errors["code"] = [_("Another category has this code.")]
    if errors:
        raise ValidationFailed(errors)
    code = code or _free_code(organisation, name_en if name_en != name_zh else "category")
    if parent is None:
        top = Category.objects.filter(organisation=organisation).aggregate(m=Max("position"))["m"]
        position = ((top or 0) // _GAP + 1) * _GAP
    else:
        last = Category.objects.filter(organisation=organisation, parent=parent).aggregate(
            m=Max("position")
        )["m"]
        position = max(last or 0, parent.position) + 1
    return Category.objects.create(
        organisation=organisation,
        parent=parent,
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        position=position,
    )


@transaction.atomic
def rename_category(*, category: Category, name_zh: str, name_en: str) -> Category:
    errors: dict[str, list[str]] = {}
    name_zh, name_en = _names(name_zh, name_en, errors)
    if errors:
        raise ValidationFailed(errors)
    category.name_zh, category.name_en = name_zh, name_en
    category.save(update_fields=["name_zh", "name_en"])
    return category


@transaction.atomic
def set_category_active(*, category: Category, active: bool) -> Category:
    """Deactivating hides a category (and its children) from new complaints; cases that
    already use it keep it. Reactivating a child needs an active parent."""
    if active and category.parent is not None and not category.parent.active:
        raise ValidationFailed({"active": [_("Activate the parent category first.")]})
    category.active = active
    category.save(update_fields=["active"])
    if not active:
        Category.objects.filter(parent=category).update(active=False)
    return category
