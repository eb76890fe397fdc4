from django.urls import path

from manyi.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.controls, name="controls"),
    path("export/<str:table>.<str:fmt>", views.controls_export, name="controls_export"),
    path("lost/", views.lost, name="lost"),
    path("lost/export.<str:fmt>", views.lost_export, name="lost_export"),
    path("recovery/", views.recovery, name="recovery"),
    path("recovery/export/<str:table>.<str:fmt>", views.recovery_export, name="recovery_export"),
]
