from django.contrib.auth import views as auth_views
from django.urls import path

from manyi.core import views

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.mark_notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/read/", views.mark_notification_read, name="notification_read"),
]
