from django.urls import include, path

from manyi.cases import public_views, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("export.<str:fmt>", views.case_export, name="export"),
    path("new/", views.intake, name="new"),
    path("new/lookup/", views.customer_lookup, name="lookup"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/clocks/", views.case_clocks, name="clocks"),
    path("attachments/<int:pk>/", public_views.attachment_download, name="attachment"),
    path("", include("manyi.cases.comm_urls")),
    path("<int:pk>/<slug:action>/", views.case_action, name="action"),
]
