"""One name per thing, on every channel: what citizens call the numbers they hold.

The phone line says "booking number" («बुकिंग नंबर») for an OPD booking's reference,
"complaint number" («शिकायत नंबर») for a grievance's and "card number" («कार्ड नंबर»)
for an eHealth card's, because that is what callers call them. An SMS, a portal page or
an agent reading the console out to a caller must use the same words: a citizen told
"send CANCEL and the reference number" does not know which of their numbers that is.
Every catalog is scanned (the console's too: agents read it out and ask callers for
these numbers), so the old names cannot come back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from booking_core.appointments import InvalidReference, find_appointment
from grievances.services import InvalidGrievanceReference, find_grievance
from locales import catalogs

ROOT = Path(__file__).resolve().parent.parent

# English names for these numbers that citizens do not use ("Ref 12345678",
# "the reference number", "Reference: ..."), and "grievance number", which the phone
# line calls a complaint number.
OLD_ENGLISH = re.compile(r"\b(ref|refs|reference|references|grievance number)\b", re.I)
# Hindi names replaced: «संदर्भ» / «संदर्भ संख्या» (a bookish word for "reference"),
# its transliterations, and «संख्या» for a booking's, complaint's or card's number.
OLD_HINDI = ("संदर्भ", "सन्दर्भ", "रेफ़रेंस", "रेफरेंस", "बुकिंग संख्या", "शिकायत संख्या",
             "कार्ड संख्या", "संख्या जाँचें", "संख्या भेजें")


def _words(text: str) -> str:
    """The words of a message, without its ``{placeholders}`` (``{reference}`` is a
    variable's name, never read by anyone)."""
    return re.sub(r"\{[^}]*\}", " ", text)


def test_no_english_message_calls_a_booking_or_complaint_number_a_reference():
    found = {key: text for key, text in catalogs()["en"].items()
             if OLD_ENGLISH.search(_words(text))}
    assert found == {}


def test_no_hindi_message_uses_the_replaced_names():
    found = {key: text for key, text in catalogs()["hi"].items()
             if any(old in _words(text) for old in OLD_HINDI)}
    assert found == {}


# Messages that ask a citizen (or an agent's caller) for one of these numbers, or give
# it to them, and the name each must use.
NAMED = {
    "sms.appointment_confirmation": ("booking number", "बुकिंग नंबर"),
    "sms.appointment_rescheduled": ("booking number", "बुकिंग नंबर"),
    "sms.appointment_reminder_evening": ("booking number", "बुकिंग नंबर"),
    "sms.appointment_reminder_morning": ("booking number", "बुकिंग नंबर"),
    "sms.appointment_booked_for_you": ("booking number", "बुकिंग नंबर"),
    "sms.appointment_booked_for_you_online": ("booking number", "बुकिंग नंबर"),
    "sms.reply_help": ("booking number", "बुकिंग नंबर"),
    "sms.reply_help_no_number": ("booking number", "बुकिंग नंबर"),
    "sms.reply_stopped": ("booking number", "बुकिंग नंबर"),
    "sms.reply_too_late_to_cancel": ("booking number", "बुकिंग नंबर"),
    "sms.reply_already_cancelled": ("booking number", "बुकिंग नंबर"),
    "sms.reply_already_checked_in": ("booking number", "बुकिंग नंबर"),
    "sms.reply_appointment_status_booked": ("booking number", "बुकिंग नंबर"),
    "sms.reply_appointment_status_cancelled": ("booking number", "बुकिंग नंबर"),
    "sms.reply_appointment_status_opd_closed": ("booking number", "बुकिंग नंबर"),
    "sms.reply_appointment_status_attended": ("booking number", "बुकिंग नंबर"),
    "sms.reply_appointment_status_no_show": ("booking number", "बुकिंग नंबर"),
    "sms.grievance_registered": ("complaint number", "शिकायत नंबर"),
    "console.done_booked": ("booking number", "बुकिंग नंबर"),
    "console.registered": ("complaint number", "शिकायत नंबर"),
    "console.complaint_number": ("complaint number", "शिकायत नंबर"),
    "console.err.invalid_reference.appointment": ("booking number", "बुकिंग नंबर"),
    "console.err.invalid_reference.grievance": ("complaint number", "शिकायत नंबर"),
    "console.err.invalid_reference.appointment.length": ("booking number", "बुकिंग नंबर"),
    "console.err.invalid_reference.appointment.check_digit": ("booking number", "बुकिंग नंबर"),
    "console.err.invalid_reference.appointment.other_kind": ("booking number", "बुकिंग नंबर"),
    "console.err.invalid_reference.grievance.length": ("complaint number", "शिकायत नंबर"),
    "console.err.invalid_reference.grievance.check_digit": ("complaint number", "शिकायत नंबर"),
    "console.err.invalid_reference.grievance.other_kind": ("complaint number", "शिकायत नंबर"),
    "portal.err.invalid_reference.grievance": ("complaint number", "शिकायत नंबर"),
    "ivr.book.number": ("booking number", "बुकिंग नंबर"),
    "ivr.griev.number": ("complaint number", "शिकायत नंबर"),
    "ehealth.card.number": ("card number", "कार्ड नंबर"),
}


@pytest.mark.parametrize("key", sorted(NAMED))
def test_each_number_is_named_as_citizens_name_it(key):
    english, hindi = NAMED[key]
    assert english in catalogs()["en"][key].lower(), catalogs()["en"][key]
    assert hindi in catalogs()["hi"][key], catalogs()["hi"][key]


def test_sms_help_names_the_booking_and_the_complaint_number():
    """STATUS answers for a booking and for a complaint: the help says both."""
    for lang, words in (("en", ("booking", "complaint number")), ("hi", ("बुकिंग", "शिकायत नंबर"))):
        for key in ("sms.reply_help", "sms.reply_help_no_number"):
            assert all(w in catalogs()[lang][key] for w in words), (lang, key)


def test_templates_hard_code_no_reference_label():
    """Pages take their words from the catalogs; none writes "Reference" in itself."""
    found = []
    for folder in ("portal_web/templates", "agent_console/templates"):
        for page in sorted((ROOT / folder).rglob("*.html")):
            text = page.read_text(encoding="utf-8")
            # Only what a reader sees: drop Jinja code, then tags and their attributes.
            shown = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.S)
            shown = re.sub(r"<[^>]*>", " ", shown)
            if OLD_ENGLISH.search(shown) or any(old in shown for old in OLD_HINDI):
                found.append(str(page.relative_to(ROOT)))
    assert found == []


