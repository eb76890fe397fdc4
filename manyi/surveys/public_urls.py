"""URLs of the public survey pages and of the staff's phone-interview entry (included by
manyi.surveys.urls)."""

from django.urls import URLPattern, path

from manyi.surveys import phone_views, public_views

urlpatterns: list[URLPattern] = [
    path("s/<str:token>/", public_views.answer, name="answer"),
    path("s/<str:token>/thanks/", public_views.answer_done, name="answer_done"),
    path("surveys/<int:pk>/phone/", phone_views.phone_interview, name="phone"),
]
