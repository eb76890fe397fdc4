"""The filters of the analytics pages. An invalid value (a store or staff member the user may
not see, another organisation's id, a date typed wrong) is ignored, never an error page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.accounts.models import User
from manyi.analytics import selectors
from manyi.analytics.selectors import Filters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The dates a period may cover: year 1 or 9999 overflow when turned into instants in the
# time zone (and would make thousands of months); a date outside is moved to the nearest.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)


class AnalyticsFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)
    store = forms.TypedChoiceField(label=_("Store"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    staff = forms.TypedChoiceField(label=_("Staff"), required=False, coerce=int, empty_value=None)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        today: dt.date,
        with_staff: bool = True,
        with_category: bool = True,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.today = today
        self.stores = selectors.store_choices(user)
        self.fields["store"].choices = [("", _("All stores")), *self.stores]  # type: ignore[attr-defined]
        self.show_store = len(self.stores) > 1
        if with_staff:
            staff = selectors.staff_choices(user)
            self.fields["staff"].choices = [("", _("All staff")), *staff]  # type: ignore[attr-defined]
            teams = selectors.team_choices(user)
            self.fields["team"].choices = [("", _("All teams")), *teams]  # type: ignore[attr-defined]
            if not teams:
                del self.fields["team"]
        else:
            del self.fields["staff"]
            del self.fields["team"]
        if with_category:
            categories = selectors.category_choices(user)
            self.fields["category"].choices = [("", _("All categories")), *categories]  # type: ignore[attr-defined]
        else:
            del self.fields["category"]
        start, end = selectors.default_period(today)
        self.fields["start"].initial = start
        self.fields["end"].initial = end

    def filters(self) -> Filters:
        """The valid filters; an invalid value falls back to its default."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        clean = {k: data.get(k) for k in self.fields if k not in self.errors}
        default_start, default_end = selectors.default_period(self.today)
        start = clean.get("start") or default_start
        end = clean.get("end") or default_end
        start = min(max(start, FIRST_DAY), LAST_DAY)
        end = min(max(end, FIRST_DAY), LAST_DAY)
        if start > end:
            start, end = end, start
        return Filters(
            start=start,
            end=end,
            store_ids=selectors.scoped_store_ids(self.stores, clean.get("store")),
            staff_id=clean.get("staff"),
            team_id=clean.get("team"),
            category_id=clean.get("category"),
        )
