"""Choices of the analytics data. Values are English identifiers; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TransactionKind(models.TextChoices):
    """What a customer came for. Each of them is a “service” in the complaint rate's sense
    (complaints per 100 services, DOMAIN.md §2) and a visit in the value model's."""

    SERVICE_ORDER = "service_order", _("Service order")
    PURCHASE = "purchase", _("Purchase")
    VISIT = "visit", _("Visit")


class ChartMethod(models.TextChoices):
    """The control chart an early-warning series is watched with (manyi.metrics.control)."""

    U = "u", _("u-chart (Laney u′)")
    EWMA = "ewma", _("EWMA")
    CUSUM = "cusum", _("CUSUM")


class ChartPeriod(models.TextChoices):
    """The length of one point of an early-warning chart."""

    DAY = "day", _("Day")
    WEEK = "week", _("Week")


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")
