"""`manyi import volumes`: services per store and month, the complaint rate's denominator.
A store and month imported before is replaced; every bad row is reported and nothing is
imported."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import override
from openpyxl import Workbook

from manyi.analytics.models import StoreVolume
from manyi.analytics.services import set_store_volume
from manyi.audit.models import AuditEvent, EventKind
from manyi.cli import main
from manyi.core.imports.volumes import import_volumes, month

pytestmark = pytest.mark.django_db


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def run_import(*args: object) -> str:
    out = io.StringIO()
    call_command("manyi_import", *[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def volumes() -> list[tuple[str, dt.date, int]]:
    return list(
        StoreVolume.objects.order_by("store__code", "month").values_list(
            "store__code", "month", "services"
        )
    )


def test_months_are_read_in_every_usual_way():
    for cell in ("2025-03", "2025/3", "2025.03", "2025年3月", "202503", "2025-03-31"):
        assert month(cell) == dt.date(2025, 3, 1), cell
    assert month(dt.datetime(2025, 3, 1, 0, 0)) == dt.date(2025, 3, 1)
    assert month(dt.date(2025, 3, 9)) == dt.date(2025, 3, 1)
    assert month("") is None


def test_a_good_file_imports_each_store_month_and_replaces_one_imported_before(
    tmp_path, org, store_a, store_b, admin_user
):
    set_store_volume(store=store_a, month=dt.date(2025, 1, 1), services=1)
    rows = [
        ["门店", "月份", "服务量"],
        ["PD", "2025-01", "410"],
        ["PD", "2025年2月", "1,020"],
        ["徐汇店", "2025-01-15", "0"],
    ]
    path = write_csv(tmp_path / "volumes.csv", rows)
    result = import_volumes(path=path, organisation=org, actor=admin_user)
    assert result.ok, result.errors
    assert (result.imported, result.replaced) == (3, 1)
    assert volumes() == [
        ("PD", dt.date(2025, 1, 1), 410),
        ("PD", dt.date(2025, 2, 1), 1020),
        ("XH", dt.date(2025, 1, 1), 0),
    ]
    assert StoreVolume.objects.filter(organisation=org).count() == 3
    assert AuditEvent.objects.filter(kind=EventKind.IMPORTED, actor=admin_user).count() == 1


def test_a_good_xlsx_with_excel_month_cells_imports(tmp_path, org, store_a):
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["store", "month", "services"])
    sheet.append(["PD", dt.datetime(2025, 4, 1), 300.0])
    sheet.append(["PD", "2025-05", 310])
    wb.save(tmp_path / "v.xlsx")
    result = import_volumes(path=tmp_path / "v.xlsx", organisation=org)
    assert result.ok, result.errors
    assert volumes() == [("PD", dt.date(2025, 4, 1), 300), ("PD", dt.date(2025, 5, 1), 310)]


def test_bad_rows_import_nothing_and_every_bad_row_is_reported(tmp_path, store_a, other_org):
    set_store_volume(store=store_a, month=dt.date(2025, 1, 1), services=7)
    rows = [
        ["store", "month", "services"],
        ["PD", "2025-02", "10"],  # good
        ["NOPE", "2025-02", "10"],
        [other_org["store"].code, "2025-02", "10"],
        ["PD", "2025-13", "10"],
        ["PD", "2100-01", "10"],
        ["PD", "1899-12", "10"],
        ["PD", "2025-03", "-4"],
        ["PD", "2025-04", "12.5"],
        ["PD", "2025-05", ""],
        ["浦东店", "2025-02-20", "11"],  # the same store and month as row 2
        ["", "", ""],  # an empty line is skipped, not reported
        ["", "2025-06", "1"],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with override("en"), pytest.raises(CommandError, match="--skip-bad-rows"):
        run_import("volumes", path, "--org", store_a.organisation.name)
    assert volumes() == [("PD", dt.date(2025, 1, 1), 7)]
    with (tmp_path / "bad.errors.csv").open(encoding="utf-8-sig") as f:
        report = list(csv.reader(f))[1:]
    assert [(int(r[0]), r[1]) for r in report] == [
        (3, "store"),
        (4, "store"),
        (5, "month"),
        (6, "month"),
        (7, "month"),
        (8, "services"),
        (9, "services"),
        (10, "services"),
        (11, "month"),
        (13, "store"),
    ]
    reasons = {int(r[0]): r[3] for r in report}
    assert "future" in reasons[6]
    assert "row 2" in reasons[11]


# A command run from the command line closes the connections: outside the test transaction.
@pytest.mark.django_db(transaction=True)
def test_the_console_command_imports_volumes_and_says_how_many_it_replaced(
    tmp_path, admin_user, store_a, capsys
):
    path = write_csv(tmp_path / "v.csv", [["store", "month", "services"], ["PD", "2025-03", "5"]])
    main(["import", "volumes", str(path)])
    path = write_csv(tmp_path / "v.csv", [["store", "month", "services"], ["PD", "2025-03", "6"]])
    with override("en"):
        main(["import", "volumes", str(path)])
    assert "1 of them replaced" in capsys.readouterr().out
    assert volumes() == [("PD", dt.date(2025, 3, 1), 6)]
