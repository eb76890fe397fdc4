"""Choices of follow-ups and phone messages."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    """Why we call. The same workbench serves every reason."""

    COMPLAINT = "complaint", _("After a complaint was resolved")
    SERVICE_VISIT = "service_visit", _("After a service visit")
    PROSPECT = "prospect", _("Sales prospect")
    CUSTOMER_CARE = "customer_care", _("Customer care")
    RETENTION = "retention", _("Retention")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("To call")
    DONE = "done", _("Done")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class ContactResult(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    REFUSED = "refused", _("Refused to talk")


class Satisfaction(models.TextChoices):
    YES = "yes", _("Satisfied")
    PARTLY = "partly", _("Partly satisfied")
    NO = "no", _("Not satisfied")


MAX_ATTEMPTS = 3
