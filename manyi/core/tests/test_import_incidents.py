"""`manyi import incidents`: an IT incident event log becomes cases with their status history
and SLA clocks. Constructed logs in the UCI file's format, and the real log when the shared
data folder is there (its figures checked against pandas reading the CSV directly)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import override

from conftest import at
from manyi.audit.models import AuditEvent, EventKind
from manyi.cases.models import Case, CaseSla, SlaEvent
from manyi.core.imports.incidents import import_incidents

REAL_LOG = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "data"
    / "it_incident_event_log"
    / "incident_event_log.zip"
)

# The UCI file's header, with its two `category` columns.
HEADER = [
    "number",
    "ident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "category",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
]


def event(number: str, state: str, updated: str, mod: int, **fields: Any) -> list[str]:
    values = dict.fromkeys(HEADER, "?")
    values.update(
        number=number, ident_state=state, sys_updated_at=updated, sys_mod_count=str(mod),
        active="true", reassignment_count="0", reopen_count="0", made_sla="true",
        contact_type="Phone", priority="3", impact="2", urgency="2",
    )  # fmt: skip
    values.update({k: str(v) for k, v in fields.items()})
    return [values[h] if i != 17 else "170" for i, h in enumerate(HEADER)]


def incident(number: str, rows: list[tuple[str, str]], **fields: Any) -> list[list[str]]:
    return [event(number, s, u, i, **fields) for i, (s, u) in enumerate(rows)]


# A: New → Active → Awaiting User Info → Active → Resolved → Closed, on Tuesday 1 March 2016.
A = dict(caller_id="100", opened_at="1/3/2016 09:00", category="55", assigned_to="7",
         resolved_at="1/3/2016 15:00", closed_at="6/3/2016 15:00")  # fmt: skip
A_ROWS = [
    ("New", "1/3/2016 09:05"),
    ("Active", "1/3/2016 09:30"),
    ("Awaiting User Info", "1/3/2016 10:00"),
    ("Active", "1/3/2016 14:00"),
    ("Resolved", "1/3/2016 15:00"),
    ("Closed", "6/3/2016 15:00"),
]
# B: priority 1, by email, waits for a vendor, is resolved, reopened, resolved again; the log
# says it missed its SLA.
B = dict(caller_id="200", opened_at="2/3/2016 09:00", category="12", priority="1",
         contact_type="Email", assigned_to="8", resolved_at="3/3/2016 10:00",
         closed_at="8/3/2016 10:00")  # fmt: skip


def b_rows() -> list[list[str]]:
    rows = incident(
        "0000002",
        [
            ("New", "2/3/2016 09:00"),
            ("Awaiting Vendor", "2/3/2016 11:00"),
            ("Resolved", "2/3/2016 13:00"),
        ],
        **B,
    )
    rows.append(event("0000002", "Active", "3/3/2016 09:00", 3, reopen_count=1, **B))
    rows.append(event("0000002", "Resolved", "3/3/2016 10:00", 4, reopen_count=1, **B))
    rows.append(
        event("0000002", "Closed", "8/3/2016 10:00", 5, reopen_count=1, made_sla="false", **B)
    )
    return rows


# C: still open, waiting for the user; one row records no state (-100); self service.
C = dict(caller_id="100", opened_at="4/3/2016 09:00", category="?", priority="4",
         contact_type="Self service")  # fmt: skip
C_ROWS = [
    ("New", "4/3/2016 09:10"),
    ("-100", "4/3/2016 09:20"),
    ("Active", "4/3/2016 09:30"),
    ("Awaiting User Info", "4/3/2016 10:30"),
]


def write_log(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def good_log(tmp_path: Path) -> Path:
    rows = incident("0000001", A_ROWS, **A) + b_rows() + incident("0000003", C_ROWS, **C)
    return write_log(tmp_path / "log.csv", rows)


def run_import(*args: object) -> str:
    out = io.StringIO()
    call_command("manyi_import", *[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def history(case: Case) -> list[tuple[str, list[str], Any]]:
    return [
        (e.kind, e.changes["status"], e.at)
        for e in AuditEvent.objects.filter(case=case).order_by("at", "id")
    ]


def clock(case: Case, metric: str) -> CaseSla:
    return CaseSla.objects.get(case=case, metric=metric)


def test_each_incident_becomes_a_case_with_its_fields_from_the_log(tmp_path, org, store_a):
    result = import_incidents(path=good_log(tmp_path), organisation=org, store=store_a)
    assert result.ok, result.errors
    assert (result.rows, result.imported) == (16, 3)
    a, b, c = (Case.objects.get(organisation=org, number=f"INC000000{i}") for i in (1, 2, 3))
    assert (a.status, b.status, c.status) == ("closed", "closed", "waiting_customer")
    assert (a.channel, b.channel, c.channel) == ("phone", "email", "web")
    assert (a.severity, b.severity, c.severity) == ("normal", "critical", "low")
    assert a.received_at == at(2016, 3, 1, 9, 0)  # the store's local time
    assert a.first_responded_at == at(2016, 3, 1, 9, 30)
    assert (a.resolved_at, a.closed_at) == (at(2016, 3, 1, 15, 0), at(2016, 3, 6, 15, 0))
    assert (c.first_responded_at, c.resolved_at, c.closed_at) == (at(2016, 3, 4, 9, 30), None, None)
    assert (a.reopen_count, b.reopen_count, c.reopen_count) == (0, 1, 0)
    assert a.category.code == "it-55" and a.category.parent.name_en == "IT incidents"
    assert c.category.code == "it-unknown"
    assert a.owner.display_name == "Resolver 7" and not a.owner.is_active
    assert a.customer == c.customer and a.customer.name == "Caller 100" and not a.customer.phone
    assert {x.store for x in (a, b, c)} == {store_a}


def test_every_change_of_state_is_a_status_event_and_a_reopen_a_reopened_event(
    tmp_path, org, store_a
):
    import_incidents(path=good_log(tmp_path), organisation=org, store=store_a)
    a, b, c = (Case.objects.get(organisation=org, number=f"INC000000{i}") for i in (1, 2, 3))
    assert history(a) == [
        ("status", ["new", "in_progress"], at(2016, 3, 1, 9, 30)),
        ("status", ["in_progress", "waiting_customer"], at(2016, 3, 1, 10, 0)),
        ("status", ["waiting_customer", "in_progress"], at(2016, 3, 1, 14, 0)),
        ("status", ["in_progress", "resolved"], at(2016, 3, 1, 15, 0)),
        ("status", ["resolved", "closed"], at(2016, 3, 6, 15, 0)),
    ]
    assert history(b) == [
        ("status", ["new", "waiting_third_party"], at(2016, 3, 2, 11, 0)),
        ("status", ["waiting_third_party", "resolved"], at(2016, 3, 2, 13, 0)),
        ("reopened", ["resolved", "in_progress"], at(2016, 3, 3, 9, 0)),
        ("status", ["in_progress", "resolved"], at(2016, 3, 3, 10, 0)),
        ("status", ["resolved", "closed"], at(2016, 3, 8, 10, 0)),
    ]
    # The -100 row changes nothing.
    assert [h[1] for h in history(c)] == [
        ["new", "in_progress"],
        ["in_progress", "waiting_customer"],
    ]
    assert AuditEvent.objects.filter(kind=EventKind.IMPORTED, case=None).count() == 1


def test_waiting_pauses_the_resolution_clock_and_the_logs_verdict_decides_it(
    tmp_path, org, store_a
):
    import_incidents(path=good_log(tmp_path), organisation=org, store=store_a)
    a, b, c = (Case.objects.get(organisation=org, number=f"INC000000{i}") for i in (1, 2, 3))
    # A runs 09:00–10:00 and 14:00–15:00 (working hours 09–12, 13:30–18): 2 hours.
    res = clock(a, "resolution")
    assert (res.state, res.business_minutes_elapsed, res.calendar_minutes_elapsed) == (
        "fulfilled",
        120,
        120,
    )
    assert res.fulfilled_at == at(2016, 3, 1, 15, 0)
    assert list(
        SlaEvent.objects.filter(case=a, metric="resolution")
        .order_by("at", "id")
        .values_list("kind", "at", "business_minutes_elapsed")
    ) == [
        ("applied", at(2016, 3, 1, 9, 0), 0),
        ("paused", at(2016, 3, 1, 10, 0), 60),
        ("resumed", at(2016, 3, 1, 14, 0), 60),
        ("fulfilled", at(2016, 3, 1, 15, 0), 120),
    ]
    first = clock(a, "first_response")
    assert (first.state, first.business_minutes_elapsed) == ("fulfilled", 30)
    # B runs 09:00–11:00 before the vendor, then 09:00–10:00 after the reopen: 3 hours; the
    # log says the SLA was missed, so the clock is breached at its final resolution.
    res = clock(b, "resolution")
    assert (res.state, res.business_minutes_elapsed, res.calendar_minutes_elapsed) == (
        "breached",
        180,
        180,
    )
    assert res.breached_at == at(2016, 3, 3, 10, 0)
    assert res.fulfilled_at == at(2016, 3, 3, 10, 0)
    # Its first response took 2 hours; the critical policy promises 1 business hour.
    first = clock(b, "first_response")
    assert (first.state, first.target_minutes, first.breached_at) == (
        "breached",
        60,
        at(2016, 3, 2, 10, 0),
    )
    assert b.sla_policy is not None and "Critical" in b.sla_policy.name
    # C still waits: its resolution clock is paused after 09:00–10:30.
    res = clock(c, "resolution")
    assert (res.state, res.business_minutes_elapsed, res.running_since, res.due_at) == (
        "paused",
        90,
        None,
        None,
    )
    c.refresh_from_db()
    assert c.next_due_at is None


def test_bad_rows_are_reported_and_nothing_is_written(tmp_path, org, store_a, store_b):
    rows = incident("0000001", A_ROWS, **A) + b_rows()
    rows[2][HEADER.index("sys_updated_at")] = "31/2/2016 10:00"  # no such day
    rows[3][HEADER.index("ident_state")] = "Pending"
    rows[7][HEADER.index("priority")] = "9"
    path = write_log(tmp_path / "bad.csv", rows)
    with override("en"), pytest.raises(CommandError, match="--skip-bad-rows"):
        run_import("incidents", path, "--store", "PD")
    assert not Case.objects.filter(organisation=org).exists()
    assert not AuditEvent.objects.exists()
    with (tmp_path / "bad.errors.csv").open(encoding="utf-8-sig") as f:
        report = list(csv.reader(f))[1:]
    assert [r[:3] for r in report] == [
        ["4", "sys_updated_at", "31/2/2016 10:00"],
        ["5", "ident_state", "Pending"],
        ["9", "priority", "9"],
    ]


def test_skipping_bad_rows_leaves_out_the_whole_incident(tmp_path, org, store_a):
    rows = incident("0000001", A_ROWS, **A) + b_rows()
    rows[8][HEADER.index("opened_at")] = "yesterday"
    path = write_log(tmp_path / "log.csv", rows)
    result = import_incidents(path=path, organisation=org, store=store_a, skip_bad_rows=True)
    assert result.bad_rows == 1 and result.imported == 1
    assert list(Case.objects.values_list("number", flat=True)) == ["INC0000001"]


def test_importing_the_same_log_twice_is_refused_and_writes_nothing(tmp_path, org, store_a):
    path = good_log(tmp_path)
    zipped = tmp_path / "log.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.write(path, "incident_event_log/incident_event_log.csv")
    with override("en"):
        assert "Imported 3 incidents" in run_import("incidents", zipped)
        events = AuditEvent.objects.count()
        with pytest.raises(CommandError, match="3 of 16 rows are bad"):
            run_import("incidents", path)
    assert Case.objects.filter(organisation=org).count() == 3
    assert AuditEvent.objects.count() == events
    with (tmp_path / "log.errors.csv").open(encoding="utf-8-sig") as f:
        report = list(csv.reader(f))[1:]
    assert [r[:3] for r in report] == [
        ["2", "number", "INC0000001"],
        ["8", "number", "INC0000002"],
        ["14", "number", "INC0000003"],
    ]


def test_a_file_without_the_logs_columns_is_refused(tmp_path, org, store_a):
    path = tmp_path / "other.csv"
    path.write_text("number,state\n1,New\n", encoding="utf-8")
    with override("en"), pytest.raises(CommandError, match="Required columns are missing"):
        run_import("incidents", path)


@pytest.mark.skipif(not REAL_LOG.is_file(), reason="the shared data folder is absent")
def test_the_real_log_imports_with_the_figures_pandas_computes_from_the_csv(org, store_a):
    import pandas as pd

    with zipfile.ZipFile(REAL_LOG) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        with z.open(name) as f:
            log = pd.read_csv(f, dtype=str, keep_default_na=False)
    fmt = "%d/%m/%Y %H:%M"
    log["updated"] = pd.to_datetime(log["sys_updated_at"], format=fmt)
    log["mod"] = log["sys_mod_count"].astype(int)
    log = log.sort_values(["number", "updated", "mod"], kind="stable")
    by = log.groupby("number")
    last = by.tail(1).set_index("number")
    reopened = int((by["reopen_count"].apply(lambda s: s.astype(int).max()) > 0).sum())
    made_sla = float((last["made_sla"] == "true").mean())
    # Changes of Manyi status: both "Awaiting User Info" and "Awaiting Evidence" are waiting
    # for the customer, "Awaiting Vendor" and "Awaiting Problem" for a third party.
    status = log["ident_state"].replace(
        {"-100": None, "Awaiting Evidence": "Awaiting User Info",
         "Awaiting Problem": "Awaiting Vendor"}
    )  # fmt: skip
    state = status.groupby(log["number"]).ffill()
    previous = state.groupby(log["number"]).shift().fillna("New")
    changes = int(((state != previous) & state.notna()).sum())
    resolved = last[last["resolved_at"] != "?"]
    hours = (
        pd.to_datetime(resolved["resolved_at"], format=fmt)
        - pd.to_datetime(resolved["opened_at"], format=fmt)
    ).dt.total_seconds() / 3600

    result = import_incidents(path=REAL_LOG, organisation=org, store=store_a)
    assert result.ok, result.errors[:5]
    cases = Case.objects.filter(organisation=org)
    assert result.rows == len(log) == 141_712
    assert cases.count() == log["number"].nunique() == 24_918
    assert cases.filter(reopen_count__gt=0).count() == reopened
    assert AuditEvent.objects.filter(case__organisation=org).count() == changes
    fulfilled = CaseSla.objects.filter(
        case__organisation=org, metric="resolution", state="fulfilled"
    ).count()
    assert fulfilled / 24_918 == pytest.approx(made_sla, abs=1e-9)
    imported = pd.DataFrame(
        list(cases.values_list("number", "received_at", "resolved_at")),
        columns=["number", "received_at", "resolved_at"],
    )
    imported["number"] = imported["number"].str.removeprefix("INC")
    imported = imported.set_index("number").loc[resolved.index]
    ours = (imported["resolved_at"] - imported["received_at"]).dt.total_seconds() / 3600
    assert ours.median() == pytest.approx(hours.median(), abs=1 / 60)
