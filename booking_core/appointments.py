"""OPD appointments: book, look up, cancel, reschedule, each with its history.

The rules a hospital sets live here and only here:
- no bookings for a slot that has started or starts this minute;
- only within the booking window (``window_days``, 30 by default);
- at most one active appointment per patient per department per day (also a partial
  unique index, so concurrent requests cannot slip past it); the patient is the
  mobile's citizen, or the eHealth card's person when booked with a card;
- cancellation up to the slot's start;
- a seat is taken with one conditional UPDATE, never read-then-write.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    bindparam,
    exists,
    insert,
    select,
    text,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    Mapped,
    Session,
    contains_eager,
    make_transient_to_detached,
    mapped_column,
    object_session,
    relationship,
)

from booking_core.base import (
    Base,
    Conflict,
    InvalidInput,
    NotFound,
    UTCDateTime,
    chosen_language,
    enum_column,
    fit_words,
    unit_of_work,
    utcnow,
)
from booking_core.citizens import (
    Citizen,
    get_or_create_citizen,
    normalise_abha,
    remember_hospital,
)
from booking_core.hospitals import Department, Hospital
from booking_core.idempotency import claim_key, earlier_result
from booking_core.outbox import (
    OutboxMessage,
    OutboxStatus,
    add_sms,
    cancel_pending,
    flush_new_messages,
)
from booking_core.person_names import optional_person_name
from booking_core.phones import normalise_mobile
from booking_core.quiet_hours import NO_QUIET_HOURS
from booking_core.refs import (
    RefKind,
    new_reference,
    normalise_reference,
    reference_problem,
)
from booking_core.slots import (
    Slot,
    SlotView,
    bookable_window,
    earliest_bookable_start,
    release_seat,
    seats_before,
    take_seat,
)
from locales import normalise_language
from locales.formatting import sms_date, written_time


class Channel(enum.StrEnum):
    IVR = "ivr"
    PORTAL = "portal"
    AGENT = "agent"
    SMS = "sms"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    # Cancelled by the hospital: the OPD closed that day (``booking_core.master_data``).
    OPD_CLOSED = "opd_closed"


# The statuses in which an appointment holds its patient's day in its department (the
# partial unique indexes and ``day_held_by_patient``): booked, or checked in.
_HOLDS_THE_DAY = "status IN ('booked', 'attended')"
HOLDS_THE_DAY = (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)


class SlotFull(Conflict):
    code = "slot_full"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"


class AlreadyBooked(Conflict):
    code = "already_booked"


class OutsideWindow(InvalidInput):
    code = "outside_booking_window"


class TooLateToCancel(Conflict):
    code = "too_late_to_cancel"


class InvalidReference(InvalidInput):
    code = "invalid_reference"


class Appointment(Base):
    __tablename__ = "appointment"
    __table_args__ = (
        # One patient, one appointment per department per day, booked or already
        # checked in (attended: the patient is at the hospital, and booking again
        # would give them a second token). A patient is the mobile's own citizen,
        # or, booked with an eHealth card, the card's person: a family sharing one
        # phone may take a child and a grandmother to one OPD.
        Index(
            "uq_appointment_one_active_per_day",
            "citizen_id",
            "department_id",
            "visit_day",
            unique=True,
            postgresql_where=text(f"{_HOLDS_THE_DAY} AND ehealth_card_id IS NULL"),
            sqlite_where=text(f"{_HOLDS_THE_DAY} AND ehealth_card_id IS NULL"),
        ),
        Index(
            "uq_appointment_card_one_active_per_day",
            "ehealth_card_id",
            "department_id",
            "visit_day",
            unique=True,
            postgresql_where=text(f"{_HOLDS_THE_DAY} AND ehealth_card_id IS NOT NULL"),
            sqlite_where=text(f"{_HOLDS_THE_DAY} AND ehealth_card_id IS NOT NULL"),
        ),
        Index("ix_appointment_citizen_status", "citizen_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    visit_day: Mapped[dt.date]
    token: Mapped[int]
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus, 12), default=AppointmentStatus.BOOKED
    )
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 8))
    language: Mapped[str] = mapped_column(String(5), default="hi")
    patient_name: Mapped[str | None] = mapped_column(String(120))
    abha_number: Mapped[str | None] = mapped_column(String(14))
    # The number that booked, when someone booked for another person.
    booked_by_phone: Mapped[str | None] = mapped_column(String(16))
    # The patient's eHealth card, when booked with one ("this card's appointments").
    ehealth_card_id: Mapped[int | None] = mapped_column(ForeignKey("ehealth_card.id"),
                                                        index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    citizen: Mapped[Citizen] = relationship()
    slot: Mapped[Slot] = relationship()
    hospital: Mapped[Hospital] = relationship()
    department: Mapped[Department] = relationship()
    events: Mapped[list[AppointmentEvent]] = relationship(
        back_populates="appointment", order_by="AppointmentEvent.id"
    )

    @property
    def day_token(self) -> int:
        """The token the patient is told and the hospital calls: the department's day
        queue number, i.e. the seats of that day's earlier slots plus ``token`` (the
        seat's number within its slot; ``booking_core.opd_day``). One read, kept on the
        instance until the slot or seat changes."""
        cached = self.__dict__.get("_day_token")
        if cached is not None and cached[:2] == (self.slot_id, self.token):
            return int(cached[2])
        session = object_session(self)
        if session is None:
            raise RuntimeError("an appointment's day token needs its session")
        earlier = session.scalar(seats_before(
            self.department_id, self.visit_day,
            select(Slot.starts_at).where(Slot.id == self.slot_id).scalar_subquery()))
        value = int(earlier or 0) + self.token
        self.remember_day_token(value)
        return value

    def may_cancel(self, now: dt.datetime) -> bool:
        """Whether the patient may still cancel (or move) this appointment: it is booked
        (not checked in at the counter, so not called or seen; not cancelled, closed or a
        no-show) and its time has not begun. Every channel offers cancel only where this
        holds, and ``cancel_appointment`` refuses where it does not, so a question asked
        is never answered "too late"."""
        return self.status == AppointmentStatus.BOOKED and self.slot.starts_at > now

    @property
    def patient_is_phone_owner(self) -> bool:
        """Whether the mobile this appointment's SMS go to (``citizen.phone``) is the
        patient's own. Not when the patient was named by an ABHA number that is not the
        mobile owner's: a relative without a mobile, booked from the caller's phone
        (``book_appointment(abha_of_phone_owner=False)``), whose SMS then speak to the
        phone's owner of "the patient" (``for_reader``). A card's appointment goes to
        the card's own mobile, given for its holder when the card was issued."""
        if self.ehealth_card_id is not None or self.abha_number is None:
            return True
        return self.abha_number == self.citizen.abha_number

    def remember_day_token(self, value: int) -> None:
        """Keep ``value`` as the day token of the present slot and seat (a booking learns
        it with the seat, ``booking_core.slots.take_seat``)."""
        self.__dict__["_day_token"] = (self.slot_id, self.token, value)


