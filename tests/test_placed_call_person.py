"""The person on a call the helpline placed (a waiting-list offer, a grievance
follow-up) is Twilio's ``To``: its ``From`` is the helpline's own number. Whoever asks
for a person on such a call is promised a callback on their own number, queued for an
agent under it, and logged as a call the helpline placed, whose end the status callback
records."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from booking_core.appointments import Channel, cancel_appointment
from booking_core.outbox import OutboxKind, OutboxMessage
from booking_core.waiting_list import join_waiting_list
from contact_centre.models import Call, CallbackRequest, CallOutcome
from grievances.services import register_grievance
from grievances.workflow import close_grievance, resolve_grievance
from tests.fixtures_ivr import Phone
from tests.opd_factories import book, mobile, opd_morning

# The helpline's numbers as Twilio presents them on the calls it places: a Delhi
# landline, a mobile, a toll-free number.
HELPLINE_NUMBERS = ["+911140000000", "+919990000000", "+9118001801104"]


def _offer_row(session) -> tuple[int, str]:
    """A freed place offered to the first person waiting: their call's outbox row."""
    morning = opd_morning(session, slots=1, capacity=1)
    held = book(session, morning.slots[0])
    person = mobile()
    join_waiting_list(session, department_id=morning.department.id,
                      day=morning.slots[0].local_day, phone=person, channel=Channel.IVR,
                      language="en")
    cancel_appointment(session, held.reference, channel=Channel.PORTAL)
    session.commit()
    return _row_to(session, person), person


def _followup_row(session) -> tuple[int, str]:
    """A grievance resolved and closed: its follow-up call's outbox row."""
    person = mobile()
    grievance = register_grievance(session, phone=person, category="cleanliness",
                                   channel="ivr", language="en", description="Dirty ward")
    resolve_grievance(session, grievance.id, "Ward cleaned", actor="asha")
    close_grievance(session, grievance.id, actor="asha")
    session.commit()
    return _row_to(session, person), person


def _row_to(session, person: str) -> int:
    row_id = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == OutboxKind.CALL, OutboxMessage.to_phone == person))
    session.commit()
    assert row_id is not None
    return row_id


PLACED = {"offer": _offer_row, "followup": _followup_row}


def placed_call(app: Any, session, helpline_number: str, person: str) -> Phone:
    """The phone of a call the helpline placed, as Twilio posts its webhooks."""
    phone = Phone(app.test_client(), caller=helpline_number, session=session)
    post = phone.post
    phone.post = lambda url, **params: post(  # type: ignore[method-assign]
        url, **{"Direction": "outbound-api", "To": person, **params})
    return phone


def the_call(session, sid: str) -> Call | None:
    session.expire_all()
    call = session.scalar(select(Call).where(Call.call_sid == sid))
    session.commit()
    return call


@pytest.mark.parametrize("helpline_number", HELPLINE_NUMBERS)
@pytest.mark.parametrize("purpose", sorted(PLACED))
def test_a_callback_asked_for_on_a_placed_call_is_to_the_person_called(
        ivr_app, ivr_session, purpose, helpline_number):
    """Nobody on duty: "0" offers a callback, "1" takes it. The number promised (its
    last four digits) and stored is the person's, never the helpline's own."""
    row_id, person = PLACED[purpose](ivr_session)
    phone = placed_call(ivr_app, ivr_session, helpline_number, person)
    phone.post(f"/calls/{row_id}/answer")
    phone.press("0")
    assert "To be called back, press 1" in phone.said, phone.said
    phone.press("1")
    assert f"number ending {' '.join(person[-4:])}" in phone.said, phone.said
    assert " ".join(helpline_number[-4:]) not in phone.said
    phones = ivr_session.scalars(select(CallbackRequest.phone)).all()
    ivr_session.commit()
    assert phones == [person]
    call = the_call(ivr_session, phone.call_sid)
    assert call is not None and (call.direction, call.from_phone) == ("outbound", person)
    assert call.outcome == CallOutcome.CALLBACK


@pytest.mark.usefixtures("agent_signed_in")
@pytest.mark.parametrize("purpose", sorted(PLACED))
def test_a_placed_call_queued_for_an_agent_is_logged_under_the_person_and_ended(
        ivr_app, ivr_session, purpose):
    """An agent on duty: "0" queues the person (the agent's screen pop reads the row:
    it names the person called), and Twilio's status callback to ``/calls/status``
    ends the row as ``/ivr/status`` ends an inbound call's."""
    row_id, person = PLACED[purpose](ivr_session)
    phone = placed_call(ivr_app, ivr_session, HELPLINE_NUMBERS[0], person)
    phone.post(f"/calls/{row_id}/answer")
    phone.press("0")
    enqueue = phone.root.find("Enqueue")
    assert enqueue is not None
    call = the_call(ivr_session, phone.call_sid)
    assert call is not None and call.waiting_since is not None
    assert (call.direction, call.from_phone) == ("outbound", person)
    phone.post(enqueue.get("action", ""), QueueResult="hangup", QueueTime="40")
    phone.post(f"/calls/status?row={row_id}", CallStatus="completed", CallDuration="75")
    call = the_call(ivr_session, phone.call_sid)
    assert (call.status, call.duration_seconds) == ("completed", 75)
    assert call.ended_at is not None and call.waiting_since is None
    assert call.outcome == CallOutcome.ABANDONED and call.details["queue_result"] == "hangup"


@pytest.mark.parametrize("purpose", sorted(PLACED))
def test_a_placed_call_nobody_asked_a_person_on_gets_no_row(ivr_app, ivr_session, purpose):
    """Only a person who asked for an agent makes a placed call a row of the call log;
    its status callback alone makes none (least of all one under the helpline's number)."""
    row_id, person = PLACED[purpose](ivr_session)
    phone = placed_call(ivr_app, ivr_session, HELPLINE_NUMBERS[0], person)
    phone.post(f"/calls/{row_id}/answer")
    phone.press("1")
    phone.post(f"/calls/status?row={row_id}", CallStatus="completed", CallDuration="30")
    assert the_call(ivr_session, phone.call_sid) is None


@pytest.mark.parametrize("purpose", sorted(PLACED))
def test_a_placed_call_whose_person_only_moves_through_menus_gets_no_row(
        ivr_app, ivr_session, purpose):
    """Repeating the question, a wrong key, silence: menus only, which make no row of a
    placed call (with Redis they go to its live path; without it, as here, they are
    dropped, like its first prompt's), however many webhooks they take."""
    row_id, person = PLACED[purpose](ivr_session)
    phone = placed_call(ivr_app, ivr_session, HELPLINE_NUMBERS[0], person)
    phone.post(f"/calls/{row_id}/answer")
    for key in ("*", "7", "*"):
        phone.press(key)
        assert the_call(ivr_session, phone.call_sid) is None, (key, phone.said)
    phone.post(f"/calls/status?row={row_id}", CallStatus="completed", CallDuration="30")
    assert the_call(ivr_session, phone.call_sid) is None
