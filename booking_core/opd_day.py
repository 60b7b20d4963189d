"""The OPD day at the hospital: check-in, the token queue, calls to rooms, no-shows.
What the hall display, the phone line and the portal read of it is in
``booking_core.opd_board``.

A *session* is one department's OPD on one day (``opd_session``, made on first use).
Its queue is numbered by **day tokens**: a booked appointment's day token is the
capacity of the department's earlier slots that day plus its slot token (slot tokens
start at 1 in every slot), so the 10:00 slot's token 1 follows the 09:00 slot's last
seat and a booked patient's day token never changes. Walk-in patients get counter
tokens after every booked seat of the day (the day's slot capacity + 1, + 2, ...), from
the counter's share of the session (``OpdRules.counter_quota``).

Rules held here:
- check-in only at the patient's own hospital, department and day, and only for a
  booking that is not cancelled; a late arrival after being marked a no-show is still
  checked in (the doctor decides); a second check-in returns the first;
- "call next" gives a room the next waiting token (one a recall sent back first, else the
  lowest); the session's row is locked for the whole step (``SELECT ... FOR UPDATE``;
  SQLite's writers queue anyway), so two counters pressing at once get two different
  tokens and none is passed over;
- a room serves one patient at a time: at most one visit is ``CALLED`` per room, and
  the room's ``serving_token`` (what the hall shows) is that visit's token or nothing.
  "Call next" to a room marks the patient it called before ``SERVED`` (pressing "next"
  means the room is free); recalling a skipped patient to a room sends the patient
  called there before, not yet seen, back to the head of the queue (``WAITING``, first
  for the next "call next"). Every step that changes who is called locks the session's
  row and re-reads the visit under it, so two clerks pressing at once for one room
  still leave one called token, and one token is never called to two rooms;
- a called patient who does not come is skipped (the room shows nobody) and may be
  recalled to a room;
- walk-ins are called in the gaps, whenever no checked-in booked patient is waiting, so
  their numbers say nothing of how far the booked queue has come: a booked patient's
  place is judged only against the booked seats' tokens called (``booked_front``). The
  queue has passed a patient who has not checked in only when a booked seat after theirs
  was called once their slot had begun and after they booked; walk-ins, calls before
  their slot's time and calls before the booking never pass anyone
  (``opd_board.progress`` reads it for every channel);
- the "your turn is near" SMS goes once per appointment (outbox ``dedupe_key``
  ``opd-near:<appointment>``) when a call brings the front of the booked queue within
  ``near_tokens`` of the patient's day token; it is not a reminder, so quiet hours and
  the reminder opt-out do not hold it (``messaging/rules.py``);
- after a slot's end plus ``no_show_grace``, booked appointments nobody checked in
  become ``NO_SHOW``.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    find_appointment,
    for_reader,
)
from booking_core.base import (
    Base,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    UTCDateTime,
    enum_column,
    fit_words,
    unit_of_work,
    utcnow,
)
from booking_core.outbox import add_sms
from booking_core.slots import OpdSchedule, Slot

# Rooms a department may call to (the display has room for this many).
MAX_ROOMS = 20


@dataclass(frozen=True)
class OpdRules:
    """The day's settings: ``OPD_NEAR_TOKENS``, ``OPD_COUNTER_QUOTA``,
    ``OPD_NO_SHOW_GRACE_MINUTES`` (README)."""

    near_tokens: int = 3
    counter_quota: int = 30
    no_show_grace: dt.timedelta = dt.timedelta(minutes=60)
    tz: str = "Asia/Kolkata"


class VisitState(enum.StrEnum):
    WAITING = "waiting"  # checked in, not yet called
    CALLED = "called"  # called to a room
    SKIPPED = "skipped"  # called, did not come; may be recalled
    SERVED = "served"  # called, and the room has since called the next patient


VISIT_STATES = tuple(VisitState)


class WrongHospital(Forbidden):
    code = "opd_wrong_hospital"


class WrongDepartment(InvalidInput):
    code = "opd_wrong_department"


class WrongDay(InvalidInput):
    code = "opd_wrong_day"


class BookingCancelled(Conflict):
    code = "opd_booking_cancelled"


class ForgedCode(InvalidInput):
    code = "opd_forged_code"


class CounterFull(Conflict):
    code = "opd_counter_full"


class NobodyWaiting(Conflict):
    code = "opd_nobody_waiting"


class InvalidRoom(InvalidInput):
    code = "opd_invalid_room"


class OpdSession(Base):
    """One department's OPD on one local day: the queue's front and its pace."""

    __tablename__ = "opd_session"
    __table_args__ = (UniqueConstraint("department_id", "local_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    local_day: Mapped[dt.date]
    # The highest token called so far, walk-ins' included: whether the hall has seen a
    # call today. A booked patient's place is judged against ``booked_front`` instead.
    front_token: Mapped[int] = mapped_column(default=0)
    calls: Mapped[int] = mapped_column(default=0)
    first_call_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_call_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    walk_ins: Mapped[int] = mapped_column(default=0)

    rooms: Mapped[list[OpdRoom]] = relationship(order_by="OpdRoom.room")


class OpdRoom(Base):
    """A consulting room of a session and the token it serves now."""

    __tablename__ = "opd_room"
    __table_args__ = (UniqueConstraint("session_id", "room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("opd_session.id"))
    room: Mapped[int]
    serving_token: Mapped[int | None]
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OpdVisit(Base):
    """A patient in the day's queue: a checked-in booking or a walk-in."""

    __tablename__ = "opd_visit"
    __table_args__ = (UniqueConstraint("session_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("opd_session.id"), index=True)
    token: Mapped[int]
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"),
                                                       unique=True)
    state: Mapped[VisitState] = mapped_column(enum_column(VisitState, 10),
                                              default=VisitState.WAITING)
    room: Mapped[int | None]
    checked_in_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    checked_in_by: Mapped[str] = mapped_column(String(80), default="")

    appointment: Mapped[Appointment | None] = relationship()


# --- the signed booking code (QR) ------------------------------------------------------

BOOKING_CODE_PREFIX = "DHHB1"


def _booking_signature(reference: str, key: bytes) -> str:
    digest = hmac.new(key, f"booking:{reference}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().rstrip("=")


def booking_code(reference: str, key: bytes) -> str:
    """The text of a booking's QR code: ``DHHB1.<reference>.<signature>``, where the
    signature is 80 bits of HMAC-SHA256 under ``key`` (derived from ``SECRET_KEY``).
    Short (31 characters, a small QR) and carries nothing but the booking number."""
    return f"{BOOKING_CODE_PREFIX}.{reference}.{_booking_signature(reference, key)}"


def read_booking_code(text: str, key: bytes) -> str:
    """The booking number in a scanned code. A code in our form whose signature does
    not match raises ``ForgedCode``; text that is not our form is returned stripped (a
    typed booking number, or a card number for the card seam)."""
    text = (text or "").strip()
    if not text.startswith(BOOKING_CODE_PREFIX + "."):
        return text
    _, _, rest = text.partition(".")
    reference, _, signature = rest.partition(".")
    expected = _booking_signature(reference, key)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise ForgedCode("this QR code was not made by the helpline")
    return reference


# --- sessions and tokens ---------------------------------------------------------------

def local_today(now: dt.datetime, tz: str) -> dt.date:
    return now.astimezone(ZoneInfo(tz)).date()


def _session_row(session: Session, hospital_id: int, department_id: int,
                 day: dt.date) -> OpdSession:
    """The session's row, inserted unless a concurrent transaction got there first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(OpdSession).values(
        hospital_id=hospital_id, department_id=department_id, local_day=day,
        front_token=0, calls=0, walk_ins=0,
    ).on_conflict_do_nothing(index_elements=["department_id", "local_day"]))
    return session.scalars(select(OpdSession).where(
        OpdSession.department_id == department_id, OpdSession.local_day == day)).one()


def _locked_session(session: Session, opd_session_id: int) -> OpdSession:
    row = session.scalars(select(OpdSession).where(OpdSession.id == opd_session_id)
                          .with_for_update()
                          .execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise NotFound("no such OPD session", entity="opd_session")
    return row


def slot_offsets(session: Session, department_id: int, day: dt.date) -> tuple[dict[int, int], int]:
    """{slot id: day tokens before it} for a department's day, and the day's capacity
    (the first counter token follows it)."""
    offsets: dict[int, int] = {}
    total = 0
    for slot_id, capacity in session.execute(
        select(Slot.id, Slot.capacity)
        .where(Slot.department_id == department_id, Slot.local_day == day)
        .order_by(Slot.starts_at)
    ):
        offsets[slot_id] = total
        total += capacity
    return offsets, total


def booked_front(session: Session, opd: OpdSession, *,
                 since: dt.datetime | None = None) -> int:
    """The highest booked seat's day token the counter has called (at or after ``since``,
    when given): the front of the booked queue, 0 before its first call. Walk-in tokens
    (numbered after every booked seat, called in the gaps when no booked patient waits)
    and re-let seats queued after them never move it, so a booked patient's "now
    serving", "turn near" and "passed" compare their token with booked tokens only."""
    _, capacity = slot_offsets(session, opd.department_id, opd.local_day)
    conditions = [OpdVisit.session_id == opd.id, OpdVisit.called_at.is_not(None),
                  OpdVisit.appointment_id.is_not(None), OpdVisit.token <= capacity]
    if since is not None:
        conditions.append(OpdVisit.called_at >= since)
    return session.scalar(select(func.max(OpdVisit.token)).where(*conditions)) or 0


def day_token(session: Session, appointment: Appointment) -> int:
    """The appointment's place in its department's day queue (see the module doc); the
    same number its SMS and the phone line told the patient (``Appointment.day_token``)."""
    return appointment.day_token


def open_session(session: Session, hospital_id: int, department_id: int, day: dt.date
                 ) -> OpdSession:
    """The session of a department's day, made on first use (a counter opening it)."""
    with unit_of_work(session):
        return _session_row(session, hospital_id, department_id, day)


# --- check-in ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckIn:
    visit: OpdVisit
    appointment: Appointment | None
    already: bool  # the patient had checked in before


def check_in(
    session: Session,
    code: str,
    *,
    hospital_id: int,
    department_id: int,
    key: bytes,
    actor: str = "",
    rules: OpdRules | None = None,
    now: dt.datetime | None = None,
) -> CheckIn:
    """Check a booked patient in at the counter of ``department_id``.

    ``code`` is a booking number or a booking QR code (``booking_code``); the counter
    goes through ``opd_counter.check_in_at_counter``, which also reads eHealth cards. The
    appointment becomes ``ATTENDED`` and its day token joins the queue. Raises
    ``ForgedCode``, ``InvalidReference``, ``NotFound``, ``BookingCancelled``,
    ``WrongHospital`` (details: ``hospital_id``), ``WrongDay`` (details: ``day``) or
    ``WrongDepartment`` (details: ``department_id``), checked in that order; checking in
    twice returns the first check-in.
    """
    rules = rules or OpdRules()
    now = now or utcnow()
    today = local_today(now, rules.tz)
    reference = read_booking_code(code, key)
    with unit_of_work(session):
        appointment = find_appointment(session, reference)
        # Cancelled first: whatever its hospital or day, nobody can be checked in on it.
        if appointment.status == AppointmentStatus.CANCELLED:
            raise BookingCancelled("this booking was cancelled")
        if appointment.hospital_id != hospital_id:
            raise WrongHospital("this booking is for another hospital",
                                hospital_id=appointment.hospital_id)
        # Another day before another department: sent to that department's counter
        # today, the patient would only learn there that the booking is not for today.
        if appointment.visit_day != today:
            raise WrongDay("this booking is for another day", day=appointment.visit_day)
        if appointment.department_id != department_id:
            raise WrongDepartment("this booking is for another department",
                                  department_id=appointment.department_id)
        opd = _session_row(session, hospital_id, department_id, today)
        visit = session.scalar(select(OpdVisit).where(OpdVisit.appointment_id == appointment.id))
        if visit is not None:
            return CheckIn(visit, appointment, already=True)
        opd = _locked_session(session, opd.id)
        visit = OpdVisit(session_id=opd.id, token=_free_day_token(session, opd, appointment, rules),
                         appointment_id=appointment.id, state=VisitState.WAITING,
                         checked_in_at=now, checked_in_by=actor[:80])
        session.add(visit)
        appointment.status = AppointmentStatus.ATTENDED
        session.flush()
    return CheckIn(visit, appointment, already=False)


def _free_day_token(session: Session, opd: OpdSession, appointment: Appointment,
                    rules: OpdRules) -> int:
    """The appointment's day token, unless another patient holds that number: a seat
    re-let after a cancellation carries a slot token past its slot's capacity
    (``take_seat`` never reuses one), which can meet the next slot's first tokens. Such a
    patient queues after the booked seats and the counter's share. Runs under the
    session's row lock."""
    offsets, capacity = slot_offsets(session, opd.department_id, opd.local_day)
    token = offsets.get(appointment.slot_id, 0) + appointment.token
    held = set(session.scalars(select(OpdVisit.token).where(OpdVisit.session_id == opd.id)))
    if token not in held:
        return token
    overflow = capacity + rules.counter_quota
    return max([overflow, *held]) + 1


def counter_quota(session: Session, department_id: int, day: dt.date, rules: OpdRules) -> int:
    """Walk-in tokens for a department's day: the counter's share its weekly schedules
    keep (``OpdSchedule.counter_seats`` per slot, times the day's slots), or
    ``OPD_COUNTER_QUOTA`` where no schedule keeps one."""
    share = 0
    for schedule in session.scalars(select(OpdSchedule).where(
            OpdSchedule.department_id == department_id, OpdSchedule.weekday == day.weekday())):
        minutes = (dt.datetime.combine(day, schedule.end_time)
                   - dt.datetime.combine(day, schedule.start_time)).total_seconds() // 60
        share += schedule.counter_seats * int(minutes // max(1, schedule.slot_minutes))
    return share or rules.counter_quota


def add_walk_in(
    session: Session, opd_session_id: int, *, actor: str = "",
    rules: OpdRules | None = None, now: dt.datetime | None = None,
) -> OpdVisit:
    """A counter token for a patient without a booking, from the counter's share of the
    day (``counter_quota``); ``CounterFull`` when it is used up. One conditional UPDATE takes the
    number, so two counters never give out the same token."""
    rules = rules or OpdRules()
    now = now or utcnow()
    with unit_of_work(session):
        opd = session.get(OpdSession, opd_session_id)
        if opd is None:
            raise NotFound("no such OPD session", entity="opd_session")
        quota = counter_quota(session, opd.department_id, opd.local_day, rules)
        taken = session.execute(
            update(OpdSession)
            .where(OpdSession.id == opd_session_id, OpdSession.walk_ins < quota)
            .values(walk_ins=OpdSession.walk_ins + 1)
            .returning(OpdSession.walk_ins)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if taken is None:
            raise CounterFull("the counter's tokens for this session are all given")
        _, capacity = slot_offsets(session, opd.department_id, opd.local_day)
        visit = OpdVisit(session_id=opd.id, token=capacity + taken, state=VisitState.WAITING,
                         checked_in_at=now, checked_in_by=actor[:80])
        session.add(visit)
        session.flush()
    return visit


# --- calling patients ----------------------------------------------------------------------

def _check_room(room: int) -> None:
    if not 1 <= room <= MAX_ROOMS:
        raise InvalidRoom(f"rooms are numbered 1 to {MAX_ROOMS}")


def _room_row(session: Session, opd: OpdSession, room: int) -> OpdRoom:
    row = session.scalar(select(OpdRoom).where(OpdRoom.session_id == opd.id,
                                               OpdRoom.room == room)
                         .execution_options(populate_existing=True))
    if row is None:
        row = OpdRoom(session_id=opd.id, room=room)
        session.add(row)
    return row


def _serve(session: Session, opd: OpdSession, visit: OpdVisit, room: int,
           now: dt.datetime, *, before: VisitState) -> None:
    """Call ``visit`` to ``room``, the one called token of that room. The patient called
    there before (if any) becomes ``before``: ``SERVED`` when the room asks for the next
    patient, ``WAITING`` (back at the head of the queue) when a recall takes the room from
    them. Runs under the session's row lock."""
    for earlier in session.scalars(
        select(OpdVisit)
        .where(OpdVisit.session_id == opd.id, OpdVisit.room == room,
               OpdVisit.state == VisitState.CALLED, OpdVisit.id != visit.id)
        .execution_options(populate_existing=True)
    ):
        earlier.state = before
        if before == VisitState.WAITING:
            earlier.room = None  # in the queue again, for whichever room calls next
    visit.state, visit.room, visit.called_at = VisitState.CALLED, room, now
    row = _room_row(session, opd, room)
    row.serving_token, row.called_at = visit.token, now
    session.flush()


def call_next(
    session: Session, opd_session_id: int, room: int, *,
    rules: OpdRules | None = None, now: dt.datetime | None = None,
) -> OpdVisit:
    """Call the next waiting patient to ``room``; ``NobodyWaiting`` if none. The next is a
    patient a recall sent back from a room, if any, else the lowest waiting token. The
    patient the room called before is ``SERVED`` now. Writes the "turn is near" SMS for
    the patients the call brings within ``near_tokens`` of the booked queue's front (a
    walk-in's call brings nobody nearer)."""
    rules = rules or OpdRules()
    now = now or utcnow()
    _check_room(room)
    with unit_of_work(session):
        opd = _locked_session(session, opd_session_id)
        visit = session.scalars(
            select(OpdVisit)
            .where(OpdVisit.session_id == opd.id, OpdVisit.state == VisitState.WAITING)
            # Called before and sent back by a recall: at the head of the queue.
            .order_by(OpdVisit.called_at.is_(None), OpdVisit.token).limit(1)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if visit is None:
            raise NobodyWaiting("nobody is waiting")
        front = booked_front(session, opd)
        _serve(session, opd, visit, room, now, before=VisitState.SERVED)
        opd.calls += 1
        opd.first_call_at = opd.first_call_at or now
        opd.last_call_at = now
        opd.front_token = max(opd.front_token, visit.token)
        moved = booked_front(session, opd)
        if moved > front:
            _near_messages(session, opd, moved, rules)
    return visit


def skip(session: Session, visit_id: int, *, hospital_id: int) -> OpdVisit:
    """The called patient did not come: out of the room (the hall shows nobody there
    until the room's next call), kept for a recall."""
    with unit_of_work(session):
        opd, visit = _locked_visit(session, visit_id, hospital_id)
        if visit.state != VisitState.CALLED:
            raise Conflict("only a called patient can be skipped")
        visit.state = VisitState.SKIPPED
        if visit.room is not None:
            row = _room_row(session, opd, visit.room)
            if row.serving_token == visit.token:
                row.serving_token = None
        session.flush()
    return visit


def recall(session: Session, visit_id: int, room: int, *, hospital_id: int,
           now: dt.datetime | None = None) -> OpdVisit:
    """Call a skipped patient again, to ``room``, now. The patient called to that room
    before, not yet seen, goes back to the head of the queue (``WAITING``; the next "call
    next" calls them first), so the room still has one called token and nobody is lost."""
    now = now or utcnow()
    _check_room(room)
    with unit_of_work(session):
        opd, visit = _locked_visit(session, visit_id, hospital_id)
        if visit.state != VisitState.SKIPPED:
            raise Conflict("only a skipped patient can be recalled")
        _serve(session, opd, visit, room, now, before=VisitState.WAITING)
    return visit


def _locked_visit(session: Session, visit_id: int, hospital_id: int
                  ) -> tuple[OpdSession, OpdVisit]:
    """The visit's session, locked, and the visit as it stands under that lock (a copy
    read before the lock may be stale: another counter may have changed it)."""
    visit = _own_visit(session, visit_id, hospital_id)
    opd = _locked_session(session, visit.session_id)
    session.refresh(visit)
    return opd, visit


def _own_visit(session: Session, visit_id: int, hospital_id: int) -> OpdVisit:
    row = session.execute(
        select(OpdVisit, OpdSession.hospital_id)
        .join(OpdSession, OpdSession.id == OpdVisit.session_id)
        .where(OpdVisit.id == visit_id)
    ).one_or_none()
    if row is None or row[1] != hospital_id:
        raise NotFound("no such patient in this hospital's queue", entity="opd_visit")
    return row[0]


def _near_messages(session: Session, opd: OpdSession, front: int, rules: OpdRules) -> int:
    """SMS each booked patient whose day token is now at most ``near_tokens`` past
    ``front`` (``booked_front``), once per appointment."""
    offsets, _ = slot_offsets(session, opd.department_id, opd.local_day)
    low, high = front + 1, front + rules.near_tokens
    conditions = [
        (Appointment.slot_id == slot_id) & Appointment.token.between(low - off, high - off)
        for slot_id, off in offsets.items()
        if off < high  # a slot whose tokens start past the window has none in it
    ]
    if not conditions:
        return 0
    written = 0
    for appointment in session.scalars(
        select(Appointment).where(
            or_(*conditions),
            Appointment.status.in_((AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)),
        )
    ):
        token = offsets[appointment.slot_id] + appointment.token
        row = add_sms(
            session, appointment.citizen.phone, for_reader(appointment, "opd_turn_near"),
            appointment.language,
            {"token": token, "serving": front,
             "department": fit_words(appointment.department.name(appointment.language)),
             "hospital": appointment.hospital.short_name(appointment.language)},
            dedupe_key=f"opd-near:{appointment.id}", appointment_id=appointment.id,
        )
        written += row is not None
    return written


# --- no-shows -------------------------------------------------------------------------------------

def mark_no_shows(session: Session, *, rules: OpdRules | None = None,
                  now: dt.datetime | None = None) -> int:
    """Booked appointments whose slot ended more than ``no_show_grace`` ago and that
    nobody checked in become ``NO_SHOW``: one UPDATE, safe to run twice or from two
    schedulers. Returns how many."""
    rules = rules or OpdRules()
    now = now or utcnow()
    ended = select(Slot.id).where(Slot.ends_at <= now - rules.no_show_grace,
                                  Slot.ends_at > now - dt.timedelta(days=7))
    with unit_of_work(session):
        result = session.execute(
            update(Appointment)
            .where(Appointment.status == AppointmentStatus.BOOKED,
                   Appointment.slot_id.in_(ended))
            .values(status=AppointmentStatus.NO_SHOW)
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

