"""Forms of the customer pages. They parse input; the services in customers.services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.accounts.models import Store, User
from manyi.core.scoping import staff_for, stores_for
from manyi.customers.choices import (
    AssetKind,
    Gender,
    Language,
    SourceChannel,
    SwitchingReason,
    Tier,
)
from manyi.customers.models import Customer
from manyi.customers.selectors import CustomerFilters

# Fields only people allowed to see personal data may read or change once saved.
PERSONAL_FIELDS = ("phone", "id_number")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, phone, plate or VIN"),
                "autofocus": True,
            }
        ),
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("All tiers")), *Tier.choices]
    )
    store = forms.ModelChoiceField(
        label=_("Store"), required=False, queryset=Store.objects.none(), empty_label=_("All stores")
    )
    tag = forms.CharField(label=_("Tag"), required=False)
    watch_list = forms.BooleanField(label=_("Watch list only"), required=False)
    lost = forms.BooleanField(label=_("Lost customers only"), required=False)
    lost_reason = forms.ChoiceField(
        label=_("Why lost"),
        required=False,
        choices=[("", _("Any reason")), *SwitchingReason.choices],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        stores = stores_for(user)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]
        self.show_store = user.is_org_wide

    def filters(self) -> CustomerFilters:
        if not self.is_valid():
            return CustomerFilters()
        data = self.cleaned_data
        store = data.get("store")
        return CustomerFilters(
            q=data.get("q") or "",
            tier=data.get("tier") or "",
            store_id=store.pk if store is not None else None,
            watch_list=bool(data.get("watch_list")),
            tag=data.get("tag") or "",
            lost=bool(data.get("lost")),
            lost_reason=data.get("lost_reason") or "",
        )


class CustomerForm(forms.Form):
    """Create and edit. On edit, `version` carries what the user saw for the stale-edit check;
    people who may not see personal data do not get the phone and ID number fields."""

    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
        help_text=_("Any format: +86 138-1234-5678 is stored as 13812345678."),
    )
    store = forms.ModelChoiceField(label=_("Home store"), queryset=Store.objects.none())
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices, initial=Tier.REGULAR)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)
    wechat_id = forms.CharField(label=_("WeChat id"), required=False, max_length=64)
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=Gender.choices)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DateInput())
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=18)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    source_channel = forms.ChoiceField(
        label=_("Source channel"), required=False, choices=[("", "—"), *SourceChannel.choices]
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas."),
    )
    owner = StaffChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.none(), empty_label="—"
    )
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=Language.choices,
        initial=Language.ZH_HANS,
        required=False,  # not sent: unchanged (a new customer: Simplified Chinese)
        help_text=_("Messages to the customer are written in this language."),
    )
    contact_consent = forms.BooleanField(
        label=_("Consents to be contacted"), required=False, initial=True
    )
    watch_list = forms.BooleanField(label=_("On the watch list"), required=False)
    watch_reason = forms.CharField(
        label=_("Watch-list reason"),
        required=False,
        max_length=300,
        help_text=_("Required when the customer is on the watch list."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(
        self, *args: Any, user: User, instance: Customer | None = None, **kwargs: Any
    ) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(instance)
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(user)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = staff_for(user).order_by(  # type: ignore[attr-defined]
            "display_name", "username"
        )
        if instance is None:
            del self.fields["version"]
            if user.store_id is not None:
                self.fields["store"].initial = user.store_id
        elif not user.can_view_personal_data:
            for field in PERSONAL_FIELDS:
                del self.fields[field]

    def clean_language(self) -> str:
        value: str = self.cleaned_data.get("language") or ""
        if value:
            return value
        return self.instance.language if self.instance is not None else Language.ZH_HANS

    def changes(self) -> dict[str, Any]:
        """The customer fields to send to the service: all of them on create, only the
        changed ones on edit."""
        names = [f for f in self.fields if f != "version"]
        if self.instance is not None:
            names = [f for f in names if f in self.changed_data]
        return {f: self.cleaned_data[f] for f in names}


def initial_for(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "phone": customer.phone,
        "store": customer.store_id,
        "tier": customer.tier,
        "email": customer.email,
        "wechat_id": customer.wechat_id,
        "gender": customer.gender,
        "birthday": customer.birthday,
        "id_number": customer.id_number,
        "address": customer.address,
        "source_channel": customer.source_channel,
        "tags": ", ".join(customer.tags or []),
        "owner": customer.owner_id,
        "language": customer.language,
        "contact_consent": customer.contact_consent,
        "watch_list": customer.watch_list,
        "watch_reason": customer.watch_reason,
        "notes": customer.notes,
        "version": customer.version,
    }


class AssetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AssetKind.choices, initial=AssetKind.VEHICLE)
    plate = forms.CharField(label=_("Plate"), required=False, max_length=20)
    model = forms.CharField(label=_("Model"), required=False, max_length=100)
    vin = forms.CharField(
        label=_("VIN"),
        required=False,
        max_length=30,
        help_text=_("17 characters; the 9th is a check digit."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DateInput())
    mileage = forms.IntegerField(label=_("Mileage (km)"), required=False, min_value=0)


class LostForm(forms.Form):
    """Mark a customer as lost with Keaveney's switching reason."""

    reason = forms.ChoiceField(
        label=_("Why the customer left"),
        choices=[("", "—"), *SwitchingReason.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the customer said, where they went."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_lost_%s")
        super().__init__(*args, **kwargs)


class ComeBackForm(forms.Form):
    """Clear the lost mark: the customer came back."""

    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_back_%s")
        super().__init__(*args, **kwargs)
