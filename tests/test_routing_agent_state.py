"""An agent's state while a call holds them, end to end through the console and
signed webhooks against the fake Twilio (SQLite and PostgreSQL), plus the race between
"Call back now" and routing on PostgreSQL.

- A callback the agent starts makes them On a call at once: routing never rings them
  with a queued caller meanwhile; its end puts them in wrap-up like any call.
- "Call back now" is refused while the agent is on a call, in wrap-up or being rung.
- Break or Offline chosen during a call is taken when the call and its wrap-up end.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from booking_core.outbox import OutboxMessage
from contact_centre.callbacks import call_back, claim_callback
from contact_centre.models import (
    AgentState,
    Call,
    CallbackRequest,
    CallbackStatus,
    StaffUser,
)
from contact_centre.routing import AgentBusy, connect_waiting_callers, free_stuck_agents
from helpline.db import make_engine, make_session_factory
from tests.conftest import PUBLIC_BASE_URL
from tests.fixtures_console import ConsoleClient, make_staff
from tests.fixtures_ivr import signed_post
from tests.fixtures_messaging import deliver_now
from tests.fixtures_routing import signed_in_agent as _agent

ASHA = "+919810000101"
CITIZEN = "+919812349999"




def _state(console: ConsoleClient, state: str) -> str:
    """Choose a state on the desk; the words the console then shows."""
    answer = console.post("/console/me/state", {"state": state, "next": "/console/callbacks"})
    assert answer.status_code == 302
    return console.get("/console/callbacks").get_data(as_text=True)


def _asha(board) -> StaffUser:
    with board.helpline.session() as s:
        return s.scalars(select(StaffUser).filter_by(username="agent.asha")).one()


def _callback(board, phone: str = CITIZEN) -> int:
    with board.helpline.session() as s, s.begin():
        callback = CallbackRequest(phone=phone, language="en", reason="queue_wait")
        s.add(callback)
        s.flush()
        return callback.id


def _callback_row(board, callback_id: int) -> OutboxMessage | None:
    with board.helpline.session() as s:
        rows = s.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "agent_callback")).all()
        return next((r for r in rows if r.params.get("callback_id") == callback_id), None)


def _call_back_now(console: ConsoleClient, callback_id: int) -> str:
    """Claim, then "Call back now"; the callbacks page that follows."""
    assert console.post(f"/console/callbacks/{callback_id}/claim").status_code == 302
    assert console.post(f"/console/callbacks/{callback_id}/call").status_code == 302
    return console.get("/console/callbacks").get_data(as_text=True)


def _webhook(board, path: str, params: dict[str, str]) -> ET.Element:
    answer = signed_post(board.app.test_client(), f"{PUBLIC_BASE_URL}{path}", params)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    return ET.fromstring(answer.get_data(as_text=True))


def _placed_call(board) -> Any:
    """The one call "Call back now" placed through the fake Twilio, once delivered
    (the outbox row may be claimed by a delivery already under way: wait for it)."""
    deadline = time.monotonic() + 10
    while True:
        deliver_now(board.helpline)
        placed = board.fake.created("Calls")
        if placed or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    [call] = placed
    return call


def _on_a_call_with_a_queued_caller(board, console: ConsoleClient) -> Any:
    _state(console, "available")
    caller = board.caller("+919812340001")
    board.queue(caller)
    board.deliver()
    [ring] = board.follow_redirects()
    board.agent_answers(ring)
    assert _asha(board).state == AgentState.ON_CALL
    return ring


def test_a_callback_holds_the_agent_so_routing_never_rings_them_meanwhile(board):
    asha = _agent(board, "agent.asha", ASHA)
    _state(asha, "available")
    callback_id = _callback(board)
    page = _call_back_now(asha, callback_id)
    assert "your phone will ring first" in page.lower()
    agent = _asha(board)
    assert agent.state == AgentState.ON_CALL and agent.connecting_call_id is None
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert 'data-desk-state="on_call"' in desk and f'data-on-callback="{callback_id}"' in desk

    # A caller queues while the agent's phone rings for the callback: nobody rings her.
    caller = board.caller("+919812340001")
    board.queue(caller)
    deliver_now(board.helpline)  # the callback's call and any routing redirect
    assert board.follow_redirects() == []
    [placed] = board.fake.created("Calls")
    assert placed.params["To"] == ASHA
    row = _callback_row(board, callback_id)
    assert row is not None and row.params["agent_id"] == agent.id

    dial = _webhook(board, f"/calls/{row.id}/answer", {"CallSid": placed.sid})
    assert [n.text for n in dial.iter("Number")] == [CITIZEN]
    assert _asha(board).state == AgentState.ON_CALL
    _webhook(board, f"/calls/{row.id}/bridged",
             {"CallSid": placed.sid, "DialCallStatus": "completed"})
    assert _asha(board).state == AgentState.WRAP_UP  # like after any call
    board.deliver()
    assert board.follow_redirects() == []  # nobody rings an agent in wrap-up

    _state(asha, "available")  # wrap-up ends: now the queued caller reaches her
    board.deliver()
    [ring] = board.follow_redirects()
    assert (ring.caller_sid, ring.to) == (caller.call_sid, ASHA)
    # The agent's leg of the callback reports its end late: she is left ringing.
    _webhook(board, f"/calls/status?row={row.id}",
             {"CallSid": placed.sid, "CallStatus": "completed"})
    agent = _asha(board)
    assert agent.state == AgentState.AVAILABLE and agent.connecting_call_id is not None


def test_the_agent_leg_ending_without_a_bridge_result_still_ends_the_callback_call(board):
    asha = _agent(board, "agent.asha", ASHA)
    callback_id = _callback(board)
    _state(asha, "break")  # callbacks may be worked from a break
    _call_back_now(asha, callback_id)
    assert _asha(board).state == AgentState.ON_CALL
    deliver_now(board.helpline)
    [placed] = board.fake.created("Calls")
    row = _callback_row(board, callback_id)
    _webhook(board, f"/calls/{row.id}/answer", {"CallSid": placed.sid})
    _webhook(board, f"/calls/status?row={row.id}",
             {"CallSid": placed.sid, "CallStatus": "completed"})
    agent = _asha(board)
    assert (agent.state, agent.state_after_call) == (AgentState.WRAP_UP, AgentState.BREAK)
    with board.helpline.session() as s:  # the wrap-up runs out: back on her break
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)
        connect_waiting_callers(s, wrap_up_seconds=30, now=later)
    agent = _asha(board)
    assert (agent.state, agent.state_after_call) == (AgentState.BREAK, None)


def test_an_agent_whose_phone_does_not_answer_their_callback_is_put_on_a_break(board):
    asha = _agent(board, "agent.asha", ASHA)
    _state(asha, "available")
    callback_id = _callback(board)
    _call_back_now(asha, callback_id)
    deliver_now(board.helpline)
    [placed] = board.fake.created("Calls")
    row = _callback_row(board, callback_id)
    _webhook(board, f"/calls/status?row={row.id}",
             {"CallSid": placed.sid, "CallStatus": "no-answer"})
    assert _asha(board).state == AgentState.BREAK
    with board.helpline.session() as s:
        assert s.get(CallbackRequest, callback_id).status == CallbackStatus.WAITING


@pytest.mark.parametrize(("language", "on_call", "wrap_up"), [
    ("en", "You are on a call. Finish it before you call someone back.",
     "You are wrapping up your last call."),
    ("hi", "आप अभी कॉल पर हैं। कॉल-बैक करने से पहले यह कॉल पूरी कीजिए।",
     "आप पिछली कॉल के रैप-अप में हैं।"),
])
def test_call_back_now_is_refused_during_a_call_and_its_wrap_up(board, language, on_call,
                                                                wrap_up):
    asha = _agent(board, "agent.asha", ASHA, language=language)
    ring = _on_a_call_with_a_queued_caller(board, asha)
    callback_id = _callback(board)
    page = _call_back_now(asha, callback_id)
    assert on_call in page
    assert _callback_row(board, callback_id) is None  # no call placed
    with board.helpline.session() as s:
        assert s.get(CallbackRequest, callback_id).status == CallbackStatus.CLAIMED
    assert _asha(board).state == AgentState.ON_CALL

    board.dial_ends(ring, "completed")
    assert asha.post(f"/console/callbacks/{callback_id}/call").status_code == 302
    assert wrap_up in asha.get("/console/callbacks").get_data(as_text=True)
    assert _callback_row(board, callback_id) is None
    assert _asha(board).state == AgentState.WRAP_UP

    _state(asha, "available")  # wrap-up over: now it goes
    asha.post(f"/console/callbacks/{callback_id}/call")
    assert _callback_row(board, callback_id) is not None
    assert _asha(board).state == AgentState.ON_CALL


def test_offline_chosen_during_a_call_is_taken_when_the_wrap_up_ends(board):
    asha = _agent(board, "agent.asha", ASHA)
    ring = _on_a_call_with_a_queued_caller(board, asha)
    page = _state(asha, "offline")
    assert "You will go offline once this call and its wrap-up are over." in page
    agent = _asha(board)
    assert (agent.state, agent.state_after_call) == (AgentState.ON_CALL, AgentState.OFFLINE)
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert 'data-desk-state="on_call"' in desk and 'data-after-call="offline"' in desk
    wallboard = _wallboard_states(board)
    assert wallboard == {"on_call": 1}

    board.dial_ends(ring, "completed")
    assert _asha(board).state == AgentState.WRAP_UP
    # The wrap-up says what follows it, never "the next caller comes in ...".
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert "Then you will be offline." in desk and "next caller" not in desk
    assert "Then: offline" not in desk
    second = board.caller("+919812340002")
    board.queue(second)
    with board.helpline.session() as s:  # the wrap-up runs out: offline, not available
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)
        assert connect_waiting_callers(s, wrap_up_seconds=30, now=later) == []
    agent = _asha(board)
    assert (agent.state, agent.state_after_call) == (AgentState.OFFLINE, None)


def test_available_during_a_call_cancels_a_break_asked_for(board):
    asha = _agent(board, "agent.asha", ASHA)
    ring = _on_a_call_with_a_queued_caller(board, asha)
    _state(asha, "break")
    assert _asha(board).state_after_call == AgentState.BREAK
    _state(asha, "available")
    assert (_asha(board).state, _asha(board).state_after_call) == (AgentState.ON_CALL, None)
    board.dial_ends(ring, "completed")
    asha.post("/console/me/wrap-up", {"disposition": "resolved", "next": "/console/"})
    assert _asha(board).state == AgentState.AVAILABLE


def test_a_break_chosen_in_wrap_up_waits_for_the_disposition(board):
    asha = _agent(board, "agent.asha", ASHA)
    ring = _on_a_call_with_a_queued_caller(board, asha)
    board.dial_ends(ring, "completed")
    page = _state(asha, "break")
    # The call is over: no sentence about "this call"; the desk's own says what follows.
    assert "once this call" not in page
    assert _asha(board).state == AgentState.WRAP_UP
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert "Then you will be on a break: no caller is put through to you." in desk
    assert "next caller" not in desk
    asha.post("/console/me/wrap-up", {"disposition": "resolved", "next": "/console/"})
    agent = _asha(board)
    assert (agent.state, agent.state_after_call) == (AgentState.BREAK, None)


def test_offline_chosen_while_a_caller_rings_the_agent_is_taken_when_the_ring_ends(board):
    asha = _agent(board, "agent.asha", ASHA)
    _state(asha, "available")
    caller = board.caller("+919812340001")
    board.queue(caller)
    board.deliver()
    [ring] = board.follow_redirects()
    _state(asha, "offline")
    assert _asha(board).state == AgentState.AVAILABLE  # still being rung
    board.caller_hangs_up(caller.call_sid)
    agent = _asha(board)
    assert (agent.state, agent.connecting_call_id) == (AgentState.OFFLINE, None)


def test_an_agent_whose_call_end_was_never_reported_is_not_held_for_ever(board):
    """Every webhook of a callback lost: after Twilio's longest call (4 h) the
    scheduler's sweep puts the agent in wrap-up, and the wrap-up then runs out."""
    asha = _agent(board, "agent.asha", ASHA)
    _state(asha, "available")
    _call_back_now(asha, _callback(board))
    assert _asha(board).state == AgentState.ON_CALL
    with board.helpline.session() as s:
        assert free_stuck_agents(s) == 0  # a call in progress is left alone
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=4, minutes=1)
        assert free_stuck_agents(s, now=later) == 1
    assert _asha(board).state == AgentState.WRAP_UP


