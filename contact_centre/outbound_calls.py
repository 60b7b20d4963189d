"""What Twilio tells us about the callback bridges we place to agents (queued callers
reach agents through ``contact_centre.routing``).

The console queues these calls (``contact_centre.callbacks.call_back``); Twilio's
webhooks for them report here, with the outcome words and next states of
``contact_centre.callbacks.OUTCOMES``, so the console shows each callback's result.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from contact_centre.callbacks import IN_HAND, settle
from contact_centre.models import CallbackRequest, CallbackStatus


def begin_callback_bridge(session: Session, callback_id: int) -> CallbackRequest | None:
    """The agent answered: we now dial the citizen. None when there is nothing to
    bridge (unknown id, or the callback is no longer in an agent's hands)."""
    with unit_of_work(session):
        callback = session.get(CallbackRequest, callback_id)
        if callback is None or callback.status not in IN_HAND:
            return None
        callback.status = CallbackStatus.CALLING
    return callback


def record_bridge_result(session: Session, callback_id: int, dial_status: str,
                         now: dt.datetime | None = None) -> CallbackRequest | None:
    """The bridge ended: ``completed`` or ``answered`` means the citizen was reached;
    busy, no-answer, failed or canceled puts the callback back in the waiting list.
    A repeated webhook changes nothing more."""
    with unit_of_work(session):
        callback = session.get(CallbackRequest, callback_id)
        if callback is None or callback.status != CallbackStatus.CALLING:
            return callback
        reached = dial_status in ("completed", "answered")
        settle(callback, "reached" if reached else "no_answer", now or utcnow())
    return callback


def agent_missed_callback(session: Session, callback_id: int, call_status: str) -> None:
    """The agent's own phone did not answer: the callback goes back to the list."""
    with unit_of_work(session):
        callback = session.get(CallbackRequest, callback_id)
        if callback is None or callback.status not in IN_HAND:
            return
        settle(callback, "no_answer", utcnow(), note=f"agent_{call_status or 'unknown'}")
