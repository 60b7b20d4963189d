"""Agents' availability and preferences."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from booking_core.base import InvalidInput, NotFound, unit_of_work, utcnow
from booking_core.outbox import add_call
from contact_centre.models import AgentState, StaffUser
from locales import LANGUAGES

# States an agent picks; ON_CALL is set by the telephony side.
SELECTABLE_STATES = (AgentState.AVAILABLE, AgentState.BREAK, AgentState.OFFLINE)


def set_agent_state(session: Session, agent_id: int, state: str,
                    now: dt.datetime | None = None) -> StaffUser:
    """Becoming available queues a call to the agent's phone that connects them to the
    longest-waiting caller in the agents' queue (the messaging side places it)."""
    try:
        new_state = AgentState(state)
    except ValueError as exc:
        raise InvalidInput("unknown state", field="state") from exc
    if new_state not in SELECTABLE_STATES:
        raise InvalidInput("unknown state", field="state")
    now = now or utcnow()
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id, with_for_update=True)
        if agent is None:
            raise NotFound("no such agent", entity="staff_user")
        if new_state == AgentState.AVAILABLE and not agent.phone:
            raise InvalidInput("add your phone number before taking calls", field="phone")
        changed = agent.state != new_state
        agent.state = new_state
        agent.state_changed_at = now
        if changed and new_state == AgentState.AVAILABLE and agent.phone:
            add_call(session, agent.phone, "agent_queue", agent.language,
                     {"agent_id": agent.id},
                     dedupe_key=f"agent:{agent.id}:queue:{int(now.timestamp())}")
    return agent


def set_agent_language(session: Session, agent_id: int, language: str) -> StaffUser:
    if language not in LANGUAGES:
        raise InvalidInput("language must be hi or en", field="language")
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id)
        if agent is None:
            raise NotFound("no such agent", entity="staff_user")
        agent.language = language
    return agent
