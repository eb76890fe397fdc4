"""Forms of the recovery panel and the recovery settings pages. They parse input only; the
rules are checked by manyi.recovery.services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from manyi.accounts.choices import Role
from manyi.accounts.models import Store, User
from manyi.cases.choices import Severity
from manyi.cases.models import Category
from manyi.recovery.choices import ActionKind
from manyi.recovery.services import MAX_VALUE


def money_field(**kwargs: Any) -> forms.DecimalField:
    kwargs.setdefault("min_value", Decimal("0"))
    kwargs.setdefault("max_value", MAX_VALUE)
    field = forms.DecimalField(max_digits=12, decimal_places=2, **kwargs)
    field.widget.attrs.update({"step": "0.01", "inputmode": "decimal"})
    return field


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Action"), choices=ActionKind.choices)
    value = money_field(label=_("Value (yuan)"), initial=Decimal("0"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    prefix = "ra"  # ids apart from the case page's other forms (id_ra-note, not id_note)


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class GuideForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    low = money_field(label=_("From (yuan)"))
    high = money_field(label=_("To (yuan)"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {str(c.pk): c for c in categories}
        children: dict[int, list[Category]] = {}
        for c in categories:
            if c.parent_id is not None:
                children.setdefault(c.parent_id, []).append(c)
        choices: list[tuple[str, str]] = [("", str(_("Any category")))]
        for c in categories:
            if c.parent_id is None:
                choices.append((str(c.pk), c.name()))
                choices.extend((str(k.pk), f"— {k.label()}") for k in children.get(c.pk, []))
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = choices
        severity = self.fields["severity"]
        assert isinstance(severity, forms.ChoiceField)
        severity.choices = [("", _("Any severity")), *Severity.choices]

    def chosen_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data.get("category") or "")


class LimitsForm(forms.Form):
    """One amount per role; empty = no limit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role, label in Role.choices:
            self.fields[role] = money_field(
                label=label, required=False, help_text=_("Empty: no limit.")
            )


class BudgetsForm(forms.Form):
    """One monthly budget per store; empty = no budget."""

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stores = stores
        for store in stores:
            self.fields[f"store_{store.pk}"] = money_field(
                label=store.name, required=False, help_text=_("Empty: no budget.")
            )


class PersonalLimitForm(forms.Form):
    """A staff member's own limit; empty = their role's limit again."""

    staff = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    limit = money_field(
        label=_("Personal limit (yuan)"),
        required=False,
        help_text=_("Empty: the role's limit."),
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["staff"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff
