"""Every write of service recovery: recovery actions within authority and their approval, the
nine-principle checklist, compensation guides, authority limits and store budgets.

Authority (DOMAIN.md §3: escalate at once when beyond one's authority):

- Each staff member may approve recovery actions up to their *authority limit* in yuan: their
  own `User.authority_limit` if set, else their role's limit in `limits_for(organisation)`.
- A role's limit is the organisation's `authority_limits[role]` when the organisation has an
  entry for it, else `DEFAULT_AUTHORITY_LIMITS[role]` (agent 200, supervisor 1,000, store
  manager 5,000, organisation admin no limit). A stored `null` means no limit; a role the
  table does not know has a limit of 0.
- `None` as a limit means *no limit*; `Decimal("0")` means no authority beyond free actions.
- An action within the author's limit is approved at once; above it, it waits (`pending`) for
  someone else whose limit covers it and who works in the case's store. Nobody decides their
  own action. Only an approved action can be given to the customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.choices import ORG_WIDE_ROLES, Role
from manyi.accounts.models import Organisation, Store, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.choices import Severity, Status
from manyi.cases.models import Case, Category
from manyi.core.db import lock_self
from manyi.core.errors import DomainError, NotFound, ValidationFailed
from manyi.core.scoping import cases_for
from manyi.notifications.services import Message, queue_notifications
from manyi.recovery import selectors
from manyi.recovery.choices import SPENT_STATES, ActionKind, ActionState, Principle
from manyi.recovery.models import ChecklistTick, CompensationGuide, RecoveryAction

MAX_VALUE = Decimal("1000000")
# The decision reason of an action approved at once; shown translated (recovery_tags).
WITHIN_AUTHORITY = "within authority"
CENT = Decimal("0.01")

DEFAULT_AUTHORITY_LIMITS: dict[str, Decimal | None] = {
    Role.AGENT.value: Decimal("200"),
    Role.SUPERVISOR.value: Decimal("1000"),
    Role.STORE_MANAGER.value: Decimal("5000"),
    Role.ORG_ADMIN.value: None,
}


# --- authority ----------------------------------------------------------------------------


def yuan(value: Decimal | None) -> str:
    """¥1,234.50 — or "no limit" for None."""
    if value is None:
        return _("no limit")
    return f"¥{value:,.2f}"


def clean_value(value: Any, *, field: str = "value") -> Decimal:
    """An amount in yuan: not negative, at most two decimals, at most ¥1,000,000."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount in yuan, e.g. 200 or 199.50."), field=field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter an amount in yuan, e.g. 200 or 199.50."), field=field)
    if amount < 0:
        raise DomainError(_("The amount cannot be negative."), field=field)
    if amount != amount.quantize(CENT):
        raise DomainError(_("At most two decimal places (fen)."), field=field)
    if amount > MAX_VALUE:
        raise DomainError(
            _("At most %(max)s: a larger amount is surely a typing error.")
            % {"max": yuan(MAX_VALUE)},
            field=field,
        )
    return amount.quantize(CENT)


def limits_for(organisation: Organisation | None) -> dict[str, Decimal | None]:
    """Each role's authority limit: the organisation's entry if it has one, else the default
    (see the module docstring). None = no limit."""
    limits = dict(DEFAULT_AUTHORITY_LIMITS)
    stored = organisation.authority_limits if organisation is not None else {}
    if not isinstance(stored, dict):
        return limits
    for role, raw in stored.items():
        if role not in limits:
            continue
        if raw is None or raw == "":
            limits[role] = None
            continue
        try:
            limits[role] = clean_value(raw)
        except DomainError:
            limits[role] = Decimal("0")  # an unreadable entry grants nothing
    return limits


def authority_limit(
    user: User, *, limits: Mapping[str, Decimal | None] | None = None
) -> Decimal | None:
    """The most a user may approve, in yuan; None = no limit.

    The person's own limit if set, else their role's (`limits_for`). The platform superuser
    has no limit; an inactive user or one without an organisation has 0. Pass `limits` (from
    `limits_for`) to check many users of one organisation without reading it again."""
    if not user.is_active:
        return Decimal("0")
    if user.is_superuser:
        return None
    if user.authority_limit is not None:
        return user.authority_limit
    if user.organisation_id is None:
        return Decimal("0")
    table = limits if limits is not None else limits_for(user.organisation)
    return table.get(user.role, Decimal("0"))


def covers(limit: Decimal | None, value: Decimal) -> bool:
    return limit is None or value <= limit


