"""Every way a callback attempt ends also ends the agent's On a call, through the
console and signed webhooks (SQLite and PostgreSQL), in demo mode (no Twilio: nothing
ever reports the call) and against the fake Twilio; and choosing Available on the
desk either works or says, in the agent's language, when it will be taken.

- Saving a result (reached, wrong number, no answer) of the callback being called puts
  the agent in wrap-up, then Available (or back to the Break they called from).
- Saved while the agent's own phone is still on the line, the call holds them until it
  ends; the bridge ending, or the agent's leg ending, then puts them in wrap-up.
- A late word from Twilio about an attempt already settled changes nothing more, and
  never settles the callback once another agent has claimed it.
- An agent On a call whom no call holds any more (a state left behind) is free to
  choose Available.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from booking_core.outbox import OutboxMessage
from contact_centre.models import AgentState, CallbackRequest, CallbackStatus, StaffUser
from contact_centre.routing import connect_waiting_callers
from contact_centre.wallboard import wallboard
from tests.conftest import PUBLIC_BASE_URL
from tests.fixtures_console import ConsoleClient, result_version
from tests.fixtures_ivr import signed_post
from tests.fixtures_messaging import deliver_now, messaging_app
from tests.fixtures_routing import Switchboard
from tests.fixtures_routing import signed_in_agent as _agent

ASHA = "+919810000101"
RAVI = "+919810000102"
CITIZEN = "+919812349999"
OUTCOMES = ("reached", "wrong_number", "no_answer")
TWILIO_ENDS = ("completed", "no-answer", "busy", "failed", "canceled")

WRAP_UP_WORDS = {"en": "Finish your notes: the next caller comes in",
                 "hi": "अपने नोट्स पूरे कर लीजिए: अगला कॉलर"}
AVAILABLE_AFTER_CALL = {
    "en": "You will be available once this call and its wrap-up are over.",
    "hi": "यह कॉल और उसका रैप-अप पूरा होते ही आप उपलब्ध हो जाएँगे।",
}
NOT_TAKING = {"en": "You are not taking calls.", "hi": "आप अभी कॉल नहीं ले रहे।"}


@pytest.fixture
def demo(database_url):
    """The console without Twilio credentials: calls go to the demo inbox, and no
    webhook ever reports them."""
    app = messaging_app(database_url, None, agent_hours="00:00-00:00")
    helpline = app.extensions["helpline"]
    yield Switchboard(app, None, helpline)  # type: ignore[arg-type]
    helpline.engine.dispose()


def _state(console: ConsoleClient, state: str) -> str:
    """Choose a state on the desk; the callbacks page that follows (with its message)."""
    answer = console.post("/console/me/state", {"state": state, "next": "/console/callbacks"})
    assert answer.status_code == 302
    return console.get("/console/callbacks").get_data(as_text=True)


def _agent_row(board, username: str = "agent.asha") -> StaffUser:
    with board.helpline.session() as s:
        return s.scalars(select(StaffUser).filter_by(username=username)).one()


def _callback(board) -> int:
    with board.helpline.session() as s, s.begin():
        callback = CallbackRequest(phone=CITIZEN, language="en", reason="queue_wait")
        s.add(callback)
        s.flush()
        return callback.id


def _callback_status(board, callback_id: int) -> tuple[CallbackStatus, int | None]:
    with board.helpline.session() as s:
        callback = s.get(CallbackRequest, callback_id)
        return callback.status, callback.claimed_by_id


def _call_back_now(console: ConsoleClient, callback_id: int) -> None:
    assert console.post(f"/console/callbacks/{callback_id}/claim").status_code == 302
    assert console.post(f"/console/callbacks/{callback_id}/call").status_code == 302


def _save(console: ConsoleClient, callback_id: int, outcome: str) -> str:
    version = result_version(console.get("/console/callbacks").get_data(as_text=True),
                             callback_id)
    answer = console.post(f"/console/callbacks/{callback_id}/outcome",
                          {"outcome": outcome, "notes": "rang twice", "version": version})
    assert answer.status_code == 302
    return console.get("/console/callbacks").get_data(as_text=True)


def _on_call_count(board) -> int:
    with board.helpline.session() as s:
        return wallboard(s).agents_by_state.get("on_call", 0)


def _placed(board, callback_id: int) -> tuple[OutboxMessage, str]:
    """The callback's outbox row and the SID of the call the fake Twilio placed."""
    deliver_now(board.helpline)
    [placed] = board.fake.created("Calls")
    with board.helpline.session() as s:
        rows = s.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "agent_callback")).all()
    [row] = [r for r in rows if r.params.get("callback_id") == callback_id]
    return row, placed.sid


