"""Forms of the guarantee pages: a guarantee, a staff-recorded event on a case, and the report
filters. They only parse input; manyi.recovery.guarantees checks the rules."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from manyi.accounts.models import Store
from manyi.cases.choices import Channel, SlaMetric
from manyi.recovery.choices import ActionKind, PayoutKind, TriggerKind
from manyi.recovery.guarantees import MAX_WITHIN_MINUTES, PAYOUT_KINDS
from manyi.recovery.models import Guarantee

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _label(name: str) -> Any:
    return capfirst(getattr(Guarantee._meta.get_field(name), "verbose_name", name))


class GuaranteeForm(forms.Form):
    code = forms.CharField(
        label=_label("code"),
        max_length=40,
        help_text=_("A short identifier, e.g. first_reply_48h."),
    )
    name = forms.CharField(label=_label("name"), max_length=100)
    text_zh = forms.CharField(
        label=_label("text_zh"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The promise as the customer reads it; it is quoted in the payout message."),
    )
    text_en = forms.CharField(
        label=_label("text_en"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    trigger = forms.ChoiceField(label=_label("trigger"), choices=TriggerKind.choices)
    metric = forms.ChoiceField(
        label=_label("metric"),
        required=False,
        choices=[("", "—"), *SlaMetric.choices],
        help_text=_(
            "Broken when this SLA metric of a case is breached: the promise should state the "
            "target of the SLA policies that apply, or give the time below."
        ),
    )
    within_minutes = forms.IntegerField(
        label=_label("within_minutes"),
        required=False,
        min_value=1,
        max_value=MAX_WITHIN_MINUTES,
        help_text=_(
            "First response or resolution only: broken when it does not come within this many "
            "minutes of receiving the complaint, around the clock (2880 = 48 hours), whatever "
            "the SLA policy's target. Empty: when the SLA policy's target is missed."
        ),
    )
    channels = forms.MultipleChoiceField(
        label=_label("channels"),
        required=False,
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only cases taken through these channels; none ticked: every channel."),
    )
    payout_kind = forms.ChoiceField(label=_label("payout_kind"), choices=PayoutKind.choices)
    action_kind = forms.ChoiceField(
        label=_label("action_kind"),
        choices=[(k, label) for k, label in ActionKind.choices if k in PAYOUT_KINDS],
    )
    amount = forms.DecimalField(
        label=_label("amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    multiplier = forms.DecimalField(
        label=_label("multiplier"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        help_text=_("For a payout as a multiple: 2 pays double the amount involved."),
    )
    active = forms.BooleanField(label=_label("active"), required=False, initial=True)
    starts_at = forms.DateTimeField(
        label=_label("starts_at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_(
            "Breaches from this time on pay. Empty: from when the guarantee is saved. Changing "
            "what breaks it, or switching it on again, moves this to the time of the change."
        ),
    )

    def data_for_service(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        if d.get("amount") is None:
            d["amount"] = "0"
        if d.get("multiplier") is None:
            d["multiplier"] = "2"
        return d

    @staticmethod
    def initial_for(g: Guarantee) -> dict[str, Any]:
        return {
            "code": g.code,
            "name": g.name,
            "text_zh": g.text_zh,
            "text_en": g.text_en,
            "trigger": g.trigger,
            "metric": g.metric,
            "channels": list(g.channels or []),
            "payout_kind": g.payout_kind,
            "action_kind": g.action_kind,
            "amount": g.amount,
            "multiplier": g.multiplier,
            "within_minutes": g.within_minutes,
            "active": g.active,
            "starts_at": g.starts_at,
        }


class StaffEventForm(forms.Form):
    """Record that a staff-event guarantee was broken on a case (a billing error)."""

    guarantee = forms.TypedChoiceField(label=_("Guarantee"), coerce=int)
    amount_involved = forms.DecimalField(
        label=_("Amount involved (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("E.g. what was overcharged."),
    )
    note = forms.CharField(
        label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    event_key = forms.CharField(widget=forms.HiddenInput, max_length=32, required=False)

    def __init__(self, *args: Any, guarantees: list[Guarantee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guarantees = {g.pk: g for g in guarantees}
        field = self.fields["guarantee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(g.pk, g.name) for g in guarantees]
        if not self.is_bound:
            self.initial.setdefault("event_key", uuid.uuid4().hex)

    def chosen(self) -> Guarantee:
        return self.guarantees[self.cleaned_data["guarantee"]]


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month input); cleans to its first day."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        m = MONTH_RE.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."))
        return dt.date(int(m.group(1)), int(m.group(2)), 1)


class ReportFilterForm(forms.Form):
    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)
    store = forms.ModelChoiceField(
        label=_("Store"), queryset=Store.objects.none(), required=False, empty_label=_("All")
    )
    guarantee = forms.ModelChoiceField(
        label=_("Guarantee"),
        queryset=Guarantee.objects.none(),
        required=False,
        empty_label=_("All"),
    )

    def __init__(self, *args: Any, stores: Any, guarantees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        store_field = self.fields["store"]
        guarantee_field = self.fields["guarantee"]
        assert isinstance(store_field, forms.ModelChoiceField)
        assert isinstance(guarantee_field, forms.ModelChoiceField)
        store_field.queryset = stores
        guarantee_field.queryset = guarantees

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The last month comes before the first."))
        return data
