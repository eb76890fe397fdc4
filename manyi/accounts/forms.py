"""Forms of the settings pages for stores, staff and categories. They parse input; the
services decide and their errors come back onto the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.accounts import selectors
from manyi.accounts.choices import Role
from manyi.accounts.models import Store, Team, User
from manyi.calendars.models import BusinessCalendar
from manyi.cases.models import Category

PERSONAL_DATA_CHOICES = [
    ("", _("As the role allows")),
    ("yes", _("Yes, show phone and ID numbers")),
    ("no", _("No, keep them masked")),
]


def _tri_state(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def tri_state_initial(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


class StoreForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(
        label=_("Code"),
        max_length=30,
        help_text=_("Short and unique, e.g. PD. SLA policies refer to stores by code."),
    )
    calendar = forms.ModelChoiceField(
        label=_("Business calendar"),
        queryset=BusinessCalendar.objects.none(),
        required=False,
        empty_label=_("None: open around the clock"),
    )

    def __init__(self, *args: Any, admin: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = selectors.org_calendars(admin)  # type: ignore[attr-defined]


class OrganisationForm(forms.Form):
    """Organisation-wide settings."""

    watch_list_severity = forms.ChoiceField(
        label=_("Lowest severity of a watch-list customer's new case"),
        help_text=_(
            "A complaint from a customer on the watch list starts at least at this severity; "
            "a higher severity chosen at intake is kept."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from manyi.cases.choices import Severity

        super().__init__(*args, **kwargs)
        self.fields["watch_list_severity"].choices = Severity.choices  # type: ignore[attr-defined]


class TeamChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.store} · {obj.name}"


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.get_role_display()})"


class _StaffFields(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        required=False,
        help_text=_("For SMS alerts on escalations."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("None (organisation-wide)"),
        help_text=_("Agents and supervisors see only their store."),
    )
    supervisor = StaffChoiceField(
        label=_("Supervisor"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    team = TeamChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label="—"
    )
    view_personal_data = forms.ChoiceField(
        label=_("May view personal data"),
        choices=PERSONAL_DATA_CHOICES,
        required=False,
        help_text=_(
            "By default supervisors, store managers and admins see phone and ID numbers; "
            "agents see them masked."
        ),
    )

    def __init__(self, *args: Any, admin: User, staff: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = selectors.settings_stores(admin)  # type: ignore[attr-defined]
        bosses = User.objects.filter(
            organisation_id=selectors.org_id(admin),
            is_active=True,
            role__in=[Role.SUPERVISOR, Role.STORE_MANAGER, Role.ORG_ADMIN],
        ).select_related("store")
        if staff is not None:
            bosses = bosses.exclude(pk=staff.pk)
        self.fields["supervisor"].queryset = bosses.order_by("display_name", "username")  # type: ignore[attr-defined]
        self.fields["team"].queryset = selectors.org_teams(admin).order_by("store__code", "name")  # type: ignore[attr-defined]

    def staff_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "display_name": data.get("display_name") or "",
            "email": data.get("email") or "",
            "mobile": data.get("mobile") or "",
            "role": data["role"],
            "store": data.get("store"),
            "supervisor": data.get("supervisor"),
            "team": data.get("team"),
            "view_personal_data": _tri_state(data.get("view_personal_data")),
        }


class StaffCreateForm(_StaffFields):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters. Tell the person to change it."),
    )
    field_order = ["username", "password", "display_name", "email", "mobile", "role", "store"]


class StaffEditForm(_StaffFields):
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Switched-off staff cannot sign in; their cases and history stay."),
    )
    password = forms.CharField(
        label=_("New password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )


def staff_initial(staff: User) -> dict[str, Any]:
    return {
        "display_name": staff.display_name,
        "email": staff.email,
        "mobile": staff.mobile,
        "role": staff.role,
        "store": staff.store_id,
        "supervisor": staff.supervisor_id,
        "team": staff.team_id,
        "is_active": staff.is_active,
        "view_personal_data": tri_state_initial(staff.view_personal_data),
    }


class StaffFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or user name")}),
    )
    store = forms.ModelChoiceField(
        label=_("Store"), queryset=Store.objects.none(), required=False, empty_label=_("All stores")
    )

    def __init__(self, *args: Any, admin: User, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = selectors.settings_stores(admin)  # type: ignore[attr-defined]


class ParentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return obj.name()  # type: ignore[no-any-return]


class CategoryCreateForm(forms.Form):
    parent = ParentChoiceField(
        label=_("Parent"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("None: a top-level category"),
    )
    name_zh = forms.CharField(label=_("Chinese name"), max_length=100)
    name_en = forms.CharField(
        label=_("English name"),
        max_length=100,
        required=False,
        help_text=_("Empty: the Chinese name is used."),
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=50,
        required=False,
        help_text=_("Optional; made from the English name. Used in SLA policy conditions."),
    )

    def __init__(self, *args: Any, admin: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = selectors.org_categories(admin).filter(parent__isnull=True)
        self.fields["parent"].queryset = parents.order_by("position", "code")  # type: ignore[attr-defined]


class CategoryRenameForm(forms.Form):
    name_zh = forms.CharField(label=_("Chinese name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
