"""A patient who has checked in still holds that department's day: no channel books
the same OPD for them again that day (the phone line's "book again" did, and the
counter then gave one patient two tokens). Another department, or another patient on
the same mobile (an eHealth card), still books."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import (
    AlreadyBooked,
    AppointmentStatus,
    day_held_by_patient,
)
from booking_core.opd_day import check_in
from booking_core.slots import Slot
from tests.factories import make_department, make_slot
from tests.opd_factories import QR_KEY, book, mobile, opd_morning


def _checked_in(session, morning, phone):
    first = book(session, morning.slots[0], phone=phone)
    check_in(session, first.reference, hospital_id=morning.hospital.id,
             department_id=morning.department.id, key=QR_KEY, now=morning.opens)
    session.refresh(first)
    assert first.status == AppointmentStatus.ATTENDED
    return first


@pytest.mark.parametrize("later", [0, 1])  # the same slot's time, or a later one
def test_a_checked_in_patient_cannot_book_that_opd_again_that_day(session, later):
    morning = opd_morning(session, slots=2, capacity=5)
    phone = mobile()
    first = _checked_in(session, morning, phone)
    with pytest.raises(AlreadyBooked) as refused:
        book(session, morning.slots[later], phone=phone)
    assert refused.value.details.get("reference") == first.reference
    # Menus leave that day out for them.
    held = session.scalars(select(Slot.id).where(
        Slot.department_id == morning.department.id, day_held_by_patient(phone))).all()
    assert set(held) == {slot.id for slot in morning.slots}


def test_another_department_or_another_patient_still_books(session):
    morning = opd_morning(session, slots=2, capacity=5)
    phone = mobile()
    _checked_in(session, morning, phone)
    eye = make_department(session, morning.hospital)
    other_opd = make_slot(session, eye, at=morning.slots[1].starts_at, capacity=5)
    assert book(session, other_opd, phone=phone).status == AppointmentStatus.BOOKED
    assert book(session, morning.slots[1], phone=mobile()).status == AppointmentStatus.BOOKED


def test_a_no_show_or_a_cancellation_frees_the_day(session):
    morning = opd_morning(session, slots=2, capacity=5)
    phone = mobile()
    first = book(session, morning.slots[0], phone=phone)
    first.status = AppointmentStatus.NO_SHOW
    session.commit()
    assert book(session, morning.slots[1], phone=phone).status == AppointmentStatus.BOOKED
