"""Agents' availability and their own profile (phone, where they take calls, language).

States: an agent picks Available, Break or Offline; routing (``contact_centre.routing``)
moves them to On a call when they answer a routed caller or start a callback, and to
Wrap-up when the call ends (for a callback: its result saved, or Twilio reporting its
end). Choosing Available while in wrap-up ends it early. Break or Offline chosen while
a call holds them is taken when the call and its wrap-up end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_core.base import (
    Forbidden,
    InvalidInput,
    NotFound,
    chosen_language,
    unit_of_work,
    utcnow,
)
from booking_core.phones import normalise_mobile
from contact_centre.callbacks import NoAgentPhone, return_claimed_callbacks
from contact_centre.models import (
    AgentState,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallDevice,
    StaffUser,
)
from contact_centre.routing import (
    DEFAULT_WRAP_UP_SECONDS,
    Route,
    call_holds,
    can_take_calls,
    connect_waiting_callers,
    current_call,
    last_call,
)

# States an agent picks; ON_CALL and WRAP_UP are set by routing.
SELECTABLE_STATES = (AgentState.AVAILABLE, AgentState.BREAK, AgentState.OFFLINE)


class InvalidAgentState(InvalidInput):
    code = "invalid_agent_state"


class InvalidCallDevice(InvalidInput):
    code = "invalid_call_device"


def set_agent_state(session: Session, agent_id: int, state: str,
                    now: dt.datetime | None = None, *,
                    wrap_up_seconds: int = DEFAULT_WRAP_UP_SECONDS
                    ) -> tuple[StaffUser, list[Route]]:
    """Change the agent's own state. Becoming available connects waiting callers at
    once (routing's own transaction, after this one commits); returns the agent and
    the routing decisions made. Raises ``Forbidden`` (a hospital's staff never take
    helpline calls), ``InvalidAgentState``, ``NoAgentPhone`` (an agent who takes calls
    on the phone has none on record) or ``NotFound``.

    While a call holds the agent (a caller ringing them, on a call, in wrap-up) their
    state is the call's: Break or Offline then does what a contact centre's "not ready
    after this call" does, it is kept as ``state_after_call`` (the returned agent's
    state is unchanged) and taken when the wrap-up ends, so the desk, the wallboard
    and routing never see an agent Offline in the middle of a conversation. Available
    during a call cancels such a request (the returned agent is still On a call: the
    console says they will be available once the call and its wrap-up are over);
    during wrap-up it ends the wrap-up now. An agent On a call whom no call holds any
    more (``routing.call_holds``: nothing on the line, no callback being called, no
    caller ringing) takes the state they choose at once."""
    try:
        new_state = AgentState(state)
    except ValueError as exc:
        raise InvalidAgentState("unknown state", field="state") from exc
    if new_state not in SELECTABLE_STATES:
        raise InvalidAgentState("that state is set by the calls themselves", field="state")
    now = now or utcnow()
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id, with_for_update=True)
        if agent is None:
            raise NotFound("no such agent", entity="staff_user")
        if new_state == AgentState.AVAILABLE and not agent.works_the_helpline:
            raise Forbidden("a hospital's staff take no helpline calls", field="state")
        if new_state == AgentState.AVAILABLE and not can_take_calls(agent):
            raise NoAgentPhone("add your phone number before taking calls", field="phone")
        held = call_holds(session, agent, now)  # On a call with nothing on the line: free
        if held or (agent.state == AgentState.WRAP_UP and new_state != AgentState.AVAILABLE):
            agent.state_after_call = None if new_state == AgentState.AVAILABLE else new_state
            return agent, []
        agent.state_after_call = None
        if agent.state != new_state:
            agent.state = new_state
            agent.state_changed_at = now
    routes: list[Route] = []
    if new_state == AgentState.AVAILABLE:
        routes = connect_waiting_callers(session, wrap_up_seconds=wrap_up_seconds, now=now)
    return agent, routes


def sign_out(session: Session, agent_id: int, now: dt.datetime | None = None) -> int:
    """What signing out of the console does to the agent's work, in one transaction:
    an Available agent goes Offline (routing would ring them; a call holding them
    keeps them until it ends, as ``set_agent_state`` says), and every callback they
    have claimed but are not calling goes back to the waiting list in its place
    (``callbacks.return_claimed_callbacks``), so nobody's callback waits for an agent
    who has gone home. One being called stays theirs until its call ends. Returns how
    many callbacks went back. Nothing happens for an account that no longer exists."""
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id, with_for_update=True)  # the agent's lock first
        if agent is None:
            return 0
        if agent.state == AgentState.AVAILABLE:
            set_agent_state(session, agent_id, AgentState.OFFLINE.value, now)
        return return_claimed_callbacks(session, agent)


def set_agent_language(session: Session, agent_id: int, language: str) -> StaffUser:
    """The agent's own console language, from the console's switch. Anything but one of
    the helpline's languages is refused (``chosen_language``): there is no default, a
    switch with no choice in it switches nothing."""
    language = chosen_language(language)
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id)
        if agent is None:
            raise NotFound("no such agent", entity="staff_user")
        agent.language = language
    return agent


def update_agent_profile(session: Session, agent_id: int, *, phone: str,
                         call_device: str) -> StaffUser:
    """The agent's own phone (any way an Indian mobile is written: ``98123 45678``,
    ``098123-45678``, ``+91 98123 45678``, ``0091...``; stored E.164) and where they
    take routed calls, saved together or not at all. An empty phone removes it, unless
    the agent takes calls on the phone and is available now. Raises ``InvalidMobile``
    (with ``details["reason"]``), ``InvalidCallDevice`` or ``NoAgentPhone``."""
    try:
        device = CallDevice(call_device)
    except ValueError as exc:
        raise InvalidCallDevice("take calls on phone or browser", field="call_device") from exc
    number = normalise_mobile(phone) if phone.strip() else None
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id, with_for_update=True)
        if agent is None:
            raise NotFound("no such agent", entity="staff_user")
        agent.phone = number
        agent.call_device = device
        if agent.state == AgentState.AVAILABLE and not can_take_calls(agent):
            raise NoAgentPhone("an available agent taking calls on the phone needs one",
                               field="phone")
    return agent


# A call without a disposition is offered for one this long after it ended.
DISPOSITION_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Desk:
    """What the agent's desk panel shows: their state, the call ringing them or in
    progress, the call to sum up, how long wrap-up has left, and callers waiting."""

    state: AgentState
    can_take_calls: bool
    ringing: Call | None
    current: Call | None
    to_sum_up: Call | None
    wrap_up_left: int  # seconds; 0 outside wrap-up
    callers_waiting: int
    on_callback: CallbackRequest | None = None  # the callback the agent is calling
    state_after_call: AgentState | None = None  # Break or Offline, once the call is over
    # On a break because a call rang them unanswered (``routing.agent_missed``).
    break_after_missed_call: bool = False


def agent_desk(session: Session, agent_id: int, *, wrap_up_seconds: int = DEFAULT_WRAP_UP_SECONDS,
               now: dt.datetime | None = None) -> Desk:
    """The agent's desk, read in one go (no writes)."""
    moment = now or utcnow()
    agent = session.get(StaffUser, agent_id)
    if agent is None:
        raise NotFound("no such agent", entity="staff_user")
    ringing = (session.get(Call, agent.connecting_call_id)
               if agent.connecting_call_id is not None else None)
    last = last_call(session, agent_id)
    recent = last is not None and last.ended_at is not None and (
        agent.state == AgentState.WRAP_UP
        or (last.disposition is None and moment - last.ended_at < DISPOSITION_WINDOW))
    left = 0
    if agent.state == AgentState.WRAP_UP:
        elapsed = (moment - agent.state_changed_at).total_seconds()
        left = max(0, int(wrap_up_seconds - elapsed))
    waiting = session.scalar(select(func.count()).select_from(Call).where(
        Call.waiting_since.is_not(None), Call.ended_at.is_(None))) or 0
    on_callback = session.scalar(
        select(CallbackRequest).where(CallbackRequest.claimed_by_id == agent_id,
                                      CallbackRequest.status == CallbackStatus.CALLING)
        .order_by(CallbackRequest.id.desc()).limit(1)
    ) if agent.state == AgentState.ON_CALL else None
    return Desk(state=agent.state, can_take_calls=can_take_calls(agent), ringing=ringing,
                current=current_call(session, agent_id), to_sum_up=last if recent else None,
                wrap_up_left=left, callers_waiting=int(waiting), on_callback=on_callback,
                state_after_call=agent.state_after_call,
                break_after_missed_call=(agent.state == AgentState.BREAK
                                         and agent.missed_call_at is not None
                                         and agent.missed_call_at == agent.state_changed_at))
