"""Survey URLs, mounted at the site root: the public answer page under /s/ and the staff pages
under /surveys/. Each part has its own module."""

from django.urls import path

from manyi.surveys import builder_urls, public_urls, response_views, results_urls

app_name = "surveys"
urlpatterns = [
    *public_urls.urlpatterns,
    *builder_urls.urlpatterns,
    *results_urls.urlpatterns,
    path("surveys/responses/<int:pk>/", response_views.response_detail, name="response"),
]