class AppointmentEvent(Base):
    __tablename__ = "appointment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # booked, cancelled, rescheduled
    channel: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="events")


@dataclass(frozen=True)
class BookingRules:
    window_days: int = 30
    tz: str = "Asia/Kolkata"
    # Reminders: the evening before and the morning of the visit, local time, both
    # outside the 21:00-08:00 quiet hours.
    reminder_evening: dt.time = dt.time(18, 0)
    reminder_morning: dt.time = dt.time(8, 0)
    # ``SMS_QUIET_HOURS`` (``booking_core.quiet_hours``): a waiting-list offer made in
    # them goes out when they end. Off unless the caller passes the setting.
    quiet_hours: str = NO_QUIET_HOURS


REMINDER_TEMPLATES = ("appointment_reminder_evening", "appointment_reminder_morning")
# A template's wording for a reader who is not the patient («मरीज़ की ओपीडी», "the
# patient's OPD"): ``for_reader``.
FOR_PATIENT_SUFFIX = "_patient"
# Every reminder row an appointment may have, in either wording: what a cancel or a
# move stops.
REMINDER_ROWS = REMINDER_TEMPLATES + tuple(
    template + FOR_PATIENT_SUFFIX for template in REMINDER_TEMPLATES)


def for_reader(appointment: Appointment, template: str) -> str:
    """``template`` worded for whoever reads the SMS at ``appointment.citizen.phone``:
    the patient (as written), or, when that phone is not the patient's own
    (``Appointment.patient_is_phone_owner``), its ``_patient`` form, which speaks of
    "the patient" instead of "your OPD". Every SMS about an appointment goes through
    here, so one rule decides for all of them."""
    return template if appointment.patient_is_phone_owner else template + FOR_PATIENT_SUFFIX


