"""Two overdue sweeps at once on PostgreSQL: every late call and message is flagged by exactly
one of them, and each person is told once. (SQLite serialises writers: nothing to race.)"""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import at
from manyi.core.tests.concurrency import needs_row_locks, run_at_once
from manyi.core.tests.factories import CustomerFactory
from manyi.followups import services
from manyi.followups.models import FollowUp, PhoneMessage
from manyi.notifications.models import Notification

pytestmark = [
    needs_row_locks,
    pytest.mark.django_db(transaction=True),
]

MON = at(2026, 3, 2, 10, 0)


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_sweeps_flag_every_row_exactly_once(agent, supervisor, store_a, workers):
    for i in range(30):
        services.schedule_followup(
            actor=agent,
            customer=CustomerFactory(store=store_a),
            reason="customer_care",
            assigned_to=agent,
            scheduled_for=dt.date(2026, 3, 2 + i % 3),
            now=MON,
        )
    for _i in range(12):
        services.take_message(
            actor=supervisor,
            for_user=agent,
            caller_name="来电人",
            caller_phone="13912345678",
            reason="请回电",
            received_at=MON,
            now=MON,
        )
    later = at(2026, 3, 20, 9, 0)

    results = run_at_once(lambda: services.flag_overdue(now=later, batch=4), workers)

    assert sum(r["followups"] for r in results) == 30
    assert sum(r["messages"] for r in results) == 12
    # Each claimed row queued its two notifications (person + supervisor) once.
    assert sum(r["notifications"] for r in results) == 2 * (30 + 12)
    assert not FollowUp.objects.filter(flagged_at__isnull=True).exists()
    assert set(FollowUp.objects.values_list("missed", flat=True)) == {True}
    assert not PhoneMessage.objects.filter(flagged_at__isnull=True).exists()
    assert Notification.objects.filter(kind="followup_overdue").count() == 60
    assert Notification.objects.filter(kind="message_overdue").count() == 24
