from django.urls import path

from manyi.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="new"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/assets/add/", views.asset_add, name="asset_add"),
    path("<int:pk>/lost/", views.customer_lost, name="lost"),
    path("<int:pk>/lost/clear/", views.customer_back, name="lost_clear"),
]
