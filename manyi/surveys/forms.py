"""Forms of the staff survey pages. They only parse input: manyi.surveys.services (and
definition.parse_definition behind save_draft) check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from manyi.accounts.models import Store, User
from manyi.cases.models import Case, Category
from manyi.metrics.servqual import SERVQUAL_DIMENSION_NAMES, SERVQUAL_DIMENSIONS
from manyi.surveys import library
from manyi.surveys.choices import InvitationState, RuleTrigger
from manyi.surveys.definition import OPS, QuestionType, Role
from manyi.surveys.models import Survey, SurveyRule
from manyi.surveys.services import MAX_COUNTER_SLIPS

T = QuestionType

TYPE_LABELS: dict[str, Any] = {
    T.NPS: _("0–10 recommendation scale (NPS)"),
    T.SCALE: _("Rating scale with labelled ends"),
    T.SINGLE: _("Single choice"),
    T.MULTI: _("Multiple choice"),
    T.TEXT: _("Free text"),
    T.KANO: _("Kano pair (feature present / absent)"),
    T.SERVQUAL: _("SERVQUAL pair (expectation and perception)"),
    T.POINTS: _("Split points among options"),
}

ROLE_LABELS: dict[str, Any] = {
    Role.NONE: _("None (distribution only)"),
    Role.NPS: _("NPS"),
    Role.CSAT: _("CSAT (overall satisfaction)"),
    Role.CES: _("Customer effort (CES)"),
    Role.OVERALL: _("Overall satisfaction (key-driver outcome)"),
    Role.DRIVER: _("Key-driver predictor"),
    Role.CSI_FACTOR: _("CSI factor"),
    Role.SERVQUAL: _("SERVQUAL item"),
    Role.SERVQUAL_WEIGHTS: _("SERVQUAL importance points"),
    Role.KANO: _("Kano feature"),
    Role.FAIR_OUTCOME: _("Fairness: outcome"),
    Role.FAIR_PROCEDURAL: _("Fairness: procedure"),
    Role.FAIR_INTERACTIONAL: _("Fairness: interaction"),
    Role.RETURN_INTENT: _("Intention to return"),
    Role.RECOMMEND_INTENT: _("Intention to recommend"),
}

# The roles that make sense for each question type (a stored role outside the list is kept).
ROLES_BY_TYPE: dict[str, tuple[str, ...]] = {
    T.NPS: (Role.NONE, Role.NPS, Role.OVERALL, Role.DRIVER, Role.RECOMMEND_INTENT),
    T.SCALE: (
        Role.NONE,
        Role.CSAT,
        Role.CES,
        Role.OVERALL,
        Role.DRIVER,
        Role.CSI_FACTOR,
        Role.FAIR_OUTCOME,
        Role.FAIR_PROCEDURAL,
        Role.FAIR_INTERACTIONAL,
        Role.RETURN_INTENT,
        Role.RECOMMEND_INTENT,
    ),
    T.SINGLE: (
        Role.NONE,
        Role.OVERALL,
        Role.DRIVER,
        Role.CSI_FACTOR,
        Role.RETURN_INTENT,
        Role.RECOMMEND_INTENT,
    ),
    T.MULTI: (Role.NONE,),
    T.TEXT: (Role.NONE,),
    T.KANO: (Role.NONE, Role.KANO),
    T.SERVQUAL: (Role.NONE, Role.SERVQUAL),
    T.POINTS: (Role.NONE, Role.SERVQUAL_WEIGHTS),
}

OP_LABELS: dict[str, Any] = {
    "lte": _("is at most"),
    "gte": _("is at least"),
    "eq": _("is"),
    "in": _("is one of"),
}

# Form fields each type shows besides the common ones (key, texts, required, condition, role).
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    T.NPS: ("label_low_zh", "label_low_en", "label_high_zh", "label_high_en", "factor", "weight"),
    T.SCALE: (
        "scale_min",
        "scale_max",
        "label_low_zh",
        "label_low_en",
        "label_high_zh",
        "label_high_en",
        "allow_na",
        "factor",
        "weight",
    ),
    T.SINGLE: ("options", "factor", "weight"),
    T.MULTI: ("options",),
    T.TEXT: (),
    T.KANO: ("text2_zh", "text2_en", "feature"),
    T.SERVQUAL: (
        "scale_min",
        "scale_max",
        "label_low_zh",
        "label_low_en",
        "label_high_zh",
        "label_high_en",
        "dimension",
        "weight",
    ),
    T.POINTS: ("options", "total"),
}
OPTIONAL_FIELDS = tuple(sorted({f for fs in TYPE_FIELDS.values() for f in fs}))

# Where a service error about a question (``questions.<n>.<name>``) is shown on the form.
ERROR_FIELDS = {"show_if": "show_if_key", "scale_min": "scale_max"}


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label())


class CaseChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} {obj.summary[:40]}"


class SurveyChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Surveys named in the page's language."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name(get_language() or "zh-hans"))


def _survey_label(name: str) -> Any:
    return capfirst(getattr(Survey._meta.get_field(name), "verbose_name", name))


def _number_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(text: str) -> int | float | str:
    """A condition value or an option score as typed: a number when it reads as one."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def options_text(options: list[dict[str, Any]]) -> str:
    """Options as the editor shows them: one ``value|中文|English|score`` line each."""
    lines = []
    for o in options:
        parts = [str(o.get("value", "")), str(o.get("zh", "")), str(o.get("en", ""))]
        score = _number_text(o.get("score"))
        if score:
            parts.append(score)
        while parts and parts[-1] == "":
            parts.pop()
        lines.append("|".join(parts))
    return "\n".join(lines)


