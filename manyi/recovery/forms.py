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
    """One amount per role, or its "Unlimited" box ticked: never both, never neither. The
    stored table keeps None for unlimited (see `limits`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = dict(kwargs.get("initial") or {})
        for role in Role.values:  # a None limit shows as the ticked box, the amount empty
            if role in initial and initial[role] is None:
                initial.setdefault(f"{role}_unlimited", True)
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for role, label in Role.choices:
            self.fields[role] = money_field(label=label, required=False)
            self.fields[f"{role}_unlimited"] = forms.BooleanField(
                label=_("Unlimited"),
                required=False,
                # "Unlimited" alone does not say whose: the role's label describes it.
                widget=forms.CheckboxInput(attrs={"aria-describedby": f"l-{role}"}),
            )

    def role_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """(amount, unlimited box) of each role, for the template."""
        return [(self[role], self[f"{role}_unlimited"]) for role in Role.values]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for role in Role.values:
            if role in self.errors:
                continue  # the amount itself is wrong: that error says enough
            amount = data.get(role)
            unlimited = data.get(f"{role}_unlimited")
            if amount is None and not unlimited:
                self.add_error(role, _("Enter an amount, or tick Unlimited."))
            elif amount is not None and unlimited:
                self.add_error(role, _("Clear the amount, or untick Unlimited."))
        return data

    def limits(self) -> dict[str, Decimal | None]:
        """Each role's limit as the service takes it (None: unlimited)."""
        d = self.cleaned_data
        return {role: None if d[f"{role}_unlimited"] else d[role] for role in Role.values}


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
