"""Walk-ins are called in the gaps, when no checked-in booked patient is waiting; their
counter tokens are numbered after every booked seat of the day. A booked patient's
"now serving", "turn near" and "passed" compare their token with the booked tokens
called (``opd_day.booked_front``), and the queue passes a patient not checked in only
when a booked token after theirs is called once their slot has begun and after they
booked. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment
from booking_core.opd_board import progress
from booking_core.opd_day import OpdRules, add_walk_in, call_next, check_in
from booking_core.outbox import OutboxMessage
from booking_core.slots import Slot
from locales import render
from tests.fixtures_ivr import CALLER
from tests.opd_factories import QR_KEY, OpdMorning, book, booking_time, opd_morning, opd_today
from tests.test_cancel_offer import begin
from tests.test_ivr_services import into_menu
from tests.test_portal_cancel import _signed_in
from tests.test_portal_pages import E164

MINUTE = dt.timedelta(minutes=1)


def _check_in(session, morning: OpdMorning, person: Appointment) -> int:
    return check_in(session, person.reference, hospital_id=morning.hospital.id,
                    department_id=morning.department.id, key=QR_KEY,
                    now=morning.opens).visit.session_id


def _call(session, opd_id: int, at: dt.datetime, **kw) -> int:
    return call_next(session, opd_id, 1, now=at, **kw).token


def _walk_ins(session, opd_id: int, *times: dt.datetime) -> list[int]:
    """A walk-in per time, each called then (nobody booked is waiting)."""
    for at in times:
        add_walk_in(session, opd_id, now=at)
    return [_call(session, opd_id, at) for at in times]


def _full_morning(session, *, slots: int, capacity: int) -> tuple[OpdMorning, list[Appointment]]:
    morning = opd_morning(session, slots=slots, capacity=capacity)
    people = [book(session, slot) for slot in morning.slots for _ in range(capacity)]
    assert [p.day_token for p in people] == list(range(1, slots * capacity + 1))
    return morning, people


def test_walk_ins_called_in_the_gaps_pass_nobody_booked(session):
    """Tokens 1..12 booked in three hours; token 1 called, then walk-ins 13 and 14 (the
    second once the second hour began). Nobody of the day is passed: each is told the
    booked front, token 1, and how many booked tokens stand between."""
    morning, people = _full_morning(session, slots=3, capacity=4)
    first, second, _ = (slot.starts_at for slot in morning.slots)
    opd_id = _check_in(session, morning, people[0])
    assert _call(session, opd_id, first + MINUTE) == 1
    assert _walk_ins(session, opd_id, first + 10 * MINUTE, second + 5 * MINUTE) == [13, 14]
    readings = [progress(session, p) for p in people[1:]]
    assert [w.passed for w in readings] == [False] * 11
    assert {w.serving for w in readings} == {1}
    assert [w.ahead for w in readings] == list(range(11))
    # The hour whose time has not begun is not passed either, whatever the front.
    assert not any(w.passed for w in readings[-4:])


def test_a_booking_made_after_the_calls_is_not_passed(session):
    """Walk-ins called, and a later hour's token called early (its patient came early
    and nobody of the first hour was waiting): a booking made after both, for a seat
    before them, is not passed; it is next."""
    morning = opd_morning(session, slots=2, capacity=4)
    first, second = morning.slots
    early = [book(session, first) for _ in range(2)]
    later = book(session, second)
    opd_id = _check_in(session, morning, early[0])
    _check_in(session, morning, later)
    start = first.starts_at
    assert _call(session, opd_id, start + MINUTE) == 1
    assert _call(session, opd_id, start + 3 * MINUTE) == later.day_token == 5
    assert _walk_ins(session, opd_id, start + 6 * MINUTE, start + 9 * MINUTE) == [9, 10]
    mine = book(session, first)
    mine.created_at = start + 12 * MINUTE  # booked after those calls
    session.commit()
    assert mine.day_token == 3
    where = progress(session, mine)
    assert (where.passed, where.serving, where.ahead) == (False, 5, 0)
    # Token 2, booked the day before and absent when token 5 was called in its hour,
    # was passed: the same call, a different turn.
    assert progress(session, early[1]).passed


def test_a_patient_skipped_over_by_booked_tokens_is_still_passed(session):
    """Tokens 2 and 4 of the first hour never check in: 3 is called in their hour, then
    walk-in 9, then 5 in the second hour. 2 and 4 were passed; 6, whose hour has begun
    but whom only the walk-in's number is past, is next, not passed."""
    morning, people = _full_morning(session, slots=2, capacity=4)
    first, second = (slot.starts_at for slot in morning.slots)
    for n in (0, 2):
        opd_id = _check_in(session, morning, people[n])
    assert [_call(session, opd_id, first + 2 * MINUTE),
            _call(session, opd_id, first + 8 * MINUTE)] == [1, 3]
    assert _walk_ins(session, opd_id, first + 15 * MINUTE) == [9]
    _check_in(session, morning, people[4])
    assert _call(session, opd_id, second + MINUTE) == 5
    passed = {p.day_token: progress(session, p).passed for p in people if p.day_token != 1}
    assert passed == {2: True, 3: False, 4: True, 5: False, 6: False, 7: False, 8: False}
    assert (progress(session, people[5]).serving, progress(session, people[5]).ahead) == (5, 0)


