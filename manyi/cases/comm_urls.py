"""Communication-log and reply-template pages of a case (included by cases/urls.py)."""

from django.urls import path

from manyi.cases import comm_views

urlpatterns = [
    path("<int:pk>/communications/", comm_views.log_entry, name="comm_log"),
    path("<int:pk>/communications/fill/", comm_views.fill_template, name="comm_fill"),
    path("reply-templates/", comm_views.reply_template_list, name="reply_templates"),
    path("reply-templates/new/", comm_views.reply_template_create, name="reply_template_new"),
    path(
        "reply-templates/<int:tpk>/edit/",
        comm_views.reply_template_edit,
        name="reply_template_edit",
    ),
    path("message-templates/", comm_views.message_template_list, name="message_templates"),
    path(
        "message-templates/<slug:key>/",
        comm_views.message_template_edit,
        name="message_template_edit",
    ),
    path(
        "message-templates/<slug:key>/reset/",
        comm_views.message_template_reset,
        name="message_template_reset",
    ),
]
