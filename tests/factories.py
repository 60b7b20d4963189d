"""Small factories for test data, in the hospital's words."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from booking_core.base import unit_of_work
from booking_core.hospitals import Department, Hospital
from booking_core.slots import OpdSchedule, Slot

_seq = itertools.count(1)
IST = ZoneInfo("Asia/Kolkata")


def make_hospital(session: Session, **kw) -> Hospital:
    n = next(_seq)
    with unit_of_work(session):
        hospital = Hospital(
            code=kw.pop("code", f"H{n}"),
            name_en=kw.pop("name_en", f"Test Hospital {n}"),
            name_hi=kw.pop("name_hi", f"परीक्षण अस्पताल {n}"),
            district=kw.pop("district", "Central"),
            district_hi=kw.pop("district_hi", "मध्य"),
            aliases=kw.pop("aliases", []),
            **kw,
        )
        session.add(hospital)
    return hospital


def make_department(session: Session, hospital: Hospital, **kw) -> Department:
    n = next(_seq)
    with unit_of_work(session):
        dep = Department(
            hospital_id=hospital.id,
            code=kw.pop("code", f"dep{n}"),
            name_en=kw.pop("name_en", "Orthopaedics"),
            name_hi=kw.pop("name_hi", "हड्डी रोग"),
            aliases=kw.pop("aliases", ["bone", "हड्डी"]),
            **kw,
        )
        session.add(dep)
    return dep


def make_slot(
    session: Session,
    department: Department,
    *,
    starts_in: dt.timedelta = dt.timedelta(days=2),
    capacity: int = 10,
    booked: int = 0,
    minutes: int = 60,
    at: dt.datetime | None = None,
) -> Slot:
    """A slot ``starts_in`` from now (or at ``at``), rounded to the minute."""
    starts = at or (dt.datetime.now(dt.UTC) + starts_in).replace(second=0, microsecond=0)
    with unit_of_work(session):
        slot = Slot(
            hospital_id=department.hospital_id,
            department_id=department.id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=minutes),
            local_day=starts.astimezone(IST).date(),
            capacity=capacity,
            booked=booked,
            next_token=booked,
        )
        session.add(slot)
    return slot


def same_day_other_time(session: Session, slot: Slot, *, capacity: int = 10) -> Slot:
    """Another slot of ``slot``'s department on the same Delhi day: an hour after it, or
    an hour before it when an hour later is already the next day (a slot made from "now"
    late in Delhi's evening)."""
    later = slot.starts_at + dt.timedelta(hours=1)
    at = later if later.astimezone(IST).date() == slot.local_day \
        else slot.starts_at - dt.timedelta(hours=1)
    return make_slot(session, slot.department, at=at, capacity=capacity)


def make_schedule(session: Session, department: Department, weekday: int, **kw) -> OpdSchedule:
    with unit_of_work(session):
        sched = OpdSchedule(
            department_id=department.id,
            weekday=weekday,
            start_time=kw.pop("start_time", dt.time(9, 0)),
            end_time=kw.pop("end_time", dt.time(12, 0)),
            slot_minutes=kw.pop("slot_minutes", 60),
            capacity=kw.pop("capacity", 10),
        )
        session.add(sched)
    return sched
