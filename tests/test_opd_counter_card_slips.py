"""A card number mistyped at the OPD counter is refused saying which slip it is, in the
clerk's language, and checks nobody in: a letter among the digits is refused, never
dropped (dropping it could leave another card's eleven digits); a digit short or over
says how many were typed; a wrong digit says the number does not add up. What the box
also takes (a booking number, a card number in any spacing or script) still works, and
text not meant as a card number (a booking number's slip, a mobile) is never told it is
a bad card number; a booking number's slip is said as what it is."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.ehealth import CardIssuer, book_with_card, issue_card
from booking_core.refs import spaced_card_number
from tests.fixtures_console import clerks_of, make_grievance
from tests.opd_factories import book, booking_time, mobile, opd_today
from tests.test_opd_counter import _check_in, _flash

NOT_DIGITS = {
    "en": "An eHealth card number has digits only: letters and other signs are not part "
          "of it (spaces and hyphens between the digits are fine). Type it as printed on "
          "the card.",
    "hi": "ई-हेल्थ कार्ड नंबर में सिर्फ़ अंक होते हैं: अक्षर या दूसरे चिह्न उसका हिस्सा नहीं "
          "हैं (अंकों के बीच खाली जगह और हाइफ़न चल सकते हैं)। नंबर वैसे ही लिखें जैसा "
          "कार्ड पर छपा है।",
}
CHECK_DIGIT = {
    "en": "This eHealth card number does not add up: a digit may be mistyped, or two "
          "swapped. Check it against the card, or ask for the booking number.",
    "hi": "यह ई-हेल्थ कार्ड नंबर सही नहीं बैठता: शायद कोई अंक ग़लत लिखा गया है या दो अंक "
          "आपस में बदल गए हैं। कार्ड से मिलाकर देखें, या बुकिंग नंबर पूछें।",
}


def too_short(lang: str, n: int) -> str:
    if lang == "hi":
        return (f"ई-हेल्थ कार्ड नंबर में 11 अंक होते हैं, पर आपने सिर्फ़ {n} अंक "
                f"{'लिखा है' if n == 1 else 'लिखे हैं'}। कार्ड पर छपे पूरे 11 अंक लिखें।")
    return (f"An eHealth card number has 11 digits, but you typed only {n}"
            f"{' digit' if n == 1 else ''}. Type all 11, as printed on the card.")


def too_long(lang: str, n: int) -> str:
    if lang == "hi":
        return (f"ई-हेल्थ कार्ड नंबर में 11 अंक होते हैं, पर आपने {n} अंक लिखे हैं। "
                "कार्ड से मिलाकर देखें।")
    return (f"An eHealth card number has 11 digits, but you typed {n}. "
            "Check it against the card.")


FULL_WIDTH = str.maketrans("0123456789 -", "０１２３４５６７８９\u3000－")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


@pytest.fixture
def today(session):
    return opd_today(session, capacity=10)


@pytest.fixture
def clerks(session, app, today):
    return clerks_of(session, app, today.hospital.id, "counter.slips")


@pytest.fixture
def booked(session, today):
    """A card holder booked today at this counter: (card number, appointment)."""
    card = issue_card(session, phone=mobile(), name="Sunita Devi", year_of_birth=1958,
                      via=CardIssuer.AGENT).card
    slot = today.slots[0]
    appointment = book_with_card(session, card_number=card.number, slot_id=slot.id,
                                 channel=Channel.PORTAL, now=booking_time(slot))
    return card.number, appointment


def _status(session, appointment):
    session.expire_all()
    return session.scalar(select(Appointment.status).where(Appointment.id == appointment.id))


def _wrong_digit(number: str, at: int) -> str:
    return number[:at] + str((int(number[at]) + 1) % 10) + number[at + 1:]


def _letters_in(number: str) -> list[str]:
    """The card's own number with a letter or a sign typed among its digits: with it
    dropped, the eleven digits left are the card's."""
    return [f"{number[:4]}a{number[4:]}", f"{number}x", f"{number[:5]}O{number[5:]}",
            f"{spaced_card_number(number)}.", f"{number[:4]}/{number[4:]}",
            f"{number[:4]}ａ{number[4:]}".translate(FULL_WIDTH)]


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_letter_among_a_cards_digits_is_refused_not_dropped(
        session, today, clerks, booked, lang):
    number, appointment = booked
    for typed in [*_letters_in(number), "5123a4567890", "5I23 4567 890"]:
        assert _flash(_check_in(clerks[lang], today, typed)) == NOT_DIGITS[lang], typed
    assert _status(session, appointment) == AppointmentStatus.BOOKED


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_card_number_a_digit_short_or_over_says_how_many_were_typed(
        session, today, clerks, booked, lang):
    number, appointment = booked
    client = clerks[lang]
    for typed, n in [("5123-4567-89", 10), (number[:-1], 10), (number[:9], 9),
                     (spaced_card_number(number[:-2]), 9)]:
        assert _flash(_check_in(client, today, typed)) == too_short(lang, n), typed
    for typed, n in [("51234567890123", 14), (number + "0", 12),
                     (f"{spaced_card_number(number)} 12", 13)]:
        assert _flash(_check_in(client, today, typed)) == too_long(lang, n), typed
    assert _status(session, appointment) == AppointmentStatus.BOOKED


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_card_number_with_a_digit_wrong_says_it_does_not_add_up(
        session, today, clerks, booked, lang):
    number, appointment = booked
    swapped = number[:3] + number[4] + number[3] + number[5:]
    typed = [_wrong_digit(number, 10), _wrong_digit(number, 6),
             spaced_card_number(_wrong_digit(number, 2)),
             _wrong_digit(number, 8).translate(FULL_WIDTH)]
    if swapped != number:
        typed.append(swapped)
    for code in typed:
        assert _flash(_check_in(clerks[lang], today, code)) == CHECK_DIGIT[lang], code
    assert _status(session, appointment) == AppointmentStatus.BOOKED