def parse_options(text: str) -> list[dict[str, Any]]:
    """The editor's option lines back into option dicts; raises ValidationError on a bad
    line (definition.parse_question checks the rest: values unique, labels present)."""
    options: list[dict[str, Any]] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 4:
            raise forms.ValidationError(
                _("Line %(n)s: at most four parts, value|中文|English|score.") % {"n": i}
            )
        parts += [""] * (4 - len(parts))
        value, zh, en, score = parts
        option: dict[str, Any] = {"value": value, "zh": zh, "en": en}
        if score:
            parsed = _number(score)
            if isinstance(parsed, str):
                raise forms.ValidationError(_("Line %(n)s: the score must be a number.") % {"n": i})
            option["score"] = parsed
        options.append(option)
    return options


class QuestionForm(forms.Form):
    """One question of the draft. Only the fields of its type are on the form; fields the
    editor does not show (import column, N/A code) are kept from the question as it was."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    key = forms.CharField(
        label=_("Key"),
        max_length=40,
        help_text=_(
            "Answers are stored under it and results follow it across versions: "
            "lower-case letters, digits and _."
        ),
    )
    text_zh = forms.CharField(
        label=_("Question (Chinese)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text_en = forms.CharField(
        label=_("Question (English)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text2_zh = forms.CharField(
        label=_("Dysfunctional question (Chinese)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How does the customer feel if the feature is absent?"),
    )
    text2_en = forms.CharField(
        label=_("Dysfunctional question (English)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scale_min = forms.IntegerField(label=_("Scale from"), min_value=0, max_value=10)
    scale_max = forms.IntegerField(label=_("Scale to"), min_value=1, max_value=10)
    label_low_zh = forms.CharField(label=_("Low end (Chinese)"), required=False, max_length=100)
    label_low_en = forms.CharField(label=_("Low end (English)"), required=False, max_length=100)
    label_high_zh = forms.CharField(label=_("High end (Chinese)"), required=False, max_length=100)
    label_high_en = forms.CharField(label=_("High end (English)"), required=False, max_length=100)
    allow_na = forms.BooleanField(label=_("Offer “not applicable”"), required=False)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text=_(
            "One per line: value|中文|English|score. The value is stored with the answer; the "
            "score (optional) is the number an analysis uses, e.g. satisfied = 1."
        ),
    )
    total = forms.IntegerField(
        label=_("Points to split"), min_value=1, max_value=1000, required=False
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    show_if_key = forms.ChoiceField(label=_("Show only when"), required=False)
    show_if_op = forms.ChoiceField(
        label=_("Condition"), required=False, choices=[(k, OP_LABELS[k]) for k in OPS]
    )
    show_if_value = forms.CharField(
        label=_("Compared with"),
        required=False,
        max_length=200,
        help_text=_("For “is one of”, separate the values with commas."),
    )
    role = forms.ChoiceField(
        label=_("Measures"),
        required=False,
        help_text=_("What the results page computes from this question."),
    )
    factor = forms.CharField(
        label=_("CSI factor"),
        required=False,
        max_length=40,
        help_text=_("For a CSI factor: its code, e.g. service_advisor."),
    )
    weight = forms.FloatField(
        label=_("Weight"),
        required=False,
        min_value=0,
        help_text=_("CSI factor weight, or the importance of a SERVQUAL item."),
    )
    dimension = forms.ChoiceField(label=_("SERVQUAL dimension"), required=False)
    feature = forms.CharField(
        label=_("Kano feature"),
        required=False,
        max_length=40,
        help_text=_("A short code of the service feature, e.g. online_booking."),
    )

    def __init__(
        self,
        *args: Any,
        qtype: str,
        earlier_keys: list[str],
        current_role: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.qtype = qtype
        for name in OPTIONAL_FIELDS:
            if name not in TYPE_FIELDS[qtype]:
                del self.fields[name]
        roles = list(ROLES_BY_TYPE[qtype])
        if current_role and current_role not in roles:
            roles.append(current_role)
        self._choices("role", [(r, ROLE_LABELS.get(r, r)) for r in roles])
        self._choices("show_if_key", [("", _("Always show")), *((k, k) for k in earlier_keys)])
        if "dimension" in self.fields:
            self._choices(
                "dimension",
                [("", "—"), *((d, _dimension_label(d)) for d in SERVQUAL_DIMENSIONS)],
            )

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_key(self) -> str:
        return str(self.cleaned_data["key"]).strip()

    def clean_options(self) -> list[dict[str, Any]]:
        return parse_options(str(self.cleaned_data.get("options") or ""))

    @staticmethod
    def initial_for(question: dict[str, Any], version: int) -> dict[str, Any]:
        initial: dict[str, Any] = {"version": version, "required": True}
        for name in (
            "key",
            "text_zh",
            "text_en",
            "text2_zh",
            "text2_en",
            "label_low_zh",
            "label_low_en",
            "label_high_zh",
            "label_high_en",
            "allow_na",
            "total",
            "required",
            "role",
            "factor",
            "dimension",
            "feature",
        ):
            if name in question:
                initial[name] = question[name]
        qtype = question.get("type")
        initial["scale_min"] = question.get("scale_min", 1)
        initial["scale_max"] = question.get("scale_max", 7 if qtype == T.SERVQUAL else 5)
        initial["total"] = question.get("total", 100)
        initial["weight"] = question.get("weight")
        initial["options"] = options_text(question.get("options") or [])
        show_if = question.get("show_if") or {}
        if show_if:
            value = show_if.get("value")
            initial["show_if_key"] = show_if.get("key", "")
            initial["show_if_op"] = show_if.get("op", "lte")
            initial["show_if_value"] = (
                ", ".join(_number_text(v) for v in value)
                if isinstance(value, list)
                else _number_text(value)
            )
        return initial

    def question(self, base: dict[str, Any]) -> dict[str, Any]:
        """The question dict: `base` (the question as it was) with the edited fields."""
        d = self.cleaned_data
        q = {k: v for k, v in base.items() if k not in self.fields and k != "show_if"}
        q["type"] = self.qtype
        for name in self.fields:
            if name in ("version", "options") or name.startswith("show_if_"):
                continue
            value = d.get(name)
            if value is None or value == "":
                q.pop(name, None)
            else:
                q[name] = value
        q["required"] = bool(d.get("required"))
        if "options" in self.fields:
            q["options"] = d.get("options") or []
        if d.get("show_if_key"):
            op = d.get("show_if_op") or "lte"
            raw = str(d.get("show_if_value") or "").strip()
            condition: Any = (
                [v.strip() for v in raw.split(",") if v.strip()] if op == "in" else _number(raw)
            )
            q["show_if"] = {"key": d["show_if_key"], "op": op, "value": condition}
        return q


def _dimension_label(code: str) -> str:
    en, zh = SERVQUAL_DIMENSION_NAMES[code]
    return en if (get_language() or "").startswith("en") else zh


class AddQuestionForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Question type"), choices=[(t, TYPE_LABELS[t]) for t in QuestionType.ALL]
    )


class NewSurveyForm(forms.Form):
    BLANK = "blank"

    template = forms.ChoiceField(label=_("Start from"), widget=forms.RadioSelect)
    name_zh = forms.CharField(
        label=_survey_label("name_zh"),
        required=False,
        max_length=200,
        help_text=_("Empty: the template's name."),
    )
    name_en = forms.CharField(label=_survey_label("name_en"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(t.key, t.name_zh) for t in library.templates()]
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [*choices, (self.BLANK, _("Blank survey"))]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("template") == self.BLANK and not str(data.get("name_zh") or "").strip():
            self.add_error("name_zh", _("Give the survey a name."))
        return data


class SurveySettingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    name_zh = forms.CharField(label=_survey_label("name_zh"), max_length=200)
    name_en = forms.CharField(label=_survey_label("name_en"), required=False, max_length=200)
    intro_zh = forms.CharField(
        label=_survey_label("intro_zh"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown above the questions."),
    )
    intro_en = forms.CharField(
        label=_survey_label("intro_en"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    min_n = forms.IntegerField(
        label=_survey_label("min_n"),
        min_value=1,
        max_value=10000,
        help_text=_("A figure based on fewer answers is greyed out with a warning."),
    )
    expiry_days = forms.IntegerField(label=_survey_label("expiry_days"), min_value=1, max_value=365)
    loop_enabled = forms.BooleanField(label=_survey_label("loop_enabled"), required=False)
    loop_nps_max = forms.IntegerField(
        label=_survey_label("loop_nps_max"),
        required=False,
        min_value=0,
        max_value=10,
        help_text=_("Empty: never for NPS."),
    )
    loop_csat_max = forms.IntegerField(
        label=_survey_label("loop_csat_max"),
        required=False,
        min_value=1,
        max_value=5,
        help_text=_("Empty: never for CSAT."),
    )
    loop_fairness = forms.BooleanField(label=_survey_label("loop_fairness"), required=False)
    loop_category = CategoryChoiceField(
        label=_survey_label("loop_category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("The organisation's default"),
    )

    FIELDS = (
        "name_zh",
        "name_en",
        "intro_zh",
        "intro_en",
        "min_n",
        "expiry_days",
        "loop_enabled",
        "loop_nps_max",
        "loop_csat_max",
        "loop_fairness",
        "loop_category",
    )

    def __init__(self, *args: Any, categories: QuerySet[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["loop_category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = categories

    @classmethod
    def initial_for(cls, survey: Survey) -> dict[str, Any]:
        initial = {name: getattr(survey, name) for name in cls.FIELDS}
        initial["version"] = survey.version
        return initial

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}


class VersionForm(forms.Form):
    """Only the version the user saw (publish, archive, delete and move a question)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


