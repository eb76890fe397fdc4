from django.urls import path

from manyi.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("new/", views.followup_new, name="new"),
    path("<int:pk>/attempts/", views.record_outcome, name="attempt"),
    path("messages/new/", views.message_new, name="message_new"),
    path("messages/<int:pk>/return/", views.message_return, name="message_return"),
    path("scripts/", views.scripts, name="scripts"),
]
