"""A survey's questions: the JSON a version stores, read into typed objects, checked, and
used to validate one respondent's answers. Pure code: no ORM, no request.

A version's `definition` is ``{"questions": [ {...}, ... ]}``; each question is a dict with

- ``key``: a slug unique in the survey; answers are stored under it and results follow it
  across versions;
- ``type``: one of QuestionType (nps 0–10, scale with labelled ends, single / multi choice,
  text, a Kano pair, a SERVQUAL pair);
- ``text_zh`` / ``text_en`` (Kano: the functional question; ``text2_zh`` / ``text2_en``:
  the dysfunctional one); ``required``;
- ``scale_min`` / ``scale_max``, ``label_low_zh`` … ``label_high_en``, ``allow_na`` (scale);
- ``options``: ``[{"value", "zh", "en", "score"}]`` (choices; ``score`` is the number an
  analysis uses, e.g. satisfied = 1);
- ``show_if``: ``{"key", "op", "value"}`` — shown only when the answer to an earlier
  question matches (op: lte, gte, eq, in);
- ``role``: what the results page does with it (Role); ``factor`` + ``weight`` for a CSI
  factor, ``dimension`` (+ ``weight``: importance points) for a SERVQUAL item, ``feature``
  for a Kano pair; ``import_column`` and ``na_code`` for imported data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from manyi.metrics.kano import ANSWERS as KANO_ANSWERS
from manyi.metrics.servqual import SERVQUAL_DIMENSIONS

TEXT_MAX = 2000
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class QuestionType:
    NPS = "nps"
    SCALE = "scale"
    SINGLE = "single"
    MULTI = "multi"
    TEXT = "text"
    KANO = "kano"
    SERVQUAL = "servqual"
    POINTS = "points"  # split `total` points among the options (SERVQUAL importance)
    ALL = (NPS, SCALE, SINGLE, MULTI, TEXT, KANO, SERVQUAL, POINTS)
    CHOICES = (SINGLE, MULTI, POINTS)


class Role:
    """What a question measures. The results page computes each figure from the questions
    with the matching role; a question without a role is shown as a distribution only."""

    NONE = ""
    NPS = "nps"  # 0–10 likelihood to recommend
    CSAT = "csat"  # overall satisfaction, 1–5 (top two boxes satisfied)
    CES = "ces"  # customer effort, 1–7 (higher = easier)
    OVERALL = "overall"  # the outcome of the key-driver analysis
    DRIVER = "driver"  # a predictor in the key-driver analysis
    CSI_FACTOR = "csi_factor"  # one weighted CSI factor (also a driver)
    SERVQUAL = "servqual"  # one SERVQUAL item (servqual type)
    SERVQUAL_WEIGHTS = "servqual_weights"  # importance points per dimension (points type)
    KANO = "kano"  # one Kano feature (kano type)
    FAIR_OUTCOME = "fair_outcome"  # recovery fairness: distributive
    FAIR_PROCEDURAL = "fair_procedural"
    FAIR_INTERACTIONAL = "fair_interactional"
    RETURN_INTENT = "return_intent"
    RECOMMEND_INTENT = "recommend_intent"
    ALL = (
        NONE,
        NPS,
        CSAT,
        CES,
        OVERALL,
        DRIVER,
        CSI_FACTOR,
        SERVQUAL,
        SERVQUAL_WEIGHTS,
        KANO,
        FAIR_OUTCOME,
        FAIR_PROCEDURAL,
        FAIR_INTERACTIONAL,
        RETURN_INTENT,
        RECOMMEND_INTENT,
    )
    FAIRNESS = (FAIR_OUTCOME, FAIR_PROCEDURAL, FAIR_INTERACTIONAL)


OPS = ("lte", "gte", "eq", "in")
SERVQUAL_PARTS = ("expectation", "perception")
KANO_PARTS = ("functional", "dysfunctional")


class DefinitionError(ValueError):
    """A survey definition that cannot be used; `errors` maps a field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Option:
    value: str
    zh: str
    en: str = ""
    score: float | None = None

    def label(self, language: str) -> str:
        return self.en if language.startswith("en") and self.en else self.zh