def _webhook(board, path: str, params: dict[str, str]) -> ET.Element:
    answer = signed_post(board.app.test_client(), f"{PUBLIC_BASE_URL}{path}", params)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    return ET.fromstring(answer.get_data(as_text=True))


def _wrap_up_runs_out(board) -> None:
    with board.helpline.session() as s:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)
        connect_waiting_callers(s, wrap_up_seconds=30, now=later)


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_saving_a_callback_result_in_demo_mode_ends_the_agents_call(demo, outcome, language):
    """The reported defect: in demo mode nothing reports the call's end, so the result
    the agent saves is its end. Wrap-up follows, as after any call, and Available
    works; the wallboard no longer counts her On a call."""
    asha = _agent(demo, "agent.asha", ASHA, language=language)
    _state(asha, "available")
    callback_id = _callback(demo)
    _call_back_now(asha, callback_id)
    assert _agent_row(demo).state == AgentState.ON_CALL
    assert _on_call_count(demo) == 1

    _save(asha, callback_id, outcome)
    agent = _agent_row(demo)
    assert (agent.state, agent.state_after_call) == (AgentState.WRAP_UP, None)
    assert _on_call_count(demo) == 0
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert 'data-desk-state="wrap_up"' in desk and WRAP_UP_WORDS[language] in desk
    assert NOT_TAKING[language] not in desk

    _state(asha, "available")
    assert _agent_row(demo).state == AgentState.AVAILABLE
    assert NOT_TAKING[language] not in asha.get("/console/me/desk").get_data(as_text=True)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_demo_callback_made_from_a_break_returns_to_it_after_the_wrap_up(demo, outcome):
    asha = _agent(demo, "agent.asha", ASHA)
    _state(asha, "break")
    callback_id = _callback(demo)
    _call_back_now(asha, callback_id)
    _save(asha, callback_id, outcome)
    agent = _agent_row(demo)
    assert (agent.state, agent.state_after_call) == (AgentState.WRAP_UP, AgentState.BREAK)
    _wrap_up_runs_out(demo)
    agent = _agent_row(demo)
    assert (agent.state, agent.state_after_call) == (AgentState.BREAK, None)


def test_the_wrap_up_after_a_saved_result_runs_out_to_available(demo):
    asha = _agent(demo, "agent.asha", ASHA)
    _state(asha, "available")
    callback_id = _callback(demo)
    _call_back_now(asha, callback_id)
    _save(asha, callback_id, "no_answer")
    _wrap_up_runs_out(demo)
    assert _agent_row(demo).state == AgentState.AVAILABLE


@pytest.mark.parametrize("status", TWILIO_ENDS)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_result_saved_before_the_agents_phone_answers_ends_the_call(board, outcome,
                                                                      status):
    """With Twilio, the agent saves the result while their own phone still rings (or
    before the call is placed): wrap-up at once; Twilio's late word on that call
    (each way it can end) changes nothing more."""
    asha = _agent(board, "agent.asha", ASHA)
    _state(asha, "available")
    callback_id = _callback(board)
    _call_back_now(asha, callback_id)
    row, sid = _placed(board, callback_id)
    _save(asha, callback_id, outcome)
    assert _agent_row(board).state == AgentState.WRAP_UP
    assert _on_call_count(board) == 0
    settled = _callback_status(board, callback_id)

    _webhook(board, f"/calls/status?row={row.id}", {"CallSid": sid, "CallStatus": status})
    assert _agent_row(board).state == AgentState.WRAP_UP
    assert _callback_status(board, callback_id) == settled


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("ends_by", ["bridge", "agent_leg"])
def test_a_result_saved_while_the_agent_is_on_the_phone_holds_them_until_it_ends(
        board, language, ends_by):
    """The agent answered and the citizen is being dialled when she saves "no answer":
    her phone is still on the line, so she stays On a call (routing must not ring a
    phone in use) and Available says when it will be taken. The bridge's end, or her
    leg's, then puts her in wrap-up."""
    asha = _agent(board, "agent.asha", ASHA, language=language)
    _state(asha, "available")
    callback_id = _callback(board)
    _call_back_now(asha, callback_id)
    row, sid = _placed(board, callback_id)
    _webhook(board, f"/calls/{row.id}/answer", {"CallSid": sid})
    _save(asha, callback_id, "no_answer")
    assert _agent_row(board).state == AgentState.ON_CALL
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert "data-current-call=" in desk and NOT_TAKING[language] not in desk

    page = _state(asha, "available")
    assert AVAILABLE_AFTER_CALL[language] in page
    assert _agent_row(board).state == AgentState.ON_CALL

    if ends_by == "bridge":
        _webhook(board, f"/calls/{row.id}/bridged",
                 {"CallSid": sid, "DialCallStatus": "no-answer"})
    else:
        _webhook(board, f"/calls/status?row={row.id}",
                 {"CallSid": sid, "CallStatus": "completed"})
    assert _agent_row(board).state == AgentState.WRAP_UP
    assert _callback_status(board, callback_id) == (CallbackStatus.WAITING, None)


