"""Forms of the case pages. They parse and check input only; services do the writing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from manyi.accounts.choices import ORG_WIDE_ROLES
from manyi.accounts.models import Team
from manyi.cases.choices import (
    TRANSITIONS,
    Channel,
    ComplainerType,
    Nature,
    Outcome,
    RootCause,
    Severity,
    Status,
)
from manyi.cases.selectors import CaseFilters, category_choices
from manyi.core.errors import DomainError
from manyi.core.scoping import staff_for, stores_for
from manyi.customers.validation import normalise_phone

if TYPE_CHECKING:
    from manyi.accounts.models import User
    from manyi.cases.models import Case, Category

FLAG_FIELDS = ("threatens_media", "threatens_regulator", "threatens_lawyer", "repeat_complaint")


def _blank(choices: Any, label: Any = "—") -> list[tuple[Any, Any]]:
    return [("", label), *list(choices)]


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        store = getattr(obj, "store", None)
        return f"{obj} · {store}" if store else str(obj)


# --- list filters -------------------------------------------------------------------------


# The received dates a drill-down may ask for: year 1 or 9999 overflow once turned into
# instants in the time zone; a date outside is invalid, so ignored.
DATE_RANGE = [
    MinValueValidator(dt.date(1900, 1, 1)),
    MaxValueValidator(dt.date(9998, 12, 31)),
]


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("Open / closed"),
        required=False,
        choices=[("", _("All")), ("open", _("Open")), ("closed", _("Resolved or closed"))],
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    store = forms.TypedChoiceField(label=_("Store"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    breached = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[
            ("", _("All")),
            ("yes", _("Breached")),
            ("soon", _("About to breach")),
            ("no", _("Not breached")),
        ],
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("due", _("Nearest deadline")),
            ("received", _("Newest first")),
            ("received_asc", _("Oldest first")),
            ("severity", _("Severity")),
            ("number", _("Number")),
            ("value", _("Customer value at risk")),
        ],
    )
    received_from = forms.DateField(
        label=_("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=DATE_RANGE,
    )
    received_to = forms.DateField(
        label=_("Received to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=DATE_RANGE,
    )
    # Drill-down parameters of the analytics pages, kept as hidden fields when set.
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    exclude_channel = forms.ChoiceField(label=_("Not through channel"), required=False)
    reopened = forms.BooleanField(label=_("Reopened"), required=False)
    escalated = forms.BooleanField(label=_("Escalated"), required=False)

    def __init__(self, *args: Any, user: User, categories: list[Category], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choice(self, "status").choices = _blank(Status.choices, _("All"))
        _choice(self, "severity").choices = _blank(Severity.choices, _("All"))
        _choice(self, "channel").choices = _blank(Channel.choices, _("All"))
        _choice(self, "exclude_channel").choices = _blank(Channel.choices, _("All"))
        teams = Team.objects.filter(store__in=stores_for(user)).values_list("pk", "name")
        _choice(self, "team").choices = _blank(list(teams), _("All"))
        stores = list(stores_for(user).values_list("pk", "name"))
        _choice(self, "store").choices = _blank(stores, _("All"))
        self.show_store = len(stores) > 1
        staff = [(u.pk, str(u)) for u in staff_for(user).order_by("username")]
        _choice(self, "owner").choices = _blank(staff, _("Anyone"))
        flat: list[tuple[Any, Any]] = []
        for parent in (c for c in categories if c.parent_id is None):
            flat.append((parent.pk, parent.name()))
            flat.extend((c.pk, f"\u2003{c.name()}") for c in categories if c.parent_id == parent.pk)
        _choice(self, "category").choices = _blank(flat, _("All"))

    def filters(self) -> CaseFilters:
        """The valid filters; an invalid value is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        clean = {k: data.get(k) for k in self.fields if k not in self.errors}
        return CaseFilters(
            q=clean.get("q") or "",
            state=clean.get("state") or "",
            status=clean.get("status") or "",
            store=clean.get("store"),
            owner=clean.get("owner"),
            mine=bool(clean.get("mine")),
            severity=clean.get("severity") or "",
            channel=clean.get("channel") or "",
            category=clean.get("category"),
            breached=clean.get("breached") or "",
            sort=clean.get("sort") or "due",
            received_from=clean.get("received_from"),
            received_to=clean.get("received_to"),
            team=clean.get("team"),
            exclude_channel=clean.get("exclude_channel") or "",
            reopened=bool(clean.get("reopened")),
            escalated=bool(clean.get("escalated")),
        )


