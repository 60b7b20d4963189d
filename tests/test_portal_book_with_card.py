"""Booking on the portal with an eHealth card, as the phone line does: the citizen proves
their own mobile, types the card number (as printed, with hyphens, in Devanagari
digits) at the read-back, and the appointment is the card's: in the holder's name, its
SMS to the card's mobile, told that another mobile booked; the counter's card look-up
finds it. Refusals are said beside the card field in the citizen's language, and a day
the card holder already holds is said without its booking number."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, Channel
from booking_core.ehealth import CardIssuer, book_with_card, issue_card
from booking_core.opd_counter import CodeKind, CounterCode, card_appointments_today
from booking_core.outbox import OutboxMessage
from booking_core.refs import damm_digit, new_card_number, spaced_card_number
from tests.fixtures_api import reading
from tests.test_portal_pages import E164, Portal

FAMILY = "+919876501234"  # the grandmother's card was issued to the family's phone
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


@pytest.fixture
def card(session, catalogue):
    number = issue_card(session, phone=FAMILY, name="Kamla Devi", year_of_birth=1950,
                        via=CardIssuer.COUNTER).card.number
    session.commit()
    return number


def _verified_review(portal, catalogue, lang="en"):
    portal.choose(lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    portal.verify("/portal/book/review", {"slot": str(catalogue.slot.id)})
    assert 'name="card_number"' in portal.page and 'value="book"' in portal.page


def _book(portal, catalogue, typed, follow=True):
    return portal.post("/portal/book/review", {"slot": str(catalogue.slot.id),
                                               "card_number": typed, "step": "book"},
                       follow=follow)


def _card_error(page: str) -> str:
    import html
    import re

    found = re.search(r'<p class="error" id="card-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("form", ["spaced", "hyphens", "devanagari"])
def test_book_with_a_card_typed_in_any_form(portal, session, catalogue, card, form):
    typed = {"spaced": spaced_card_number(card),
             "hyphens": f"{card[:4]}-{card[4:8]}-{card[8:]}",
             "devanagari": spaced_card_number(card).translate(DEVANAGARI)}[form]
    _verified_review(portal, catalogue)
    _book(portal, catalogue, typed, follow=False)
    assert portal.status == 303
    with reading(session):
        booked = session.scalar(select(Appointment))
        assert booked.ehealth_card_id is not None and booked.channel == Channel.PORTAL
        assert booked.patient_name == "Kamla Devi"
        assert booked.citizen.phone == FAMILY and booked.booked_by_phone == E164
        sms = list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.appointment_id == booked.id)))
        # Every SMS (confirmation, reminders) to the card's mobile, none to the booker.
        assert sms and {m.to_phone for m in sms} == {FAMILY}
        # Told it was booked for them online (not "by phone"), and how to cancel.
        confirmation = [m for m in sms if m.template == "appointment_booked_for_you_online"]
        assert len(confirmation) == 1 and booked.reference in confirmation[0].body
        assert "by phone" not in confirmation[0].body and "फ़ोन से" not in confirmation[0].body
        reference, visit_day = booked.reference, booked.visit_day
        card_id = booked.ehealth_card_id
    assert portal.location == f"/portal/appointments/{reference}"  # "booked" in no URL
    # The booker's mobile may see it (as on the phone line: the booker and the patient);
    # the card holder's mobile is named by its last digits only.
    portal.get(portal.location)
    assert portal.status == 200
    text = portal.text()
    assert ("The appointment for Kamla Devi is booked. The booking number has been sent by "
            "SMS to the patient's mobile ending in 1234.") in text
    assert "go by SMS to the patient's mobile ending in 1234, not to this mobile." in text
    assert "Kamla Devi" in text and f"{reference[:4]} {reference[4:]}" in text
    assert FAMILY not in portal.page and "98765" not in portal.page
    # The counter's card look-up on the visit day finds the portal's booking.
    with reading(session):
        found = card_appointments_today(
            session, CounterCode(CodeKind.CARD, card), hospital_id=catalogue.hospital.id,
            department_id=catalogue.department.id, today=visit_day)
        assert [a.reference for a in found] == [reference]
        assert found[0].ehealth_card_id == card_id


def test_a_card_of_the_verified_mobile_books_as_its_own(portal, session, catalogue):
    own = issue_card(session, phone=E164, name="Ramesh Kumar", year_of_birth=1980,
                     via=CardIssuer.PORTAL).card.number
    session.commit()
    _verified_review(portal, catalogue, "hi")
    _book(portal, catalogue, own)
    assert portal.status == 200
    assert "आपका अपॉइंटमेंट बुक हो गया है।" in portal.text()
    assert "आख़िरी अंक" not in portal.text()  # their own mobile: said as "your mobile"
    with reading(session):
        booked = session.scalar(select(Appointment))
        assert booked.citizen.phone == E164 and booked.booked_by_phone is None
        assert booked.patient_name == "Ramesh Kumar" and booked.ehealth_card_id is not None


REFUSALS = {
    "short": {"en": "An eHealth card number has 11 digits, but you typed only 8. Please type "
                    "all 11, as printed on the card.",
              "hi": "ई-हेल्थ कार्ड नंबर में 11 अंक होते हैं, पर आपने सिर्फ़ 8 अंक लिखे हैं। "
                    "कृपया कार्ड पर छपे पूरे 11 अंक लिखें।"},
    "one digit": {"en": "An eHealth card number has 11 digits, but you typed only 1 digit. "
                        "Please type all 11, as printed on the card.",
                  "hi": "ई-हेल्थ कार्ड नंबर में 11 अंक होते हैं, पर आपने सिर्फ़ 1 अंक लिखा है। "
                        "कृपया कार्ड पर छपे पूरे 11 अंक लिखें।"},
    "no digits": {"en": "Please type the eHealth card number: the 11 digits printed on the "
                        "card.",
                  "hi": "कृपया ई-हेल्थ कार्ड नंबर लिखें: कार्ड पर छपे 11 अंक।"},
    "too_long": {"en": "An eHealth card number has 11 digits, but you typed 15. Please check "
                       "it against the card.",
                 "hi": "ई-हेल्थ कार्ड नंबर में 11 अंक होते हैं, पर आपने 15 अंक लिखे हैं। कृपया "
                       "कार्ड से मिलाकर देखें।"},
    "letters": {"en": "An eHealth card number has digits only. Spaces and hyphens (-) between "
                      "them are fine, but not letters or other signs. Please type it as "
                      "printed on the card.",
                "hi": "ई-हेल्थ कार्ड नंबर में सिर्फ़ अंक होते हैं। अंकों के बीच खाली जगह और "
                      "हाइफ़न (-) चल सकते हैं, पर अक्षर या दूसरे चिह्न नहीं। कृपया नंबर वैसे ही "
                      "लिखें जैसा कार्ड पर छपा है।"},
    "first_digit": {"en": "An eHealth card number starts with 5. Please check it against the "
                          "card: this may be another number, such as a mobile number.",
                    "hi": "ई-हेल्थ कार्ड नंबर 5 से शुरू होता है। कृपया कार्ड से मिलाकर देखें: हो "
                          "सकता है यह कोई दूसरा नंबर हो, जैसे मोबाइल नंबर।"},
    "check_digit": {"en": "Check the eHealth card number: it has 11 digits, as printed on the "
                          "card, and one of them seems wrong.",
                    "hi": "ई-हेल्थ कार्ड नंबर जाँचें: इसमें कार्ड पर छपे 11 अंक होते हैं और कोई "
                          "अंक ग़लत लग रहा है।"},
    "unknown": {"en": "No eHealth card has this number. Please check it against the card.",
                "hi": "इस नंबर का कोई ई-हेल्थ कार्ड नहीं है। कृपया कार्ड से मिलाकर देखें।"},
}
# The same slips, one of each, for the refusals' tests below.
REFUSALS["a letter"] = REFUSALS["signs"] = REFUSALS["letters"]
REFUSALS["full width"] = {
    "en": REFUSALS["short"]["en"].replace("only 8", "only 3"),
    "hi": REFUSALS["short"]["hi"].replace("सिर्फ़ 8", "सिर्फ़ 3")}


def _typed(kind: str, card: str, unknown: str) -> str:
    mobile = "0981234567"  # a mobile with its 0: eleven digits, not a card's
    return {"short": "5123 4567", "one digit": "5", "no digits": " - ",
            "too_long": "123456789012345", "letters": "card number",
            "a letter": "12a45678901", "full width": "１２３",
            "signs": f"{card[:4]}.{card[4:8]}.{card[8:]}",
            "first_digit": mobile + str(damm_digit(mobile)),
            "check_digit": card[:-1] + str((int(card[-1]) + 1) % 10),
            "unknown": spaced_card_number(unknown)}[kind]


@pytest.mark.parametrize("lang", ["en", "hi"])
@pytest.mark.parametrize("kind", ["short", "one digit", "no digits", "too_long", "letters",
                                  "a letter", "signs", "full width", "first_digit",
                                  "check_digit", "unknown"])
def test_junk_and_unknown_card_numbers_are_refused_beside_the_field(
        portal, session, catalogue, card, lang, kind):
    """Each slip is said in its own sentence ("you typed only 8"), in the citizen's
    language, beside the field: "one digit seems wrong" only for a digit wrong."""
    unknown = new_card_number()
    while unknown == card:
        unknown = new_card_number()
    typed = _typed(kind, card, unknown)
    _verified_review(portal, catalogue, lang)
    _book(portal, catalogue, typed)
    assert portal.refused, (portal.redirects, portal.status)
    said = REFUSALS[kind][lang]
    assert _card_error(portal.page) == said
    assert f'value="{typed.strip()}"' in portal.page  # kept as typed, to be corrected
    assert 'id="card-option" open' in portal.page and 'value="book"' in portal.page
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_day_the_card_holder_holds_is_not_revealed_to_another_mobile(
        portal, session, catalogue, card, lang):
    held = book_with_card(session, card_number=card, slot_id=catalogue.slot.id,
                          channel=Channel.IVR)
    session.commit()
    reference = held.reference
    _verified_review(portal, catalogue, lang)
    _book(portal, catalogue, spaced_card_number(card))
    assert portal.refused
    said = {"en": "The card holder already has an appointment in this department that day. "
                  "Please choose another day.",
            "hi": "कार्डधारक का उस दिन इस विभाग में पहले से अपॉइंटमेंट है। कृपया दूसरा दिन "
                  "चुनें।"}[lang]
    assert _card_error(portal.page) == said
    # Neither its booking number nor a link to it; the citizen may still book for
    # their own mobile (the form and its button stay).
    assert reference not in portal.page and reference[:4] + " " + reference[4:] not in (
        portal.page)
    assert "/portal/appointments/" not in portal.page.split("<main", 1)[-1].split(
        "</form>", 1)[0]
    assert 'value="book"' in portal.page
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_a_card_typed_before_the_code_is_checked_with_the_code_asked(portal, catalogue, card):
    portal.choose("en")
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    _book(portal, catalogue, "12")
    assert portal.refused
    assert _card_error(portal.page) == REFUSALS["short"]["en"].replace("only 8", "only 2")
    assert 'value="12"' in portal.page


@pytest.mark.parametrize("lang", ["en", "hi"])
@pytest.mark.parametrize("kind", ["a letter", "too_long", "first_digit", "check_digit"])
def test_each_slip_is_said_before_the_code_too(portal, catalogue, card, lang, kind):
    """The card number typed with the mobile not yet proved is checked by the same rule,
    and said in the same sentence as after the code."""
    portal.choose(lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    typed = _typed(kind, card, card)
    _book(portal, catalogue, typed)
    assert portal.refused
    assert _card_error(portal.page) == REFUSALS[kind][lang]
