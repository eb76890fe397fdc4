"""URLs of the staff pages that build and send surveys (included by manyi.surveys.urls)."""

from django.urls import URLPattern, path

from manyi.surveys import send_views, views

urlpatterns: list[URLPattern] = [
    path("surveys/", views.survey_list, name="list"),
    path("surveys/new/", views.survey_new, name="new"),
    path("surveys/rules/", send_views.rules, name="rules"),
    path("surveys/rules/<int:pk>/", send_views.rule_edit, name="rule_edit"),
    path("surveys/send/", send_views.send_pick, name="send_pick"),
    path("surveys/send-segment/", send_views.send_segment, name="send_segment"),
    path("surveys/invitations/<int:pk>/qr.svg", send_views.qr, name="qr"),
    path("surveys/<int:pk>/", views.survey_detail, name="detail"),
    path("surveys/<int:pk>/publish/", views.survey_publish, name="publish"),
    path("surveys/<int:pk>/archive/", views.survey_archive, name="archive"),
    path("surveys/<int:pk>/questions/", views.questions, name="questions"),
    path("surveys/<int:pk>/questions/add/", views.question_add, name="question_add"),
    path("surveys/<int:pk>/questions/<slug:key>/edit/", views.question_edit, name="question_edit"),
    path(
        "surveys/<int:pk>/questions/<slug:key>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path("surveys/<int:pk>/questions/<slug:key>/move/", views.question_move, name="question_move"),
    path("surveys/<int:pk>/send/", send_views.send, name="send"),
    path("surveys/<int:pk>/slips/", send_views.slips, name="slips"),
    path("surveys/<int:pk>/invitations/", send_views.invitations, name="invitations"),
]
