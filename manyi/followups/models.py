"""Follow-up calls (回访) and phone messages taken for absent colleagues."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.followups.choices import ContactResult, FollowUpState, Reason, Satisfaction


class FollowUp(models.Model):
    """A call to make to a customer by `due_at` (end of the business day it is scheduled for).

    Each attempt is a `FollowUpAttempt`; after `MAX_ATTEMPTS` unanswered calls the follow-up
    expires with that result. `missed` is set when it was not done by `due_at` (done late or
    expired): it counts towards the store's service omission rate."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    store = models.ForeignKey("accounts.Store", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="followups"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="followups"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    scheduled_for = models.DateField(_("call on"))
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(
        _("state"), max_length=10, choices=FollowUpState.choices, default=FollowUpState.OPEN
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    result = models.CharField(_("result"), max_length=20, choices=ContactResult.choices, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=10, choices=Satisfaction.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    missed = models.BooleanField(_("missed"), default=False)
    # When the sweep flagged it as overdue (once).
    flagged_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(
                fields=["assigned_to", "scheduled_for"],
                name="followup_mine",
                condition=models.Q(state="open"),
            ),
            models.Index(
                fields=["due_at"],
                name="followup_overdue",
                condition=models.Q(state="open", flagged_at__isnull=True),
            ),
            # Covering on PostgreSQL: the omission rate counts from the index alone.
            models.Index(
                fields=["store", "due_at"],
                include=["assigned_to", "state", "missed", "completed_at"],
                name="followup_store_due_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.customer_id} {self.scheduled_for}"


class FollowUpAttempt(models.Model):
    """One call of a follow-up and what came of it."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    result = models.CharField(max_length=20, choices=ContactResult.choices)
    satisfaction = models.CharField(max_length=10, choices=Satisfaction.choices, blank=True)
    note = models.TextField(blank=True)
    rescheduled_for = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up attempt")
        verbose_name_plural = _("follow-up attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.followup_id}:{self.result}"


class CallScript(models.Model):
    """What to say on a follow-up call for one reason, in Chinese and English."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="call_scripts"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    text_zh = models.TextField(_("Chinese text"))
    text_en = models.TextField(_("English text"), blank=True)

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reason"], name="uniq_call_script")
        ]

    def __str__(self) -> str:
        return self.get_reason_display()


class PhoneMessage(models.Model):
    """A message taken for an absent colleague (DOMAIN.md §2): to be returned by the end of the
    next working day on the store's calendar (`due_at`)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    store = models.ForeignKey("accounts.Store", on_delete=models.PROTECT, related_name="+")
    caller_name = models.CharField(_("caller"), max_length=100)
    caller_phone = models.CharField(_("number"), max_length=20)
    reason = models.TextField(_("reason"))
    received_at = models.DateTimeField(_("received at"))
    for_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.PROTECT,
        related_name="phone_messages",
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="phone_messages",
    )
    due_at = models.DateTimeField(_("return by"))
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_note = models.TextField(_("what was said"), blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone message")
        verbose_name_plural = _("phone messages")
        indexes = [
            models.Index(
                fields=["for_user", "due_at"],
                name="message_open",
                condition=models.Q(returned_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="message_overdue",
                condition=models.Q(returned_at__isnull=True, flagged_at__isnull=True),
            ),
            models.Index(fields=["store", "due_at"], name="message_store_due"),
        ]

    def __str__(self) -> str:
        return f"{self.caller_name} → {self.for_user_id}"
