"""Thin tasks: one service call each."""

from django_tasks import task

from manyi.notifications import customer as customer_messages
from manyi.notifications.services import deliver_pending


@task()
def deliver_notifications() -> int:
    return deliver_pending()


@task()
def deliver_customer_messages() -> int:
    return customer_messages.deliver_customer_messages()
