"""Weekly OPD schedules, closures and the bookable slots they produce."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CompoundSelect,
    ForeignKey,
    Index,
    Select,
    SQLColumnExpression,
    String,
    Time,
    UniqueConstraint,
    bindparam,
    func,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column, relationship
from sqlalchemy.sql import ColumnElement, Executable

from booking_core.base import Base, InvalidInput, NotFound, UTCDateTime, utcnow
from booking_core.holidays import holidays_between
from booking_core.hospitals import Department


class OpdSchedule(Base):
    """One weekly OPD session: e.g. Orthopaedics, Mondays 09:00-13:00, 60-minute slots
    of 15 patients each, 3 of them kept for the hospital's registration counter (as ORS
    lets each hospital set its quota); the other 12 are booked by phone, portal and
    agents, so a slot's ``capacity`` is ``capacity - counter_seats``."""

    __tablename__ = "opd_schedule"
    __table_args__ = (UniqueConstraint("department_id", "weekday", "start_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    weekday: Mapped[int]  # Monday = 0
    start_time: Mapped[dt.time] = mapped_column(Time())
    end_time: Mapped[dt.time] = mapped_column(Time())
    slot_minutes: Mapped[int] = mapped_column(default=60)
    capacity: Mapped[int] = mapped_column(default=15)
    counter_seats: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def bookable_seats(self) -> int:
        """Seats per slot for phone, portal and agent bookings."""
        return max(0, self.capacity - self.counter_seats)


class Closure(Base):
    """A day a hospital (or one department) holds no OPD: a holiday, a strike, a camp."""

    __tablename__ = "closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    day: Mapped[dt.date]
    reason_en: Mapped[str] = mapped_column(String(200), default="")
    reason_hi: Mapped[str] = mapped_column(String(200), default="")


class Slot(Base):
    """A bookable OPD time with a seat count. ``booked`` only moves through the
    conditional updates in ``take_seat`` / ``release_seat``."""

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("department_id", "starts_at"),
        Index("ix_slot_department_day", "department_id", "local_day"),
        Index("ix_slot_hospital_day", "hospital_id", "local_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The visit's date in the helpline's time zone: what "one per day" rules and
    # availability-by-date queries use.
    local_day: Mapped[dt.date]
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    next_token: Mapped[int] = mapped_column(default=0)
    closed: Mapped[bool] = mapped_column(default=False)

    department: Mapped[Department] = relationship()

    @property
    def free(self) -> int:
        return 0 if self.closed else max(0, self.capacity - self.booked)


@dataclass(frozen=True)
class PlannedSlot:
    """A slot the weekly schedules call for (not necessarily in the table yet)."""

    hospital_id: int
    department_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    local_day: dt.date
    capacity: int


def closed_days(session: Session, start: dt.date, end: dt.date) -> ClosedDays:
    """Closures and public holidays from ``start`` up to (not including) ``end``."""
    closures = {
        (c.hospital_id, c.department_id, c.day)
        for c in session.scalars(select(Closure).where(Closure.day >= start, Closure.day < end))
    }
    holidays = holidays_between(session, start, end - dt.timedelta(days=1))
    return ClosedDays(closures, holidays)


@dataclass(frozen=True)
class ClosedDays:
    closures: set[tuple[int, int | None, dt.date]]
    holidays: set[dt.date]

    def closed(self, hospital_id: int, department_id: int, day: dt.date) -> bool:
        """No OPD that day: a public holiday, the hospital closed or this OPD closed."""
        return (day in self.holidays or (hospital_id, None, day) in self.closures
                or (hospital_id, department_id, day) in self.closures)


def planned_slots(
    session: Session, start: dt.date, days: int, tz: str = "Asia/Kolkata", *,
    department_ids: set[int] | None = None,
) -> list[PlannedSlot]:
    """The slots the weekly schedules call for from ``start`` for ``days`` days, minus
    closures and public holidays; only ``department_ids`` when given. The one place a
    schedule turns into slots (``generate_slots``, ``booking_core.master_data``)."""
    zone = ZoneInfo(tz)
    query = select(OpdSchedule, Department.hospital_id).join(
        Department, Department.id == OpdSchedule.department_id)
    if department_ids is not None:
        query = query.where(OpdSchedule.department_id.in_(department_ids))
    schedules = session.execute(query).all()
    shut = closed_days(session, start, start + dt.timedelta(days=days))
    planned: list[PlannedSlot] = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        for schedule, hospital_id in schedules:
            if schedule.weekday != day.weekday() or shut.closed(
                    hospital_id, schedule.department_id, day):
                continue
            moment = dt.datetime.combine(day, schedule.start_time, zone)
            finish = dt.datetime.combine(day, schedule.end_time, zone)
            step = dt.timedelta(minutes=schedule.slot_minutes)
            while moment + step <= finish:
                planned.append(PlannedSlot(
                    hospital_id, schedule.department_id, moment.astimezone(dt.UTC),
                    (moment + step).astimezone(dt.UTC), day, schedule.bookable_seats))
                moment += step
    return planned


def generate_slots(session: Session, start: dt.date, days: int, tz: str = "Asia/Kolkata") -> int:
    """Create the slots every schedule yields from ``start`` for ``days`` days.

    Idempotent: existing slots are left alone (their bookings with them), closures and
    public holidays are honoured. Returns how many slots were added.
    """
    end = start + dt.timedelta(days=days)
    existing = {
        (dep_id, starts)
        for dep_id, starts in session.execute(
            select(Slot.department_id, Slot.starts_at).where(
                Slot.local_day >= start, Slot.local_day < end
            )
        )
    }
    added = 0
    for plan in planned_slots(session, start, days, tz):
        if (plan.department_id, plan.starts_at) in existing:
            continue
        session.add(new_slot(plan))
        existing.add((plan.department_id, plan.starts_at))
        added += 1
    return added


def new_slot(plan: PlannedSlot) -> Slot:
    return Slot(hospital_id=plan.hospital_id, department_id=plan.department_id,
                starts_at=plan.starts_at, ends_at=plan.ends_at, local_day=plan.local_day,
                capacity=plan.capacity)


def close_day(
    session: Session,
    hospital_id: int,
    day: dt.date,
    department_id: int | None = None,
    reason_en: str = "",
    reason_hi: str = "",
) -> Closure:
    """Declare a closure and close the slots already generated for it.

    Appointments already booked in those slots stay on record for agents to call and
    move; new bookings are refused.
    """
    closure = Closure(
        hospital_id=hospital_id,
        department_id=department_id,
        day=day,
        reason_en=reason_en,
        reason_hi=reason_hi,
    )
    session.add(closure)
    query = update(Slot).where(Slot.hospital_id == hospital_id, Slot.local_day == day)
    if department_id is not None:
        query = query.where(Slot.department_id == department_id)
    session.execute(query.values(closed=True))
    return closure


# At or below this many places left, a day or time is said to have only a few left.
FEW_PLACES = 5


def few_left(free: int) -> bool:
    """Whether a day or time with ``free`` places left is one to warn about.

    One rule for every channel, first the phone line's (``tests/test_ivr_wording.py``):
    "23 appointments left" tells a patient nothing they can act on and makes a menu
    longer, so a count is given only when few are left ("where only a few places are
    left" on the phone, "Only 3 appointments left" on the portal) and nothing is said
    otherwise. A full day or time (none left) is not offered at all, so it is not "few".
    Staff screens (the agent console) show every count: this rule is for citizens.
    """
    return 0 < free <= FEW_PLACES


@dataclass(frozen=True)
class SlotView:
    id: int
    department_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    local_day: dt.date
    capacity: int
    free: int


# The availability reads run on every portal availability request and every IVR
# booking menu. Their statements are built once with bound parameters: building a
# select() per call cost more than running it.
_BOOKABLE = (
    Slot.department_id == bindparam("department_id"),
    Slot.closed.is_(False),
    Slot.booked < Slot.capacity,
    # "now" is bound to earliest_bookable_start(): no past or same-minute bookings.
    Slot.starts_at > bindparam("now"),
    Slot.local_day <= bindparam("last"),
)
_FREE_SLOTS = (
    select(
        Slot.id,
        Slot.department_id,
        Slot.starts_at,
        Slot.ends_at,
        Slot.local_day,
        Slot.capacity,
        Slot.booked,
    )
    .where(*_BOOKABLE)
    .order_by(Slot.starts_at)
    .limit(bindparam("limit"))
)
_FREE_SLOTS_ON_DAY = _FREE_SLOTS.where(Slot.local_day == bindparam("day"))
# One round trip for a day's availability: that day's free slots, then every day's
# free seats (kind 0 rows, then kind 1 rows).
_DAY_AVAILABILITY: Executable = union_all(
    select(
        literal(0).label("kind"),
        Slot.local_day,
        (Slot.capacity - Slot.booked).label("free"),
        Slot.id,
        Slot.starts_at,
        Slot.ends_at,
        Slot.capacity,
    ).where(*_BOOKABLE, Slot.local_day == bindparam("day")),
    select(
        literal(1),
        Slot.local_day,
        func.sum(Slot.capacity - Slot.booked),
        null(),
        null(),
        null(),
        null(),
    )
    .where(*_BOOKABLE)
    .group_by(Slot.local_day),
).order_by(text("kind"), text("local_day"), text("starts_at"))
_DAYS_WITH_FREE_SEATS = (
    select(Slot.local_day, func.sum(Slot.capacity - Slot.booked))
    .where(*_BOOKABLE)
    .group_by(Slot.local_day)
    .order_by(Slot.local_day)
    .limit(bindparam("limit"))
)


def earliest_bookable_start(now: dt.datetime) -> dt.datetime:
    """Slots starting at or before this moment cannot be booked: no past or
    same-minute bookings."""
    return now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def bookable_window(
    now: dt.datetime, window_days: int, tz: str = "Asia/Kolkata"
) -> tuple[dt.date, dt.date]:
    today = now.astimezone(ZoneInfo(tz)).date()
    return today, today + dt.timedelta(days=window_days)


def free_slots(
    session: Session,
    department_id: int,
    day: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    window_days: int = 30,
    tz: str = "Asia/Kolkata",
    limit: int | None = None,
) -> list[SlotView]:
    """Slots with a free seat that can still be booked, earliest first."""
    now = now or utcnow()
    first, last = bookable_window(now, window_days, tz)
    params = {
        "department_id": department_id,
        "now": earliest_bookable_start(now),
        "last": last,
        "limit": limit or 10_000,
    }
    if day is not None:
        if day < first or day > last:
            return []
        rows = session.connection().execute(_FREE_SLOTS_ON_DAY, {**params, "day": day})
    else:
        rows = session.connection().execute(_FREE_SLOTS, params)
    return [
        SlotView(
            row.id,
            row.department_id,
            row.starts_at,
            row.ends_at,
            row.local_day,
            row.capacity,
            max(0, row.capacity - row.booked),
        )
        for row in rows
    ]


@functools.lru_cache(maxsize=16)
def _leaving_out(statement: Select[Any], excluding: ColumnElement[bool]) -> Select[Any]:
    """``statement`` without the slots ``excluding`` holds for, built once per condition
    object: a condition made once with bound parameters (``appointments.DAY_HELD``) then
    costs no statement building and no cache key per request."""
    return statement.where(~excluding)


def days_with_free_seats(
    session: Session,
    department_id: int,
    *,
    now: dt.datetime | None = None,
    window_days: int = 30,
    tz: str = "Asia/Kolkata",
    limit: int = 3,
    excluding: ColumnElement[bool] | None = None,
    params: Mapping[str, object] | None = None,
) -> list[tuple[dt.date, int]]:
    """The earliest days with a free seat and how many seats are free that day; slots
    for which ``excluding`` (a condition on ``Slot``: a day the patient already holds,
    ``booking_core.appointments.day_held_by_patient``) holds do not count. ``params``:
    the values of ``excluding``'s bound parameters, if it has any of its own."""
    now = now or utcnow()
    _, last = bookable_window(now, window_days, tz)
    statement = (_leaving_out(_DAYS_WITH_FREE_SEATS, excluding) if excluding is not None
                 else _DAYS_WITH_FREE_SEATS)
    rows = session.connection().execute(
        statement,
        {
            "department_id": department_id,
            "now": earliest_bookable_start(now),
            "last": last,
            "limit": limit,
            **(params or {}),
        },
    )
    return [(day, int(free)) for day, free in rows]


def day_excluded(
    session: Session, department_id: int, day: dt.date, excluding: ColumnElement[bool]
) -> bool:
    """Whether ``excluding`` (as for ``days_with_free_seats``) holds for the department's
    slots on ``day``: a day asked for by name that the list leaves out because the
    patient already holds it, told apart from a day that is simply full."""
    found = session.scalar(select(Slot.id).where(
        Slot.department_id == department_id, Slot.local_day == day, excluding).limit(1))
    return found is not None


def days_excluded(
    session: Session, department_id: int, days: Iterable[dt.date],
    excluding: ColumnElement[bool]
) -> frozenset[dt.date]:
    """Which of ``days`` ``excluding`` (as for ``days_with_free_seats``) holds for, in one
    statement: the days of a list that the patient already holds, marked rather than left
    out (the portal keeps them for booking a family member with an eHealth card)."""
    wanted = list(days)
    if not wanted:
        return frozenset()
    return frozenset(session.scalars(select(Slot.local_day).where(
        Slot.department_id == department_id, Slot.local_day.in_(wanted), excluding
    ).distinct()))


def holds_opd_on(session: Session, department_id: int, day: dt.date) -> bool:
    """Whether the department runs its OPD on ``day`` at all (a slot not closed), free
    or not, begun or not: a day with no free time is told apart from a day with no OPD
    (a weekday it does not sit, a holiday, a closure), which no other day's list names."""
    found = session.scalar(select(Slot.id).where(
        Slot.department_id == department_id, Slot.local_day == day,
        Slot.closed.is_(False)).limit(1))
    return found is not None


def departments_holding_opd(session: Session, since: dt.date) -> set[int]:
    """The ids of departments that sit an OPD: a weekly schedule, or a slot not closed on
    or after ``since`` (a day added by hand). A department with neither (just
    onboarded, or one whose OPD has stopped) has nothing a caller could book, and the
    phone line does not offer it (``ivr.directory``). One statement."""
    return set(session.scalars(_holding_opd(since)))


def _holding_opd(since: dt.date) -> CompoundSelect:
    """The rule of ``departments_holding_opd`` as a statement of department ids."""
    scheduled = select(OpdSchedule.department_id)
    dated = select(Slot.department_id).where(Slot.local_day >= since,
                                              Slot.closed.is_(False))
    return scheduled.union(dated)


def departments_offered(session: Session, hospital_id: int, since: dt.date) -> list[Department]:
    """A hospital's departments that sit an OPD (``departments_holding_opd``), in the
    order the hospital lists them: what a citizen may be offered to book. The portal's
    department page and the API's department list read this, as the phone line's menu
    reads ``departments_holding_opd``, so no channel offers a department with nothing
    to book. One statement."""
    return list(session.scalars(
        select(Department)
        .where(Department.hospital_id == hospital_id,
               Department.id.in_(_holding_opd(since)))
        .order_by(Department.position, Department.id)))


def day_availability(
    session: Session,
    department_id: int,
    day: dt.date,
    *,
    now: dt.datetime | None = None,
    window_days: int = 30,
    tz: str = "Asia/Kolkata",
) -> tuple[list[tuple[dt.date, int]], list[SlotView]]:
    """Every day with a free seat in the window, and the free slots of ``day``: what
    ``days_with_free_seats`` and ``free_slots`` give, in one round trip."""
    now = now or utcnow()
    first, last = bookable_window(now, window_days, tz)
    rows = session.connection().execute(
        _DAY_AVAILABILITY,
        {
            "department_id": department_id,
            "now": earliest_bookable_start(now),
            "last": last,
            "day": day,
        },
    )
    days: list[tuple[dt.date, int]] = []
    slots: list[SlotView] = []
    for row in rows:
        if row.kind == 1:
            days.append((row.local_day, int(row.free)))
        elif first <= day <= last:
            slots.append(
                SlotView(
                    row.id,
                    department_id,
                    row.starts_at,
                    row.ends_at,
                    row.local_day,
                    row.capacity,
                    max(0, int(row.free)),
                )
            )
    return days, slots


def get_slot(session: Session, slot_id: int) -> Slot:
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise NotFound("no such slot", entity="slot")
    return slot


class Seat(NamedTuple):
    """A seat taken in a slot: its number within the slot, and the patient's number in
    the department's day queue (``Appointment.day_token``)."""

    token: int
    day_token: int


# The day's other slots, beside the slot a statement is about.
_EARLIER = aliased(Slot)


def seats_before(department_id: int | SQLColumnExpression[int],
                 local_day: dt.date | SQLColumnExpression[dt.date],
                 starts_at: dt.datetime | SQLColumnExpression[dt.datetime]) -> Select[int]:
    """The seats of the department's slots that day starting before ``starts_at``: a
    seat's day token is these plus its token in its slot (``booking_core.opd_day``)."""
    return select(func.coalesce(func.sum(_EARLIER.capacity), 0)).where(
        _EARLIER.department_id == department_id, _EARLIER.local_day == local_day,
        _EARLIER.starts_at < starts_at)


# The slot's own values come as parameters, not columns: SQLite's RETURNING is rendered
# without table names, which a correlated subquery cannot survive.
_TAKE_SEAT = (
    update(Slot)
    .where(Slot.id == bindparam("slot_id"), Slot.booked < Slot.capacity,
           Slot.closed.is_(False))
    .values(booked=Slot.booked + 1, next_token=Slot.next_token + 1)
    .returning(Slot.next_token, seats_before(bindparam("in_department"), bindparam("on_day"),
                                             bindparam("before")).scalar_subquery())
    .execution_options(synchronize_session=False)
)


def take_seat(session: Session, slot: Slot) -> Seat | None:
    """Take one seat in ``slot`` atomically; return it, or None when the slot is full or
    closed. A single conditional UPDATE, so concurrent bookings can never push a slot
    over capacity on any database; it returns the seat's day token as well."""
    row = session.connection().execute(_TAKE_SEAT, {
        "slot_id": slot.id, "in_department": slot.department_id, "on_day": slot.local_day,
        "before": slot.starts_at}).one_or_none()
    if row is None:
        return None
    token, earlier = row
    return Seat(token, int(earlier or 0) + token)


def first_free_slot(
    session: Session,
    department_id: int,
    *,
    excluding: ColumnElement[bool] | None = None,
    params: Mapping[str, object] | None = None,
    now: dt.datetime | None = None,
    window_days: int = 30,
    tz: str = "Asia/Kolkata",
) -> SlotView | None:
    """The earliest slot with a free seat that can still be booked (one read), skipping
    slots for which ``excluding`` (a condition on ``Slot``, its own bound parameters'
    values in ``params``) holds; None when none."""
    now = now or utcnow()
    _, last = bookable_window(now, window_days, tz)
    statement = (_leaving_out(_FREE_SLOTS, excluding) if excluding is not None
                 else _FREE_SLOTS)
    row = session.execute(statement, {"department_id": department_id,
                                      "now": earliest_bookable_start(now), "last": last,
                                      "limit": 1, **(params or {})}).first()
    if row is None:
        return None
    return SlotView(row.id, row.department_id, row.starts_at, row.ends_at, row.local_day,
                    row.capacity, max(0, int(row.capacity - row.booked)))


def release_seat(session: Session, slot_id: int) -> None:
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def check_capacity_positive(capacity: int) -> None:
    if capacity < 1:
        raise InvalidInput("capacity must be at least 1")
