"""Importing an IT service desk's incident event log (ServiceNow's export, the UCI “Incident
management process enriched event log”) as historical cases with their status history.

The file (a .csv, or a .zip holding one) has one row per update of an incident: its number,
its state after the update (`ident_state` or `incident_state`), `sys_updated_at`,
`reopen_count`, `made_sla`, and the incident's fields as they were then (caller, contact type,
category, priority, assignee, opened/resolved/closed times, `d/m/yyyy hh:mm`). Each incident
becomes one closed or open `Case` of `store`, numbered “INC” + its number, with:

- its fields from its last row (priority and category change during an incident);
- one `status` audit event per change of state at the row's `sys_updated_at`, a `reopened`
  event (as `reopen_case` writes) for a change from resolved or closed back to an open state;
- its `first_response` and `resolution` SLA clocks (`CaseSla`, `SlaEvent`), computed from the
  history on the calendar of the SLA policy the organisation applies to such a case. The
  resolution clock does not run while the case waits (the policy's pause statuses); its
  verdict is the log's own (`made_sla` of the last row), since the log's targets are unknown;
  the first response verdict compares the elapsed time with the policy's target.

The log's times carry no time zone: they are read as local times of the store (its
calendar's time zone). The value “?” is the log's empty cell. The state “-100” (5 rows of the
UCI log) records no state: the incident keeps the one it had.

Rules of the other imports: every row is checked; a bad row is reported with its row,
column, value and reason, and with any bad row nothing is written (with `skip_bad_rows`, the
incidents having a bad row are left out whole: half a history would be wrong). An incident
number already used by a case of the organisation is a bad row, so importing a file twice is
refused. Everything is written in one transaction with bulk inserts; the import leaves one
`imported` audit event.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.choices import Role
from manyi.accounts.models import Organisation, Store, User
from manyi.audit.models import AuditEvent, EventKind
from manyi.audit.services import record_event
from manyi.calendars.engine import CalendarSpec
from manyi.cases import sla
from manyi.cases.choices import (
    Channel,
    Severity,
    SlaClockKind,
    SlaEventKind,
    SlaMetric,
    SlaState,
    Status,
)
from manyi.cases.models import Case, CaseSla, Category, SlaEvent, SlaPolicy, SlaTarget
from manyi.core.imports.base import ImportResult, Progress, RowError, no_progress
from manyi.core.imports.bulk import insert_returning_ids
from manyi.core.imports.readers import ImportFileError
from manyi.customers.models import Customer

UNKNOWN = "?"  # the log's empty cell
NO_STATE = "-100"  # a row without a state: the incident keeps its state
NUMBER_PREFIX = "INC"
PARENT_CODE = "it"  # the top-level category “IT incidents”
WRITE_CHUNK = 20_000

# The log's states → Manyi's statuses.
STATES: dict[str, str] = {
    "new": Status.NEW,
    "active": Status.IN_PROGRESS,
    "awaiting user info": Status.WAITING_CUSTOMER,
    "awaiting evidence": Status.WAITING_CUSTOMER,
    "awaiting vendor": Status.WAITING_THIRD_PARTY,
    "awaiting problem": Status.WAITING_THIRD_PARTY,
    "resolved": Status.RESOLVED,
    "closed": Status.CLOSED,
}
CHANNELS: dict[str, str] = {
    "phone": Channel.PHONE,
    "ivr": Channel.PHONE,
    "email": Channel.EMAIL,
    "self service": Channel.WEB,
    "direct opening": Channel.WALK_IN,
}
SEVERITIES: dict[str, str] = {
    "1": Severity.CRITICAL,
    "2": Severity.HIGH,
    "3": Severity.NORMAL,
    "4": Severity.LOW,
}
DONE = frozenset({Status.RESOLVED, Status.CLOSED})

# Columns read: (name, required). `incident_state` is the UCI original's name of
# `ident_state`; the second `category` column (the subcategory) is only described.
REQUIRED = (
    "number", "ident_state", "reopen_count", "made_sla", "caller_id", "opened_at",
    "sys_updated_at", "contact_type", "category", "priority", "assigned_to", "resolved_at",
    "closed_at",
)  # fmt: skip
OPTIONAL = ("sys_mod_count",)
DESCRIBED = (
    "assignment_group", "category.1", "u_symptom", "impact", "urgency", "reassignment_count",
    "closed_code", "location",
)  # fmt: skip
ALIASES = {"incident_state": "ident_state", "subcategory": "category.1"}

_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(slots=True)
class _Event:
    row: int
    at: dt.datetime
    mod: int
    status: str | None  # None: the row records no state
    reopen_count: int
    made_sla: bool
    # The incident's fields as of this row.
    opened_at: dt.datetime
    caller: str
    channel: str
    category: str
    severity: str
    assignee: str
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    description: str


@dataclass
class _Incident:
    number: str
    events: list[_Event] = field(default_factory=list)
    bad: bool = False


@dataclass
class Transition:
    at: dt.datetime
    old: str
    new: str

    @property
    def reopens(self) -> bool:
        return self.old in DONE and self.new not in DONE


@dataclass
class Timeline:
    """An incident's history as Manyi statuses: where it starts, each change, where it ends."""

    opened_at: dt.datetime
    transitions: list[Transition]
    status: str
    first_responded_at: dt.datetime | None
    done_at: dt.datetime | None  # the last change into resolved or closed, if it ended so
    breached_at: dt.datetime | None  # first row whose made_sla is false
    made_sla: bool
    reopen_count: int