def test_calls_before_a_slot_began_pass_none_of_its_patients(session):
    """Token 6 of the second hour came early and was called in the first hour while
    token 5 had not checked in: 5's turn had not come, so 5 is not passed even once its
    hour has begun; a call past it in its own hour passes it."""
    morning, people = _full_morning(session, slots=2, capacity=4)
    first, second = (slot.starts_at for slot in morning.slots)
    opd_id = _check_in(session, morning, people[5])
    assert _call(session, opd_id, first + 30 * MINUTE) == 6
    assert not progress(session, people[4]).passed
    _check_in(session, morning, people[6])
    assert _call(session, opd_id, second + 2 * MINUTE) == 7
    assert progress(session, people[4]).passed


def test_the_turn_near_sms_follows_the_booked_queue_not_walk_ins(session):
    """After walk-ins were called, each booked call still brings the next booked tokens
    near; a walk-in's call brings nobody nearer."""
    morning, people = _full_morning(session, slots=1, capacity=6)
    rules = OpdRules(near_tokens=2)
    start = morning.slots[0].starts_at

    def near():
        return {row.appointment_id: row.params["serving"] for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "opd_turn_near"))}

    opd_id = _check_in(session, morning, people[0])
    assert _call(session, opd_id, start, rules=rules) == 1
    assert near() == {people[1].id: 1, people[2].id: 1}
    for n in range(2):
        add_walk_in(session, opd_id, now=start)
        assert _call(session, opd_id, start + (n + 1) * MINUTE, rules=rules) == 7 + n
    assert near() == {people[1].id: 1, people[2].id: 1}
    _check_in(session, morning, people[1])
    assert _call(session, opd_id, start + 5 * MINUTE, rules=rules) == 2
    assert near() == {people[1].id: 1, people[2].id: 1, people[3].id: 2}


def _today_with_walk_ins(session, *, booked: int) -> tuple[Slot, int]:
    """Today's slot, begun ten minutes ago, with ``booked`` bookings: token 1 checked in
    and called at its start, then walk-ins 11 and 12 called, four minutes apart (all
    before any booking the test makes next)."""
    today = opd_today(session, capacity=10)
    slot = today.slots[0]
    people = [book(session, slot, now=booking_time(slot)) for _ in range(booked)]
    opd_id = check_in(session, people[0].reference, hospital_id=today.hospital.id,
                      department_id=today.department.id, key=QR_KEY).visit.session_id
    begin(session, slot)
    start = slot.starts_at
    assert _call(session, opd_id, start) == 1
    assert _walk_ins(session, opd_id, start + 4 * MINUTE, start + 8 * MINUTE) == [11, 12]
    session.commit()
    return slot, opd_id


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_phone_says_the_booked_front_not_a_walk_ins_token(phone, ivr_session, lang):
    """Token 4 hears "now serving token 1" (not 12), two booked tokens between, at the
    measured pace: not "your turn is next or very close", not passed."""
    slot, _ = _today_with_walk_ins(ivr_session, booked=3)
    mine = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    assert mine.day_token == 4
    ivr_session.commit()
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    if lang == "hi":
        assert "अभी टोकन 1 चल रहा है। आपका टोकन 4 है।" in said
        assert "आपकी बारी लगभग 8 मिनट में आएगी।" in said  # 2 ahead, 4 minutes each
        assert "टोकन 12" not in said
    else:
        assert "now serving token 1. Your token is 4." in said
        assert "about 8 minutes." in said
        assert "token 12" not in said
    assert render(lang, "ivr.opd.wait_soon") not in said
    place = {"hospital": mine.hospital.short_name(lang),
             "department": mine.department.name(lang), "token": 4}
    for serving in (1, 12):
        assert render(lang, "ivr.opd.passed", serving=serving, **place) not in said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_does_not_send_a_booking_made_after_walk_ins_to_the_counter(
        client, session, conforms, lang):
    """The newcomer's day: walk-ins called, then a booking. Its page and the API say the
    booked front and the booked tokens between, never "the counter has already called
    token 12, after your token 3"."""
    slot, _ = _today_with_walk_ins(session, booked=2)
    mine = book(session, slot, phone=E164, now=booking_time(slot), language=lang)
    reference = mine.reference
    assert mine.day_token == 3
    session.commit()
    answer = client.post("/api/v1/appointments/progress",
                         json={"reference": reference, "phone": E164})
    conforms(answer.json, "OpdProgress")
    assert (answer.json["passed"], answer.json["now_serving"], answer.json["ahead"]) == (
        False, 1, 1)
    portal = _signed_in(client, session, lang)
    portal.get(f"/portal/appointments/{reference}")
    assert portal.status == 200
    text = portal.text()
    assert render(lang, "portal.opd.serving", token=3, serving=1) in text
    assert render(lang, "portal.opd.passed", token=3, serving=12) not in text
    assert render(lang, "portal.opd.passed", token=3, serving=1) not in text