@pytest.mark.parametrize("form", ["spaced", "hyphens", "full_width", "full_width_spaced",
                                  "devanagari"])
def test_a_card_number_in_any_spacing_or_script_still_checks_in(
        session, today, clerks, booked, form):
    number, appointment = booked
    typed = {"spaced": f"  {spaced_card_number(number)} ",
             "hyphens": f"{number[:4]}-{number[4:8]}-{number[8:]}",
             "full_width": number.translate(FULL_WIDTH),
             "full_width_spaced": spaced_card_number(number).translate(FULL_WIDTH),
             "devanagari": spaced_card_number(number).translate(DEVANAGARI)}[form]
    assert _flash(_check_in(clerks["en"], today, typed)) == (
        "Checked in: Sunita Devi, token 1.")
    assert _status(session, appointment) == AppointmentStatus.ATTENDED


BOOKING_SLIPS = {
    "length": {"en": "A booking number has 8 digits. Check it and type all 8.",
               "hi": "बुकिंग नंबर में 8 अंक होते हैं। जाँचकर पूरे 8 अंक लिखें।"},
    "check_digit": {"en": "Check the booking number: it has 8 digits and one of them seems "
                          "wrong.",
                    "hi": "बुकिंग नंबर जाँचें: इसमें 8 अंक होते हैं और कोई अंक ग़लत लग रहा "
                          "है।"},
    "other_kind": {"en": "This is a complaint number, not a booking number.",
                   "hi": "यह शिकायत नंबर है, बुकिंग नंबर नहीं।"},
}
FIRST_DIGIT = {
    "en": "An eHealth card number starts with 5. Check it against the card: this may be "
          "another number, such as a mobile number.",
    "hi": "ई-हेल्थ कार्ड नंबर 5 से शुरू होता है। कार्ड से मिलाकर देखें: हो सकता है यह कोई "
          "दूसरा नंबर हो, जैसे मोबाइल नंबर।",
}


