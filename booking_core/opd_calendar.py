"""When OPDs run: weekly schedules with the counter's share of seats, closures of a day
or a department, and public holidays; each change saved in one transaction with an
audit entry, the future slots brought in line with it, and patients whose booking the
hospital cancelled told by SMS.

Slots follow a change at once (for the ``days`` ahead the caller passes, the app's
``SLOT_WEEKS_AHEAD``) without touching a booking: a slot the schedule no longer calls
for takes no new bookings (``closed``), while its appointments stand; a slot it still
calls for keeps its bookings and takes the new seat count (never below the seats
already booked). Only a closure or a holiday cancels bookings, and then each patient
gets an SMS offering the department's nearest free time on another day
(``appointment_opd_closed_offer``), or, when there is none, asking them to call the
helpline for a new time (``appointment_opd_closed``); without a helpline number to
call (never the SMS sender id, which no one can dial) the ``_no_number`` twin of each.
The day's waiting lists end in the same transaction: each person waiting or holding a
place is told there will be no OPD that day (``waiting_list_opd_closed``, or its
``_no_number`` twin; ``booking_core.waiting_list.end_day_lists``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from booking_core.appointments import (
    REMINDER_ROWS,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    day_held_by_patient_of,
    message_params,
)
from booking_core.audit import record_change
from booking_core.base import (
    InvalidDay,
    NotFound,
    ascii_digits,
    calendar_day,
    unit_of_work,
    utcnow,
)
from booking_core.holidays import PublicHoliday
from booking_core.hospitals import Department, Hospital
from booking_core.master_data import (
    Editor,
    FieldCheck,
    clean_text,
    require_admin,
    require_hospital_opd,
)
from booking_core.outbox import add_sms, cancel_pending
from booking_core.slots import (
    Closure,
    OpdSchedule,
    Slot,
    first_free_slot,
    new_slot,
    planned_slots,
)
from booking_core.waiting_list import end_day_lists, lock_day_lists
from locales.formatting import sms_date, written_time

MAX_SESSIONS = 21  # three a day is already more than any Delhi OPD runs


@dataclass(frozen=True)
class SlotHorizon:
    """How far ahead slots exist, and in which time zone days begin: the app's
    ``SLOT_WEEKS_AHEAD`` and ``HELPLINE_TIMEZONE``. ``helpline_number`` is what the
    closure SMS tells patients to call (``Settings.helpline_number_to_call``); empty:
    the SMS names no number."""

    days: int = 35
    tz: str = "Asia/Kolkata"
    helpline_number: str = ""

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(ZoneInfo(self.tz)).date()


# Schedules ---------------------------------------------------------------------------


@dataclass
class SessionInput:
    """One weekly session as typed: weekday 0 (Monday) to 6, times ``HH:MM``."""

    weekday: str = ""
    start: str = ""
    end: str = ""
    slot_minutes: str = "60"
    capacity: str = ""
    counter_seats: str = "0"


def _time(check: FieldCheck, name: str, raw: str) -> dt.time | None:
    text = ascii_digits(clean_text(raw))
    try:
        value = dt.time.fromisoformat(text) if len(text) in (4, 5) else None
    except ValueError:
        value = None
    if value is None:
        check.fail(name, "required" if not text else "bad_time")
    return value


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def schedule_record(rows: list[OpdSchedule]) -> dict[str, Any]:
    return {"sessions": [
        {"weekday": r.weekday, "start": r.start_time.strftime("%H:%M"),
         "end": r.end_time.strftime("%H:%M"), "slot_minutes": r.slot_minutes,
         "capacity": r.capacity, "counter_seats": r.counter_seats}
        for r in sorted(rows, key=lambda r: (r.weekday, r.start_time))]}


def list_sessions(session: Session, department_id: int) -> list[OpdSchedule]:
    return list(session.scalars(select(OpdSchedule).where(
        OpdSchedule.department_id == department_id)
        .order_by(OpdSchedule.weekday, OpdSchedule.start_time)))


def save_schedule(session: Session, department_id: int, sessions: list[SessionInput], *,
                  editor: Editor, horizon: SlotHorizon,
                  now: dt.datetime | None = None) -> list[OpdSchedule]:
    """Replace a department's weekly sessions with ``sessions`` and bring its future
    slots in line (see the module's note: bookings are never touched).

    Each session: a weekday, start before end with room for one slot, 5-240 minute
    slots, 1-500 patients per slot of which ``counter_seats`` (fewer than all) are kept
    for the hospital's registration counter; sessions of one day may not overlap. Field
    names in ``InvalidFields`` are ``s<i>.<field>`` for the i-th session given.
    """
    now = now or utcnow()
    check = FieldCheck()
    planned: list[tuple[int, dt.time, dt.time, int, int, int]] = []
    if len(sessions) > MAX_SESSIONS:
        check.fail("sessions", "too_long")
    for i, row in enumerate(sessions[:MAX_SESSIONS]):
        weekday = check.number(f"s{i}.weekday", row.weekday, 0, 6)
        start = _time(check, f"s{i}.start", row.start)
        end = _time(check, f"s{i}.end", row.end)
        minutes = check.number(f"s{i}.slot_minutes", row.slot_minutes, 5, 240)
        capacity = check.number(f"s{i}.capacity", row.capacity, 1, 500)
        counter = check.number(f"s{i}.counter_seats", row.counter_seats, 0, 500, default=0)
        if f"s{i}.capacity" not in check.errors and counter >= capacity:
            check.fail(f"s{i}.counter_seats", "counter_too_many")
        if start is None or end is None:
            continue
        if end <= start:
            check.fail(f"s{i}.end", "ends_before_start")
        elif _minutes(end) - _minutes(start) < minutes:
            check.fail(f"s{i}.end", "shorter_than_slot")
        elif any(w == weekday and start < e and s < end for w, s, e, *_ in planned):
            check.fail(f"s{i}.start", "overlaps")
        else:
            planned.append((weekday, start, end, minutes, capacity, counter))
    with unit_of_work(session):
        department = session.get(Department, department_id, with_for_update=True)
        if department is None:
            raise NotFound("no such department", entity="department")
        require_hospital_opd(editor, department.hospital_id)
        check.done()
        old = list_sessions(session, department_id)
        before = schedule_record(old)
        for gone in old:
            session.delete(gone)
        session.flush()
        rows = [OpdSchedule(department_id=department_id, weekday=w, start_time=s, end_time=e,
                            slot_minutes=m, capacity=c, counter_seats=k)
                for w, s, e, m, c, k in planned]
        session.add_all(rows)
        session.flush()
        sync_slots(session, {department_id}, horizon, now)
        record_change(session, actor=editor.username, entity="schedule", key=department_id,
                      hospital_id=department.hospital_id, before=before,
                      after=schedule_record(rows))
    return rows


def sync_slots(session: Session, department_ids: set[int] | None, horizon: SlotHorizon,
               now: dt.datetime) -> int:
    """Bring the future slots of ``department_ids`` (all when None) in line with their
    schedules, closures and holidays; returns how many slots were added. Slots that have
    started are history and left alone."""
    start = horizon.today(now)
    plans = {(p.department_id, p.starts_at): p for p in planned_slots(
        session, start, horizon.days, horizon.tz, department_ids=department_ids)
        if p.starts_at > now}
    query = select(Slot).where(Slot.starts_at > now,
                               Slot.local_day < start + dt.timedelta(days=horizon.days))
    if department_ids is not None:
        query = query.where(Slot.department_id.in_(department_ids))
    for slot in session.scalars(query):
        plan = plans.pop((slot.department_id, slot.starts_at), None)
        if plan is None:
            slot.closed = True  # no new bookings; bookings made stand
            continue
        if slot.booked == 0:
            slot.ends_at = plan.ends_at
        slot.capacity = max(plan.capacity, slot.booked)
        slot.closed = False
    session.add_all(new_slot(plan) for plan in plans.values())
    return len(plans)


# Closures and holidays ----------------------------------------------------------------


@dataclass
class ClosureInput:
    day: str = ""
    department_id: str = ""  # empty: the whole hospital
    reason_en: str = ""
    reason_hi: str = ""


def closure_record(c: Closure, cancelled: int | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"day": c.day.isoformat(), "department_id": c.department_id,
                              "reason_en": c.reason_en, "reason_hi": c.reason_hi}
    if cancelled is not None:
        record["appointments_cancelled"] = cancelled
    return record


def _day(check: FieldCheck, name: str, raw: str, earliest: dt.date | None) -> dt.date | None:
    text = clean_text(raw)
    try:
        day: dt.date | None = calendar_day(text, field=name)
    except InvalidDay:  # not a date, or one no closure or holiday can be on
        day = None
    if day is None:
        check.fail(name, "required" if not text else "bad_time")
    elif earliest is not None and day < earliest:
        check.fail(name, "past_day")
        return None
    return day


def close_opd(session: Session, hospital_id: int, form: ClosureInput, *, editor: Editor,
              horizon: SlotHorizon, now: dt.datetime | None = None) -> tuple[Closure, int]:
    """Close a hospital's OPD (or one department's) on a day from today on; returns the
    closure and how many appointments it cancelled. Each of them becomes
    ``OPD_CLOSED``, its seat and pending reminders are released and its patient gets
    the ``appointment_opd_closed`` SMS, all in this one transaction."""
    now = now or utcnow()
    check = FieldCheck()
    day = _day(check, "day", form.day, horizon.today(now))
    reason_en = check.text("reason_en", form.reason_en, max_len=200, required=False)
    reason_hi = check.text("reason_hi", form.reason_hi, max_len=200, required=False)
    department_id = None
    if clean_text(form.department_id):
        department_id = check.number("department_id", form.department_id, 1, 2**31 - 1)
    require_hospital_opd(editor, hospital_id)
    with unit_of_work(session):
        if session.get(Hospital, hospital_id) is None:
            raise NotFound("no such hospital", entity="hospital")
        if department_id is not None:
            department = session.get(Department, department_id)
            if department is None or department.hospital_id != hospital_id:
                check.fail("department_id", "not_found")
        if day is not None and session.scalar(select(Closure.id).where(
                Closure.hospital_id == hospital_id, Closure.day == day,
                Closure.department_id.is_(None) if department_id is None else
                (Closure.department_id == department_id) | Closure.department_id.is_(None)
        )) is not None:
            check.fail("day", "already_closed")
        check.done()
        assert day is not None
        closure = Closure(hospital_id=hospital_id, department_id=department_id, day=day,
                          reason_en=reason_en, reason_hi=reason_hi)
        session.add(closure)
        session.flush()
        cancelled = _cancel_day(session, day, horizon, now, editor, hospital_id=hospital_id,
                                department_id=department_id)
        record_change(session, actor=editor.username, entity="closure", key=closure.id,
                      hospital_id=hospital_id, before=None,
                      after=closure_record(closure, cancelled))
    return closure, cancelled


def reopen_opd(session: Session, closure_id: int, *, editor: Editor, horizon: SlotHorizon,
               now: dt.datetime | None = None) -> None:
    """Withdraw a closure: the day's slots open again for new bookings (appointments it
    cancelled stay cancelled; their patients were told)."""
    now = now or utcnow()
    with unit_of_work(session):
        closure = session.get(Closure, closure_id, with_for_update=True)
        if closure is None:
            raise NotFound("no such closure", entity="closure")
        require_hospital_opd(editor, closure.hospital_id)
        before = closure_record(closure)
        hospital_id = closure.hospital_id
        session.delete(closure)
        session.flush()
        ids = set(session.scalars(select(Department.id).where(
            Department.hospital_id == hospital_id)))
        sync_slots(session, ids, horizon, now)
        record_change(session, actor=editor.username, entity="closure", key=closure_id,
                      hospital_id=hospital_id, before=before, after=None)


def _cancel_day(session: Session, day: dt.date, horizon: SlotHorizon, now: dt.datetime,
                editor: Editor, *, hospital_id: int | None = None,
                department_id: int | None = None) -> int:
    """Close the day's slots (of a hospital, a department, or everywhere) and cancel
    their bookings that have not started, telling each patient; end the day's waiting
    lists, telling each person on them. Returns how many bookings were cancelled."""
    # The lists' entries before the slots: the order a take or a lapse locks them in.
    lock_day_lists(session, day, hospital_id=hospital_id, department_id=department_id)
    slots = select(Slot).where(Slot.local_day == day)
    if hospital_id is not None:
        slots = slots.where(Slot.hospital_id == hospital_id)
    if department_id is not None:
        slots = slots.where(Slot.department_id == department_id)
    by_id = {slot.id: slot for slot in session.scalars(slots.with_for_update())}
    for slot in by_id.values():
        slot.closed = True
    if not by_id:
        _end_lists(session, day, horizon, hospital_id, department_id, by_id)
        return 0
    appointments = session.scalars(select(Appointment).where(
        Appointment.slot_id.in_(list(by_id)), Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Appointment.id).with_for_update()).all()
    cancelled = 0
    for appointment in appointments:
        slot = by_id[appointment.slot_id]
        if slot.starts_at <= now:
            continue
        appointment.status = AppointmentStatus.OPD_CLOSED
        appointment.cancelled_at = now
        slot.booked = max(0, slot.booked - 1)
        cancel_pending(session, appointment_id=appointment.id, templates=REMINDER_ROWS)
        session.add(AppointmentEvent(appointment=appointment, kind="opd_closed",
                                     channel="system", actor=editor.username,
                                     details={"day": day.isoformat()}))
        params = message_params(appointment, appointment.language, horizon.tz)
        sms = {"reference": params["reference"], "hospital": params["hospital"],
               "date": params["date"], "number": horizon.helpline_number}
        # A new time to offer: the department's nearest free one on another day, and
        # not a day the patient already holds there (booking it would be refused).
        offer = first_free_slot(session, appointment.department_id,
                                excluding=or_(Slot.local_day == day,
                                              day_held_by_patient_of(appointment)),
                                now=now, tz=horizon.tz)
        template = "appointment_opd_closed"
        if offer is not None:
            template = "appointment_opd_closed_offer"
            sms.update(new_date=sms_date(appointment.language, offer.local_day),
                       new_time=written_time(appointment.language, offer.starts_at,
                                             horizon.tz))
        if not horizon.helpline_number:  # no number to call: the sentence without one
            template += "_no_number"
        add_sms(session, appointment.citizen.phone, template, appointment.language, sms,
                dedupe_key=f"appointment:{appointment.id}:opd_closed",
                appointment_id=appointment.id)
        cancelled += 1
    _end_lists(session, day, horizon, hospital_id, department_id, by_id)
    return cancelled


def _end_lists(session: Session, day: dt.date, horizon: SlotHorizon, hospital_id: int | None,
               department_id: int | None, by_id: dict[int, Slot]) -> None:
    """End the day's waiting lists once the bookings are cancelled: the seats their held
    places release are counted in the database, so the slots read them again."""
    end_day_lists(session, day, hospital_id=hospital_id, department_id=department_id,
                  helpline_number=horizon.helpline_number)
    for slot in by_id.values():
        session.expire(slot, ["booked"])


@dataclass
class HolidayInput:
    day: str = ""
    name_en: str = ""
    name_hi: str = ""


def holiday_record(h: PublicHoliday) -> dict[str, Any]:
    return {"day": h.day.isoformat(), "name": h.name, "name_hi": h.name_hi}


def add_holiday(session: Session, form: HolidayInput, *, editor: Editor,
                horizon: SlotHorizon, now: dt.datetime | None = None
                ) -> tuple[PublicHoliday, int]:
    """Declare a gazetted holiday (names in English and Hindi). No OPD runs that day at
    any hospital: its slots close and their bookings are cancelled as by ``close_opd``;
    the grievance SLA stops counting it as a working day. Returns the holiday and how
    many appointments it cancelled.

    The day is today or later (``past_day`` otherwise): a past day's OPDs have run, and
    grievance deadlines are counted when each clock starts, so a past holiday would
    change nothing and only sit unseen in the records."""
    now = now or utcnow()
    require_admin(editor)
    check = FieldCheck()
    day = _day(check, "day", form.day, horizon.today(now))
    name_en = check.text("name_en", form.name_en, max_len=80, script="latin")
    name_hi = check.text("name_hi", form.name_hi, max_len=80, script="devanagari")
    with unit_of_work(session):
        if day is not None and session.get(PublicHoliday, day) is not None:
            check.fail("day", "holiday_taken")
        check.done()
        assert day is not None
        holiday = PublicHoliday(day=day, name=name_en, name_hi=name_hi)
        session.add(holiday)
        session.flush()
        cancelled = _cancel_day(session, day, horizon, now, editor)
        after = {**holiday_record(holiday), "appointments_cancelled": cancelled}
        record_change(session, actor=editor.username, entity="holiday", key=day.isoformat(),
                      hospital_id=None, before=None, after=after)
    return holiday, cancelled


def remove_holiday(session: Session, day: dt.date, *, editor: Editor, horizon: SlotHorizon,
                   now: dt.datetime | None = None) -> None:
    """Withdraw a holiday: OPDs that day run to their schedules again (bookings it
    cancelled stay cancelled)."""
    now = now or utcnow()
    require_admin(editor)
    with unit_of_work(session):
        holiday = session.get(PublicHoliday, day, with_for_update=True)
        if holiday is None:
            raise NotFound("no such holiday", entity="holiday")
        before = holiday_record(holiday)
        session.delete(holiday)
        session.flush()
        sync_slots(session, None, horizon, now)
        record_change(session, actor=editor.username, entity="holiday", key=day.isoformat(),
                      hospital_id=None, before=before, after=None)


def upcoming_closures(session: Session, hospital_id: int, today: dt.date) -> list[Closure]:
    return list(session.scalars(select(Closure).where(
        Closure.hospital_id == hospital_id, Closure.day >= today).order_by(Closure.day)))


def upcoming_holidays(session: Session, today: dt.date) -> list[PublicHoliday]:
    return list(session.scalars(select(PublicHoliday).where(
        PublicHoliday.day >= today - dt.timedelta(days=30)).order_by(PublicHoliday.day)))

