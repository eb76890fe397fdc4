"""What both importers share: the per-row error report and the result of an import."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from manyi.core.imports import parse
from manyi.core.imports.readers import Cell, Table

# progress(phase, done, total); phases: "check", "write"
Progress = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class RowError:
    row: int  # as in the file: the header is row 1
    column: str  # the header as written in the file
    value: str
    reason: str


@dataclass
class ImportResult:
    kind: str
    path: Path
    rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors


class Row:
    """One data row: typed access to its cells by field name, collecting errors."""

    def __init__(self, number: int, cells: list[Cell], table: Table, index: dict[str, int]):
        self.number = number
        self.cells = cells
        self.table = table
        self.index = index
        self.errors: list[RowError] = []

    def has(self, field: str) -> bool:
        return field in self.index

    def cell(self, field: str) -> Cell:
        i = self.index.get(field)
        if i is None or i >= len(self.cells):
            return ""
        return self.cells[i]

    def text(self, field: str) -> str:
        return parse.text(self.cell(field))

    def error(self, field: str, reason: str) -> None:
        i = self.index.get(field)
        column = self.table.headers[i] if i is not None else field
        self.errors.append(RowError(self.number, column, self.text(field)[:100], reason))

    def failed(self, field: str) -> bool:
        i = self.index.get(field)
        column = self.table.headers[i] if i is not None else field
        return any(e.column == column for e in self.errors)

    def parsed(self, name: str, parser: Callable[..., Any], /, **kwargs: Any) -> Any:
        """The cell through `parser`; on a bad cell, record the error and return None."""
        try:
            return parser(self.cell(name), **kwargs)
        except parse.BadCell as e:
            self.error(name, str(e))
            return None


def rows_of(table: Table, index: dict[str, int]) -> Iterator[Row]:
    for number, cells in table.rows:
        yield Row(number, cells, table, index)


def error_report_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}.errors.csv")


def write_error_report(errors: list[RowError], path: Path) -> None:
    """A CSV Excel opens correctly in Chinese (UTF-8 with BOM)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([_("row"), _("column"), _("value"), _("reason")])
        for e in errors:
            writer.writerow([e.row, e.column, e.value, e.reason])


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
