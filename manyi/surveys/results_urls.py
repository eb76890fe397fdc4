"""URLs of the results survey pages (included by manyi.surveys.urls)."""

from django.urls import URLPattern, path

from manyi.surveys import results_views

urlpatterns: list[URLPattern] = [
    path("surveys/<int:pk>/results/", results_views.results, name="results"),
    path(
        "surveys/<int:pk>/results/export.<str:fmt>",
        results_views.export,
        name="export",
    ),
]
