"""Data for the OPD day's tests: a department with a morning of slots two days ahead,
bookings in it, and the moment the counter opens."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.hospitals import Department, Hospital
from booking_core.slots import Slot
from tests.factories import IST, make_department, make_hospital, make_slot

_phones = itertools.count(1)
QR_KEY = b"test-qr-key"


def mobile() -> str:
    return f"+9197{next(_phones):08d}"


@dataclass
class OpdMorning:
    hospital: Hospital
    department: Department
    slots: list[Slot]

    @property
    def opens(self) -> dt.datetime:
        """Five minutes before the first slot: the counter is open, all on its day."""
        return self.slots[0].starts_at - dt.timedelta(minutes=5)


def opd_morning(session: Session, *, slots: int = 2, capacity: int = 5,
                hospital: Hospital | None = None) -> OpdMorning:
    hospital = hospital or make_hospital(session)
    department = make_department(session, hospital)
    # The day after tomorrow in Delhi, from 09:30 there (04:00 UTC): bookable now, one
    # local day, and never "tomorrow" (two UTC days ahead is tomorrow in Delhi after
    # 18:30 UTC).
    day = dt.datetime.now(IST).date() + dt.timedelta(days=2)
    base = dt.datetime.combine(day, dt.time(9, 30), IST).astimezone(dt.UTC)
    made = [make_slot(session, department, at=base + dt.timedelta(hours=n), capacity=capacity)
            for n in range(slots)]
    return OpdMorning(hospital, department, made)


def book(session: Session, slot: Slot, *, phone: str | None = None, **kw) -> Appointment:
    return book_appointment(session, slot_id=slot.id, phone=phone or mobile(),
                            channel=Channel.PORTAL, **kw)


def opd_today(session: Session, *, capacity: int = 10, hospital: Hospital | None = None
              ) -> OpdMorning:
    """A department whose one slot is today in Delhi (starting in 20 minutes, so it is
    still to come however slowly a loaded machine runs the test; tests that need it
    begun say so), for tests that go through the web app, which uses the real clock.
    Bookings for it must pass ``now=booking_time(...)`` (a day earlier). Skips the test
    in the last 20 minutes of Delhi's day."""
    from zoneinfo import ZoneInfo

    ist = ZoneInfo("Asia/Kolkata")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    start = now + dt.timedelta(minutes=20)
    if start.astimezone(ist).date() != now.astimezone(ist).date():
        # The last 20 minutes of Delhi's day: no slot today is still to come, and the
        # day changes under the test. (A slot begun half an hour ago, as this once
        # made, broke every test reading "today" or cancelling in that window.)
        pytest.skip("Delhi's day ends within 20 minutes: no slot today is still to come")
    hospital = hospital or make_hospital(session)
    department = make_department(session, hospital)
    slot = make_slot(session, department, at=start, capacity=capacity, minutes=240)
    return OpdMorning(hospital, department, [slot])


def booking_time(slot: Slot) -> dt.datetime:
    return slot.starts_at - dt.timedelta(days=1)
