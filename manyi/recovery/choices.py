"""Choices of service recovery. Values are English identifiers; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionKind(models.TextChoices):
    APOLOGY = "apology", _("Apology")
    EXPLANATION = "explanation", _("Explanation")
    REFUND = "refund", _("Refund")
    PARTIAL_REFUND = "partial_refund", _("Partial refund")
    DISCOUNT = "discount", _("Discount or coupon")
    FREE_SERVICE = "free_service", _("Free service")
    REPAIR = "repair", _("Repair")
    REPLACEMENT = "replacement", _("Replacement")
    GIFT = "gift", _("Gift")
    LOANER = "loaner", _("Loaner vehicle")
    GOODWILL_POINTS = "goodwill_points", _("Goodwill points")


class ActionState(models.TextChoices):
    """pending → approved | rejected; approved → given (the customer-facing step) | cancelled.
    An action within the author's authority starts approved."""

    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    GIVEN = "given", _("Given to the customer")
    CANCELLED = "cancelled", _("Cancelled")


# States whose value counts against the store's monthly budget.
SPENT_STATES = (ActionState.APPROVED, ActionState.GIVEN)


class Principle(models.TextChoices):
    """The nine principles of effective problem resolution (DOMAIN.md §3), in order."""

    ACT_FAST = "act_fast", _("Act fast")
    ADMIT = "admit", _("Admit the mistake without excuses")
    CUSTOMER_VIEW = "customer_view", _("See it from the customer's side")
    NO_ARGUING = "no_arguing", _("Do not argue")
    FEELINGS = "feelings", _("Acknowledge the customer's feelings")
    STEPS = "steps", _("State the steps to solve it")
    INFORMED = "informed", _("Keep the customer informed")
    COMPENSATION = "compensation", _("Consider compensation")
    GOODWILL = "goodwill", _("Persist to win back goodwill")


class TriggerKind(models.TextChoices):
    """What breaks a guarantee: a measured SLA breach, a missed follow-up, or an event staff
    record (a billing error)."""

    SLA_BREACH = "sla_breach", _("An SLA metric of a case is breached")
    FOLLOWUP_MISSED = "followup_missed", _("A follow-up call is missed")
    STAFF_EVENT = "staff_event", _("Staff record the event")


class PayoutKind(models.TextChoices):
    FIXED = "fixed", _("A fixed amount")
    MULTIPLE = "multiple", _("A multiple of the amount involved")
