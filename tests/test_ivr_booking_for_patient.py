"""Booking for someone else is worded for whoever hears or reads it: the caller hears
that it is the patient's booking, and each SMS about it speaks to its reader (the
patient on their own mobile; the caller, of "the patient", when the patient has no
mobile and the SMS comes to the caller's phone). Walked through TwiML and the outbox,
in Hindi and English, for a patient by mobile, by ABHA number, and the caller."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import (
    Appointment,
    Channel,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)
from booking_core.opd_day import OpdRules, call_next, check_in
from booking_core.outbox import OutboxMessage, OutboxStatus
from locales import render
from messaging.dlt import dlt_pattern
from tests.fixtures_ivr import CALLER, Phone
from tests.opd_factories import QR_KEY, book, opd_morning
from tests.test_ivr_booking import reference_from, start_booking

PATIENT_MOBILE = "+919876501234"
ABHA = "12345678901234"
# What a caller types at the read-back for each patient ("3": someone else).
WHO = {"self": (), "mobile": ("3", "1", "9876501234#"), "abha": ("3", "2", ABHA + "#")}
# The words that would tell the reader the visit is their own.
YOURS = {"hi": ("आपकी", "आपका", "अपने"), "en": ("your", "Your")}


def _book_by_phone(phone: Phone, lang: str, who: str) -> None:
    start_booking(phone, lang)
    for key in ("2", "1", "1", "1"):  # Lok Nayak, Orthopaedics, first day, 9:00
        phone.press(key)
    for key in WHO[who]:
        phone.press(key)
    phone.press("1")  # confirm


def _rows(session, appointment_id: int) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id).order_by(OutboxMessage.id)))


def _matches_its_template(row: OutboxMessage) -> bool:
    return bool(dlt_pattern(row.language, f"sms.{row.template}").fullmatch(row.body))


def _said_before(lang: str, key: str, **params: object) -> str:
    """The words of ``key`` before its number (``t_number`` speaks the number slowly)."""
    return render(lang, key, number="\x00", **params).split("\x00")[0]


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("who", ["self", "mobile", "abha"])
def test_the_caller_hears_whose_booking_it_is(phone, ivr_world, ivr_session, lang, who):
    _book_by_phone(phone, lang, who)
    said = phone.said
    reference = reference_from(said)
    appointment = ivr_session.scalar(select(Appointment).where(
        Appointment.reference == reference))
    token = appointment.day_token
    if who == "self":
        assert render(lang, "ivr.book.done", token=token) in said
        assert _said_before(lang, "ivr.book.number_twice") in said
        assert render(lang, "ivr.book.at_hospital") in said
        assert render(lang, "ivr.book.at_hospital_patient") not in said
    else:
        # The patient's token, the patient's booking number, the patient shows it.
        assert render(lang, "ivr.book.done_patient", token=token) in said
        assert _said_before(lang, "ivr.book.number_twice_patient") in said
        assert render(lang, "ivr.book.at_hospital_patient") in said
        assert render(lang, "ivr.book.done", token=token) not in said
        assert _said_before(lang, "ivr.book.number_twice") not in said
        assert render(lang, "ivr.book.at_hospital") not in said
    if who == "mobile":
        assert render(lang, "ivr.book.sent_to_patient", last="1 2 3 4") in said
    else:  # the SMS came to the caller's own phone
        assert render(lang, "ivr.book.sent_to_you") in said
    phone.press("1")  # hear the number again
    again = "ivr.book.number" if who == "self" else "ivr.book.number_patient"
    assert phone.said.startswith(_said_before(lang, again))
    assert reference in phone.said.replace(" ", "").replace(",", "")


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("who", ["self", "mobile", "abha"])
def test_each_sms_of_a_phone_booking_speaks_to_its_reader(
        phone, ivr_world, ivr_session, lang, who):
    """Confirmation and both reminders; then a move and a cancellation."""
    _book_by_phone(phone, lang, who)
    appointment = ivr_session.scalar(select(Appointment).where(
        Appointment.reference == reference_from(phone.said)))
    patient_reads = who != "abha"  # by ABHA: the SMS come to the caller's phone
    expected_to = PATIENT_MOBILE if who == "mobile" else CALLER
    confirmation = {"self": "appointment_confirmation",
                    "mobile": "appointment_booked_for_you",
                    "abha": "appointment_confirmation_patient"}[who]
    reminders = ["appointment_reminder_evening", "appointment_reminder_morning"]
    if not patient_reads:
        reminders = [f"{name}_patient" for name in reminders]
    rows = _rows(ivr_session, appointment.id)
    assert [row.template for row in rows] == [confirmation, *reminders]
    for row in rows:
        assert row.to_phone == expected_to and _matches_its_template(row), row.body
        assert appointment.reference in row.body
        if not patient_reads:
            assert not any(word in row.body for word in YOURS[row.language]), row.body
            assert ("मरीज़" if row.language == "hi" else "patient") in row.body

    reschedule_appointment(ivr_session, appointment.reference, ivr_world.slots[1].id,
                           channel=Channel.IVR)
    cancel_appointment(ivr_session, appointment.reference, channel=Channel.IVR)
    rows = _rows(ivr_session, appointment.id)
    later = [row for row in rows if row.template.startswith(
        ("appointment_rescheduled", "appointment_cancelled"))]
    suffix = "" if patient_reads else "_patient"
    assert [row.template for row in later] == [
        f"appointment_rescheduled{suffix}", f"appointment_cancelled{suffix}"]
    for row in later:
        assert row.to_phone == expected_to and _matches_its_template(row), row.body
        if not patient_reads:
            assert not any(word in row.body for word in YOURS[row.language]), row.body
    # The move's reminders replaced the first ones; the cancellation stopped them all.
    assert all(row.status == OutboxStatus.CANCELLED for row in rows
               if row.template.startswith("appointment_reminder"))
    assert len([row for row in rows if row.template.startswith("appointment_reminder")]) == 4


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_turn_near_sms_speaks_of_the_patient_when_the_phone_is_not_theirs(session, lang):
    morning = opd_morning(session, slots=1, capacity=5)
    slot = morning.slots[0]
    family_phone = "+919811111111"
    first = book(session, slot, language=lang)  # token 1: called first
    own = book(session, slot, phone="+919822222222", language=lang)
    # A relative known only by an ABHA number, booked from the family's phone.
    relative = book_appointment(
        session, slot_id=slot.id, phone=family_phone, channel=Channel.IVR,
        language=lang, abha_number=ABHA, abha_of_phone_owner=False)
    opd_id = None
    for person in (first, own, relative):
        opd_id = check_in(session, person.reference, hospital_id=morning.hospital.id,
                          department_id=morning.department.id, key=QR_KEY,
                          actor="counter", now=morning.opens).visit.session_id
    call_next(session, opd_id, 1, rules=OpdRules(near_tokens=3))
    near = {row.appointment_id: row for row in session.scalars(select(OutboxMessage).where(
        OutboxMessage.template.startswith("opd_turn_near")))}
    assert set(near) == {own.id, relative.id}
    assert near[own.id].template == "opd_turn_near"
    assert near[relative.id].template == "opd_turn_near_patient"
    assert near[relative.id].to_phone == family_phone
    for row in near.values():
        assert _matches_its_template(row), row.body
    text = near[relative.id].body
    assert not any(word in text for word in YOURS[lang]), text
    assert ("मरीज़" if lang == "hi" else "patient") in text
