"""What Twilio tells us about the callback bridges we place to agents (queued callers
reach agents through ``contact_centre.routing``).

The console queues these calls (``contact_centre.callbacks.call_back``); Twilio's
webhooks for them report here, with the outcome words and next states of
``contact_centre.callbacks.OUTCOMES``, so the console shows each callback's result.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from contact_centre.callbacks import IN_HAND, settle
from contact_centre.models import CallbackRequest, CallbackStatus, StaffUser
from contact_centre.routing import end_outbound_call, outbound_call_answered


def begin_callback_bridge(session: Session, callback_id: int, *, call_sid: str = "",
                          agent_id: int | None = None,
                          now: dt.datetime | None = None) -> CallbackRequest | None:
    """The agent answered: we now dial the citizen. Their leg (``call_sid``) becomes
    their current call (``routing.outbound_call_answered``), so the wrap-up that
    follows is about it and not about an earlier caller. None when there is nothing to
    bridge (unknown id, or the callback is no longer in an agent's hands)."""
    moment = now or utcnow()
    with unit_of_work(session):
        agent_id, callback = _locked_callback(session, callback_id, agent_id)
        if not _in_hand_of(callback, agent_id):
            return None  # settled meanwhile, or another agent's attempt by now
        assert callback is not None
        callback.status = CallbackStatus.CALLING
        if agent_id is not None and call_sid:
            outbound_call_answered(session, agent_id, call_sid, phone=callback.phone,
                                   language=callback.language, moment=moment,
                                   details={"callback_id": callback.id})
    return callback


def _locked_callback(session: Session, callback_id: int, agent_id: int | None
                     ) -> tuple[int | None, CallbackRequest | None]:
    """The agent who placed the call (``agent_id``, from the call's outbox row; else
    the callback's), locked first (routing's lock order: the agent before anything
    else), then the callback, locked and re-read."""
    if agent_id is None:
        agent_id = session.scalar(select(CallbackRequest.claimed_by_id)
                                  .where(CallbackRequest.id == callback_id))
    if agent_id is not None:
        session.get(StaffUser, agent_id, with_for_update=True)
    callback = session.scalar(select(CallbackRequest).where(CallbackRequest.id == callback_id)
                              .with_for_update().execution_options(populate_existing=True))
    return agent_id, callback


def _in_hand_of(callback: CallbackRequest | None, agent_id: int | None) -> bool:
    """Whether the callback is still in the hands of the agent whose call this word is
    about: a late word on an attempt the agent settled (and another agent took up
    again) settles nothing. (The same agent calling it again before Twilio's word on
    their first attempt is not told apart: no attempt id is kept.)"""
    return (callback is not None and callback.status in IN_HAND
            and (agent_id is None or callback.claimed_by_id == agent_id))


def record_bridge_result(session: Session, callback_id: int, dial_status: str,
                         now: dt.datetime | None = None, *, agent_id: int | None = None,
                         call_sid: str = "") -> CallbackRequest | None:
    """The bridge ended: ``completed`` or ``answered`` means the citizen was reached;
    busy, no-answer, failed or canceled puts the callback back in the waiting list.
    Either way the agent talked on their phone: they go into wrap-up, also when they
    saved the callback's result before the bridge ended (that result stands). A
    repeated webhook changes nothing more."""
    moment = now or utcnow()
    with unit_of_work(session):
        agent_id, callback = _locked_callback(session, callback_id, agent_id)
        if callback is None:
            return None
        if callback.status == CallbackStatus.CALLING and _in_hand_of(callback, agent_id):
            reached = dial_status in ("completed", "answered")
            settle(callback, "reached" if reached else "no_answer", moment)
        end_outbound_call(session, agent_id, callback_id, moment, answered=True,
                          call_sid=call_sid)
    return callback


def agent_missed_callback(session: Session, callback_id: int, call_status: str, *,
                          agent_id: int | None = None) -> None:
    """The agent's own phone did not answer: the callback goes back to the list, and
    the agent on a break (``routing.end_outbound_call``)."""
    moment = utcnow()
    with unit_of_work(session):
        agent_id, callback = _locked_callback(session, callback_id, agent_id)
        if callback is None:
            return
        if _in_hand_of(callback, agent_id):
            settle(callback, "no_answer", moment, note=f"agent_{call_status or 'unknown'}")
        end_outbound_call(session, agent_id, callback_id, moment, answered=False)


def agent_call_ended(session: Session, callback_id: int, *,
                     agent_id: int | None = None, call_sid: str = "") -> None:
    """Twilio's last word on the agent's leg of a callback (``completed``): the agent's
    call is over whatever became of the bridge (a lost ``<Dial>`` action, the agent
    hanging up first, a bridge given up). An agent still On a call for it goes into
    wrap-up (the callback itself waits for the bridge's result, which may come after
    this); an agent on another call by now is left alone."""
    moment = utcnow()
    with unit_of_work(session):
        agent_id, callback = _locked_callback(session, callback_id, agent_id)
        if callback is None:
            return
        end_outbound_call(session, agent_id, callback_id, moment, answered=True,
                          call_sid=call_sid)


def callback_call_failed(session: Session, callback_id: int, agent_id: int | None) -> None:
    """Twilio refused to place the agent's call for good: the callback goes back to the
    list and the agent is free (not on a break: their phone was never rung). Runs in
    the caller's transaction."""
    agent_id, callback = _locked_callback(session, callback_id, agent_id)
    if callback is None:
        return
    moment = utcnow()
    if _in_hand_of(callback, agent_id):
        settle(callback, "no_answer", moment, note="call_failed")
    end_outbound_call(session, agent_id, callback_id, moment, answered=False,
                      rung=False)
