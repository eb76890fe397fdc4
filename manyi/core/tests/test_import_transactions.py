"""`manyi import transactions`: service orders, purchases and visits of existing customers.
Same rules as the other imports: every row checked first, every bad row reported (row,
column, value, reason) and nothing imported; a reference imported before is a bad row, so
the same file imported twice is refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import override
from openpyxl import Workbook

from manyi.analytics.models import Transaction
from manyi.analytics.services import record_transaction
from manyi.audit.models import AuditEvent, EventKind
from manyi.cli import main
from manyi.core.imports import ImportFileError
from manyi.core.imports.transactions import import_transactions
from manyi.core.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = ["customer_phone", "date", "amount", "store", "kind", "reference"]


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    wb.save(path)
    return path


def run_import(*args: object) -> str:
    out = io.StringIO()
    call_command("manyi_import", *[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def report_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.reader(f))[1:]


def rows_of(*kinds: str) -> list[tuple[object, ...]]:
    return sorted(
        Transaction.objects.filter(kind__in=kinds or ["service_order", "purchase", "visit"])
        .values_list("customer__name", "store__code", "occurred_on", "amount", "kind", "reference")
        .order_by("occurred_on", "reference")
    )


def test_a_good_csv_imports_every_transaction_with_one_audit_event(
    tmp_path, org, customer, customer_b, store_a, store_b, admin_user
):
    rows = [
        HEADER,
        ["138 1234 5678", "2025-03-02", "1,280.50", "", "", "RO-1"],
        ["13812345678", "2025/3/9", "¥99", "XH", "购买", "RO-2"],
        ["+86 139-8765-4321", "2025-04-01", "", "徐汇店", "到店", ""],
        ["13987654321", "20250405", "0", "", "purchase", ""],
    ]
    path = write_csv(tmp_path / "transactions.csv", rows)
    result = import_transactions(path=path, organisation=org, actor=admin_user)
    assert result.ok, result.errors
    assert (result.rows, result.imported) == (4, 4)
    assert rows_of() == [
        ("张伟", "PD", dt.date(2025, 3, 2), Decimal("1280.50"), "service_order", "RO-1"),
        ("张伟", "XH", dt.date(2025, 3, 9), Decimal("99.00"), "purchase", "RO-2"),
        ("李娜", "XH", dt.date(2025, 4, 1), Decimal("0.00"), "visit", ""),
        ("李娜", "XH", dt.date(2025, 4, 5), Decimal("0.00"), "purchase", ""),
    ]
    assert Transaction.objects.filter(organisation=org).count() == 4
    event = AuditEvent.objects.get(kind=EventKind.IMPORTED)
    assert (event.organisation, event.actor) == (org, admin_user)
    assert "4" in event.message and "transactions.csv" in event.message


def test_customers_are_found_by_id_phone_or_a_unique_name_in_the_store(
    tmp_path, org, customer, customer_b, store_a, store_b
):
    CustomerFactory(store=store_b, name="同名", phone="13600000001")
    CustomerFactory(store=store_b, name="同名", phone="13600000002")
    only_in_a = CustomerFactory(store=store_a, name="同名", phone="13600000003")
    rows = [
        ["客户编号", "客户姓名", "门店", "日期", "金额"],
        [customer.pk, "", "", "2025-01-02", "10"],
        ["", "李娜", "", "2025-01-03", "20"],
        ["", "同名", "PD", "2025-01-04", "30"],
        [customer_b.pk, "李娜", "XH", "2025-01-05", "40"],
    ]
    result = import_transactions(path=write_csv(tmp_path / "t.csv", rows), organisation=org)
    assert result.ok, result.errors
    found = list(
        Transaction.objects.order_by("occurred_on").values_list("customer_id", "store__code")
    )
    assert found == [
        (customer.pk, "PD"),
        (customer_b.pk, "XH"),
        (only_in_a.pk, "PD"),
        (customer_b.pk, "XH"),
    ]


def test_a_good_xlsx_with_chinese_headers_date_cells_and_numbers_imports(
    tmp_path, org, customer, store_a
):
    rows = [
        ["手机", "交易日期", "消费金额", "门店", "交易类型", "工单号"],
        [13812345678, dt.datetime(2025, 6, 1, 0, 0), 19.99, "PD", "工单", 10001],
        [13812345678, dt.date(2025, 6, 2), 350, "浦东店", "到店", "A-2"],
    ]
    path = write_xlsx(tmp_path / "transactions.xlsx", rows)
    result = import_transactions(path=path, organisation=org)
    assert result.ok, result.errors
    assert rows_of() == [
        ("张伟", "PD", dt.date(2025, 6, 1), Decimal("19.99"), "service_order", "10001"),
        ("张伟", "PD", dt.date(2025, 6, 2), Decimal("350.00"), "visit", "A-2"),
    ]


def test_bad_rows_import_nothing_and_every_bad_row_is_reported(
    tmp_path, org, customer, customer_b, store_a, store_b
):
    CustomerFactory(store=store_a, name="同名", phone="13600000001")
    CustomerFactory(store=store_a, name="同名", phone="13600000002")
    rows = [
        ["customer_id", "customer_phone", "customer_name", "date", "amount", "store", "kind"],
        ["", "13812345678", "", "2025-03-01", "100", "", ""],  # good
        ["", "13500000000", "", "2025-03-01", "100", "", ""],  # unknown phone
        ["", "12345", "", "2025-03-01", "100", "", ""],  # not a phone
        ["", "13812345678", "", "2025-03-01", "100", "NOPE", ""],  # unknown store
        ["", "13812345678", "", "2025-03-01", "-5", "", ""],  # negative
        ["", "13812345678", "", "2025-02-30", "100", "", ""],  # no such day
        ["", "13812345678", "", "1899-12-31", "100", "", ""],  # before 1900
        ["", "13812345678", "", "2100-01-01", "100", "", ""],  # future
        ["", "13812345678", "", "", "100", "", ""],  # no date
        ["", "13812345678", "", "2025-03-01", "12.345", "", ""],  # three decimals
        ["", "13812345678", "", "2025-03-01", "lots", "", ""],  # not an amount
        ["", "13812345678", "", "2025-03-01", "", "", ""],  # no amount for a service order
        ["", "13812345678", "", "2025-03-01", "100", "", "lease"],  # unknown kind
        ["99999999", "", "", "2025-03-01", "100", "", ""],  # unknown id
        ["", "", "同名", "2025-03-01", "100", "PD", ""],  # ambiguous name
        ["", "", "无名氏", "2025-03-01", "100", "", ""],  # unknown name
        [customer_b.pk, "13812345678", "", "2025-03-01", "100", "", ""],  # two customers
        ["", "", "", "2025-03-01", "100", "", ""],  # no customer
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with override("en"), pytest.raises(CommandError, match="--skip-bad-rows"):
        run_import("transactions", path)
    assert not Transaction.objects.exists()
    assert not AuditEvent.objects.filter(kind=EventKind.IMPORTED).exists()
    report = report_of(tmp_path / "bad.errors.csv")
    assert [(int(r[0]), r[1]) for r in report] == [
        (3, "customer_phone"),
        (4, "customer_phone"),
        (5, "store"),
        (6, "amount"),
        (7, "date"),
        (8, "date"),
        (9, "date"),
        (10, "date"),
        (11, "amount"),
        (12, "amount"),
        (13, "amount"),
        (14, "kind"),
        (15, "customer_id"),
        (16, "customer_name"),
        (17, "customer_name"),
        (18, "customer_phone"),
        (19, "customer_id"),
    ]
    reasons = {int(r[0]): (r[2], r[3]) for r in report}
    assert reasons[6] == ("-5", "An amount cannot be negative.")
    assert reasons[7][0] == "2025-02-30" and "YYYY-MM-DD" in reasons[7][1]
    assert "1900" in reasons[8][1]
    assert "future" in reasons[9][1]
    assert "two decimal" in reasons[11][1]
    assert "Several customers" in reasons[16][1]
    assert "different customers" in reasons[18][1]


def test_skip_bad_rows_imports_the_good_ones(tmp_path, org, customer):
    rows = [HEADER, ["13812345678", "2025-03-01", "10", "", "", ""]]
    rows.append(["13812345678", "2025-03-02", "-1", "", "", ""])
    path = write_csv(tmp_path / "mixed.csv", rows)
    out = run_import("transactions", path, "--skip-bad-rows")
    assert Transaction.objects.get().amount == Decimal("10.00")
    assert [r[:2] for r in report_of(tmp_path / "mixed.errors.csv")] == [["3", "amount"]]
    assert "1" in out


def test_a_reference_imported_before_is_a_bad_row_so_a_file_imported_twice_is_refused(
    tmp_path, org, customer
):
    record_transaction(
        actor=None, customer=customer, occurred_on=dt.date(2025, 1, 1), amount=5, reference="R1"
    )
    rows = [
        HEADER,
        ["13812345678", "2025-03-01", "10", "", "", "R1"],
        ["13812345678", "2025-03-02", "20", "", "", "R2"],
        ["13812345678", "2025-03-03", "30", "", "", "R2"],
        ["13812345678", "2025-03-04", "40", "", "", "x" * 65],
    ]
    with override("en"):
        result = import_transactions(path=write_csv(tmp_path / "refs.csv", rows), organisation=org)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "reference"),
        (4, "reference"),
        (5, "reference"),
    ]
    assert "imported before" in result.errors[0].reason
    assert "row 3" in result.errors[1].reason
    assert Transaction.objects.count() == 1

    good = write_csv(
        tmp_path / "good.csv", [HEADER, ["13812345678", "2025-03-01", "1", "", "", "R9"]]
    )
    assert import_transactions(path=good, organisation=org).imported == 1
    again = import_transactions(path=good, organisation=org)
    assert [(e.row, e.column) for e in again.errors] == [(2, "reference")]
    assert Transaction.objects.count() == 2


def test_another_organisations_customer_and_store_cannot_be_referenced(
    tmp_path, org, customer, store_a, other_org
):
    theirs = other_org["customer"]
    rows = [
        ["customer_id", "customer_phone", "date", "amount", "store"],
        [theirs.pk, "", "2025-03-01", "10", ""],
        ["", theirs.phone, "2025-03-01", "10", ""],
        ["", "13812345678", "2025-03-01", "10", other_org["store"].code],
    ]
    result = import_transactions(path=write_csv(tmp_path / "theirs.csv", rows), organisation=org)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "customer_id"),
        (3, "customer_phone"),
        (4, "store"),
    ]
    assert not Transaction.objects.exists()


def test_a_reference_of_another_organisation_is_free(tmp_path, org, customer, other_org):
    record_transaction(
        actor=None,
        customer=other_org["customer"],
        occurred_on=dt.date(2025, 1, 1),
        amount=5,
        reference="R1",
    )
    rows = [HEADER, ["13812345678", "2025-03-01", "10", "", "", "R1"]]
    result = import_transactions(path=write_csv(tmp_path / "r.csv", rows), organisation=org)
    assert result.ok and result.imported == 1


def test_a_file_without_a_customer_or_date_column_is_refused(tmp_path, org, customer):
    no_customer = write_csv(tmp_path / "a.csv", [["date", "amount"], ["2025-03-01", "1"]])
    with pytest.raises(ImportFileError, match="customer_phone"):
        import_transactions(path=no_customer, organisation=org)
    no_date = write_csv(tmp_path / "b.csv", [["customer_phone", "amount"], ["13812345678", "1"]])
    with pytest.raises(CommandError, match="date"):
        run_import("transactions", no_date)


def test_import_help_documents_the_transaction_and_volume_columns(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = capsys.readouterr().out
    for text in ("transactions", "volumes", "customer_name", "工单号", "服务量", "替换"):
        assert text in out
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "\n  import transactions FILE" in out
    assert "\n  import volumes FILE" in out


# A command run from the command line closes the connections: outside the test transaction.
@pytest.mark.django_db(transaction=True)
def test_the_console_command_imports_transactions_and_refuses_the_same_file_again(
    tmp_path, admin_user, customer, capsys
):
    path = write_csv(
        tmp_path / "t.csv", [HEADER, ["13812345678", "2025-03-01", "10", "", "", "R1"]]
    )
    main(["import", "transactions", str(path)])
    assert "1" in capsys.readouterr().out
    assert Transaction.objects.get().reference == "R1"
    with pytest.raises(SystemExit) as exit_:
        main(["import", "transactions", str(path)])
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert "--skip-bad-rows" in captured.err  # nothing was imported
    assert "R1" in captured.out  # the bad row, on screen
    assert Transaction.objects.count() == 1
    assert report_of(tmp_path / "t.errors.csv")[0][:2] == ["2", "reference"]


def test_a_reference_recorded_while_the_file_was_checked_imports_nothing(tmp_path, org, customer):
    from manyi.core.imports.transactions import _Checked, _Good, _write

    good = _Good()
    for day, reference in ((1, "N1"), (2, "R1")):
        good.append(
            _Checked(
                customer.pk,
                customer.store_id,
                dt.date(2025, 3, day),
                Decimal(1),
                "visit",
                reference,
            )
        )
    # Recorded after the rows were checked, before they are written.
    record_transaction(
        actor=None, customer=customer, occurred_on=dt.date(2025, 1, 1), amount=5, reference="R1"
    )
    with pytest.raises(ImportFileError):
        _write(
            good, organisation=org, actor=None, path=tmp_path / "t.csv", progress=lambda *a: None
        )
    assert list(Transaction.objects.values_list("reference", flat=True)) == ["R1"]
    assert not AuditEvent.objects.filter(kind=EventKind.IMPORTED).exists()


def test_references_imported_before_are_found_in_a_big_file_as_in_a_small_one(
    tmp_path, org, customer, monkeypatch
):
    from manyi.core.imports import transactions

    for reference in ("R3", "R7"):
        record_transaction(
            actor=None,
            customer=customer,
            occurred_on=dt.date(2025, 1, 1),
            amount=1,
            reference=reference,
        )
    rows = [HEADER] + [["13812345678", "2025-03-01", "1", "", "", f"R{i}"] for i in range(12)]
    path = write_csv(tmp_path / "refs.csv", rows)
    small = import_transactions(path=path, organisation=org)
    # More references than ten lookups hold: one pass over the organisation's references.
    monkeypatch.setattr(transactions, "REFERENCE_QUERY", 1)
    big = import_transactions(path=path, organisation=org)
    for result in (small, big):
        assert [(e.row, e.value) for e in result.errors] == [(5, "R3"), (9, "R7")]
    assert Transaction.objects.count() == 2