@pytest.mark.parametrize("status", TWILIO_ENDS)
def test_every_end_of_the_bridge_ends_the_agents_call(board, status):
    asha = _agent(board, "agent.asha", ASHA)
    _state(asha, "available")
    callback_id = _callback(board)
    _call_back_now(asha, callback_id)
    row, sid = _placed(board, callback_id)
    _webhook(board, f"/calls/{row.id}/answer", {"CallSid": sid})
    _webhook(board, f"/calls/{row.id}/bridged", {"CallSid": sid, "DialCallStatus": status})
    assert _agent_row(board).state == AgentState.WRAP_UP
    _webhook(board, f"/calls/status?row={row.id}", {"CallSid": sid, "CallStatus": "completed"})
    assert _agent_row(board).state == AgentState.WRAP_UP
    assert _on_call_count(board) == 0


@pytest.mark.parametrize("status", TWILIO_ENDS)
def test_every_end_of_the_agents_unanswered_leg_frees_them(board, status):
    """The agent's own phone never answered: ``completed`` cannot come without an
    answer, the others put her on a break (a phone nobody answers is not rung again);
    never On a call."""
    asha = _agent(board, "agent.asha", ASHA)
    _state(asha, "available")
    callback_id = _callback(board)
    _call_back_now(asha, callback_id)
    row, sid = _placed(board, callback_id)
    _webhook(board, f"/calls/status?row={row.id}", {"CallSid": sid, "CallStatus": status})
    assert _agent_row(board).state != AgentState.ON_CALL
    assert _on_call_count(board) == 0


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_a_late_word_on_a_settled_attempt_leaves_another_agents_claim_alone(board, status):
    """Asha saves "no answer" before her phone is answered; Ravi claims the callback
    and calls; then Twilio reports Asha's call. Ravi's callback and call stand."""
    asha = _agent(board, "agent.asha", ASHA)
    ravi = _agent(board, "agent.ravi", RAVI)
    callback_id = _callback(board)
    _call_back_now(asha, callback_id)
    row, sid = _placed(board, callback_id)
    _save(asha, callback_id, "no_answer")
    _call_back_now(ravi, callback_id)
    ravi_id = _agent_row(board, "agent.ravi").id
    assert _callback_status(board, callback_id) == (CallbackStatus.CALLING, ravi_id)

    _webhook(board, f"/calls/status?row={row.id}", {"CallSid": sid, "CallStatus": status})
    assert _callback_status(board, callback_id) == (CallbackStatus.CALLING, ravi_id)
    assert _agent_row(board, "agent.ravi").state == AgentState.ON_CALL
    # Asha's phone answering late does not dial Ravi's citizen from it.
    said = _webhook(board, f"/calls/{row.id}/answer", {"CallSid": sid})
    assert said.find("Dial") is None
    assert _callback_status(board, callback_id) == (CallbackStatus.CALLING, ravi_id)


@pytest.mark.parametrize("language", ["en", "hi"])
def test_available_is_taken_by_an_agent_whom_no_call_holds(demo, language):
    """A state left On a call with nothing holding the agent (no call on the line, no
    callback being called, no caller ringing): Available works."""
    asha = _agent(demo, "agent.asha", ASHA, language=language)
    with demo.helpline.session() as s, s.begin():
        s.execute(StaffUser.__table__.update().values(state=AgentState.ON_CALL))
    page = _state(asha, "available")
    assert _agent_row(demo).state == AgentState.AVAILABLE
    assert AVAILABLE_AFTER_CALL[language] not in page


@pytest.mark.parametrize("language", ["en", "hi"])
def test_available_chosen_during_a_routed_call_says_when_it_is_taken(board, language):
    asha = _agent(board, "agent.asha", ASHA, language=language)
    _state(asha, "available")
    caller = board.caller("+919812340001")
    board.queue(caller)
    board.deliver()
    [ring] = board.follow_redirects()
    board.agent_answers(ring)
    page = _state(asha, "available")
    assert AVAILABLE_AFTER_CALL[language] in page
    assert _agent_row(board).state == AgentState.ON_CALL