def _wallboard_states(board) -> dict[str, int]:
    with board.helpline.session() as s:
        states = s.scalars(select(StaffUser.state).where(StaffUser.role == "agent")).all()
    return {state.value: states.count(state) for state in set(states)}


def _race_once(sessions: Any, agent_id: int, callback_id: int) -> dict[str, Any]:
    """Routing and the agent's "Call back now", released together."""
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def route() -> None:
        with sessions() as s:
            barrier.wait(10)
            results["routes"] = connect_waiting_callers(s)

    def call() -> None:
        with sessions() as s:
            me = s.get(StaffUser, agent_id)
            barrier.wait(10)
            try:
                call_back(s, callback_id, agent=me)
                results["called"] = True
            except AgentBusy as exc:
                results["called"] = exc.details["reason"]

    threads = [threading.Thread(target=route), threading.Thread(target=call)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.postgres
def test_call_back_now_and_routing_at_once_never_both_take_the_agent(pg_database_url):
    """Routing and "Call back now" race for one available agent, 15 rounds: exactly one
    wins each time. Routing rings her (the callback is refused: ``AgentBusy``), or the
    callback holds her (routing finds nobody free); never a ring during a callback."""
    engine = make_engine(pg_database_url)
    sessions = make_session_factory(engine)
    with sessions() as s:
        agent = make_staff(s, "agent.asha", phone=ASHA)
        agent_id = agent.id
    wins = {"routing": 0, "callback": 0}
    for n in range(15):
        with sessions() as s, s.begin():
            s.execute(StaffUser.__table__.update().values(
                state=AgentState.AVAILABLE, connecting_call_id=None, state_after_call=None))
            moment = dt.datetime.now(dt.UTC)
            s.add(Call(call_sid=f"CA{n:032d}", from_phone="+919812340001", path=[],
                       details={}, queued_at=moment, waiting_since=moment, language="hi"))
            # A number of each round's own: earlier rounds' callbacks stay in hand, and
            # a number has one open callback.
            callback = CallbackRequest(phone=f"+91981234{n:04d}", language="en",
                                       reason="queue_wait")
            s.add(callback)
            s.flush()
            callback_id = callback.id
        with sessions() as s:
            claim_callback(s, callback_id, agent_id=agent_id)
        results = _race_once(sessions, agent_id, callback_id)
        with sessions() as s:
            agent = s.get(StaffUser, agent_id)
            status = s.get(CallbackRequest, callback_id).status
            if results["routes"]:
                assert results["called"] == "ringing"
                assert agent.connecting_call_id is not None
                assert agent.state == AgentState.AVAILABLE and status == CallbackStatus.CLAIMED
                wins["routing"] += 1
            else:
                assert results["called"] is True
                assert agent.state == AgentState.ON_CALL and agent.connecting_call_id is None
                assert status == CallbackStatus.CALLING
                wins["callback"] += 1
            s.execute(Call.__table__.update().values(waiting_since=None, ended_at=moment))
            s.commit()
    assert sum(wins.values()) == 15
    engine.dispose()


class _WrapUpForm(HTMLParser):
    """The desk's wrap-up form: the call it names, its hidden ``call`` field, and the
    words of its question."""

    def __init__(self) -> None:
        super().__init__()
        self.sum_up_call = self.call_field = self.question = ""
        self._in_question = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and found.get("data-sum-up-call"):
            self.sum_up_call = found["data-sum-up-call"] or ""
        elif tag == "input" and found.get("name") == "call":
            self.call_field = found.get("value") or ""
        self._in_question = tag == "label" and found.get("for") == "disposition"

    def handle_data(self, data: str) -> None:
        if self._in_question:
            self.question += data

    def handle_endtag(self, tag: str) -> None:
        self._in_question = False


def _desk_form(console: ConsoleClient) -> _WrapUpForm:
    """The wrap-up form on the desk."""
    form = _WrapUpForm()
    form.feed(console.get("/console/me/desk").get_data(as_text=True))
    form.question = form.question.strip()
    assert form.sum_up_call
    return form


@pytest.mark.parametrize("summed_up_before", [True, False])
def test_the_wrap_up_after_a_callback_is_about_the_callback_not_the_last_inbound_call(
        board, summed_up_before):
    """An agent takes a caller from the queue, then calls a citizen back: the wrap-up
    that follows asks how the callback went (the citizen's number) and saving it
    records the disposition on the callback's call, not on the earlier inbound one."""
    asha = _agent(board, "agent.asha", ASHA)
    ring = _on_a_call_with_a_queued_caller(board, asha)
    board.dial_ends(ring, "completed")
    if summed_up_before:
        asha.post("/console/me/wrap-up", {"disposition": "resolved", "next": "/console/"})
    else:
        _state(asha, "available")
    with board.helpline.session() as s:
        inbound = s.scalars(select(Call).filter_by(call_sid=ring.caller_sid)).one()

    assert _asha(board).state == AgentState.AVAILABLE  # the wrap-up (or choice) ended
    callback_id = _callback(board)
    _call_back_now(asha, callback_id)
    placed = _placed_call(board)
    row = _callback_row(board, callback_id)
    _webhook(board, f"/calls/{row.id}/answer", {"CallSid": placed.sid})
    _webhook(board, f"/calls/{row.id}/bridged",
             {"CallSid": placed.sid, "DialCallStatus": "completed"})
    agent = _asha(board)
    assert agent.state == AgentState.WRAP_UP
    form = _desk_form(asha)
    assert form.question == "How did the call with +91******9999 end?"  # the citizen
    call_id = form.sum_up_call
    assert form.call_field == call_id  # saving names the call the form is about
    with board.helpline.session() as s:
        bridge = s.scalars(select(Call).filter_by(call_sid=placed.sid)).one()
    assert call_id == str(bridge.id) != str(inbound.id)
    assert (bridge.direction, bridge.agent_id, bridge.from_phone) == ("outbound", agent.id,
                                                                      CITIZEN)
    assert bridge.answered_at is not None and bridge.ended_at is not None
    answer = asha.post("/console/me/wrap-up", {"disposition": "wrong_number",
                                              "call": call_id, "next": "/console/"})
    assert answer.status_code == 302
    with board.helpline.session() as s:
        assert s.get(Call, bridge.id).disposition == "wrong_number"
        assert s.get(Call, inbound.id).disposition == ("resolved" if summed_up_before else None)
    assert _asha(board).state == AgentState.AVAILABLE
    # The agent's leg reports its end afterwards: nothing changes.
    _webhook(board, f"/calls/status?row={row.id}",
             {"CallSid": placed.sid, "CallStatus": "completed"})
    assert _asha(board).state == AgentState.AVAILABLE


def test_a_wrap_up_form_saved_after_another_call_ended_is_refused_not_moved(board):
    """The form names its call: a disposition sent for one call never lands on
    another that ended meanwhile."""
    asha = _agent(board, "agent.asha", ASHA)
    ring = _on_a_call_with_a_queued_caller(board, asha)
    board.dial_ends(ring, "completed")
    first_id = _desk_form(asha).call_field
    _state(asha, "available")
    second = _on_a_call_with_a_queued_caller(board, asha)
    board.dial_ends(second, "completed")
    page = asha.post("/console/me/wrap-up", {"disposition": "booked", "call": first_id,
                                            "next": "/console/callbacks"})
    assert page.status_code == 302
    with board.helpline.session() as s:
        calls = {c.call_sid: c.disposition for c in s.scalars(select(Call)).all()}
    assert calls[ring.caller_sid] == "booked" and calls[second.caller_sid] is None
    assert _asha(board).state == AgentState.WRAP_UP  # the second call's wrap-up goes on


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_missed_ring_says_why_the_agent_is_on_a_break(board, lang):
    """An agent whose phone rang unanswered is put on a break (the caller goes back to
    the front); their desk says so in their language, until they choose a state."""
    from locales import render

    asha = _agent(board, "agent.asha", ASHA)
    with board.helpline.session() as s, s.begin():
        s.scalars(select(StaffUser).filter_by(username="agent.asha")).one().language = lang
    _state(asha, "available")
    board.queue(board.caller("+919812340001"))
    board.deliver()
    [ring] = board.follow_redirects()
    board.dial_ends(ring, "no-answer")
    assert _asha(board).state == AgentState.BREAK
    why = render(lang, "console.desk_break_after_missed_call")
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert why in desk and render(lang, "console.desk_not_taking") not in desk
    # A break chosen by the agent says nothing of a missed call.
    _state(asha, "offline")
    _state(asha, "break")
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert why not in desk and render(lang, "console.desk_not_taking") in desk
