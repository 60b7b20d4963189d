"""Reference numbers a caller can type on a keypad and say in one breath.

Eight digits: a kind digit, six random digits, and a Damm check digit. The Damm
algorithm catches every single wrong digit and every swap of two neighbouring digits,
so a mistyped reference is rejected instead of matching someone else's.
Appointments start with 1-4, grievances with 6-9, so a caller may type either one
in the same menu and we know which it is.

eHealth card numbers use the same check digit but are longer and start with 5: eleven
digits (``5``, nine random digits, the Damm digit), so a card number is never read as
a booking or grievance reference, nor as a mobile (ten digits, or eleven starting 0),
an Aadhaar (twelve) or an ABHA number (fourteen).
"""

from __future__ import annotations

import secrets
from enum import Enum

from booking_core.base import typed_digits

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

REFERENCE_LENGTH = 8
CARD_NUMBER_LENGTH = 11
CARD_NUMBER_PREFIX = "5"


class RefKind(Enum):
    APPOINTMENT = "appointment"
    GRIEVANCE = "grievance"


_FIRST_DIGITS = {RefKind.APPOINTMENT: "1234", RefKind.GRIEVANCE: "6789"}


def damm_digit(digits: str) -> int:
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return interim


def _checked_number(first: str, length: int) -> str:
    """``first``, random digits, then the Damm check digit: ``length`` digits in all."""
    body = first + "".join(secrets.choice("0123456789") for _ in range(length - 2))
    return body + str(damm_digit(body))


def new_reference(kind: RefKind) -> str:
    return _checked_number(secrets.choice(_FIRST_DIGITS[kind]), REFERENCE_LENGTH)


def new_card_number() -> str:
    """A fresh eHealth card number (eleven digits, first ``5``, Damm check digit)."""
    return _checked_number(CARD_NUMBER_PREFIX, CARD_NUMBER_LENGTH)


def is_valid_card_number(raw: str) -> bool:
    """Eleven digits (spaces and hyphens between them), first ``5``, check digit right."""
    return card_number_problem(raw) is None


# What may stand between a card number's digits as people copy it: spaces, and the
# hyphen or any dash a phone or a word processor turns it into (full-width too, as
# full-width digits are digits).
CARD_NUMBER_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d")


class CardNumberProblem(Enum):
    """Why typed text is not an eHealth card number, each said in its own sentence."""

    NOT_DIGITS = "not_digits"  # a letter or a sign other than spaces and hyphens
    TOO_SHORT = "too_short"  # fewer than 11 digits (none at all too)
    TOO_LONG = "too_long"  # more than 11 digits
    FIRST_DIGIT = "first_digit"  # 11 digits not starting 5: another kind of number
    CHECK_DIGIT = "check_digit"  # 11 digits, one mistyped or two swapped (Damm)


def card_number_problem(raw: str) -> tuple[CardNumberProblem, int] | None:
    """Why ``raw`` is not a card number, and how many digits it has (of any script:
    ``typed_digits``), for a sentence that helps ("it has 11 digits; you typed 9"); None
    when it is one. A letter or any sign but spaces and hyphens is refused, never
    dropped: dropping it could leave 11 digits that name someone else's card."""
    text = str(raw)
    digits = sum(ch.isdecimal() for ch in text)
    if any(not (ch.isdecimal() or ch.isspace() or ch in CARD_NUMBER_SEPARATORS)
           for ch in text):
        return CardNumberProblem.NOT_DIGITS, digits
    if digits != CARD_NUMBER_LENGTH:
        return (CardNumberProblem.TOO_SHORT if digits < CARD_NUMBER_LENGTH
                else CardNumberProblem.TOO_LONG), digits
    number = normalise_reference(text)
    if not number.startswith(CARD_NUMBER_PREFIX):
        return CardNumberProblem.FIRST_DIGIT, digits
    if damm_digit(number) != 0:
        return CardNumberProblem.CHECK_DIGIT, digits
    return None


def spaced_card_number(number: str) -> str:
    """``51234567890`` as printed and shown: ``5123 4567 890``."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def normalise_reference(raw: str) -> str:
    """Keep only the digits a caller or a web form gave (spaces, dashes dropped), as
    ASCII: Devanagari ``१२३`` count as 123, while look-alikes such as ``²`` (a digit to
    ``str.isdigit`` but not a decimal one) are dropped."""
    return typed_digits("".join(ch for ch in str(raw) if ch.isdecimal())) or ""


def is_valid_reference(raw: str, kind: RefKind | None = None) -> bool:
    ref = normalise_reference(raw)
    if len(ref) != REFERENCE_LENGTH or damm_digit(ref) != 0:
        return False
    return kind is None or ref[0] in _FIRST_DIGITS[kind]


def reference_problem(raw: str, kind: RefKind) -> str | None:
    """Why ``raw`` is not a valid reference of ``kind``, for a sentence that helps: None
    when it is one; ``"length"`` (not 8 digits: letters, a digit missing or added);
    ``"other_kind"`` (a valid number of the other kind: a booking number typed where a
    complaint number is asked, or the reverse); ``"check_digit"`` (8 digits, one of
    them mistyped or two swapped: Damm's check digit)."""
    ref = normalise_reference(raw)
    if len(ref) != REFERENCE_LENGTH:
        return "length"
    if damm_digit(ref) != 0:
        return "check_digit"
    if ref[0] not in _FIRST_DIGITS[kind]:
        return "other_kind"
    return None


def reference_kind(raw: str) -> RefKind | None:
    """Which kind of record a valid reference names, or None when it is not valid."""
    ref = normalise_reference(raw)
    if not is_valid_reference(ref):
        return None
    for kind, firsts in _FIRST_DIGITS.items():
        if ref[0] in firsts:
            return kind
    return None
