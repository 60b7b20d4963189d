"""The call log after the IVR's per-webhook work was cut: complete paths and outcomes,
the directory's reuse, and the wallboard's abandonment rule (the database budget per
webhook is in test_ivr_budget.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking_core.hospitals import Hospital
from contact_centre.call_log import MAX_PATH, record_webhook
from contact_centre.models import Call, CallOutcome
from contact_centre.wallboard import wallboard
from ivr.directory import Directory
from tests.factories import make_hospital
from tests.fixtures_ivr import Phone

# Agent hours with an agent signed in: asking for a person queues the caller.
pytestmark = pytest.mark.usefixtures("agent_signed_in")


def the_call(session, sid: str) -> Call:
    session.expire_all()
    return session.scalar(select(Call).where(Call.call_sid == sid))


def book_by_keys(phone: Phone) -> None:
    """A first-time English caller books Lok Nayak, Orthopaedics, first day, 9:00."""
    phone.call()
    for key in ("2", "1", "2", "1", "1", "1", "1"):
        phone.press(key)
    assert "Your appointment is booked" in phone.said


def test_path_and_outcome_complete_after_a_booking_call(phone, ivr_world, ivr_session):
    book_by_keys(phone)
    phone.press("1")  # hear the booking number again
    phone.press("1")  # and again: the same menu, not a new visit
    phone.hang_up(duration=95)
    call = the_call(ivr_session, phone.call_sid)
    assert call.path == ["language", "main", "book.hospital", "book.department", "book.day",
                         "book.slot", "book.confirm", "book.done", "book.number"]
    assert call.outcome == CallOutcome.BOOKED and call.language == "en"
    assert call.status == "completed" and call.duration_seconds == 95
    assert call.ended_at is not None and "ended_in" not in call.details


def test_pages_retries_and_star_add_no_visits(phone, ivr_world, ivr_session):
    phone.call()
    phone.press("2")
    phone.press("1")  # book: the hospital menu
    phone.press("8")  # next page of hospitals
    phone.press("*")  # repeat
    phone.press("6")  # no sixth item on page two: retried
    phone.silence()
    phone.hang_up()
    call = the_call(ivr_session, phone.call_sid)
    assert call.path == ["language", "main", "book.hospital"]
    assert call.outcome == CallOutcome.ABANDONED and call.details["ended_in"] == "book.hospital"


def test_record_webhook_rules(session):
    record_webhook(session, "CA1", start=True, from_phone="9812345678", menus=["language"])
    record_webhook(session, "CA1", start=True, from_phone="9812345678", menus=["language"])
    assert session.scalar(select(func.count()).select_from(Call)) == 1
    record_webhook(session, "CA1", menus=["main", "main", "beds"], language="hi")
    record_webhook(session, "CA1", menus=["beds"], outcome=CallOutcome.INFORMATION)
    call = the_call(session, "CA1")
    assert call.path == ["language", "main", "beds"] and call.language == "hi"
    assert call.from_phone == "+919812345678" and call.outcome == CallOutcome.INFORMATION

    record_webhook(session, "CA1", outcome=CallOutcome.BOOKED)
    record_webhook(session, "CA1", outcome=CallOutcome.INFORMATION, language="en")
    call = the_call(session, "CA1")
    assert call.outcome == CallOutcome.BOOKED and call.language == "en"  # final stays
    record_webhook(session, "CA1", outcome=CallOutcome.CANCELLED)
    assert the_call(session, "CA1").outcome == CallOutcome.CANCELLED  # final replaces final

    # A call whose first webhook was lost still gets its row.
    record_webhook(session, "CA2", menus=["agent"], language="en")
    assert the_call(session, "CA2").path == ["agent"]

    # The path stops at MAX_PATH menus.
    for n in range(MAX_PATH + 5):
        record_webhook(session, "CA3", menus=[f"m{n}"])
    path = the_call(session, "CA3").path
    assert len(path) == MAX_PATH and path[-1] == f"m{MAX_PATH - 1}"


def test_directory_reuses_lists_until_its_ttl(ivr_app, ivr_session, ivr_world):
    helpline = ivr_app.extensions["helpline"]
    now = [1000.0]
    directory = Directory(helpline.sessions, ttl_seconds=60, clock=lambda: now[0])
    first = directory.snapshot(ivr_session)
    assert [h.code for h in first.hospitals][:2] == ["GTB", "LNH"]
    assert [d.code for d in first.departments[ivr_world.lok_nayak.id]] == ["ortho", "medicine"]
    make_hospital(ivr_session, name_en="Aaa New Hospital", name_hi="नया अस्पताल")
    now[0] += 59
    assert directory.snapshot(ivr_session) is first
    now[0] += 2
    # A new hospital (no bookings, no beds yet) is heard after the TTL, after those asked for.
    assert "Aaa New Hospital" in [h.name_en for h in directory.snapshot(ivr_session).hospitals]
    uncached = Directory(helpline.sessions, ttl_seconds=0)
    count = ivr_session.scalar(select(func.count()).select_from(Hospital))
    assert len(uncached.snapshot(ivr_session).hospitals) == count


def queue_up(phone: Phone):
    """Call, choose English, press 0: the caller is in the agent queue."""
    phone.call()
    phone.press("2")
    phone.press("0")
    enqueue = phone.root.find("Enqueue")
    assert enqueue is not None
    return enqueue.get("waitUrl"), enqueue.get("action")


def test_wallboard_counts_only_queued_callers_as_abandoned(ivr_app, ivr_world, ivr_session,
                                                          new_phone):
    menu_hangup = new_phone("+919800000001")
    menu_hangup.call()
    menu_hangup.press("2")
    menu_hangup.hang_up()
    call = the_call(ivr_session, menu_hangup.call_sid)
    assert call.outcome == CallOutcome.ABANDONED and call.details["ended_in"] == "main"
    board = wallboard(ivr_session)
    assert (board.calls_today, board.abandoned, board.abandonment_rate) == (1, 0, None)

    queue_hangup = new_phone("+919800000002")
    _, done = queue_up(queue_hangup)
    queue_hangup.post(done, QueueResult="hangup", QueueTime="40")
    board = wallboard(ivr_session)  # before Twilio's status callback
    assert (board.abandoned, board.in_queue) == (1, 0)
    queue_hangup.hang_up()

    callback = new_phone("+919800000003")
    wait, done = queue_up(callback)
    callback.post(wait)
    callback.press("1")  # a callback instead of waiting
    callback.post(done, QueueResult="leave", QueueTime="30")
    callback.hang_up()

    answered = new_phone("+919800000004")
    _, done = queue_up(answered)
    answered.post(done, QueueResult="bridged", QueueTime="12")
    answered.hang_up()

    queue_full = new_phone("+919800000005")
    _, done = queue_up(queue_full)
    queue_full.post(done, QueueResult="queue-full", QueueTime="0")
    board = wallboard(ivr_session)  # offered a callback, still on the line
    assert (board.abandoned, board.in_queue) == (1, 0)
    queue_full.hang_up()  # declined it: queued, not answered, not called back

    waiting = new_phone("+919800000006")
    queue_up(waiting)

    board = wallboard(ivr_session)
    assert board.calls_today == 6
    assert (board.answered, board.left_for_callback, board.in_queue) == (1, 1, 1)
    assert board.abandoned == 2 and board.abandonment_rate == pytest.approx(2 / 3)
    assert board.service_level == pytest.approx(1 / 3)
