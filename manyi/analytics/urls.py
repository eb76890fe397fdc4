from django.urls import path

from manyi.analytics import views, views_alerts, views_handling, views_returns, views_value

app_name = "analytics"

urlpatterns = [
    path("", views.controls, name="controls"),
    path("export/<str:table>.<str:fmt>", views.controls_export, name="controls_export"),
    path("lost/", views.lost, name="lost"),
    path("lost/export.<str:fmt>", views.lost_export, name="lost_export"),
    path("recovery/", views.recovery, name="recovery"),
    path("recovery/export/<str:table>.<str:fmt>", views.recovery_export, name="recovery_export"),
    # SLA and handling
    path("handling/", views_handling.handling, name="handling"),
    path(
        "handling/export/<str:table>.<str:fmt>",
        views_handling.handling_export,
        name="handling_export",
    ),
    # Return after a complaint (TARP), the recovery paradox, fairness against return
    path("returns/", views_returns.returns, name="returns"),
    path(
        "returns/export/<str:table>.<str:fmt>", views_returns.returns_export, name="returns_export"
    ),
    # Early warning
    path("alerts/", views_alerts.alerts, name="alerts"),
    path("alerts/settings/", views_alerts.alert_settings, name="alert_settings"),
    path("alerts/<int:pk>/", views_alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/handle/", views_alerts.alert_handle, name="alert_handle"),
    path(
        "alerts/<int:pk>/export.<str:fmt>",
        views_alerts.alert_chart_export,
        name="alert_chart_export",
    ),
    # Customer value and churn risk
    path("value/", views_value.value, name="value"),
    path("value/export/<str:table>.<str:fmt>", views_value.value_export, name="value_export"),
    path("value/refresh/", views_value.refresh, name="value_refresh"),
    path("churn/", views_value.churn, name="churn"),
    path("churn/export.<str:fmt>", views_value.churn_export, name="churn_export"),
    path(
        "churn/<int:customer_id>/retention/",
        views_value.start_retention,
        name="start_retention",
    ),
]
