import pytest

from manyi.core.errors import DomainError
from manyi.customers.validation import normalise_phone, validate_vin, vin_check_digit


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "0086 13812345678",
        "8613812345678",
        " 138 1234 5678 ",
    ],
)
def test_mobile_numbers_in_any_format_normalise_to_eleven_digits(raw):
    assert normalise_phone(raw) == "13812345678"


def test_landline_keeps_its_area_code():
    assert normalise_phone("021-6123 4567") == "02161234567"


@pytest.mark.parametrize("raw", ["12345", "23812345678", "1381234567a", "138123456789"])
def test_bad_phone_numbers_are_refused_with_the_field_named(raw):
    with pytest.raises(DomainError) as e:
        normalise_phone(raw)
    assert e.value.field == "phone"


def test_known_good_vin_passes_its_check_digit():
    # The standard worked example of ISO 3779 / 49 CFR 565: check digit X.
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert validate_vin("1m8gdm9axkp042788") == "1M8GDM9AXKP042788"


def test_vin_with_wrong_check_digit_is_refused_and_says_which_digit():
    with pytest.raises(DomainError) as e:
        validate_vin("1M8GDM9A1KP042788")
    assert "X" in e.value.message and e.value.field == "vin"


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP04278", "1M8GDM9AXKP0427880", "IM8GDM9AXKP042788"])
def test_vin_length_and_forbidden_letters(vin):
    with pytest.raises(DomainError):
        validate_vin(vin)


def test_empty_vin_is_allowed():
    assert validate_vin("") == ""


class _Viewer:
    def __init__(self, may_see: bool) -> None:
        self.can_view_personal_data = may_see


def test_phone_search_rules_depend_on_personal_data_permission():
    from manyi.customers.search import phone_condition

    agent, supervisor = _Viewer(False), _Viewer(True)
    # a whole number matches exactly for everyone
    assert str(phone_condition("+86 138-1234-5678", agent)) == str(
        phone_condition("13812345678", supervisor)
    )
    assert "contains" in str(phone_condition("12345", supervisor))
    # a masked user may search by the last four digits the mask shows, and no more
    assert "endswith" in str(phone_condition("5678", agent))
    assert phone_condition("345678", agent) is None
    assert phone_condition("张伟", agent) is None
