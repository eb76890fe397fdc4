"""Choices of a case. Values are English identifiers; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    WECHAT = "wechat", _("WeChat")
    LETTER = "letter", _("Letter")
    SOCIAL_MEDIA = "social_media", _("Social media")
    REGULATOR = "regulator", _("Regulator")
    MANUFACTURER = "manufacturer", _("Manufacturer")
    SURVEY = "survey", _("Survey")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Nature(models.TextChoices):
    PROBLEM_SOLVING = "problem_solving", _("Problem solving")
    VENTING = "venting", _("Venting")
    EXPECTATION = "expectation", _("Expectation")


class ComplainerType(models.TextChoices):
    PASSIVE = "passive", _("Passive")
    VOICER = "voicer", _("Voicer")
    IRATE = "irate", _("Irate")
    ACTIVIST = "activist", _("Activist")
    TERRORIST = "terrorist", _("Terrorist")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting for third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.WAITING_CUSTOMER,
        Status.WAITING_THIRD_PARTY,
    }
)

# Allowed status changes. `reopened` is an event (see services.reopen_case) that returns a
# resolved or closed case to in_progress; it is listed here so the check is in one place.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {
            Status.ACKNOWLEDGED,
            Status.IN_PROGRESS,
            Status.WAITING_CUSTOMER,
            Status.WAITING_THIRD_PARTY,
            Status.RESOLVED,
        }
    ),
    Status.ACKNOWLEDGED: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.WAITING_CUSTOMER: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.WAITING_THIRD_PARTY: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED}
    ),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


class SlaMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_UPDATE = "next_update", _("Next update")
    RESOLUTION = "resolution", _("Resolution")


class SlaClockKind(models.TextChoices):
    BUSINESS = "business", _("Business minutes")
    CALENDAR = "calendar", _("Calendar minutes")


class SlaState(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    FULFILLED = "fulfilled", _("Fulfilled")
    BREACHED = "breached", _("Breached")


class SlaEventKind(models.TextChoices):
    APPLIED = "applied", _("Applied")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    FULFILLED = "fulfilled", _("Fulfilled")
    WARNED = "warned", _("Warned")
    BREACHED = "breached", _("Breached")
    REEVALUATED = "reevaluated", _("Re-evaluated")
    STOPPED = "stopped", _("Stopped")


class EscalationLevel(models.IntegerChoices):
    OWNER = 0, _("Owner")
    SUPERVISOR = 1, _("Supervisor")
    STORE_MANAGER = 2, _("Store manager")


class Outcome(models.TextChoices):
    """How a resolved complaint ended, from the customer's side."""

    IN_FAVOUR = "in_favour", _("Resolved in the customer's favour")
    PARTLY = "partly", _("Partly resolved")
    NOT_RESOLVED = "not_resolved", _("Not resolved")
    WITHDRAWN = "withdrawn", _("Customer withdrew")


class RootCause(models.TextChoices):
    """Where the failure came from (learn from recovery, DOMAIN.md §3)."""

    PEOPLE = "people", _("People")
    PROCESS = "process", _("Process")
    PRODUCT = "product", _("Product")
    POLICY = "policy", _("Policy")
    THIRD_PARTY = "third_party", _("Third party")
    CUSTOMER = "customer", _("Customer")
    UNKNOWN = "unknown", _("Unknown")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Medium(models.TextChoices):
    """How staff and the customer spoke: the communication log's channels."""

    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Letter")