def timeline(events: list[_Event]) -> Timeline:
    """The history of one incident from its rows (in time order)."""
    last = events[-1]
    opened = last.opened_at
    status: str = Status.NEW
    transitions: list[Transition] = []
    first_response = None
    breached_at = None
    for e in events:
        if not e.made_sla and breached_at is None:
            breached_at = max(e.at, opened)
        if e.status is None or e.status == status:
            continue
        at = max(e.at, opened)  # a few rows were updated before the incident opened
        transitions.append(Transition(at, status, e.status))
        status = e.status
        if first_response is None:
            first_response = at
    done_at = None
    if status in DONE:
        done_at = next(t.at for t in reversed(transitions) if t.old not in DONE)
    return Timeline(
        opened_at=opened,
        transitions=transitions,
        status=status,
        first_responded_at=first_response,
        done_at=done_at,
        breached_at=breached_at,
        made_sla=last.made_sla,
        reopen_count=max(e.reopen_count for e in events),
    )


@dataclass
class Clock:
    """A computed `CaseSla` and its `SlaEvent`s (as dicts of field values)."""

    row: dict[str, Any]
    events: list[dict[str, Any]]


def _elapsed(spec: CalendarSpec, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    return sla.elapsed_between(spec, start, end)


def _event(kind: str, metric: str, at: dt.datetime, b: int, w: int, **data: Any) -> dict[str, Any]:
    return {
        "metric": metric,
        "kind": kind,
        "at": at,
        "business_minutes_elapsed": b,
        "calendar_minutes_elapsed": w,
        "data": data,
    }


def first_response_clock(t: Timeline, target: SlaTarget, spec: CalendarSpec) -> Clock:
    """Met at the first change of state (the case left `new`: someone took it up); met or
    missed against the policy's target (the log has no verdict for it)."""
    metric = SlaMetric.FIRST_RESPONSE
    start = t.opened_at
    row: dict[str, Any] = {
        "metric": metric,
        "target_minutes": target.minutes,
        "clock": target.clock,
        "started_at": start,
    }
    events = [_event(SlaEventKind.APPLIED, metric, start, 0, 0, target=target.minutes)]
    due = sla.add_minutes(target.clock, spec, start, target.minutes)
    end = t.first_responded_at
    if end is None:  # still new at the end of the log: the clock runs
        row.update(state=SlaState.ACTIVE, running_since=start, due_at=due)
        return Clock(row, events)
    b, w = _elapsed(spec, start, end)
    late = (b if target.clock == SlaClockKind.BUSINESS else w) > target.minutes
    row.update(
        state=SlaState.BREACHED if late else SlaState.FULFILLED,
        fulfilled_at=end,
        breached_at=due if late else None,
        business_minutes_elapsed=b,
        calendar_minutes_elapsed=w,
    )
    if late:
        events.append(_event(SlaEventKind.BREACHED, metric, due, 0, 0))
    events.append(_event(SlaEventKind.FULFILLED, metric, end, b, w, late=late))
    return Clock(row, events)


def resolution_clock(
    t: Timeline, target: SlaTarget, spec: CalendarSpec, pause_on: frozenset[str]
) -> Clock:
    """Runs from opening to resolution except while the case waits (a pause status) or is
    resolved (a reopen resumes it); its verdict is the log's `made_sla`."""
    metric = SlaMetric.RESOLUTION
    start = t.opened_at
    events = [_event(SlaEventKind.APPLIED, metric, start, 0, 0, target=target.minutes)]
    b = w = 0
    status: str = Status.NEW
    since = start

    def runs(s: str) -> bool:
        return s not in pause_on and s not in DONE

    for tr in t.transitions:
        if runs(status):
            db, dw = _elapsed(spec, since, tr.at)
            b, w = b + db, w + dw
        was, now_runs = runs(status), runs(tr.new)
        if tr.new in DONE and tr.old not in DONE:
            events.append(_event(SlaEventKind.FULFILLED, metric, tr.at, b, w))
        elif tr.reopens and now_runs:
            events.append(_event(SlaEventKind.RESUMED, metric, tr.at, b, w, reason="reopened"))
        elif was and not now_runs:
            events.append(_event(SlaEventKind.PAUSED, metric, tr.at, b, w, status=tr.new))
        elif not was and now_runs:
            events.append(_event(SlaEventKind.RESUMED, metric, tr.at, b, w, status=tr.new))
        status, since = tr.new, tr.at
    row: dict[str, Any] = {
        "metric": metric,
        "target_minutes": target.minutes,
        "clock": target.clock,
        "started_at": start,
        "business_minutes_elapsed": b,
        "calendar_minutes_elapsed": w,
    }
    breached = not t.made_sla
    end = t.done_at
    breached_at = None
    if breached:
        breached_at = t.breached_at or end or since
        if end is not None:
            breached_at = min(breached_at, end)
    if end is not None:
        row.update(
            state=SlaState.BREACHED if breached else SlaState.FULFILLED,
            fulfilled_at=end,
            breached_at=breached_at,
        )
        if breached:  # the log's verdict: late
            events[-1]["data"]["late"] = True
    elif runs(status):
        elapsed = b if target.clock == SlaClockKind.BUSINESS else w
        due = sla.add_minutes(target.clock, spec, since, max(0, target.minutes - elapsed))
        row.update(
            state=SlaState.BREACHED if breached else SlaState.ACTIVE,
            running_since=since,
            due_at=due,
            breached_at=breached_at,
        )
    else:
        row.update(
            state=SlaState.BREACHED if breached else SlaState.PAUSED, breached_at=breached_at
        )
    if breached_at is not None:
        events.append(_event(SlaEventKind.BREACHED, metric, breached_at, 0, 0, source="log"))
        events.sort(key=lambda e: e["at"])
    return Clock(row, events)


# --- reading -------------------------------------------------------------------------------


def _open_text(path: Path) -> tuple[io.TextIOBase, list[Any]]:
    """The CSV text of `path` (a .csv, or a .zip whose first .csv member is read)."""
    if not path.is_file():
        raise ImportFileError(_("No such file: %(path)s") % {"path": path})
    closers: list[Any] = []
    try:
        if path.suffix.lower() == ".zip":
            archive = zipfile.ZipFile(path)
            closers.append(archive)
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise ImportFileError(_("The .zip file holds no .csv file."))
            raw = archive.open(names[0])
            closers.append(raw)
        elif path.suffix.lower() in (".csv", ".txt"):
            raw = path.open("rb")
            closers.append(raw)
        else:
            raise ImportFileError(_("Give the incident log as a .csv file or a .zip holding one."))
    except zipfile.BadZipFile as e:
        raise ImportFileError(_("This is not a readable .zip file.")) from e
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    closers.insert(0, text)
    return text, closers


def _headers(record: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, h in enumerate(record):
        name = h.strip().lower()
        name = ALIASES.get(name, name)
        if name == "category" and name in index:
            name = "category.1"  # the second `category` column is the subcategory
        index.setdefault(name, i)
    return index


class _Reader:
    """Checks each row and turns it into an `_Event`, collecting errors."""

    def __init__(self, tz: ZoneInfo, index: dict[str, int], headers: list[str]) -> None:
        self.tz = tz
        self.index = index
        self.headers = headers
        self.dates: dict[str, dt.datetime | None] = {}
        self.errors: list[RowError] = []

    def _error(self, row: int, name: str, value: str, reason: str) -> None:
        column = self.headers[self.index[name]] if name in self.index else name
        self.errors.append(RowError(row, column, value[:100], reason))

    def _date(self, text: str) -> dt.datetime | None:
        """None for a bad date; raises nothing (the caller reports)."""
        if text in self.dates:
            return self.dates[text]
        m = _DATE.match(text)
        value = None
        if m:
            d, mo, y, h, mi, s = (int(g) if g else 0 for g in m.groups())
            try:
                value = dt.datetime(y, mo, d, h, mi, s, tzinfo=self.tz)
            except ValueError:
                value = None
        self.dates[text] = value
        return value

    def event(self, row: int, cells: list[str]) -> tuple[str, _Event | None]:
        def cell(name: str) -> str:
            i = self.index.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        before = len(self.errors)
        raw_number = cell("number")
        number = raw_number if raw_number.upper().startswith(NUMBER_PREFIX) else ""
        number = number or (NUMBER_PREFIX + raw_number if raw_number else "")
        if not raw_number or raw_number == UNKNOWN:
            self._error(row, "number", raw_number, _("An incident number is required."))
        elif len(number) > 30:
            self._error(row, "number", raw_number, _("At most %(n)d characters.") % {"n": 30})
        times: dict[str, dt.datetime | None] = {}
        for name in ("opened_at", "sys_updated_at", "resolved_at", "closed_at"):
            text = cell(name)
            if text in ("", UNKNOWN):
                times[name] = None
                if name in ("opened_at", "sys_updated_at"):
                    self._error(row, name, text, _("A date and time is required."))
                continue
            times[name] = self._date(text)
            if times[name] is None:
                self._error(
                    row, name, text, _("Not a date and time; the log writes d/m/yyyy hh:mm.")
                )
        state_text = cell("ident_state")
        status: str | None = None
        if state_text != NO_STATE:
            found = STATES.get(state_text.lower())
            if found is None:
                self._error(
                    row,
                    "ident_state",
                    state_text,
                    _("Not one of: %(values)s.")
                    % {"values": "New, Active, Awaiting User Info, Awaiting Evidence, "
                       "Awaiting Vendor, Awaiting Problem, Resolved, Closed, -100"},
                )  # fmt: skip
            status = found
        counts: dict[str, int] = {}
        for name in ("reopen_count", "sys_mod_count"):
            text = cell(name) or "0"
            if not text.isdigit():
                self._error(row, name, text, _("Not a whole number of at least 0."))
            counts[name] = int(text) if text.isdigit() else 0
        made_sla = cell("made_sla").lower()
        if made_sla not in ("true", "false"):
            self._error(row, "made_sla", cell("made_sla"), _("Write true or false."))
        channel = CHANNELS.get(cell("contact_type").lower())
        if channel is None:
            self._error(
                row,
                "contact_type",
                cell("contact_type"),
                _("Not one of: %(values)s.")
                % {"values": "Phone, IVR, Email, Self service, Direct opening"},
            )
        priority = cell("priority")
        severity = SEVERITIES.get(priority[:1]) if priority else None
        if severity is None:
            self._error(row, "priority", priority, _("Not one of: %(values)s.") % {"values": "1-4"})
        if len(self.errors) > before:
            return number, None
        assert times["sys_updated_at"] is not None and times["opened_at"] is not None
        assert channel is not None and severity is not None
        caller = cell("caller_id").removeprefix("Caller ").strip()
        category = cell("category").removeprefix("Category ").strip()
        assignee = cell("assigned_to").removeprefix("Resolver ").strip()
        described = [
            f"{'subcategory' if name == 'category.1' else name}: {cell(name)}"
            for name in DESCRIBED
            if cell(name) not in ("", UNKNOWN)
        ]
        return number, _Event(
            row=row,
            at=times["sys_updated_at"],
            mod=counts["sys_mod_count"],
            status=status,
            reopen_count=counts["reopen_count"],
            made_sla=made_sla == "true",
            opened_at=times["opened_at"],
            caller=caller if caller not in ("", UNKNOWN) else "",
            channel=channel,
            category=category if category not in ("", UNKNOWN) else "",
            severity=severity,
            assignee=assignee if assignee not in ("", UNKNOWN) else "",
            resolved_at=times["resolved_at"],
            closed_at=times["closed_at"],
            description="; ".join(described),
        )


def _read(
    path: Path, tz: ZoneInfo, result: ImportResult, progress: Progress
) -> dict[str, _Incident]:
    text, closers = _open_text(path)
    incidents: dict[str, _Incident] = {}
    try:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as e:
            raise ImportFileError(_("The file is not a CSV file in UTF-8: %(e)s") % {"e": e}) from e
        if header is None:
            raise ImportFileError(_("The file is empty."))
        index = _headers(header)
        missing = [c for c in REQUIRED if c not in index]
        if missing:
            raise ImportFileError(
                _("Required columns are missing: %(cols)s.") % {"cols": ", ".join(missing)}
            )
        result.ignored_columns = [
            h
            for h, i in zip(header, range(len(header)), strict=True)
            if not any(index.get(n) == i for n in (*REQUIRED, *OPTIONAL, *DESCRIBED))
        ]
        checker = _Reader(tz, index, header)
        try:
            for row, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                result.rows += 1
                number, event = checker.event(row, cells)
                incident = incidents.get(number)
                if incident is None:
                    incident = incidents[number] = _Incident(number)
                if event is None:
                    incident.bad = True
                else:
                    incident.events.append(event)
                if result.rows % 20_000 == 0:
                    progress("check", result.rows, result.rows)
        except (UnicodeDecodeError, csv.Error) as e:
            raise ImportFileError(_("The file is not a CSV file in UTF-8: %(e)s") % {"e": e}) from e
        result.errors.extend(checker.errors)
    finally:
        for c in closers:
            c.close()
    incidents.pop("", None)
    return incidents


# --- writing -------------------------------------------------------------------------------


def _store_zone(store: Store) -> ZoneInfo:
    calendar = store.calendar
    return ZoneInfo(calendar.timezone if calendar is not None else settings.TIME_ZONE)


class _Lookups:
    """The organisation's categories, resolver users and callers, created when missing."""

    def __init__(
        self, organisation: Organisation, store: Store, incidents: list[_Incident]
    ) -> None:
        self.organisation = organisation
        self.store = store
        self.incidents = incidents

    def categories(self) -> dict[str, Category]:
        org = self.organisation
        parent, _created = Category.objects.get_or_create(
            organisation=org,
            code=PARENT_CODE,
            defaults={"name_zh": "IT 事件", "name_en": "IT incidents", "position": 900},
        )
        wanted = {i.events[-1].category for i in self.incidents}
        codes = {w: f"{PARENT_CODE}-{w}" if w else f"{PARENT_CODE}-unknown" for w in wanted}
        existing = {
            c.code: c
            for c in Category.objects.filter(organisation=org, code__in=list(codes.values()))
        }
        new = [
            Category(
                organisation=org,
                parent=parent,
                code=code,
                name_zh=f"类别 {w}" if w else "未知类别",
                name_en=f"Category {w}" if w else "Unknown category",
                position=int(w) if w.isdigit() else 0,
            )
            for w, code in sorted(codes.items())
            if code not in existing
        ]
        for c in Category.objects.bulk_create(new):
            existing[c.code] = c
        for c in existing.values():
            c.parent = parent
        return {w: existing[code] for w, code in codes.items()}

    def owners(self) -> dict[str, int]:
        """An inactive staff member of the store per resolver (“Resolver 149”); incidents
        nobody was assigned to get one “Unassigned” member."""
        org = self.organisation
        wanted = {_assignee(i) for i in self.incidents}
        names = {w: f"it{org.pk}-resolver-{w}" if w else f"it{org.pk}-unassigned" for w in wanted}
        found = dict(
            User.objects.filter(username__in=list(names.values())).values_list("username", "id")
        )
        missing = [
            User(
                username=username,
                organisation=org,
                store=self.store,
                role=Role.AGENT,
                is_active=False,
                display_name=f"Resolver {w}" if w else "Unassigned (IT log)",
                password=make_password(None),
            )
            for w, username in sorted(names.items())
            if username not in found
        ]
        for u in User.objects.bulk_create(missing):
            found[u.username] = u.pk
        return {w: found[username] for w, username in names.items()}

    def customers(self, now: dt.datetime) -> dict[str, int]:
        """A customer per caller (“Caller 2403”, no phone) in the store, reused if there."""
        wanted = {i.events[-1].caller for i in self.incidents}
        names = {w: f"Caller {w}" if w else "Caller unknown" for w in wanted}
        found: dict[str, int] = {}
        for pk, name in (
            Customer.objects.filter(
                organisation=self.organisation, store=self.store, name__in=list(names.values())
            )
            .order_by("-id")
            .values_list("id", "name")
        ):
            found[name] = pk
        missing = sorted({n for n in names.values() if n not in found})
        rows = [
            {"organisation_id": self.organisation.pk, "store_id": self.store.pk, "name": n}
            for n in missing
        ]
        for name, pk in zip(missing, insert_returning_ids(Customer, rows, now=now), strict=True):
            found[name] = pk
        return {w: found[n] for w, n in names.items()}


def _assignee(incident: _Incident) -> str:
    """The last resolver the incident was assigned to ("" if never)."""
    return next((e.assignee for e in reversed(incident.events) if e.assignee), "")


@dataclass
class _Policies:
    policies: list[SlaPolicy]
    store: Store
    specs: dict[int | None, CalendarSpec] = field(default_factory=dict)

    def spec(self, policy: SlaPolicy | None) -> CalendarSpec:
        key = policy.pk if policy is not None and policy.calendar_id is not None else None
        if key not in self.specs:
            if key is not None and policy is not None and policy.calendar is not None:
                self.specs[key] = policy.calendar.spec()
            elif self.store.calendar is not None:
                self.specs[key] = self.store.calendar.spec()
            else:
                self.specs[key] = sla.ALWAYS_OPEN
        return self.specs[key]


def import_incidents(
    *,
    path: Path,
    organisation: Organisation,
    store: Store,
    actor: User | None = None,
    skip_bad_rows: bool = False,
    progress: Progress = no_progress,
) -> ImportResult:
    if store.organisation_id != organisation.pk:
        raise ImportFileError(_("Unknown store code."))
    result = ImportResult("incidents", path)
    incidents = _read(path, _store_zone(store), result, progress)
    taken = set(
        Case.objects.filter(organisation=organisation, number__in=list(incidents)).values_list(
            "number", flat=True
        )
    )
    for number in sorted(taken):
        incident = incidents[number]
        first = min(e.row for e in incident.events) if incident.events else 0
        if first:
            result.errors.append(
                RowError(
                    first,
                    "number",
                    number,
                    _("A case with this number exists: this incident was imported before."),
                )
            )
        incident.bad = True
    result.errors.sort(key=lambda e: e.row)
    progress("check", result.rows, result.rows)
    if result.errors and not skip_bad_rows:
        return result
    good = [i for i in incidents.values() if not i.bad and i.events]
    for incident in good:
        incident.events.sort(key=lambda e: (e.at, e.mod, e.row))
    try:
        with transaction.atomic():
            result.imported = _write(good, organisation, store, actor, path, progress)
    except IntegrityError as e:
        raise ImportFileError(
            _("Nothing was imported: the data changed during the import (%(e)s). Try again.")
            % {"e": e}
        ) from e
    return result


def _write(
    incidents: list[_Incident],
    organisation: Organisation,
    store: Store,
    actor: User | None,
    path: Path,
    progress: Progress,
) -> int:
    now = timezone.now()
    lookups = _Lookups(organisation, store, incidents)
    categories = lookups.categories()
    owners = lookups.owners()
    callers = lookups.customers(now)
    policies = _Policies(sla.active_policies(organisation.pk), store)
    total = len(incidents)
    case_rows: list[dict[str, Any]] = []
    timelines: list[Timeline] = []
    chosen: list[SlaPolicy | None] = []
    for incident in incidents:
        last = incident.events[-1]
        t = timeline(incident.events)
        category = categories[last.category]
        facts = sla.CaseFacts(
            severity=last.severity,
            channel=last.channel,
            category_codes=frozenset({category.code, PARENT_CODE}),
            customer_tier="regular",
            store_code=store.code,
        )
        policy = sla.choose_policy(policies.policies, facts)
        resolved_at = None
        if t.status in DONE:
            resolved_at = last.resolved_at or next(
                (tr.at for tr in reversed(t.transitions) if tr.new == Status.RESOLVED), t.done_at
            )
        closed_at = (last.closed_at or t.transitions[-1].at) if t.status == Status.CLOSED else None
        case_rows.append(
            {
                "organisation_id": organisation.pk,
                "number": incident.number,
                "customer_id": callers[last.caller],
                "store_id": store.pk,
                "channel": last.channel,
                "category_id": category.pk,
                "severity": last.severity,
                "summary": _("IT incident %(number)s (%(category)s)")
                % {"number": incident.number, "category": category.name_en},
                "description": last.description,
                "received_at": t.opened_at,
                "owner_id": owners[_assignee(incident)],
                "status": t.status,
                "escalation_level": 0,
                "reopen_count": t.reopen_count,
                "sla_policy_id": policy.pk if policy is not None else None,
                "first_responded_at": t.first_responded_at,
                "resolved_at": resolved_at,
                "closed_at": closed_at,
                "created_by_id": actor.pk if actor is not None else None,
            }
        )
        timelines.append(t)
        chosen.append(policy)
    case_ids: list[int] = []
    for start in range(0, total, WRITE_CHUNK):
        case_ids += insert_returning_ids(Case, case_rows[start : start + WRITE_CHUNK], now=now)
        progress("write", len(case_ids), total)
    audit_rows: list[dict[str, Any]] = []
    clock_rows: list[dict[str, Any]] = []
    sla_rows: list[dict[str, Any]] = []
    due: dict[int, dt.datetime] = {}
    for case_id, row, t, policy in zip(case_ids, case_rows, timelines, chosen, strict=True):
        for tr in t.transitions:
            audit_rows.append(
                {
                    "organisation_id": organisation.pk,
                    "case_id": case_id,
                    "customer_id": row["customer_id"],
                    "kind": EventKind.REOPENED if tr.reopens else EventKind.STATUS,
                    "changes": {"status": [tr.old, tr.new]},
                    "at": tr.at,
                }
            )
        if policy is None:
            continue
        targets = {tg.metric: tg for tg in policy.targets.all()}
        spec = policies.spec(policy)
        pause_on = frozenset(policy.pause_on or sla.DEFAULT_PAUSE_ON)
        clocks = []
        if SlaMetric.FIRST_RESPONSE in targets:
            clocks.append(first_response_clock(t, targets[SlaMetric.FIRST_RESPONSE], spec))
        if SlaMetric.RESOLUTION in targets:
            clocks.append(resolution_clock(t, targets[SlaMetric.RESOLUTION], spec, pause_on))
        for clock in clocks:
            clock_rows.append({"case_id": case_id, **clock.row})
            for e in clock.events:
                sla_rows.append({"case_id": case_id, "policy_id": policy.pk, **e})
            running_due = clock.row.get("due_at")
            if running_due is not None and clock.row.get("running_since") is not None:
                due[case_id] = min(due.get(case_id, running_due), running_due)
    for model, rows in ((AuditEvent, audit_rows), (CaseSla, clock_rows), (SlaEvent, sla_rows)):
        for start in range(0, len(rows), WRITE_CHUNK):
            insert_returning_ids(model, rows[start : start + WRITE_CHUNK], now=now)
    for case_id, next_due in due.items():  # open cases only: few
        Case.objects.filter(pk=case_id).update(next_due_at=next_due)
    record_event(
        organisation_id=organisation.pk,
        kind=EventKind.IMPORTED,
        actor=actor,
        message=_("%(n)d incidents imported from %(file)s with %(events)d status changes")
        % {"n": total, "file": path.name, "events": len(audit_rows)},
        changes={"cases": [0, total]},
        at=now,
    )
    progress("write", total, total)
    return total
