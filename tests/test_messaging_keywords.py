"""Reading an SMS into a command: Twilio's keyword lists, Hindi in both scripts, odd
spaces and punctuation, and the bare CANCEL / CANCEL <reference> split."""

from __future__ import annotations

import pytest

from messaging.keywords import PHRASES, REFERENCE_WORDS, parse_command
from tests.sms_keywords import (
    HELP,
    IDEOGRAPHIC_SPACE,
    NOT_OPT_OUT,
    OPT_IN,
    OPT_OUT,
    ZWSP,
    full_width,
)

APPOINTMENT_REF = "12345674"  # valid Damm check digit, kind digit 1


def _read(body: str) -> tuple[str, str, str | None]:
    command = parse_command(body)
    return command.name, command.reference, command.language


@pytest.mark.parametrize(("body", "language"), OPT_OUT)
def test_every_opt_out_variant_is_an_opt_out(body, language):
    assert _read(body) == ("stop", "", language)


@pytest.mark.parametrize(("body", "language"), OPT_IN)
def test_every_opt_in_variant_is_an_opt_in(body, language):
    assert _read(body) == ("start", "", language)


@pytest.mark.parametrize(("body", "language"), HELP)
def test_help_words_and_reference_commands_without_a_reference_get_help(body, language):
    assert _read(body) == ("help", "", language)


@pytest.mark.parametrize("body", NOT_OPT_OUT)
def test_near_misses_are_not_opt_outs(body):
    assert parse_command(body).name in {"unknown", "help"}


def test_twilios_documented_keywords_are_all_known():
    """Twilio's default lists (long codes and Messaging Services' Advanced Opt-Out)."""
    opt_out = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
    assert {word: PHRASES[word][0] for word in opt_out} == dict.fromkeys(opt_out, "stop")
    assert {PHRASES[word][0] for word in ("start", "yes", "unstop")} == {"start"}
    assert {PHRASES[word][0] for word in ("help", "info")} == {"help"}


@pytest.mark.parametrize(("body", "name", "reference", "language"), [
    # CANCEL with a reference cancels; the bare word is Twilio's opt-out.
    (f"CANCEL {APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "en"),
    (f"cancel {APPOINTMENT_REF}.", "cancel", APPOINTMENT_REF, "en"),
    ("Cancel 1234 5674", "cancel", APPOINTMENT_REF, "en"),
    ("CANCEL 1234-5674", "cancel", APPOINTMENT_REF, "en"),
    (f"CANCEL:{APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "en"),
    (f"CANCEL{APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "en"),
    (f" Cancel ref {APPOINTMENT_REF}!\n", "cancel", APPOINTMENT_REF, "en"),
    (full_width(f"CANCEL {APPOINTMENT_REF}"), "cancel", APPOINTMENT_REF, "en"),
    (f"CANCEL{IDEOGRAPHIC_SPACE}{APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "en"),
    ("CANCEL 1234", "cancel", "1234", "en"),  # a wrong reference: "not found" later
    ("CANCEL", "stop", "", "en"),
    ("cancel!", "stop", "", "en"),
    # रद्द is no carrier keyword: with a reference it cancels, alone it asks for one.
    (f"रद्द {APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "hi"),
    ("रद्द १२३४५६७४", "cancel", APPOINTMENT_REF, "hi"),
    ("रद्द१२३४ ५६७४।", "cancel", APPOINTMENT_REF, "hi"),
    (f"रद {APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "hi"),
    (f"radd {APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "hi"),
    (f"र{ZWSP}द्द {APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "hi"),
    ("रद्द", "help", "", "hi"),
    # STATUS / स्थिति the same way.
    ("Status: 61234567", "status", "61234567", "en"),
    ("स्थिति 61234567", "status", "61234567", "hi"),
    ("sthiti 61234567", "status", "61234567", "hi"),
    ("STATUS", "help", "", "en"),
    # Look-alike digits are no reference; the command then asks for one.
    ("CANCEL ²³", "help", "", "en"),
    # Words around the number are fine; a number that is unclear acts on nothing (a
    # CANCEL must never cancel a booking the sender did not write): letters glued to
    # it, or a second number after words (the digits used to be joined into one).
    (f"रद्द करो {APPOINTMENT_REF}", "cancel", APPOINTMENT_REF, "hi"),
    (f"CANCEL {APPOINTMENT_REF} thanks", "cancel", APPOINTMENT_REF, "en"),
    ("cancel my 1234 5674 please", "cancel", APPOINTMENT_REF, "en"),
    (f"radd {APPOINTMENT_REF}abc", "help", "", "hi"),
    (f"CANCEL {APPOINTMENT_REF}x", "help", "", "en"),
    (f"CANCEL abc{APPOINTMENT_REF}", "help", "", "en"),
    (f"रद्द {APPOINTMENT_REF}क", "help", "", "hi"),
    ("STATUS 61234567 और 12345674", "help", "", "en"),
    (f"CANCEL {APPOINTMENT_REF} or 61234567", "help", "", "en"),
    ("status 1234 5674 please 9", "help", "", "en"),
    (f"CANCEL {APPOINTMENT_REF}{ZWSP}abc", "help", "", "en"),  # glued, invisibly
    (f"CANCEL 1234{ZWSP}5674", "cancel", APPOINTMENT_REF, "en"),
    # Words that are no command at all.
    ("kya haal", "unknown", "", None),
    ("नमस्ते", "unknown", "", None),
    ("", "unknown", "", None),
])
def test_reference_commands(body, name, reference, language):
    assert _read(body) == (name, reference, language)


def test_cancel_is_the_one_word_that_is_both_a_whole_message_and_a_reference_command():
    assert set(PHRASES) & set(REFERENCE_WORDS) == {"cancel"}
