"""The public complaint page of each store, mounted at /complain/ (no login)."""

from django.urls import path

from manyi.cases import public_views

app_name = "public"
urlpatterns = [
    path("<int:store_id>/", public_views.complaint_form, name="form"),
    path("<int:store_id>/done/", public_views.complaint_done, name="done"),
    path("<int:store_id>/status/", public_views.case_status, name="status"),
]
