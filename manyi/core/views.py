"""Start page and the user's notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from manyi.accounts.models import User
from manyi.cases import selectors
from manyi.notifications.models import Notification


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    board = selectors.dashboard(_user(request), now=now)
    return render(request, "core/dashboard.html", {"board": board, "now": now})


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    items = (
        Notification.objects.filter(recipient=_user(request))
        .select_related("case")
        .order_by("-created_at", "-id")[:200]
    )
    return render(request, "core/notifications.html", {"items": items})


@login_required
@require_POST
def mark_notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(recipient=_user(request), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("core:notifications")


@login_required
@require_POST
def mark_notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read; someone else's id changes nothing."""
    Notification.objects.filter(recipient=_user(request), pk=pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("core:notifications")
