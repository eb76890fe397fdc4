"""Surveys, their published versions, the rules that send them, invitations and responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.surveys.choices import (
    Audience,
    InvitationChannel,
    InvitationSource,
    InvitationState,
    ResponseMode,
    RuleTrigger,
    SurveyKind,
)


class Survey(models.Model):
    """A questionnaire of an organisation. Its questions are edited in `draft`; publishing
    freezes the draft as a new SurveyVersion, which invitations and answers point to, so
    editing a published survey never changes what earlier respondents answered.

    The close-the-loop rule: a submitted answer with NPS ≤ `loop_nps_max`, CSAT ≤
    `loop_csat_max` or (with `loop_fairness`) a fairness dimension below the scale midpoint
    opens a case (channel survey) in `loop_category`."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="surveys"
    )
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=SurveyKind.choices, default=SurveyKind.CUSTOM
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.CUSTOMER
    )
    template_key = models.CharField(_("template"), max_length=40, blank=True)
    intro_zh = models.TextField(_("Chinese introduction"), blank=True)
    intro_en = models.TextField(_("English introduction"), blank=True)
    draft = models.JSONField(_("draft questions"), default=dict, blank=True)
    draft_changed = models.BooleanField(_("unpublished changes"), default=True)
    current_version = models.ForeignKey(
        "SurveyVersion",
        verbose_name=_("published version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    min_n = models.PositiveSmallIntegerField(
        _("minimum number of answers"),
        default=30,
        help_text=_("A figure based on fewer answers is greyed out with a warning."),
    )
    expiry_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)
    loop_enabled = models.BooleanField(_("open a case for a bad answer"), default=True)
    loop_nps_max = models.PositiveSmallIntegerField(
        _("open a case for NPS at or below"), null=True, blank=True, default=6
    )
    loop_csat_max = models.PositiveSmallIntegerField(
        _("open a case for CSAT at or below"), null=True, blank=True, default=2
    )
    loop_fairness = models.BooleanField(
        _("open a case when a fairness dimension is below the scale midpoint"), default=True
    )
    loop_category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category of the case opened"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    archived = models.BooleanField(_("archived"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name_zh

    def name(self, language: str) -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name_zh

    def intro(self, language: str) -> str:
        return self.intro_en if language.startswith("en") and self.intro_en else self.intro_zh


class SurveyVersion(models.Model):
    """A published, frozen set of questions (`definition`, see manyi.surveys.definition)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("questions"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("survey version")
        verbose_name_plural = _("survey versions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="uniq_survey_version")
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"


class SurveyRule(models.Model):
    """Send a survey automatically when something happens (a case closed, a follow-up call
    that reached the customer). Only events after the rule was created count."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rules")
    trigger = models.CharField(_("when"), max_length=20, choices=RuleTrigger.choices)
    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("store"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: every store."),
        related_name="+",
    )
    delay_hours = models.PositiveSmallIntegerField(_("wait (hours)"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("survey rule")
        verbose_name_plural = _("survey rules")

    def __str__(self) -> str:
        return f"{self.survey}: {self.get_trigger_display()}"


class Invitation(models.Model):
    """One unguessable link to answer one survey version, valid until `expires_at`.

    `dedupe_key` (unique per organisation when set) makes a rule invite once per event."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    survey_version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    store = models.ForeignKey(
        "accounts.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    followup = models.ForeignKey(
        "followups.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        SurveyRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=20, choices=InvitationSource.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=InvitationChannel.choices)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    state = models.CharField(
        _("state"), max_length=10, choices=InvitationState.choices, default=InvitationState.SENT
    )
    dedupe_key = models.CharField(max_length=120, blank=True)
    skip_reason = models.CharField(_("why not sent"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="uniq_invitation_dedupe",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="invitation_customer"),
            models.Index(fields=["survey", "created_at"], name="invitation_survey"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.customer or self.store}"


class Response(models.Model):
    """One respondent's answers to one survey version: online through an invitation, entered
    by staff from a phone interview, or imported. `submitted_at` empty = a partial save.

    `nps` and `csat` copy the answer of the question with that role, so the operational
    analytics count (dis)satisfaction in SQL without reading `answers`."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    survey_version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, related_name="responses"
    )
    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="response"
    )
    store = models.ForeignKey(
        "accounts.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    mode = models.CharField(_("mode"), max_length=10, choices=ResponseMode.choices)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    answers = models.JSONField(_("answers"), default=dict)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    dissatisfied = models.BooleanField(_("dissatisfied"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    loop_case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case opened"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="from_response",
    )
    started_at = models.DateTimeField(_("started at"))
    updated_at = models.DateTimeField(_("updated at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The one-time key of the phone-interview form: the same form posted twice saves once.
    entry_key = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "entry_key"],
                condition=~models.Q(entry_key=""),
                name="uniq_response_entry_key",
            )
        ]
        indexes = [
            models.Index(fields=["survey", "submitted_at"], name="response_survey"),
            # Covering on PostgreSQL: the three controls count answers per store, month, staff
            # member and dissatisfaction from the index alone (INCLUDE is ignored elsewhere).
            models.Index(
                fields=["organisation", "store", "submitted_at"],
                include=["staff", "dissatisfied"],
                name="response_store_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"
