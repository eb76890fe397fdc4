"""Outbox of notifications to staff: written in the same transaction as the event, sent after."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One message to one staff member, shown in the app and sent by email and SMS."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(max_length=30)
    # Idempotency of notifications: one per (recipient, dedupe_key).
    dedupe_key = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="uniq_notification_dedupe"
            )
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="notif_state"),
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient"),
        ]

    def __str__(self) -> str:
        return self.subject


class CustomerChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")


class CustomerMessage(models.Model):
    """One message to a customer (SMS, email or WeChat), written in the transaction of the event
    that sends it and delivered after commit through the channel's adapter."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="messages"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_messages",
    )
    channel = models.CharField(max_length=10, choices=CustomerChannel.choices)
    to = models.CharField(max_length=254)
    kind = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=120)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer message")
        verbose_name_plural = _("customer messages")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "dedupe_key"], name="uniq_customer_message_dedupe"
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="custmsg_state")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.to}"


class MessageTemplate(models.Model):
    """An admin-edited text of a notification (`key`, e.g. `guarantee_payout`), in Chinese and
    English, with `{placeholders}`; without one the built-in text of the key is used."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="message_templates"
    )
    key = models.CharField(_("key"), max_length=40)
    subject_zh = models.CharField(_("Chinese subject"), max_length=200, blank=True)
    body_zh = models.TextField(_("Chinese text"))
    subject_en = models.CharField(_("English subject"), max_length=200, blank=True)
    body_en = models.TextField(_("English text"), blank=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="uniq_message_template")
        ]

    def __str__(self) -> str:
        return self.key
