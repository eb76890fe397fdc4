from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def manyi(request: HttpRequest) -> dict[str, Any]:
    """Unread notification count for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The case page renders several panels with the request; count once per request.
    cached = getattr(request, "_manyi_unread", None)
    if cached is None:
        from manyi.notifications.models import Notification

        cached = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        request._manyi_unread = cached  # type: ignore[attr-defined]
    return {"unread_notifications": cached}
