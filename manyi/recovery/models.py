"""Service recovery: what was given to a customer and who approved it, the nine-principle
checklist, suggested compensation, and service guarantees with their breaches."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.cases.choices import SlaMetric
from manyi.recovery.choices import ActionKind, ActionState, PayoutKind, Principle, TriggerKind


class RecoveryAction(models.Model):
    """One thing done or given to make up for a failure, with its value in yuan.

    An action above its author's authority limit waits (`pending`) for someone whose limit
    covers it; only an approved action can be given to the customer. A guarantee payout is
    approved by its guarantee (`guarantee_breach` set, `approved_by` empty)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    store = models.ForeignKey("accounts.Store", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="recovery_actions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActionKind.choices)
    value = models.DecimalField(
        _("value (yuan)"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ActionState.choices, default=ActionState.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    given_at = models.DateTimeField(_("given at"), null=True, blank=True)
    guarantee_breach = models.OneToOneField(
        "recovery.GuaranteeBreach",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_action",
    )

    class Meta:
        verbose_name = _("recovery action")
        verbose_name_plural = _("recovery actions")
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=0), name="recovery_value_gte_0")
        ]
        indexes = [
            models.Index(fields=["case", "requested_at"], name="recovery_case"),
            models.Index(fields=["store", "requested_at"], name="recovery_store_month"),
            models.Index(
                fields=["organisation", "requested_at"],
                name="recovery_pending",
                condition=models.Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ¥{self.value}"


class ChecklistTick(models.Model):
    """A principle of the nine-principle checklist ticked on a case, by whom and when."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="checklist")
    principle = models.CharField(_("principle"), max_length=20, choices=Principle.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("checklist tick")
        verbose_name_plural = _("checklist ticks")
        constraints = [
            models.UniqueConstraint(fields=["case", "principle"], name="uniq_case_principle")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.principle}"


class CompensationGuide(models.Model):
    """A suggested compensation range for a category (or any) and a severity (or any)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="compensation_guides"
    )
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: any category."),
    )
    severity = models.CharField(
        _("severity"), max_length=10, blank=True, help_text=_("Empty: any severity.")
    )
    low = models.DecimalField(_("from (yuan)"), max_digits=12, decimal_places=2)
    high = models.DecimalField(_("to (yuan)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("compensation guide")
        verbose_name_plural = _("compensation guides")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(low__gte=0, high__gte=models.F("low")),
                name="guide_range_valid",
            ),
            models.UniqueConstraint(
                fields=["organisation", "category", "severity"],
                name="uniq_guide",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"¥{self.low}–{self.high}"


class Guarantee(models.Model):
    """A service promise (服务承诺) with the condition that breaks it and what it pays.

    - `sla_breach`: `metric` of a case breached (optionally only for the given channels); with
      `within_minutes` (first_response or resolution): the metric not met within that many
      wall-clock minutes of receiving the complaint, whatever the SLA policy's target;
    - `followup_missed`: a follow-up call not made by its due time;
    - `staff_event`: staff record it on a case with the amount involved (billing error).
    Payout: `amount` yuan (fixed) or `multiplier` × the amount involved (multiple)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="guarantees"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    text_zh = models.TextField(_("promise (Chinese)"))
    text_en = models.TextField(_("promise (English)"), blank=True)
    trigger = models.CharField(_("broken when"), max_length=20, choices=TriggerKind.choices)
    metric = models.CharField(_("SLA metric"), max_length=20, choices=SlaMetric.choices, blank=True)
    channels = models.JSONField(
        _("case channels"), default=list, blank=True, help_text=_("Empty: every channel.")
    )
    payout_kind = models.CharField(
        _("payout"), max_length=10, choices=PayoutKind.choices, default=PayoutKind.FIXED
    )
    action_kind = models.CharField(
        _("paid as"), max_length=20, choices=ActionKind.choices, default=ActionKind.DISCOUNT
    )
    amount = models.DecimalField(
        _("fixed amount (yuan)"), default=Decimal("0"), max_digits=12, decimal_places=2
    )
    multiplier = models.DecimalField(
        _("multiple of the amount involved"), max_digits=6, decimal_places=2, default=Decimal("2")
    )
    within_minutes = models.PositiveIntegerField(
        _("within (minutes)"),
        null=True,
        blank=True,
        help_text=_(
            "sla_breach on first_response or resolution: broken when the metric is not met "
            "within this many wall-clock minutes of receiving the complaint; empty: when the "
            "SLA clock breaches"
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(
        _("in force from"), null=True, blank=True, help_text=_("Empty: from its creation.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service guarantee")
        verbose_name_plural = _("service guarantees")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="uniq_guarantee_code")
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class GuaranteeBreach(models.Model):
    """One broken guarantee: what broke it, what it paid. `source_key` names the breaking fact
    (`sla:<clock id>:<cycle>`, `followup:<id>`, `event:<uuid>`) and is unique per guarantee, so a
    fact pays out once however many workers look at it."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    guarantee = models.ForeignKey(Guarantee, on_delete=models.PROTECT, related_name="breaches")
    store = models.ForeignKey("accounts.Store", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="guarantee_breaches",
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="guarantee_breaches"
    )
    source_key = models.CharField(max_length=80)
    amount_involved = models.DecimalField(null=True, blank=True, max_digits=12, decimal_places=2)
    payout = models.DecimalField(_("payout (yuan)"), max_digits=12, decimal_places=2)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("guarantee breach")
        verbose_name_plural = _("guarantee breaches")
        constraints = [
            models.UniqueConstraint(
                fields=["guarantee", "source_key"], name="uniq_guarantee_breach"
            )
        ]
        indexes = [models.Index(fields=["organisation", "at"], name="breach_org_at")]

    def __str__(self) -> str:
        return f"{self.guarantee_id}:{self.source_key}"
