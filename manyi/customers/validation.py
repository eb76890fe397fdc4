"""Pure checks of customer data: phone normalisation and VIN check digits."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from manyi.core.errors import DomainError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """Digits only, without the +86 country code. Mobiles 1xxxxxxxxxx, landlines 0 + area code."""
    value = (raw or "").strip()
    if not value:
        return ""
    digits = re.sub(r"[\s\-()（）.]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isdigit() or not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        raise DomainError(
            _(
                "Enter a mainland China mobile (11 digits starting with 1) or a landline with "
                "its area code."
            ),
            field=field,
        )
    return digits


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(raw: str, *, field: str = "vin") -> str:
    """Upper-case a VIN and check it: 17 characters, no I, O or Q, and the 9th is the check
    digit (ISO 3779 as used by GB 16735 in China and by North America)."""
    vin = (raw or "").strip().upper()
    if not vin:
        return ""
    if len(vin) != 17:
        raise DomainError(_("A VIN has 17 characters."), field=field)
    bad = sorted({c for c in vin if c not in _VIN_VALUES})
    if bad:
        raise DomainError(
            _("A VIN may not contain %(chars)s.") % {"chars": ", ".join(bad)}, field=field
        )
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        raise DomainError(
            _("The VIN check digit (9th character) should be %(digit)s.") % {"digit": expected},
            field=field,
        )
    return vin
