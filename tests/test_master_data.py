"""Master data in the domain: hospitals, departments, schedules, closures and holidays
are validated whole, saved in one transaction with an audit entry, and move future
slots without touching a booking (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking_core.appointments import AppointmentStatus, Channel, book_appointment
from booking_core.audit import AuditAction, AuditEntry
from booking_core.base import Forbidden
from booking_core.hospitals import Hospital, Ownership
from booking_core.master_data import (
    FIELD_REASONS,
    DepartmentInput,
    Editor,
    HospitalInput,
    InvalidFields,
    save_department,
    save_hospital,
)
from booking_core.opd_calendar import (
    ClosureInput,
    HolidayInput,
    SessionInput,
    SlotHorizon,
    add_holiday,
    close_opd,
    remove_holiday,
    reopen_opd,
    save_schedule,
)
from booking_core.outbox import OutboxMessage, OutboxStatus
from booking_core.slots import Slot, generate_slots
from grievances.sla import start_clock
from helpline.settings import Settings
from locales import has_message
from locales.formatting import sms_date
from tests.factories import IST, make_department, make_hospital

ADMIN = Editor("admin.one", "admin")
HORIZON = SlotHorizon(days=14, tz="Asia/Kolkata", helpline_number="+911140000000")


def hospital_form(**kw) -> HospitalInput:
    values = dict(code="SGM", name_en="Sanjay Gandhi Memorial Hospital",
                  name_hi="संजय गांधी मेमोरियल अस्पताल", short_en="Sanjay Gandhi Hospital",
                  short_hi="संजय गांधी अस्पताल", district="North West",
                  address="Mangolpuri, Delhi 110083", phone="011-27922843",
                  ownership="government", aliases_en="SGM\nMangolpuri",
                  aliases_hi="संजय गांधी, मंगोलपुरी")
    values.update(kw)
    return HospitalInput(**values)


def _counts(session) -> tuple[int, int]:
    session.rollback()
    return (session.scalar(select(func.count()).select_from(Hospital)),
            session.scalar(select(func.count()).select_from(AuditEntry)))


def _monday_after(days: int) -> dt.date:
    day = dt.datetime.now(IST).date() + dt.timedelta(days=days)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def test_every_refusal_reason_has_words_in_both_languages():
    assert [r for r in FIELD_REASONS if not has_message(f"console.md.err.{r}")] == []


def test_a_bad_hospital_form_names_every_fault_and_saves_nothing(session):
    before = _counts(session)
    with pytest.raises(InvalidFields) as refused:
        save_hospital(session, hospital_form(
            code="", name_hi="Sanjay Gandhi", short_en="Sanjay Gandhi Memorial Hospital Delhi",
            short_hi="", district="Gotham", phone="12345", ownership="charity",
            aliases_hi="SGM"), editor=ADMIN)
    assert refused.value.errors == {
        "code": "required", "name_hi": "not_devanagari", "short_en": "too_long",
        "short_hi": "required", "district": "unknown_district", "phone": "bad_phone",
        "ownership": "unknown_choice", "aliases_hi": "not_devanagari"}
    assert _counts(session) == before


def test_a_hospital_is_created_and_changed_with_an_audit_entry_each(session):
    hospital = save_hospital(session, hospital_form(), editor=ADMIN)
    assert (hospital.district_hi, hospital.ownership, hospital.active) == (
        "उत्तर पश्चिमी", Ownership.GOVERNMENT, True)
    assert hospital.aliases == ["SGM", "Mangolpuri", "संजय गांधी", "मंगोलपुरी"]
    assert hospital.phone == "011 2792 2843"
    save_hospital(session, hospital_form(ownership="private", active=False), editor=ADMIN,
                  hospital_id=hospital.id)
    save_hospital(session, hospital_form(ownership="private", active=False), editor=ADMIN,
                  hospital_id=hospital.id)  # nothing changed: no entry
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.entity, e.entity_key, e.action, e.actor) for e in entries] == [
        ("hospital", str(hospital.id), AuditAction.CREATED, "admin.one"),
        ("hospital", str(hospital.id), AuditAction.UPDATED, "admin.one")]
    assert entries[0].before is None and entries[0].after["short_hi"] == "संजय गांधी अस्पताल"
    assert (entries[1].before["ownership"], entries[1].after["ownership"]) == (
        "government", "private")
    assert (entries[1].before["active"], entries[1].after["active"]) == (True, False)


def test_codes_are_unique_and_only_admins_edit_hospitals(session):
    save_hospital(session, hospital_form(), editor=ADMIN)
    with pytest.raises(InvalidFields) as refused:
        save_hospital(session, hospital_form(code="sgm"), editor=ADMIN)
    assert refused.value.errors == {"code": "code_taken", "name_en": "name_taken",
                                    "name_hi": "name_taken", "short_en": "name_taken",
                                    "short_hi": "name_taken"}
    with pytest.raises(Forbidden):
        save_hospital(session, hospital_form(code="NEW"), editor=Editor("x", "supervisor"))


# Names another hospital already has, however typed: the phone line would offer two
# hospitals by one name, and staff would see one name twice in every list.
SAME_NAMES = [
    {"name_en": "sanjay  GANDHI memorial hospital"},
    {"name_hi": "संजय गांधी मेमोरियल अस्पताल "},
    {"short_en": "Sanjay Gandhi Hospital"},
    {"short_hi": "संजय  गांधी अस्पताल"},
    {"name_en": "Sanjay Gandhi Hospital"},  # another's short name as a full one
]


@pytest.mark.parametrize("same", SAME_NAMES)
def test_a_name_another_hospital_has_is_refused(session, same):
    save_hospital(session, hospital_form(), editor=ADMIN)
    other = dict(code="SGM2", name_en="Satyawadi Raja Harish Chandra Hospital",
                 name_hi="सत्यवादी राजा हरिश्चंद्र अस्पताल", short_en="SRHC Hospital",
                 short_hi="एसआरएचसी अस्पताल")
    with pytest.raises(InvalidFields) as refused:
        save_hospital(session, hospital_form(**{**other, **same}), editor=ADMIN)
    assert refused.value.errors == {next(iter(same)): "name_taken"}
    # Distinct names save; and a hospital keeps its own names when edited.
    saved = save_hospital(session, hospital_form(**other), editor=ADMIN)
    save_hospital(session, hospital_form(**{**other, "address": "Narela, Delhi 110040"}),
                  editor=ADMIN, hospital_id=saved.id)


def test_a_department_name_is_one_per_hospital(session):
    hospital, other = make_hospital(session), make_hospital(session)
    save_department(session, hospital.id, DepartmentInput(
        code="ortho", name_en="Orthopaedics", name_hi="हड्डी रोग"), editor=ADMIN)
    for typed in (DepartmentInput(code="ortho2", name_en="ORTHOPAEDICS", name_hi="अस्थि रोग"),
                  DepartmentInput(code="ortho2", name_en="Bones", name_hi="हड्डी  रोग")):
        with pytest.raises(InvalidFields) as refused:
            save_department(session, hospital.id, typed, editor=ADMIN)
        assert set(refused.value.errors.values()) == {"department_name_taken"}
    # Another hospital may have its own Orthopaedics.
    save_department(session, other.id, DepartmentInput(
        code="ortho", name_en="Orthopaedics", name_hi="हड्डी रोग"), editor=ADMIN)


def test_departments_carry_spoken_names_in_both_scripts_and_belong_to_their_staff(session):
    hospital = make_hospital(session)
    other = make_hospital(session)
    staff = Editor("staff.one", "agent", hospital.id)
    ortho = save_department(session, hospital.id, DepartmentInput(
        code="Ortho", name_en="Orthopaedics", name_hi="हड्डी रोग",
        aliases_en="bone, fracture", aliases_hi="हड्डी\nऑर्थो"), editor=staff)
    assert (ortho.code, ortho.position, ortho.aliases) == (
        "ortho", 0, ["bone", "fracture", "हड्डी", "ऑर्थो"])
    eye = save_department(session, hospital.id, DepartmentInput(
        code="eye", name_en="Ophthalmology", name_hi="नेत्र रोग"), editor=staff)
    assert eye.position == 1
    with pytest.raises(InvalidFields) as refused:
        save_department(session, hospital.id, DepartmentInput(
            code="eye", name_en="नेत्र", name_hi="Eye", aliases_en="आँख"), editor=staff)
    assert refused.value.errors == {"code": "code_taken", "name_en": "not_latin",
                                    "name_hi": "not_devanagari", "aliases_en": "not_latin"}
    with pytest.raises(Forbidden):
        save_department(session, other.id, DepartmentInput(
            code="eye", name_en="Eye", name_hi="नेत्र"), editor=staff)


def _week(capacity="12", counter="2", start="09:00", end="13:00", days=range(6)):
    return [SessionInput(str(d), start, end, "60", capacity, counter) for d in days]


def test_a_schedule_makes_slots_with_the_counter_share_kept_back(session, now):
    department = make_department(session, make_hospital(session))
    save_schedule(session, department.id, _week(), editor=ADMIN, horizon=HORIZON, now=now)
    today = now.astimezone(IST).date()
    slots = session.scalars(select(Slot).where(Slot.department_id == department.id,
                                               Slot.local_day > today)).all()
    days = {s.local_day for s in slots}
    assert slots and {s.capacity for s in slots} == {10}
    assert all(day.weekday() < 6 for day in days) and len(days) >= 10
    assert len(slots) == 4 * len(days)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "schedule")).one()
    assert entry.after["sessions"][0] == {"weekday": 0, "start": "09:00", "end": "13:00",
                                          "slot_minutes": 60, "capacity": 12,
                                          "counter_seats": 2}


def test_a_bad_schedule_names_the_session_and_keeps_the_old_one(session, now):
    department = make_department(session, make_hospital(session))
    save_schedule(session, department.id, _week(days=[0]), editor=ADMIN, horizon=HORIZON,
                  now=now)
    slots_before = session.scalar(select(func.count()).select_from(Slot))
    with pytest.raises(InvalidFields) as refused:
        save_schedule(session, department.id, [
            SessionInput("1", "09:00", "13:00", "60", "10", "10"),
            SessionInput("2", "13:00", "09:00", "60", "10", "0"),
            SessionInput("3", "09:00", "09:30", "60", "10", "0"),
            SessionInput("4", "09:00", "12:00", "60", "ten", "0"),
            SessionInput("4", "11:00", "14:00", "60", "5", "0"),
            SessionInput("4", "10:00", "11:00", "60", "5", "0"),
            SessionInput("8", "9am", "", "60", "5", "0"),
        ], editor=ADMIN, horizon=HORIZON, now=now)
    assert refused.value.errors == {
        "s0.counter_seats": "counter_too_many", "s1.end": "ends_before_start",
        "s2.end": "shorter_than_slot", "s3.capacity": "bad_number", "s4.start": "overlaps",
        "s5.start": "overlaps",
        "s6.weekday": "bad_number", "s6.start": "bad_time", "s6.end": "required"}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Slot)) == slots_before
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "schedule")) == 1


def test_changing_a_schedule_moves_future_slots_and_never_a_booking(session, now):
    department = make_department(session, make_hospital(session))
    save_schedule(session, department.id, _week(capacity="3", counter="0"), editor=ADMIN,
                  horizon=HORIZON, now=now)
    monday = _monday_after(2)
    nine = dt.datetime.combine(monday, dt.time(9, 0), IST).astimezone(dt.UTC)
    ten = nine + dt.timedelta(hours=1)
    booked_slot = session.scalars(select(Slot).where(
        Slot.department_id == department.id, Slot.starts_at == ten)).one()
    for n in range(3):
        book_appointment(session, slot_id=booked_slot.id, phone=f"+9198100000{n:02d}",
                         channel=Channel.AGENT)
    # Mondays now run 11:00-13:00 in 30-minute slots of 8 (2 at the counter); 10:00 goes.
    save_schedule(session, department.id, [
        SessionInput("0", "11:00", "13:00", "30", "8", "2")], editor=ADMIN,
        horizon=HORIZON, now=now)
    session.rollback()
    monday_slots = {s.starts_at.astimezone(IST).time(): s for s in session.scalars(
        select(Slot).where(Slot.department_id == department.id, Slot.local_day == monday))}
    kept = monday_slots[dt.time(10, 0)]
    assert (kept.id, kept.booked, kept.closed) == (booked_slot.id, 3, True)
    assert monday_slots[dt.time(9, 0)].closed  # unbooked and gone from the schedule
    open_now = sorted(t for t, s in monday_slots.items() if not s.closed)
    assert open_now == [dt.time(11, 0), dt.time(11, 30), dt.time(12, 0), dt.time(12, 30)]
    assert {monday_slots[t].capacity for t in open_now} == {6}
    appointments = kept.booked
    assert appointments == 3
    tuesday = session.scalar(select(func.count()).select_from(Slot).where(
        Slot.department_id == department.id, Slot.local_day == monday + dt.timedelta(days=1),
        Slot.closed.is_(False)))
    assert tuesday == 0


def _booked_world(session, now):
    hospital = make_hospital(session, short_en="Test Hospital", short_hi="परीक्षण अस्पताल")
    ortho = make_department(session, hospital)
    eye = make_department(session, hospital, code="eye", name_en="Ophthalmology",
                          name_hi="नेत्र रोग")
    for department in (ortho, eye):
        save_schedule(session, department.id, _week(capacity="4", counter="1"),
                      editor=ADMIN, horizon=HORIZON, now=now)
    monday = _monday_after(2)
    nine = dt.datetime.combine(monday, dt.time(9, 0), IST).astimezone(dt.UTC)
    slots = {d.id: session.scalars(select(Slot).where(
        Slot.department_id == d.id, Slot.starts_at == nine)).one() for d in (ortho, eye)}
    hindi = book_appointment(session, slot_id=slots[ortho.id].id, phone="+919810000001",
                             channel=Channel.IVR, language="hi", now=now)
    english = book_appointment(session, slot_id=slots[eye.id].id, phone="+919810000002",
                               channel=Channel.PORTAL, language="en", now=now)
    return hospital, ortho, eye, monday, hindi, english


def test_closing_a_department_cancels_its_bookings_and_texts_each_patient(session, now):
    hospital, ortho, eye, monday, hindi, english = _booked_world(session, now)
    closure, cancelled = close_opd(session, hospital.id, ClosureInput(
        monday.isoformat(), str(ortho.id), "Doctors on strike", "डॉक्टरों की हड़ताल"),
        editor=ADMIN, horizon=HORIZON, now=now)
    assert cancelled == 1
    session.rollback()
    session.refresh(hindi)
    session.refresh(english)
    assert (hindi.status, english.status) == (AppointmentStatus.OPD_CLOSED,
                                              AppointmentStatus.BOOKED)
    assert hindi.slot.closed and hindi.slot.booked == 0 and not english.slot.closed
    sms = session.scalars(select(OutboxMessage).where(
        OutboxMessage.appointment_id == hindi.id,
        OutboxMessage.template.like("appointment_opd_closed%"))).one()
    assert sms.language == "hi" and sms.to_phone == "+919810000001"
    assert hindi.reference in sms.body and "+911140000000" in sms.body
    assert "बंद" in sms.body and "{" not in sms.body
    # A new time is offered: the department's nearest free one on another day.
    from booking_core.slots import first_free_slot
    from locales.formatting import sms_date, written_time

    nearest = first_free_slot(session, ortho.id, excluding=Slot.local_day == monday,
                              now=now)
    assert nearest is not None and nearest.local_day != monday
    assert sms.template == "appointment_opd_closed_offer"
    assert sms_date("hi", nearest.local_day) in sms.body
    assert written_time("hi", nearest.starts_at) in sms.body
    assert "अगला खाली समय" in sms.body and "{" not in sms.body
    reminders = session.scalars(select(OutboxMessage.status).where(
        OutboxMessage.appointment_id == hindi.id,
        OutboxMessage.template.like("appointment_reminder%"))).all()
    assert reminders and set(reminders) == {OutboxStatus.CANCELLED}
    assert hindi.events[-1].kind == "opd_closed"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "closure")).one()
    assert entry.after["appointments_cancelled"] == 1
    with pytest.raises(InvalidFields) as refused:
        close_opd(session, hospital.id, ClosureInput(monday.isoformat(), str(ortho.id)),
                  editor=ADMIN, horizon=HORIZON, now=now)
    assert refused.value.errors == {"day": "already_closed"}
    # The whole hospital the same day: the eye patient is told too, in English.
    _, cancelled = close_opd(session, hospital.id, ClosureInput(monday.isoformat()),
                             editor=ADMIN, horizon=HORIZON, now=now)
    assert cancelled == 1
    sms = session.scalars(select(OutboxMessage).where(
        OutboxMessage.appointment_id == english.id,
        OutboxMessage.template.like("appointment_opd_closed%"))).one()
    assert sms.body.startswith("Delhi Health Helpline: Test Hospital OPD is closed on")


def test_a_closure_refuses_past_days_and_other_hospitals_departments(session, now):
    hospital = make_hospital(session)
    other = make_department(session, make_hospital(session))
    yesterday = (now.astimezone(IST) - dt.timedelta(days=1)).date()
    with pytest.raises(InvalidFields) as refused:
        close_opd(session, hospital.id, ClosureInput(yesterday.isoformat(), str(other.id)),
                  editor=ADMIN, horizon=HORIZON, now=now)
    assert refused.value.errors == {"day": "past_day", "department_id": "not_found"}
    with pytest.raises(Forbidden):
        close_opd(session, hospital.id, ClosureInput(_monday_after(2).isoformat()),
                  editor=Editor("staff", "agent", other.hospital_id), horizon=HORIZON, now=now)


def test_reopening_a_closed_day_takes_bookings_again(session, now):
    hospital, ortho, _, monday, hindi, _ = _booked_world(session, now)
    closure, _ = close_opd(session, hospital.id, ClosureInput(monday.isoformat()),
                           editor=ADMIN, horizon=HORIZON, now=now)
    reopen_opd(session, closure.id, editor=ADMIN, horizon=HORIZON, now=now)
    session.rollback()
    session.refresh(hindi)
    assert hindi.status == AppointmentStatus.OPD_CLOSED  # told already; stays cancelled
    assert not hindi.slot.closed and hindi.slot.booked == 0


def test_a_holiday_closes_every_opd_and_counts_for_the_grievance_clock(session, now):
    hospital, ortho, eye, monday, hindi, english = _booked_world(session, now)
    holiday, cancelled = add_holiday(session, HolidayInput(
        monday.isoformat(), "Test Jayanti", "परीक्षण जयंती"), editor=ADMIN, horizon=HORIZON,
        now=now)
    assert cancelled == 2
    session.rollback()
    open_that_day = session.scalar(select(func.count()).select_from(Slot).where(
        Slot.local_day == monday, Slot.closed.is_(False)))
    assert open_that_day == 0
    # The daily slot job makes no slots on it either.
    later = monday + dt.timedelta(days=21)  # beyond the slots made so far
    session.add(holiday.__class__(day=later, name="Later", name_hi="बाद में"))
    session.commit()
    generate_slots(session, later, 1)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Slot).where(
        Slot.local_day == later, Slot.closed.is_(False))) == 0
    # The grievance SLA skips it: registered the Friday before, due by the end of
    # Wednesday (Tuesday without the holiday).
    from grievances.models import Grievance

    grievance = Grievance(category="cleanliness")
    friday = dt.datetime.combine(monday - dt.timedelta(days=3), dt.time(15), IST)
    start_clock(session, grievance, friday)
    session.rollback()
    last_moment = grievance.acknowledge_due_at.astimezone(IST) - dt.timedelta(seconds=1)
    assert last_moment.date() == monday + dt.timedelta(days=2)
    with pytest.raises(InvalidFields) as refused:
        add_holiday(session, HolidayInput(monday.isoformat(), "Again", "फिर"),
                    editor=ADMIN, horizon=HORIZON, now=now)
    assert refused.value.errors == {"day": "holiday_taken"}
    with pytest.raises(Forbidden):
        add_holiday(session, HolidayInput(later.isoformat(), "X", "क"),
                    editor=Editor("s", "supervisor"), horizon=HORIZON, now=now)
    remove_holiday(session, monday, editor=ADMIN, horizon=HORIZON, now=now)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Slot).where(
        Slot.local_day == monday, Slot.closed.is_(False))) == 8
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "holiday").order_by(AuditEntry.id)).all()
    assert actions == [AuditAction.CREATED, AuditAction.DELETED]


@pytest.mark.postgres
def test_bookings_racing_a_closure_are_all_cancelled_and_told(pg_database_url, now):
    """Threads book a day's slots while an administrator closes that day: every booking
    either lost to the closure (refused) or was made first and then cancelled with its
    SMS; none is left booked on a closed day."""
    import threading

    from booking_core.base import DomainError
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(pg_database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        hospital, ortho, eye, monday, _, _ = _booked_world(session, now)
        hospital_id = hospital.id
        slot_ids = session.scalars(select(Slot.id).where(
            Slot.hospital_id == hospital_id, Slot.local_day == monday)).all()
    start = threading.Barrier(9)
    outcomes: list[str] = []

    def book(worker: int) -> None:
        start.wait(10)
        for n, slot_id in enumerate(slot_ids):
            with sessions() as session:
                try:
                    book_appointment(session, slot_id=slot_id, phone=f"+91982{worker:02d}{n:05d}",
                                     channel=Channel.PORTAL, now=now)
                    outcomes.append("booked")
                except DomainError as exc:
                    outcomes.append(exc.code)

    threads = [threading.Thread(target=book, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    start.wait(10)
    import time

    deadline = time.monotonic() + 30
    while outcomes.count("booked") < 3 and time.monotonic() < deadline:  # some land first
        time.sleep(0.005)
    with sessions() as session:
        _, cancelled = close_opd(session, hospital_id, ClosureInput(monday.isoformat()),
                                 editor=ADMIN, horizon=HORIZON, now=now)
    for thread in threads:
        thread.join(60)
    with sessions() as session:
        from booking_core.appointments import Appointment

        statuses = session.execute(select(Appointment.status, func.count()).join(
            Slot, Slot.id == Appointment.slot_id).where(Slot.local_day == monday,
                                                       Slot.hospital_id == hospital_id)
            .group_by(Appointment.status)).all()
        told = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.template.like("appointment_opd_closed%")))
        booked_seats = session.scalar(select(func.coalesce(func.sum(Slot.booked), 0)).where(
            Slot.local_day == monday, Slot.hospital_id == hospital_id))
    engine.dispose()
    by_status = dict(statuses)
    assert AppointmentStatus.BOOKED not in by_status, by_status
    assert told == by_status[AppointmentStatus.OPD_CLOSED] and told >= 2
    assert booked_seats == 0
    # The closure cancelled the two made before the race and every booking it found;
    # bookings after it were refused.
    assert cancelled == told
    assert set(outcomes) <= {"booked", "slot_unavailable", "slot_full"}
    assert outcomes.count("booked") + 2 == told
    assert outcomes.count("booked") >= 3 and "slot_unavailable" in outcomes  # a real race


def test_a_change_and_its_audit_entry_are_saved_together_or_not_at_all(session, now,
                                                                        monkeypatch):
    """One transaction per change: when the audit entry cannot be written, the change
    itself (a hospital, a schedule and its slots) is rolled back with it."""
    import booking_core.master_data as master_data
    import booking_core.opd_calendar as opd_calendar

    def broken(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    department = make_department(session, make_hospital(session))
    save_schedule(session, department.id, _week(days=[0]), editor=ADMIN, horizon=HORIZON,
                  now=now)
    before = _counts(session)
    slots_before = session.scalar(select(func.count()).select_from(Slot).where(
        Slot.closed.is_(False)))
    session.rollback()
    monkeypatch.setattr(master_data, "record_change", broken)
    monkeypatch.setattr(opd_calendar, "record_change", broken)
    with pytest.raises(RuntimeError):
        save_hospital(session, hospital_form(), editor=ADMIN)
    with pytest.raises(RuntimeError):
        save_schedule(session, department.id, _week(days=[1, 2]), editor=ADMIN,
                      horizon=HORIZON, now=now)
    assert _counts(session) == before
    assert session.scalar(select(func.count()).select_from(Slot).where(
        Slot.closed.is_(False))) == slots_before
    session.rollback()


def test_the_new_time_offered_is_never_a_day_the_patient_already_holds(session, now):
    """The Hindi patient also holds the department's nearest free day: the closure's SMS
    offers the next one instead (booking the held day would be refused)."""
    from booking_core.slots import first_free_slot

    hospital, ortho, _, monday, hindi, _ = _booked_world(session, now)
    nearest = first_free_slot(session, ortho.id, excluding=Slot.local_day == monday, now=now)
    assert nearest is not None
    held = book_appointment(session, slot_id=nearest.id, phone="+919810000001",
                            channel=Channel.IVR, language="hi", now=now)
    close_opd(session, hospital.id, ClosureInput(monday.isoformat(), str(ortho.id)),
              editor=ADMIN, horizon=HORIZON, now=now)
    session.rollback()
    sms = session.scalars(select(OutboxMessage).where(
        OutboxMessage.appointment_id == hindi.id,
        OutboxMessage.template.like("appointment_opd_closed%"))).one()
    assert sms.template == "appointment_opd_closed_offer"
    offered = sms.params["new_date"]
    assert offered != sms_date("hi", held.visit_day) and offered != sms_date("hi", monday)


def test_without_a_helpline_number_the_closure_sms_names_none(session, now):
    """Never "call DLHHLP" (the SMS sender id cannot be dialled): a whole sentence
    without a number, with a new time to offer (ortho) and without one (eye: no other
    day free)."""
    no_number = SlotHorizon(days=14, tz="Asia/Kolkata",
                            helpline_number=Settings(twilio_phone_number="",
                                                     sms_sender_id="DLHHLP")
                            .helpline_number_to_call)
    assert no_number.helpline_number == ""
    hospital, ortho, eye, monday, hindi, english = _booked_world(session, now)
    for slot in session.scalars(select(Slot).where(Slot.department_id == eye.id,
                                                   Slot.local_day != monday)):
        slot.closed = True
    session.commit()
    close_opd(session, hospital.id, ClosureInput(monday.isoformat()), editor=ADMIN,
              horizon=no_number, now=now)
    session.rollback()
    by_patient = {m.appointment_id: m for m in session.scalars(select(OutboxMessage).where(
        OutboxMessage.template.like("appointment_opd_closed%")))}
    hi_sms, en_sms = by_patient[hindi.id], by_patient[english.id]
    assert hi_sms.template == "appointment_opd_closed_offer_no_number"
    assert hi_sms.body.endswith("इसके लिए हेल्पलाइन को कॉल करें।")
    assert en_sms.template == "appointment_opd_closed_no_number"
    assert en_sms.body.endswith("Call the helpline to book a new time.")
    for sms in (hi_sms, en_sms):
        assert "DLHHLP" not in sms.body and "{" not in sms.body and "  " not in sms.body


@pytest.mark.parametrize(("number", "to_call"), [
    ("+911140000000", "+911140000000"), ("", ""), ("DLHHLP", ""), (" ", "")])
def test_the_number_to_call_is_a_phone_number_or_none(number, to_call):
    assert Settings(twilio_phone_number=number).helpline_number_to_call == to_call


@pytest.mark.parametrize(("start", "end"), [("०९:००", "१३:००"), ("०९:००", "13:00"),
                                            ("09:00", "१३:००")])
def test_a_schedule_typed_in_devanagari_digits_is_the_same_schedule(session, now, start, end):
    """A time typed on a Devanagari keyboard is the same time: the schedule saves, its
    sessions at 9:00-13:00, as with ASCII digits."""
    department = make_department(session, make_hospital(session))
    save_schedule(session, department.id, _week(start=start, end=end, capacity="१२",
                                                counter="२"),
                  editor=ADMIN, horizon=HORIZON, now=now)
    starts = {s.starts_at.astimezone(IST).time() for s in session.scalars(
        select(Slot).where(Slot.department_id == department.id))}
    assert starts == {dt.time(h) for h in range(9, 13)}


@pytest.mark.parametrize(("typed", "day"), [("२०२६-१२-२०", dt.date(2026, 12, 20)),
                                            ("2026-१२-०१", dt.date(2026, 12, 1))])
def test_a_day_typed_in_devanagari_digits_is_that_day(typed, day):
    from booking_core.base import calendar_day

    assert calendar_day(typed) == day
