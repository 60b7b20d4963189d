"""What the waiting hall, the phone line, the SMS STATUS reply and the portal read of
the OPD day (``booking_core.opd_day`` changes it): the hall display's board, where one
appointment stands in the queue (``progress``, the one reading every channel speaks
from), the counter's queue lines and the day's no-shows.

Reads only: nothing here writes or locks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.opd_day import (
    OpdRoom,
    OpdSession,
    OpdVisit,
    VisitState,
    booked_front,
    day_token,
    local_today,
)
from booking_core.slots import Slot


@dataclass(frozen=True)
class RoomBoard:
    room: int
    token: int | None


@dataclass(frozen=True)
class Board:
    """The hall display: now serving per room, the front, and the measured pace."""

    department_id: int
    day: dt.date
    rooms: list[RoomBoard]
    front_token: int
    waiting: int
    seconds_per_patient: float | None
    # Called and not there (``VisitState.SKIPPED``): the hall tells them to go to the
    # counter, which can call them again.
    skipped: tuple[int, ...] = ()


def session_for(session: Session, department_id: int, day: dt.date) -> OpdSession | None:
    return session.scalar(select(OpdSession).where(OpdSession.department_id == department_id,
                                                   OpdSession.local_day == day))


def board(session: Session, department_id: int, day: dt.date) -> Board:
    """What the waiting hall shows: each room with its one called token (a room whose
    patient was skipped is left out until its next call) and the skipped tokens, lowest
    first, until recalled; empty before the first call."""
    opd = session_for(session, department_id, day)
    if opd is None:
        return Board(department_id, day, [], 0, 0, None)
    rooms = [RoomBoard(r.room, r.serving_token) for r in session.scalars(
        select(OpdRoom).where(OpdRoom.session_id == opd.id,
                              OpdRoom.serving_token.is_not(None)).order_by(OpdRoom.room))]
    waiting = session.scalar(select(func.count()).select_from(OpdVisit).where(
        OpdVisit.session_id == opd.id, OpdVisit.state == VisitState.WAITING)) or 0
    skipped = tuple(session.scalars(select(OpdVisit.token).where(
        OpdVisit.session_id == opd.id, OpdVisit.state == VisitState.SKIPPED
    ).order_by(OpdVisit.token)))
    return Board(department_id, day, rooms, opd.front_token, int(waiting), pace(opd), skipped)


def pace(opd: OpdSession) -> float | None:
    """Seconds between calls, all rooms together, measured over the session so far;
    None until two calls were made."""
    if opd.calls < 2 or opd.first_call_at is None or opd.last_call_at is None:
        return None
    return (opd.last_call_at - opd.first_call_at).total_seconds() / (opd.calls - 1)


@dataclass(frozen=True)
class Progress:
    """Where one appointment stands on its day."""

    appointment: Appointment
    token: int
    # The front of the booked queue (``opd_day.booked_front``; walk-ins' tokens, called
    # in the gaps, are not compared with a booked token); 0 before its first call.
    serving: int
    ahead: int  # day tokens between the front and this one
    wait_minutes: int | None  # None: no pace measured yet, called, or passed
    # Called to a room (and not skipped): go in now; or seen since.
    called: bool
    # The queue went past this patient, who must go to the OPD registration counter:
    # either the counter called a later booked token while they were not checked in and
    # their slot had begun (it takes them once they check in, then as the lowest waiting
    # token, next; walk-ins, served in the gaps, pass nobody), or they were
    # called and not there (``skipped``: checked in; the counter can call them again, a
    # recall). Either way "your turn is near" or "your token has been called" is false.
    passed: bool = False
    skipped: bool = False
    # Called, and the room has called the next patient since (``SERVED``): seen.
    seen: bool = False
    # Checked in at the counter (has a visit): only then can the room call the token.
    checked_in: bool = False


def progress(session: Session, appointment: Appointment) -> Progress:
    """The now-serving token, the patient's day token and the expected wait (tokens
    ahead times the measured seconds per call), for the phone line, SMS and the portal;
    or that the queue has passed the patient (``passed``: not checked in while later
    booked tokens were called, or ``skipped`` when called). Every channel says what it
    says from this one reading.

    The front is the booked queue's (``booked_front``): a walk-in's number is never
    compared with a booked token. A patient not checked in is passed only by a booked
    token after theirs called once their turn could have come: at or after their slot's
    start and after they booked. Before that the counter serving whoever is there
    (someone of a later slot who came early) passes nobody."""
    visit = session.scalar(select(OpdVisit).where(OpdVisit.appointment_id == appointment.id))
    token = visit.token if visit is not None else day_token(session, appointment)
    opd = session_for(session, appointment.department_id, appointment.visit_day)
    front = booked_front(session, opd) if opd else 0
    skipped = visit is not None and visit.state == VisitState.SKIPPED
    called = visit is not None and visit.state in (VisitState.CALLED, VisitState.SERVED)
    passed = skipped or (visit is None and opd is not None and front > token
                         and booked_front(session, opd, since=_turn_came(appointment)) > token)
    ahead = max(0, token - front - 1)
    seconds = pace(opd) if opd else None
    wait = None if seconds is None or called or passed else round(ahead * seconds / 60)
    seen = visit is not None and visit.state == VisitState.SERVED
    return Progress(appointment, token, front, ahead, wait, called, passed, skipped, seen,
                    checked_in=visit is not None)


def _turn_came(appointment: Appointment) -> dt.datetime:
    """From when a call past the patient's token means their turn had come: their slot's
    start, or their booking if it was made later."""
    return max(appointment.slot.starts_at, appointment.created_at)


def todays_appointments(session: Session, phone_e164: str, now: dt.datetime, tz: str
                        ) -> list[Appointment]:
    """The appointments of this number (as patient or booker) on today's date that are
    still to be seen (booked or checked in), earliest first."""
    from booking_core.citizens import Citizen

    return list(session.scalars(
        select(Appointment)
        .join(Citizen, Citizen.id == Appointment.citizen_id)
        .join(Slot, Slot.id == Appointment.slot_id)
        .where((Citizen.phone == phone_e164) | (Appointment.booked_by_phone == phone_e164),
               Appointment.visit_day == local_today(now, tz),
               Appointment.status.in_((AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)))
        .order_by(Slot.starts_at)
    ))


@dataclass(frozen=True)
class QueueLine:
    visit: OpdVisit
    appointment: Appointment | None


def queue_lines(session: Session, opd_session_id: int) -> list[QueueLine]:
    """The session's checked-in patients by token, for the counter."""
    return [QueueLine(v, v.appointment) for v in session.scalars(
        select(OpdVisit).where(OpdVisit.session_id == opd_session_id)
        .options(joinedload(OpdVisit.appointment)).order_by(OpdVisit.token))]


def no_shows(session: Session, department_id: int, day: dt.date) -> list[Appointment]:
    return list(session.scalars(select(Appointment).where(
        Appointment.department_id == department_id, Appointment.visit_day == day,
        Appointment.status == AppointmentStatus.NO_SHOW).order_by(Appointment.slot_id,
                                                                  Appointment.token)))
