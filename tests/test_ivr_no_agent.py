"""Agent hours, but nobody signed in to answer (no agent available, on a call or in
wrap-up): the caller is told so and offered a callback at once, may still choose to
wait, and the queue never promises a place or "about a minute" while nobody can answer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from contact_centre.models import AgentState, CallbackRequest
from contact_centre.wallboard import wallboard
from tests.test_queue_estimate import answered_call, staffed

NOBODY_EN = "Sorry, no agent is available to take your call right now."
NOBODY_HI = "माफ़ कीजिए, इस समय आपकी कॉल लेने के लिए कोई सहायक मौजूद नहीं है।"
QUEUE_NOBODY_EN = "No agent is available right now. We will connect you as soon as one is."


def _recent_answers(session) -> None:
    """The last hour's figures would promise a short wait, were anyone there."""
    now = dt.datetime.now(dt.UTC)
    for ago in (600, 900):
        answered_call(session, now, ago=ago, wait=30, handling=40)


def test_nobody_signed_in_offers_a_callback_at_once(phone, ivr_world, ivr_session):
    _recent_answers(ivr_session)
    staffed(ivr_session, 2, AgentState.OFFLINE)
    staffed(ivr_session, 1, AgentState.BREAK)
    phone.call()
    phone.press("2")
    phone.press("0")
    assert phone.root.find("Enqueue") is None
    assert NOBODY_EN in phone.said
    assert "To be called back, press 1." in phone.said
    assert "To keep waiting, press 2." in phone.said
    assert "in the queue" not in phone.said and "minute" not in phone.said
    phone.press("1")
    assert "call you back" in phone.said.lower()
    ivr_session.rollback()
    [callback] = ivr_session.scalars(select(CallbackRequest)).all()
    assert (callback.reason, callback.phone) == ("no_agent", phone.caller)


def test_the_offer_is_in_hindi_for_a_hindi_caller(phone, ivr_world, ivr_session):
    phone.call()
    phone.press("1")
    phone.press("0")
    assert phone.root.find("Enqueue") is None and NOBODY_HI in phone.said


def test_a_caller_who_waits_anyway_hears_no_place_and_no_wait(phone, ivr_world, ivr_session):
    _recent_answers(ivr_session)
    phone.call()
    phone.press("2")
    phone.press("0")
    phone.press("2")  # keep waiting
    enqueue = phone.root.find("Enqueue")
    assert enqueue is not None
    for _ in range(2):  # every round of the wait music
        phone.post(enqueue.get("waitUrl"), QueuePosition="1", QueueTime="40",
                   AvgQueueTime="50")
        assert QUEUE_NOBODY_EN in phone.said
        assert "number 1 in the queue" not in phone.said
        assert "minute" not in phone.said
        assert "To be called back instead of waiting, press 1." in phone.said
    # Someone signs in (on a call already): the queue's usual words come back.
    staffed(ivr_session, 1, AgentState.ON_CALL)
    phone.post(enqueue.get("waitUrl"), QueuePosition="1", QueueTime="60", AvgQueueTime="50")
    assert "You are number 1 in the queue" in phone.said and QUEUE_NOBODY_EN not in phone.said


def test_an_agent_busy_on_a_call_is_someone_to_wait_for(phone, ivr_world, ivr_session):
    staffed(ivr_session, 1, AgentState.WRAP_UP)
    phone.call()
    phone.press("2")
    phone.press("0")
    assert phone.root.find("Enqueue") is not None and NOBODY_EN not in phone.said


def test_the_wallboard_shows_no_expected_wait_when_nobody_can_answer(session):
    _recent_answers(session)
    staffed(session, 1, AgentState.OFFLINE)
    board = wallboard(session)
    assert board.nobody_to_answer and board.expected_wait_seconds == 0
    staffed(session, 1, AgentState.ON_CALL)
    board = wallboard(session)
    assert not board.nobody_to_answer and board.expected_wait_seconds > 0


def test_a_caller_queued_when_the_last_agent_signs_off_is_never_promised_a_minute(
        phone, ivr_world, ivr_session):
    """The trial's report: every agent Offline, the caller heard "number 1 in the queue,
    about a minute" round after round."""
    from booking_core.base import unit_of_work
    from contact_centre.models import StaffUser

    _recent_answers(ivr_session)
    staffed(ivr_session, 1, AgentState.ON_CALL)
    phone.call()
    phone.press("2")
    phone.press("0")
    wait_url = phone.root.find("Enqueue").get("waitUrl")
    with unit_of_work(ivr_session):  # the last agent signs off
        for agent in ivr_session.scalars(select(StaffUser)):
            agent.state = AgentState.OFFLINE
    phone.post(wait_url, QueuePosition="1", QueueTime="40", AvgQueueTime="50")
    assert "about a minute" not in phone.said and "in the queue" not in phone.said
    assert QUEUE_NOBODY_EN in phone.said
    assert "To be called back instead of waiting, press 1." in phone.said
