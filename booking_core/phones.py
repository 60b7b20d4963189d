"""Citizens' mobile numbers: any common Indian form in, E.164 out."""

from __future__ import annotations

import functools

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from booking_core.base import InvalidInput


class InvalidMobile(InvalidInput):
    code = "invalid_mobile"


# What people write between the digits of a number: +91-98123-45678, (011) 2323 2400.
NUMBER_PUNCTUATION = frozenset("+-()./")


def normalise_mobile(raw: str, *, field: str = "phone") -> str:
    """Return ``+91XXXXXXXXXX`` for an Indian mobile number written any common way.

    Accepts 98123 45678, 09812345678, +91-98123-45678, 0091 98123 45678. Landlines and
    foreign numbers are refused: we text these numbers, and a landline gets no SMS.
    Raises ``InvalidMobile`` with ``reason`` empty, unparseable, not_indian, invalid or
    not_mobile, and ``field`` (the argument's name, ``phone``, unless told).
    """
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidMobile("a 10-digit Indian mobile number is required", reason="empty",
                            field=field)
    number, refusal = _read_mobile(text)
    if refusal is not None:
        raise InvalidMobile(refusal[0], reason=refusal[1], field=field)
    return number


# Every phone-line webhook reads the caller's number, and a booking reads it again:
# parsing with phonenumbers is a third of a menu webhook's own work, so each process
# keeps the answers for the numbers it saw last (a pure function of the text).
@functools.lru_cache(maxsize=4096)
def _read_mobile(text: str) -> tuple[str, tuple[str, str] | None]:
    """``(e164, None)``, or ``("", (message, reason))`` for a refused ``text``."""
    if any(not (ch.isdecimal() or ch.isspace() or ch in NUMBER_PUNCTUATION) for ch in text):
        # phonenumbers reads letters as keypad digits ("98123abcde" is 9812322233): a
        # typed "o" for "0" would send a code or a booking to a stranger's phone.
        return "", ("a phone number has only digits", "unparseable")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "IN")
    except NumberParseException:
        return "", ("not a phone number", "unparseable")
    if number.country_code != 91:
        return "", ("only Indian mobile numbers are accepted", "not_indian")
    if not phonenumbers.is_valid_number(number):
        return "", ("not a valid Indian number", "invalid")
    if phonenumbers.number_type(number) not in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return "", ("a landline cannot receive SMS", "not_mobile")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), None


def try_normalise_mobile(raw: str | None) -> str | None:
    try:
        return normalise_mobile(raw or "")
    except InvalidMobile:
        return None


def callback_number(raw: str | None) -> str | None:
    """The caller id as an Indian number we can call back (mobile or landline, E.164),
    or None: a withheld number reaches us as a placeholder (``+266696687``,
    ``anonymous``, ``client:...``) that must never be promised or stored a callback."""
    text = (raw or "").strip()
    if not text or len(text) > 32 or not text.lstrip("+").isdigit():
        return None
    try:
        number = phonenumbers.parse(text, "IN")
    except NumberParseException:
        return None
    if number.country_code != 91 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def spaced_mobile(e164: str) -> str:
    """``+919812345678`` as people write it in India, ``98123 45678``, for a person
    (the staff member who typed it) to check against what they were told."""
    national = e164.removeprefix("+91")
    return f"{national[:5]} {national[5:]}" if len(national) == 10 else e164


def mask_phone(e164: str | None) -> str:
    """``+91******5678``: enough for an agent or a log reader to tell callers apart."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    if len(digits) <= 4:
        return "*" * len(digits)
    prefix = "+" + digits[:2] if e164.startswith("+") and len(digits) > 10 else ""
    return prefix + "*" * (len(digits) - len(prefix.lstrip("+")) - 4) + digits[-4:]


def last_digits(e164: str | None, count: int = 4) -> str:
    return (e164 or "")[-count:]
