"""Deleting an SLA policy from the settings pages (policy_services creates and changes)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.cases.models import Case, SlaPolicy
from manyi.core.errors import DomainError


@transaction.atomic
def delete_sla_policy(*, actor: User | None, policy: SlaPolicy) -> None:
    """Delete a policy no case uses. The default policy always stays; a policy cases use is
    switched off instead, so their history keeps pointing at it."""
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.is_default:
        raise DomainError(_("The default policy cannot be deleted."))
    used = Case.objects.filter(sla_policy=policy).count()
    if used:
        raise DomainError(
            _("%(n)d cases use this policy; switch it off instead of deleting it.") % {"n": used}
        )
    record_event(
        organisation_id=policy.organisation_id,
        kind=EventKind.CHANGED,
        actor=actor,
        message=_("SLA policy “%(name)s” deleted") % {"name": policy.name},
        changes={"name": [policy.name, None]},
    )
    policy.delete()
