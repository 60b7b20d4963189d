"""Agent routing end to end through the app's webhooks and the console, against the
fake Twilio REST API: a caller who waits reaches the agent available longest; the
agent's answer makes it their current call; hanging up puts them in wrap-up; a
disposition brings the next caller; a phone that rings out gives the caller back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.outbox import OutboxKind, OutboxMessage
from contact_centre.models import AGENT_QUEUE_NAME, AgentState, Call, Disposition, StaffUser
from contact_centre.routing import (
    connect_waiting_callers,
    current_call,
    end_expired_wrap_ups,
)
from tests.fixtures_console import ConsoleClient
from tests.fixtures_ivr import heard_text
from tests.fixtures_routing import signed_in_agent as _agent


def _available(console: ConsoleClient) -> None:
    answer = console.post("/console/me/state", {"state": "available", "next": "/console/"})
    assert answer.status_code == 302


def _read(board, model, **where):
    with board.helpline.session() as s:
        return s.scalars(select(model).filter_by(**where)).one()


def test_a_waiting_caller_rings_the_agent_and_wrap_up_brings_the_next(board):
    asha = _agent(board, "agent.asha", "+919810000101")
    _available(asha)
    first, second = board.caller("+919812340001"), board.caller("+919812340002")
    board.queue(first)
    board.queue(second)
    board.deliver()
    [ring] = board.follow_redirects()
    assert (ring.caller_sid, ring.to) == (first.call_sid, "+919810000101")
    agent = _read(board, StaffUser, username="agent.asha")
    assert agent.connecting_call_id is not None and agent.state == AgentState.AVAILABLE

    whisper = board.agent_answers(ring)
    assert "caller from the queue is joining you" in heard_text(whisper.find("Say"))
    agent = _read(board, StaffUser, username="agent.asha")
    call = _read(board, Call, call_sid=first.call_sid)
    assert (agent.state, agent.connecting_call_id) == (AgentState.ON_CALL, None)
    assert (call.agent_id, call.ended_at) == (agent.id, None) and call.answered_at
    with board.helpline.session() as s:  # the contract the caller-pop panel reads
        assert current_call(s, agent.id).call_sid == first.call_sid
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert 'data-desk-state="on_call"' in desk and "+91******0001" in desk

    bye = board.dial_ends(ring, "completed")
    assert [v.tag for v in bye] == ["Say", "Hangup"]
    agent = _read(board, StaffUser, username="agent.asha")
    assert agent.state == AgentState.WRAP_UP
    board.deliver()
    assert board.follow_redirects() == []  # nobody rings an agent in wrap-up
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert 'data-desk-state="wrap_up"' in desk and 'name="disposition"' in desk

    asha.post("/console/me/wrap-up", {"disposition": "booked", "next": "/console/"})
    assert _read(board, Call, call_sid=first.call_sid).disposition == Disposition.BOOKED
    assert _read(board, StaffUser, username="agent.asha").state == AgentState.AVAILABLE
    board.deliver()
    [ring] = board.follow_redirects()
    assert (ring.caller_sid, ring.to) == (second.call_sid, "+919810000101")


def test_the_agent_available_longest_gets_the_caller_waiting_longest(board):
    rahul = _agent(board, "agent.rahul", "+919810000102")
    asha = _agent(board, "agent.asha", "+919810000101")
    _available(rahul)
    _available(asha)
    callers = [board.caller(f"+91981234001{n}") for n in range(3)]
    for phone in callers:
        board.queue(phone)
    board.deliver()
    rings = board.follow_redirects()  # delivered in parallel: in any order
    assert {(r.caller_sid, r.to) for r in rings} == {
        (callers[0].call_sid, "+919810000102"), (callers[1].call_sid, "+919810000101")}
    with board.helpline.session() as s:
        waiting = s.scalars(select(Call.call_sid).where(Call.waiting_since.is_not(None))).all()
    assert waiting == [callers[2].call_sid]


def test_a_phone_that_rings_out_gives_the_caller_back_first_in_line(board):
    _available(_agent(board, "agent.asha", "+919810000101"))
    first, second = board.caller("+919812340001"), board.caller("+919812340002")
    board.queue(first)
    board.queue(second)
    board.deliver()
    [ring] = board.follow_redirects()
    back = board.dial_ends(ring, "no-answer")
    enqueue = back.find("Enqueue")
    assert enqueue is not None and enqueue.text == AGENT_QUEUE_NAME
    assert enqueue.get("waitUrl", "").startswith("https://helpline.test/ivr/queue/wait?s=")
    agent = _read(board, StaffUser, username="agent.asha")
    assert (agent.state, agent.connecting_call_id) == (AgentState.BREAK, None)
    rahul = _agent(board, "agent.rahul", "+919810000102")
    _available(rahul)
    board.deliver()
    [ring] = board.follow_redirects()
    assert (ring.caller_sid, ring.to) == (first.call_sid, "+919810000102")


def test_a_call_answered_without_the_agents_answer_step_ends_in_wrap_up(board):
    """The queue recorded the bridge (the call has its answer time) but the agent's own
    answer step never came: when the call ends the agent is in wrap-up for it, not left
    "connecting" (told to pick up a phone that is not ringing, skipped by routing)."""
    asha = _agent(board, "agent.asha", "+919810000101")
    _available(asha)
    first = board.caller("+919812340001")
    board.queue(first)
    board.deliver()
    [ring] = board.follow_redirects()
    with board.helpline.session() as s, s.begin():
        s.execute(Call.__table__.update().where(Call.call_sid == first.call_sid)
                  .values(answered_at=dt.datetime.now(dt.UTC)))
    board.dial_ends(ring, "completed")
    agent = _read(board, StaffUser, username="agent.asha")
    assert (agent.state, agent.connecting_call_id) == (AgentState.WRAP_UP, None)
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert 'data-desk-state="wrap_up"' in desk and 'name="disposition"' in desk


def test_a_caller_who_hangs_up_while_the_agent_rings_frees_the_agent(board):
    _available(_agent(board, "agent.asha", "+919810000101"))
    first, second = board.caller("+919812340001"), board.caller("+919812340002")
    board.queue(first)
    board.deliver()
    [ring] = board.follow_redirects()
    board.caller_hangs_up(first.call_sid)
    agent = _read(board, StaffUser, username="agent.asha")
    assert (agent.state, agent.connecting_call_id) == (AgentState.AVAILABLE, None)
    late = board.agent_answers(ring)  # the agent picks up a moment too late
    assert "already hung up" in heard_text(late.find("Say"))
    assert late.find("Hangup") is not None
    assert _read(board, StaffUser, username="agent.asha").state == AgentState.AVAILABLE
    board.queue(second)
    board.deliver()
    [ring] = board.follow_redirects()
    assert ring.caller_sid == second.call_sid


def test_a_redirect_twilio_refuses_frees_the_agent(board):
    _available(_agent(board, "agent.asha", "+919810000101"))
    first = board.caller("+919812340001")
    board.queue(first)
    board.fake.hang_up(first.call_sid)  # gone before the worker's redirect, no callback yet
    board.deliver()
    assert board.follow_redirects() == []
    agent = _read(board, StaffUser, username="agent.asha")
    assert agent.connecting_call_id is None
    row = _read(board, OutboxMessage, kind=OutboxKind.REDIRECT)
    assert row.status.value == "failed" and "21220" in (row.last_error or "")


def test_wrap_up_ends_by_itself_after_its_time(board):
    asha = _agent(board, "agent.asha", "+919810000101")
    _available(asha)
    first, second = board.caller("+919812340001"), board.caller("+919812340002")
    board.queue(first)
    board.deliver()
    [ring] = board.follow_redirects()
    board.agent_answers(ring)
    board.dial_ends(ring, "completed")
    board.queue(second)
    with board.helpline.session() as s:
        assert connect_waiting_callers(s, wrap_up_seconds=30) == []
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)
        [route] = connect_waiting_callers(s, wrap_up_seconds=30, now=later)
        assert route.call_sid == second.call_sid
        assert end_expired_wrap_ups(s, 30, later) == 0


def test_a_browser_agent_is_rung_as_a_twilio_client(board):
    asha = _agent(board, "agent.asha", "+919810000101")
    asha.post("/console/me/profile", {"phone": "", "call_device": "browser"})
    _available(asha)
    first = board.caller("+919812340001")
    board.queue(first)
    board.deliver()
    [ring] = board.follow_redirects()
    agent = _read(board, StaffUser, username="agent.asha")
    assert ring.to == f"client:agent-{agent.id}"


@pytest.mark.parametrize("language", ["en", "hi"])
def test_an_available_agent_with_no_one_waiting_reads_a_sentence_not_a_zero(board, language):
    asha = _agent(board, "agent.zero", "+919810000109", language=language)
    _available(asha)
    desk = asha.get("/console/me/desk").get_data(as_text=True)
    assert 'data-desk-state="available"' in desk
    assert " 0 " not in desk and ">0 " not in desk  # never "0 callers are waiting"
    assert ("No one is waiting now." if language == "en"
            else "अभी कोई इंतज़ार में नहीं है।") in desk
