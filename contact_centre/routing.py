"""Routing callers who wait for a person to agents who are free.

The rule (``docs/ARCHITECTURE.md``, "Agent routing"): while an agent is Available and
callers wait in the agents' queue, the caller who has waited longest is connected to the
agent who has been available longest. Two agents never get the same caller, and an
agent never rings for two callers at once.

How it stays true with many web processes and workers deciding at once: one
transaction per decision locks the agent's row and the caller's row
(``SELECT ... FOR UPDATE SKIP LOCKED``, agent first, then caller, everywhere), and the
decision writes to both rows the columns the selection tests (``StaffUser.
connecting_call_id``, ``Call.waiting_since``), so a transaction that waited on or
skipped a lock can never pick the same pair again. On SQLite every transaction that
writes begins ``IMMEDIATE``, which serialises them.

A decision is carried out by the telephony side: the same transaction writes an outbox
row (``booking_core.outbox.add_redirect``, purpose ``route_caller``) that sends the
caller's call to ``<Dial>`` the agent (``messaging.routing_calls``).

The life of a routed call, and who reports each step:

1. ``connect_waiting_callers`` / ``connect_next_caller``: caller picked, agent ringing
   (``Call.agent_id`` set, ``answered_at`` None; ``StaffUser.connecting_call_id`` set).
2. ``mark_bridged``: the agent answered: ``answered_at`` set, agent ON_CALL. From here
   on the call is "the agent's current call": ``agent_id`` = the agent,
   ``answered_at`` set, ``ended_at`` None.
3. ``end_routed_call``: the call ended (either side hung up): agent in WRAP_UP for
   ``wrap_up_seconds``, then available again (``end_expired_wrap_ups`` or the agent's
   own ``finish_wrap_up``, which also stores the disposition).
   ``agent_missed``: the agent did not answer: the caller waits again, first in line as
   before, and the agent goes on a break (a phone nobody answers must not keep ringing).
4. A callback the agent places (``contact_centre.callbacks.call_back``) holds them the
   same way: ``start_outbound_call`` makes them ON_CALL in the transaction that starts
   it (refused while a call already holds them), ``outbound_call_answered`` writes the
   agent's leg as a ``Call`` of theirs (direction ``outbound``, the citizen's number)
   once they answer, and ``end_outbound_call`` ends that call and puts them in WRAP_UP
   (on a break when their own phone did not answer) when the attempt ends: its result
   saved by the agent (``callbacks.record_callback_outcome``; demo mode has no other
   end) or reported by Twilio, whichever comes first. So the agent's last call, which
   wrap-up and its disposition are about, is the one that just ended whatever its
   direction.

A state the agent picks while a call holds them (ringing, on a call, in wrap-up), Break
or Offline, is what a contact centre calls a pending state: kept in
``StaffUser.state_after_call`` and taken when the wrap-up ends (or the ring ends
unanswered); their state stays what the call makes it until then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from booking_core.base import Conflict, InvalidInput, NotFound, unit_of_work, utcnow
from booking_core.outbox import add_redirect
from contact_centre.models import (
    LONGEST_CALL,
    AgentState,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallDevice,
    CallOutcome,
    Disposition,
    StaffUser,
)

ROUTE_PURPOSE = "route_caller"
DEFAULT_WRAP_UP_SECONDS = 30
# An agent ringing this long with no word from Twilio (a lost webhook) is freed.
RINGING_LIMIT = dt.timedelta(minutes=2)
# At most this many pairs per transaction (a queue of 100 callers meeting 100 agents
# who came on at once is still one short transaction each 50).
PAIRS_PER_TRANSACTION = 50


@dataclass(frozen=True)
class Route:
    """One decision: ``call_id`` (caller's ``Call`` row, Twilio ``call_sid``) goes to
    ``agent_id``; ``outbox_id`` is the redirect row that carries it out."""

    call_id: int
    call_sid: str
    agent_id: int
    outbox_id: int


class InvalidDisposition(InvalidInput):
    code = "invalid_disposition"


class AgentBusy(Conflict):
    """The agent is on a call, in its wrap-up, or being rung for a caller:
    ``details["reason"]`` is ``on_call``, ``wrap_up`` or ``ringing``."""

    code = "agent_busy"


# The states a call holds an agent in: routing skips them, and they leave them only
# when the call (and its wrap-up) ends.
BUSY_STATES = (AgentState.ON_CALL, AgentState.WRAP_UP)


def _after_the_call(agent: StaffUser, moment: dt.datetime,
                    otherwise: AgentState = AgentState.AVAILABLE) -> None:
    """The call and its wrap-up are over: the agent takes the state they asked for
    meanwhile (``state_after_call``), else ``otherwise``."""
    new_state = agent.state_after_call or otherwise
    agent.state_after_call = None
    if agent.state != new_state:
        agent.state = new_state
        agent.state_changed_at = moment


def start_outbound_call(session: Session, agent_id: int, moment: dt.datetime) -> StaffUser:
    """The agent places a call of their own (a callback): they are On a call from now,
    in the caller's transaction, under the agent row's lock, so routing (which takes
    that lock and picks only Available agents) can never ring them meanwhile. A Break
    or Offline agent returns to it after the call's wrap-up. Raises ``AgentBusy`` when a
    call already holds them (on a call, in wrap-up, or being rung), ``NotFound``."""
    agent = session.get(StaffUser, agent_id, with_for_update=True, populate_existing=True)
    if agent is None:
        raise NotFound("no such agent", entity="staff_user")
    if agent.state in BUSY_STATES:
        raise AgentBusy("finish your call first", reason=agent.state.value)
    if agent.connecting_call_id is not None:
        raise AgentBusy("a caller is ringing you", reason="ringing")
    agent.state_after_call = (agent.state if agent.state in (AgentState.BREAK,
                                                             AgentState.OFFLINE) else None)
    agent.state = AgentState.ON_CALL
    agent.state_changed_at = moment
    return agent


def outbound_call_answered(session: Session, agent_id: int, call_sid: str, *,
                           phone: str, language: str | None, moment: dt.datetime,
                           details: dict[str, Any]) -> Call:
    """The agent answered their leg of a call they placed (a callback's bridge): it is
    now their current call, a ``Call`` row like a routed caller's (direction
    ``outbound``, ``from_phone`` the citizen's number), so the desk, the screen pop and
    wrap-up's disposition are about it. In the caller's transaction, after the agent's
    lock; a repeated webhook (same ``call_sid``) returns the same row."""
    call = session.scalar(select(Call).where(Call.call_sid == call_sid).with_for_update())
    if call is None:
        call = Call(call_sid=call_sid, direction="outbound", from_phone=phone,
                    language=language, started_at=moment, answered_at=moment,
                    agent_id=agent_id, outcome=CallOutcome.AGENT, details=details)
        session.add(call)
        session.flush()
    return call


def _end_outbound_leg(session: Session, agent_id: int, call_sid: str | None,
                      moment: dt.datetime) -> tuple[int, bool]:
    """The agent's outbound call ``call_sid`` is over: its end is noted once. Returns
    its id (0 when there is no such call of theirs) and whether its end was already
    noted (a repeated or late word on it)."""
    if not call_sid:
        return 0, False
    call = session.scalar(select(Call).where(Call.call_sid == call_sid,
                                             Call.agent_id == agent_id).with_for_update())
    if call is None:
        return 0, False
    if call.ended_at is not None:
        return call.id, True
    call.ended_at = moment
    call.status = "completed"
    return call.id, False


def end_outbound_call(session: Session, agent_id: int | None, callback_id: int,
                      moment: dt.datetime, *, answered: bool, rung: bool = True,
                      call_sid: str | None = None) -> None:
    """The agent's own call for callback ``callback_id`` ended (in the caller's
    transaction, which locks the agent before the callback): its ``Call`` row (the
    agent's leg, ``call_sid``) ends; after a conversation the agent goes into wrap-up
    like after any call; when their own phone did not answer, on a break (a phone
    nobody answers must not be rung by routing), or the state they asked for; when
    the call was never placed (``rung`` False), as before it. Nothing changes while
    another call holds them, nor on a second word about a leg already ended."""
    if agent_id is None:
        return
    agent = session.get(StaffUser, agent_id, with_for_update=True)
    ended, already = _end_outbound_leg(session, agent_id, call_sid, moment)
    if agent is None or agent.state != AgentState.ON_CALL or already:
        return  # already = an earlier attempt's late word: the agent's call now is another
    another_callback = session.scalar(
        select(CallbackRequest.id).where(CallbackRequest.claimed_by_id == agent_id,
                                         CallbackRequest.status == CallbackStatus.CALLING,
                                         CallbackRequest.id != callback_id).limit(1))
    if another_callback is not None or _other_current_call(session, agent_id, ended):
        return  # a late word on an earlier call: the agent is on another one now
    if answered:
        agent.state = AgentState.WRAP_UP
        agent.state_changed_at = moment
    else:
        _after_the_call(agent, moment,
                        otherwise=AgentState.BREAK if rung else AgentState.AVAILABLE)


def call_holds(session: Session, agent: StaffUser, now: dt.datetime | None = None) -> bool:
    """Whether a call holds the agent now: a caller ringing them, or, On a call, a call
    of theirs on the line or a callback they are calling (its result not yet in). An
    agent On a call whom none of these holds is left in a state nothing will end (a
    lost webhook): they may choose their state again."""
    if agent.connecting_call_id is not None:
        return True
    if agent.state != AgentState.ON_CALL:
        return False
    if session.scalar(select(Call.id).where(*_on_the_line(agent.id, now or utcnow()))
                      .limit(1)) is not None:
        return True
    return session.scalar(
        select(CallbackRequest.id).where(CallbackRequest.claimed_by_id == agent.id,
                                         CallbackRequest.status == CallbackStatus.CALLING)
        .limit(1)) is not None


def can_take_calls(agent: StaffUser) -> bool:
    """An agent has somewhere to ring: a phone number, or the browser console."""
    return agent.call_device == CallDevice.BROWSER or bool(agent.phone)


def _free_agent(session: Session, agent_id: int | None) -> StaffUser | None:
    """The available agent who has waited longest for a call (or ``agent_id`` if it is
    free), locked; None when nobody is free or the free ones are being decided on."""
    query = (
        select(StaffUser)
        .where(StaffUser.active.is_(True), StaffUser.state == AgentState.AVAILABLE,
               StaffUser.connecting_call_id.is_(None),
               StaffUser.hospital_id.is_(None),  # hospital staff: never the helpline's calls
               or_(StaffUser.call_device == CallDevice.BROWSER, StaffUser.phone.is_not(None)))
        .order_by(StaffUser.state_changed_at, StaffUser.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if agent_id is not None:
        query = query.where(StaffUser.id == agent_id)
    return session.scalar(query)


def _waiting_caller(session: Session) -> Call | None:
    return session.scalar(
        select(Call)
        .where(Call.waiting_since.is_not(None), Call.ended_at.is_(None))
        .order_by(Call.waiting_since, Call.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _pair(session: Session, agent: StaffUser, call: Call, now: dt.datetime) -> Route:
    call.agent_id = agent.id
    call.waiting_since = None
    call.details = {**call.details, "routed_at": now.isoformat(), "routed_to": agent.id,
                    "waited_from": (call.queued_at or now).isoformat()}
    agent.connecting_call_id = call.id
    row = add_redirect(session, call.call_sid, call.from_phone or "", ROUTE_PURPOSE,
                       call.language, {"call_id": call.id, "agent_id": agent.id},
                       dedupe_key=f"route:{call.id}:{agent.id}:{int(now.timestamp() * 1000)}")
    assert row is not None  # the key is new: a caller and agent pair once a millisecond
    call.details = {**call.details, "route_row": row.id}
    return Route(call_id=call.id, call_sid=call.call_sid, agent_id=agent.id, outbox_id=row.id)


def end_expired_wrap_ups(session: Session, wrap_up_seconds: int,
                         now: dt.datetime | None = None) -> int:
    """Agents whose wrap-up time is over become available, or take the state they
    asked for during the call (in the caller's transaction); returns how many."""
    moment = now or utcnow()
    cutoff = moment - dt.timedelta(seconds=max(0, wrap_up_seconds))
    result = session.execute(
        update(StaffUser)
        .where(StaffUser.state == AgentState.WRAP_UP, StaffUser.state_changed_at <= cutoff)
        .values(state=func.coalesce(StaffUser.state_after_call, AgentState.AVAILABLE),
                state_after_call=None, state_changed_at=moment)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def connect_waiting_callers(session: Session, *, wrap_up_seconds: int = DEFAULT_WRAP_UP_SECONDS,
                            now: dt.datetime | None = None) -> list[Route]:
    """Pair every free agent with a waiting caller, longest-waiting first, in one
    transaction; returns the decisions (their redirect rows are committed with them).
    Call it whenever either side changes: a caller queues, an agent becomes available,
    a wrap-up ends, a call ends. Safe to call from any number of processes at once."""
    moment = now or utcnow()
    routes: list[Route] = []
    with unit_of_work(session):
        end_expired_wrap_ups(session, wrap_up_seconds, moment)
        while len(routes) < PAIRS_PER_TRANSACTION:
            agent = _free_agent(session, None)
            if agent is None:
                break
            call = _waiting_caller(session)
            if call is None:
                break
            routes.append(_pair(session, agent, call, moment))
    return routes


def connect_next_caller(session: Session, agent_id: int, *,
                        wrap_up_seconds: int = DEFAULT_WRAP_UP_SECONDS,
                        now: dt.datetime | None = None) -> Route | None:
    """Connect the longest-waiting caller to this agent, if the agent is available and
    ringing for nobody; None otherwise (nobody waits, or the agent is busy)."""
    moment = now or utcnow()
    with unit_of_work(session):
        end_expired_wrap_ups(session, wrap_up_seconds, moment)
        agent = _free_agent(session, agent_id)
        if agent is None:
            return None
        call = _waiting_caller(session)
        if call is None:
            return None
        return _pair(session, agent, call, moment)


def _locked(session: Session, call_id: int, agent_id: int) -> tuple[StaffUser | None, Call | None]:
    """The agent's row, then the call's, locked (the one lock order)."""
    agent = session.get(StaffUser, agent_id, with_for_update=True)
    call = session.get(Call, call_id, with_for_update=True)
    return agent, call


def mark_bridged(session: Session, call_id: int, agent_id: int,
                 now: dt.datetime | None = None) -> bool:
    """The agent answered the routed call: it is now their current call and they are
    ON_CALL. False (nothing changed) when the call is no longer theirs to answer: the
    caller hung up, or it was given back to the queue."""
    moment = now or utcnow()
    with unit_of_work(session):
        agent, call = _locked(session, call_id, agent_id)
        if agent is None or call is None or call.agent_id != agent_id or call.ended_at:
            return False
        if call.answered_at is None:
            call.answered_at = moment
            if call.outcome is None or call.outcome == CallOutcome.ABANDONED:
                call.outcome = CallOutcome.AGENT
        if agent.connecting_call_id == call.id or agent.state != AgentState.ON_CALL:
            agent.connecting_call_id = None
            agent.state = AgentState.ON_CALL
            agent.state_changed_at = moment
    return True


def agent_missed(session: Session, call_id: int, agent_id: int,
                 now: dt.datetime | None = None) -> bool:
    """The agent's phone or browser did not take the call (busy, no answer, failed):
    the caller waits again, ahead of those who came after them, and the agent is put
    on a break until they choose Available again (or goes Offline, if they asked to
    while it rang). False when already settled."""
    moment = now or utcnow()
    with unit_of_work(session):
        agent, call = _locked(session, call_id, agent_id)
        if call is None or call.agent_id != agent_id or call.answered_at is not None:
            return False
        if agent is not None and agent.connecting_call_id == call_id:
            agent.connecting_call_id = None
            if agent.state == AgentState.AVAILABLE:
                _after_the_call(agent, moment, otherwise=AgentState.BREAK)
                agent.missed_call_at = moment  # the desk says why the break began
        call.agent_id = None
        if call.ended_at is None:
            waited_from = call.details.get("waited_from")
            call.waiting_since = (dt.datetime.fromisoformat(waited_from) if waited_from
                                  else call.queued_at or moment)
        call.details = {**call.details, "missed_by": [*call.details.get("missed_by", []),
                                                       agent_id][-10:]}
    return True


def end_routed_call(session: Session, call_sid: str, now: dt.datetime | None = None) -> bool:
    """The call ended (Twilio's status callback or the ``<Dial>`` ending): an agent who
    had answered it goes into wrap-up; an agent whose phone was still ringing is free
    again at once. The caller leaves the queue. False when the call was never routed."""
    moment = now or utcnow()
    with unit_of_work(session):
        found = session.execute(select(Call.id, Call.agent_id, Call.waiting_since)
                                .where(Call.call_sid == call_sid)).first()
        if found is None:
            return False
        call_id, agent_id, waiting_since = found
        if agent_id is None:
            if waiting_since is not None:  # hung up in the queue: routing skips them
                session.execute(update(Call).where(Call.id == call_id)
                                .values(waiting_since=None)
                                .execution_options(synchronize_session=False))
            return False
        agent, call = _locked(session, call_id, agent_id)
        if call is None:
            return False
        call.waiting_since = None
        call.ended_at = call.ended_at or moment
        if agent is None or call.agent_id != agent.id:
            return False
        if call.answered_at is None:
            if agent.connecting_call_id == call.id:
                agent.connecting_call_id = None  # still available, still first in line
                if agent.state == AgentState.AVAILABLE:
                    _after_the_call(agent, moment)  # unless they asked for a break
            return True
        if agent.connecting_call_id == call.id:
            # Answered (the queue recorded the bridge), but the step that puts the agent
            # on the call never came: they talked to this caller all the same, so wrap-up
            # as after any call, never "pick up the phone" until the stuck-agent sweep.
            agent.connecting_call_id = None
            if agent.state == AgentState.AVAILABLE:
                agent.state = AgentState.ON_CALL
        if agent.state == AgentState.ON_CALL and not _other_current_call(session, agent.id,
                                                                          call.id):
            agent.state = AgentState.WRAP_UP
            agent.state_changed_at = moment
    return True


def _other_current_call(session: Session, agent_id: int, call_id: int) -> bool:
    return session.scalar(
        select(Call.id).where(*_on_the_line(agent_id, utcnow()), Call.id != call_id).limit(1)
    ) is not None


def _on_the_line(agent_id: int, now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """The agent's calls they answered that have not ended (and, at most
    ``LONGEST_CALL`` old, may not have: one whose status callback was lost does not hold
    the agent on it for ever)."""
    return (Call.agent_id == agent_id, Call.ended_at.is_(None), Call.answered_at.is_not(None),
            Call.started_at >= now - LONGEST_CALL)


def release_failed_route(session: Session, call_id: int, agent_id: int) -> None:
    """Twilio refused to move the caller (their call had already ended): the agent is
    free again and the call leaves the queue. Runs in the caller's transaction."""
    agent = session.get(StaffUser, agent_id, with_for_update=True)
    call = session.get(Call, call_id, with_for_update=True)
    if agent is not None and agent.connecting_call_id == call_id:
        agent.connecting_call_id = None
        if agent.state == AgentState.AVAILABLE:
            _after_the_call(agent, utcnow())
    if call is not None and call.answered_at is None:
        call.waiting_since = None


def free_stuck_agents(session: Session, now: dt.datetime | None = None) -> int:
    """Agents ringing for longer than ``RINGING_LIMIT`` with no news (a lost webhook)
    are freed, and their caller waits again unless the call ended. An agent On a call
    for longer than ``LONGEST_CALL`` (Twilio's longest call: the end of their routed
    call or callback was never reported) goes into wrap-up."""
    moment = now or utcnow()
    freed = 0
    with unit_of_work(session):
        stuck = session.execute(
            select(StaffUser.id, StaffUser.connecting_call_id)
            .where(StaffUser.connecting_call_id.is_not(None))).all()
        for agent_id, call_id in stuck:
            if call_id is None:
                continue
            agent, call = _locked(session, call_id, agent_id)
            if agent is None or agent.connecting_call_id != call_id:
                continue
            routed = (call.details.get("routed_at") if call is not None else None)
            if routed and moment - dt.datetime.fromisoformat(routed) < RINGING_LIMIT:
                continue
            agent.connecting_call_id = None
            if agent.state == AgentState.AVAILABLE:
                _after_the_call(agent, moment)
            if call is not None and call.answered_at is None and call.agent_id == agent_id:
                call.agent_id = None
                if call.ended_at is None:
                    call.waiting_since = call.queued_at or moment
            freed += 1
        held = session.execute(
            update(StaffUser)
            .where(StaffUser.state == AgentState.ON_CALL,
                   StaffUser.state_changed_at < moment - LONGEST_CALL)
            .values(state=AgentState.WRAP_UP, state_changed_at=moment)
            .execution_options(synchronize_session=False))
        freed += int(held.rowcount or 0)  # type: ignore[attr-defined]
    return freed


def current_call(session: Session, agent_id: int, now: dt.datetime | None = None) -> Call | None:
    """The agent's current call: answered by them, not ended, started within
    ``LONGEST_CALL``."""
    return session.scalar(
        select(Call).where(*_on_the_line(agent_id, now or utcnow()))
        .order_by(Call.answered_at.desc()).limit(1))


def last_call(session: Session, agent_id: int) -> Call | None:
    """The last call the agent took that has ended, routed to them or placed by them
    (the one wrap-up is about)."""
    return session.scalar(
        select(Call).where(Call.agent_id == agent_id, Call.ended_at.is_not(None),
                           Call.answered_at.is_not(None))
        .order_by(Call.ended_at.desc(), Call.id.desc()).limit(1))


def finish_wrap_up(session: Session, agent_id: int, disposition: str,
                   now: dt.datetime | None = None, *,
                   wrap_up_seconds: int = DEFAULT_WRAP_UP_SECONDS,
                   call_id: int | None = None) -> Call:
    """Store the disposition of a call and end the agent's wrap-up if it is about that
    call: they are available again (or take the state they asked for during the call)
    and the next waiting caller is connected (routing's own transaction, after this
    one). ``call_id`` is the call the agent's form was about (one of theirs that they
    answered and that has ended, inbound or outbound); without it, their last call
    (``last_call``). An agent no longer in wrap-up may still set it; their state does
    not change then, nor when the call is an earlier one than the wrap-up's. Raises
    ``InvalidDisposition``, or ``NotFound`` when there is no such call of theirs."""
    try:
        code = Disposition(disposition)
    except ValueError as exc:
        raise InvalidDisposition("choose how the call ended", field="disposition") from exc
    moment = now or utcnow()
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id, with_for_update=True)
        if agent is None:
            raise NotFound("no such agent", entity="staff_user")
        last = last_call(session, agent_id)
        call = last if call_id is None or (last and last.id == call_id) else session.scalar(
            select(Call).where(Call.id == call_id, Call.agent_id == agent_id,
                               Call.answered_at.is_not(None), Call.ended_at.is_not(None)))
        if call is None:
            raise NotFound("no call to sum up", entity="call")
        call.disposition = code
        ended_wrap_up = agent.state == AgentState.WRAP_UP and call is last
        if ended_wrap_up:
            _after_the_call(agent, moment)
    if ended_wrap_up and agent.state == AgentState.AVAILABLE:
        connect_waiting_callers(session, wrap_up_seconds=wrap_up_seconds, now=moment)
    return call
