from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from manyi.core.admin_base import ORG_PATHS, ReadOnlyAdmin, ScopedAdmin
from manyi.notifications.customer import DEFAULT_TEMPLATES, KIND_LABELS
from manyi.notifications.models import CustomerMessage, MessageTemplate, Notification

# Scoping of this app's organisation models (see manyi.core.admin_base.ORG_PATHS).
ORG_PATHS.setdefault("notifications.customermessage", "organisation")
ORG_PATHS.setdefault("notifications.messagetemplate", "organisation")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "subject", "state", "attempts", "read_at")
    list_filter = ("state", "kind")
    search_fields = ("subject", "recipient__username")
    date_hierarchy = "created_at"


@admin.register(CustomerMessage)
class CustomerMessageAdmin(ReadOnlyAdmin):
    """The outbox of messages to customers: written by manyi.notifications.customer only."""

    list_display = ("created_at", "customer", "case", "channel", "to", "kind", "state", "attempts")
    list_filter = ("state", "channel", "kind")
    search_fields = ("to", "body", "case__number", "customer__name")
    date_hierarchy = "created_at"


class MessageTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    key = forms.ChoiceField(label=_("key"))
    organisation_id: int | None = None

    class Meta:
        model = MessageTemplate
        fields = ("organisation", "key", "subject_zh", "body_zh", "subject_en", "body_en")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["key"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, f"{KIND_LABELS.get(k, k)} ({k})") for k in DEFAULT_TEMPLATES]

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        org_id = self.instance.organisation_id or self.organisation_id
        if org_id is None:  # the superuser picks the organisation; the database checks
            return key
        taken = MessageTemplate.objects.filter(organisation_id=org_id, key=key)
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This message has its own text already: edit that."))
        return key


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ScopedAdmin):
    """The organisation's own texts of the messages Manyi sends to customers (the settings
    page /cases/message-templates/ edits the same rows and lists the built-in texts).
    Deleting one brings the built-in text back."""

    form = MessageTemplateForm
    list_display = ("key", "subject_zh", "subject_en")
    search_fields = ("key", "body_zh", "body_en")
    allow_delete = True

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        org = getattr(request.user, "organisation_id", None)
        return type(form.__name__, (form,), {"organisation_id": org})
