from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def manyi(request: HttpRequest) -> dict[str, Any]:
    """Unread notification count for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from manyi.notifications.models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"unread_notifications": unread}