def test_a_booking_number_still_checks_in_and_its_slips_are_not_called_card_numbers(
        session, today, clerks):
    """Each slip of a booking number is said as what it is: a digit missing or added
    (ten or twelve digits that are no mobile too: a mobile lists its appointments,
    ``test_opd_counter_mobile``), a digit wrong or two swapped, a complaint number
    typed instead; never as a card number's slip."""
    appointment = book(session, today.slots[0], now=booking_time(today.slots[0]))
    complaint = make_grievance(session).reference
    ref, dep = appointment.reference, today.department.id
    session.commit()  # end the read: SQLite's transactions hold the write lock
    swapped = ref[:5] + ref[6] + ref[5] + ref[7:]
    slips = [("1234", "length"), (ref[:7], "length"), (ref + "1", "length"),
             ("1234 567 890", "length"), ("0123 4567 890 1", "length"),
             ("51234567", "check_digit"), (_wrong_digit(ref, 7), "check_digit"),
             (_wrong_digit(ref, 3), "check_digit"),
             (f"{complaint[:4]} {complaint[4:]}", "other_kind")]
    if swapped != ref:
        slips.append((swapped, "check_digit"))
    for lang, client in clerks.items():
        for typed, kind in slips:
            assert _flash(_check_in(client, dep, typed)) == BOOKING_SLIPS[kind][lang], (
                lang, typed)
    assert _flash(_check_in(clerks["en"], dep, f" {ref[:4]}-{ref[4:]} ")).startswith(
        "Checked in: ")
    assert _status(session, appointment) == AppointmentStatus.ATTENDED


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_eleven_digits_not_starting_with_5_are_said_to_start_wrong(
        session, today, clerks, booked, lang):
    """A card number's eleven digits with the first mistyped, a mobile a digit short
    typed as 91 and 9 digits, or a landline with its 0: the card's first-digit sentence
    (which names another number as what it may be), not "check the booking number" for
    what cannot be one. (A whole mobile, with its 0 too, lists its appointments.)"""
    number, appointment = booked
    for typed in ("4" + number[1:], spaced_card_number("6" + number[1:]), "01123232400",
                  "0 11 2323 2400", "61234567890", "91 98765 4321"):
        assert _flash(_check_in(clerks[lang], today, typed)) == FIRST_DIGIT[lang], typed
    assert _status(session, appointment) == AppointmentStatus.BOOKED


def test_what_is_meant_as_a_card_number():
    """A card number's 11 digits, whatever the first; or the first digit 5 and more
    digits than a booking number, or signs among them."""
    from booking_core.opd_counter import meant_as_card_number

    for typed in ("5123a4567890", "5123-4567-89", "51234567890123", "५१२३४५६७८९०",
                  "5123 4567 8", "5a", "a5123", "5123.4567.890", "09876543210",
                  "61234567890", "4123 4567 890"):
        assert meant_as_card_number(typed), typed
    for typed in ("12345678", "1234 5678", "51234567", "9876543210", "+91 98765 43210",
                  "", "abc", "612345678901", "1234567"):
        assert not meant_as_card_number(typed), typed


def test_the_booking_pages_card_field_says_the_slip_too(session, console, agent):
    """The booking page's card (a choice of the caller's cards, so only a garbled or
    forged form sends a slip) is refused in the same words as the counter's box."""
    console.login(agent.username)
    for card, said in [("5123a4567890", NOT_DIGITS["en"]), ("5123 4567 8", too_short("en", 9)),
                       ("51234567890123", too_long("en", 14))]:
        page = console.post("/console/booking/book", {
            "slot": 1, "phone": mobile(), "language": "en", "card": card},
            follow_redirects=True)
        assert said in page.get_data(as_text=True).replace("&#39;", "'"), card


def _box(page) -> str | None:
    """The counter box's value as the page draws it (None: no value)."""
    import html
    import re

    found = re.search(r'<input id="code" name="code"[^>]*>', page.get_data(as_text=True))
    assert found, "no counter box"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value and value.group(1) else None


def test_a_refused_code_comes_back_in_the_box_once_and_a_check_in_leaves_it_empty(
        session, today, clerks, booked):
    """Beside the sentence that says what is wrong, the box holds what was typed, to be
    corrected, not typed again; the next visit to the counter starts empty, and so does
    the box after a check-in."""
    number, appointment = booked
    client = clerks["en"]
    for typed in (spaced_card_number(number[:-1]), "5123a4567890", "1234 567",
                  "4" + number[1:], '12"34<5>'):
        page = _check_in(client, today, typed)
        assert _flash(page), typed
        assert _box(page) == typed, typed
        again = client.get(f"/console/opd?department={today.department.id}")
        assert _box(again) is None, typed
    checked = _check_in(client, today, spaced_card_number(number))
    assert _flash(checked).startswith("Checked in: ") and _box(checked) is None
    assert _status(session, appointment) == AppointmentStatus.ATTENDED
