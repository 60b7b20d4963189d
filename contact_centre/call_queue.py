"""The agent queue in the call log: when a caller joined it, how they left it
(Twilio's ``QueueResult``), callback requests, and the wait a new caller can expect.

What the console can rely on: ``queued_at`` (the caller entered the agent queue),
``answered_at`` (an agent took the call: ``queued_at`` + Twilio's ``QueueTime``),
``details["queue_result"]`` (bridged, hangup, leave, queue-full, ...), and
``contact_centre.models.queue_fate``, the one rule that turns them into waiting,
answered, callback or abandoned.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from contact_centre.call_log import FINAL_OUTCOMES, call_row, change_call
from contact_centre.models import (
    QUEUE_ABANDONED,
    QUEUE_ANSWERED,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallOutcome,
)


def mark_queued(session: Session, call_sid: str, now: dt.datetime | None = None) -> None:
    """The caller entered the agent queue (the wallboard's "in queue now"), and waits
    for routing (``contact_centre.routing``) to pick them, in order of arrival."""
    moment = now or utcnow()

    def change(call: Call) -> None:
        if call.queued_at is None or call.details.get("queue_result"):
            call.queued_at = moment
            call.answered_at = None
            call.agent_id = None
            call.details = {k: v for k, v in call.details.items() if k != "queue_result"}
        if call.agent_id is None and call.answered_at is None and call.waiting_since is None:
            call.waiting_since = call.queued_at
        if call.outcome not in FINAL_OUTCOMES:
            call.outcome = CallOutcome.AGENT
    change_call(session, call_sid, None, change)


def record_queue_result(session: Session, call_sid: str, result: str, queue_seconds: int,
                        now: dt.datetime | None = None) -> None:
    """How the caller left the queue (Twilio's ``QueueResult`` and ``QueueTime``)."""
    moment = now or utcnow()

    def change(call: Call) -> None:
        queued = call.queued_at or (moment - dt.timedelta(seconds=queue_seconds))
        call.queued_at = queued
        call.waiting_since = None  # out of the queue: routing no longer picks them
        call.details = {**call.details, "queue_result": result[:30],
                        "queue_seconds": queue_seconds}
        if result in QUEUE_ANSWERED:
            call.answered_at = queued + dt.timedelta(seconds=queue_seconds)
            if call.outcome not in FINAL_OUTCOMES:
                call.outcome = CallOutcome.AGENT
        elif result in QUEUE_ABANDONED and call.outcome not in FINAL_OUTCOMES:
            call.outcome = CallOutcome.ABANDONED
    change_call(session, call_sid, None, change)


def request_callback(session: Session, *, phone: str, language: str, call_sid: str | None,
                     reason: str, now: dt.datetime | None = None) -> CallbackRequest:
    """Ask an agent to call this number back. One request per call: pressing the key
    twice, or Twilio retrying the webhook, leaves one request."""
    moment = now or utcnow()
    for attempt in range(2):
        try:
            with unit_of_work(session):
                existing = None
                if call_sid:
                    existing = session.scalar(
                        select(CallbackRequest).where(CallbackRequest.call_sid == call_sid))
                if existing is not None:
                    return existing
                request = CallbackRequest(phone=phone[:20], language=language,
                                          call_sid=call_sid, reason=reason[:40],
                                          status=CallbackStatus.WAITING, requested_at=moment)
                session.add(request)
                if call_sid:
                    call = call_row(session, call_sid)
                    call.outcome = CallOutcome.CALLBACK
            return request
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def queue_estimate(session: Session, now: dt.datetime | None = None,
                   default_wait_seconds: int = 120) -> tuple[int, int]:
    """(callers waiting now, expected wait in seconds for a new caller), from the
    last hour's calls: the average answered wait times the callers ahead, plus one."""
    moment = now or utcnow()
    since = moment - dt.timedelta(hours=1)
    waiting = session.scalar(
        select(func.count()).select_from(Call).where(
            Call.queued_at >= since, Call.answered_at.is_(None), Call.ended_at.is_(None),
            Call.outcome == CallOutcome.AGENT,
        )
    ) or 0
    answered = session.execute(
        select(Call.queued_at, Call.answered_at).where(
            Call.answered_at >= since, Call.queued_at.is_not(None))
        .order_by(Call.answered_at.desc()).limit(50)
    ).all()
    waits = [(a - q).total_seconds() for q, a in answered if q is not None and a is not None]
    if waits:
        average = sum(waits) / len(waits)
        per_caller = max(30, int(average))
    else:
        per_caller = default_wait_seconds
    return int(waiting), per_caller * (int(waiting) + 1)
