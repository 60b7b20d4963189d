"""What the calls we place to agents change: callback bridges and queue pickups.

Outbound calls are outbox rows (``booking_core.outbox.add_call``); Twilio's webhooks for
those calls report here, so the console sees each callback's outcome and each queued
caller's answer time and agent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from contact_centre.models import Call, CallbackRequest, CallbackStatus

FINISHED = (CallbackStatus.DONE, CallbackStatus.FAILED)


def begin_callback_bridge(session: Session, callback_id: int, agent_id: int | None,
                          now: dt.datetime | None = None) -> CallbackRequest | None:
    """The agent answered: we now dial the citizen. None if there is nothing to bridge
    (unknown id, or the callback was already finished)."""
    with unit_of_work(session):
        callback = session.get(CallbackRequest, callback_id)
        if callback is None or callback.status in FINISHED:
            return None
        callback.status = CallbackStatus.CALLING
        if agent_id is not None and callback.claimed_by_id is None:
            callback.claimed_by_id = agent_id
            callback.claimed_at = now or utcnow()
    return callback


def record_callback_outcome(session: Session, callback_id: int, dial_status: str,
                            now: dt.datetime | None = None) -> CallbackRequest | None:
    """The bridge ended: ``completed`` or ``answered`` means the citizen was reached;
    busy, no-answer, failed or canceled means not. Recording twice keeps the first."""
    with unit_of_work(session):
        callback = session.get(CallbackRequest, callback_id)
        if callback is None or callback.status in FINISHED:
            return callback
        reached = dial_status in ("completed", "answered")
        callback.status = CallbackStatus.DONE if reached else CallbackStatus.FAILED
        callback.outcome = "reached" if reached else f"citizen_{dial_status or 'unknown'}"
        callback.completed_at = now or utcnow()
    return callback


def agent_missed_callback(session: Session, callback_id: int, call_status: str) -> None:
    """The agent's own phone did not answer: the callback goes back to the waiting list
    for anyone to take, with the reason noted."""
    with unit_of_work(session):
        callback = session.get(CallbackRequest, callback_id)
        if callback is None or callback.status in FINISHED:
            return
        callback.status = CallbackStatus.WAITING
        callback.claimed_by_id = None
        callback.claimed_at = None
        callback.outcome = f"agent_{call_status or 'unknown'}"


def mark_queue_call_answered(session: Session, call_sid: str, agent_id: int,
                             now: dt.datetime | None = None) -> Call | None:
    """A waiting caller was connected to an agent from the queue."""
    with unit_of_work(session):
        call = session.scalar(select(Call).where(Call.call_sid == call_sid))
        if call is None:
            return None
        if call.answered_at is None:
            call.answered_at = now or utcnow()
            call.agent_id = agent_id
    return call
