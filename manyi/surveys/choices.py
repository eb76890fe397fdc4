from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSI = "csi", _("CSI")
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT and CES")
    SERVQUAL = "servqual", _("SERVQUAL")
    KANO = "kano", _("Kano")
    FAIRNESS = "fairness", _("Recovery fairness")
    EMPLOYEE = "employee", _("Employee satisfaction")
    CUSTOM = "custom", _("Custom")


class Audience(models.TextChoices):
    CUSTOMER = "customer", _("Customers")
    EMPLOYEE = "employee", _("Staff (internal customers)")


class InvitationSource(models.TextChoices):
    MANUAL = "manual", _("Sent by hand")
    SEGMENT = "segment", _("Customer segment")
    CASE_CLOSED = "case_closed", _("Rule: case closed")
    FOLLOWUP_DONE = "followup_done", _("Rule: follow-up call done")
    COUNTER = "counter", _("Printed at the counter")
    STAFF = "staff", _("Staff survey")
    PHONE = "phone", _("Phone interview")


class InvitationState(models.TextChoices):
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    PARTIAL = "partial", _("Partly answered")
    COMPLETED = "completed", _("Completed")
    SKIPPED = "skipped", _("Not sent")


class InvitationChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    PRINT = "print", _("Printed (QR code)")
    NONE = "none", _("Not delivered")


class ResponseMode(models.TextChoices):
    ONLINE = "online", _("Online")
    PHONE = "phone", _("Phone interview")
    IMPORT = "import", _("Imported")


class RuleTrigger(models.TextChoices):
    CASE_CLOSED = "case_closed", _("When a case is closed")
    FOLLOWUP_DONE = "followup_done", _("After a follow-up call reached the customer")
