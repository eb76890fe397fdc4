from django.urls import path

from manyi.recovery import guarantee_views, views

app_name = "recovery"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:pk>/actions/", views.propose, name="propose"),
    path("cases/<int:pk>/checklist/<slug:principle>/", views.checklist_toggle, name="checklist"),
    path("actions/<int:action_id>/<slug:step>/", views.action_step, name="step"),
    path("guides/", views.guides, name="guides"),
    path("guides/<int:pk>/", views.guide_edit, name="guide_edit"),
    path("guides/<int:pk>/delete/", views.guide_delete, name="guide_delete"),
    path("limits/", views.limits, name="limits"),
    # service guarantees (guarantee_views)
    path("guarantees/", guarantee_views.guarantee_list, name="guarantees"),
    path("guarantees/new/", guarantee_views.guarantee_new, name="guarantee_new"),
    path("guarantees/<int:pk>/", guarantee_views.guarantee_edit, name="guarantee_edit"),
    path("guarantees/report/", guarantee_views.guarantee_report, name="guarantee_report"),
    path(
        "guarantees/report/export.<str:fmt>",
        guarantee_views.guarantee_report_export,
        name="guarantee_export",
    ),
    path(
        "cases/<int:pk>/guarantee-events/",
        guarantee_views.guarantee_event,
        name="guarantee_event",
    ),
]
