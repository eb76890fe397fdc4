"""Access to the settings pages: organisation admins only; everyone else gets 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from manyi.accounts.models import User

View = Callable[..., HttpResponse]


def org_admin_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not isinstance(user, User) or not user.is_org_admin or user.organisation_id is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_of(request: HttpRequest) -> User:
    """The signed-in organisation admin (the decorator has checked)."""
    user = request.user
    assert isinstance(user, User) and user.organisation is not None
    return user
