"""Turning spreadsheet cells into values. Each parser returns the value or raises BadCell with
the reason shown in the error report."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.core.imports.columns import CHOICE_ALIASES
from manyi.core.imports.readers import Cell


class BadCell(ValueError):
    pass


def text(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return cell.strip()


_TRUE = {"1", "y", "yes", "true", "t", "是", "同意", "允许", "√", "✓", "x"}
_FALSE = {"0", "n", "no", "false", "f", "否", "不同意", "不允许", "拒绝"}


def boolean(cell: Cell | None, *, default: bool) -> bool:
    value = text(cell).lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadCell(_("Write yes or no (是/否)."))


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def date(cell: Cell | None) -> dt.date | None:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    value = text(cell)
    if not value:
        return None
    m = _DATE.match(value) or (
        re.match(r"^(\d{4})(\d{2})(\d{2})$", value) if value.isdigit() else None
    )
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise BadCell(_("Not a date; write it as YYYY-MM-DD."))


_LOCAL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def datetime(cell: Cell | None) -> dt.datetime | None:
    """ISO 8601 (with or without offset) or “YYYY-MM-DD HH:MM”; without an offset the time is
    local (settings.TIME_ZONE). A date alone means midnight."""
    if isinstance(cell, dt.datetime):
        value = cell
    elif isinstance(cell, dt.date):
        value = dt.datetime.combine(cell, dt.time())
    else:
        raw = text(cell).replace("/", "-")
        if not raw:
            return None
        m = _LOCAL.match(raw)
        try:
            if m:
                y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
                value = dt.datetime(y, mo, d, h, mi, sec)
            else:
                value = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise BadCell(_("Not a date and time; write it as YYYY-MM-DD HH:MM.")) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def integer(cell: Cell | None) -> int | None:
    value = text(cell).replace(",", "").replace("，", "")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadCell(_("Not a whole number.")) from None
    if not number.is_integer():
        raise BadCell(_("Not a whole number."))
    return int(number)


@lru_cache(maxsize=32)
def _choice_lookup(field: str, choices: type[models.TextChoices]) -> dict[str, str]:
    lookup = {str(v).lower(): str(v) for v in choices.values}
    with translation.override("en"):
        lookup.update({str(label).lower(): str(v) for v, label in choices.choices})
    with translation.override("zh-hans"):
        lookup.update({str(label).lower(): str(v) for v, label in choices.choices})
    lookup.update({k.lower(): v for k, v in CHOICE_ALIASES.get(field, {}).items()})
    return lookup


def choice(
    cell: Cell | None, *, field: str, choices: type[models.TextChoices], default: str
) -> str:
    value = text(cell)
    if not value:
        return default
    found = _choice_lookup(field, choices).get(value.lower().replace(" ", "_"))
    if found is None:
        found = _choice_lookup(field, choices).get(value.lower())
    if found is None:
        raise BadCell(
            _("Not one of: %(values)s.") % {"values": ", ".join(v for v in choices.values if v)}
        )
    return found