def check_bookable(slot: Slot, now: dt.datetime, rules: BookingRules) -> None:
    """Raise ``SlotUnavailable`` (closed, or its time has passed) or ``OutsideWindow``
    when ``slot`` cannot be booked at ``now``; seats are not looked at (``SlotFull``
    comes from taking one)."""
    if slot.closed:
        raise SlotUnavailable("the OPD is closed that day")
    # No past or same-minute bookings.
    if slot.starts_at <= earliest_bookable_start(now):
        raise SlotUnavailable("that time has passed")
    _, last = bookable_window(now, rules.window_days, rules.tz)
    if slot.local_day > last:
        raise OutsideWindow(f"bookings open {rules.window_days} days ahead", field="slot_id")


def message_params(appointment: Appointment, lang: str, tz: str) -> dict[str, Any]:
    """The values SMS templates and spoken read-backs use, in ``lang``."""
    return {
        "reference": appointment.reference,
        "hospital": appointment.hospital.short_name(lang),
        "department": fit_words(appointment.department.name(lang)),
        "date": sms_date(lang, appointment.slot.starts_at.astimezone(ZoneInfo(tz)).date()),
        # The day period first, as it is said: «सुबह 9:30».
        "time": written_time(lang, appointment.slot.starts_at, tz),
        "token": appointment.day_token,
    }


def _queue_messages(
    session: Session, appointment: Appointment, rules: BookingRules, now: dt.datetime, kind: str,
    *, new_appointment: bool = False, language: str | None = None,
) -> None:
    """The SMS for ``kind`` and, unless it is a cancellation, the reminders, in
    ``language`` (default: the appointment's).
    ``new_appointment``: made in this transaction, so no earlier row can hold these
    de-duplication keys (they name the appointment's id) and none is looked for."""
    lang = normalise_language(language) if language else appointment.language
    params = message_params(appointment, lang, rules.tz)
    stamp = int(now.timestamp())
    template = for_reader(appointment, f"appointment_{kind}")
    if (kind == "confirmation" and appointment.booked_by_phone
            and appointment.patient_is_phone_owner):
        # Booked by someone else's phone: the patient is told so (by phone, or online:
        # the portal and its API), and how to cancel.
        template = "appointment_booked_for_you" + (
            "_online" if appointment.channel == Channel.PORTAL else "")
    add_sms(
        session, appointment.citizen.phone, template, lang, params,
        # The slot too: two moves in one second are two messages, each with its time.
        dedupe_key=f"appointment:{appointment.id}:{kind}:{appointment.slot_id}:{stamp}",
        appointment_id=appointment.id, fresh_key=new_appointment,
    )
    if kind == "cancelled":
        return
    zone = ZoneInfo(rules.tz)
    visit = appointment.slot.starts_at.astimezone(zone)
    reminders = (
        ("appointment_reminder_evening", dt.datetime.combine(
            visit.date() - dt.timedelta(days=1), rules.reminder_evening, zone)),
        ("appointment_reminder_morning", dt.datetime.combine(
            visit.date(), rules.reminder_morning, zone)),
    )
    for template, at in reminders:
        if now < at < visit:
            add_sms(
                session, appointment.citizen.phone, for_reader(appointment, template), lang,
                params, not_before=at.astimezone(dt.UTC),
                dedupe_key=f"appointment:{appointment.id}:{template}:{appointment.slot_id}",
                appointment_id=appointment.id, fresh_key=new_appointment,
            )


