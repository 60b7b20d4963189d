"""Which hospitals callers want most, so menus can offer them first.

Demand is the number of appointments booked at a hospital in the last ``days`` days;
with no history yet (a new deployment, the demo), a hospital's size (its beds of every
kind) stands in for it, since bigger hospitals take more patients. Ties go by name.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_core.appointments import Appointment
from booking_core.base import utcnow
from booking_core.citizens import Citizen
from booking_core.hospitals import Hospital
from booking_core.resources import BedCount


def last_booking(session: Session, phone: str) -> tuple[int, int] | None:
    """(hospital id, department id) of the latest appointment booked for the patient with
    this mobile, or None: a returning caller is offered the same again first."""
    row = session.execute(
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
