from django_tasks import task

from manyi.notifications.services import deliver_pending


@task()
def deliver_notifications() -> int:
    return deliver_pending()