def reminders_ahead(session: Session, appointment: Appointment) -> tuple[str, ...]:
    """The reminders this appointment will still get, soonest first: its reminder rows
    still waiting in the outbox (``_queue_messages`` writes only those whose time is
    after the booking and before the visit: a booking made after the evening before's
    18:00 gets no evening reminder, one made on the day after 08:00 none at all), none
    when the patient's mobile has stopped reminders. What a confirmation promises comes
    from here, so it promises only what will be sent."""
    if appointment.status != AppointmentStatus.BOOKED or appointment.citizen.sms_opted_out:
        return ()
    waiting = {template.removesuffix(FOR_PATIENT_SUFFIX)
               for template in session.scalars(select(OutboxMessage.template).where(
                   OutboxMessage.appointment_id == appointment.id,
                   OutboxMessage.template.in_(REMINDER_ROWS),
                   OutboxMessage.status == OutboxStatus.PENDING))}
    return tuple(template for template in REMINDER_TEMPLATES if template in waiting)


def _record(
    session: Session, appointment: Appointment, kind: str, channel: Channel, actor: str | None,
    **details: Any,
) -> None:
    """One line of the appointment's history: written at once, by the connection (no
    ORM object: nothing reads it back in the transaction that writes it)."""
    session.connection().execute(_INSERT_EVENT, {
        "appointment_id": appointment.id, "kind": kind, "channel": channel.value,
        "actor": actor, "details": details})
    # A history already read in this session no longer holds every line.
    session.expire(appointment, ["events"])


# Built once (their cache keys with them): the booking runs them on every call. Those
# that need no ORM object run on the session's connection, which costs less.
_SLOT_TO_BOOK = (
    select(Slot, Hospital, Department)
    .join(Hospital, Hospital.id == Slot.hospital_id)
    .join(Department, Department.id == Slot.department_id)
    .where(Slot.id == bindparam("slot_id"))
)
_REFERENCE_TAKEN = select(Appointment.id).where(Appointment.reference == bindparam("reference"))
_INSERT_APPOINTMENT = insert(Appointment).returning(Appointment.id)
_INSERT_EVENT = insert(AppointmentEvent)


