"""The hospital counter page and the waiting-hall display, through HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.opd_day import booking_code
from helpline.opd_jobs import booking_code_key
from locales import render
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_console import make_staff
from tests.opd_factories import book, booking_time, opd_today


def t_hi(key: str) -> str:
    return render("hi", key)


@pytest.fixture
def today(session):
    return opd_today(session, capacity=10)


@pytest.fixture
def counter_staff(session, today):
    return make_staff(session, "counter.one", hospital_id=today.hospital.id)


def _flash(page) -> str:
    found = re.search(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', page.get_data(as_text=True))
    return found.group(1) if found else ""


def _check_in(console, today, code):
    dep = today if isinstance(today, int) else today.department.id
    return console.post("/console/opd/check-in", data={"department": dep, "code": code},
                        follow_redirects=True)


def test_only_staff_of_a_hospital_open_the_counter(console, session, today, agent):
    console.login(agent.username)
    assert console.get("/console/opd").status_code == 403
    assert console.post("/console/opd/call-next",
                        data={"department": today.department.id, "room": 1}).status_code == 403


def test_check_in_by_typed_number_then_call_next_shows_on_the_display(
        console, session, client, today, counter_staff):
    people = [book(session, today.slots[0], now=booking_time(today.slots[0]), patient_name=name)
              for name in ("Asha", "Bhanu")]
    dep = today.department.id
    console.login(counter_staff.username)
    page = _check_in(console, today, people[1].reference)
    assert _flash(page) == "Checked in: Bhanu, token 2."
    # A waiting patient has no action yet: the cell says so ("—"), so the phone layout's
    # stacked label ("Action:") is never left bare.
    row = re.search(r'<tr data-token="2" data-state="waiting">(.*?)</tr>',
                    page.get_data(as_text=True), re.S).group(1)
    action = re.findall(r'<td data-label="[^"]*">(.*?)</td>', row, re.S)[-1]
    assert re.sub(r"<[^>]+>|\s", "", action) == "—"
    session.expire_all()
    assert session.get(Appointment, people[1].id).status == AppointmentStatus.ATTENDED
    session.close()  # SQLite: a reading transaction holds the write lock
    display = client.get(f"/opd/display/{dep}.json").get_json()
    assert display["rooms"] == [] and display["waiting"] == 1
    answer = console.post("/console/opd/call-next",
                          data={"department": dep, "room": 2},
                          follow_redirects=True)
    assert _flash(answer) == "Token 2 called to room 2."
    display = client.get(f"/opd/display/{dep}.json").get_json()
    assert display["rooms"] == [{"room": 2, "token": 2}] and display["waiting"] == 0
    hall = client.get(f"/opd/display/{dep}")  # no sign-in needed
    html = hall.get_data(as_text=True)
    assert hall.status_code == 200 and "कमरा 2" in html and "Room 2" in html
    assert re.search(r'<p class="token" data-token>\s*2\s*</p>', html)
    # Skip, then recall to room 3.
    visit_id = re.search(r'name="visit" value="(\d+)"', answer.get_data(as_text=True)).group(1)
    skipped = console.post("/console/opd/skip", data={"department": dep,
                                                      "visit": visit_id}, follow_redirects=True)
    assert _flash(skipped) == "Token 2 skipped; it can be recalled."
    recalled = console.post("/console/opd/recall", data={
        "department": dep, "visit": visit_id, "room": 3}, follow_redirects=True)
    assert _flash(recalled) == "Token 2 recalled to room 3."
    rooms = client.get(f"/opd/display/{dep}.json").get_json()["rooms"]
    assert {"room": 3, "token": 2} in rooms


def test_refusals_are_explained_in_the_staff_language(console, session, today):
    staff = make_staff(session, "counter.hi", hospital_id=today.hospital.id, language="hi")
    eye = make_department(session, today.hospital, name_en="Eye", name_hi="नेत्र रोग")
    booked = book(session, today.slots[0], now=booking_time(today.slots[0]))
    console.login(staff.username)
    page = console.post("/console/opd/check-in", data={"department": eye.id,
                                                       "code": booked.reference},
                        follow_redirects=True)
    assert _flash(page) == "यह बुकिंग हड्डी रोग की है। मरीज़ को उस काउंटर पर भेजें।"
    forged = booking_code(booked.reference, b"not our key")
    assert _flash(_check_in(console, today, forged)) == (
        "यह क्यूआर कोड हेल्पलाइन का बनाया नहीं है। बुकिंग नंबर टाइप करें।")
    assert _flash(_check_in(console, today, "1234")) == (
        "बुकिंग नंबर में 8 अंक होते हैं। जाँचकर पूरे 8 अंक लिखें।")
    # Another hospital's booking names that hospital.
    other = make_hospital(session, name_en="Guru Teg Bahadur Hospital",
                          name_hi="गुरु तेग बहादुर अस्पताल")
    theirs = book(session, make_slot(session, make_department(session, other),
                                     at=today.slots[0].starts_at),
                  now=booking_time(today.slots[0]))
    session.commit()
    assert _flash(_check_in(console, today, theirs.reference)) == (
        "यह बुकिंग गुरु तेग बहादुर अस्पताल की है, इस अस्पताल की नहीं।")
    session.expire_all()
    assert session.get(Appointment, booked.id).status == AppointmentStatus.BOOKED


def test_a_signed_booking_code_checks_in_and_other_hospitals_are_out_of_reach(
        console, session, app, today, counter_staff):
    booked = book(session, today.slots[0], now=booking_time(today.slots[0]))
    console.login(counter_staff.username)
    code = booking_code(booked.reference, booking_code_key(app.extensions["helpline"].settings))
    checked = _check_in(console, today, code)
    assert _flash(checked) == "Checked in: Patient (no name given), token 1."
    elsewhere = make_department(session, make_hospital(session))
    assert console.get(f"/console/opd?department={elsewhere.id}").status_code == 404
    walk_in = console.post("/console/opd/walk-in", data={"department": today.department.id},
                           follow_redirects=True)
    assert _flash(walk_in) == "Counter token 11 given."  # after the day's ten seats
    queue = console.get(f"/console/opd?department={today.department.id}",
                        headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert "<html" not in queue and 'data-token="11"' in queue and "Walk-in" in queue
    assert session.scalar(select(Appointment.status).where(
        Appointment.id == booked.id)) == AppointmentStatus.ATTENDED


def test_every_queue_state_shown_at_the_counter_has_words_in_both_languages():
    from booking_core.opd_day import VISIT_STATES
    from locales import has_message

    assert [s.value for s in VISIT_STATES if not has_message(f"console.visit.{s.value}")] == []
    for error in ("opd_wrong_hospital", "opd_wrong_department", "opd_wrong_day",
                  "opd_booking_cancelled", "opd_forged_code", "opd_counter_full",
                  "opd_nobody_waiting", "opd_invalid_room"):
        assert has_message(f"console.err.{error}"), error
