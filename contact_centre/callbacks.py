"""Callers who asked to be called back (written by the IVR), worked by agents.

A callback goes waiting -> claimed (one agent, decided by one conditional UPDATE) ->
calling (an outbound call in the outbox: Twilio rings the agent first, then bridges
the citizen) -> done, failed, or back to waiting when nobody answered. The attempt
ends with its result, saved by the agent or reported by Twilio, whichever comes
first; the agent's On a call ends with it (``routing.end_outbound_call``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booking_core.base import Conflict, InvalidInput, NotFound, unit_of_work, utcnow
from booking_core.outbox import add_call
from contact_centre.models import CallbackRequest, CallbackStatus, StaffUser
from contact_centre.routing import end_outbound_call, start_outbound_call
from grievances.models import Grievance
from grievances.services import record_event

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


# After Twilio reports how a bridged call ended, the agent who made it may still add
# what was said (or correct the outcome) for this long.
AMEND_WINDOW = dt.timedelta(hours=2)
IN_HAND = (CallbackStatus.CLAIMED, CallbackStatus.CALLING)
SETTLED = (CallbackStatus.DONE, CallbackStatus.FAILED)


def my_callbacks(session: Session, agent_id: int,
                 now: dt.datetime | None = None) -> list[CallbackRequest]:
    """The agent's callbacks in hand, and those settled in the last two hours (so the
    outcome Twilio reported can be completed with the agent's notes)."""
    since = (now or utcnow()) - AMEND_WINDOW
    return list(session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.claimed_by_id == agent_id,
               CallbackRequest.status.in_(IN_HAND)
               | (CallbackRequest.status.in_(SETTLED) & (CallbackRequest.completed_at >= since)))
        .order_by(CallbackRequest.claimed_at)
    ))


def settle(callback: CallbackRequest, outcome: str, now: dt.datetime,
           note: str | None = None) -> None:
    """Give a callback its outcome: done, failed, or back in the list for anyone."""
    callback.status = OUTCOMES[outcome]
    callback.outcome = note or outcome
    if callback.status == CallbackStatus.WAITING:
        callback.claimed_by_id = None
        callback.claimed_at = None
        callback.completed_at = None
    else:
        callback.completed_at = now


def _mine(session: Session, callback_id: int, agent_id: int,
          now: dt.datetime | None = None) -> CallbackRequest:
    callback = session.scalar(
        select(CallbackRequest).where(CallbackRequest.id == callback_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if callback is None:
        raise NotFound("no such callback", entity="callback")
    amendable = (
        callback.status in SETTLED and now is not None and callback.completed_at is not None
        and callback.completed_at >= now - AMEND_WINDOW
    )
    if callback.claimed_by_id != agent_id or not (callback.status in IN_HAND or amendable):
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
    citizen (the messaging side builds that call from ``callback_id``). The agent is
    On a call from this transaction on (``routing.start_outbound_call``: routing never
    rings them meanwhile), and in wrap-up when it ends. Raises ``AgentBusy`` while a
    call holds the agent (on a call, in wrap-up, being rung), ``NoAgentPhone``,
    ``CallbackTaken``."""
    if not agent.phone:
        raise NoAgentPhone("add your phone number to your account to make calls")
    now = now or utcnow()
    with unit_of_work(session):
        start_outbound_call(session, agent.id, now)  # the agent's lock, then the callback's
        callback = _mine(session, callback_id, agent.id)
        callback.status = CallbackStatus.CALLING
        add_call(session, agent.phone, "agent_callback", agent.language,
                 {"callback_id": callback.id, "agent_id": agent.id},
                 dedupe_key=f"callback:{callback.id}:call:{int(now.timestamp())}")
    return callback


def call_complainant(session: Session, grievance_id: int, *, agent: StaffUser,
                     now: dt.datetime | None = None) -> CallbackRequest:
    """Phone the citizen who filed a grievance, through the callbacks' bridge: a
    callback (reason ``complainant``) in this agent's hands and the same outbound call
    (Twilio rings the agent's phone, then dials the citizen), so the call's result and
    the agent's notes land on the agent's callback card like any callback's. The
    grievance's history records that the agent called.

    The agent is On a call from this transaction on, as for any callback.

    Errors: ``NoAgentPhone``, ``AgentBusy``, ``NotFound`` (no such grievance).
    """
    if not agent.phone:
        raise NoAgentPhone("add your phone number to your account to make calls")
    now = now or utcnow()
    with unit_of_work(session):
        start_outbound_call(session, agent.id, now)
        grievance = session.get(Grievance, grievance_id)
        if grievance is None:
            raise NotFound("no such grievance", entity="grievance")
        callback = CallbackRequest(phone=grievance.citizen.phone, language=grievance.language,
                                   reason="complainant", status=CallbackStatus.CALLING,
                                   requested_at=now, claimed_by_id=agent.id, claimed_at=now)
        session.add(callback)
        session.flush()
        add_call(session, agent.phone, "agent_callback", agent.language,
                 {"callback_id": callback.id, "agent_id": agent.id},
                 dedupe_key=f"callback:{callback.id}:call:{int(now.timestamp())}")
        record_event(session, grievance, "called", actor=agent.username, channel="agent",
                     callback_id=callback.id)
    return callback


def record_callback_outcome(session: Session, callback_id: int, *, agent_id: int,
                            outcome: str, notes: str = "",
                            now: dt.datetime | None = None) -> CallbackRequest:
    """What the agent says happened on a callback, with their notes.

    The result of the callback being called ends the attempt, whatever Twilio has
    said so far (in demo mode it never says anything): the agent's call for it ends
    and they go into wrap-up like after any call (``routing.end_outbound_call``),
    then Available or the state they asked for. While their own phone is still on
    the line (its leg answered, its end not yet reported) that call holds them until
    it ends. A later word from Twilio on this attempt changes nothing more."""
    if outcome not in OUTCOMES:
        raise InvalidInput("choose what happened on the call", field="outcome")
    if len(notes or "") > MAX_NOTES:
        raise InvalidInput(f"notes have at most {MAX_NOTES} characters", field="notes")
    now = now or utcnow()
    with unit_of_work(session):
        session.get(StaffUser, agent_id, with_for_update=True)  # the agent's lock first
        callback = _mine(session, callback_id, agent_id, now)
        calling = callback.status == CallbackStatus.CALLING
        settle(callback, outcome, now)
        callback.notes = (notes or "").strip() or None
        if calling:
            end_outbound_call(session, agent_id, callback.id, now, answered=True)
    return callback