def book_appointment(
    session: Session,
    *,
    slot_id: int,
    phone: str,
    channel: Channel,
    language: str = "hi",
    patient_name: str | None = None,
    abha_number: str | None = None,
    booked_by_phone: str | None = None,
    actor: str | None = None,
    rules: BookingRules | None = None,
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
    requested_by: str = "",
    abha_of_phone_owner: bool = True,
    ehealth_card_id: int | None = None,
    held_token: int | None = None,
    within_hospital: int | None = None,
) -> Appointment:
    """Book one seat in ``slot_id`` for the patient whose mobile is ``phone``.

    ``language`` (the patient's SMS and reminders) is one of the helpline's, exactly
    (``chosen_language``): anything else is refused under field "language" before
    anything is written, whoever sent it (a console form, the API, the phone line).

    ``patient_name`` (optional) is checked like a card holder's
    (``person_names.clean_person_name``): ``InvalidName`` or ``NameTooLong`` with
    ``field`` patient_name, never cut short. It is the appointment's; it names the
    mobile's citizen only while that citizen has no name (the patient may be a relative
    on the owner's phone: ``citizens.get_or_create_citizen`` never replaces a name).

    Raises ``SlotFull`` when the last seat went to someone else meanwhile (callers are
    then offered the next free slot), ``AlreadyBooked`` when the patient already holds
    an appointment in that department that day. The confirmation SMS and reminders are
    written to the outbox in the same transaction.

    With ``idempotency_key`` (the phone line passes the call and its read-back), the
    booking happens once per key: a repeated request gets the appointment the first
    one made, and a refused one (full, already booked) claims nothing.

    ``abha_of_phone_owner=False`` says the ABHA number is not the phone owner's (a caller
    booking for a relative from their own phone): it is kept on the appointment only,
    never attached to the phone owner's record.

    ``ehealth_card_id`` links the appointment to the patient's card (use
    ``booking_core.ehealth.book_with_card``); the patient's name then stays on the
    appointment and the card, never overwriting the shared mobile's own record.

    ``held_token``: the seat was already counted for this booking, with that token (a
    waiting-list offer holds a freed seat, ``booking_core.waiting_list``).
    """
    rules = rules or BookingRules()
    now = now or utcnow()
    patient_name = optional_person_name(patient_name, field="patient_name")
    abha = normalise_abha(abha_number)
    language = chosen_language(language)
    citizen_id: int | None = None
    try:
        # Each write below is a statement of its own: nothing is flushed before a read.
        with unit_of_work(session), session.no_autoflush:
            # The reference first, so the claim records it as it is made (one statement).
            reference = _unused_reference(session)
            if idempotency_key:
                claim_key(session, idempotency_key, kind="book", owner=requested_by,
                          result=reference)
            # The slot with its hospital and department (the SMS names them): one read.
            found = session.execute(_SLOT_TO_BOOK, {"slot_id": slot_id}).first()
            # A hospital's staff (``within_hospital``) book at their hospital only.
            if found is None or within_hospital not in (None, found[0].hospital_id):
                raise NotFound("no such slot", entity="slot")
            slot = found[0]
            check_bookable(slot, now, rules)
            # Someone else's choice of language is not the patient's: only a booking of
            # one's own (no other phone booked it) records the language on the mobile's
            # citizen, whom the phone line then greets back in it
            # (``booking_core.demand.known_caller``).
            own = booked_by_phone is None or normalise_mobile(booked_by_phone) == (
                normalise_mobile(phone))
            citizen = get_or_create_citizen(
                session, phone, name=patient_name if ehealth_card_id is None else None,
                abha_number=abha if abha_of_phone_owner else None,
                language=language if own else None,
            )
            citizen_id = citizen.id
            # One active appointment per patient, department and day: the partial unique
            # index refuses a second one at the INSERT below (``except`` names it).
            seat = take_seat(session, slot) if held_token is None else None
            if held_token is not None:
                token = held_token
            elif seat is not None:
                token = seat.token
            else:
                raise SlotFull("no seat left in this slot")
            # The seat counts changed in the database: read again only if asked for.
            session.expire(slot, ["booked", "next_token"])
            remember_hospital(session, citizen, slot.hospital_id)
            values = {
                "reference": reference,
                "citizen_id": citizen.id,
                "hospital_id": slot.hospital_id,
                "department_id": slot.department_id,
                "slot_id": slot.id,
                "visit_day": slot.local_day,
                "token": token,
                "status": AppointmentStatus.BOOKED,
                "channel": channel,
                # The patient's SMS and reminders: in the booker's language when they
                # booked for themselves, else in the patient's own, Hindi (the helpline's
                # default) while it is unknown.
                "language": (language if own else
                             normalise_language(citizen.preferred_language)),
                "patient_name": patient_name,
                "abha_number": abha,
                "booked_by_phone": (normalise_mobile(booked_by_phone) if booked_by_phone
                                    else None),
                "ehealth_card_id": ehealth_card_id,
                "created_at": utcnow(),
                "cancelled_at": None,
            }
            # One INSERT for its id, then the same values become the session's persistent
            # appointment, as if read back (a unit of work's flush, or an ORM INSERT ...
            # RETURNING, would cost more than the statement itself).
            appointment = Appointment(
                id=session.connection().scalar(_INSERT_APPOINTMENT, values), **values)
            make_transient_to_detached(appointment)
            session.add(appointment)
            if seat is not None:
                appointment.remember_day_token(seat.day_token)
            _record(session, appointment, "booked", channel, actor, slot_id=slot.id, token=token)
            _queue_messages(session, appointment, rules, now, "confirmation",
                            new_appointment=True)
            flush_new_messages(session)
    except IntegrityError as exc:
        done = earlier_result(session, idempotency_key) if idempotency_key else None
        if done:  # the same request, made before: its appointment
            return find_appointment(session, done)
        # The partial unique index caught a second booking that day (made before, or
        # concurrently): the caller is told which one holds the day.
        duplicate = (_active_booking(session, citizen_id, slot_id, ehealth_card_id)
                     if citizen_id else None)
        raise AlreadyBooked("already booked in this department that day",
                            **({"reference": duplicate} if duplicate else {})) from exc
    return appointment


def _active_booking(session: Session, citizen_id: int, slot_id: int,
                    ehealth_card_id: int | None = None) -> str | None:
    """The reference of the patient's active appointment in the slot's department on its
    day, if any (read after a refused booking). The patient is the card's person when
    booked with an eHealth card, else the mobile's citizen booking without one."""
    same_patient = (Appointment.ehealth_card_id == ehealth_card_id
                    if ehealth_card_id is not None else
                    (Appointment.citizen_id == citizen_id)
                    & Appointment.ehealth_card_id.is_(None))
    with unit_of_work(session):
        slot = session.get(Slot, slot_id)
        if slot is None:
            return None
        return _booking_on_day(session, same_patient, slot.department_id, slot.local_day)


