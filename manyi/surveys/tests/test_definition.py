"""The question schema: parsing a definition, conditions, and checking one respondent's answers."""

from __future__ import annotations

from typing import Any

import pytest

from manyi.metrics.scores import DEFAULT_CSI_WEIGHTS
from manyi.metrics.servqual import SERVQUAL_DIMENSIONS
from manyi.surveys import library
from manyi.surveys.definition import (
    DefinitionError,
    QuestionType,
    Role,
    clean_answers,
    parse_definition,
)


def _definition(*questions: dict[str, Any]) -> Any:
    return parse_definition({"questions": list(questions)})


def _template(key: str) -> Any:
    template = library.template(key)
    assert template is not None
    return parse_definition({"questions": template.questions})


NPS = {"key": "nps", "type": "nps", "text_zh": "推荐吗？", "role": "nps"}
WHY = {
    "key": "why",
    "type": "text",
    "text_zh": "为什么？",
    "required": True,
    "show_if": {"key": "nps", "op": "lte", "value": 6},
}


@pytest.mark.parametrize("template", library.templates(), ids=lambda t: t.key)
def test_every_shipped_template_is_a_valid_definition(template: library.Template) -> None:
    definition = parse_definition({"questions": template.questions})
    assert len(definition) == len(template.questions)
    assert all(q.text_zh and q.text_en for q in definition)


def test_csi_template_has_the_seven_weighted_factors_of_the_seeds() -> None:
    definition = _template("dealer_csi")
    factors = {q.factor: q.weight for q in definition.with_role(Role.CSI_FACTOR)}
    assert factors == dict(DEFAULT_CSI_WEIGHTS)
    assert sum(factors.values()) == 100


def test_servqual_template_has_22_pairs_in_five_dimensions_and_importance_points() -> None:
    definition = _template("servqual")
    items = definition.with_role(Role.SERVQUAL)
    assert len(items) == 22
    assert {q.dimension for q in items} == set(SERVQUAL_DIMENSIONS)
    (points,) = definition.with_role(Role.SERVQUAL_WEIGHTS)
    assert points.type == QuestionType.POINTS and points.total == 100


def test_fairness_template_covers_the_three_dimensions() -> None:
    definition = _template("recovery_fairness")
    for role in Role.FAIRNESS:
        assert len(definition.with_role(role)) == 2
    assert definition.with_role(Role.OVERALL)
    assert definition.with_role(Role.RETURN_INTENT)
    assert definition.with_role(Role.RECOMMEND_INTENT)


def test_a_bad_definition_reports_every_field_by_question_number() -> None:
    with pytest.raises(DefinitionError) as e:
        parse_definition(
            {
                "questions": [
                    {"key": "Bad Key", "type": "nps", "text_zh": "x"},
                    {"key": "c", "type": "single", "text_zh": "x", "options": [{"value": "a"}]},
                    {"key": "s", "type": "scale", "text_zh": "x", "scale_min": 1, "scale_max": 2},
                ]
            }
        )
    assert set(e.value.errors) == {
        "questions.1.key",
        "questions.2.options",
        "questions.3.scale_max",
    }


def test_duplicate_keys_and_forward_conditions_are_refused() -> None:
    with pytest.raises(DefinitionError) as e:
        parse_definition({"questions": [WHY, NPS, {**NPS}]})
    assert "questions.1.show_if" in e.value.errors
    assert "questions.3.key" in e.value.errors


def test_definition_round_trips_through_json() -> None:
    for template in library.templates():
        first = parse_definition({"questions": template.questions})
        assert parse_definition(first.as_json()) == first


def test_conditional_question_is_shown_only_for_a_low_score() -> None:
    definition = _definition(NPS, WHY)
    assert [q.key for q in definition.visible({"nps": 5})] == ["nps", "why"]
    assert [q.key for q in definition.visible({"nps": 9})] == ["nps"]
    assert [q.key for q in definition.visible({})] == ["nps"]


def test_required_conditional_question_is_required_only_when_shown() -> None:
    definition = _definition(NPS, WHY)
    clean, errors = clean_answers(definition, {"nps": "9"}, complete=True)
    assert clean == {"nps": 9} and errors == {}
    clean, errors = clean_answers(definition, {"nps": "3"}, complete=True)
    assert clean == {"nps": 3} and set(errors) == {"why"}


def test_hidden_answers_and_unknown_keys_are_dropped() -> None:
    definition = _definition(NPS, WHY)
    clean, errors = clean_answers(definition, {"nps": "9", "why": "x", "other": 1}, complete=True)
    assert clean == {"nps": 9} and not errors


def test_partial_save_keeps_good_answers_and_reports_the_bad_one() -> None:
    definition = _definition(
        NPS,
        {"key": "csat", "type": "scale", "text_zh": "满意吗", "scale_min": 1, "scale_max": 5},
    )
    clean, errors = clean_answers(definition, {"nps": "11", "csat": "4"}, complete=False)
    assert clean == {"csat": 4}
    assert set(errors) == {"nps"}


def test_each_type_validates_its_answer() -> None:
    definition = _definition(
        {"key": "s", "type": "scale", "text_zh": "x", "allow_na": True},
        {
            "key": "one",
            "type": "single",
            "text_zh": "x",
            "options": [{"value": "a", "zh": "甲"}, {"value": "b", "zh": "乙"}],
        },
        {
            "key": "many",
            "type": "multi",
            "text_zh": "x",
            "options": [{"value": "a", "zh": "甲"}, {"value": "b", "zh": "乙"}],
        },
        {"key": "k", "type": "kano", "text_zh": "有？", "text2_zh": "没有？"},
        {"key": "q", "type": "servqual", "text_zh": "x", "dimension": "empathy"},
        {
            "key": "p",
            "type": "points",
            "text_zh": "x",
            "total": 10,
            "options": [{"value": "a", "zh": "甲"}, {"value": "b", "zh": "乙"}],
        },
    )
    good = {
        "s": "na",
        "one": "b",
        "many": ["b", "a", "b"],
        "k": {"functional": "like", "dysfunctional": "dislike"},
        "q": {"expectation": "7", "perception": "5"},
        "p": {"a": "3", "b": "7"},
    }
    clean, errors = clean_answers(definition, good, complete=True)
    assert errors == {}
    assert clean == {
        "s": "na",
        "one": "b",
        "many": ["a", "b"],
        "k": {"functional": "like", "dysfunctional": "dislike"},
        "q": {"expectation": 7, "perception": 5},
        "p": {"a": 3, "b": 7},
    }
    bad = {
        "s": "6",
        "one": "c",
        "many": ["z"],
        "k": {"functional": "like"},
        "q": {"expectation": "8", "perception": "5"},
        "p": {"a": "3", "b": "3"},
    }
    clean, errors = clean_answers(definition, bad, complete=False)
    assert clean == {}
    assert set(errors) == set(good)


def test_text_answers_are_never_truncated_silently() -> None:
    definition = _definition({"key": "t", "type": "text", "text_zh": "x"})
    clean, errors = clean_answers(definition, {"t": "好" * 2001}, complete=True)
    assert "t" in errors and "t" not in clean


def test_numeric_value_of_choices_comes_from_option_scores() -> None:
    airline = _template("airline")
    overall = airline.get("satisfaction")
    assert overall is not None and overall.numeric
    assert overall.number("satisfied") == 1.0
    assert overall.number("neutral or dissatisfied") == 0.0
    wifi = airline.get("air_wifi")
    assert wifi is not None and wifi.number("na") is None and wifi.number(4) == 4.0
