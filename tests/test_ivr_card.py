"""The eHealth card on the phone line, walked through the signed webhooks' TwiML: book
for a card number at the read-back, hear a card's appointments from menu 4."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment
from booking_core.ehealth import CardIssuer, issue_card
from booking_core.outbox import OutboxMessage
from tests.fixtures_ivr import CALLER
from tests.test_ivr_booking import reference_from, start_booking

FAMILY_PHONE = "+919876501234"


@pytest.fixture
def card(ivr_session, ivr_world):
    """A grandmother's card, issued to the family's phone (not the caller's)."""
    number = issue_card(ivr_session, phone=FAMILY_PHONE, name="Kamla Devi", year_of_birth=1950,
                        via=CardIssuer.COUNTER).card.number
    ivr_session.commit()
    return number


def _digits_said(number: str, said: str) -> bool:
    """The number read digit by digit, in groups of four."""
    groups = [" ".join(number[i:i + 4]) for i in range(0, len(number), 4)]
    return ", ".join(groups) in said


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_phone_line_books_for_a_card_number(phone, ivr_world, ivr_session, card, lang):
    start_booking(phone, lang)
    for key in ("2", "1", "1", "1"):  # Lok Nayak, Orthopaedics, first day, 9:00
        phone.press(key)
    phone.press("3")  # someone else
    assert ("ई-हेल्थ कार्ड नंबर से बुक करने के लिए 4 दबाएँ" if lang == "hi" else
            "eHealth card number, press 4") in phone.said
    phone.press("4")
    gather = phone.gather
    assert gather.get("numDigits") == "11" and gather.get("finishOnKey") == "#"
    assert ("11 अंकों का ई-हेल्थ कार्ड नंबर" if lang == "hi" else
            "11-digit eHealth card number") in phone.said
    slip = card[:-1] + str((int(card[-1]) + 1) % 10)
    phone.press(slip)
    assert ("सही नहीं है" if lang == "hi" else "not an eHealth card number") in phone.said
    assert phone.gather.get("numDigits") == "11"
    phone.press(card)
    assert " ".join(card[-4:]) in phone.said  # "the eHealth card ending in 7 8 9 0"
    assert ("ई-हेल्थ कार्ड के लिए" if lang == "hi" else "for the eHealth card ending in") in (
        phone.said)
    phone.press("1")
    assert ("बुक हो गया" if lang == "hi" else "is booked") in phone.said
    reference = reference_from(phone.said)
    appointment = ivr_session.scalar(select(Appointment))
    assert appointment.reference == reference
    assert appointment.ehealth_card_id is not None and appointment.patient_name == "Kamla Devi"
    assert appointment.citizen.phone == FAMILY_PHONE and appointment.booked_by_phone == CALLER
    sms = ivr_session.scalar(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment.id))
    assert sms.to_phone == FAMILY_PHONE and sms.template == "appointment_booked_for_you"
    # The caller hears that the SMS went to the card's mobile.
    assert " ".join("1234") in phone.said


def test_hear_a_cards_appointments_digit_by_digit(phone, ivr_world, ivr_session, card):
    phone.call()
    phone.press("2")
    phone.press("4")  # my appointments and complaints
    assert "eHealth card, press 3" in phone.said
    phone.press("3")
    phone.press("51234567890"[:10])  # too short: a slip
    assert "not an eHealth card number" in phone.said
    phone.press(card)
    assert "has no upcoming appointment" in phone.said and _digits_said(card, phone.said)
    assert "eHealth card, press 3" in phone.said  # back in menu 4

    phone.press("#")  # the main menu
    phone.press("1")  # book
    for key in ("2", "1", "1", "1", "3", "4"):
        phone.press(key)
    phone.press(card)
    phone.press("1")
    phone.press("#")
    phone.press("4")
    phone.press("3")
    phone.press(card)
    said = phone.said
    assert "Upcoming appointments of eHealth card" in said and _digits_said(card, said)
    # Typed from a phone not the card's: where and when, never the department.
    assert "9 am" in said and "Orthopaedics" not in said
    assert "department is said only when you call from the mobile number" in said
    reference = ivr_session.scalar(select(Appointment.reference))
    assert reference not in said.replace(" ", "").replace(",", "")


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_cards_own_mobile_hears_the_department(new_phone, ivr_world, ivr_session, card,
                                                   lang):
    from booking_core.appointments import Channel, book_appointment
    from booking_core.ehealth import find_card
    from booking_core.slots import Slot
    from locales import render
    from tests.test_ivr_services import into_menu

    slot = ivr_session.scalars(select(Slot).order_by(Slot.starts_at)).first()
    book_appointment(ivr_session, slot_id=slot.id, phone=FAMILY_PHONE, channel=Channel.PORTAL,
                     ehealth_card_id=find_card(ivr_session, card).id)
    ivr_session.commit()
    for caller, hears in ((FAMILY_PHONE, True), (CALLER, False)):
        phone = new_phone(caller)
        into_menu(phone, lang, "4")
        phone.press("3")
        phone.press(card)
        said = phone.said
        # The family's phone is a known caller in its own language (Hindi).
        heard = "hi" if caller == FAMILY_PHONE else lang
        assert slot.department.hospital.short_name(heard) in said, said
        assert (slot.department.name(heard) in said) is hears, (caller, said)
        assert (render(heard, "ivr.card.department_own_phone") in said) is not hears
