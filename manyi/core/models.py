"""Shared models: per-organisation counters and API idempotency keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """A per-organisation sequence (case numbers); incremented with a conditional UPDATE."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    key = models.CharField(max_length=40)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="uniq_counter_org_key")
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class IdempotencyKey(models.Model):
    """The stored answer to a POST made with an `Idempotency-Key` header."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "path"], name="uniq_idempotency_key")
        ]

    def __str__(self) -> str:
        return self.key


class RateHit(models.Model):
    """Hits of one rate-limit key (`public:ip:1.2.3.4`) in one fixed window (core.ratelimit)."""

    key = models.CharField(max_length=120)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate-limit counter")
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="uniq_rate_window")
        ]
        indexes = [models.Index(fields=["window_start"], name="rate_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start:%Y-%m-%d %H:%M}={self.count}"
