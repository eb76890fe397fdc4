"""Forms of the follow-up pages. They parse and check input only; services do the writing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.core.errors import DomainError
from manyi.core.scoping import customers_for, staff_for
from manyi.customers.validation import normalise_phone
from manyi.followups.choices import ContactResult, Reason, Satisfaction

if TYPE_CHECKING:
    from manyi.accounts.models import User
    from manyi.customers.models import Customer


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        store = getattr(obj, "store", None)
        return f"{obj} · {store}" if store else str(obj)


def _staff(form: forms.Form, name: str) -> StaffChoiceField:
    field = form.fields[name]
    assert isinstance(field, StaffChoiceField)
    return field


class OutcomeForm(forms.Form):
    """What came of one call. Satisfaction counts only for a reached customer, the new date
    only for an unanswered call."""

    result = forms.ChoiceField(
        label=_("Result"), choices=ContactResult.choices, widget=forms.RadioSelect
    )
    satisfaction = forms.ChoiceField(
        label=_("Satisfied?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reschedule_to = forms.DateField(
        label=_("Call again on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For no answer; default the next working day."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("result") != ContactResult.REACHED:
            data["satisfaction"] = ""
        if data.get("result") != ContactResult.NO_ANSWER:
            data["reschedule_to"] = None
        return data


class MessageForm(forms.Form):
    """A phone message for an absent colleague."""

    for_user = StaffChoiceField(label=_("For"), queryset=None)
    caller_name = forms.CharField(label=_("Caller"), max_length=100)
    caller_phone = forms.CharField(
        label=_("Number to call back"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = staff_for(user).exclude(pk=user.pk).select_related("store")
        _staff(self, "for_user").queryset = staff.order_by("store__name", "username")


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("What was said"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ScheduleForm(forms.Form):
    """A follow-up call for a customer found by phone number."""

    customer_phone = forms.CharField(
        label=_("Customer's phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(v, label) for v, label in Reason.choices if v != Reason.COMPLAINT],
        initial=Reason.SERVICE_VISIT,
    )
    assigned_to = StaffChoiceField(label=_("Who calls"), queryset=None)
    scheduled_for = forms.DateField(
        label=_("Call on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        field = _staff(self, "assigned_to")
        field.queryset = staff_for(user).select_related("store").order_by("store__name", "username")
        field.initial = user.pk
        self.fields["scheduled_for"].initial = today
        self.customer: Customer | None = None

    def clean_customer_phone(self) -> str:
        try:
            phone = normalise_phone(self.cleaned_data["customer_phone"])
        except DomainError as e:
            raise forms.ValidationError(e.message) from e
        self.customer = customers_for(self.user).filter(phone=phone).first()
        if self.customer is None:
            raise forms.ValidationError(_("No customer of yours has this number."))
        return phone


class ScriptForm(forms.Form):
    text_zh = forms.CharField(
        label=_("Chinese text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    text_en = forms.CharField(
        label=_("English text"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
