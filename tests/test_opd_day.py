"""The OPD day's rules: check-in, day tokens, call next / skip / recall, walk-ins,
the "turn is near" SMS once per patient, and no-shows; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    InvalidReference,
    cancel_appointment,
)
from booking_core.base import NotFound, unit_of_work
from booking_core.opd_board import board, progress
from booking_core.opd_day import (
    BookingCancelled,
    CounterFull,
    ForgedCode,
    NobodyWaiting,
    OpdRules,
    VisitState,
    WrongDay,
    WrongDepartment,
    WrongHospital,
    add_walk_in,
    booking_code,
    call_next,
    check_in,
    mark_no_shows,
    recall,
    skip,
)
from booking_core.outbox import OutboxMessage
from booking_core.refs import RefKind, new_reference
from booking_core.slots import OpdSchedule
from tests.factories import make_department, make_hospital
from tests.opd_factories import QR_KEY, book, opd_morning


def _unheld_reference(session) -> str:
    while True:
        ref = new_reference(RefKind.APPOINTMENT)
        if session.scalar(select(Appointment.id).where(Appointment.reference == ref)) is None:
            return ref


def _check_in(session, morning, code, **kw):
    kw.setdefault("now", morning.opens)
    return check_in(session, code, hospital_id=morning.hospital.id,
                    department_id=morning.department.id, key=QR_KEY, actor="counter", **kw)


def test_check_in_gives_the_day_token_and_marks_attended(session):
    morning = opd_morning(session, slots=2, capacity=5)
    first = book(session, morning.slots[0])
    second_hour = book(session, morning.slots[1])
    done = _check_in(session, morning, second_hour.reference)
    assert done.visit.token == 5 + 1  # after the 09:30 slot's five seats
    assert done.visit.state == VisitState.WAITING and not done.already
    session.refresh(second_hour)
    assert second_hour.status == AppointmentStatus.ATTENDED
    again = _check_in(session, morning, second_hour.reference)
    assert again.already and again.visit.id == done.visit.id
    # A QR code of the booking number, signed: the same check-in.
    scanned = _check_in(session, morning, booking_code(first.reference, QR_KEY))
    assert scanned.visit.token == 1


def test_check_in_refuses_with_the_reason(session):
    morning = opd_morning(session)
    booked = book(session, morning.slots[0])
    with pytest.raises(WrongDay):
        _check_in(session, morning, booked.reference, now=morning.opens - dt.timedelta(days=1))
    other_department = make_department(session, morning.hospital, name_en="Eye")
    with pytest.raises(WrongDepartment) as wrong:
        check_in(session, booked.reference, hospital_id=morning.hospital.id,
                 department_id=other_department.id, key=QR_KEY, now=morning.opens)
    assert wrong.value.details["department_id"] == morning.department.id
    # Another day and another department: the day is said (that department's counter
    # could not check the patient in today either).
    with pytest.raises(WrongDay):
        check_in(session, booked.reference, hospital_id=morning.hospital.id,
                 department_id=other_department.id, key=QR_KEY,
                 now=morning.opens - dt.timedelta(days=1))
    with pytest.raises(WrongHospital) as elsewhere:
        check_in(session, booked.reference, hospital_id=make_hospital(session).id,
                 department_id=morning.department.id, key=QR_KEY, now=morning.opens)
    assert elsewhere.value.details["hospital_id"] == morning.hospital.id
    forged = booking_code(booked.reference, b"someone else's key")
    with pytest.raises(ForgedCode):
        _check_in(session, morning, forged)
    with pytest.raises(InvalidReference):
        mistyped = booked.reference[:-1] + str((int(booked.reference[-1]) + 1) % 10)
        _check_in(session, morning, mistyped)
    with pytest.raises(NotFound):
        _check_in(session, morning, _unheld_reference(session))
    cancelled = book(session, morning.slots[0])
    cancel_appointment(session, cancelled.reference, channel=Channel.PORTAL)
    with pytest.raises(BookingCancelled):
        _check_in(session, morning, cancelled.reference)
    # Cancelled is the reason whatever else is wrong with it: another day (a clerk
    # would otherwise send the patient to come back that day), department or hospital.
    with pytest.raises(BookingCancelled):
        _check_in(session, morning, cancelled.reference, now=morning.opens - dt.timedelta(days=1))
    with pytest.raises(BookingCancelled):
        check_in(session, cancelled.reference, hospital_id=morning.hospital.id,
                 department_id=other_department.id, key=QR_KEY, now=morning.opens)
    session.refresh(booked)
    assert booked.status == AppointmentStatus.BOOKED  # nothing was checked in


def test_call_next_skip_recall_and_walk_ins(session):
    morning = opd_morning(session, slots=1, capacity=4)
    people = [book(session, morning.slots[0]) for _ in range(3)]
    for person in reversed(people):  # arrival order does not matter: token order does
        _check_in(session, morning, person.reference)
    opd_id = _check_in(session, morning, people[0].reference).visit.session_id
    walk_in = add_walk_in(session, opd_id, rules=OpdRules(counter_quota=1), now=morning.opens)
    assert walk_in.token == 4 + 1  # after the day's four booked seats
    with pytest.raises(CounterFull):
        add_walk_in(session, opd_id, rules=OpdRules(counter_quota=1))
    t = morning.opens
    called = [call_next(session, opd_id, room, now=t + dt.timedelta(minutes=n)).token
              for n, room in enumerate((1, 2, 1))]
    assert called == [1, 2, 3]
    skipped = skip(session, call_next(session, opd_id, 2, now=t).id,
                   hospital_id=morning.hospital.id)
    assert skipped.state == VisitState.SKIPPED and skipped.token == 5
    with pytest.raises(NobodyWaiting):
        call_next(session, opd_id, 1)
    shown = board(session, morning.department.id, morning.slots[0].local_day)
    # Room 2's patient was skipped: the hall shows nobody there until its next call.
    assert [(r.room, r.token) for r in shown.rooms] == [(1, 3)]
    back = recall(session, skipped.id, 3, hospital_id=morning.hospital.id)
    assert back.state == VisitState.CALLED and back.room == 3
    shown = board(session, morning.department.id, morning.slots[0].local_day)
    assert (3, 5) in [(r.room, r.token) for r in shown.rooms]
    with pytest.raises(NotFound):  # another hospital's staff cannot touch this queue
        skip(session, back.id, hospital_id=make_hospital(session).id)


def test_turn_near_sms_once_per_patient_even_when_recalled(session):
    morning = opd_morning(session, slots=2, capacity=4)
    people = [book(session, slot) for slot in morning.slots for _ in range(4)]
    for person in people[:6]:
        _check_in(session, morning, person.reference)
    opd_id = _check_in(session, morning, people[0].reference).visit.session_id

    def near_sms():
        return {row.appointment_id: row for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "opd_turn_near"))}

    call_next(session, opd_id, 1, rules=OpdRules(near_tokens=3))  # token 1: 2, 3, 4 near
    assert set(near_sms()) == {p.id for p in people[1:4]}
    first = call_next(session, opd_id, 1, rules=OpdRules(near_tokens=3))  # token 2: + 5
    assert set(near_sms()) == {p.id for p in people[1:5]}
    # Skipped and recalled: no second message to anyone.
    skip(session, first.id, hospital_id=morning.hospital.id)
    recall(session, first.id, 1, hospital_id=morning.hospital.id)
    for _ in range(4):
        call_next(session, opd_id, 2, rules=OpdRules(near_tokens=3))
    sent = near_sms()
    # Tokens 2..8 heard once each (the second hour's tokens 5..8 too, booked or not).
    assert set(sent) == {p.id for p in people[1:]}
    assert all(row.params["token"] == n for n, row in
               zip(range(2, 9), (sent[p.id] for p in people[1:]), strict=True))
    assert "टोकन 5" in sent[people[4].id].body or "token 5" in sent[people[4].id].body


def test_progress_counts_the_measured_pace(session):
    morning = opd_morning(session, slots=1, capacity=10)
    people = [book(session, morning.slots[0]) for _ in range(6)]
    for person in people:
        _check_in(session, morning, person.reference)
    opd_id = _check_in(session, morning, people[0].reference).visit.session_id
    assert progress(session, people[5]).wait_minutes is None  # nobody called yet
    t = morning.opens
    for n in range(3):  # one call every 4 minutes
        call_next(session, opd_id, 1, now=t + dt.timedelta(minutes=4 * n))
    where = progress(session, people[5])
    assert (where.serving, where.token, where.ahead) == (3, 6, 2)
    assert where.wait_minutes == 8
    assert progress(session, people[0]).called


def test_unarrived_appointments_become_no_shows_after_the_grace(session):
    morning = opd_morning(session, slots=1, capacity=3)
    came, missed = book(session, morning.slots[0]), book(session, morning.slots[0])
    _check_in(session, morning, came.reference)
    ends = morning.slots[0].ends_at
    rules = OpdRules(no_show_grace=dt.timedelta(minutes=60))
    assert mark_no_shows(session, rules=rules, now=ends + dt.timedelta(minutes=59)) == 0
    assert mark_no_shows(session, rules=rules, now=ends + dt.timedelta(minutes=61)) == 1
    assert mark_no_shows(session, rules=rules, now=ends + dt.timedelta(minutes=62)) == 0
    session.refresh(came)
    session.refresh(missed)
    assert (came.status, missed.status) == (AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW)


def test_a_re_let_seat_past_the_capacity_never_clashes_with_the_next_slot(session):
    morning = opd_morning(session, slots=2, capacity=2)
    first_hour = [book(session, morning.slots[0]) for _ in range(2)]
    cancel_appointment(session, first_hour[0].reference, channel=Channel.PORTAL)
    re_let = book(session, morning.slots[0])
    assert re_let.token == 3  # slot tokens are never reused
    second_hour = book(session, morning.slots[1])
    assert _check_in(session, morning, second_hour.reference).visit.token == 3
    # Day token 3 is taken: after the four booked seats and the counter's 30.
    assert _check_in(session, morning, re_let.reference).visit.token == 4 + 30 + 1
    assert progress(session, re_let).token == 35


def test_the_counter_share_comes_from_the_schedules_when_they_keep_one(session):
    from booking_core.opd_day import counter_quota
    from tests.factories import make_schedule

    morning = opd_morning(session, slots=1, capacity=4)
    day = morning.slots[0].local_day
    rules = OpdRules(counter_quota=30)
    assert counter_quota(session, morning.department.id, day, rules) == 30  # no schedule
    schedule = make_schedule(session, morning.department, day.weekday(),
                             start_time=dt.time(9, 0), end_time=dt.time(12, 0))
    with unit_of_work(session):
        session.get(OpdSchedule, schedule.id).counter_seats = 2
    assert counter_quota(session, morning.department.id, day, rules) == 2 * 3  # 3 slots


def test_the_token_the_patient_is_told_is_the_one_the_counter_calls(session):
    """The booking SMS, the reminders, the portal and the phone line said the seat's
    number within its slot (1 for the 10:00 slot's first seat) while the counter and the
    hall called the day token (6 after a 5-seat 09:00 slot): the patient waited for a
    number never called. Every channel now says the day token."""
    from sqlalchemy import select

    from booking_core.outbox import OutboxMessage
    from portal_api.serialise import appointment as serialised

    morning = opd_morning(session, slots=2, capacity=5)
    later = book(session, morning.slots[1])
    assert later.token == 1 and later.day_token == 6
    confirmation = session.scalar(select(OutboxMessage).where(
        OutboxMessage.appointment_id == later.id,
        OutboxMessage.template == "appointment_confirmation"))
    assert confirmation.params["token"] == 6
    assert serialised(later, "Asia/Kolkata")["token"] == 6
    done = _check_in(session, morning, later.reference)
    assert done.visit.token == 6
