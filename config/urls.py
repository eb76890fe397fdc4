from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("cases/", include("manyi.cases.urls")),
    path("customers/", include("manyi.customers.urls")),
    path("settings/", include("manyi.accounts.urls")),
    path("recovery/", include("manyi.recovery.urls")),
    path("followups/", include("manyi.followups.urls")),
    path("analytics/", include("manyi.analytics.urls")),
    path("complain/", include("manyi.cases.public_urls")),
    path("", include("manyi.surveys.urls")),
    path("", include("manyi.core.urls")),
]