# --- intake -------------------------------------------------------------------------------


class CategoryField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("empty_value", None)
        super().__init__(**kwargs)


class IntakeForm(forms.Form):
    """Quick phone intake: the customer by phone (or a new one), the vehicle, the complaint."""

    phone = forms.CharField(label=_("Phone"), max_length=30)
    customer_name = forms.CharField(label=_("Customer name"), max_length=100, required=False)
    # Radio buttons drawn by the customer lookup; the intake service checks the owner.
    asset = forms.IntegerField(label=_("Vehicle"), required=False, min_value=1)
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)
    model = forms.CharField(label=_("Model"), max_length=100, required=False)
    vin = forms.CharField(label=_("VIN"), max_length=17, required=False)
    store = forms.TypedChoiceField(label=_("Store"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    category = CategoryField(label=_("Category"))
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.NORMAL
    )
    summary = forms.CharField(label=_("Summary"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now; fill in for a complaint taken on paper."),
    )
    threatens_media = forms.BooleanField(label=_("Threatens media"), required=False)
    threatens_regulator = forms.BooleanField(label=_("Threatens regulator"), required=False)
    threatens_lawyer = forms.BooleanField(label=_("Threatens lawyer"), required=False)
    repeat_complaint = forms.BooleanField(label=_("Repeat complaint"), required=False)
    nature = forms.ChoiceField(
        label=_("Nature"), choices=Nature.choices, initial=Nature.PROBLEM_SOLVING
    )
    complainer_type = forms.ChoiceField(
        label=_("Complainer type"), choices=ComplainerType.choices, initial=ComplainerType.VOICER
    )

    def __init__(self, *args: Any, user: User, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "category").choices = _blank(category_choices(categories))
        stores = list(stores_for(user).values_list("pk", "name"))
        _choice(self, "store").choices = stores
        self.fields["store"].initial = user.store_id or (stores[0][0] if stores else None)
        # Someone without a store of their own (an organisation admin) always chooses one.
        self.show_store = len(stores) > 1 or user.store_id is None

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except DomainError as e:
            raise forms.ValidationError(e.message) from e


# --- case actions -------------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Every action posts the case version it was rendered from (optimistic locking)."""

    action = "action"
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Several action forms share one page: keep their element ids apart.
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")
        super().__init__(*args, **kwargs)


class RespondForm(VersionedForm):
    action = "respond"
    message = forms.CharField(
        label=_("What the customer was told"), widget=forms.Textarea(attrs={"rows": 3})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)


class NoteForm(VersionedForm):
    action = "note"
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}))


