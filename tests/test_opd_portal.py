"""The portal's view of the OPD day (``/api/v1/appointments/progress``) and the
scheduler's no-show job."""

from __future__ import annotations

import datetime as dt

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.base import utcnow
from booking_core.opd_day import call_next, check_in
from helpline.opd_jobs import run_no_shows
from helpline.periodic import PERIODIC_TASKS
from tests.fixtures_api import reading
from tests.opd_factories import QR_KEY, book, booking_time, opd_today
from tests.test_cancel_offer import begin

API = "/api/v1"
PHONE = "+919811100001"


def test_progress_by_reference_and_mobile(client, session, conforms):
    today = opd_today(session, capacity=10)
    slot = today.slots[0]
    others = [book(session, slot, now=booking_time(slot)) for _ in range(3)]
    mine = book(session, slot, phone=PHONE, now=booking_time(slot))
    visits = [check_in(session, p.reference, hospital_id=today.hospital.id,
                       department_id=today.department.id, key=QR_KEY) for p in others]
    before = client.post(f"{API}/appointments/progress",
                         json={"reference": mine.reference, "phone": PHONE})
    assert before.status_code == 200
    assert (before.json["now_serving"], before.json["token"], before.json["ahead"]) == (0, 4, 3)
    assert before.json["expected_wait_minutes"] is None and before.json["rooms"] == []
    start = utcnow() - dt.timedelta(minutes=20)
    for n in range(2):  # one call every 10 minutes
        call_next(session, visits[0].visit.session_id, 2, now=start + dt.timedelta(minutes=10 * n))
    session.commit()
    found = client.post(f"{API}/appointments/progress",
                        json={"reference": mine.reference, "phone": PHONE})
    conforms(found.json, "OpdProgress")
    assert found.json["now_serving"] == 2 and found.json["ahead"] == 1
    assert found.json["expected_wait_minutes"] == 10
    assert found.json["rooms"] == [{"room": 2, "token": 2}]
    assert found.json["passed"] is False
    stranger = client.post(f"{API}/appointments/progress",
                           json={"reference": mine.reference, "phone": "+919811100002"})
    assert stranger.status_code == 404


def test_progress_says_passed_when_the_counter_called_past_a_token_not_checked_in(
        client, session, conforms):
    today = opd_today(session, capacity=10)
    slot = today.slots[0]
    first, second = (book(session, slot, now=booking_time(slot)) for _ in range(2))
    mine = book(session, slot, phone=PHONE, now=booking_time(slot))
    fourth = book(session, slot, now=booking_time(slot))
    for person in (first, second, fourth):
        opd_id = check_in(session, person.reference, hospital_id=today.hospital.id,
                          department_id=today.department.id, key=QR_KEY).visit.session_id
    begin(session, slot)  # the calls past token 3 come once its slot has begun
    assert [call_next(session, opd_id, 1).token for _ in range(3)] == [1, 2, 4]
    session.commit()
    found = client.post(f"{API}/appointments/progress",
                        json={"reference": mine.reference, "phone": PHONE})
    conforms(found.json, "OpdProgress")
    assert (found.json["token"], found.json["now_serving"]) == (3, 4)
    assert found.json["passed"] is True and found.json["called"] is False
    assert found.json["expected_wait_minutes"] is None
    check_in(session, mine.reference, hospital_id=today.hospital.id,
             department_id=today.department.id, key=QR_KEY)
    session.commit()
    again = client.post(f"{API}/appointments/progress",
                        json={"reference": mine.reference, "phone": PHONE}).json
    assert again["passed"] is False and again["ahead"] == 0


def test_the_scheduler_marks_no_shows(app, session):
    assert "helpline.opd_jobs:run_no_shows" in {t.target for t in PERIODIC_TASKS}
    today = opd_today(session, capacity=3)
    slot = today.slots[0]
    missed = book(session, slot, now=booking_time(slot))
    with app.app_context():
        assert run_no_shows() == {"no_shows": 0}  # the slot has not even ended
    with reading(session):
        slot.ends_at = utcnow() - dt.timedelta(minutes=61)
    with app.app_context():
        assert run_no_shows() == {"no_shows": 1}
    with reading(session):
        assert session.get(Appointment, missed.id).status == AppointmentStatus.NO_SHOW


def test_joining_a_full_days_waiting_list(client, session, verify, conforms):
    from tests.opd_factories import opd_morning

    morning = opd_morning(session, slots=1, capacity=1)
    day = morning.slots[0].local_day.isoformat()
    body = {"department_id": morning.department.id, "date": day, "language": "en"}
    token = verify("9811100003", "+919811100003")
    headers = {"X-Verification-Token": token}
    free = client.post(f"{API}/waiting-list", json=body, headers=headers)
    assert free.status_code == 409 and free.json["error"]["code"] == "seats_free"
    book(session, morning.slots[0])
    joined = client.post(f"{API}/waiting-list", json=body, headers=headers)
    assert joined.status_code == 201, joined.json
    conforms(joined.json, "WaitingListEntry")
    assert (joined.json["status"], joined.json["ahead"], joined.json["hold_minutes"]) == (
        "waiting", 0, 10)
    unverified = client.post(f"{API}/waiting-list", json=body)
    assert unverified.status_code == 401
    impossible = client.post(f"{API}/waiting-list", json={**body, "date": "2026-02-30"},
                             headers=headers)
    assert impossible.status_code in (400, 422)
