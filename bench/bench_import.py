"""Benchmark of `manyi import customers`: 100,000 customers from CSV (target < 60 s with the
error report).

Run from the repository root against a dedicated benchmark database (its name must contain
"bench"; every table in it is emptied):

    DATABASE_URL=sqlite:////tmp/manyi_import_bench.sqlite3 .venv/bin/python bench/bench_import.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/manyi_bench \
        .venv/bin/python bench/bench_import.py

The file has every column, a vehicle on half of the rows, and 1% bad rows (a bad phone
number, a phone repeated from an earlier row, a wrong VIN check digit), imported with
--skip-bad-rows so that both the error report and the bulk write are measured.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

setup_django()  # before any model is imported

from common import machine, migrate, reset_database  # noqa: E402

from manyi.accounts.services import create_organisation, create_store  # noqa: E402
from manyi.core.imports import (  # noqa: E402
    error_report_path,
    import_customers,
    write_error_report,
)
from manyi.customers.models import Asset, Customer  # noqa: E402
from manyi.customers.validation import vin_check_digit  # noqa: E402

HEADER = [
    "name", "phone", "email", "gender", "birthday", "tier", "tags", "contact_consent",
    "store", "owner", "notes", "vin", "plate", "model", "purchase_date", "mileage",
]  # fmt: skip


def write_file(path: Path, rows: int, seed: int = 7) -> int:
    r = random.Random(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(rows):
            phone = f"13{i:09d}"
            vin = ""
            if i % 2 == 0:
                body = f"LSVAU0330N{i:07d}"
                vin = body[:8] + vin_check_digit(body) + body[9:]
            if i % 100 == 50:
                bad += 1
                kind = (i // 100) % 3
                if kind == 0:
                    phone = "12345"
                elif kind == 1:
                    phone = f"13{i - 1:09d}"
                else:
                    vin = "LSVAU0330N" + f"{i:07d}"
                    vin = (
                        vin[:8]
                        + str((int(vin_check_digit(vin).replace("X", "0")) + 1) % 10)
                        + vin[9:]
                    )
                    if i % 2:
                        vin = ""
                        phone = "12345"
            w.writerow(
                [
                    f"客户{i}", phone, f"c{i}@example.com" if i % 3 == 0 else "",
                    r.choice(["男", "女", ""]),
                    f"19{r.randrange(50, 99)}-0{r.randrange(1, 9)}-1{r.randrange(0, 9)}",
                    r.choice(["普通", "VIP", ""]), "老客户,延保" if i % 5 == 0 else "",
                    r.choice(["是", "否", ""]), r.choice(["PD", "SZ"]), "", "",
                    vin, f"沪A·{i % 100000:05d}" if vin else "", "朗逸" if vin else "",
                    "2021-05-01" if vin else "", str(r.randrange(1000, 90000)) if vin else "",
                ]
            )  # fmt: skip
    return bad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    migrate()
    reset_database()
    org, _admin = create_organisation(
        name="导入基准集团", admin_username="bench_admin", admin_password="bench-pass-1"
    )
    create_store(organisation=org, name="浦东", code="PD")
    create_store(organisation=org, name="苏州", code="SZ")
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        bad = write_file(path, args.rows)
        size = path.stat().st_size / 1e6
        started = time.perf_counter()
        result = import_customers(path=path, organisation=org, skip_bad_rows=True)
        write_error_report(result.errors, error_report_path(path))
        elapsed = time.perf_counter() - started
    customers = Customer.objects.filter(organisation=org).count()
    assets = Asset.objects.filter(customer__organisation=org).count()
    print(f"  file: {args.rows:,} rows, {size:.1f} MB, {bad:,} bad rows planted")
    print(
        f"  imported {result.imported:,} customers ({assets:,} vehicles), {result.bad_rows:,} bad"
    )
    print(f"  import customers (check + write + error report) {elapsed:8.2f} s")
    print(f"  {args.rows / elapsed:,.0f} rows/s; target 100,000 rows < 60 s")
    assert customers == result.imported == args.rows - bad, (customers, result.imported, bad)
    assert result.bad_rows == bad


if __name__ == "__main__":
    main()