def _booking_on_day(session: Session, same_patient: ColumnElement[bool], department_id: int,
                    day: dt.date) -> str | None:
    return session.scalar(
        select(Appointment.reference).where(
            same_patient,
            Appointment.department_id == department_id,
            Appointment.visit_day == day,
            Appointment.status.in_(HOLDS_THE_DAY),
        )
    )


def _unused_reference(session: Session) -> str:
    for _ in range(20):
        ref = new_reference(RefKind.APPOINTMENT)
        if session.connection().scalar(_REFERENCE_TAKEN, {"reference": ref}) is None:
            return ref
    raise Conflict("could not allocate a reference")  # 20 collisions in 4 million: never


def find_appointment(session: Session, reference: str, phone: str | None = None, *,
                     within_hospital: int | None = None) -> Appointment:
    """The appointment with ``reference``; with ``phone``, only if that number holds it
    or booked it (the portal and SMS never reveal someone else's booking); with
    ``within_hospital`` (a hospital's staff: ``StaffUser.grievance_hospital``), only if
    it is at that hospital: another hospital's booking does not exist for them."""
    ref = normalise_reference(reference)
    problem = reference_problem(ref, RefKind.APPOINTMENT)
    if problem is not None:
        raise InvalidReference("check the booking number", entity="appointment",
                               field="reference", reason=problem)
    appointment = session.scalar(select(Appointment).where(Appointment.reference == ref))
    if appointment is None:
        raise NotFound("no appointment with that booking number", entity="appointment")
    if phone is not None:
        e164 = normalise_mobile(phone)
        if e164 not in (appointment.citizen.phone, appointment.booked_by_phone):
            raise NotFound("no appointment with that booking number", entity="appointment")
    if within_hospital is not None and appointment.hospital_id != within_hospital:
        raise NotFound("no appointment with that booking number", entity="appointment")
    return appointment


def booking_holding_day(session: Session, phone: str, slot_id: int) -> str | None:
    """The reference of the appointment that would make booking ``slot_id`` for the
    patient with this mobile (without an eHealth card) fail as ``AlreadyBooked`` (an
    active one in the slot's department on its day), else None. A page that offers to
    confirm a booking asks first, so it never shows a button that can only be refused;
    the booking itself still decides (the partial unique index)."""
    citizen_id = session.scalar(select(Citizen.id).where(
        Citizen.phone == normalise_mobile(phone)))
    return None if citizen_id is None else _active_booking(session, citizen_id, slot_id)


def booking_holding_department_day(session: Session, phone: str, department_id: int,
                                   day: dt.date) -> str | None:
    """``booking_holding_day`` for a department's day rather than one of its slots: the
    reference of the appointment that would make booking any slot of that day fail as
    ``AlreadyBooked``, else None. Reads in the caller's transaction (a service function
    that refuses what a booking would refuse: ``waiting_list.check_joinable``)."""
    citizen_id = session.scalar(select(Citizen.id).where(
        Citizen.phone == normalise_mobile(phone)))
    if citizen_id is None:
        return None
    same_patient = (Appointment.citizen_id == citizen_id) & Appointment.ehealth_card_id.is_(None)
    return _booking_on_day(session, same_patient, department_id, day)


def day_held_by_patient(phone: str) -> ColumnElement[bool]:
    """A condition on ``Slot``: the patient with this mobile (booking without an eHealth
    card) already holds an appointment in the slot's department on its day (booked, or
    checked in: ``HOLDS_THE_DAY``), so
    booking it would be refused (``AlreadyBooked``, the partial unique index). Menus
    leave such days out (``days_with_free_seats(excluding=...)``) rather than offer a
    day the booking will refuse."""
    return exists().where(
        Appointment.citizen_id == Citizen.id, Citizen.phone == phone,
        Appointment.department_id == Slot.department_id,
        Appointment.visit_day == Slot.local_day,
        Appointment.status.in_(HOLDS_THE_DAY),
        Appointment.ehealth_card_id.is_(None))