# --- recovery actions ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeResult:
    """The new action and, when the store's budget for the month is nearly or fully used
    (counting this action and those still pending), a warning to show."""

    action: RecoveryAction
    budget_warning: str | None


def _locked_case(actor: User, case: Case) -> Case:
    """The case row, locked, if the actor may see it (else NotFound)."""
    current = (
        cases_for(actor)
        .select_for_update(**lock_self())
        .select_related("store", "organisation", "customer", "category")
        .filter(pk=case.pk)
        .first()
    )
    if current is None:
        raise NotFound(_("Not found."))
    return current


def _locked_action(actor: User, action: RecoveryAction) -> RecoveryAction:
    """The action row, locked, if it is in one of the actor's stores (else NotFound)."""
    current = (
        selectors.actions_for(actor)
        .select_for_update(**lock_self())
        .select_related("case__customer", "store", "requested_by", "organisation")
        .filter(pk=action.pk)
        .first()
    )
    if current is None:
        raise NotFound(_("Not found."))
    return current


def _action_label(action: RecoveryAction) -> str:
    return f"{ActionKind(action.kind).label} {yuan(action.value)}"


def approvers_for(action: RecoveryAction, *, organisation: Organisation) -> list[User]:
    """Who may decide a pending action: active staff of the organisation who work in its
    store (or organisation-wide), other than its requester, whose limit covers its value."""
    limits = limits_for(organisation)
    staff = (
        User.objects.filter(organisation_id=action.organisation_id, is_active=True)
        .filter(Q(role__in=[str(r) for r in ORG_WIDE_ROLES]) | Q(store_id=action.store_id))
        .filter(
            Q(role__in=[Role.SUPERVISOR, Role.STORE_MANAGER, Role.ORG_ADMIN])
            | Q(authority_limit__isnull=False)
        )
        .order_by("id")
    )
    if action.requested_by_id is not None:
        staff = staff.exclude(pk=action.requested_by_id)
    found = [u for u in staff if covers(authority_limit(u, limits=limits), action.value)]
    if found:
        return found
    # Nobody's limit covers it: the organisation admins must see it rather than nobody.
    admins = User.objects.filter(
        organisation_id=action.organisation_id, is_active=True, role=Role.ORG_ADMIN
    ).exclude(pk=action.requested_by_id or 0)
    return list(admins.order_by("id"))


def ask_approvers(action: RecoveryAction, *, actor: User, note: str) -> None:
    """Notify everyone who may decide the pending `action` (`approvers_for`) that `actor`
    asks for it, above their authority; `note` is added to the message."""
    case = action.case
    values = {
        "actor": str(actor),
        "action": _action_label(action),
        "number": case.number,
        "customer": case.customer.name,
    }
    queue_notifications(
        Message(
            recipient=user,
            kind="recovery_approval",
            case_id=case.pk,
            dedupe_key=f"recovery-pending:{action.pk}",
            subject=_("Approval needed on %(number)s: %(action)s") % values,
            body=_(
                "%(actor)s asks for %(action)s for %(customer)s (case %(number)s), above "
                "their authority. Approve or reject it in the approval queue."
            )
            % values
            + (f"\n\n{note}" if note else ""),
        )
        for user in approvers_for(action, organisation=case.organisation)
    )


def _budget_warning(status: selectors.BudgetStatus) -> str | None:
    """A warning when spent plus pending reaches 80% of the budget or goes beyond it."""
    if status.budget is None:
        return None
    committed = status.spent + status.pending
    values = {
        "month": status.month_label,
        "committed": yuan(committed),
        "budget": yuan(status.budget),
        "percent": selectors.percent_of(committed, status.budget),
    }
    level = selectors.level_of(committed, status.budget)
    if level == "exceeded":
        return (
            _(
                "Over budget: with this action the store's recovery actions for %(month)s come "
                "to %(committed)s, more than its budget of %(budget)s. A manager decides."
            )
            % values
        )
    if level == "warning":
        return (
            _(
                "Budget nearly used: with this action the store's recovery actions for "
                "%(month)s come to %(committed)s, %(percent)s%% of its budget of %(budget)s."
            )
            % values
        )
    return None


def _store_managers(store: Store) -> list[User]:
    """The store's managers; the organisation admins when it has none."""
    staff = User.objects.filter(organisation_id=store.organisation_id, is_active=True)
    managers = list(staff.filter(store_id=store.pk, role=Role.STORE_MANAGER).order_by("id"))
    return managers or list(staff.filter(role=Role.ORG_ADMIN).order_by("id"))


