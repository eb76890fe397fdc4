"""Filters of the staff survey pages: names and question texts in the page's language, and
the labels of question types, roles and conditions."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from manyi.surveys.forms import OP_LABELS, ROLE_LABELS, TYPE_LABELS

register = template.Library()


def _en() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def in_language(obj: Any) -> str:
    """A survey's (or anything with `name(language)`) name in the page's language."""
    return str(obj.name(get_language() or "zh-hans"))


@register.filter
def qtext(question: dict[str, Any], which: str = "text") -> str:
    """A question dict's text in the page's language (`which`: text, text2)."""
    zh = str(question.get(f"{which}_zh") or "")
    en = str(question.get(f"{which}_en") or "")
    return en if _en() and en else zh


@register.filter
def other_text(question: dict[str, Any]) -> str:
    """The text in the other language, if any (shown small under the main one)."""
    zh = str(question.get("text_zh") or "")
    en = str(question.get("text_en") or "")
    if _en():
        return zh if en else ""
    return en


@register.filter
def type_label(qtype: str) -> str:
    return str(TYPE_LABELS.get(qtype, qtype))


@register.filter
def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role)) if role else ""


@register.filter
def condition_text(show_if: dict[str, Any] | None) -> str:
    if not show_if:
        return ""
    value = show_if.get("value")
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    op = str(OP_LABELS.get(str(show_if.get("op")), show_if.get("op")))
    return f"{show_if.get('key')} {op} {shown}"
