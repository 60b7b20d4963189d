"""Who the phone line greets back, and what it may say of someone else's bookings.

A number is a known caller only once its owner chose a language themselves; a patient
a relative booked for calls as a new caller, and hears nothing of "last time" they did
not live. A typed mobile never reads out that person's booking number."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from booking_core.appointments import Appointment
from booking_core.citizens import Citizen
from booking_core.outbox import OutboxMessage
from tests.fixtures_ivr import Phone

BOOKER = "+919811100005"
PATIENT = "+919876500011"
OTHER_BOOKER = "+919811100007"


def book_for_patient(phone: Phone, lang: str = "en", day_key: str = "1") -> None:
    """Lok Nayak, Orthopaedics, the day ``day_key``, 9 am, for the typed patient."""
    phone.call()
    phone.press({"hi": "1", "en": "2"}[lang])
    phone.press("1")
    for key in ("2", "1", day_key, "1"):
        phone.press(key)
    phone.press("3")  # someone else
    phone.press("1")  # by mobile
    phone.press(PATIENT[3:])
    phone.press("1")  # confirm


def test_a_patient_booked_for_by_someone_else_is_a_new_caller(new_phone, ivr_world,
                                                                ivr_session):
    booker = new_phone(BOOKER)
    book_for_patient(booker, "en")
    assert "is booked" in booker.said
    ivr_session.rollback()
    patient = ivr_session.scalar(select(Citizen).where(Citizen.phone == PATIENT))
    assert patient.preferred_language is None  # the booker's English is not theirs
    # The patient's SMS in Hindi, the default for a person whose language is unknown.
    appointment = ivr_session.scalar(select(Appointment))
    assert appointment.language == "hi"
    sms = ivr_session.scalar(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment.id,
        OutboxMessage.template == "appointment_booked_for_you"))
    assert sms.to_phone == PATIENT and "फ़ोन से आपकी बुकिंग" in sms.body

    call = new_phone(PATIENT)
    call.call()
    # Asked their language, in both, as any first-time caller.
    assert "Welcome back" not in call.said and "फिर से स्वागत" not in call.said
    assert "हिन्दी" in call.said and "English" in call.said
    call.press("2")
    call.press("1")
    if "To book again" in call.said:
        call.press("3")  # another hospital or department
    # Lok Nayak is theirs (first), but they never went, nor booked it themselves.
    assert "Lok Nayak Hospital" in call.said
    assert "where you went last time" not in call.said
    assert "where you booked last time" not in call.said


def test_where_you_went_only_after_a_visit_day_has_passed(new_phone, ivr_world,
                                                            ivr_session):
    own = new_phone(PATIENT)
    own.call()
    own.press("2")
    own.press("1")
    for key in ("2", "1", "1", "1", "1"):
        own.press(key)
    assert "is booked" in own.said
    again = new_phone(PATIENT)
    again.call()
    again.press("1")
    again.press("3")
    # Booked by themselves, the visit still to come: never "where you went".
    assert "For Lok Nayak Hospital, where you booked last time, press 1." in again.said
    assert "where you went" not in again.said
    ivr_session.execute(update(Appointment).values(
        visit_day=dt.date.today() - dt.timedelta(days=3)))
    ivr_session.commit()
    past = new_phone(PATIENT)
    past.call()
    past.press("1")
    if "To book again" in past.said:
        past.press("3")
    assert "For Lok Nayak Hospital, where you went last time, press 1." in past.said


def test_where_you_booked_in_hindi_is_a_whole_sentence(new_phone, ivr_world):
    own = new_phone(PATIENT)
    own.call()
    own.press("1")
    own.press("1")
    for key in ("2", "1", "1", "1", "1"):
        own.press(key)
    again = new_phone(PATIENT)
    again.call()
    again.press("1")
    again.press("3")
    assert "लोक नायक अस्पताल के लिए, जहाँ आपने पिछली बार बुक किया था, 1 दबाएँ।" in again.said


def test_a_typed_mobile_never_hears_that_persons_booking_number(new_phone, ivr_world,
                                                                ivr_session):
    first = new_phone(BOOKER)
    book_for_patient(first, "en")
    reference = ivr_session.scalar(select(Appointment.reference))
    second = new_phone(OTHER_BOOKER)
    book_for_patient(second, "en")
    assert "This patient already has an appointment that day." in second.said
    spoken = second.said.replace(" ", "").replace(",", "")
    assert reference not in spoken and "booking number" not in second.said
    assert "this department" not in second.said

