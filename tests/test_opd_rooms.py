"""A room serves one patient at a time: whatever the counter presses (call next, skip,
recall), each room has at most one called token, the hall shows that token and no
other, and a patient a recall takes the room from goes back to the head of the queue.
On SQLite and PostgreSQL; the races on PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from booking_core.base import Conflict
from booking_core.opd_board import board
from booking_core.opd_day import (
    NobodyWaiting,
    OpdVisit,
    VisitState,
    call_next,
    check_in,
    recall,
    skip,
)
from helpline.app import create_app
from tests.conftest import make_settings
from tests.fixtures_console import make_staff
from tests.opd_factories import QR_KEY, book, booking_time, opd_morning, opd_today


def _check_in(session, morning, appointment):
    return check_in(session, appointment.reference, hospital_id=morning.hospital.id,
                    department_id=morning.department.id, key=QR_KEY,
                    now=morning.opens).visit


def _called_by_room(session, opd_id) -> dict[int, list[int]]:
    session.expire_all()
    rooms: dict[int, list[int]] = {}
    for visit in session.scalars(select(OpdVisit).where(
            OpdVisit.session_id == opd_id, OpdVisit.state == VisitState.CALLED)):
        rooms.setdefault(visit.room, []).append(visit.token)
    return rooms


def _assert_one_per_room(session, morning, opd_id) -> dict[int, int]:
    """At most one called token per room, and the hall shows exactly those."""
    called = _called_by_room(session, opd_id)
    assert {room: len(tokens) for room, tokens in called.items()
            if len(tokens) > 1} == {}, called
    shown = board(session, morning.department.id, morning.slots[0].local_day)
    on_board = {r.room: r.token for r in shown.rooms}
    assert on_board == {room: tokens[0] for room, tokens in called.items()}
    return on_board


def _state(session, visit) -> VisitState:
    session.expire_all()
    return session.get(OpdVisit, visit.id).state


def test_skip_call_next_recall_leaves_one_called_token_in_the_room(session):
    morning = opd_morning(session, slots=1, capacity=5)
    people = [book(session, morning.slots[0]) for _ in range(5)]
    visits = [_check_in(session, morning, p) for p in people[1:]]  # tokens 2..5
    opd_id = visits[0].session_id
    hospital_id = morning.hospital.id

    first = call_next(session, opd_id, 1)
    assert first.token == 2
    skip(session, first.id, hospital_id=hospital_id)
    assert _assert_one_per_room(session, morning, opd_id) == {}  # room 1 shows nobody now
    second = call_next(session, opd_id, 1)
    assert second.token == 3
    late = _check_in(session, morning, people[0])  # token 1 arrives late
    recall(session, first.id, 1, hospital_id=hospital_id)

    assert _assert_one_per_room(session, morning, opd_id) == {1: 2}
    assert _state(session, second) == VisitState.WAITING  # back in the queue, not lost
    assert session.get(OpdVisit, second.id).room is None  # for whichever room calls next
    # ... at its head: before the late token 1 and token 4.
    again = call_next(session, opd_id, 1)
    assert again.token == 3
    assert _state(session, first) == VisitState.SERVED
    assert _assert_one_per_room(session, morning, opd_id) == {1: 3}
    assert [call_next(session, opd_id, 1).token for _ in range(3)] == [1, 4, 5]
    assert _state(session, late) == VisitState.SERVED


def test_call_next_to_a_busy_room_marks_the_patient_before_seen(session):
    morning = opd_morning(session, slots=1, capacity=4)
    visits = [_check_in(session, morning, book(session, morning.slots[0])) for _ in range(4)]
    opd_id = visits[0].session_id
    call_next(session, opd_id, 1)
    call_next(session, opd_id, 2)
    call_next(session, opd_id, 1)
    assert _assert_one_per_room(session, morning, opd_id) == {1: 3, 2: 2}
    assert [_state(session, v) for v in visits] == [
        VisitState.SERVED, VisitState.CALLED, VisitState.CALLED, VisitState.WAITING]


def test_recall_to_another_room_leaves_both_rooms_one_token(session):
    morning = opd_morning(session, slots=1, capacity=4)
    visits = [_check_in(session, morning, book(session, morning.slots[0])) for _ in range(4)]
    opd_id = visits[0].session_id
    hospital_id = morning.hospital.id
    skip(session, call_next(session, opd_id, 1).id, hospital_id=hospital_id)
    call_next(session, opd_id, 1)
    call_next(session, opd_id, 2)
    recall(session, visits[0].id, 2, hospital_id=hospital_id)
    assert _assert_one_per_room(session, morning, opd_id) == {1: 2, 2: 1}
    assert _state(session, visits[2]) == VisitState.WAITING
    with pytest.raises(Conflict):  # already called: a second recall is refused
        recall(session, visits[0].id, 3, hospital_id=hospital_id)
    assert _assert_one_per_room(session, morning, opd_id) == {1: 2, 2: 1}


def test_the_counter_and_the_hall_display_show_one_token_per_room(console, session, client):
    today = opd_today(session, capacity=10)
    staff = make_staff(session, "counter.rooms", hospital_id=today.hospital.id)
    people = [book(session, today.slots[0], now=booking_time(today.slots[0]))
              for _ in range(3)]
    dep = today.department.id
    console.login(staff.username)
    for person in people:
        console.post("/console/opd/check-in", data={"department": dep,
                                                    "code": person.reference})
    visit_of = {v.token: v.id for v in session.scalars(select(OpdVisit))}
    session.close()  # SQLite: a reading transaction holds the write lock
    console.post("/console/opd/call-next", data={"department": dep, "room": 1})
    console.post("/console/opd/skip", data={"department": dep, "visit": visit_of[1]})
    assert client.get(f"/opd/display/{dep}.json").get_json()["rooms"] == []
    console.post("/console/opd/call-next", data={"department": dep, "room": 1})
    console.post("/console/opd/recall", data={"department": dep, "visit": visit_of[1],
                                              "room": 1})
    shown = client.get(f"/opd/display/{dep}.json").get_json()
    assert shown["rooms"] == [{"room": 1, "token": 1}] and shown["waiting"] == 2
    queue = console.get(f"/console/opd?department={dep}",
                        headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert re.findall(r'data-token="(\d+)" data-state="called"', queue) == ["1"]
    assert 'data-token="2" data-state="waiting"' in queue


# --- races on PostgreSQL -------------------------------------------------------------------

CLERKS = 4


@pytest.fixture
def pg_helpline(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    yield app.extensions["helpline"]
    app.extensions["helpline"].engine.dispose()


def _race(helpline, work) -> list:
    start = threading.Barrier(CLERKS)
    results: list = []
    lock = threading.Lock()

    def clerk(n: int) -> None:
        with helpline.session() as session:
            start.wait(10)
            mine = work(session, n)
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(CLERKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def _queue(helpline, patients: int, *, skipped: int = 0):
    with helpline.session() as session:
        morning = opd_morning(session, slots=1, capacity=patients)
        visits = [_check_in(session, morning, book(session, morning.slots[0]))
                  for _ in range(patients)]
        opd_id = visits[0].session_id
        gone = []
        for _ in range(skipped):
            gone.append(skip(session, call_next(session, opd_id, 20).id,
                             hospital_id=morning.hospital.id).id)
    return morning, opd_id, gone


def test_clerks_pressing_call_next_for_one_room_at_once(pg_helpline):
    morning, opd_id, _ = _queue(pg_helpline, 24)

    def press_until_empty(session, n):
        called = []
        while True:
            try:
                called.append(call_next(session, opd_id, 1).token)
            except NobodyWaiting:
                return called

    called = _race(pg_helpline, press_until_empty)
    assert sorted(called) == list(range(1, 25))  # each token given once
    with pg_helpline.session() as session:
        assert _assert_one_per_room(session, morning, opd_id) == {1: 24}
        states = Counter(v.state for v in session.scalars(
            select(OpdVisit).where(OpdVisit.session_id == opd_id)))
        assert states == {VisitState.SERVED: 23, VisitState.CALLED: 1}


def test_clerks_recalling_one_patient_at_once_call_them_to_one_room(pg_helpline):
    morning, opd_id, gone = _queue(pg_helpline, 6, skipped=1)

    def recall_to_my_room(session, n):
        try:
            recall(session, gone[0], n + 1, hospital_id=morning.hospital.id)
        except Conflict:
            return ["refused"]
        return [n + 1]

    answers = _race(pg_helpline, recall_to_my_room)
    assert answers.count("refused") == CLERKS - 1
    with pg_helpline.session() as session:
        shown = _assert_one_per_room(session, morning, opd_id)
        assert list(shown.values()) == [1]  # token 1 shows in one room only


def test_clerks_mixing_call_next_and_recall_for_one_room(pg_helpline):
    morning, opd_id, gone = _queue(pg_helpline, 30, skipped=4)

    def press(session, n):
        done = []
        for i in range(6):
            try:
                if n % 2:
                    recall(session, gone[(n + i) % 4], 1, hospital_id=morning.hospital.id)
                    done.append("recall")
                else:
                    done.append(call_next(session, opd_id, 1).token)
            except (Conflict, NobodyWaiting):
                done.append("refused")
            with session.begin():  # let the other clerk in between presses
                pass
        return done

    _race(pg_helpline, press)
    with pg_helpline.session() as session:
        _assert_one_per_room(session, morning, opd_id)
        # Nobody is lost: call next until the queue is empty, and everyone was seen
        # (or is in the room now), the skipped ones never recalled still waiting a recall.
        while True:
            try:
                call_next(session, opd_id, 1)
            except NobodyWaiting:
                break
        _assert_one_per_room(session, morning, opd_id)
        states = Counter(v.state for v in session.scalars(
            select(OpdVisit).where(OpdVisit.session_id == opd_id)))
        assert states[VisitState.WAITING] == 0 and states[VisitState.CALLED] == 1
        assert states[VisitState.SERVED] + states[VisitState.SKIPPED] == 29
