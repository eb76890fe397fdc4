"""Customers and what they own (vehicles and other assets)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.customers.choices import (
    AssetKind,
    Gender,
    Language,
    SourceChannel,
    SwitchingReason,
    Tier,
)


class Customer(models.Model):
    """A customer of an organisation. `phone` is normalised and unique within it when given."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="customers"
    )
    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("home store"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat_id = models.CharField(_("WeChat id"), max_length=64, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    source_channel = models.CharField(
        _("source channel"), max_length=20, choices=SourceChannel.choices, blank=True
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.REGULAR)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=Language.choices,
        default=Language.ZH_HANS,
        help_text=_("Messages to the customer are written in this language."),
    )
    contact_consent = models.BooleanField(_("consents to be contacted"), default=True)
    watch_list = models.BooleanField(_("on the watch list"), default=False)
    watch_reason = models.CharField(_("watch-list reason"), max_length=300, blank=True)
    lost_at = models.DateTimeField(_("lost at"), null=True, blank=True)
    lost_reason = models.CharField(
        _("switching reason"), max_length=30, choices=SwitchingReason.choices, blank=True
    )
    lost_note = models.TextField(_("lost-customer note"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("view_personal_data", _("Can view unmasked personal data"))]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "phone"],
                condition=~models.Q(phone=""),
                name="uniq_customer_phone_per_org",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "store", "name"]),
            models.Index(fields=["organisation", "name"], name="customer_org_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    """Something the customer owns that cases are about: a vehicle (VIN-checked), a device."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(
        _("kind"), max_length=20, choices=AssetKind.choices, default=AssetKind.VEHICLE
    )
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    plate = models.CharField(_("plate"), max_length=20, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")

    def __str__(self) -> str:
        return " ".join(p for p in (self.plate, self.model) if p) or self.vin or str(self.pk)