@dataclass(frozen=True)
class Condition:
    key: str
    op: str
    value: Any

    def holds(self, answer: Any) -> bool:
        if answer is None or answer == "" or answer == []:
            return False
        try:
            if self.op == "lte":
                return float(answer) <= float(self.value)
            if self.op == "gte":
                return float(answer) >= float(self.value)
        except (TypeError, ValueError):
            return False
        if self.op == "eq":
            return str(answer) == str(self.value)
        if self.op == "in":
            values = {str(v) for v in (self.value or [])}
            if isinstance(answer, list):
                return any(str(a) in values for a in answer)
            return str(answer) in values
        return False


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    text_zh: str
    text_en: str = ""
    text2_zh: str = ""
    text2_en: str = ""
    required: bool = True
    scale_min: int = 1
    scale_max: int = 5
    label_low_zh: str = ""
    label_low_en: str = ""
    label_high_zh: str = ""
    label_high_en: str = ""
    allow_na: bool = False
    total: int = 100
    options: tuple[Option, ...] = ()
    show_if: Condition | None = None
    role: str = Role.NONE
    factor: str = ""
    weight: float | None = None
    dimension: str = ""
    feature: str = ""
    import_column: str = ""
    na_code: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str) -> str:
        return self.text_en if language.startswith("en") and self.text_en else self.text_zh

    def text2(self, language: str) -> str:
        return self.text2_en if language.startswith("en") and self.text2_en else self.text2_zh

    def label_low(self, language: str) -> str:
        en = language.startswith("en")
        return self.label_low_en if en and self.label_low_en else self.label_low_zh

    def label_high(self, language: str) -> str:
        en = language.startswith("en")
        return self.label_high_en if en and self.label_high_en else self.label_high_zh

    @property
    def points(self) -> list[int]:
        if self.type == QuestionType.NPS:
            return list(range(0, 11))
        return list(range(self.scale_min, self.scale_max + 1))

    @property
    def midpoint(self) -> float:
        lo, hi = (0, 10) if self.type == QuestionType.NPS else (self.scale_min, self.scale_max)
        return (lo + hi) / 2

    @property
    def numeric(self) -> bool:
        """Answers are numbers (usable as a score or in the key-driver analysis)."""
        if self.type in (QuestionType.NPS, QuestionType.SCALE):
            return True
        return self.type == QuestionType.SINGLE and all(o.score is not None for o in self.options)

    def number(self, answer: Any) -> float | None:
        """The answer as a number for analysis, or None (not answered, N/A, not numeric)."""
        if answer is None or answer == "" or answer == "na":
            return None
        if self.type in (QuestionType.NPS, QuestionType.SCALE):
            try:
                return float(answer)
            except (TypeError, ValueError):
                return None
        if self.type == QuestionType.SINGLE:
            for o in self.options:
                if o.value == answer:
                    return o.score
        return None

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "required": self.required,
        }
        if self.type == QuestionType.KANO:
            data.update(text2_zh=self.text2_zh, text2_en=self.text2_en)
        if self.type in (QuestionType.SCALE, QuestionType.SERVQUAL):
            data.update(scale_min=self.scale_min, scale_max=self.scale_max)
        if self.type in (QuestionType.SCALE, QuestionType.NPS, QuestionType.SERVQUAL):
            data.update(
                label_low_zh=self.label_low_zh,
                label_low_en=self.label_low_en,
                label_high_zh=self.label_high_zh,
                label_high_en=self.label_high_en,
            )
        if self.type == QuestionType.SCALE and self.allow_na:
            data["allow_na"] = True
        if self.type == QuestionType.POINTS:
            data["total"] = self.total
        if self.options:
            data["options"] = [
                {
                    k: v
                    for k, v in (("value", o.value), ("zh", o.zh), ("en", o.en), ("score", o.score))
                    if v is not None
                }
                for o in self.options
            ]
        if self.show_if is not None:
            data["show_if"] = {
                "key": self.show_if.key,
                "op": self.show_if.op,
                "value": self.show_if.value,
            }
        for name in ("role", "factor", "dimension", "feature", "import_column", "na_code"):
            value = getattr(self, name)
            if value:
                data[name] = value
        if self.weight is not None:
            data["weight"] = self.weight
        return data


