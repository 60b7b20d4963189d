"""A day's waiting list: freed seats go to the first person waiting, never to two.

A patient who finds a department's day full joins its list (phone line or portal).
When a seat of that day frees (a cancellation, a move away), the same transaction holds
the seat for the first person waiting (the slot's ``booked`` count keeps it, so nobody
else can book it) and writes an SMS and an outbound call, "press 1 to take it". The
offer holds for the entry's ``hold_minutes`` from when it is sent; a seat freed in the
helpline's quiet hours is held at once but offered when they end
(``offer_freed_seat``):

- taken: one conditional UPDATE ``offered -> booked`` while the hold lasts, and the
  booking, in one transaction;
- declined, or the hold ran out (``lapse_offers``, run by the scheduler): one
  conditional UPDATE ``offered -> declined/lapsed``, and the seat goes to the next
  person in the same transaction, or back to the pool.

A person may leave the list (``leave_waiting_list``, the portal): one conditional UPDATE
``waiting -> left``; holding an offer, the declining path (``offered -> left``, the seat
to the next person), in one transaction.

A day that stops holding an OPD (a public holiday, a closure of the hospital or the
department: ``booking_core.opd_calendar``) ends its list in the transaction that
cancels its bookings: ``lock_day_lists`` first, then ``end_day_lists``, one conditional
UPDATE ``waiting/offered -> opd_closed``, a held seat released, the offer's SMS and call
withdrawn and one SMS to each person (``waiting_list_opd_closed``). Locking the entries
before the day's slots keeps the order every take, decline and lapse uses (entry, then
slot); a join takes a shared lock on the day's slots, so it waits for a closure in
progress and then finds no OPD to wait for.

The conditional UPDATEs decide every race: an answer and a lapse, two answers, or two
cancellations at once (the next entry is picked with ``FOR UPDATE SKIP LOCKED``, so
two freed seats go to two different people) — proved in ``tests/test_opd_waiting_list.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    and_,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column, relationship

from booking_core.appointments import (
    HOLDS_THE_DAY,
    AlreadyBooked,
    Appointment,
    BookingRules,
    Channel,
    book_appointment,
    booking_holding_department_day,
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
from booking_core.citizens import Citizen
from booking_core.hospitals import Department
from booking_core.outbox import add_call, add_sms, cancel_pending_keys
from booking_core.phones import normalise_mobile
from booking_core.quiet_hours import NO_QUIET_HOURS, quiet_hours_end
from booking_core.slots import Slot, bookable_window, earliest_bookable_start
from locales.formatting import local, sms_date, written_time

OFFER_CALL = "waiting_list_offer"


class WaitStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a seat is held for this person now
    BOOKED = "booked"  # took the seat
    DECLINED = "declined"
    LAPSED = "lapsed"  # did not answer within the hold
    LEFT = "left"  # took themselves off the list (an offer they held passed on)
    OPD_CLOSED = "opd_closed"  # the day stopped holding an OPD: the list ended, told by SMS


WAIT_STATUSES = tuple(WaitStatus)
_ACTIVE = "status IN ('waiting', 'offered')"


class SeatsFree(Conflict):
    code = "seats_free"


class OfferGone(Conflict):
    code = "offer_gone"


class OfferTaken(OfferGone):
    """The offer cannot be passed on: it was taken (on the call or the portal) and is an
    appointment now, ``details["reference"]``. An ``OfferGone``, so callers that only
    need "not held any more" stay as they are."""

    code = "offer_taken"


class DayPassed(InvalidInput):
    code = "past_date"


class BeyondBookingWindow(InvalidInput):
    code = "outside_booking_window"


class NoOpdThatDay(InvalidInput):
    """The department holds no OPD session still to come that day: there is no seat to
    wait for."""

    code = "no_opd_that_day"


class OfferEndedDayHeld(Conflict):
    """The offer could not be taken: the person already holds an appointment in that
    department that day (booked by another channel after joining). The offer has ended
    as a decline, its place passed to the next person waiting."""

    code = "offer_ended_day_held"


class SeatAlreadyTaken(Conflict):
    """The entry's offered seat was taken: it is an appointment now, cancelled as one."""

    code = "waiting_list_booked"