# --- sending ------------------------------------------------------------------------------


class SendOneForm(forms.Form):
    case = CaseChoiceField(
        label=_("About case"),
        queryset=Case.objects.none(),
        required=False,
        empty_label=_("No case"),
    )
    staff = forms.ModelChoiceField(
        label=_("Served by"),
        queryset=User.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("The colleague whose service is rated; a bad answer opens a case for them."),
    )
    override_quiet_period = forms.BooleanField(
        label=_("Send even within the quiet period"),
        required=False,
        help_text=_("The customer's consent is always respected."),
    )

    def __init__(
        self, *args: Any, cases: QuerySet[Case], staff: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        case_field = self.fields["case"]
        staff_field = self.fields["staff"]
        assert isinstance(case_field, forms.ModelChoiceField)
        assert isinstance(staff_field, forms.ModelChoiceField)
        case_field.queryset = cases
        staff_field.queryset = staff


class StoreForm(forms.Form):
    """Choose one of the user's stores (staff survey)."""

    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none())

    def __init__(self, *args: Any, stores: QuerySet[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["store"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = stores


class SegmentForm(forms.Form):
    survey = SurveyChoiceField(label=_("Survey"), queryset=Survey.objects.none(), empty_label=None)

    def __init__(self, *args: Any, surveys: QuerySet[Survey], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["survey"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = surveys


class SlipsForm(StoreForm):
    count = forms.IntegerField(
        label=_("Number of slips"), min_value=1, max_value=MAX_COUNTER_SLIPS, initial=20
    )
    language = forms.ChoiceField(label=_("Language of the slips"), choices=settings.LANGUAGES)
    staff = forms.ModelChoiceField(
        label=_("Served by"),
        queryset=User.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("Empty: the answers are counted for the store only."),
    )

    def __init__(
        self, *args: Any, stores: QuerySet[Store], staff: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, stores=stores, **kwargs)
        field = self.fields["staff"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff


class InvitationFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *InvitationState.choices, ("expired", _("Expired"))],
    )


# --- rules and the quiet period -----------------------------------------------------------


def _rule_label(name: str) -> Any:
    return capfirst(getattr(SurveyRule._meta.get_field(name), "verbose_name", name))


class RuleForm(forms.Form):
    survey = SurveyChoiceField(label=_("Survey"), queryset=Survey.objects.none(), empty_label=None)
    trigger = forms.ChoiceField(label=_rule_label("trigger"), choices=RuleTrigger.choices)
    store = forms.ModelChoiceField(
        label=_rule_label("store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("Every store"),
    )
    delay_hours = forms.IntegerField(
        label=_rule_label("delay_hours"),
        min_value=0,
        max_value=720,
        initial=0,
        help_text=_("E.g. 24: the day after the case is closed."),
    )
    active = forms.BooleanField(label=_rule_label("active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        surveys: QuerySet[Survey],
        stores: QuerySet[Store],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        survey_field = self.fields["survey"]
        store_field = self.fields["store"]
        assert isinstance(survey_field, forms.ModelChoiceField)
        assert isinstance(store_field, forms.ModelChoiceField)
        survey_field.queryset = surveys
        store_field.queryset = stores

    @staticmethod
    def initial_for(rule: SurveyRule) -> dict[str, Any]:
        return {
            "survey": rule.survey_id,
            "trigger": rule.trigger,
            "store": rule.store_id,
            "delay_hours": rule.delay_hours,
            "active": rule.active,
        }


class QuietPeriodForm(forms.Form):
    days = forms.IntegerField(
        label=_("Quiet period (days)"),
        min_value=0,
        max_value=365,
        help_text=_("No customer is sent more than one survey in this many days (0: no limit)."),
    )
