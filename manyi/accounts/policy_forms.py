"""The SLA policy form of the settings pages. It builds the JSON-like data that
manyi.cases.policy_services.save_sla_policy checks and saves, and maps that service's
field names ("match.severity", "targets.0.minutes") back onto the form's fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from manyi.accounts import selectors
from manyi.accounts.models import User
from manyi.calendars.models import BusinessCalendar
from manyi.cases.choices import Channel, Severity, SlaClockKind, SlaMetric, Status
from manyi.cases.models import SlaPolicy
from manyi.cases.policy_services import MATCH_KEYS, PAUSABLE_STATUSES
from manyi.customers.choices import Tier

METRIC_HELP = {
    SlaMetric.FIRST_RESPONSE: _("Until the first response to the customer."),
    SlaMetric.NEXT_UPDATE: _("The customer hears from us again at least this often while open."),
    SlaMetric.RESOLUTION: _("Until the case is resolved."),
}


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    rank = forms.IntegerField(
        label=_("Rank"),
        min_value=0,
        initial=100,
        help_text=_("Lowest first: the first policy whose conditions all hold applies."),
    )
    calendar = forms.ModelChoiceField(
        label=_("Business calendar"),
        queryset=BusinessCalendar.objects.none(),
        required=False,
        empty_label=_("The case's store calendar"),
    )
    match_severity = forms.MultipleChoiceField(
        label=_("Severity"),
        choices=Severity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    match_channel = forms.MultipleChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    match_customer_tier = forms.MultipleChoiceField(
        label=_("Customer tier"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    match_store = forms.MultipleChoiceField(
        label=_("Store"), required=False, widget=forms.CheckboxSelectMultiple
    )
    match_category = forms.MultipleChoiceField(
        label=_("Category"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A top-level category also matches its sub-categories."),
    )
    pause_on = forms.MultipleChoiceField(
        label=_("Statuses that pause the clocks"),
        choices=[(s, Status(s).label) for s in PAUSABLE_STATUSES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=["waiting_customer", "waiting_third_party"],
    )
    warn_at_percent = forms.IntegerField(
        label=_("Warn at (percent of target)"), min_value=1, max_value=100, initial=75
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, *args: Any, admin: User, policy: SlaPolicy | None = None, **kwargs: Any
    ) -> None:
        if policy is not None and "initial" not in kwargs:
            kwargs["initial"] = policy_initial(policy)
        super().__init__(*args, **kwargs)
        self.policy = policy
        for metric, label in SlaMetric.choices:
            self.fields[f"{metric}_minutes"] = forms.IntegerField(
                label=label,
                required=False,
                min_value=1,
                help_text=METRIC_HELP[SlaMetric(metric)],
                widget=forms.NumberInput(attrs={"placeholder": _("minutes")}),
            )
            self.fields[f"{metric}_clock"] = forms.ChoiceField(
                label=_("Clock"), choices=SlaClockKind.choices, initial=SlaClockKind.BUSINESS
            )
        self.fields["calendar"].queryset = selectors.org_calendars(admin)  # type: ignore[attr-defined]
        self.fields["match_store"].choices = [  # type: ignore[attr-defined]
            (s.code, f"{s.name} ({s.code})") for s in selectors.settings_stores(admin)
        ]
        self.fields["match_category"].choices = _category_choices(admin)  # type: ignore[attr-defined]
        if policy is not None and policy.is_default:
            for key in MATCH_KEYS:
                del self.fields[f"match_{key}"]
            del self.fields["active"]

    @property
    def is_default(self) -> bool:
        return self.policy is not None and self.policy.is_default

    def metric_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (str(label), self[f"{metric}_minutes"], self[f"{metric}_clock"])
            for metric, label in SlaMetric.choices
        ]

    def match_fields(self) -> list[forms.BoundField]:
        """The conditions in display order: the short lists first, the categories last."""
        order = ("severity", "channel", "customer_tier", "store", "category")
        return [self[f"match_{k}"] for k in order if f"match_{k}" in self.fields]

    def to_data(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(data for save_sla_policy, map of the service's field names to form fields)."""
        d = self.cleaned_data
        calendar = d.get("calendar")
        data: dict[str, Any] = {
            "name": d["name"],
            "rank": d["rank"],
            "calendar": calendar.pk if calendar is not None else None,
            "pause_on": list(d.get("pause_on") or []),
            "warn_at_percent": d["warn_at_percent"],
        }
        names = {"pause_on": "pause_on", "calendar": "calendar"}
        if not self.is_default:
            data["active"] = bool(d.get("active"))
            data["match"] = {k: list(d.get(f"match_{k}") or []) for k in MATCH_KEYS}
            names.update({f"match.{k}": f"match_{k}" for k in MATCH_KEYS})
        targets: list[dict[str, Any]] = []
        for metric in SlaMetric.values:
            minutes = d.get(f"{metric}_minutes")
            if minutes is None:
                continue
            i = len(targets)
            targets.append({"metric": metric, "minutes": minutes, "clock": d[f"{metric}_clock"]})
            names[f"targets.{i}.minutes"] = f"{metric}_minutes"
            names[f"targets.{i}.clock"] = f"{metric}_clock"
            names[f"targets.{i}.metric"] = f"{metric}_minutes"
        data["targets"] = targets
        return data, names


