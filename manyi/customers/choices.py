from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    UNKNOWN = "", _("Not given")
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


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