def _int(raw: Any, default: int) -> int:
    if raw is None or raw == "":
        return default
    return int(raw)


def _float_or_none(raw: Any) -> float | None:
    if raw is None or raw == "":
        return None
    return float(raw)


def parse_question(raw: Mapping[str, Any]) -> Question:
    """One question from its dict; raises DefinitionError with field-level messages."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    key = str(raw.get("key") or "").strip()
    if not KEY_RE.match(key):
        err("key", _("Use 1–40 lower-case letters, digits or _, starting with a letter."))
    qtype = str(raw.get("type") or "")
    if qtype not in QuestionType.ALL:
        err("type", _("Unknown question type."))
    text_zh = str(raw.get("text_zh") or "").strip()
    text_en = str(raw.get("text_en") or "").strip()
    if not text_zh and not text_en:
        err("text_zh", _("Write the question in Chinese or English."))
    for name in ("text_zh", "text_en", "text2_zh", "text2_en"):
        if len(str(raw.get(name) or "")) > 500:
            err(name, _("At most 500 characters."))
    try:
        scale_min = _int(raw.get("scale_min"), 1)
        scale_max = _int(raw.get("scale_max"), 7 if qtype == QuestionType.SERVQUAL else 5)
    except (TypeError, ValueError):
        err("scale_max", _("The scale ends must be whole numbers."))
        scale_min, scale_max = 1, 5
    if qtype in (QuestionType.SCALE, QuestionType.SERVQUAL) and not (
        0 <= scale_min < scale_max <= 10 and scale_max - scale_min >= 2
    ):
        err("scale_max", _("A scale runs from 0 or 1 up to at most 10, with at least 3 points."))
    options: list[Option] = []
    raw_options = raw.get("options") or []
    try:
        total = _int(raw.get("total"), 100)
    except (TypeError, ValueError):
        err("total", _("The total must be a whole number."))
        total = 100
    if qtype == QuestionType.POINTS and not 1 <= total <= 1000:
        err("total", _("The total must be between 1 and 1000."))
    if qtype in QuestionType.CHOICES:
        seen: set[str] = set()
        for i, o in enumerate(raw_options):
            value = str(o.get("value") or "").strip()
            zh = str(o.get("zh") or "").strip()
            en = str(o.get("en") or "").strip()
            if not value or not (zh or en):
                err("options", _("Option %(n)s needs a value and a label.") % {"n": i + 1})
                continue
            if value in seen:
                err("options", _("Option value “%(v)s” is used twice.") % {"v": value})
            seen.add(value)
            try:
                score = _float_or_none(o.get("score"))
            except (TypeError, ValueError):
                err("options", _("Option %(n)s: the score must be a number.") % {"n": i + 1})
                score = None
            options.append(Option(value=value, zh=zh or en, en=en, score=score))
        if len(options) < 2:
            err("options", _("Give at least two options."))
    if qtype == QuestionType.KANO and not (raw.get("text2_zh") or raw.get("text2_en")):
        err("text2_zh", _("Write the dysfunctional question (the feature is absent)."))
    condition = None
    show_if = raw.get("show_if")
    if show_if:
        op = str(show_if.get("op") or "")
        if op not in OPS or not show_if.get("key"):
            err("show_if", _("A condition needs a question, an operator and a value."))
        else:
            condition = Condition(key=str(show_if["key"]), op=op, value=show_if.get("value"))
    role = str(raw.get("role") or "")
    if role not in Role.ALL:
        err("role", _("Unknown role."))
    dimension = str(raw.get("dimension") or "")
    if qtype == QuestionType.SERVQUAL and dimension not in SERVQUAL_DIMENSIONS:
        err("dimension", _("Choose one of the five SERVQUAL dimensions."))
    try:
        weight = _float_or_none(raw.get("weight"))
        if weight is not None and weight < 0:
            err("weight", _("The weight cannot be negative."))
    except (TypeError, ValueError):
        err("weight", _("The weight must be a number."))
        weight = None
    if role == Role.CSI_FACTOR and not raw.get("factor"):
        err("factor", _("Name the CSI factor this question measures."))
    if errors:
        raise DefinitionError(errors)
    return Question(
        key=key,
        type=qtype,
        text_zh=text_zh or text_en,
        text_en=text_en,
        text2_zh=str(raw.get("text2_zh") or raw.get("text2_en") or "").strip(),
        text2_en=str(raw.get("text2_en") or "").strip(),
        required=bool(raw.get("required", True)),
        scale_min=0 if qtype == QuestionType.NPS else scale_min,
        scale_max=10 if qtype == QuestionType.NPS else scale_max,
        label_low_zh=str(raw.get("label_low_zh") or ""),
        label_low_en=str(raw.get("label_low_en") or ""),
        label_high_zh=str(raw.get("label_high_zh") or ""),
        label_high_en=str(raw.get("label_high_en") or ""),
        allow_na=bool(raw.get("allow_na", False)),
        total=total,
        options=tuple(options),
        show_if=condition,
        role=role,
        factor=str(raw.get("factor") or ""),
        weight=weight,
        dimension=dimension,
        feature=str(raw.get("feature") or ""),
        import_column=str(raw.get("import_column") or ""),
        na_code=str(raw.get("na_code") or ""),
    )


@dataclass(frozen=True)
class Definition:
    """A version's questions in order."""

    questions: tuple[Question, ...]

    def __iter__(self) -> Any:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def get(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def with_role(self, *roles: str) -> list[Question]:
        return [q for q in self.questions if q.role in roles]

    def visible(self, answers: Mapping[str, Any]) -> list[Question]:
        """The questions to show given the answers so far (conditions on earlier answers)."""
        shown: list[Question] = []
        shown_keys: set[str] = set()
        for q in self.questions:
            if q.show_if is not None and (
                q.show_if.key not in shown_keys or not q.show_if.holds(answers.get(q.show_if.key))
            ):
                continue
            shown.append(q)
            shown_keys.add(q.key)
        return shown

    def as_json(self) -> dict[str, Any]:
        return {"questions": [q.as_dict() for q in self.questions]}


def parse_definition(raw: Mapping[str, Any] | None) -> Definition:
    """The whole definition; errors are keyed ``questions.<n>.<field>`` (n from 1)."""
    errors: dict[str, list[str]] = {}
    questions: list[Question] = []
    keys: set[str] = set()
    for i, item in enumerate((raw or {}).get("questions") or [], start=1):
        try:
            q = parse_question(item)
        except DefinitionError as e:
            for name, messages in e.errors.items():
                errors[f"questions.{i}.{name}"] = messages
            continue
        if q.key in keys:
            errors[f"questions.{i}.key"] = [_("Another question already uses this key.")]
        if q.show_if is not None and q.show_if.key not in keys:
            errors[f"questions.{i}.show_if"] = [
                _("A condition can only refer to an earlier question.")
            ]
        keys.add(q.key)
        questions.append(q)
    if errors:
        raise DefinitionError(errors)
    return Definition(questions=tuple(questions))


# --- answers ----------------------------------------------------------------------------------


def _clean_one(q: Question, raw: Any) -> tuple[Any, str | None]:
    """(clean value, error message or None); an empty answer is (None, None)."""
    if q.type in (QuestionType.NPS, QuestionType.SCALE):
        if raw in (None, ""):
            return None, None
        if q.type == QuestionType.SCALE and q.allow_na and str(raw) == "na":
            return "na", None
        try:
            value = int(str(raw))
        except ValueError:
            return None, _("Choose a number from the scale.")
        if value not in q.points:
            return None, _("Choose a number from %(lo)s to %(hi)s.") % {
                "lo": q.points[0],
                "hi": q.points[-1],
            }
        return value, None
    if q.type == QuestionType.SINGLE:
        if raw in (None, ""):
            return None, None
        if q.option(str(raw)) is None:
            return None, _("Choose one of the options.")
        return str(raw), None
    if q.type == QuestionType.MULTI:
        values = [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw]) if v]
        if not values:
            return None, None
        if any(q.option(v) is None for v in values):
            return None, _("Choose among the options.")
        return sorted(set(values), key=[o.value for o in q.options].index), None
    if q.type == QuestionType.TEXT:
        text = str(raw or "").strip()
        if not text:
            return None, None
        if len(text) > TEXT_MAX:
            return None, _("At most %(n)s characters (this has %(m)s).") % {
                "n": TEXT_MAX,
                "m": len(text),
            }
        return text, None
    if q.type == QuestionType.POINTS:
        return _clean_points(q, raw)
    parts = KANO_PARTS if q.type == QuestionType.KANO else SERVQUAL_PARTS
    mapping = raw if isinstance(raw, Mapping) else {}
    given = {p: mapping.get(p) for p in parts if mapping.get(p) not in (None, "")}
    if not given:
        return None, None
    if len(given) < 2:
        return None, _("Answer both parts of this question.")
    if q.type == QuestionType.KANO:
        if any(str(v) not in KANO_ANSWERS for v in given.values()):
            return None, _("Choose one of the five answers for each part.")
        return {p: str(given[p]) for p in parts}, None
    try:
        numbers = {p: int(str(given[p])) for p in parts}
    except ValueError:
        return None, _("Choose a number from the scale.")
    if any(not q.scale_min <= v <= q.scale_max for v in numbers.values()):
        return None, _("Choose a number from %(lo)s to %(hi)s.") % {
            "lo": q.scale_min,
            "hi": q.scale_max,
        }
    return numbers, None


