"""Helpers shared by the CSV and XLSX exports."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def safe_cell(value: Any) -> Any:
    """`safe` for text; numbers, dates and empty cells as they are."""
    return safe(value) if isinstance(value, str) else value