# ``day_held_by_patient`` made once, for the mobile bound as ``patient_phone`` (E.164):
# the menus' form (``days_with_free_seats(excluding=DAY_HELD, params=held_by(phone))``)
# builds no statement per request.
DAY_HELD = day_held_by_patient(bindparam("patient_phone", type_=String()))  # type: ignore[arg-type]


def held_by(phone: str) -> dict[str, object]:
    """The bound values of ``DAY_HELD`` for the patient with this mobile."""
    return {"patient_phone": phone}


def day_held_by_patient_of(appointment: Appointment) -> ColumnElement[bool]:
    """``day_held_by_patient`` for the patient of ``appointment``: the person of its
    eHealth card when it was booked with one (the card's own rule, the
    ``uq_appointment_card_one_active_per_day`` index), else the mobile's own citizen.
    An offer of a new time (an OPD closed that day) leaves such days out: the patient
    already holds that department's day."""
    if appointment.ehealth_card_id is None:
        return day_held_by_patient(appointment.citizen.phone)
    return exists().where(
        Appointment.ehealth_card_id == appointment.ehealth_card_id,
        Appointment.department_id == Slot.department_id,
        Appointment.visit_day == Slot.local_day,
        Appointment.status.in_(HOLDS_THE_DAY))


def upcoming_appointments(
    session: Session, phone: str, now: dt.datetime | None = None, *,
    within_hospital: int | None = None,
) -> list[Appointment]:
    """Active appointments for this number (as patient or as booker), soonest first,
    each with its patient's citizen row loaded (whose mobile says whether it is the
    number's own or booked from it for someone else). With ``within_hospital`` (the
    console passes a hospital's staff's ``grievance_hospital``), that hospital's only."""
    now = now or utcnow()
    e164 = normalise_mobile(phone)
    return list(
        session.scalars(
            select(Appointment)
            .join(Citizen, Citizen.id == Appointment.citizen_id)
            .join(Slot, Slot.id == Appointment.slot_id)
            .options(contains_eager(Appointment.citizen))
            .where(
                (Citizen.phone == e164) | (Appointment.booked_by_phone == e164),
                Appointment.status == AppointmentStatus.BOOKED,
                Slot.ends_at > now,
                true() if within_hospital is None
                else Appointment.hospital_id == within_hospital,
            )
            .order_by(Slot.starts_at)
        )
    )


def overlapping_appointments(
    session: Session, phone: str, slots: Sequence[SlotView], *,
    within_hospital: int | None = None,
) -> dict[int, Appointment]:
    """For each of ``slots`` the patient's booked appointment in another department
    whose time overlaps it, by slot id. Booking it is allowed (a patient may see two
    OPDs one after the other if the first runs short), but the agent should warn the
    caller: one person cannot queue in two OPDs at once. With ``within_hospital`` (a
    hospital's staff) only that hospital's appointments are named: another hospital's
    bookings are not theirs to see."""
    if not slots:
        return {}
    e164 = normalise_mobile(phone)
    earliest = min(s.starts_at for s in slots)
    latest = max(s.ends_at for s in slots)
    held = session.execute(
        select(Appointment, Slot)
        .join(Citizen, Citizen.id == Appointment.citizen_id)
        .join(Slot, Slot.id == Appointment.slot_id)
        .where(Citizen.phone == e164, Appointment.status == AppointmentStatus.BOOKED,
               Slot.starts_at < latest, Slot.ends_at > earliest,
               true() if within_hospital is None
               else Appointment.hospital_id == within_hospital)
    ).all()
    found: dict[int, Appointment] = {}
    for slot in slots:
        for appointment, booked in held:
            if (appointment.department_id != slot.department_id
                    and booked.starts_at < slot.ends_at and booked.ends_at > slot.starts_at):
                found[slot.id] = appointment
                break
    return found


