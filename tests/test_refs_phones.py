"""Reference numbers and mobile numbers: the two things callers type most."""

from __future__ import annotations

import itertools

import pytest

from booking_core.citizens import InvalidAbha, normalise_abha
from booking_core.phones import InvalidMobile, mask_phone, normalise_mobile
from booking_core.refs import (
    REFERENCE_LENGTH,
    RefKind,
    damm_digit,
    is_valid_reference,
    new_reference,
    reference_kind,
)


@pytest.mark.parametrize("raw", ["98123 45678", "09812345678", "+91-98123-45678",
                                 "+91 98123 45678", "0091 98123 45678", "919812345678",
                                 "(+91) 98123.45678", "+91/9812345678", "९८१२३४५६७८",
                                 "\u00a098123\u00a045678 "])
def test_common_indian_forms_normalise_to_e164(raw):
    assert normalise_mobile(raw) == "+919812345678"


@pytest.mark.parametrize("raw,reason", [
    ("1234567890", "not_mobile"),       # parses as a valid landline-like number
    ("011 2336 5525", "not_mobile"),    # Delhi landline
    ("+1 415 555 0100", "not_indian"),
    ("hello", "unparseable"),
    ("", "empty"),
    ("9" * 40, "empty"),
    ("98123", "invalid"),
    # Letters are keypad digits to phonenumbers: each of these would have reached a
    # real, different mobile.
    ("98123abcde", "unparseable"),
    ("9812ABCDEF", "unparseable"),
    ("98123 4567o", "unparseable"),
    ("+91 98123 4S678", "unparseable"),
    ("98123-45678 ext 2", "unparseable"),
    ("tel:+919812345678", "unparseable"),
])
def test_landlines_foreign_and_garbage_are_refused(raw, reason):
    with pytest.raises(InvalidMobile) as info:
        normalise_mobile(raw)
    assert info.value.details["reason"] == reason


def test_masking_keeps_only_last_four():
    assert mask_phone("+919812345678") == "+91******5678"
    assert "98123" not in mask_phone("+919812345678")


def test_new_references_are_valid_and_typed():
    for kind in RefKind:
        for _ in range(200):
            ref = new_reference(kind)
            assert len(ref) == REFERENCE_LENGTH and ref.isdigit()
            assert is_valid_reference(ref, kind)
            assert reference_kind(ref) is kind
            assert not is_valid_reference(ref, [k for k in RefKind if k is not kind][0])


def test_every_single_digit_error_and_adjacent_swap_is_caught():
    ref = new_reference(RefKind.APPOINTMENT)
    for pos, digit in itertools.product(range(REFERENCE_LENGTH), "0123456789"):
        typo = ref[:pos] + digit + ref[pos + 1:]
        if typo != ref:
            assert not is_valid_reference(typo), typo
    for pos in range(REFERENCE_LENGTH - 1):
        swapped = ref[:pos] + ref[pos + 1] + ref[pos] + ref[pos + 2:]
        if swapped != ref:
            assert not is_valid_reference(swapped), swapped


def test_damm_known_value():
    # Worked example of the Damm algorithm: 572 -> check digit 4.
    assert damm_digit("572") == 4
    assert is_valid_reference("1234-5678") is (damm_digit("12345678") == 0)


def test_abha_is_fourteen_digits_with_optional_dashes():
    assert normalise_abha("12-3456-7890-1234") == "12345678901234"
    assert normalise_abha("") is None
    for bad in ("1234567890123", "12345678901234x", "123456789012345"):
        with pytest.raises(InvalidAbha):
            normalise_abha(bad)


def test_names_are_fitted_to_30_characters_between_words():
    from booking_core.base import fit_words

    long_name = "Institute of Human Behaviour and Allied Sciences"
    assert fit_words(long_name) == "Institute of Human Behaviour"
    assert fit_words("अटल बिहारी वाजपेयी आयुर्विज्ञान संस्थान एवं संबद्ध विज्ञान") == (
        "अटल बिहारी वाजपेयी")
    assert fit_words("LNJP Hospital") == "LNJP Hospital"
    assert len(fit_words("x" * 40)) == 30


def test_only_a_real_indian_number_can_be_called_back():
    from booking_core.phones import callback_number

    assert callback_number("+919812345678") == "+919812345678"
    assert callback_number("+911123232400") == "+911123232400"  # a Delhi landline
    for withheld in ("+266696687", "anonymous", "client:agent7", "", "+12025550123", "7378"):
        assert callback_number(withheld) is None
