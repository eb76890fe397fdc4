"""The survey questions as HTML form fields, shared by the public answer page and the staff's
phone-interview entry: reading a posted form into the raw answers that
manyi.surveys.answers checks, and describing each question for the template
``surveys/_questions.html``.

Field names: ``q_<key>`` for one value (scales, single choice, text) or several (multiple
choice); ``q_<key>.<part>`` for the two parts of a Kano or SERVQUAL pair and for each option
of a points question. The hidden field ``shown`` lists the questions the respondent saw, so
an answer is only taken (or cleared) for a question that was on the screen.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from manyi.accounts.models import User
from manyi.cases.forms import StaffChoiceField
from manyi.cases.models import Case
from manyi.metrics.kano import ANSWERS as KANO_ANSWERS
from manyi.surveys.definition import (
    KANO_PARTS,
    SERVQUAL_PARTS,
    Definition,
    Question,
    QuestionType,
)

PREFIX = "q_"
SHOWN_FIELD = "shown"


def field_name(key: str, part: str = "") -> str:
    return f"{PREFIX}{key}.{part}" if part else f"{PREFIX}{key}"


def kano_labels() -> list[tuple[str, str]]:
    """The five standard Kano answers with their labels (我很喜欢 … 我不喜欢)."""
    labels = {
        "like": _("I like it"),
        "must_be": _("It must be that way"),
        "neutral": _("I am neutral"),
        "live_with": _("I can live with it"),
        "dislike": _("I dislike it"),
    }
    return [(value, labels[value]) for value in KANO_ANSWERS]


# --- reading a posted form ---------------------------------------------------------------------


def shown_keys(definition: Definition, data: QueryDict) -> list[str]:
    """The question keys the posted form says it showed (unknown keys dropped)."""
    known = {q.key for q in definition.questions}
    given = {k.strip() for k in data.get(SHOWN_FIELD, "").split(",")}
    return [q.key for q in definition.questions if q.key in known and q.key in given]


def raw_answer(q: Question, data: QueryDict) -> Any:
    """The posted answer to one question, as clean_answers expects it (empty when none)."""
    if q.type == QuestionType.MULTI:
        return [v for v in data.getlist(field_name(q.key)) if v]
    if q.type in (QuestionType.KANO, QuestionType.SERVQUAL):
        parts = KANO_PARTS if q.type == QuestionType.KANO else SERVQUAL_PARTS
        return {p: data.get(field_name(q.key, p), "").strip() for p in parts}
    if q.type == QuestionType.POINTS:
        return {o.value: data.get(field_name(q.key, o.value), "").strip() for o in q.options}
    value = data.get(field_name(q.key), "")
    return value if q.type == QuestionType.TEXT else value.strip()


def raw_answers(definition: Definition, data: QueryDict, keys: Iterable[str]) -> dict[str, Any]:
    """The posted answers to the questions `keys` (the ones on the screen): an unanswered
    one is there as empty, so that clearing an answer clears it."""
    wanted = set(keys)
    return {q.key: raw_answer(q, data) for q in definition.questions if q.key in wanted}


# --- describing the questions for the template -------------------------------------------------


@dataclass
class Choice:
    value: str
    label: str
    checked: bool = False


@dataclass
class Part:
    """One row of a pair (Kano: functional / dysfunctional; SERVQUAL: expectation /
    perception), or one option of a points question."""

    name: str
    label: str
    choices: list[Choice] = field(default_factory=list)
    value: str = ""


@dataclass
class FieldView:
    """One question as the template shows it."""

    q: Question
    number: int
    name: str
    text: str
    hidden: bool
    error: str = ""
    new: bool = False
    choices: list[Choice] = field(default_factory=list)
    na: Choice | None = None
    parts: list[Part] = field(default_factory=list)
    label_low: str = ""
    label_high: str = ""
    text_value: str = ""
    total: int = 0
    points_sum: int | None = None
    show_if: str = ""

    @property
    def key(self) -> str:
        return self.q.key

    @property
    def type(self) -> str:
        return self.q.type

    @property
    def required(self) -> bool:
        return self.q.required

    @property
    def columns(self) -> int:
        return len(self.choices)


def _scale_choices(points: Iterable[int], value: Any) -> list[Choice]:
    return [Choice(str(p), str(p), str(value) == str(p)) for p in points]


def _points_sum(values: Mapping[str, Any]) -> int | None:
    try:
        return sum(int(str(v)) for v in values.values() if v not in (None, ""))
    except ValueError:
        return None


def field_view(
    q: Question, *, number: int, value: Any, error: str, language: str, hidden: bool
) -> FieldView:
    view = FieldView(
        q=q,
        number=number,
        name=field_name(q.key),
        text=q.text(language),
        hidden=hidden,
        error=error,
        label_low=q.label_low(language),
        label_high=q.label_high(language),
    )
    if q.show_if is not None:
        view.show_if = json.dumps(
            {"key": q.show_if.key, "op": q.show_if.op, "value": q.show_if.value},
            ensure_ascii=False,
        )
    if q.type in (QuestionType.NPS, QuestionType.SCALE):
        view.choices = _scale_choices(q.points, value)
        if q.type == QuestionType.SCALE and q.allow_na:
            view.na = Choice("na", _("Not applicable"), value == "na")
    elif q.type in (QuestionType.SINGLE, QuestionType.MULTI):
        chosen = {str(v) for v in value} if isinstance(value, list) else {str(value)}
        view.choices = [Choice(o.value, o.label(language), o.value in chosen) for o in q.options]
    elif q.type == QuestionType.TEXT:
        view.text_value = "" if value is None else str(value)
    elif q.type == QuestionType.KANO:
        given = value if isinstance(value, Mapping) else {}
        labels = kano_labels()
        view.parts = [
            Part(
                name=field_name(q.key, part),
                label=text,
                choices=[Choice(v, label, str(given.get(part)) == v) for v, label in labels],
            )
            for part, text in zip(KANO_PARTS, (q.text(language), q.text2(language)), strict=True)
        ]
    elif q.type == QuestionType.SERVQUAL:
        given = value if isinstance(value, Mapping) else {}
        names = {
            "expectation": _("What an excellent store would offer"),
            "perception": _("What this store offers"),
        }
        view.parts = [
            Part(
                name=field_name(q.key, part),
                label=names[part],
                choices=_scale_choices(q.points, given.get(part)),
            )
            for part in SERVQUAL_PARTS
        ]
    elif q.type == QuestionType.POINTS:
        given = value if isinstance(value, Mapping) else {}
        view.total = q.total
        view.parts = [
            Part(
                name=field_name(q.key, o.value),
                label=o.label(language),
                value="" if given.get(o.value) in (None, "") else str(given.get(o.value)),
            )
            for o in q.options
        ]
        view.points_sum = _points_sum(given)
    return view


def field_views(
    definition: Definition,
    *,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    language: str,
    visible: Iterable[str],
    new: Iterable[str] = (),
) -> list[FieldView]:
    """Every question of the definition in order; those not in `visible` are rendered hidden
    (and disabled) so the page script can reveal them as the respondent answers. The `new`
    ones have just appeared (marked so the respondent notices them)."""
    shown = set(visible)
    fresh = set(new)
    views: list[FieldView] = []
    number = 0
    for q in definition.questions:
        hidden = q.key not in shown
        if not hidden:
            number += 1
        view = field_view(
            q,
            number=0 if hidden else number,
            value=values.get(q.key),
            error=errors.get(q.key, ""),
            language=language,
            hidden=hidden,
        )
        view.new = q.key in fresh and not hidden
        views.append(view)
    return views


def shown_value(views: Iterable[FieldView]) -> str:
    return ",".join(v.key for v in views if not v.hidden)


# --- the staff's phone-interview entry ---------------------------------------------------------


class CaseChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # stubs want the model
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.summary[:40]}"


class PhoneEntryForm(forms.Form):
    """Which case the interview is about and who served the customer (the customer is chosen
    before, in the search step); the answers are the question fields."""

    customer = forms.IntegerField(widget=forms.HiddenInput)
    case = CaseChoiceField(
        queryset=None, required=False, label=_lazy("Case"), empty_label=_lazy("No case")
    )
    staff = StaffChoiceField(
        queryset=None,
        required=False,
        label=_lazy("Served by"),
        empty_label="—",
        help_text=_lazy(
            "A case opened from a bad answer goes to this person. Empty: the owner of the "
            "case above, or the staff member on duty."
        ),
    )

    # A one-time key: the same form posted twice (a double click, a reload) saves once.
    entry_key = forms.CharField(widget=forms.HiddenInput, max_length=32, required=False)

    def __init__(self, *args: Any, cases: QuerySet[Case], staff: QuerySet[User], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, queryset in (("case", cases), ("staff", staff)):
            choice = self.fields[name]
            assert isinstance(choice, forms.ModelChoiceField)
            choice.queryset = queryset
        if not self.is_bound:
            self.initial.setdefault("entry_key", uuid.uuid4().hex)
