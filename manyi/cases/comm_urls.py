"""Communication-log and reply-template pages of a case (included by cases/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # type: ignore[type-arg]