class WaitingListEntry(Base):
    __tablename__ = "waiting_list_entry"
    __table_args__ = (
        Index("ix_waiting_list_entry_queue", "department_id", "local_day", "status", "id"),
        Index("uq_waiting_list_entry_one_active", "phone", "department_id", "local_day",
              unique=True, postgresql_where=text(_ACTIVE), sqlite_where=text(_ACTIVE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    local_day: Mapped[dt.date]
    phone: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5), default="hi")
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[WaitStatus] = mapped_column(enum_column(WaitStatus, 10),
                                               default=WaitStatus.WAITING)
    hold_minutes: Mapped[int] = mapped_column(default=10)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    offered_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id"))
    offered_token: Mapped[int | None]
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    hold_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))

    offered_slot: Mapped[Slot | None] = relationship()
    department: Mapped[Department] = relationship()
    # The booking a taken offer became (``accept_offer``): its page shows it.
    appointment: Mapped[Appointment | None] = relationship()


def join_waiting_list(
    session: Session, *, department_id: int, day: dt.date, phone: str, channel: Channel,
    language: str = "hi", hold_minutes: int = 10, rules: BookingRules | None = None,
    now: dt.datetime | None = None,
) -> tuple[WaitingListEntry, int]:
    """Put ``phone`` on the list for a department's day; returns the entry and how many
    are ahead. Refuses what ``check_joinable`` refuses for that number (``SeatsFree``:
    book instead; ``AlreadyBooked``: the number already holds that department's day),
    and a ``language`` that is not one of the helpline's (``chosen_language``:
    ``InvalidInput``, field ``language``). Joining twice returns the first entry."""
    rules = rules or BookingRules()
    now = now or utcnow()
    e164 = normalise_mobile(phone)
    language = chosen_language(language)
    try:
        with unit_of_work(session):
            # A shared lock on the day's slots: a closure in progress (which locks them
            # to close them) is waited for, and then leaves no OPD to wait for.
            department = check_joinable(session, department_id, day, rules=rules, now=now,
                                        phone=e164, lock=True)
            entry = _active_entry(session, e164, department_id, day)
            if entry is None:
                entry = WaitingListEntry(
                    hospital_id=department.hospital_id, department_id=department_id,
                    local_day=day, phone=e164, language=language,
                    channel=channel.value, hold_minutes=hold_minutes, created_at=now)
                session.add(entry)
                session.flush()
            ahead = _ahead(session, entry)
    except IntegrityError:  # the same number joined at the same moment
        entry = _active_entry(session, e164, department_id, day)
        if entry is None:
            raise
        return entry, _ahead(session, entry)
    return entry, ahead


def check_joinable(session: Session, department_id: int, day: dt.date, *,
                   rules: BookingRules | None = None, now: dt.datetime | None = None,
                   phone: str | None = None, lock: bool = False) -> Department:
    """Whether ``day``'s list of a department may be joined now; returns the department.
    Refuses a day outside the booking window (``DayPassed``, ``BeyondBookingWindow``:
    ``InvalidInput``, field ``date``), a day
    with no OPD session still to come (``NoOpdThatDay``: nothing to wait for), a day
    with a free seat (``SeatsFree``: book it instead) and an unknown department
    (``NotFound``). The portal asks it before showing "join"; joining asks it again.

    With ``phone``, also ``AlreadyBooked`` (``details["reference"]``: the booking that
    holds the day) when that number already holds an appointment in the department that
    day: booking's own rule (``booking_holding_department_day``), since the offer's
    booking would be refused and the place held for nothing.

    ``lock`` (joining): the day's open slots are read ``FOR SHARE`` and held until the
    caller's transaction ends, so a closure of the day cannot slip in between this check
    and the new entry (see the module's note)."""
    rules = rules or BookingRules()
    now = now or utcnow()
    first, last = bookable_window(now, rules.window_days, rules.tz)
    if day < first:
        raise DayPassed("that day has passed", field="date")
    if day > last:
        raise BeyondBookingWindow("that day is beyond the booking window", field="date")
    department = session.get(Department, department_id)
    if department is None:
        raise NotFound("no such department", entity="department")
    if phone is not None:
        _refuse_a_day_held(session, department_id, day, normalise_mobile(phone))
    coming = (Slot.department_id == department_id, Slot.local_day == day,
              Slot.closed.is_(False), Slot.starts_at > earliest_bookable_start(now))
    query = select(Slot.capacity - Slot.booked).where(*coming)
    # Rows, not a SUM: PostgreSQL locks no rows of an aggregate.
    free = session.scalars(query.with_for_update(read=True) if lock else query).all()
    if not free:
        raise NoOpdThatDay("no OPD session that day", field="date")
    if sum(free) > 0:
        raise SeatsFree("that day still has free seats")
    return department


