"""Callers who asked to be called back (written by the IVR), worked by agents.

A callback goes waiting -> claimed (one agent, decided by one conditional UPDATE) ->
calling (an outbound call in the outbox: Twilio rings the agent first, then bridges
the citizen) -> done, failed, or back to waiting when nobody answered.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booking_core.base import Conflict, InvalidInput, NotFound, unit_of_work, utcnow
from booking_core.outbox import add_call
from contact_centre.models import CallbackRequest, CallbackStatus, StaffUser

# What the agent says happened, and where the callback goes next.
OUTCOMES = {
    "reached": CallbackStatus.DONE,
    "wrong_number": CallbackStatus.FAILED,
    "no_answer": CallbackStatus.WAITING,  # back in the list for another try
}
MAX_NOTES = 1000


class CallbackTaken(Conflict):
    code = "callback_taken"


class NoAgentPhone(InvalidInput):
    code = "no_agent_phone"


def waiting_callbacks(session: Session, limit: int = 50) -> list[CallbackRequest]:
    """Oldest first: the longest-waiting citizen is called back first."""
    return list(session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.status == CallbackStatus.WAITING)
        .order_by(CallbackRequest.requested_at, CallbackRequest.id)
        .limit(limit)
    ))


def my_callbacks(session: Session, agent_id: int) -> list[CallbackRequest]:
    return list(session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.claimed_by_id == agent_id,
               CallbackRequest.status.in_((CallbackStatus.CLAIMED, CallbackStatus.CALLING)))
        .order_by(CallbackRequest.claimed_at)
    ))


def _mine(session: Session, callback_id: int, agent_id: int) -> CallbackRequest:
    callback = session.scalar(
        select(CallbackRequest).where(CallbackRequest.id == callback_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if callback is None:
        raise NotFound("no such callback", entity="callback")
    if callback.claimed_by_id != agent_id or callback.status not in (
        CallbackStatus.CLAIMED, CallbackStatus.CALLING
    ):
        raise CallbackTaken("this callback is not yours to work")
    return callback


def claim_callback(session: Session, callback_id: int, *, agent_id: int,
                   now: dt.datetime | None = None) -> CallbackRequest:
    """Take a waiting callback; of two agents clicking at once exactly one gets it."""
    now = now or utcnow()
    with unit_of_work(session):
        taken = session.execute(  # type: ignore[attr-defined]
            update(CallbackRequest)
            .where(CallbackRequest.id == callback_id,
                   CallbackRequest.status == CallbackStatus.WAITING)
            .values(status=CallbackStatus.CLAIMED, claimed_by_id=agent_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            if session.get(CallbackRequest, callback_id) is None:
                raise NotFound("no such callback", entity="callback")
            raise CallbackTaken("another agent has taken this callback")
        return _mine(session, callback_id, agent_id)


def call_back(session: Session, callback_id: int, *, agent: StaffUser,
              now: dt.datetime | None = None) -> CallbackRequest:
    """Queue the outbound call: Twilio calls the agent's phone first, then bridges the
    citizen (the messaging side builds that call from ``callback_id``)."""
    if not agent.phone:
        raise NoAgentPhone("add your phone number to your account to make calls")
    now = now or utcnow()
    with unit_of_work(session):
        callback = _mine(session, callback_id, agent.id)
        callback.status = CallbackStatus.CALLING
        add_call(session, agent.phone, "agent_callback", agent.language,
                 {"callback_id": callback.id},
                 dedupe_key=f"callback:{callback.id}:call:{int(now.timestamp())}")
    return callback


def record_callback_outcome(session: Session, callback_id: int, *, agent_id: int,
                            outcome: str, notes: str = "",
                            now: dt.datetime | None = None) -> CallbackRequest:
    if outcome not in OUTCOMES:
        raise InvalidInput("choose what happened on the call", field="outcome")
    if len(notes or "") > MAX_NOTES:
        raise InvalidInput(f"notes have at most {MAX_NOTES} characters", field="notes")
    now = now or utcnow()
    with unit_of_work(session):
        callback = _mine(session, callback_id, agent_id)
        callback.status = OUTCOMES[outcome]
        callback.outcome = outcome
        callback.notes = (notes or "").strip() or None
        if callback.status == CallbackStatus.WAITING:
            callback.claimed_by_id = None
            callback.claimed_at = None
        else:
            callback.completed_at = now
    return callback
