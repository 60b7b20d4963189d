"""Outbound calls: placed through the fake Twilio API, then driven by signed webhooks.
TwiML is parsed and its verbs, attributes and words checked."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from sqlalchemy import select

from booking_core.outbox import OutboxMessage, OutboxStatus
from contact_centre.accounts import create_staff_user
from contact_centre.callbacks import call_back, claim_callback
from contact_centre.models import (
    CallbackRequest,
    CallbackStatus,
)
from grievances.models import Grievance, GrievanceEvent, GrievanceStatus
from grievances.services import register_grievance
from grievances.workflow import close_grievance, resolve_grievance
from messaging.delivery import deliver
from tests.fixtures_messaging import (
    AGENT_PHONE,
    CITIZEN_PHONE,
    NOON_IST,
    deliver_now,
    parse_twiml,
    signed_post,
)

BASE = "https://helpline.test"


@pytest.fixture
def client(msg_app):
    return msg_app.test_client()


@pytest.fixture
def agent(msg_session):
    user = create_staff_user(msg_session, username="asha", password="a-long-password-1",
                             role="agent", language="hi", phone=AGENT_PHONE)
    msg_session.expunge_all()
    return user


def _get(session, model, ident):
    session.expire_all()
    obj = session.get(model, ident)
    session.commit()
    session.expunge(obj)
    return obj


def _call_rows(session, purpose=None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if purpose:
        query = query.where(OutboxMessage.template == purpose)
    rows = list(session.scalars(query))
    session.commit()
    session.expunge_all()
    return rows


def _callback(session, phone=CITIZEN_PHONE) -> CallbackRequest:
    with session.begin():
        callback = CallbackRequest(phone=phone, language="en", reason="after_hours")
        session.add(callback)
    session.expunge_all()
    return callback


def _call_back(client, session, agent, callback) -> OutboxMessage:
    """The agent claims the callback and clicks "call back" in the console; a worker
    places the call."""
    claim_callback(session, callback.id, agent_id=agent.id)
    call_back(session, callback.id, agent=agent)
    session.expunge_all()
    deliver_now(client.application.extensions["helpline"])
    [row] = _call_rows(session, "agent_callback")
    return row


def test_a_callback_call_rings_the_agent_then_bridges_the_citizen(
    client, msg_session, fake_twilio, agent
):
    callback = _callback(msg_session)
    row = _call_back(client, msg_session, agent, callback)
    [placed] = fake_twilio.created("Calls")
    assert placed.params["To"] == AGENT_PHONE and placed.params["From"] == "+911140000000"
    assert placed.params["Url"] == f"{BASE}/calls/{row.id}/answer"
    assert placed.params["StatusCallback"] == f"{BASE}/calls/status?row={row.id}"
    assert _get(msg_session, OutboxMessage, row.id).twilio_sid == placed.sid

    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer",
                                   {"CallSid": placed.sid, "To": AGENT_PHONE}))
    say, dial = list(root)
    assert say.tag == "Say" and say.get("language") == "hi-IN" and "नागरिक" in say.text
    assert dial.tag == "Dial" and dial.get("callerId") == "+911140000000"
    assert dial.get("action") == f"{BASE}/calls/{row.id}/bridged"
    assert [(n.tag, n.text) for n in dial] == [("Number", CITIZEN_PHONE)]
    stored = _get(msg_session, CallbackRequest, callback.id)
    assert stored.status == CallbackStatus.CALLING and stored.claimed_by_id == agent.id

    root = parse_twiml(signed_post(client, f"/calls/{row.id}/bridged",
                                   {"CallSid": placed.sid, "DialCallStatus": "completed"}))
    assert [el.tag for el in root] == ["Hangup"]
    stored = _get(msg_session, CallbackRequest, callback.id)
    assert (stored.status, stored.outcome) == (CallbackStatus.DONE, "reached")
    assert stored.completed_at is not None


def test_the_agent_can_add_notes_after_the_bridge_reported_the_outcome(
    client, msg_session, fake_twilio, agent
):
    from contact_centre.callbacks import (
        CallbackTaken,
        my_callbacks,
        record_callback_outcome,
        start_of_today,
    )

    callback = _callback(msg_session)
    row = _call_back(client, msg_session, agent, callback)
    signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CA1"})
    signed_post(client, f"/calls/{row.id}/bridged",
                {"CallSid": "CA1", "DialCallStatus": "completed"})
    msg_session.expire_all()
    assert [cb.id for cb in my_callbacks(msg_session, agent.id)] == [callback.id]
    done = record_callback_outcome(msg_session, callback.id, agent_id=agent.id,
                                   outcome="reached", notes="Booked ortho for Monday")
    assert (done.status, done.notes) == (CallbackStatus.DONE, "Booked ortho for Monday")
    with pytest.raises(CallbackTaken):  # not another agent's to amend
        record_callback_outcome(msg_session, callback.id, agent_id=agent.id + 999,
                                outcome="reached")
    # Finished callbacks are the agent's to correct until midnight, local time.
    later = start_of_today(done.completed_at) + dt.timedelta(days=1, minutes=1)
    with pytest.raises(CallbackTaken):  # nor the next day
        record_callback_outcome(msg_session, callback.id, agent_id=agent.id,
                                outcome="wrong_number", now=later)
    assert my_callbacks(msg_session, agent.id, now=later) == []

def test_a_citizen_who_does_not_answer_the_bridge_is_recorded_not_reached(
    client, msg_session, fake_twilio, agent
):
    callback = _callback(msg_session)
    row = _call_back(client, msg_session, agent, callback)
    signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CA1"})
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/bridged",
                                   {"CallSid": "CA1", "DialCallStatus": "no-answer"}))
    assert [el.tag for el in root] == ["Say", "Hangup"]
    assert "did not answer" in root[0].text or "नहीं उठाया" in root[0].text
    stored = _get(msg_session, CallbackRequest, callback.id)
    assert (stored.status, stored.outcome) == (CallbackStatus.WAITING, "no_answer")
    assert stored.claimed_by_id is None


def test_an_agent_who_misses_the_call_puts_the_callback_back_in_the_list(
    client, msg_session, fake_twilio, agent
):
    callback = _callback(msg_session)
    row = _call_back(client, msg_session, agent, callback)
    sid = fake_twilio.created("Calls")[0].sid
    signed_post(client, f"/calls/status?row={row.id}", {"CallSid": sid, "CallStatus": "busy"})
    stored = _get(msg_session, CallbackRequest, callback.id)
    assert (stored.status, stored.outcome) == (CallbackStatus.WAITING, "agent_busy")
    assert stored.claimed_by_id is None
    assert _get(msg_session, OutboxMessage, row.id).status == OutboxStatus.UNDELIVERED


def _closed_grievance(session, language="hi"):
    """A grievance resolved and closed by an agent: closing queues the follow-up call."""
    grievance = register_grievance(session, phone=CITIZEN_PHONE, category="cleanliness",
                                   channel="ivr", language=language, description="वार्ड में गंदगी")
    resolve_grievance(session, grievance.id, "Ward cleaned", actor="asha")
    close_grievance(session, grievance.id, actor="asha")
    session.expunge_all()
    [row] = _call_rows(session, "grievance_followup")
    return grievance, row


def test_the_follow_up_asks_in_the_citizens_language_and_records_not_solved(
    client, msg_session, fake_twilio
):
    grievance, row = _closed_grievance(msg_session)
    assert row.language == "hi" and row.to_phone == CITIZEN_PHONE
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAf"}))
    gather, redirect = list(root)
    assert gather.tag == "Gather" and gather.get("numDigits") == "1"
    assert gather.get("input") == "dtmf"
    action = gather.get("action").removeprefix(BASE)
    assert action.startswith("/ivr/followup?s=")  # the phone line's engine
    said = gather[0].text
    assert "तो 1 दबाएँ" in said and "तो 2 दबाएँ" in said and gather[0].get("language") == "hi-IN"
    assert " ".join(grievance.reference[:4]) in said  # digit by digit
    assert redirect.tag == "Redirect"

    wrong = parse_twiml(signed_post(client, action, {"CallSid": "CAf", "Digits": "7"}))
    assert wrong[0].tag == "Gather" and "माफ़" in wrong[0][0].text
    action = wrong[0].get("action").removeprefix(BASE)
    repeat = parse_twiml(signed_post(client, action, {"CallSid": "CAf", "Digits": "*"}))
    assert "माफ़" not in repeat[0][0].text and "तो 1 दबाएँ" in repeat[0][0].text

    done = parse_twiml(signed_post(client, action, {"CallSid": "CAf", "Digits": "2"}))
    assert [el.tag for el in done] == ["Say", "Hangup"] and "धन्यवाद" in done[0].text
    signed_post(client, action, {"CallSid": "CAf", "Digits": "2"})
    events = list(msg_session.scalars(select(GrievanceEvent).where(
        GrievanceEvent.kind == "feedback")))
    stored = _get(msg_session, Grievance, grievance.id)
    assert [(e.grievance_id, e.details["solved"], e.channel) for e in events] == [
        (grievance.id, False, "ivr")]
    assert stored.status == GrievanceStatus.REOPENED and stored.appeal_opened_at is not None


def test_pressing_1_records_solved_and_keeps_the_grievance_closed(client, msg_session):
    grievance, row = _closed_grievance(msg_session, "en")
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAf"}))
    done = parse_twiml(signed_post(client, root[0].get("action").removeprefix(BASE),
                                   {"CallSid": "CAf", "Digits": "1"}))
    assert "glad" in done[0].text
    stored = _get(msg_session, Grievance, grievance.id)
    assert stored.status == GrievanceStatus.CLOSED and stored.feedback_solved is True


def test_zero_on_the_follow_up_reaches_an_agent(client, msg_session):
    _, row = _closed_grievance(msg_session, "en")
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAf"}))
    agent = parse_twiml(signed_post(client, root[0].get("action").removeprefix(BASE),
                                    {"CallSid": "CAf", "Digits": "0"}))
    assert agent.find("Enqueue") is not None or "called back" in ET.tostring(
        agent, encoding="unicode")


def test_a_follow_up_answered_by_silence_is_tried_again_later(client, msg_session, fake_twilio):
    """Voicemail or a carrier's announcement: three silences, goodbye, and the next
    attempt is queued as for a call nobody answered."""
    grievance, row = _closed_grievance(msg_session, "en")
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAf"}))
    for _ in range(3):
        assert root[-1].tag == "Redirect"
        url = root[-1].text.removeprefix(BASE)
        root = parse_twiml(signed_post(client, url, {"CallSid": "CAf"}))
    assert [el.tag for el in root] == ["Say", "Hangup"] and "again later" in root[0].text
    msg_session.rollback()
    rows = _call_rows(msg_session, "grievance_followup")
    assert len(rows) == 2 and rows[1].params["attempt"] == 2


def _deliver_at_noon(client, row_id: int) -> None:
    deliver(client.application.extensions["helpline"], ids=[row_id], limit=1,
            clock=lambda: NOON_IST)
    assert _get(client.application.extensions["helpline"].session(), OutboxMessage,
                row_id).twilio_sid


def test_an_unanswered_follow_up_is_retried_twice_then_given_up(
    client, msg_session, fake_twilio
):
    grievance, row = _closed_grievance(msg_session, "en")
    assert _get(msg_session, OutboxMessage, row.id).status == OutboxStatus.PENDING
    _deliver_at_noon(client, row.id)
    current = row
    for attempt in (2, 3):
        sid = _get(msg_session, OutboxMessage, current.id).twilio_sid
        for _ in range(2):  # a repeated callback queues one retry
            signed_post(client, f"/calls/status?row={current.id}",
                        {"CallSid": sid, "CallStatus": "no-answer"})
        rows = _call_rows(msg_session, "grievance_followup")
        assert len(rows) == attempt
        current = rows[-1]
        assert current.params["attempt"] == attempt and current.status == OutboxStatus.PENDING
        assert current.not_before > dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        with msg_session.begin():  # time passes: the retry is due and goes out
            msg_session.get(OutboxMessage, current.id).not_before = dt.datetime.now(dt.UTC)
        msg_session.expunge_all()
        _deliver_at_noon(client, current.id)
    sid = _get(msg_session, OutboxMessage, current.id).twilio_sid
    signed_post(client, f"/calls/status?row={current.id}",
                {"CallSid": sid, "CallStatus": "busy"})
    assert len(_call_rows(msg_session, "grievance_followup")) == 3
    assert len(fake_twilio.created("Calls")) == 3


@pytest.mark.parametrize("path", ["/calls/1/answer", "/calls/status?row=1"])
def test_forged_call_webhooks_are_refused(client, path):
    response = signed_post(client, path, {"CallSid": "CA1", "CallStatus": "completed"},
                           token="forged")
    assert response.status_code == 403


def test_errors_under_calls_answer_an_apology_in_twiml(client):
    response = signed_post(client, "/calls/999/answer", {"CallSid": "CA1"})
    root = parse_twiml(response)
    assert response.status_code == 200
    assert [el.tag for el in root] == ["Say", "Say", "Hangup"]
    assert root[0].get("language") == "hi-IN" and root[1].get("language") == "en-IN"


def test_no_follow_up_call_once_the_grievance_is_reopened(client, msg_session, fake_twilio):
    from grievances.workflow import reopen_grievance

    grievance, row = _closed_grievance(msg_session, "en")
    reopen_grievance(msg_session, grievance.id, "citizen called back", actor="asha")
    msg_session.expunge_all()
    [cancelled] = _call_rows(msg_session, "grievance_followup")
    assert cancelled.status == OutboxStatus.CANCELLED
    from messaging import followup

    assert followup.schedule_retry(msg_session, cancelled, "no-answer") is None
    assert len(_call_rows(msg_session, "grievance_followup")) == 1


@pytest.mark.parametrize("row_arg", ["²", "2147483648", "99999999999999999999"])
def test_call_status_with_a_malformed_row_id_still_counts(
    client, msg_session, fake_twilio, agent, row_arg, error_watch
):
    callback = _callback(msg_session)
    row = _call_back(client, msg_session, agent, callback)
    sid = fake_twilio.created("Calls")[0].sid
    response = signed_post(client, f"/calls/status?row={quote(row_arg)}",
                           {"CallSid": sid, "CallStatus": "busy"})
    assert response.status_code == 200
    assert _get(msg_session, OutboxMessage, row.id).status == OutboxStatus.UNDELIVERED
    assert error_watch.take() == []
