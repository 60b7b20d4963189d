"""Booking rules on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking_core.appointments import (
    AlreadyBooked,
    AppointmentStatus,
    Channel,
    InvalidReference,
    OutsideWindow,
    SlotFull,
    SlotUnavailable,
    TooLateToCancel,
    book_appointment,
    cancel_appointment,
    find_appointment,
    reschedule_appointment,
    upcoming_appointments,
)
from booking_core.base import NotFound
from booking_core.outbox import OutboxMessage, OutboxStatus
from booking_core.refs import is_valid_reference
from booking_core.slots import Slot
from tests.factories import IST, make_department, make_hospital, make_slot

PHONE = "98123 45678"
E164 = "+919812345678"


@pytest.fixture
def dept(session):
    return make_department(session, make_hospital(session))


def test_booking_takes_a_seat_and_queues_confirmation(session, dept):
    slot = make_slot(session, dept, capacity=3)
    appt = book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.IVR,
                            language="hi")
    assert is_valid_reference(appt.reference)
    assert appt.token == 1 and appt.citizen.phone == E164
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 1
    messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    templates = [m.template for m in messages]
    assert templates[0] == "appointment_confirmation"
    assert messages[0].to_phone == E164 and messages[0].language == "hi"
    assert appt.reference in messages[0].body and "टोकन 1" in messages[0].body
    assert [e.kind for e in appt.events] == ["booked"]


def test_reminders_are_scheduled_evening_before_and_morning_of(session, dept):
    day = (dt.datetime.now(IST) + dt.timedelta(days=3)).date()
    slot = make_slot(session, dept, at=dt.datetime.combine(day, dt.time(10, 0), IST))
    appt = book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.PORTAL,
                            language="en")
    reminders = {
        m.template: m.not_before
        for m in session.scalars(select(OutboxMessage).where(
            OutboxMessage.appointment_id == appt.id, OutboxMessage.template.like("%reminder%")))
    }
    ist = IST
    visit = slot.starts_at.astimezone(ist)
    evening = reminders["appointment_reminder_evening"].astimezone(ist)
    morning = reminders["appointment_reminder_morning"].astimezone(ist)
    assert evening.date() == visit.date() - dt.timedelta(days=1) and evening.hour == 18
    assert morning.date() == visit.date() and morning.hour == 8


def test_full_slot_is_refused(session, dept):
    slot = make_slot(session, dept, capacity=1)
    book_appointment(session, slot_id=slot.id, phone="9812345678", channel=Channel.IVR)
    with pytest.raises(SlotFull):
        book_appointment(session, slot_id=slot.id, phone="9812345679", channel=Channel.IVR)
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 1


def test_one_active_appointment_per_department_per_day(session, dept):
    # Two times of one Delhi day (not now + 1 h, which after 23:00 IST is the next day).
    day = (dt.datetime.now(IST) + dt.timedelta(days=2)).date()
    first = make_slot(session, dept, at=dt.datetime.combine(day, dt.time(10, 0), IST))
    second = make_slot(session, dept, at=dt.datetime.combine(day, dt.time(11, 0), IST))
    book_appointment(session, slot_id=first.id, phone=PHONE, channel=Channel.IVR)
    with pytest.raises(AlreadyBooked):
        book_appointment(session, slot_id=second.id, phone="+91-98123-45678",
                         channel=Channel.PORTAL)


def test_past_same_minute_and_out_of_window_slots_are_refused(session, dept):
    past = make_slot(session, dept, starts_in=dt.timedelta(minutes=-30))
    soon = make_slot(session, dept, starts_in=dt.timedelta(seconds=30))
    far = make_slot(session, dept, starts_in=dt.timedelta(days=40))
    for slot in (past, soon):
        with pytest.raises(SlotUnavailable):
            book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.IVR)
    with pytest.raises(OutsideWindow):
        book_appointment(session, slot_id=far.id, phone=PHONE, channel=Channel.IVR)


def test_cancel_frees_seat_cancels_reminders_and_is_idempotent(session, dept):
    slot = make_slot(session, dept, starts_in=dt.timedelta(days=3), capacity=1)
    appt = book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.IVR)
    cancelled = cancel_appointment(session, appt.reference, channel=Channel.IVR, phone=PHONE)
    again = cancel_appointment(session, appt.reference, channel=Channel.IVR, phone=PHONE)
    assert cancelled.status == again.status == AppointmentStatus.CANCELLED
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 0
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.appointment_id == appt.id))
    by_template = {m.template: m.status for m in rows}
    assert by_template["appointment_reminder_evening"] == OutboxStatus.CANCELLED
    assert by_template["appointment_cancelled"] == OutboxStatus.PENDING
    count = session.scalar(select(func.count()).where(
        OutboxMessage.template == "appointment_cancelled"))
    assert count == 1
    # The seat can be taken again.
    book_appointment(session, slot_id=slot.id, phone="9812300000", channel=Channel.IVR)


def test_cancel_after_start_is_refused(session, dept):
    slot = make_slot(session, dept, starts_in=dt.timedelta(days=1))
    appt = book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.IVR)
    with pytest.raises(TooLateToCancel):
        cancel_appointment(session, appt.reference, channel=Channel.IVR,
                           now=slot.starts_at + dt.timedelta(minutes=1))


def test_lookup_needs_the_right_phone_and_check_digit(session, dept):
    slot = make_slot(session, dept)
    appt = book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.IVR)
    assert find_appointment(session, appt.reference, "09812345678").id == appt.id
    with pytest.raises(NotFound):
        find_appointment(session, appt.reference, "9899999999")
    wrong = appt.reference[:-1] + str((int(appt.reference[-1]) + 1) % 10)
    with pytest.raises(InvalidReference):
        find_appointment(session, wrong)


def test_reschedule_moves_seat_keeps_reference(session, dept):
    first = make_slot(session, dept, starts_in=dt.timedelta(days=2))
    later = make_slot(session, dept, starts_in=dt.timedelta(days=4))
    appt = book_appointment(session, slot_id=first.id, phone=PHONE, channel=Channel.PORTAL)
    moved = reschedule_appointment(session, appt.reference, later.id, channel=Channel.AGENT,
                                   actor="agent.asha")
    assert moved.reference == appt.reference and moved.slot_id == later.id
    session.expire_all()
    assert session.get(Slot, first.id).booked == 0
    assert session.get(Slot, later.id).booked == 1
    assert [e.kind for e in session.get(type(appt), appt.id).events] == ["booked", "rescheduled"]


def test_reschedule_into_full_slot_changes_nothing(session, dept):
    first = make_slot(session, dept, starts_in=dt.timedelta(days=2))
    full = make_slot(session, dept, starts_in=dt.timedelta(days=4), capacity=1, booked=1)
    appt = book_appointment(session, slot_id=first.id, phone=PHONE, channel=Channel.PORTAL)
    with pytest.raises(SlotFull):
        reschedule_appointment(session, appt.reference, full.id, channel=Channel.PORTAL)
    session.expire_all()
    assert session.get(Slot, first.id).booked == 1
    assert session.get(type(appt), appt.id).slot_id == first.id


def test_upcoming_lists_patient_and_booker(session, dept):
    slot = make_slot(session, dept)
    book_appointment(session, slot_id=slot.id, phone="9812300001", channel=Channel.IVR,
                     booked_by_phone=PHONE)
    assert len(upcoming_appointments(session, PHONE)) == 1
    assert len(upcoming_appointments(session, "9812300001")) == 1
    assert upcoming_appointments(session, "9812300002") == []


def test_two_moves_in_one_second_each_text_their_own_time(session, dept):
    """The patient's last SMS names the time they hold, however quickly they moved."""
    first = make_slot(session, dept, starts_in=dt.timedelta(days=2))
    later = make_slot(session, dept, starts_in=dt.timedelta(days=3, hours=1))
    latest = make_slot(session, dept, starts_in=dt.timedelta(days=4, hours=2))
    appt = book_appointment(session, slot_id=first.id, phone=PHONE, channel=Channel.PORTAL,
                            language="en")
    now = dt.datetime.now(dt.UTC)
    for slot in (later, latest, first):
        reschedule_appointment(session, appt.reference, slot.id, channel=Channel.PORTAL,
                               phone=PHONE, now=now)
    moved = session.scalars(
        select(OutboxMessage).where(OutboxMessage.appointment_id == appt.id,
                                    OutboxMessage.template.like("%rescheduled%"))
        .order_by(OutboxMessage.id)).all()
    dates = [m.params["date"] for m in moved]
    times = [m.params["time"] for m in moved]
    assert len(moved) == 3, [m.dedupe_key for m in moved]
    assert len(set(zip(dates, times, strict=True))) == 3