def _notify_budget(store: Store, *, now: dt.datetime) -> None:
    """Tell the store's manager once a month when approved spending reaches 80% of the
    budget, and once more when it goes beyond it (the outbox ignores repeats)."""
    if store.monthly_recovery_budget is None:
        return
    status = selectors.budget_status(store, now)
    if status.level == "ok":
        return
    step = "100" if status.level == "exceeded" else "80"
    values = {
        "store": store.name,
        "month": status.month_label,
        "spent": yuan(status.spent),
        "budget": yuan(status.budget),
        "percent": status.percent,
    }
    if step == "100":
        subject = _("%(store)s is over its recovery budget for %(month)s") % values
    else:
        subject = (
            _("%(store)s has used %(percent)s%% of its recovery budget for %(month)s") % values
        )
    body = (
        _("Approved recovery actions of %(store)s in %(month)s: %(spent)s of %(budget)s.") % values
    )
    queue_notifications(
        Message(
            recipient=user,
            kind="recovery_budget",
            dedupe_key=f"budget:{store.pk}:{status.month_label}:{step}",
            subject=subject,
            body=body,
        )
        for user in _store_managers(store)
    )


@transaction.atomic
def propose_action(
    *,
    actor: User,
    case: Case,
    kind: str,
    value: Decimal | int | str,
    note: str = "",
    now: dt.datetime | None = None,
) -> ProposeResult:
    """Record a recovery action on an open or resolved case (a closed case takes none).

    Within the actor's authority it is approved at once; above it, it waits for approval and
    everyone who may approve it is notified. The result carries a budget warning when the
    store's month is nearly or fully used; the budget never blocks (a manager decides)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if kind not in ActionKind.values:
        errors["kind"] = [_("Not one of the allowed values.")]
    amount = Decimal("0")
    try:
        amount = clean_value(value)
    except DomainError as e:
        errors["value"] = [e.message]
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = [_("At most %(n)d characters.") % {"n": 2000}]
    if errors:
        raise ValidationFailed(errors)
    current = _locked_case(actor, case)
    if current.status == Status.CLOSED:
        raise DomainError(
            _("The case is closed: reopen it before recording a recovery action."),
            code="case_closed",
        )
    limits = limits_for(current.organisation)
    # The limit covers what one person gives on one case, so five ¥200 actions on a ¥200
    # limit are not all approved at once: earlier live actions by the same person count too.
    earlier = RecoveryAction.objects.filter(
        case_id=current.pk,
        requested_by=actor,
        state__in=[ActionState.PENDING, *SPENT_STATES],
        guarantee_breach__isnull=True,
    ).aggregate(total=Sum("value"))["total"] or Decimal("0")
    within = covers(authority_limit(actor, limits=limits), amount + earlier)
    action = RecoveryAction.objects.create(
        organisation_id=current.organisation_id,
        store_id=current.store_id,
        case=current,
        kind=kind,
        value=amount,
        note=note,
        state=ActionState.APPROVED if within else ActionState.PENDING,
        requested_by=actor,
        requested_at=now,
        decided_by=actor if within else None,
        decided_at=now if within else None,
        decision_reason=WITHIN_AUTHORITY if within else "",
    )
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.RECOVERY,
        actor=actor,
        case=current,
        message=note,
        changes={
            "action_kind": [None, kind],
            "value": [None, str(amount)],
            "action_state": [None, action.state],
        },
        at=now,
    )
    if within:
        if amount > 0:
            _notify_budget(current.store, now=now)
    else:
        ask_approvers(action, actor=actor, note=note)
    warning = None
    if amount > 0:
        warning = _budget_warning(selectors.budget_status(current.store, now))
    return ProposeResult(action=action, budget_warning=warning)


def _may_decide(actor: User, action: RecoveryAction) -> None:
    if action.requested_by_id is not None and action.requested_by_id == actor.pk:
        raise DomainError(
            _(
                "Nobody decides their own recovery action: someone whose authority covers "
                "%(value)s must approve it."
            )
            % {"value": yuan(action.value)},
            code="own_action",
        )
    limit = authority_limit(actor, limits=limits_for(action.organisation))
    if not covers(limit, action.value):
        raise DomainError(
            _(
                "Your authority limit (%(limit)s) does not cover %(value)s: someone with a "
                "higher limit must decide."
            )
            % {"limit": yuan(limit), "value": yuan(action.value)},
            code="beyond_authority",
        )


def _must_be(action: RecoveryAction, *states: str, message: str) -> None:
    if action.state not in states:
        raise DomainError(
            message % {"state": ActionState(action.state).label},
            field="state",
            code="illegal_state",
        )


def _state_event(
    action: RecoveryAction, *, actor: User, old: str, message: str, now: dt.datetime
) -> None:
    record_event(
        organisation_id=action.organisation_id,
        kind=EventKind.RECOVERY,
        actor=actor,
        case=action.case,
        message=message,
        changes={
            "action_kind": [None, action.kind],
            "value": [None, str(action.value)],
            "action_state": [old, action.state],
        },
        at=now,
    )


def _tell_requester(action: RecoveryAction, *, actor: User, subject: str, reason: str) -> None:
    requester = action.requested_by
    if requester is None or requester.pk == actor.pk or not requester.is_active:
        return
    queue_notifications(
        [
            Message(
                recipient=requester,
                kind="recovery_decision",
                case_id=action.case_id,
                dedupe_key=f"recovery-{action.state}:{action.pk}",
                subject=subject,
                body=subject + (f"\n\n{reason}" if reason else ""),
            )
        ]
    )


def _decide(
    actor: User, action: RecoveryAction, *, state: str, reason: str, now: dt.datetime
) -> RecoveryAction:
    """Approve or reject a pending action: by someone else whose authority covers it. The
    timeline records it and the requester is told."""
    current = _locked_action(actor, action)
    if state == ActionState.APPROVED:
        refused = _("Only an action waiting for approval can be approved; this one is “%(state)s”.")
    else:
        refused = _("Only an action waiting for approval can be rejected; this one is “%(state)s”.")
    _must_be(current, ActionState.PENDING, message=refused)
    _may_decide(actor, current)
    old = current.state
    current.state = state
    current.decided_by = actor
    current.decided_at = now
    current.decision_reason = reason
    current.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    _state_event(current, actor=actor, old=old, message=reason, now=now)
    values = {"action": _action_label(current), "number": current.case.number, "by": str(actor)}
    if state == ActionState.APPROVED:
        subject = _("Approved: %(action)s on %(number)s (by %(by)s)") % values
    else:
        subject = _("Rejected: %(action)s on %(number)s (by %(by)s)") % values
    _tell_requester(current, actor=actor, subject=subject, reason=reason)
    return current


@transaction.atomic
def approve_action(
    *, actor: User, action: RecoveryAction, reason: str = "", now: dt.datetime | None = None
) -> RecoveryAction:
    """Approve a pending action: by someone else whose authority covers its value."""
    now = now or timezone.now()
    current = _decide(
        actor, action, state=ActionState.APPROVED, reason=(reason or "").strip(), now=now
    )
    if current.guarantee_breach_id is not None:  # a guarantee's payout: now tell the customer
        from manyi.recovery.guarantees import tell_customer_of_payout

        tell_customer_of_payout(current, now=now)
    if current.value > 0:
        _notify_budget(current.store, now=now)
    return current


@transaction.atomic
def reject_action(
    *, actor: User, action: RecoveryAction, reason: str, now: dt.datetime | None = None
) -> RecoveryAction:
    """Reject a pending action with a reason: by someone else whose authority covers it."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the action is rejected."), field="reason")
    return _decide(
        actor, action, state=ActionState.REJECTED, reason=reason, now=now or timezone.now()
    )


