from django.urls import path  # noqa: F401

app_name = "recovery"
urlpatterns: list = []  # type: ignore[type-arg]
