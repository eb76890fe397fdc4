from django.urls import path

from manyi.accounts import taxonomy_views, views
from manyi.calendars import views as calendar_views

app_name = "accounts"
urlpatterns = [
    path("", views.index, name="index"),
    path("organisation/", views.organisation_edit, name="organisation"),
    path("stores/", views.store_list, name="stores"),
    path("stores/new/", views.store_create, name="store_new"),
    path("stores/<int:pk>/edit/", views.store_edit, name="store_edit"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/new/", views.staff_create, name="staff_new"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("categories/", taxonomy_views.category_list, name="categories"),
    path("categories/<int:pk>/edit/", taxonomy_views.category_edit, name="category_edit"),
    path("categories/<int:pk>/toggle/", taxonomy_views.category_toggle, name="category_toggle"),
    path("sla-policies/", taxonomy_views.policy_list, name="policies"),
    path("sla-policies/new/", taxonomy_views.policy_create, name="policy_new"),
    path("sla-policies/<int:pk>/edit/", taxonomy_views.policy_edit, name="policy_edit"),
    path("sla-policies/<int:pk>/delete/", taxonomy_views.policy_delete, name="policy_delete"),
    path("calendars/", calendar_views.calendar_list, name="calendars"),
    path("calendars/new/", calendar_views.calendar_create, name="calendar_new"),
    path("calendars/<int:pk>/", calendar_views.calendar_edit, name="calendar_edit"),
]
