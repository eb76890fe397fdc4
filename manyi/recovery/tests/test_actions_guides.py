"""Suggested compensation ranges: the most specific one for a case's category and severity,
and the rules of saving them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from manyi.audit.models import AuditEvent
from manyi.cases.models import Category
from manyi.cases.tests.ui_helpers import open_case
from manyi.core.errors import NotFound, ValidationFailed
from manyi.recovery import selectors, services
from manyi.recovery.models import CompensationGuide

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent, customer, category):
    return open_case(agent, customer, category, severity="high")


def guide(admin, category, severity, low, high):
    return services.save_guide(
        actor=admin, category=category, severity=severity, low=low, high=high
    )


def test_the_most_specific_range_wins(admin_user, case, category):
    parent = category.parent
    other = Category.objects.get(organisation=case.organisation, code="billing_error")
    assert selectors.suggested_range(case) is None
    guide(admin_user, other, "high", "1", "2")  # another category: never
    any_any = guide(admin_user, None, "", "0", "100")
    assert selectors.suggested_range(case) == any_any
    any_high = guide(admin_user, None, "high", "50", "150")
    assert selectors.suggested_range(case) == any_high
    parent_any = guide(admin_user, parent, "", "100", "300")
    assert selectors.suggested_range(case) == parent_any  # category before severity
    parent_high = guide(admin_user, parent, "high", "200", "500")
    assert selectors.suggested_range(case) == parent_high
    own_any = guide(admin_user, category, "", "150", "400")
    assert selectors.suggested_range(case) == own_any
    own_high = guide(admin_user, category, "high", "300", "800")
    assert selectors.suggested_range(case) == own_high
    guide(admin_user, category, "low", "1", "5")
    assert selectors.suggested_range(case) == own_high
    case.severity = "normal"
    assert selectors.suggested_range(case) == own_any


def test_ranges_are_checked(admin_user, category, other_org):
    with pytest.raises(ValidationFailed) as e:
        guide(admin_user, category, "", "300", "200")
    assert "high" in e.value.fields
    with pytest.raises(ValidationFailed) as e:
        guide(admin_user, category, "urgent", "-5", "1.234")
    assert set(e.value.fields) == {"severity", "low", "high"}
    foreign = Category.objects.filter(organisation=other_org["org"]).first()
    with pytest.raises(ValidationFailed) as e:
        guide(admin_user, foreign, "", "1", "2")
    assert "category" in e.value.fields
    guide(admin_user, None, "", "1", "2")
    with pytest.raises(ValidationFailed) as e:  # one range per category and severity
        guide(admin_user, None, "", "3", "4")
    assert "category" in e.value.fields
    assert CompensationGuide.objects.count() == 1


def test_only_an_org_admin_saves_ranges(supervisor, admin_user, category, other_org):
    with pytest.raises(PermissionDenied):
        guide(supervisor, category, "", "1", "2")
    row = guide(admin_user, category, "", "1", "2")
    changed = services.save_guide(
        actor=admin_user, guide=row, category=category, severity="", low="10", high="20.5"
    )
    assert changed.pk == row.pk and changed.high == Decimal("20.50")
    with pytest.raises(NotFound):
        services.delete_guide(actor=other_org["user"], guide=row)
    services.delete_guide(actor=admin_user, guide=row)
    assert not CompensationGuide.objects.exists()
    assert (
        AuditEvent.objects.filter(
            organisation=admin_user.organisation, changes__has_key="compensation_guide"
        ).count()
        == 3
    )