def cancel_appointment(
    session: Session,
    reference: str,
    *,
    channel: Channel,
    phone: str | None = None,
    actor: str | None = None,
    rules: BookingRules | None = None,
    now: dt.datetime | None = None,
    within_hospital: int | None = None,
    language: str | None = None,
) -> Appointment:
    """Cancel while ``Appointment.may_cancel`` holds (booked, before the slot's start);
    frees the seat, cancels pending reminders and queues a cancellation SMS. Cancelling
    twice is harmless (same result, one SMS). Raises ``Conflict`` for an appointment
    checked in (or closed, or a no-show) and ``TooLateToCancel`` once its time began.
    With ``within_hospital`` (a hospital's staff), another hospital's appointment is
    ``NotFound``, as in ``find_appointment``. ``language``: the cancellation SMS's, when
    the patient asked in words of their own (an SMS, answered in their language on
    record); else the appointment's."""
    rules = rules or BookingRules()
    now = now or utcnow()
    with unit_of_work(session):
        appointment = find_appointment(session, reference, phone,
                                       within_hospital=within_hospital)
        if appointment.status == AppointmentStatus.CANCELLED:
            return appointment
        if not appointment.may_cancel(now):
            if appointment.status != AppointmentStatus.BOOKED:
                raise Conflict("this appointment is no longer active")
            raise TooLateToCancel("the appointment time has passed")
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = now
        release_seat(session, appointment.slot_id)
        _offer_to_waiting_list(session, appointment.slot, appointment.token, now, rules)
        cancel_pending(session, appointment_id=appointment.id, templates=REMINDER_ROWS)
        _record(session, appointment, "cancelled", channel, actor)
        _queue_messages(session, appointment, rules, now, "cancelled", language=language)
    return appointment


def _offer_to_waiting_list(session: Session, slot: Slot, token: int, now: dt.datetime,
                           rules: BookingRules) -> None:
    """A freed seat goes first to the day's waiting list, in the same transaction."""
    from booking_core.waiting_list import offer_freed_seat

    offer_freed_seat(session, slot, token, now=now, tz=rules.tz, quiet_hours=rules.quiet_hours)


def reschedule_appointment(
    session: Session,
    reference: str,
    new_slot_id: int,
    *,
    channel: Channel,
    phone: str | None = None,
    actor: str | None = None,
    rules: BookingRules | None = None,
    now: dt.datetime | None = None,
    within_hospital: int | None = None,
) -> Appointment:
    """Move an appointment to another slot of the same department, keeping its
    reference. The new seat is taken before the old one is released, in one
    transaction: if the new slot is full, nothing changes. With ``within_hospital`` (a
    hospital's staff), another hospital's appointment is ``NotFound``."""
    rules = rules or BookingRules()
    now = now or utcnow()
    try:
        with unit_of_work(session):
            appointment = find_appointment(session, reference, phone,
                                           within_hospital=within_hospital)
            if not appointment.may_cancel(now):  # a move is a cancel and a booking
                if appointment.status != AppointmentStatus.BOOKED:
                    raise Conflict("only an active appointment can be moved")
                raise TooLateToCancel("the appointment time has passed")
            new_slot = session.get(Slot, new_slot_id)
            if new_slot is None:
                raise NotFound("no such slot", entity="slot")
            if new_slot.department_id != appointment.department_id:
                raise InvalidInput("a new slot must be in the same department", field="slot_id")
            if new_slot.id == appointment.slot_id:
                return appointment
            check_bookable(new_slot, now, rules)
            seat = take_seat(session, new_slot)
            if seat is None:
                raise SlotFull("no seat left in this slot")
            token = seat.token
            old_slot_id, old_slot = appointment.slot_id, appointment.slot
            old_token = appointment.token
            release_seat(session, old_slot_id)
            _offer_to_waiting_list(session, old_slot, old_token, now, rules)
            cancel_pending(session, appointment_id=appointment.id, templates=REMINDER_ROWS)
            session.refresh(new_slot)
            appointment.slot = new_slot
            appointment.visit_day = new_slot.local_day
            appointment.token = token
            session.flush()
            appointment.remember_day_token(seat.day_token)
            _record(
                session, appointment, "rescheduled", channel, actor,
                from_slot_id=old_slot_id, to_slot_id=new_slot.id, token=token,
            )
            _queue_messages(session, appointment, rules, now, "rescheduled")
    except IntegrityError as exc:
        raise AlreadyBooked("already booked in this department that day") from exc
    return appointment