class StatusForm(VersionedForm):
    """Change the status. Resolving asks how the complaint ended; closing asks for the root
    cause and the corrective action (learn from every case). The service decides what is
    required, so its field errors appear next to these fields."""

    action = "status"
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when reopening: say why."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        help_text=_("Required when resolving: how did the complaint end for the customer?"),
    )
    root_cause = forms.ChoiceField(
        label=_("Root cause"),
        required=False,
        help_text=_("Required when closing: where did the failure come from?"),
    )
    root_cause_note = forms.CharField(
        label=_("Root cause note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when closing: what exactly went wrong."),
    )
    corrective_action = forms.CharField(
        label=_("Corrective action"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when closing: what will be done so that it does not happen again."),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        initial = dict(kwargs.pop("initial", None) or {})
        # What is already on the case (given at resolution) is shown and need not be retyped.
        for name in ("outcome", "root_cause", "root_cause_note", "corrective_action"):
            initial.setdefault(name, getattr(case, name))
        allowed = TRANSITIONS.get(case.status, frozenset())
        if case.status == Status.RESOLVED and Status.CLOSED in allowed:
            # Closing is the usual next step of a resolved case; reopening stays a choice.
            initial.setdefault("status", Status.CLOSED)
        super().__init__(*args, initial=initial, **kwargs)
        reopening = case.status in (Status.RESOLVED, Status.CLOSED)
        choices = []
        for value, label in Status.choices:
            if value in allowed:
                if reopening and value == Status.IN_PROGRESS:
                    label = _("Reopen (back to in progress)")
                choices.append((value, label))
        _choice(self, "status").choices = choices
        _choice(self, "outcome").choices = _blank(Outcome.choices)
        _choice(self, "root_cause").choices = _blank(RootCause.choices)
        self.reopening = reopening
        self.can_resolve = Status.RESOLVED in allowed
        self.can_close = Status.CLOSED in allowed

    def learning(self) -> dict[str, str]:
        """The outcome and root-cause fields as the service takes them."""
        d = self.cleaned_data
        return {
            name: d.get(name) or ""
            for name in ("outcome", "root_cause", "root_cause_note", "corrective_action")
        }


class TransferForm(VersionedForm):
    action = "transfer"
    owner = StaffChoiceField(label=_("Transfer to"), queryset=None)
    note = forms.CharField(
        label=_("Note for the new owner"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "owner").queryset = (
            staff_for(user)
            .filter(Q(store_id=case.store_id) | Q(role__in=list(ORG_WIDE_ROLES)))
            .exclude(pk=case.owner_id)
            .select_related("store")
            .order_by("store__code", "username")
        )


class EscalateForm(VersionedForm):
    action = "escalate"
    reason = forms.CharField(label=_("Why escalate"), widget=forms.Textarea(attrs={"rows": 2}))


class EditCaseForm(VersionedForm):
    action = "edit"
    summary = forms.CharField(label=_("Summary"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    category = CategoryField(label=_("Category"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    nature = forms.ChoiceField(label=_("Nature"), choices=Nature.choices)
    complainer_type = forms.ChoiceField(label=_("Complainer type"), choices=ComplainerType.choices)
    asset = forms.TypedChoiceField(label=_("Vehicle"), required=False, coerce=int, empty_value=None)
    threatens_media = forms.BooleanField(label=_("Threatens media"), required=False)
    threatens_regulator = forms.BooleanField(label=_("Threatens regulator"), required=False)
    threatens_lawyer = forms.BooleanField(label=_("Threatens lawyer"), required=False)
    repeat_complaint = forms.BooleanField(label=_("Repeat complaint"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, case: Case, categories: list[Category], **kwargs: Any) -> None:
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", self.initial_for(case))
        super().__init__(*args, **kwargs)
        self.case = case
        _choice(self, "category").choices = category_choices(categories)
        self.categories = {c.pk: c for c in categories}
        assets = list(case.customer.assets.all())
        self.assets = {a.pk: a for a in assets}
        _choice(self, "asset").choices = _blank((a.pk, str(a)) for a in assets)

    @staticmethod
    def initial_for(case: Case) -> dict[str, Any]:
        data: dict[str, Any] = {
            f: getattr(case, f)
            for f in ("summary", "severity", "channel", "nature", "complainer_type", "description")
        }
        data.update({f: getattr(case, f) for f in FLAG_FIELDS})
        data["category"] = case.category_id
        data["asset"] = case.asset_id
        data["version"] = case.version
        return data

    def changes(self) -> dict[str, Any]:
        """Only the fields whose value differs from the case, as the service expects them."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for name in ("summary", "severity", "channel", "nature", "complainer_type", *FLAG_FIELDS):
            if data[name] != getattr(self.case, name):
                out[name] = data[name]
        if (data.get("description") or "") != self.case.description:
            out["description"] = data.get("description") or ""
        if data["category"] != self.case.category_id:
            out["category"] = self.categories.get(data["category"])
        if data.get("asset") != self.case.asset_id:
            out["asset"] = self.assets.get(data["asset"]) if data.get("asset") else None
        return out
