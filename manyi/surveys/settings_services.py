"""Organisation-wide survey settings (the quiet period between two surveys to one customer)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from manyi.accounts.models import Organisation, User
from manyi.audit.models import EventKind
from manyi.audit.services import record_event
from manyi.core.db import lock_self
from manyi.core.errors import DomainError, ValidationFailed

MAX_QUIET_DAYS = 365


@transaction.atomic
def set_quiet_period(*, actor: User, days: int) -> Organisation:
    """No customer is sent more than one survey in `days` days (0: no limit). Rules and
    segment sends respect it; a person sending to one customer by hand may override it."""
    if actor.organisation_id is None or not actor.is_org_admin:
        raise DomainError(_("Only an organisation admin can change surveys."), code="forbidden")
    if not 0 <= days <= MAX_QUIET_DAYS:
        raise ValidationFailed({"days": [_("Between 0 and %(n)s days.") % {"n": MAX_QUIET_DAYS}]})
    organisation = Organisation.objects.select_for_update(**lock_self()).get(
        pk=actor.organisation_id
    )
    before = organisation.survey_quiet_days
    if before == days:
        return organisation
    organisation.survey_quiet_days = days
    organisation.save(update_fields=["survey_quiet_days"])
    record_event(
        organisation_id=organisation.pk,
        kind=EventKind.SURVEY,
        actor=actor,
        message=_("Survey quiet period set to %(n)s days") % {"n": days},
        changes={"survey_quiet_days": [before, days]},
    )
    return organisation
