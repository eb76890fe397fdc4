"""How a typed phone number finds customers, the same in pages, exports and the API."""

from __future__ import annotations

import re

from django.db.models import Q

from manyi.accounts.models import User
from manyi.core.errors import DomainError
from manyi.customers.validation import normalise_phone

_SEPARATORS = re.compile(r"[\s\-()（）.+]")
# Fewer digits than this would let a user guess numbers digit by digit.
MIN_PARTIAL_DIGITS = 3
# The digits the mask (138****5678) shows anyway.
MASK_VISIBLE_DIGITS = 4


def full_phone(q: str) -> str:
    """The normalised number if `q` is a whole phone number, else ""."""
    try:
        return normalise_phone(q.strip())
    except DomainError:
        return ""


def phone_condition(q: str, user: User, *, field: str = "phone") -> Q | None:
    """The condition a search text puts on a phone field, or None if it is not a number.

    A full number in any format (+86 138-1234-5678) matches exactly, for everyone: the agent on
    the phone has the number. Part of a number matches digits anywhere only for people who may
    see personal data; the others may search by the last four digits, which the mask shows
    anyway, and by nothing more, so numbers cannot be guessed digit by digit.
    """
    phone = full_phone(q)
    if phone:
        return Q(**{field: phone})
    digits = _SEPARATORS.sub("", q.strip())
    if not digits.isdigit() or len(digits) < MIN_PARTIAL_DIGITS:
        return None
    if user.can_view_personal_data:
        return Q(**{f"{field}__contains": digits})
    if len(digits) <= MASK_VISIBLE_DIGITS:
        return Q(**{f"{field}__endswith": digits})
    return None
