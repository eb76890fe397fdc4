"""Forms of the early-warning pages: the organisation's alert settings and handling an
alert."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.analytics.choices import AlertState
from manyi.analytics.models import AlertSettings


class AlertSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AlertSettings
        fields = [
            "enabled",
            "method",
            "period",
            "laney",
            "sigma",
            "ewma_lambda",
            "ewma_l",
            "cusum_k",
            "cusum_h",
            "baseline_periods",
            "min_complaints",
            "email",
        ]
        help_texts = {
            "sigma": _("Upper limit of the u-chart, in standard deviations (usually 3)."),
            "ewma_lambda": _(
                "Weight of the latest period, between 0 and 1: small values find small "
                "lasting rises (0.05–0.25), 1 is the u-chart."
            ),
            "ewma_l": _("Width of the EWMA limits, in standard deviations of the average."),
            "cusum_k": _("Allowance, in standard deviations: half the rise to find fastest."),
            "cusum_h": _("Decision interval, in standard deviations (usually 4 to 5)."),
            "baseline_periods": _(
                "How many periods before the watched ones give the normal rate (at least 4)."
            ),
            "min_complaints": _("A period with fewer complaints never raises an alert."),
        }

    def clean_sigma(self) -> Decimal:
        return _within(self.cleaned_data["sigma"], low=Decimal("1"), high=Decimal("6"))

    def clean_ewma_lambda(self) -> Decimal:
        value: Decimal = self.cleaned_data["ewma_lambda"]
        if value is None or not (Decimal("0") < value <= Decimal("1")):
            raise forms.ValidationError(_("λ must be greater than 0 and at most 1."))
        return value

    def clean_ewma_l(self) -> Decimal:
        return _within(self.cleaned_data["ewma_l"], low=Decimal("1"), high=Decimal("6"))

    def clean_cusum_k(self) -> Decimal:
        return _within(self.cleaned_data["cusum_k"], low=Decimal("0"), high=Decimal("3"))

    def clean_cusum_h(self) -> Decimal:
        return _within(self.cleaned_data["cusum_h"], low=Decimal("0.5"), high=Decimal("20"))

    def clean_baseline_periods(self) -> int:
        value: int = self.cleaned_data["baseline_periods"]
        if value is None or not 4 <= value <= 104:
            raise forms.ValidationError(_("Enter between 4 and 104 periods."))
        return value

    def clean_min_complaints(self) -> int:
        value: int = self.cleaned_data["min_complaints"]
        if value is None or not 1 <= value <= 1000:
            raise forms.ValidationError(_("Enter between 1 and 1000 complaints."))
        return value


def _within(value: Any, *, low: Decimal, high: Decimal) -> Decimal:
    if value is None or not (low <= value <= high):
        raise forms.ValidationError(
            _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}
        )
    result: Decimal = value
    return result


class HandleAlertForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[(s.value, s.label) for s in AlertState],
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
