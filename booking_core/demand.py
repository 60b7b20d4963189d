"""Which hospitals callers want most, so menus can offer them first.

Demand is how often callers pick a hospital: the appointments booked there (any
channel, whatever became of them) in the ``DEMAND_DAYS`` days before the start of
today in the helpline's time zone. Ties, and hospitals nobody booked yet (a new
deployment, the demo), go by id: the order hospitals were added, which never changes.

The ranking reads nothing from today, so it is the same all day whichever process
computes it and whenever, and moves at most once a day (at midnight): a caller who
remembers "GTB is 2" finds it there all day. It used to count the last 30 days up to
the moment of the read, with a hospital's beds as the tie-break; bookings during the
day, and bed totals the hospitals' feeds update, then reordered the menu between
calls, and between the web processes (each keeps its own copy), so the key a caller
pressed could name another hospital than the one read out to them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_core.appointments import DAY_HELD, Appointment, AppointmentStatus, held_by
from booking_core.base import utcnow
from booking_core.citizens import Citizen
from booking_core.hospitals import Hospital
from booking_core.slots import SlotView, first_free_slot


@dataclass(frozen=True)
class KnownCaller:
    """What the phone line knows about a number when its call starts."""

    language: str | None  # the language they chose last time
    last_hospital_id: int  # 0: none (the hospital lists offer it first)
    last_department_id: int  # 0: none; the department of their latest appointment


def known_caller(session: Session, phone: str) -> KnownCaller | None:
    """The citizen with this mobile and the department of their latest appointment as
    the patient (one read), or None for a number the phone line must treat as new: never
    seen, or seen only as someone else's patient.

    A number is a known caller (greeted back, in its remembered language, offered "book
    again") only when its owner chose a language themselves: ``preferred_language`` is
    written only by the person's own choice, at the phone line's greeting
    (``citizens.remember_language``), or by a booking of their own (the portal's, its
    mobile verified by a code; the phone line's, from their own number) or a grievance
    they registered, never by a booking someone else made for them
    (``appointments.book_appointment``: ``booked_by_phone`` another mobile).
    A citizen row without it (a patient booked for by a relative, an SMS opt-out) is a
    new caller: asked their language, in both."""
    latest = (select(Appointment.department_id)
              .where(Appointment.citizen_id == Citizen.id)
              .order_by(Appointment.created_at.desc(), Appointment.id.desc()).limit(1)
              .correlate(Citizen).scalar_subquery())
    row = session.connection().execute(
        select(Citizen.preferred_language, Citizen.last_hospital_id, latest)
        .where(Citizen.phone == phone)).first()
    if row is None or row[0] is None:
        return None
    return KnownCaller(row[0], row[1] or 0, row[2] or 0)


def next_visit_for(session: Session, phone: str, department_id: int, *, window_days: int,
                   tz: str, now: dt.datetime | None = None) -> SlotView | None:
    """The earliest free slot in the department on a day the patient with this mobile
    holds no appointment there (one read): what "book again" offers a returning caller
    (a second booking that day would be refused)."""
    return first_free_slot(session, department_id, excluding=DAY_HELD, params=held_by(phone),
                           now=now, window_days=window_days, tz=tz)


def last_booking(session: Session, phone: str) -> tuple[int, int] | None:
    """(hospital id, department id) of the latest appointment booked for the patient with
    this mobile, or None: a returning caller is offered the same again first."""
    row = session.connection().execute(
        select(Appointment.hospital_id, Appointment.department_id)
        .join(Citizen, Citizen.id == Appointment.citizen_id)
        .where(Citizen.phone == phone)
        .order_by(Appointment.created_at.desc(), Appointment.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


class LastHospital(enum.StrEnum):
    """What the phone line may truthfully say of a caller's last hospital."""

    WENT = "went"  # an appointment there on a day before today, not cancelled
    BOOKED = "booked"  # they booked there themselves, no visit day past yet


_KEPT = (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)


def last_hospital_said(session: Session, phone: str, hospital_id: int,
                       today: dt.date) -> LastHospital | None:
    """Whether the caller with this mobile went to the hospital (a kept appointment there
    with a visit day before ``today``), or booked there themselves, or neither (only
    someone else booked it for them: then nothing is said of it). One read. "Where you
    went last time" was said of any hospital the citizen had been booked at, to a person
    a relative booked for, on their first call, of a visit still to come."""
    own = Appointment.booked_by_phone.is_(None) | (Appointment.booked_by_phone == phone)
    row = session.connection().execute(
        select(func.count().filter(Appointment.visit_day < today,
                                   Appointment.status.in_(_KEPT)),
               func.count().filter(own))
        .select_from(Appointment).join(Citizen, Citizen.id == Appointment.citizen_id)
        .where(Citizen.phone == phone, Appointment.hospital_id == hospital_id)).one()
    if row[0]:
        return LastHospital.WENT
    return LastHospital.BOOKED if row[1] else None


DEMAND_DAYS = 28  # four whole weeks: every weekday counted as often


def demand_day(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The day whose ranking applies at ``now``: the local date in ``tz``."""
    return (now or utcnow()).astimezone(ZoneInfo(tz)).date()


def hospital_ranking(session: Session, day: dt.date, *, tz: str,
                     days: int = DEMAND_DAYS) -> list[int]:
    """Every hospital's id, the most asked-for first, as it stands all of ``day``:
    appointments created in the ``days`` days before ``day`` began (in ``tz``), then
    by id (two reads). A caller must not mix it with anything read during the day: the
    point is that every process gets the same list from any moment of ``day``."""
    start = dt.datetime.combine(day, dt.time(0), ZoneInfo(tz)).astimezone(dt.UTC)
    booked = dict(session.execute(
        select(Appointment.hospital_id, func.count())
        .where(Appointment.created_at >= start - dt.timedelta(days=days),
               Appointment.created_at < start)
        .group_by(Appointment.hospital_id)).all())
    ids = session.scalars(select(Hospital.id)).all()
    return sorted(ids, key=lambda hospital_id: (-booked.get(hospital_id, 0), hospital_id))


def in_ranking_order(hospitals: Iterable[Hospital], ranking: list[int]) -> list[Hospital]:
    """``hospitals`` in the order of ``ranking``; one added since it was computed (no
    bookings before today, the highest id) goes last, where the ranking's own rule
    puts it."""
    place = {hospital_id: n for n, hospital_id in enumerate(ranking)}
    return sorted(hospitals, key=lambda h: (h.id not in place, place.get(h.id, 0), h.id))


def hospitals_by_demand(session: Session, *, tz: str = "Asia/Kolkata",
                        now: dt.datetime | None = None,
                        days: int = DEMAND_DAYS) -> list[Hospital]:
    """Every hospital, the most asked-for first, by the ranking of the day ``now`` falls
    on (``hospital_ranking``: the same all day, in every process)."""
    ranking = hospital_ranking(session, demand_day(tz, now), tz=tz, days=days)
    return in_ranking_order(session.scalars(select(Hospital)), ranking)
