"""Organisation (tenant) → stores → teams → staff, and API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.accounts.choices import ORG_WIDE_ROLES, PERSONAL_DATA_ROLES, Role


class Organisation(models.Model):
    """A tenant: a dealer group, a phone-shop chain, a property manager. Data never crosses it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    case_prefix = models.CharField(_("case number prefix"), max_length=10, default="TS")
    # Authority limits per role in yuan: {"agent": "200", ...}; null = no limit; a missing role
    # gets the default of manyi.recovery.services (agent 200, supervisor 1,000, store manager
    # 5,000, org admin no limit), applied when read.
    authority_limits = models.JSONField(_("authority limits by role"), default=dict, blank=True)
    watch_list_severity = models.CharField(
        _("lowest severity of a watch-list customer's new case"), max_length=10, default="high"
    )
    survey_quiet_days = models.PositiveSmallIntegerField(
        _("survey quiet period (days)"),
        default=30,
        help_text=_("No customer is sent more than one survey in this many days (0: no limit)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """A shop, dealer or site of an organisation, working on its own business calendar."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="stores")
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30)
    calendar = models.ForeignKey(
        "calendars.BusinessCalendar",
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stores",
    )
    monthly_recovery_budget = models.DecimalField(
        _("monthly recovery budget (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: no budget."),
    )
    public_intake = models.BooleanField(_("public complaint page open"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="uniq_store_code")
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A team of staff inside a store."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. `organisation` is empty only for the platform superuser."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff",
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    supervisor = models.ForeignKey(
        "self",
        verbose_name=_("supervisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    authority_limit = models.DecimalField(
        _("authority limit (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: the role's limit."),
    )
    view_personal_data = models.BooleanField(
        _("may view personal data"),
        null=True,
        blank=True,
        help_text=_("Empty: as the role allows. Yes/No overrides the role for this person."),
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_org_wide(self) -> bool:
        return self.is_superuser or self.role in ORG_WIDE_ROLES

    @property
    def can_view_personal_data(self) -> bool:
        if self.view_personal_data is not None:
            return self.view_personal_data
        return self.is_superuser or self.role in PERSONAL_DATA_ROLES

    @property
    def is_org_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ORG_ADMIN


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