def _refuse_a_day_held(session: Session, department_id: int, day: dt.date, e164: str
                       ) -> None:
    """``AlreadyBooked`` when ``e164`` holds the department's ``day`` (booking's own rule),
    naming the booking that holds it."""
    reference = booking_holding_department_day(session, e164, department_id, day)
    if reference is not None:
        raise AlreadyBooked("already booked in this department that day", reference=reference)


def full_days(session: Session, department_id: int, *, rules: BookingRules | None = None,
              now: dt.datetime | None = None, limit: int | None = None,
              excluding: ColumnElement[bool] | None = None) -> list[dt.date]:
    """The days in the booking window whose OPD sessions (slots still to come) are all
    full, soonest first: the days whose lists may be joined (``check_joinable``). Days
    for which ``excluding`` (a condition on ``Slot``: a day the caller already holds,
    ``appointments.day_held_by_patient``) holds are left out: joining would be refused."""
    rules = rules or BookingRules()
    now = now or utcnow()
    first, last = bookable_window(now, rules.window_days, rules.tz)
    query = (select(Slot.local_day)
             .where(Slot.department_id == department_id, Slot.closed.is_(False),
                    Slot.starts_at > earliest_bookable_start(now),
                    Slot.local_day >= first, Slot.local_day <= last)
             .group_by(Slot.local_day)
             .having(func.sum(Slot.capacity - Slot.booked) <= 0)
             .order_by(Slot.local_day))
    if excluding is not None:
        query = query.where(~excluding)
    return list(session.scalars(query if limit is None else query.limit(limit)))


def earliest_full_day(session: Session, department_id: int, *,
                      rules: BookingRules | None = None, now: dt.datetime | None = None,
                      excluding: ColumnElement[bool] | None = None) -> dt.date | None:
    """The first day in the booking window whose OPD sessions (slots still to come) are
    all full: the day a caller who finds no seat can wait for (``excluding``: as for
    ``full_days``)."""
    days = full_days(session, department_id, rules=rules, now=now, limit=1,
                     excluding=excluding)
    return days[0] if days else None


def _active_entry(session: Session, e164: str, department_id: int, day: dt.date
                  ) -> WaitingListEntry | None:
    return session.scalar(select(WaitingListEntry).where(
        WaitingListEntry.phone == e164, WaitingListEntry.department_id == department_id,
        WaitingListEntry.local_day == day,
        WaitingListEntry.status.in_((WaitStatus.WAITING, WaitStatus.OFFERED))))


def _ahead(session: Session, entry: WaitingListEntry) -> int:
    return len(session.scalars(select(WaitingListEntry.id).where(
        WaitingListEntry.department_id == entry.department_id,
        WaitingListEntry.local_day == entry.local_day,
        WaitingListEntry.status.in_((WaitStatus.WAITING, WaitStatus.OFFERED)),
        WaitingListEntry.id < entry.id)).all())


