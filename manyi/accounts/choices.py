from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    STORE_MANAGER = "store_manager", _("Store manager")
    ORG_ADMIN = "org_admin", _("Organisation admin")


# Roles that see every store of their organisation; the others see their own store only.
ORG_WIDE_ROLES = frozenset({Role.STORE_MANAGER, Role.ORG_ADMIN})
# Roles that see personal data (phone, ID number) unmasked without a per-person grant.
PERSONAL_DATA_ROLES = frozenset({Role.SUPERVISOR, Role.STORE_MANAGER, Role.ORG_ADMIN})