@transaction.atomic
def give_action(
    *, actor: User, action: RecoveryAction, note: str = "", now: dt.datetime | None = None
) -> RecoveryAction:
    """The customer-facing step: record that an approved action was given to the customer."""
    now = now or timezone.now()
    current = _locked_action(actor, action)
    _must_be(
        current,
        ActionState.APPROVED,
        message=_("Only an approved action can be given to the customer; this one is “%(state)s”."),
    )
    old = current.state
    current.state = ActionState.GIVEN
    current.given_by = actor
    current.given_at = now
    current.save(update_fields=["state", "given_by", "given_at"])
    _state_event(current, actor=actor, old=old, message=(note or "").strip(), now=now)
    return current


@transaction.atomic
def cancel_action(
    *, actor: User, action: RecoveryAction, reason: str = "", now: dt.datetime | None = None
) -> RecoveryAction:
    """Withdraw a pending or approved action that was not given: by its requester, or by
    someone whose authority covers its value."""
    now = now or timezone.now()
    current = _locked_action(actor, action)
    _must_be(
        current,
        ActionState.PENDING,
        ActionState.APPROVED,
        message=_("An action that is “%(state)s” cannot be cancelled."),
    )
    if current.guarantee_breach_id is not None and not actor.is_org_admin:
        raise DomainError(
            _(
                "A guarantee payout was promised to the customer: only an organisation admin may "
                "cancel it."
            ),
            code="guarantee_payout",
        )
    if current.guarantee_breach_id is not None and not (reason or "").strip():
        raise DomainError(_("Say why the payout is cancelled."), field="reason")
    if current.requested_by_id != actor.pk:
        limit = authority_limit(actor, limits=limits_for(current.organisation))
        if not covers(limit, current.value):
            raise DomainError(
                _("Only its requester or someone whose authority covers it may cancel it."),
                code="beyond_authority",
            )
    old = current.state
    current.state = ActionState.CANCELLED
    current.save(update_fields=["state"])
    _state_event(current, actor=actor, old=old, message=(reason or "").strip(), now=now)
    return current


