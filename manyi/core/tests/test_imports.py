"""`manyi import customers|cases`: all rows are checked first; a bad row stops the whole
import unless --skip-bad-rows; every bad row is reported with its row, column and reason."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import Case, CaseSla
from manyi.cases.services import create_case
from manyi.core.imports import import_cases, import_customers
from manyi.customers.models import Asset, Customer
from manyi.customers.validation import vin_check_digit

CUSTOMER_HEADER = [
    "name", "phone", "email", "gender", "birthday", "tier", "tags", "contact_consent",
    "store", "owner", "vin", "plate", "model", "purchase_date", "mileage",
]  # fmt: skip


def with_check_digit(vin):
    return vin[:8] + vin_check_digit(vin) + vin[9:]


VIN = with_check_digit("LSVAU0330N1234567")
BAD_VIN = VIN[:8] + ("1" if VIN[8] != "1" else "2") + VIN[9:]


def write_csv(path, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path, rows):
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    wb.save(path)
    return path


def good_rows():
    return [
        CUSTOMER_HEADER,
        ["王芳", "138 0013 8000", "wf@example.com", "female", "1985-04-12", "vip",
         "老客户,延保", "yes", "PD", "agent", VIN, "沪A·12345", "朗逸", "2021-05-01", "42000"],
        ["李强", "+86 139-0013-9000", "", "男", "", "", "", "否", "XH", "", "", "", "", "", ""],
    ]  # fmt: skip


def run_import(*args, **options):
    out = io.StringIO()
    call_command(
        "manyi_import", *[str(a) for a in args], stdout=out, stderr=io.StringIO(), **options
    )
    return out.getvalue()


def test_a_good_csv_imports_every_customer_with_vehicle_and_audit_event(
    tmp_path, store_a, store_b, agent
):
    path = write_csv(tmp_path / "customers.csv", good_rows())
    out = run_import("customers", path)
    wang = Customer.objects.get(phone="13800138000")
    li = Customer.objects.get(phone="13900139000")
    assert (wang.name, wang.store, wang.owner, wang.tier) == ("王芳", store_a, agent, "vip")
    assert wang.birthday == dt.date(1985, 4, 12)
    assert wang.tags == ["老客户", "延保"]
    assert (li.gender, li.store, li.contact_consent) == ("male", store_b, False)
    asset = Asset.objects.get(customer=wang)
    assert (asset.vin, asset.plate, asset.model, asset.mileage) == (VIN, "沪A·12345", "朗逸", 42000)
    assert not Asset.objects.filter(customer=li).exists()
    events = AuditEvent.objects.filter(kind=EventKind.IMPORTED)
    assert events.count() == 2
    event = events.get(customer=wang)
    assert event.changes["name"] == [None, "王芳"]
    assert event.changes["asset"][1].startswith("沪A·12345")
    assert "customers.csv" in event.message and "2" in event.message
    assert "2" in out


def test_a_good_xlsx_imports_with_numbers_and_dates_as_excel_stores_them(tmp_path, store_a, org):
    rows = [
        ["name", "phone", "birthday", "store", "purchase_date", "mileage", "model"],
        ["赵敏", 13700137000, dt.datetime(1990, 1, 2), "PD", dt.date(2020, 6, 1), 35000.0, "雅阁"],
    ]
    path = write_xlsx(tmp_path / "customers.xlsx", rows)
    result = import_customers(path=path, organisation=org)
    assert result.ok and result.imported == 1
    zhao = Customer.objects.get(phone="13700137000")
    assert zhao.birthday == dt.date(1990, 1, 2)
    asset = zhao.assets.get()
    assert (asset.purchase_date, asset.mileage, asset.model) == (dt.date(2020, 6, 1), 35000, "雅阁")


def test_bad_rows_import_nothing_and_every_bad_row_is_reported(tmp_path, store_a, customer, agent):
    rows = [
        CUSTOMER_HEADER,
        ["好客户", "13600136000", "", "", "", "", "", "", "PD", "", "", "", "", "", ""],
        ["重复", "13600136000", "", "", "", "", "", "", "PD", "", "", "", "", "", ""],
        ["老客户", "13812345678", "", "", "", "", "", "", "PD", "", "", "", "", "", ""],
        ["坏车架号", "13600136001", "", "", "", "", "", "", "PD", "", BAD_VIN, "", "朗逸", "", ""],
        ["坏生日", "13600136002", "", "", "1990-13-45", "", "", "", "PD", "", "", "", "", "", ""],
        ["坏门店", "13600136003", "", "", "", "", "", "", "NOPE", "", "", "", "", "", ""],
        ["坏负责人", "13600136004", "", "", "", "", "", "", "PD", "ghost", "", "", "", "", ""],
        ["坏等级", "13600136005", "", "", "", "gold", "", "", "PD", "", "", "", "", "", ""],
        ["", "12345", "not-an-email", "", "", "", "", "maybe", "PD", "", "", "", "", "", ""],
    ]  # fmt: skip
    path = write_csv(tmp_path / "bad.csv", rows)
    before = Customer.objects.count()
    with pytest.raises(CommandError, match="--skip-bad-rows"):
        run_import("customers", path)
    assert Customer.objects.count() == before
    assert not AuditEvent.objects.filter(kind=EventKind.IMPORTED).exists()

    with (tmp_path / "bad.errors.csv").open(encoding="utf-8-sig") as f:
        report = list(csv.reader(f))[1:]
    found = {(int(r[0]), r[1]) for r in report}
    assert found == {
        (3, "phone"),
        (4, "phone"),
        (5, "vin"),
        (6, "birthday"),
        (7, "store"),
        (8, "owner"),
        (9, "tier"),
        (10, "name"),
        (10, "phone"),
        (10, "email"),
        (10, "contact_consent"),
    }
    reasons = {(int(r[0]), r[1]): r[3] for r in report}
    assert "2" in reasons[(3, "phone")]  # the same phone is on row 2
    assert VIN[8] in reasons[(5, "vin")]  # the check digit it should have


def test_skip_bad_rows_imports_the_good_rows_and_reports_the_bad(tmp_path, store_a):
    rows = [
        ["name", "phone", "store"],
        ["甲", "13500135000", "PD"],
        ["乙", "not a phone", "PD"],
        ["丙", "13500135001", "PD"],
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)
    report = tmp_path / "report.csv"
    out = run_import("customers", path, "--skip-bad-rows", "--errors", report)
    assert set(Customer.objects.values_list("name", flat=True)) == {"甲", "丙"}
    with report.open(encoding="utf-8-sig") as f:
        lines = list(csv.reader(f))
    assert [line[:2] for line in lines[1:]] == [["3", "phone"]]
    assert "1" in out  # one bad row skipped


def test_a_gb18030_csv_with_chinese_headers_and_values_imports(tmp_path, store_a, org):
    rows = [
        ["姓名", "手机", "性别", "客户等级", "门店", "同意联系", "车架号", "车牌", "车型"],
        ["欧阳娜娜", "13300133000", "女", "大客户", "PD", "是", VIN, "沪B·88888", "帕萨特"],
    ]
    path = write_csv(tmp_path / "excel.csv", rows, encoding="gb18030")
    result = import_customers(path=path, organisation=org)
    assert result.ok, result.errors
    c = Customer.objects.get(phone="13300133000")
    assert (c.name, c.gender, c.tier, c.contact_consent) == (
        "欧阳娜娜",
        "female",
        "key_account",
        True,
    )
    assert c.assets.get().model == "帕萨特"


def test_a_utf8_csv_with_bom_imports(tmp_path, store_a, org):
    path = write_csv(
        tmp_path / "bom.csv", [["姓名", "电话"], ["孙丽", "021-5888 1234"]], encoding="utf-8-sig"
    )
    result = import_customers(path=path, organisation=org, default_store=store_a)
    assert result.ok, result.errors
    assert Customer.objects.get(name="孙丽").phone == "02158881234"


def test_a_file_without_a_required_column_is_refused(tmp_path, store_a):
    path = write_csv(tmp_path / "nameless.csv", [["phone"], ["13300133000"]])
    with pytest.raises(CommandError, match="name"):
        run_import("customers", path)
    assert not Customer.objects.exists()


CASE_HEADER = [
    "number", "customer_phone", "store", "channel", "category", "severity", "nature",
    "complainer_type", "summary", "description", "received_at", "owner", "status",
]  # fmt: skip


def case_row(summary, **cells):
    """A row of CASE_HEADER: a phone complaint of customer 13812345678 about late delivery."""
    values = {"customer_phone": "13812345678", "channel": "phone", "category": "wait_delivery"}
    values.update(summary=summary, **cells)
    return [values.get(column, "") for column in CASE_HEADER]


def test_cases_import_creates_cases_with_clocks_statuses_and_kept_numbers(
    tmp_path, customer, agent, admin_user, category
):
    rows = [
        CASE_HEADER,
        case_row("交车延误", received_at="2026-03-02 10:00", owner="agent"),
        case_row(
            "重复收费",
            number="TS2026-000050",
            store="PD",
            channel="wechat",
            category="billing_error",
            severity="high",
            nature="venting",
            complainer_type="irate",
            description="多收了工时费",
            received_at="2026-03-01T09:30:00+08:00",
            status="closed",
        ),
    ]
    path = write_csv(tmp_path / "cases.csv", rows)
    now = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
    result = import_cases(path=path, organisation=customer.organisation, actor=admin_user, now=now)
    assert result.ok, result.errors
    assert result.imported == 2
    new = Case.objects.get(summary="交车延误")
    assert (new.owner, new.status, new.channel) == (agent, "new", "phone")
    assert new.received_at == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    assert CaseSla.objects.filter(case=new, metric="first_response", state="active").exists()
    kept = Case.objects.get(number="TS2026-000050")
    assert (kept.status, kept.severity, kept.owner) == ("closed", "high", admin_user)
    assert kept.events.filter(kind=EventKind.IMPORTED).count() == 1
    # Numbers given out later never collide with a kept one.
    later = create_case(
        actor=agent, customer=customer, channel="phone", category=category, summary="之后的投诉"
    )
    assert later.number > "TS2026-000050"


def test_cases_with_chinese_headers_and_words_import(tmp_path, customer, admin_user):
    rows = [
        ["客户手机", "渠道", "类别", "严重度", "摘要", "受理时间", "状态"],
        ["138-1234-5678", "电话", "故障未修复", "紧急", "异响未修好", "2026/3/2 9:05", "处理中"],
    ]
    path = write_csv(tmp_path / "投诉.csv", rows, encoding="gb18030")
    now = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
    result = import_cases(path=path, organisation=customer.organisation, actor=admin_user, now=now)
    assert result.ok, result.errors
    case = Case.objects.get(summary="异响未修好")
    assert (case.channel, case.category.code, case.severity, case.status) == (
        "phone",
        "repair_not_fixed",
        "critical",
        "in_progress",
    )


def test_bad_case_rows_import_nothing_and_are_reported(tmp_path, customer, agent, admin_user):
    rows = [
        CASE_HEADER,
        case_row("好的"),
        case_row("没有这个客户", customer_phone="13000000000"),
        case_row("坏渠道", channel="fax"),
        case_row("坏类别", category="no_such"),
        case_row("坏严重度", severity="urgent"),
        case_row("未来", received_at="2099-01-01 10:00"),
        case_row("坏时间", received_at="yesterday"),
        case_row("坏负责人", owner="ghost"),
        case_row("", status="done"),
        case_row("编号一", number="X-1"),
        case_row("编号重复", number="X-1"),
    ]
    path = write_csv(tmp_path / "cases.csv", rows)
    result = import_cases(path=path, organisation=customer.organisation, actor=admin_user)
    assert result.imported == 0
    assert not Case.objects.exists()
    assert {(e.row, e.column) for e in result.errors} == {
        (3, "customer_phone"),
        (4, "channel"),
        (5, "category"),
        (6, "severity"),
        (7, "received_at"),
        (8, "received_at"),
        (9, "owner"),
        (10, "summary"),
        (10, "status"),
        (12, "number"),
    }
    assert all(e.reason for e in result.errors)
    with_skip = import_cases(
        path=path, organisation=customer.organisation, actor=admin_user, skip_bad_rows=True
    )
    assert with_skip.imported == 2
    assert set(Case.objects.values_list("summary", flat=True)) == {"好的", "编号一"}
