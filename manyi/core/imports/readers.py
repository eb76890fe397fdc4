"""Reading a spreadsheet: CSV (UTF-8 with or without BOM, else GB18030 — what Excel saves as
“CSV” on a Chinese Windows) and XLSX (openpyxl, read-only)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

Cell = str | dt.date | dt.datetime


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, missing columns)."""


@dataclass
class Table:
    headers: list[str]
    # (row number in the file, the header being row 1; the cells of that row)
    rows: list[tuple[int, list[Cell]]]
    encoding: str = ""


def _cell(value: object) -> Cell:
    """A spreadsheet value as text, keeping dates: numbers lose a spurious `.0` (a phone
    number typed into Excel is a float) and never turn into `1.3e10`."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _decode(raw: bytes) -> tuple[str, str]:
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise ImportFileError(
            _("The file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8.")
        ) from e


def read_csv(path: Path) -> Table:
    text, encoding = _decode(path.read_bytes())
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = []
    headers: list[str] | None = None
    for number, record in enumerate(reader, start=1):
        if headers is None:
            headers = [h.strip() for h in record]
            continue
        cells: list[Cell] = [c.strip() for c in record]
        if any(cells):
            rows.append((number, cells))
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    return Table(headers, rows, encoding)


def read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or wrong file
        raise ImportFileError(_("This is not a readable .xlsx file: %(e)s") % {"e": e}) from e
    try:
        sheet = workbook.worksheets[0]
        rows = []
        headers: list[str] | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if headers is None:
                headers = [str(c).strip() for c in cells]
                continue
            if any(c != "" for c in cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    while headers and not headers[-1]:
        headers.pop()
    return Table(headers, rows, "xlsx")


def read_table(path: Path) -> Table:
    if not path.is_file():
        raise ImportFileError(_("No such file: %(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        return read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    raise ImportFileError(
        _("Only .csv and .xlsx files can be imported (an .xls file: save it as .xlsx first).")
    )