def _category_choices(admin: User) -> list[tuple[str, Any]]:
    groups: list[tuple[str, Any]] = []
    for parent, children in selectors.category_tree(admin):
        options = [(parent.code, _("%(name)s (all)") % {"name": parent.name()})]
        options += [(c.code, c.name()) for c in children]
        groups.append((parent.name(), options))
    return groups


def policy_initial(policy: SlaPolicy) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": policy.name,
        "rank": policy.rank,
        "calendar": policy.calendar_id,
        "pause_on": list(policy.pause_on or []),
        "warn_at_percent": policy.warn_at_percent,
        "active": policy.active,
    }
    for key in MATCH_KEYS:
        initial[f"match_{key}"] = list((policy.match or {}).get(key) or [])
    for target in policy.targets.all():
        initial[f"{target.metric}_minutes"] = target.minutes
        initial[f"{target.metric}_clock"] = target.clock
    return initial


def match_summary(policies: list[SlaPolicy], admin: User) -> dict[int, list[tuple[str, str]]]:
    """{policy id: [(condition label, values in words)]} for the policy list."""
    labels: dict[str, tuple[str, dict[str, Any]]] = {
        "severity": (gettext("Severity"), dict(Severity.choices)),
        "channel": (gettext("Channel"), dict(Channel.choices)),
        "customer_tier": (gettext("Customer tier"), dict(Tier.choices)),
        "store": (gettext("Store"), {s.code: s.name for s in selectors.settings_stores(admin)}),
        "category": (
            gettext("Category"),
            {c.code: c.name() for c in selectors.org_categories(admin)},
        ),
    }
    out: dict[int, list[tuple[str, str]]] = {}
    for policy in policies:
        rows = []
        for key in MATCH_KEYS:
            values = (policy.match or {}).get(key) or []
            if values:
                label, names = labels[key]
                rows.append((str(label), ", ".join(str(names.get(v, v)) for v in values)))
        out[policy.pk] = rows
    return out


def target_text(minutes: int) -> str:
    """Business minutes read best as hours (a working day is not 24 h), so no days here."""
    if minutes % 60 == 0:
        return gettext("%(h)d h") % {"h": minutes // 60}
    if minutes > 60:
        return gettext("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}
    return gettext("%(m)d min") % {"m": minutes}


def target_cells(policy: SlaPolicy) -> list[tuple[str, str] | None]:
    """One (duration, clock) cell per metric in SlaMetric order; None where there is no target."""
    by_metric = {t.metric: t for t in policy.targets.all()}
    cells: list[tuple[str, str] | None] = []
    for metric in SlaMetric.values:
        t = by_metric.get(metric)
        if t is None:
            cells.append(None)
        else:
            clock = gettext("business") if t.clock == SlaClockKind.BUSINESS else gettext("calendar")
            cells.append((str(target_text(t.minutes)), str(clock)))
    return cells
