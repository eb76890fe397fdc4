"""Forms of the public complaint page. They only parse what was posted and draw the inputs;
every rule (required fields, lengths, phone format, photo size and type) is checked by
manyi.cases.public_services, so the page and the JSON endpoint give the same messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from manyi.cases.models import Category

# The honeypot's name: a field people never see and bots like to fill.
HONEYPOT = "website"


class PhotosInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Any number of uploaded files, unchecked (the service checks count, size and type)."""

    widget = PhotosInput

    def to_python(self, data: Any) -> Any:
        return data

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [f for f in items if isinstance(f, UploadedFile)]


def grouped_choices(categories: list[Category]) -> list[tuple[Any, Any]]:
    """<select> choices: one <optgroup> per parent, a top-level leaf on its own."""
    out: list[tuple[Any, Any]] = [("", _("Choose…"))]
    groups: dict[int, list[tuple[Any, Any]]] = {}
    for c in categories:
        if c.parent_id is None:
            out.append((str(c.pk), c.name()))
            continue
        if c.parent_id not in groups:
            groups[c.parent_id] = []
            assert c.parent is not None
            out.append((c.parent.name(), groups[c.parent_id]))
        groups[c.parent_id].append((str(c.pk), c.name()))
    return out


class PublicComplaintForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "name", "required": True}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        help_text=_("We will call you back on this number."),
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "required": True}
        ),
    )
    plate = forms.CharField(
        label=_("Plate number"),
        required=False,
        help_text=_("Optional, e.g. 沪A12345."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    order_number = forms.CharField(
        label=_("Order or work-order number"),
        required=False,
        help_text=_("Optional, from your invoice or receipt."),
    )
    category = forms.CharField(
        label=_("What is it about?"),
        required=False,
        widget=forms.Select(attrs={"required": True}),
    )
    description = forms.CharField(
        label=_("What happened?"),
        required=False,
        strip=False,
        help_text=_(
            "10 to 2000 characters: what happened, when, and what you would like us to do."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "required": True}),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Optional: up to %(n)d JPEG, PNG or WebP pictures, each up to %(mb)s MB."),
        widget=PhotosInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(
        self, *args: Any, categories: list[Category], max_files: int, max_mb: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        select = self.fields["category"].widget
        assert isinstance(select, forms.Select)
        select.choices = grouped_choices(categories)
        photos = self.fields["photos"]
        photos.help_text = str(photos.help_text) % {"n": max_files, "mb": max_mb}


class StatusLookupForm(forms.Form):
    number = forms.CharField(
        label=_("Complaint number"),
        required=False,
        help_text=_("As shown after you sent the complaint, e.g. TS2026-000123."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "required": True}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        help_text=_("The number you gave with the complaint."),
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "required": True}
        ),
    )
