"""The demo's early-warning spike: extra complaints in one store and category over the last
two complete weeks, so that the sweep run at the end of the demo load raises a real alert
(computed like any other, from the demo's own baseline)."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, User
from manyi.analytics import warning
from manyi.cases.models import Case, Category
from manyi.cases.services import create_case
from manyi.customers.models import Customer

SUMMARIES = (
    "交车时间一拖再拖",
    "说好下午交车，晚上还没好",
    "等了三个小时没人理",
    "交车延误，没有任何通知",
    "第二次来取车还没修好",
)


def add_complaint_spike(org: Organisation, now: dt.datetime) -> list[Case]:
    """Add complaints to the busiest store's most complained-about top-level category in the
    last two complete weeks until both weeks lie well above the u-chart's upper limit of the
    organisation's settings (at least `min_complaints` each). Returns the cases created (none
    when the demo has no services or no complaints to build on)."""
    settings = warning.settings_for(org.pk)
    today = timezone.localdate(now)
    series = [
        s
        for s in warning.series(settings, today=today)
        if s.category_id is not None and s.chart is not None and s.services[-1] > 0
    ]
    if not series:
        return []
    target = max(series, key=lambda s: (int(s.complaints.sum()), float(s.services.sum())))
    top_id = target.category_id
    assert top_id is not None
    category = (
        Category.objects.filter(parent_id=top_id, active=True).order_by("position", "code").first()
    ) or Category.objects.get(pk=top_id)
    customers = list(
        Customer.objects.filter(store_id=target.store_id, lost_at__isnull=True).order_by("pk")[:20]
    )
    staff = (
        User.objects.filter(store_id=target.store_id, is_active=True)
        .order_by("role", "pk")
        .exclude(role=Role.ORG_ADMIN)
        .first()
    )
    if not customers or staff is None:
        return []
    created: list[Case] = []
    tz = timezone.get_current_timezone()
    for i in (len(target.periods) - 2, len(target.periods) - 1):
        limit = target.limit(i) or 0.0
        services = float(target.services[i])
        wanted = max(settings.min_complaints, math.floor(limit * services / 100 * 1.5) + 2)
        extra = max(0, wanted - int(target.complaints[i]))
        start = target.periods[i]
        for n in range(extra):
            day = start + dt.timedelta(days=n % 7)
            when = dt.datetime.combine(day, dt.time(9 + n % 9, 7 * (n % 8)), tzinfo=tz)
            created.append(
                create_case(
                    actor=staff,
                    customer=customers[n % len(customers)],
                    channel="phone",
                    category=category,
                    summary=SUMMARIES[n % len(SUMMARIES)],
                    received_at=when,
                    now=when,
                )
            )
    return created
