"""Which hospitals callers want most, so menus can offer them first.

Demand is the number of appointments booked at a hospital in the last ``days`` days;
with no history yet (a new deployment, the demo), a hospital's size (its beds of every
kind) stands in for it, since bigger hospitals take more patients. Ties go by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.base import utcnow
from booking_core.citizens import Citizen
from booking_core.hospitals import Hospital
from booking_core.resources import BedCount
from booking_core.slots import Slot, SlotView, first_free_slot


@dataclass(frozen=True)
class KnownCaller:
    """What the phone line knows about a number when its call starts."""

    language: str | None  # the language they chose last time
    last_hospital_id: int  # 0: none (the hospital lists offer it first)
    last_department_id: int  # 0: none; the department of their latest appointment


def known_caller(session: Session, phone: str) -> KnownCaller | None:
    """The citizen with this mobile and the department of their latest appointment as
    the patient (one read), or None for a number never seen."""
    latest = (select(Appointment.department_id)
              .where(Appointment.citizen_id == Citizen.id)
              .order_by(Appointment.created_at.desc(), Appointment.id.desc()).limit(1)
              .correlate(Citizen).scalar_subquery())
    row = session.connection().execute(
        select(Citizen.preferred_language, Citizen.last_hospital_id, latest)
        .where(Citizen.phone == phone)).first()
    if row is None:
        return None
    return KnownCaller(row[0], row[1] or 0, row[2] or 0)


def next_visit_for(session: Session, phone: str, department_id: int, *, window_days: int,
                   tz: str, now: dt.datetime | None = None) -> SlotView | None:
    """The earliest free slot in the department on a day the patient with this mobile
    holds no appointment there (one read): what "book again" offers a returning caller
    (a second booking that day would be refused)."""
    held = exists().where(
        Appointment.citizen_id == Citizen.id, Citizen.phone == phone,
        Appointment.department_id == Slot.department_id,
        Appointment.visit_day == Slot.local_day,
        Appointment.status == AppointmentStatus.BOOKED)
    return first_free_slot(session, department_id, excluding=held, now=now,
                           window_days=window_days, tz=tz)


def last_booking(session: Session, phone: str) -> tuple[int, int] | None:
    """(hospital id, department id) of the latest appointment booked for the patient with
    this mobile, or None: a returning caller is offered the same again first."""
    row = session.connection().execute(
        select(Appointment.hospital_id, Appointment.department_id)
        .join(Citizen, Citizen.id == Appointment.citizen_id)
        .where(Citizen.phone == phone)
        .order_by(Appointment.created_at.desc(), Appointment.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def hospitals_by_demand(session: Session, *, days: int = 30,
                        now: dt.datetime | None = None) -> list[Hospital]:
    """Every hospital, the most asked-for first (two grouped queries, no per-row reads)."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    booked = dict(session.execute(
        select(Appointment.hospital_id, func.count())
        .where(Appointment.created_at >= since).group_by(Appointment.hospital_id)).all())
    beds = dict(session.execute(
        select(BedCount.hospital_id, func.sum(BedCount.total))
        .group_by(BedCount.hospital_id)).all())
    hospitals = list(session.scalars(select(Hospital).order_by(Hospital.name_en)))
    return sorted(hospitals, key=lambda h: (-booked.get(h.id, 0), -(beds.get(h.id) or 0)))