def test_domain_errors_name_the_number_and_its_kind(session):
    """The API's error message and the console's sentence come from these."""
    with pytest.raises(InvalidReference) as booking:
        find_appointment(session, "1234")
    assert "booking number" in str(booking.value)
    assert booking.value.details.get("entity") == "appointment"
    with pytest.raises(InvalidGrievanceReference) as grievance:
        find_grievance(session, "1234")
    assert "complaint number" in str(grievance.value)
    assert grievance.value.details.get("entity") == "grievance"


# Catalogs whose English a citizen reads or hears: SMS to citizens, the portal, the
# phone line (menus and the follow-up call), OPD counters and hall displays, eHealth
# cards, the home page, and the shared labels (categories, statuses) they all show.
# Left out, because only staff read them: the console (console, console_phone: an
# agent's own word is "grievance"), reports, master_data and supervision_sms (texts to
# supervisors).
CITIZEN_CATALOGS = ("common", "grievance_sms", "sms", "portal", "messaging", "ivr", "opd",
                    "ehealth", "home")
GRIEVANCE = re.compile(r"\bgrievances?\b", re.I)


def _english_catalog(name: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with (ROOT / "locales" / "en" / "LC_MESSAGES" / f"{name}.po").open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh, locale="en_IN") if m.id}


def test_citizens_read_complaint_never_grievance():
    """The phone line and the portal say "complaint" («शिकायत»); an SMS or page that
    says "grievance" names the same thing differently."""
    found = {key: text for name in CITIZEN_CATALOGS
             for key, text in _english_catalog(name).items()
             if GRIEVANCE.search(_words(text))}
    assert found == {}


def test_every_catalog_is_sorted_into_citizen_or_staff():
    """A new catalog must be placed on one side, so it is not skipped unnoticed."""
    staff = {"console", "console_phone", "reports", "master_data", "supervision_sms"}
    names = {p.stem for p in (ROOT / "locales" / "en" / "LC_MESSAGES").glob("*.po")}
    assert names == set(CITIZEN_CATALOGS) | staff


def test_hindi_sms_say_shikayat_where_english_says_complaint():
    found = {key: catalogs()["hi"][key] for key, text in catalogs()["en"].items()
             if key.startswith("sms.") and "complaint" in text.lower()
             and "शिकायत" not in catalogs()["hi"][key]}
    assert found == {}


def _citizen_catalog(lang: str, name: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    locale = "en_IN" if lang == "en" else "hi_IN"
    with (ROOT / "locales" / lang / "LC_MESSAGES" / f"{name}.po").open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh, locale=locale) if m.id}


# What may stand right before a booking's or complaint's number, or (Hindi word order)
# right after it: its name. "OPD appointment 30684871", "complaint 12345678",
# «ओपीडी 30684871» name it otherwise.
NAMED_BEFORE = {"en": re.compile(r"(booking number|complaint number)( is)?\s*$|the number\s*$",
                                 re.I),
                "hi": re.compile(r"(बुकिंग नंबर|शिकायत नंबर)\s*$")}
NAMED_AFTER = {"en": re.compile(r"^$"), "hi": re.compile(r"^\s*नंबर")}


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_every_booking_or_complaint_number_citizens_get_is_named_as_such(lang):
    """Every ``{reference}`` a citizen reads or hears (SMS, phone line, portal) comes
    with its name: "booking number 30684871", never "OPD appointment 30684871"."""
    found = {}
    for name in CITIZEN_CATALOGS:
        for key, text in _citizen_catalog(lang, name).items():
            for match in re.finditer(r"\{reference\}", text):
                before, after = text[:match.start()], text[match.end():]
                if not (NAMED_BEFORE[lang].search(before)
                        or (lang == "hi" and NAMED_AFTER[lang].search(after))):
                    found[key] = text
    assert found == {}


# The name as the phone line says it, whole: "booking number", not "OPD booking number"
# (the SMS replies to CANCEL and STATUS once said so, beside every other SMS's
# "booking number"); «बुकिंग नंबर», not «ओपीडी बुकिंग नंबर».
QUALIFIED = {"en": re.compile(r"\b(OPD|appointment|visit)\s+booking\s+number", re.I),
             "hi": re.compile(r"(ओपीडी|अपॉइंटमेंट)\s+बुकिंग\s+नंबर")}


def test_a_booking_number_is_called_just_that_everywhere():
    found = {lang: sorted(k for k, v in catalogs()[lang].items()
                          if QUALIFIED[lang].search(_words(v))) for lang in ("en", "hi")}
    assert found == {"en": [], "hi": []}
    assert QUALIFIED["en"].search("OPD booking number {reference} was already cancelled.")
    assert not QUALIFIED["en"].search("to cancel an OPD booking, send its booking number")
    assert QUALIFIED["hi"].search("ओपीडी बुकिंग नंबर 1234")
    assert not QUALIFIED["hi"].search("सिर्फ़ ओपीडी बुकिंग रद्द होती है। बुकिंग नंबर 1234")
