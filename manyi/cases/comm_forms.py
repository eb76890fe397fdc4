"""Forms of the communication log, the reply templates and the customer message texts. They
parse and check input only; the services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.cases.choices import Direction, Medium
from manyi.cases.models import ReplyTemplate


class CommunicationForm(forms.Form):
    """One entry of the log, posted with the case version it was rendered from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Direction.choices, initial=Direction.OUTBOUND
    )
    medium = forms.ChoiceField(label=_("Medium"), choices=Medium.choices, initial=Medium.CALL)
    template = forms.TypedChoiceField(
        label=_("Reply template"), required=False, coerce=int, empty_value=None
    )
    content = forms.CharField(
        label=_("Content"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the customer was told, or what they said."),
    )
    at = forms.DateTimeField(
        label=_("Time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now."),
    )

    def __init__(
        self, *args: Any, templates: list[ReplyTemplate] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "id_comm_%s")
        super().__init__(*args, **kwargs)
        self.templates = list(templates or [])
        field = self.fields["template"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—")] + [(t.pk, t.name) for t in self.templates]

    def chosen_template(self) -> ReplyTemplate | None:
        pk = self.cleaned_data.get("template")
        return next((t for t in self.templates if t.pk == pk), None)


class ReplyTemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    medium = forms.ChoiceField(
        label=_("Medium"),
        choices=[("", _("Any")), *Medium.choices],
        required=False,
        help_text=_("Picking the template sets this medium in the log form."),
    )
    body_zh = forms.CharField(label=_("Chinese text"), widget=forms.Textarea(attrs={"rows": 5}))
    body_en = forms.CharField(
        label=_("English text"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Empty: the Chinese text is used."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class MessageTemplateForm(forms.Form):
    subject_zh = forms.CharField(label=_("Chinese subject"), max_length=200, required=False)
    body_zh = forms.CharField(label=_("Chinese text"), widget=forms.Textarea(attrs={"rows": 5}))
    subject_en = forms.CharField(label=_("English subject"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("English text"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Empty: the Chinese text is used."),
    )
