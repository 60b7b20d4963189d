"""A key chooses what was read out with it, and the hospitals keep one order all day.

The hospital list is ordered by demand and each web process keeps its own copy of the
lists; a call's webhooks may be answered by different processes, or by one process
after it refreshed them. These tests change the data between the prompt and the key,
and answer the key with a fresh directory (a process that started since) or another
app (another process), as happens in production.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import select, update

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.base import utcnow
from booking_core.demand import hospitals_by_demand
from booking_core.hospitals import Department, Hospital
from ivr.directory import Directory
from ivr.flow import DIRECTORY, INPUT, LANG, step_url
from tests.factories import IST, make_department, make_hospital, make_slot
from tests.fixtures_ivr import CALLER, Phone
from tests.test_ivr_booking import start_booking

GONE = {"hi": "वह विकल्प अब उपलब्ध नहीं है", "en": "that choice is no longer available"}
_patients = itertools.count(10)


def hospital_named(session, name_en: str) -> Hospital:
    return session.scalar(select(Hospital).where(Hospital.name_en == name_en))


def bookings_at(session, hospital: Hospital, count: int, *, made: str) -> None:
    """``count`` bookings at ``hospital`` by other callers, made "today" or "yesterday"
    (those count in today's ranking)."""
    department = make_department(session, hospital)
    for n in range(count):
        slot = make_slot(session, department, starts_in=dt.timedelta(days=3, hours=n))
        book_appointment(session, slot_id=slot.id, phone=f"+9198765{next(_patients):05d}",
                         channel=Channel.PORTAL)
    if made == "yesterday":
        session.execute(update(Appointment).where(Appointment.hospital_id == hospital.id)
                        .values(created_at=utcnow() - dt.timedelta(days=1)))
    session.commit()


def restart_directory(app: Any, **kw: Any) -> Directory:
    """The app's lists as a process started now has them (nothing kept)."""
    helpline = app.extensions["helpline"]
    directory = Directory(helpline.sessions, helpline.settings.ivr_directory_ttl_seconds, **kw)
    app.extensions[DIRECTORY] = directory
    return directory


def hospital_lines(phone: Phone) -> list[str]:
    """The hospital sentences of the menu just heard, in order."""
    return [s for s in phone.said.split(". ") if s.startswith("For ") and "press" in s]


def test_the_key_picks_the_hospital_read_out_after_the_ranking_changed(
        phone, ivr_app, ivr_world, ivr_session):
    start_booking(phone, "hi")  # 1 1
    assert "लोक नायक अस्पताल के लिए 2 दबाएँ" in phone.said
    # Meanwhile the ranking moves (here: the process's lists are read again after
    # midnight, with a day's bookings at Test Hospital 4), and the key comes.
    bookings_at(ivr_session, hospital_named(ivr_session, "Test Hospital 4"), 2, made="yesterday")
    restart_directory(ivr_app)
    phone.press("2")
    assert phone.said.startswith("लोक नायक अस्पताल। विभाग चुनें")
    assert "जीटीबी" not in phone.said


def test_another_process_with_another_order_takes_the_key(
        phone, ivr_app, ivr_settings, ivr_world, ivr_session):
    from helpline.app import create_app

    start_booking(phone, "en")  # read out by this process, from the lists it keeps
    assert "For Lok Nayak Hospital, press 2." in phone.said
    bookings_at(ivr_session, hospital_named(ivr_session, "Test Hospital 4"), 2, made="yesterday")
    other = create_app(ivr_settings)  # another worker, reading the lists afresh
    try:
        phone.client = other.test_client()
        phone.press("2")
        assert phone.said.startswith("Lok Nayak Hospital. Choose a department")
        # The other process's own menu has another order: its key 2 is GTB.
        fresh = Phone(other.test_client(), caller="+919811111111", session=ivr_session)
        start_booking(fresh, "en")
        assert "For GTB Hospital, press 2." in fresh.said
    finally:
        other.extensions["helpline"].engine.dispose()
        if "ivr.engine" in other.extensions:
            other.extensions["ivr.engine"].dispose()


@pytest.mark.parametrize("words", ["two", "दो", "LNJP", "लोक नायक"])
def test_a_spoken_number_or_name_picks_what_was_read_out(
        phone, ivr_app, ivr_world, ivr_session, words):
    start_booking(phone, "hi")
    bookings_at(ivr_session, hospital_named(ivr_session, "Test Hospital 4"), 2, made="yesterday")
    restart_directory(ivr_app)
    phone.speak(words)
    assert phone.said.startswith("लोक नायक अस्पताल। विभाग चुनें")


def test_the_order_stays_all_day_and_moves_the_next_day(
        phone, new_phone, ivr_app, ivr_world, ivr_session):
    start_booking(phone, "en")
    morning = hospital_lines(phone)
    assert morning[:2] == ["For GTB Hospital, press 1", "For Lok Nayak Hospital, press 2"]
    # During the day many callers book at Test Hospital 4; a process started since, and
    # one whose lists expired, read the same order.
    test_4 = hospital_named(ivr_session, "Test Hospital 4")
    bookings_at(ivr_session, test_4, 3, made="today")
    seconds = [0.0]
    restart_directory(ivr_app, clock=lambda: seconds[0])
    start_booking(new_phone("+919811111111"), "en")
    seconds[0] += 61  # the lists' TTL has passed
    later = new_phone("+919822222222")
    start_booking(later, "en")
    assert hospital_lines(later) == morning
    # Any two moments of the same local day give one order (not now and now + 1 h,
    # which near midnight in Delhi are two days).
    today = dt.datetime.combine(dt.datetime.now(IST).date(), dt.time(0, 5), IST)
    assert [h.code for h in hospitals_by_demand(ivr_session, now=today)] == [
        h.code for h in hospitals_by_demand(ivr_session, now=today + dt.timedelta(hours=23))]

    # The next day the bookings count: Test Hospital 4 comes first, in every process.
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    restart_directory(ivr_app, now=lambda: tomorrow)
    next_day = new_phone("+919833333333")
    start_booking(next_day, "en")
    assert hospital_lines(next_day)[0] == "For Test Hospital 4, press 1"
    assert hospitals_by_demand(ivr_session, now=tomorrow)[0].id == test_4.id


def test_a_state_naming_an_inactive_hospital_hears_it_is_gone_and_the_fresh_menu(
        phone, ivr_app, ivr_world, ivr_session):
    test_0 = hospital_named(ivr_session, "Test Hospital 0")
    test_0.active = False
    ivr_session.commit()
    restart_directory(ivr_app)
    with ivr_app.test_request_context():
        url = step_url("pick.hospital", {LANG: "en", INPUT: 1, "f": "book",
                                         "o": [test_0.id, ivr_world.gtb.id]})
    phone.post(url, Digits="1")
    assert phone.said.startswith("Sorry, " + GONE["en"])
    assert "Choose a hospital" in phone.said and "Test Hospital 0" not in phone.said
    assert phone.gather.get("action")  # the menu, waiting for a key
    phone.press("2")  # the fresh menu's key 2
    assert phone.said.startswith("Lok Nayak Hospital. Choose a department")
    # The same stale page's other item is still the one it named.
    phone.post(url, Digits="2")
    assert phone.said.startswith("GTB Hospital. Choose a department")


def test_a_hospital_deactivated_between_prompt_and_key(phone, ivr_app, ivr_world, ivr_session):
    start_booking(phone, "hi")
    ivr_world.lok_nayak.active = False
    ivr_session.commit()
    restart_directory(ivr_app)
    phone.press("2")
    assert GONE["hi"] in phone.said
    assert "अस्पताल चुनें" in phone.said and "लोक नायक" not in phone.said


def test_a_department_moved_between_prompt_and_key(phone, ivr_app, ivr_world, ivr_session):
    start_booking(phone, "en")
    phone.press("2")  # Lok Nayak
    assert "For Orthopaedics, press 1." in phone.said
    ivr_session.execute(update(Department).where(Department.id == ivr_world.medicine.id)
                        .values(position=-1))  # General Medicine now listed first
    ivr_session.commit()
    restart_directory(ivr_app)
    phone.press("1")
    assert "Choose a day" in phone.said  # Orthopaedics has days; General Medicine none


def test_a_district_added_between_prompt_and_key(phone, ivr_app, ivr_world, ivr_session):
    phone.call()
    phone.press("2")  # English
    phone.press("2")  # beds
    phone.press("2")  # by district
    assert "For Shahdara, press 2." in phone.said
    make_hospital(ivr_session, name_en="East Hospital", district="East", district_hi="पूर्वी")
    ivr_session.commit()
    restart_directory(ivr_app)
    phone.press("2")
    assert "GTB Hospital" in phone.said  # Shahdara's beds, not East's


def test_my_appointments_key_picks_the_one_read_out(phone, ivr_world, ivr_session):
    for slot in (ivr_world.slots[0], ivr_world.slots[2]):
        book_appointment(ivr_session, slot_id=slot.id, phone=CALLER, channel=Channel.IVR,
                         language="en")
    phone.call()  # a known caller: straight to the main menu, in English
    phone.press("4")
    phone.press("1")
    assert phone.said.count("Orthopaedics") == 2
    # Booked meanwhile on the portal: an earlier appointment now heads the list.
    tomorrow = (dt.datetime.now(IST) + dt.timedelta(days=1)).date()
    earlier = make_slot(ivr_session, ivr_world.medicine,
                        at=dt.datetime.combine(tomorrow, dt.time(11, 0), IST))
    book_appointment(ivr_session, slot_id=earlier.id, phone=CALLER, channel=Channel.PORTAL)
    ivr_session.commit()
    phone.press("1")
    assert "Cancel your appointment" in phone.said
    assert "Orthopaedics" in phone.said and "General Medicine" not in phone.said
