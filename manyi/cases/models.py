"""Complaint cases, their category taxonomy, SLA policies and the SLA clocks of each case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.cases.choices import (
    Channel,
    ComplainerType,
    Direction,
    EscalationLevel,
    Medium,
    Nature,
    Outcome,
    RootCause,
    Severity,
    SlaClockKind,
    SlaEventKind,
    SlaMetric,
    SlaState,
    Status,
)


class Category(models.Model):
    """A node of the organisation's two-level complaint taxonomy (parent empty = top level)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="categories"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.CharField(_("code"), max_length=50)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="uniq_category_code")
        ]

    def __str__(self) -> str:
        return self.label()

    def name(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        lang = language or get_language() or "zh-hans"
        return self.name_en if lang.startswith("en") else self.name_zh

    def label(self) -> str:
        if self.parent_id and self.parent is not None:
            return f"{self.parent.name()} / {self.name()}"
        return self.name()


class SlaPolicy(models.Model):
    """Promised times. The lowest-ranked policy whose `match` conditions all hold applies."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="sla_policies"
    )
    name = models.CharField(_("name"), max_length=200)
    rank = models.IntegerField(_("rank"), default=100)
    calendar = models.ForeignKey(
        "calendars.BusinessCalendar",
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: the store's calendar."),
    )
    # {"severity": [...], "channel": [...], "category": [codes], "customer_tier": [...],
    #  "store": [codes]}; an absent or empty list matches anything.
    match = models.JSONField(_("conditions"), default=dict, blank=True)
    pause_on = models.JSONField(
        _("statuses that pause the clocks"),
        default=list,
        blank=True,
    )
    warn_at_percent = models.PositiveSmallIntegerField(_("warn at (percent of target)"), default=75)
    followup_days = models.PositiveSmallIntegerField(
        _("follow-up call after (days)"),
        default=7,
        help_text=_("Calendar days after resolution; 0: no follow-up call."),
    )
    is_default = models.BooleanField(_("default policy"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_default=True),
                name="one_default_sla_policy",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """One promised time of a policy: `minutes` of `clock` for `metric`."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=20, choices=SlaMetric.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    clock = models.CharField(
        _("clock"), max_length=10, choices=SlaClockKind.choices, default=SlaClockKind.BUSINESS
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="uniq_target_metric"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.minutes} {self.clock}"


# The condition of the partial indexes on open cases (choices.OPEN_STATUSES, in a fixed order
# so the migration does not change).
OPEN_CASE = models.Q(
    status__in=["new", "acknowledged", "in_progress", "waiting_customer", "waiting_third_party"]
)


