"""SLA clocks of a case: which policy applies, and starting, pausing, resuming, fulfilling and
re-evaluating the clocks. Time arithmetic is delegated to the pure calendar engine; these
functions write `CaseSla` rows and the append-only `SlaEvent` log and are called by services
inside their transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Min, Q

from manyi.calendars.engine import CalendarSpec, add_business_minutes, business_minutes_between
from manyi.cases.choices import SlaClockKind, SlaEventKind, SlaMetric, SlaState
from manyi.cases.models import Case, CaseSla, SlaEvent, SlaPolicy, SlaTarget

DEFAULT_PAUSE_ON = ("waiting_customer", "waiting_third_party")
ALWAYS_OPEN = CalendarSpec.from_dict(
    {
        "timezone": "Asia/Shanghai",
        "weekly_hours": {
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    }
)


@dataclass(frozen=True)
class CaseFacts:
    """What policy matching looks at."""

    severity: str
    channel: str
    category_codes: frozenset[str]  # the category's code and its parent's
    customer_tier: str
    store_code: str


def facts_for(case: Case) -> CaseFacts:
    category = case.category
    codes = {category.code}
    if category.parent_id is not None and category.parent is not None:
        codes.add(category.parent.code)
    return CaseFacts(
        severity=case.severity,
        channel=case.channel,
        category_codes=frozenset(codes),
        customer_tier=case.customer.tier,
        store_code=case.store.code,
    )


def active_policies(organisation_id: int) -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(organisation_id=organisation_id, active=True)
        .select_related("calendar")
        .prefetch_related("targets")
    )


def policy_matches(match: dict[str, Sequence[str]], facts: CaseFacts) -> bool:
    """True when every non-empty condition of `match` holds for the case."""
    checks: dict[str, Iterable[str]] = {
        "severity": [facts.severity],
        "channel": [facts.channel],
        "category": facts.category_codes,
        "customer_tier": [facts.customer_tier],
        "store": [facts.store_code],
    }
    for key, wanted in (match or {}).items():
        if not wanted:
            continue
        if key not in checks:
            return False
        if not set(checks[key]) & set(wanted):
            return False
    return True


def choose_policy(policies: Sequence[SlaPolicy], facts: CaseFacts) -> SlaPolicy | None:
    """The lowest-ranked active policy whose conditions all hold; else the default policy."""
    default = None
    for policy in sorted(policies, key=lambda p: (p.rank, p.pk or 0)):
        if not policy.active:
            continue
        if policy.is_default:
            default = default or policy
            continue
        if policy_matches(policy.match, facts):
            return policy
    return default


def policy_for(case: Case) -> SlaPolicy | None:
    return choose_policy(active_policies(case.organisation_id), facts_for(case))


def calendar_spec(policy: SlaPolicy | None, case: Case) -> CalendarSpec:
    """The policy's calendar, else the store's; a store without a calendar is open 24/7."""
    calendar = None
    if policy is not None and policy.calendar_id is not None:
        calendar = policy.calendar
    elif case.store.calendar_id is not None:
        calendar = case.store.calendar
    return calendar.spec() if calendar is not None else ALWAYS_OPEN


def add_minutes(clock: str, spec: CalendarSpec, start: dt.datetime, minutes: int) -> dt.datetime:
    if clock == SlaClockKind.BUSINESS:
        return add_business_minutes(spec, start, minutes)
    return start + dt.timedelta(minutes=minutes)


def elapsed_between(spec: CalendarSpec, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(business minutes, wall-clock minutes) between two instants."""
    if end <= start:
        return 0, 0
    wall = int((end - start).total_seconds() // 60)
    return business_minutes_between(spec, start, end), wall


class ClockBook:
    """The SLA clocks of one case, changed together and saved with their events."""

    def __init__(
        self,
        case: Case,
        policy: SlaPolicy | None,
        *,
        now: dt.datetime,
        clocks: Iterable[CaseSla] | None = None,
    ) -> None:
        """`clocks` = the case's clocks when the caller has them (none for a new case)."""
        self.case = case
        self.policy = policy
        self.now = now
        self.spec = calendar_spec(policy, case)
        if clocks is None:
            clocks = CaseSla.objects.filter(case=case)
        self.clocks = {c.metric: c for c in clocks}
        self.events: list[SlaEvent] = []
        self.dirty: set[str] = set()
        self.pause_on = set(policy.pause_on if policy and policy.pause_on else DEFAULT_PAUSE_ON)

    # --- helpers -------------------------------------------------------------------------
    def targets(self) -> dict[str, SlaTarget]:
        if self.policy is None:
            return {}
        return {t.metric: t for t in self.policy.targets.all()}

    def _event(self, c: CaseSla, kind: SlaEventKind, **data: object) -> None:
        self.events.append(
            SlaEvent(
                case=self.case,
                metric=c.metric,
                kind=kind,
                at=self.now,
                policy=self.policy,
                due_at=c.due_at,
                business_minutes_elapsed=c.business_minutes_elapsed,
                calendar_minutes_elapsed=c.calendar_minutes_elapsed,
                data=dict(data),
            )
        )

    def _elapsed(self, clock: CaseSla) -> int:
        return (
            clock.business_minutes_elapsed
            if clock.clock == SlaClockKind.BUSINESS
            else clock.calendar_minutes_elapsed
        )

    def _bank(self, clock: CaseSla) -> None:
        """Add the running segment to the stored elapsed minutes and restart it at now."""
        if clock.running_since is not None:
            b, w = elapsed_between(self.spec, clock.running_since, self.now)
            clock.business_minutes_elapsed += b
            clock.calendar_minutes_elapsed += w
            clock.running_since = self.now

    def _schedule(self, clock: CaseSla, start: dt.datetime) -> None:
        """Set due/warn times of a running clock from `start` and its elapsed minutes."""
        elapsed = self._elapsed(clock)
        clock.due_at = add_minutes(
            clock.clock, self.spec, start, max(0, clock.target_minutes - elapsed)
        )
        warn_pct = self.policy.warn_at_percent if self.policy else 75
        threshold = clock.target_minutes * warn_pct // 100
        if clock.state == SlaState.ACTIVE and clock.warned_at is None:
            clock.warn_at = add_minutes(clock.clock, self.spec, start, max(0, threshold - elapsed))
        else:
            clock.warn_at = None

    def _start(self, metric: str, target: SlaTarget, start: dt.datetime) -> CaseSla:
        clock = CaseSla(
            case=self.case,
            metric=metric,
            target_minutes=target.minutes,
            clock=target.clock,
            state=SlaState.ACTIVE,
            started_at=start,
            running_since=start,
        )
        if self.case.status in self.pause_on:
            clock.state = SlaState.PAUSED
            clock.running_since = None
        else:
            self._schedule(clock, start)
        self.clocks[metric] = clock
        self.dirty.add(metric)
        self._event(clock, SlaEventKind.APPLIED, target=target.minutes, clock=target.clock)
        return clock

    # --- operations ----------------------------------------------------------------------
    def start_new_case(self) -> None:
        targets = self.targets()
        for metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.RESOLUTION):
            if metric in targets:
                self._start(metric, targets[metric], self.case.received_at)

    def pause(self) -> None:
        for clock in self.clocks.values():
            if clock.running_since is None or clock.state in (
                SlaState.FULFILLED,
                SlaState.PAUSED,
            ):
                continue
            self._bank(clock)
            clock.running_since = None
            if clock.state == SlaState.ACTIVE:
                clock.state = SlaState.PAUSED
                clock.due_at = None
                clock.warn_at = None
            self.dirty.add(clock.metric)
            self._event(clock, SlaEventKind.PAUSED, status=self.case.status)

    def resume(self) -> None:
        for clock in self.clocks.values():
            if clock.running_since is not None or clock.state == SlaState.FULFILLED:
                continue
            clock.running_since = self.now
            if clock.state == SlaState.PAUSED:
                clock.state = SlaState.ACTIVE
                self._schedule(clock, self.now)
            self.dirty.add(clock.metric)
            self._event(clock, SlaEventKind.RESUMED, status=self.case.status)

    def fulfil(self, metric: str) -> None:
        clock = self.clocks.get(metric)
        if clock is None or clock.state == SlaState.FULFILLED or clock.fulfilled_at:
            return
        self._bank(clock)
        self._late(clock)
        clock.running_since = None
        clock.fulfilled_at = self.now
        clock.warn_at = None
        if clock.state != SlaState.BREACHED:
            clock.state = SlaState.FULFILLED
            clock.due_at = None
        self.dirty.add(metric)
        self._event(clock, SlaEventKind.FULFILLED, late=clock.state == SlaState.BREACHED)

    def _late(self, clock: CaseSla) -> None:
        """A running clock met after its due time that the sweep had not yet marked (the
        worker was stopped, or old cases are entered with their own times): it is breached
        all the same, at its due time."""
        if clock.state == SlaState.ACTIVE and clock.due_at is not None and self.now > clock.due_at:
            clock.state = SlaState.BREACHED
            clock.breached_at = clock.due_at
            self._event(clock, SlaEventKind.BREACHED, noticed="when met")

    def stop(self, metric: str) -> None:
        """End a clock without it being met or missed (next_update when a case resolves)."""
        clock = self.clocks.get(metric)
        if clock is None or clock.fulfilled_at or clock.state == SlaState.FULFILLED:
            return
        self._bank(clock)
        clock.running_since = None
        clock.warn_at = None
        clock.fulfilled_at = self.now
        if clock.state != SlaState.BREACHED:
            clock.state = SlaState.FULFILLED
            clock.due_at = None
        self.dirty.add(metric)
        self._event(clock, SlaEventKind.STOPPED)

    def customer_heard_from_us(self) -> None:
        """A customer-facing response: first_response is met and a next_update cycle starts."""
        self.fulfil(SlaMetric.FIRST_RESPONSE)
        target = self.targets().get(SlaMetric.NEXT_UPDATE)
        if target is None:
            return
        clock = self.clocks.get(SlaMetric.NEXT_UPDATE)
        if clock is None:
            self._start(SlaMetric.NEXT_UPDATE, target, self.now)
            return
        if clock.state != SlaState.FULFILLED and not clock.fulfilled_at:
            self._bank(clock)
            self._late(clock)
            self._event(
                clock,
                SlaEventKind.FULFILLED,
                late=clock.state == SlaState.BREACHED,
                cycle=clock.cycle,
            )
        clock.cycle += 1
        clock.started_at = self.now
        clock.running_since = self.now
        clock.business_minutes_elapsed = 0
        clock.calendar_minutes_elapsed = 0
        clock.warned_at = clock.breached_at = clock.fulfilled_at = None
        clock.target_minutes = target.minutes
        clock.clock = target.clock
        clock.state = SlaState.ACTIVE
        if self.case.status in self.pause_on:
            clock.state = SlaState.PAUSED
            clock.running_since = None
            clock.due_at = clock.warn_at = None
        else:
            self._schedule(clock, self.now)
        self.dirty.add(clock.metric)
        self._event(clock, SlaEventKind.APPLIED, cycle=clock.cycle, target=target.minutes)

    def resolved(self) -> None:
        # Resolving tells the customer the outcome, so an unanswered case's first response is
        # met at that moment too (late if its clock had already breached).
        self.fulfil(SlaMetric.FIRST_RESPONSE)
        self.fulfil(SlaMetric.RESOLUTION)
        self.stop(SlaMetric.NEXT_UPDATE)

    def reopened(self) -> None:
        """A reopened case runs its resolution clock again from where it stopped."""
        clock = self.clocks.get(SlaMetric.RESOLUTION)
        if clock is not None:
            clock.fulfilled_at = None
            clock.running_since = self.now
            if clock.state == SlaState.FULFILLED:
                clock.state = SlaState.ACTIVE
                self._schedule(clock, self.now)
            self.dirty.add(clock.metric)
            self._event(clock, SlaEventKind.RESUMED, reason="reopened")
        if self.case.last_responded_at is not None:
            target = self.targets().get(SlaMetric.NEXT_UPDATE)
            if target is not None:
                self.customer_heard_from_us_restart(target)

    def customer_heard_from_us_restart(self, target: SlaTarget) -> None:
        clock = self.clocks.get(SlaMetric.NEXT_UPDATE)
        if clock is None:
            self._start(SlaMetric.NEXT_UPDATE, target, self.now)
            return
        clock.cycle += 1
        clock.started_at = clock.running_since = self.now
        clock.business_minutes_elapsed = clock.calendar_minutes_elapsed = 0
        clock.warned_at = clock.breached_at = clock.fulfilled_at = None
        clock.state = SlaState.ACTIVE
        self._schedule(clock, self.now)
        self.dirty.add(clock.metric)
        self._event(clock, SlaEventKind.APPLIED, cycle=clock.cycle, target=target.minutes)

    def reevaluate(self, old_policy: SlaPolicy | None) -> None:
        """Apply the (possibly new) policy's targets to the clocks, keeping elapsed time."""
        targets = self.targets()
        for metric, clock in list(self.clocks.items()):
            target = targets.get(metric)
            if target is None:
                self._bank(clock)
                self._event(clock, SlaEventKind.STOPPED, reason="policy")
                clock.delete()
                del self.clocks[metric]
                self.dirty.discard(metric)
                continue
            if clock.state == SlaState.FULFILLED or clock.fulfilled_at:
                continue
            self._bank(clock)
            clock.target_minutes = target.minutes
            clock.clock = target.clock
            if clock.state == SlaState.ACTIVE:
                self._schedule(clock, self.now)
            self.dirty.add(metric)
            self._event(
                clock,
                SlaEventKind.REEVALUATED,
                target=target.minutes,
                clock=target.clock,
                old_policy=old_policy.pk if old_policy else None,
            )
        for metric, target in targets.items():
            if metric in self.clocks:
                continue
            if (metric == SlaMetric.FIRST_RESPONSE and self.case.first_responded_at is None) or (
                metric == SlaMetric.RESOLUTION and self.case.resolved_at is None
            ):
                self._start(metric, target, self.case.received_at)
            elif (
                metric == SlaMetric.NEXT_UPDATE
                and self.case.last_responded_at is not None
                and self.case.is_open
            ):
                self._start(metric, target, self.case.last_responded_at)

    def next_due(self) -> dt.datetime | None:
        """The earliest due time of the running clocks (active or breached)."""
        dues = [
            c.due_at
            for c in self.clocks.values()
            if c.running_since is not None
            and c.due_at is not None
            and c.state in (SlaState.ACTIVE, SlaState.BREACHED)
        ]
        return min(dues) if dues else None

    def save(self) -> None:
        """Write changed clocks and the events; keep the case's `next_due_at` in step."""
        new = [self.clocks[m] for m in self.dirty if self.clocks[m].pk is None]
        if new:
            CaseSla.objects.bulk_create(new)
        for metric in self.dirty:
            clock = self.clocks[metric]
            if clock not in new:
                clock.save()
        if self.events:
            SlaEvent.objects.bulk_create(self.events)
        self.dirty.clear()
        self.events.clear()
        next_due = self.next_due()
        if next_due != self.case.next_due_at:
            Case.objects.filter(pk=self.case.pk).update(next_due_at=next_due)
            self.case.next_due_at = next_due