# --- the nine-principle checklist ---------------------------------------------------------


def _principle(principle: str) -> str:
    if principle not in Principle.values:
        raise DomainError(_("Not one of the allowed values."), field="principle")
    return principle


def _checklist_case(actor: User, case: Case) -> Case:
    current = _locked_case(actor, case)
    if current.status == Status.CLOSED:
        raise DomainError(
            _("The case is closed: its checklist can no longer change."), code="case_closed"
        )
    return current


@transaction.atomic
def tick_principle(
    *, actor: User, case: Case, principle: str, now: dt.datetime | None = None
) -> ChecklistTick:
    """Tick a principle on a case. Ticking it again changes nothing: the first tick (who and
    when) stands."""
    _principle(principle)
    current = _checklist_case(actor, case)
    existing = (
        ChecklistTick.objects.filter(case_id=current.pk, principle=principle)
        .select_related("by")
        .first()
    )
    if existing is not None:
        return existing
    now = now or timezone.now()
    tick = ChecklistTick.objects.create(case=current, principle=principle, by=actor, at=now)
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.CHECKLIST,
        actor=actor,
        case=current,
        changes={"principle": [None, principle]},
        at=now,
    )
    return tick


@transaction.atomic
def untick_principle(
    *, actor: User, case: Case, principle: str, now: dt.datetime | None = None
) -> bool:
    """Remove a tick; False (and nothing recorded) when it was not ticked."""
    _principle(principle)
    current = _checklist_case(actor, case)
    deleted, _rows = ChecklistTick.objects.filter(case_id=current.pk, principle=principle).delete()
    if not deleted:
        return False
    record_event(
        organisation_id=current.organisation_id,
        kind=EventKind.CHECKLIST,
        actor=actor,
        case=current,
        changes={"principle": [principle, None]},
        at=now or timezone.now(),
    )
    return True


# --- settings: compensation guides, authority limits, budgets -----------------------------


def _require_org_admin(actor: User) -> int:
    if not actor.is_org_admin or actor.organisation_id is None:
        raise PermissionDenied(_("Only an organisation admin may do this."))
    return actor.organisation_id


@transaction.atomic
def save_guide(
    *,
    actor: User,
    category: Category | None,
    severity: str,
    low: Decimal | int | str,
    high: Decimal | int | str,
    note: str = "",
    guide: CompensationGuide | None = None,
) -> CompensationGuide:
    """Add (or, with `guide`, change) a suggested compensation range for a category (None:
    any) and a severity ("": any). One range per category and severity."""
    organisation_id = _require_org_admin(actor)
    if guide is not None and guide.organisation_id != organisation_id:
        raise NotFound(_("Not found."))
    errors: dict[str, list[str]] = {}
    if category is not None and category.organisation_id != organisation_id:
        errors["category"] = [_("Unknown category.")]
    severity = severity or ""
    if severity and severity not in Severity.values:
        errors["severity"] = [_("Not one of the allowed values.")]
    amounts: dict[str, Decimal] = {}
    for name, raw in (("low", low), ("high", high)):
        try:
            amounts[name] = clean_value(raw, field=name)
        except DomainError as e:
            errors[name] = [e.message]
    if not errors and amounts["high"] < amounts["low"]:
        errors["high"] = [_("The upper end cannot be below the lower end.")]
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = [_("At most %(n)d characters.") % {"n": 300}]
    if not errors:
        same_category = Q(category__isnull=True) if category is None else Q(category_id=category.pk)
        clash = CompensationGuide.objects.filter(
            same_category, organisation_id=organisation_id, severity=severity
        )
        if guide is not None:
            clash = clash.exclude(pk=guide.pk)
        if clash.exists():
            errors["category"] = [_("There is already a range for this category and severity.")]
    if errors:
        raise ValidationFailed(errors)
    row = guide or CompensationGuide(organisation_id=organisation_id)
    before = str(row) if guide is not None else None
    row.category = category
    row.severity = severity
    row.low = amounts["low"]
    row.high = amounts["high"]
    row.note = note
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationFailed(
            {"category": [_("There is already a range for this category and severity.")]}
        ) from None
    record_event(
        organisation_id=organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        message=_("Compensation guide: %(category)s, %(severity)s")
        % {
            "category": category.label() if category is not None else _("any category"),
            "severity": Severity(severity).label if severity else _("any severity"),
        },
        changes={"compensation_guide": [before, str(row)]},
    )
    return row