def _clean_points(q: Question, raw: Any) -> tuple[Any, str | None]:
    mapping = raw if isinstance(raw, Mapping) else {}
    given = {o.value: mapping.get(o.value) for o in q.options}
    if all(v in (None, "") for v in given.values()):
        return None, None
    points: dict[str, int] = {}
    for value, number in given.items():
        try:
            points[value] = int(str(number)) if number not in (None, "") else 0
        except ValueError:
            return None, _("Give whole numbers of points.")
        if points[value] < 0:
            return None, _("Points cannot be negative.")
    if sum(points.values()) != q.total:
        return None, _("The points must add up to %(total)s (they add up to %(sum)s).") % {
            "total": q.total,
            "sum": sum(points.values()),
        }
    return points, None


def clean_answers(
    definition: Definition, raw: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a respondent's answers against the definition.

    Returns (clean answers of the questions that are shown, errors by question key). With
    `complete`, a required question that is shown and unanswered is an error; otherwise
    (a partial save) it is not. Answers to hidden questions and unknown keys are dropped."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in definition.questions:
        if q.show_if is not None and not (
            q.show_if.key in clean and q.show_if.holds(clean.get(q.show_if.key))
        ):
            continue
        value, message = _clean_one(q, raw.get(q.key))
        if message:
            errors[q.key] = message
        elif value is None:
            if complete and q.required:
                errors[q.key] = _("Please answer this question.")
        else:
            clean[q.key] = value
    return clean, errors


def keys(definition: Definition) -> Iterable[str]:
    return (q.key for q in definition.questions)