def refresh_next_due(case: Case) -> None:
    """Store the earliest due time of the case's running clocks on the case (its sort key)."""
    next_due = (
        CaseSla.objects.filter(case=case, running_since__isnull=False)
        .filter(Q(state=SlaState.ACTIVE) | Q(state=SlaState.BREACHED))
        .aggregate(m=Min("due_at"))["m"]
    )
    if next_due != case.next_due_at:
        Case.objects.filter(pk=case.pk).update(next_due_at=next_due)
        case.next_due_at = next_due


@dataclass(frozen=True)
class LiveClock:
    metric: str
    due_at: dt.datetime | None
    state: str
    business_minutes_elapsed: int
    calendar_minutes_elapsed: int
    target_minutes: int
    clock: str
    warned: bool


def live_clocks(case: Case, clocks: Iterable[CaseSla], *, now: dt.datetime) -> list[LiveClock]:
    """The clocks as the API and the case page show them: elapsed minutes counted up to now."""
    spec: CalendarSpec | None = None
    out = []
    order = {m: i for i, m in enumerate(SlaMetric.values)}
    for c in sorted(clocks, key=lambda c: order.get(c.metric, 9)):
        b, w = c.business_minutes_elapsed, c.calendar_minutes_elapsed
        if c.running_since is not None:
            if spec is None:
                spec = calendar_spec(case.sla_policy, case)
            db, dw = elapsed_between(spec, c.running_since, now)
            b, w = b + db, w + dw
        out.append(
            LiveClock(
                metric=c.metric,
                due_at=c.due_at,
                state=c.state,
                business_minutes_elapsed=b,
                calendar_minutes_elapsed=w,
                target_minutes=c.target_minutes,
                clock=c.clock,
                warned=c.warned_at is not None,
            )
        )
    return out
