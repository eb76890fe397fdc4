from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    UNKNOWN = "", _("Not given")
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Language(models.TextChoices):
    """The language Manyi writes to the customer in: the codes (and names) of
    settings.LANGUAGES."""

    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class Tier(models.TextChoices):
    REGULAR = "regular", _("Regular")
    VIP = "vip", _("VIP")
    KEY_ACCOUNT = "key_account", _("Key account")


class SourceChannel(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    REFERRAL = "referral", _("Referral")
    WEB = "web", _("Website")
    WECHAT = "wechat", _("WeChat")
    EVENT = "event", _("Event")
    OTHER = "other", _("Other")


class AssetKind(models.TextChoices):
    VEHICLE = "vehicle", _("Vehicle")
    DEVICE = "device", _("Device")
    PROPERTY = "property", _("Property")


class SwitchingReason(models.TextChoices):
    """Keaveney's eight reasons customers switch (DOMAIN.md §3)."""

    PRICING = "pricing", _("Pricing")
    INCONVENIENCE = "inconvenience", _("Inconvenience")
    CORE_SERVICE_FAILURE = "core_service_failure", _("Core service failure")
    SERVICE_ENCOUNTER_FAILURE = "service_encounter_failure", _("Service encounter failure")
    RESPONSE_TO_FAILURE = "response_to_failure", _("Response to failure")
    COMPETITION = "competition", _("Competition")
    ETHICAL_PROBLEMS = "ethical_problems", _("Ethical problems")
    INVOLUNTARY = "involuntary", _("Involuntary switching")