class Case(models.Model):
    """A complaint: who, about what, through which channel, owned by whom, and its status."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="cases"
    )
    number = models.CharField(_("number"), max_length=30)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    asset = models.ForeignKey(
        "customers.Asset",
        verbose_name=_("vehicle / asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    store = models.ForeignKey(
        "accounts.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="cases"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL
    )
    nature = models.CharField(
        _("nature"), max_length=20, choices=Nature.choices, default=Nature.PROBLEM_SOLVING
    )
    complainer_type = models.CharField(
        _("complainer type"),
        max_length=20,
        choices=ComplainerType.choices,
        default=ComplainerType.VOICER,
    )
    threatens_media = models.BooleanField(_("threatens media"), default=False)
    threatens_regulator = models.BooleanField(_("threatens regulator"), default=False)
    threatens_lawyer = models.BooleanField(_("threatens lawyer"), default=False)
    repeat_complaint = models.BooleanField(_("repeat complaint"), default=False)
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), choices=EscalationLevel.choices, default=EscalationLevel.OWNER
    )
    # How many times the case was reopened after being resolved or closed (the reopen rate's
    # numerator; the REOPENED audit events say when and why).
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.PROTECT, null=True, blank=True
    )
    # The earliest due time of the case's running SLA clocks: the supervisor's sort key.
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    last_responded_at = models.DateTimeField(_("last response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    root_cause = models.CharField(
        _("root cause"), max_length=20, choices=RootCause.choices, blank=True
    )
    root_cause_note = models.TextField(_("root cause note"), blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="uniq_case_number")
        ]
        indexes = [
            models.Index(
                fields=["organisation", "store", "-received_at", "-id"], name="case_store_recv"
            ),
            models.Index(fields=["organisation", "-received_at", "-id"], name="case_org_recv"),
            # The staff case list's default order (selectors.by_deadline): open cases by
            # deadline, then the rest newest first, read in order at any size.
            models.Index(
                fields=["organisation", "next_due_at", "-received_at", "-id"], name="case_org_due"
            ),
            models.Index(
                fields=["organisation", "next_due_at"],
                name="case_org_open_due",
                condition=OPEN_CASE,
            ),
            models.Index(
                fields=["store", "next_due_at"],
                name="case_open_due",
                condition=OPEN_CASE,
            ),
            models.Index(fields=["owner", "status"], name="case_owner_status"),
            # The complaints of the three controls and the early warning: every channel but
            # "survey", per store and month (covering the owner on PostgreSQL).
            models.Index(
                fields=["organisation", "store", "received_at"],
                include=["owner"],
                condition=~models.Q(channel="survey"),
                name="case_complaint_month",
            ),
            # "My open cases" by deadline (dashboard), also for someone who owns none.
            models.Index(
                fields=["owner", "next_due_at"],
                name="case_owner_open_due",
                condition=OPEN_CASE,
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        from manyi.cases.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES


class CaseSla(models.Model):
    """The clock of one SLA metric on one case.

    `due_at` is set only while the clock runs (state `active`); `warn_at` is when the warning
    falls due. The sweep claims rows whose `due_at`/`warn_at` has passed with a conditional
    UPDATE. Elapsed minutes are stored up to `running_since`; while active, the live figure adds
    the time since then.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="slas")
    metric = models.CharField(max_length=20, choices=SlaMetric.choices)
    target_minutes = models.PositiveIntegerField()
    clock = models.CharField(max_length=10, choices=SlaClockKind.choices)
    state = models.CharField(max_length=10, choices=SlaState.choices, default=SlaState.ACTIVE)
    started_at = models.DateTimeField()
    running_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    business_minutes_elapsed = models.PositiveIntegerField(default=0)
    calendar_minutes_elapsed = models.PositiveIntegerField(default=0)
    cycle = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["case", "metric"], name="uniq_case_metric_clock")
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="sla_active_due", condition=models.Q(state="active")
            ),
            models.Index(
                fields=["case"], name="sla_breached_case", condition=models.Q(state="breached")
            ),
            # Running clocks already warned: the "about to breach" mark (selectors.with_marks).
            models.Index(
                fields=["case"],
                name="sla_warned_case",
                condition=models.Q(state="active", warned_at__isnull=False),
            ),
            models.Index(
                fields=["warn_at"],
                name="sla_active_warn",
                condition=models.Q(state="active", warned_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.metric}:{self.state}"


class SlaEvent(models.Model):
    """Append-only log of everything that happened to a case's SLA clocks."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_events")
    metric = models.CharField(max_length=20, choices=SlaMetric.choices)
    kind = models.CharField(max_length=20, choices=SlaEventKind.choices)
    at = models.DateTimeField()
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    business_minutes_elapsed = models.PositiveIntegerField(default=0)
    calendar_minutes_elapsed = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.metric}:{self.kind}"


class Communication(models.Model):
    """One exchange with the customer about a case: a call, SMS, email, WeChat message, visit or
    letter, inbound or outbound. Outbound entries are what the customer was told and meet the
    `first_response` and `next_update` clocks; internal notes live in the timeline instead."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="communications")
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    medium = models.CharField(_("medium"), max_length=10, choices=Medium.choices)
    content = models.TextField(_("content"))
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Sent by Manyi itself (a guarantee payout notice, a status update), not typed by staff.
    automatic = models.BooleanField(_("sent automatically"), default=False)
    template = models.ForeignKey(
        "cases.ReplyTemplate", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        indexes = [models.Index(fields=["case", "at"], name="comm_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.direction}:{self.medium}"


class ReplyTemplate(models.Model):
    """A reply macro in Chinese and English with placeholders: {customer_name}, {case_number},
    {due_at}, {store_name}, {agent_name}."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="reply_templates"
    )
    name = models.CharField(_("name"), max_length=100)
    body_zh = models.TextField(_("Chinese text"))
    body_en = models.TextField(_("English text"), blank=True)
    medium = models.CharField(_("medium"), max_length=10, choices=Medium.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_reply_template")
        ]

    def __str__(self) -> str:
        return self.name


class Attachment(models.Model):
    """A file attached to a case (photos sent with a public complaint), size- and type-checked."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
