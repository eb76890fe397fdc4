import pytest
from django.db import transaction

from manyi.notifications.models import Notification
from manyi.notifications.services import Message, queue_notifications

pytestmark = pytest.mark.django_db


def _msg(user, key):
    return Message(recipient=user, kind="test", dedupe_key=key, subject="s", body="b")


def test_one_delivery_task_per_transaction_and_repeats_ignored(
    agent, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        queue_notifications([_msg(agent, "a")])
        queue_notifications([_msg(supervisor, "a"), _msg(agent, "a")])
        queue_notifications([_msg(agent, "b")])
    assert len(callbacks) == 1
    assert Notification.objects.count() == 3  # (agent, a) queued twice is one row
