"""Agent hours, but nobody signed in to answer (no agent available, on a call or in
wrap-up): the caller is told so and offered a callback at once, may still choose to
wait, and the queue never promises a place or "about a minute" while nobody can answer.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from contact_centre.models import AgentState, CallbackRequest
from contact_centre.wallboard import wallboard
from grievances.services import register_grievance
from grievances.workflow import reply_to_citizen
from locales import render
from tests.fixtures_ivr import CALLER
from tests.test_ivr_services import into_menu
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
    # No "we connect you to an agent" that the wait music's first words take back.
    assert phone.said == "Please stay on the line.", phone.said
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


def _hints_after_silence(phone, lang: str) -> str:
    """The main menu's retry after silence, in ``lang``: where its hints are said."""
    phone.call()
    phone.press("1" if lang == "hi" else "2")
    phone.silence()
    return phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_retry_hint_for_0_offers_a_callback_while_nobody_is_signed_in(
        phone, ivr_world, ivr_session, lang):
    """Agent hours, nobody signed in: "0" leads to the callback offer (reason
    ``no_agent``), so the hint says so and promises no person on the line."""
    staffed(ivr_session, 1, AgentState.OFFLINE)
    said = _hints_after_silence(phone, lang)
    assert render(lang, "ivr.retry.agent_callback", key="0") in said
    assert render(lang, "ivr.retry.agent", key="0") not in said
    phone.press("0")
    assert phone.root.find("Enqueue") is None
    assert (NOBODY_HI if lang == "hi" else NOBODY_EN) in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_retry_hint_for_0_promises_an_agent_when_one_is_signed_in(
        phone, ivr_world, ivr_session, lang):
    staffed(ivr_session, 1, AgentState.ON_CALL)
    said = _hints_after_silence(phone, lang)
    assert render(lang, "ivr.retry.agent", key="0") in said
    assert render(lang, "ivr.retry.agent_callback", key="0") not in said
    phone.press("0")
    assert phone.root.find("Enqueue") is not None


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("signed_in", [True, False])
@pytest.mark.parametrize("reply", ["called", "details"])
def test_a_complaint_reply_asking_for_0_says_what_0_will_do(
        phone, ivr_world, ivr_session, lang, signed_in, reply):
    """The status of a complaint an agent asked about ("press 0") promises a person
    only when "0" would queue the caller; else the callback variant."""
    if signed_in:
        staffed(ivr_session, 1, AgentState.ON_CALL)
    grievance = register_grievance(ivr_session, phone=CALLER, category="other", channel="ivr",
                                   description="No doctor in OPD", language=lang,
                                   hospital_id=ivr_world.lok_nayak.id)
    reply_to_citizen(ivr_session, grievance.id, reply, actor="agent")
    into_menu(phone, lang, "4")
    phone.press("2")  # the phone that filed it hears its latest complaint
    person = render(lang, f"ivr.status.reply_{reply}")
    callback = render(lang, f"ivr.status.reply_{reply}_callback")
    assert (person if signed_in else callback) in phone.said
    assert (callback if signed_in else person) not in phone.said
    phone.press("0")
    assert (phone.root.find("Enqueue") is not None) == signed_in


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("answer", ["wrong key", "silence"])
def test_a_retry_of_the_offer_apologises_once(phone, ivr_world, ivr_session, lang, answer):
    """The retry's own first sentence apologises ("Sorry, that is not one of the
    choices."); the offer repeated after it does not apologise again."""
    apology = {"hi": "माफ़ कीजिए", "en": "Sorry"}[lang]
    into_menu(phone, lang, "2")
    phone.press("0")
    assert phone.said.count(apology) == 1
    if answer == "wrong key":
        phone.press("7")
    else:
        phone.silence()
    said = phone.said
    assert said.count(apology) == 1, said
    nobody = {"hi": NOBODY_HI, "en": NOBODY_EN}[lang]
    assert nobody.split(", ", 1)[1].lower() in said.lower()  # the offer, said again
    phone.press("1")  # and its keys still work
    assert "call you back" in phone.said.lower() or "कॉल करेंगे" in phone.said



def test_a_hindi_caller_who_waits_anyway_is_promised_no_agent(phone, ivr_world, ivr_session):
    phone.call()
    phone.press("1")
    phone.press("0")
    phone.press("2")  # keep waiting
    assert phone.root.find("Enqueue") is not None
    assert phone.said == "कृपया लाइन पर बने रहें।", phone.said