def _hold_seat(session: Session, slot_id: int) -> bool:
    """Count one more seat taken without drawing a new token: the offer keeps the
    freed seat's own token (``take_seat`` would give the next one past it)."""
    held = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked < Slot.capacity, Slot.closed.is_(False))
        .values(booked=Slot.booked + 1)
        .returning(Slot.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return held is not None


def _release_seat(session: Session, slot_id: int) -> None:
    session.execute(update(Slot).where(Slot.id == slot_id, Slot.booked > 0)
                    .values(booked=Slot.booked - 1)
                    .execution_options(synchronize_session=False))


def offer_freed_seat(session: Session, slot: Slot, token: int, *,
                     now: dt.datetime | None = None, tz: str = "Asia/Kolkata",
                     quiet_hours: str = NO_QUIET_HOURS) -> WaitingListEntry | None:
    """Inside the transaction that freed a seat of ``slot`` (token ``token``): hold it
    for the first person waiting for that day and write their SMS and call. None when
    nobody waits, the slot starts within a minute, or the seat went meanwhile.

    ``quiet_hours`` (the ``SMS_QUIET_HOURS`` setting, ``booking_core.quiet_hours``: the
    rule delivery applies to reminders and follow-up calls): a seat freed inside them is
    held for the first person at once (released to the pool it would bypass the list),
    but the SMS and the call are written not to go before the hours end, and the hold
    (``offered_at``, ``hold_until``) runs from then: ``lapse_offers`` at night cannot
    lapse an offer nobody could have seen. A slot that starts before the hours end
    plus the hold is offered at once, as in the day: waiting would leave the seat
    unused, and the offer, lapsed, still passes down the list."""
    now = now or utcnow()
    if slot.closed or slot.starts_at <= earliest_bookable_start(now):
        return None
    entry = session.scalars(
        select(WaitingListEntry)
        .where(WaitingListEntry.department_id == slot.department_id,
               WaitingListEntry.local_day == slot.local_day,
               WaitingListEntry.status == WaitStatus.WAITING)
        .order_by(WaitingListEntry.id).limit(1)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if entry is None or not _hold_seat(session, slot.id):
        return None
    hold = dt.timedelta(minutes=entry.hold_minutes)
    sent_at = quiet_hours_end(now, quiet_hours, tz)
    if sent_at is None or slot.starts_at <= earliest_bookable_start(sent_at + hold):
        sent_at = now  # in the day, or too near the slot to wait for the morning
    entry.status = WaitStatus.OFFERED
    entry.offered_slot_id, entry.offered_token = slot.id, token
    entry.offered_at = sent_at
    entry.hold_until = sent_at + hold
    session.flush()
    # Until when the place is held, and how to take it on a call of one's own when the
    # offer's call is missed (menu 4 says the held place first: ``ivr.mine``).
    params = {**_offer_params(session, slot, entry.language, tz),
              "until": written_time(entry.language, sent_at + hold, tz)}
    add_sms(session, entry.phone, "waiting_list_offer", entry.language, params,
            not_before=sent_at, dedupe_key=f"wl-offer:{entry.id}:sms")
    add_call(session, entry.phone, OFFER_CALL, entry.language, {"entry_id": entry.id},
             not_before=sent_at, dedupe_key=f"wl-offer:{entry.id}:call")
    return entry


def _offer_params(session: Session, slot: Slot, lang: str, tz: str) -> dict[str, object]:
    """The slot in the words a booking's SMS uses (``appointments.message_params``)."""
    department = session.get(Department, slot.department_id)
    if department is None:
        raise NotFound("no such department", entity="department")
    return {"hospital": department.hospital.short_name(lang),
            "department": fit_words(department.name(lang)),
            "date": sms_date(lang, local(slot.starts_at, tz).date()),
            "time": written_time(lang, slot.starts_at, tz)}


def accept_offer(session: Session, entry_id: int, *, rules: BookingRules | None = None,
                 now: dt.datetime | None = None, idempotency_key: str | None = None,
                 tz: str = "Asia/Kolkata", phone: str | None = None,
                 channel: Channel = Channel.IVR, language: str | None = None) -> Appointment:
    """Take the held seat: books it for the entry's phone (the confirmation SMS as for
    any booking), by ``channel`` (the offer call, or the portal's entry page), in
    ``language`` (the call's, when the person took it on a call of their own; None: the
    language they joined the list in, which the offer's SMS and call used). Taken
    already, the same appointment again. ``OfferGone`` when the offer was declined or
    lapsed. With ``phone`` (the portal's verified mobile), another number's entry is
    ``NotFound``, as an unknown one is.

    ``OfferEndedDayHeld`` (``details["reference"]``: the booking that holds the day)
    when the booking is refused because the number already holds that department's day
    (booked elsewhere after joining): the offer cannot ever be taken, so it ends as a
    decline, the place passing to the next person waiting in the same transaction,
    rather than staying held until the hold lapses."""
    rules = rules or BookingRules()
    now = now or utcnow()
    try:
        # One transaction: the claim, the booking (its own unit of work joins this one)
        # and the entry's link to it. A refused booking rolls the claim back with it
        # (the offer stands); a crash anywhere before the commit leaves the offer as it
        # was, never "booked" with no appointment.
        with unit_of_work(session):
            entry = (session.get(WaitingListEntry, entry_id, populate_existing=True)
                     if phone is None else find_entry(session, entry_id, phone))
            if entry is None:
                raise NotFound("no such waiting-list entry", entity="waiting_list_entry")
            if entry.status == WaitStatus.BOOKED and entry.appointment_id is not None:
                taken = session.get(Appointment, entry.appointment_id)
                if taken is not None:
                    return taken  # the same answer again (a retried webhook)
            claimed = session.execute(
                update(WaitingListEntry)
                .where(WaitingListEntry.id == entry_id,
                       WaitingListEntry.status == WaitStatus.OFFERED,
                       WaitingListEntry.hold_until > now)
                .values(status=WaitStatus.BOOKED)
                .returning(WaitingListEntry.offered_slot_id, WaitingListEntry.offered_token,
                           WaitingListEntry.phone, WaitingListEntry.language)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            if claimed is None:
                raise OfferGone("this offer has ended")
            slot_id, token, holder, joined_in = claimed
            if slot_id is None:  # never: an offer always names its place
                raise OfferGone("this offer names no seat")
            appointment = book_appointment(
                session, slot_id=slot_id, phone=holder, channel=channel,
                language=language or joined_in,
                actor="waiting-list", rules=rules, now=now, idempotency_key=idempotency_key,
                held_token=token)
            session.execute(update(WaitingListEntry).where(WaitingListEntry.id == entry_id)
                            .values(appointment_id=appointment.id)
                            .execution_options(synchronize_session=False))
            return appointment
    except AlreadyBooked as exc:
        # The number holds that department's day (booked elsewhere after joining): the
        # offer can never be taken, so it ends as a decline and the place passes on.
        try:
            _end_offer(session, entry_id, WaitStatus.DECLINED, now, tz, rules.quiet_hours)
        except OfferGone:
            pass  # ended meanwhile (a lapse, a leave): the place has passed on already
        raise OfferEndedDayHeld("already booked in this department that day",
                                **exc.details) from exc


def decline_offer(session: Session, entry_id: int, *, now: dt.datetime | None = None,
                  tz: str = "Asia/Kolkata", phone: str | None = None,
                  quiet_hours: str = NO_QUIET_HOURS) -> WaitingListEntry | None:
    """The person does not want the seat: it goes to the next person waiting (or back
    to the pool). Returns the next person's entry, if any. ``OfferGone`` when the offer
    had ended (declined, lapsed); ``OfferTaken`` (an ``OfferGone``) when it was taken,
    naming the booking: a "pass it on" answered after the take (the portal's Back
    button) tells the person they hold that appointment, not that it has gone. With
    ``phone`` (the portal's verified mobile), another number's entry is ``NotFound``."""
    if phone is not None:
        find_entry(session, entry_id, phone)
    try:
        return _end_offer(session, entry_id, WaitStatus.DECLINED, now or utcnow(), tz,
                          quiet_hours)
    except OfferGone:
        ended = session.get(WaitingListEntry, entry_id, populate_existing=True)
        if ended is None or ended.status != WaitStatus.BOOKED:
            raise
        taken = ended.appointment
        raise OfferTaken("this offer was taken",
                         reference=taken.reference if taken else None) from None


def lapse_offers(session: Session, *, now: dt.datetime | None = None,
                 tz: str = "Asia/Kolkata", quiet_hours: str = NO_QUIET_HOURS) -> int:
    """Offers whose hold ran out pass to the next person; each in its own transaction.
    Safe to run from two schedulers at once (the conditional UPDATE decides). An offer
    made in the quiet hours holds until they end plus its hold, so a run at night leaves
    it; the next person's offer, made at night, waits for the morning likewise
    (``quiet_hours``: ``offer_freed_seat``)."""
    now = now or utcnow()
    due = list(session.scalars(select(WaitingListEntry.id).where(
        WaitingListEntry.status == WaitStatus.OFFERED, WaitingListEntry.hold_until <= now)))
    lapsed = 0
    for entry_id in due:
        try:
            _end_offer(session, entry_id, WaitStatus.LAPSED, now, tz, quiet_hours)
            lapsed += 1
        except OfferGone:
            continue
    return lapsed


def _end_offer(session: Session, entry_id: int, outcome: WaitStatus, now: dt.datetime,
               tz: str, quiet_hours: str = NO_QUIET_HOURS) -> WaitingListEntry | None:
    """End an offer (``offered -> outcome``) and pass its place on, in one transaction."""
    with unit_of_work(session):
        condition = [WaitingListEntry.id == entry_id,
                     WaitingListEntry.status == WaitStatus.OFFERED]
        if outcome == WaitStatus.LAPSED:
            condition.append(WaitingListEntry.hold_until <= now)
        ended = session.execute(
            update(WaitingListEntry).where(*condition).values(status=outcome)
            .returning(WaitingListEntry.offered_slot_id, WaitingListEntry.offered_token)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        if ended is None:
            raise OfferGone("this offer has ended")
        slot_id, token = ended
        if slot_id is None or token is None:  # never: an offer always names its seat
            raise OfferGone("this offer names no seat")
        _release_seat(session, slot_id)
        slot = session.get(Slot, slot_id)
        if slot is None:
            raise NotFound("no such slot", entity="slot")
        session.refresh(slot)
        return offer_freed_seat(session, slot, token, now=now, tz=tz,
                                quiet_hours=quiet_hours)


def _day_lists(day: dt.date, hospital_id: int | None,
               department_id: int | None) -> list[ColumnElement[bool]]:
    """The active entries of ``day``'s lists: everywhere, one hospital's or one
    department's."""
    where = [WaitingListEntry.local_day == day,
             WaitingListEntry.status.in_((WaitStatus.WAITING, WaitStatus.OFFERED))]
    if hospital_id is not None:
        where.append(WaitingListEntry.hospital_id == hospital_id)
    if department_id is not None:
        where.append(WaitingListEntry.department_id == department_id)
    return where


def lock_day_lists(session: Session, day: dt.date, *, hospital_id: int | None = None,
                   department_id: int | None = None) -> None:
    """Inside a transaction that will stop ``day``'s OPD, before it locks the day's
    slots: lock the day's active entries. A take, a decline or a lapse locks its entry
    before its slot, so taking them in the same order never deadlocks; one under way is
    waited for (a take then becomes a booking the closure cancels), and one that comes
    after finds its entry ended. An offer made meanwhile skips the locked entries."""
    session.execute(select(WaitingListEntry.id)
                    .where(*_day_lists(day, hospital_id, department_id))
                    .order_by(WaitingListEntry.id).with_for_update())


def end_day_lists(session: Session, day: dt.date, *, hospital_id: int | None = None,
                  department_id: int | None = None, helpline_number: str = "") -> int:
    """Inside the transaction that stops ``day``'s OPD (``lock_day_lists`` first): end
    every entry still waiting or holding a place on the day's lists (everywhere, one
    hospital's or one department's) as ``OPD_CLOSED``; returns how many. A held seat
    is released, the offer's SMS and call not yet sent are withdrawn, and each person
    gets one SMS in their language (``waiting_list_opd_closed``: no OPD that day, the
    place has ended, call ``helpline_number`` to book another day; the ``_no_number``
    twin without one). One conditional UPDATE decides: an entry ended already (an
    earlier closure of that day) is neither ended nor told again."""
    ended = session.execute(
        update(WaitingListEntry).where(*_day_lists(day, hospital_id, department_id))
        .values(status=WaitStatus.OPD_CLOSED)
        .returning(WaitingListEntry.id, WaitingListEntry.phone, WaitingListEntry.language,
                   WaitingListEntry.department_id, WaitingListEntry.offered_slot_id)
        .execution_options(synchronize_session="fetch")
    ).all()
    template = "waiting_list_opd_closed" + ("" if helpline_number else "_no_number")
    for entry_id, phone, language, department_id_, held_slot_id in ended:
        if held_slot_id is not None:  # only an offer names a seat; it was held till now
            _release_seat(session, held_slot_id)
            cancel_pending_keys(session, [f"wl-offer:{entry_id}:sms",
                                          f"wl-offer:{entry_id}:call"])
        department = session.get(Department, department_id_)
        if department is None:  # never: an entry's department is a foreign key
            raise NotFound("no such department", entity="department")
        params = {"hospital": department.hospital.short_name(language),
                  "department": fit_words(department.name(language)),
                  "date": sms_date(language, day), "number": helpline_number}
        add_sms(session, phone, template, language, params,
                dedupe_key=f"wl-entry:{entry_id}:opd_closed")
    return len(ended)


def find_offer(session: Session, entry_id: int) -> WaitingListEntry:
    entry = session.get(WaitingListEntry, entry_id)
    if entry is None:
        raise NotFound("no such waiting-list entry", entity="waiting_list_entry")
    return entry


def find_entry(session: Session, entry_id: int, phone: str) -> WaitingListEntry:
    """One entry of ``phone``'s, whatever its status. Another number's entry is
    ``NotFound``, as an unknown one is: nobody learns whether an id exists."""
    e164 = normalise_mobile(phone)
    entry = session.get(WaitingListEntry, entry_id, populate_existing=True)
    if entry is None or entry.phone != e164:
        raise NotFound("no such waiting-list entry", entity="waiting_list_entry")
    return entry


def people_ahead(session: Session, entry: WaitingListEntry) -> int:
    """How many wait before ``entry`` on its day's list (0 once it is off the list)."""
    if entry.status not in (WaitStatus.WAITING, WaitStatus.OFFERED):
        return 0
    return _ahead(session, entry)


def leave_waiting_list(session: Session, entry_id: int, phone: str, *,
                       now: dt.datetime | None = None, tz: str = "Asia/Kolkata",
                       quiet_hours: str = NO_QUIET_HOURS) -> WaitingListEntry:
    """Take ``phone``'s entry off its day's list. Waiting: one conditional UPDATE
    ``waiting -> left``. Holding an offer: the declining path (``offered -> left``, the
    held seat to the next person waiting, or back to the pool), in one transaction, so
    a leave racing a decline, a lapse or another leave passes the seat on once.

    Idempotent: an entry already off the list (left, declined, lapsed) is returned as it
    is. ``SeatAlreadyTaken`` when the offer was taken (cancel the appointment instead);
    ``NotFound`` for an unknown entry or another number's."""
    now = now or utcnow()
    e164 = normalise_mobile(phone)
    # At most three reads: waiting, offered meanwhile, then ended meanwhile (an offer
    # never goes back to waiting, so the third read finds it off the list or booked).
    for _ in range(3):
        entry = find_entry(session, entry_id, e164)
        if entry.status == WaitStatus.BOOKED:
            raise SeatAlreadyTaken("the offered seat was taken: it is an appointment now")
        if entry.status == WaitStatus.WAITING:
            with unit_of_work(session):
                left = session.execute(
                    update(WaitingListEntry)
                    .where(WaitingListEntry.id == entry_id, WaitingListEntry.phone == e164,
                           WaitingListEntry.status == WaitStatus.WAITING)
                    .values(status=WaitStatus.LEFT)
                    .returning(WaitingListEntry.id)
                    .execution_options(synchronize_session=False)
                ).scalar_one_or_none()
        elif entry.status == WaitStatus.OFFERED:
            try:
                _end_offer(session, entry_id, WaitStatus.LEFT, now, tz, quiet_hours)
            except OfferGone:
                left = None
            else:
                left = entry_id
        else:
            return entry  # off the list already: left, declined or lapsed
        if left is not None:
            return find_entry(session, entry_id, e164)
    raise OfferGone("this entry changed while leaving it")  # never: see above


def waiting_places(session: Session, phone: str, *, today: dt.date | None = None
                   ) -> list[tuple[WaitingListEntry, int]]:
    """A number's active entries with how many wait before each, soonest day first:
    the portal's "my appointments" page. With ``today``, also the entries that ended
    without the person's doing for days from ``today`` on (0 ahead), so the page says
    the place has ended rather than dropping it unexplained: those a closed OPD ended,
    and a held place that ran out unanswered (``_ran_out_unanswered``)."""
    entries = waiting_for(session, phone)
    if today is not None:
        active = {entry.id for entry in entries}
        entries = sorted(entries + [e for e in session.scalars(select(WaitingListEntry).where(
            WaitingListEntry.phone == normalise_mobile(phone),
            or_(WaitingListEntry.status == WaitStatus.OPD_CLOSED,
                _ran_out_unanswered(today, utcnow())),
            WaitingListEntry.local_day >= today)) if e.id not in active],
            key=lambda e: (e.local_day, e.id))
    return [(entry, people_ahead(session, entry)) for entry in entries]


def waiting_for(session: Session, phone: str) -> list[WaitingListEntry]:
    """A number's active entries, for the phone line and the portal."""
    e164 = normalise_mobile(phone)
    return list(session.scalars(select(WaitingListEntry).where(
        WaitingListEntry.phone == e164,
        WaitingListEntry.status.in_((WaitStatus.WAITING, WaitStatus.OFFERED)))
        .order_by(WaitingListEntry.local_day)))


class OfferNews(NamedTuple):
    """What a number's waiting-list offers have to tell it now (``offer_news``)."""

    held: WaitingListEntry | None  # a place held for it now: take it or pass it on
    ran_out: list[WaitingListEntry]  # places that ran out unanswered, soonest day first


def _ran_out_unanswered(today: dt.date, now: dt.datetime) -> ColumnElement[bool]:
    """An entry whose offer ran out unanswered (lapsed, or past its hold and not yet
    passed on by ``lapse_offers``) for a seat still to come on a day from ``today`` on
    whose OPD still sits, that nothing has overtaken since: the same number has no
    later entry on that department's day (joined again) and its patient holds no
    appointment there (booked it another way). Nobody is told of it otherwise: the
    offer's SMS said until when it was held. Whether the seat went to the next person
    or back to the free times is not said: it may change again."""
    later = aliased(WaitingListEntry)
    return and_(
        or_(WaitingListEntry.status == WaitStatus.LAPSED,
            and_(WaitingListEntry.status == WaitStatus.OFFERED,
                 WaitingListEntry.hold_until <= now)),
        WaitingListEntry.local_day >= today,
        exists().where(Slot.id == WaitingListEntry.offered_slot_id,
                       Slot.closed.is_(False), Slot.starts_at > now),
        ~exists().where(later.phone == WaitingListEntry.phone,
                        later.department_id == WaitingListEntry.department_id,
                        later.local_day == WaitingListEntry.local_day,
                        later.id > WaitingListEntry.id),
        ~exists().where(Appointment.citizen_id == Citizen.id,
                        Citizen.phone == WaitingListEntry.phone,
                        Appointment.department_id == WaitingListEntry.department_id,
                        Appointment.visit_day == WaitingListEntry.local_day,
                        Appointment.status.in_(HOLDS_THE_DAY)))


def offer_news(session: Session, phone: str, *, today: dt.date,
               now: dt.datetime | None = None) -> OfferNews:
    """In one read, what the phone line's menu 4 says first to ``phone``: the place held
    for it now (an offer still inside its hold, soonest hold end first), which a caller
    who missed the offer's call takes with ``accept_offer`` and the same ``phone``; and
    the places that ran out unanswered (``_ran_out_unanswered``; ``today`` is the
    helpline's local date), soonest day first, so a caller who missed both the call and
    the hold hears that they are no longer on that list, rather than nothing."""
    now = now or utcnow()
    holding = and_(WaitingListEntry.status == WaitStatus.OFFERED,
                   WaitingListEntry.offered_slot_id.is_not(None),
                   WaitingListEntry.hold_until > now)
    found = list(session.scalars(select(WaitingListEntry).where(
        WaitingListEntry.phone == normalise_mobile(phone),
        or_(holding, _ran_out_unanswered(today, now)))
        .order_by(WaitingListEntry.local_day, WaitingListEntry.id)))
    held = [e for e in found if e.status == WaitStatus.OFFERED and e.hold_until
            and e.hold_until > now]
    return OfferNews(
        held=min(held, key=lambda e: (e.hold_until or now, e.id), default=None),
        ran_out=[e for e in found if e not in held])
