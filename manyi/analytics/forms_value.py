"""The filters of the value page and the churn-risk list: the store (the figures are a
snapshot of the last refresh, so there is no period), and on the list a flag and an RFM
segment. An invalid value is ignored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.analytics.churn import FLAGS, SEGMENT_LABELS
from manyi.analytics.forms import AnalyticsFilterForm


class ValueFilterForm(AnalyticsFilterForm):
    """AnalyticsFilterForm without period, staff, team and category."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, with_staff=False, with_category=False, **kw)
        del self.fields["start"]
        del self.fields["end"]

    def store_ids(self) -> tuple[int, ...]:
        return self.filters().store_ids


class ChurnFilterForm(ValueFilterForm):
    flag = forms.ChoiceField(label=_("Risk"), required=False)
    segment = forms.ChoiceField(label=_("RFM segment"), required=False)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["flag"].choices = [("", _("Any risk")), *FLAGS.items()]  # type: ignore[attr-defined]
        self.fields["segment"].choices = [("", _("All segments")), *SEGMENT_LABELS.items()]  # type: ignore[attr-defined]

    def choice(self, name: str) -> str:
        self.is_valid()
        if name in self.errors:
            return ""
        return str(getattr(self, "cleaned_data", {}).get(name) or "")