@transaction.atomic
def delete_guide(*, actor: User, guide: CompensationGuide) -> None:
    organisation_id = _require_org_admin(actor)
    if guide.organisation_id != organisation_id:
        raise NotFound(_("Not found."))
    before = str(guide)
    guide.delete()
    record_event(
        organisation_id=organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        message=_("Compensation guide removed"),
        changes={"compensation_guide": [before, None]},
    )


@transaction.atomic
def set_authority_limits(
    *, actor: User, limits: Mapping[str, Decimal | int | str | None]
) -> dict[str, Decimal | None]:
    """Set the authority limit of each given role (None: no limit); roles not given keep
    theirs. Returns the organisation's limits afterwards."""
    organisation_id = _require_org_admin(actor)
    organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str | None] = {}
    for role, raw in limits.items():
        if role not in Role.values:
            errors[role] = [_("Unknown role.")]
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            cleaned[role] = None
            continue
        try:
            cleaned[role] = str(clean_value(raw, field=role))
        except DomainError as e:
            errors[role] = [e.message]
    if errors:
        raise ValidationFailed(errors)
    stored = dict(organisation.authority_limits or {})
    before = dict(stored)
    stored.update(cleaned)
    organisation.authority_limits = stored
    organisation.save(update_fields=["authority_limits"])
    if before != stored:
        record_event(
            organisation_id=organisation_id,
            kind=EventKind.CHANGED,
            actor=actor,
            message=_("Authority limits changed"),
            changes={"authority_limits": [before, stored]},
        )
    return limits_for(organisation)


def _optional_money(value: Decimal | int | str | None, *, field: str) -> Decimal | None:
    """An amount in yuan, or None for an empty value (no budget / the role's limit)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return clean_value(value, field=field)


def _money_change(before: Decimal | None, after: Decimal | None) -> list[str | None]:
    """An audit trail `[before, after]` pair of optional amounts."""
    return [None if v is None else str(v) for v in (before, after)]


@transaction.atomic
def set_store_budget(*, actor: User, store: Store, budget: Decimal | int | str | None) -> Store:
    """Set a store's monthly recovery budget in yuan (None: no budget)."""
    organisation_id = _require_org_admin(actor)
    if store.organisation_id != organisation_id:
        raise NotFound(_("Not found."))
    amount = _optional_money(budget, field="budget")
    before = store.monthly_recovery_budget
    if before == amount:
        return store
    store.monthly_recovery_budget = amount
    store.save(update_fields=["monthly_recovery_budget"])
    record_event(
        organisation_id=organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        message=_("Monthly recovery budget of %(store)s") % {"store": store.name},
        changes={"monthly_recovery_budget": _money_change(before, amount)},
    )
    return store


@transaction.atomic
def set_personal_limit(*, actor: User, staff: User, limit: Decimal | int | str | None) -> User:
    """Give one staff member their own authority limit (None: their role's again)."""
    organisation_id = _require_org_admin(actor)
    if staff.organisation_id != organisation_id:
        raise NotFound(_("Not found."))
    amount = _optional_money(limit, field="limit")
    current = User.objects.select_for_update().get(pk=staff.pk)
    before = current.authority_limit
    if before == amount:
        return current
    current.authority_limit = amount
    current.save(update_fields=["authority_limit"])
    record_event(
        organisation_id=organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        message=_("Personal authority limit of %(name)s") % {"name": str(current)},
        changes={"authority_limit": _money_change(before, amount)},
    )
    return current
