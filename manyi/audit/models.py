"""The audit trail, which is also the timeline of cases and customers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    STATUS = "status", _("Status changed")
    RESPONDED = "responded", _("Responded to customer")
    COMMENTED = "commented", _("Internal note")
    ASSIGNED = "assigned", _("Transferred")
    ESCALATED = "escalated", _("Escalated")
    REOPENED = "reopened", _("Reopened")
    SLA = "sla", _("SLA")
    NOTIFIED = "notified", _("Notified")
    IMPORTED = "imported", _("Imported")
    COMMUNICATED = "communicated", _("Customer contact logged")
    MESSAGE_SENT = "message_sent", _("Message sent to the customer")
    RECOVERY = "recovery", _("Recovery action")
    CHECKLIST = "checklist", _("Checklist")
    FOLLOWUP = "followup", _("Follow-up")
    GUARANTEE = "guarantee", _("Guarantee broken")
    LOST = "lost", _("Customer lost")
    SURVEY = "survey", _("Survey")


class AuditEvent(models.Model):
    """Who did what and when, with each changed field's value before and after.

    Rows are only ever inserted (services.record); the UI and admin never edit them.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    message = models.TextField(blank=True)
    # {"field": [before, after], ...} as JSON-safe values
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["case", "at"], name="audit_case_at"),
            models.Index(fields=["customer", "at"], name="audit_customer_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
