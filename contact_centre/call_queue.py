"""The agent queue in the call log: when a caller joined it, how they left it
(Twilio's ``QueueResult``), and the wait a new caller can expect. (Callback requests:
``contact_centre.callbacks.request_callback``.)

What the console can rely on: ``queued_at`` (the caller entered the agent queue),
``answered_at`` (an agent took the call: ``queued_at`` + Twilio's ``QueueTime``),
``details["queue_result"]`` (bridged, hangup, leave, queue-full, ...), and
``contact_centre.models.queue_fate``, the one rule that turns them into waiting,
answered, callback or abandoned.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from booking_core.base import utcnow
from contact_centre.call_log import FINAL_OUTCOMES, change_call
from contact_centre.models import (
    QUEUE_ABANDONED,
    QUEUE_ANSWERED,
    AgentState,
    Call,
    CallOutcome,
    Role,
    StaffUser,
)


def mark_queued(session: Session, call_sid: str, now: dt.datetime | None = None, *,
                from_phone: str | None = None, direction: str = "inbound") -> None:
    """The caller entered the agent queue (the wallboard's "in queue now"), and waits
    for routing (``contact_centre.routing``) to pick them, in order of arrival.
    ``from_phone`` and ``direction`` make the call's row should it have none yet (as
    ``call_log.call_row``: a call the helpline placed names the number it called)."""
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
    change_call(session, call_sid, from_phone, change, direction=direction)


# ``callback_already_booked``: the callback key found the number's request still open.
QUEUE_EXITS = frozenset({"callback", "callback_already_booked", "main", "emergency"})


@dataclass(frozen=True)
class QueueExit:
    """Where a caller who left the queue by a key asked to go, and the language that
    key chose (None when it chose none: a caller whose language was not known yet
    pressed a key that says no language, or the language was known already)."""

    to: str
    language: str | None = None


def note_queue_exit(session: Session, call_sid: str, exit_to: str,
                    language: str | None = None) -> None:
    """The caller pressed a key in the queue's wait music to leave it for ``exit_to``
    (``QUEUE_EXITS``). Twilio then ends the wait (``<Leave/>``) and reports only
    ``QueueResult=leave`` to the queue's action, whose URL was set when the caller
    entered the queue: it reads the exit back from ``record_queue_result``, with the
    ``language`` the key chose, if any."""
    if exit_to not in QUEUE_EXITS:
        raise ValueError(f"not a way out of the queue: {exit_to}")

    def change(call: Call) -> None:
        details = {k: v for k, v in call.details.items() if k != "queue_exit_language"}
        call.details = {**details, "queue_exit": exit_to,
                        **({"queue_exit_language": language} if language else {})}
    change_call(session, call_sid, None, change)


def record_queue_result(session: Session, call_sid: str, result: str, queue_seconds: int,
                        now: dt.datetime | None = None) -> QueueExit | None:
    """How the caller left the queue (Twilio's ``QueueResult`` and ``QueueTime``).
    Returns where a caller who left it by a key asked to go (``note_queue_exit``), once:
    a later wait in the queue starts without it."""
    moment = now or utcnow()
    exits: list[QueueExit] = []

    def change(call: Call) -> None:
        queued = call.queued_at or (moment - dt.timedelta(seconds=queue_seconds))
        call.queued_at = queued
        call.waiting_since = None  # out of the queue: routing no longer picks them
        exit_to = call.details.get("queue_exit")
        if result == "leave" and exit_to in QUEUE_EXITS:
            language = call.details.get("queue_exit_language")
            exits.append(QueueExit(exit_to, language if isinstance(language, str) else None))
        call.details = {**{k: v for k, v in call.details.items()
                           if k not in ("queue_exit", "queue_exit_language")},
                        "queue_result": result[:30], "queue_seconds": queue_seconds}
        if result in QUEUE_ANSWERED:
            call.answered_at = queued + dt.timedelta(seconds=queue_seconds)
            if call.outcome not in FINAL_OUTCOMES:
                call.outcome = CallOutcome.AGENT
        elif result in QUEUE_ABANDONED and call.outcome not in FINAL_OUTCOMES:
            call.outcome = CallOutcome.ABANDONED
    change_call(session, call_sid, None, change)
    return exits[0] if exits else None


# How far back the estimate looks, and how many answered calls it averages at most.
ESTIMATE_WINDOW = dt.timedelta(hours=1)
ESTIMATE_SAMPLE = 50


@dataclass(frozen=True)
class QueueEstimate:
    """What a new caller (or one at ``position``) can expect, and what it rests on."""

    waiting: int  # callers in the agent queue now
    wait_seconds: int  # expected wait at the position asked about
    measured: bool  # False: no recent answered call, the default per caller was used
    agents: int  # agents staffed (available, on a call or in wrap-up)
    handling_seconds: int | None  # recent average handling time, when measured
    available: int = 0  # agents free now (plus the one ringing for the caller asked about)

    @property
    def nobody_to_answer(self) -> bool:
        """No agent is staffed (available, on a call or in wrap-up): nobody will answer
        however long the caller waits, so ``wait_seconds`` promises nothing (it is the
        figures' answer for when someone signs in) and must not be announced."""
        return self.agents == 0


def estimate_queue(session: Session, *, position: int | None = None,
                   now: dt.datetime | None = None, call_sid: str | None = None,
                   default_wait_seconds: int = 120) -> QueueEstimate:
    """The expected wait for the caller at ``position`` (1 = next; default: a new caller,
    behind everyone waiting now), from the last hour's answered calls.

    The wait is 0 when the caller (``call_sid``) is being put through: routing is
    ringing an agent for them, or at least ``position`` agents are free (available and
    not being rung for another caller). Otherwise, with recent handling
    times and staffed agents (available, on a call or in wrap-up),
    each agent frees up once per average handling time, so the caller at position p waits about
    p x handling / agents; with answered waits but no handling time yet (calls still
    on), the average answered wait per caller ahead. Only with no answered call in the
    last hour does it fall back to ``default_wait_seconds`` per caller.
    """
    moment = now or utcnow()
    since = moment - ESTIMATE_WINDOW
    waiting = int(session.scalar(
        select(func.count()).select_from(Call).where(
            Call.queued_at >= since, Call.answered_at.is_(None), Call.ended_at.is_(None),
            Call.outcome == CallOutcome.AGENT,
        )
    ) or 0)
    place = max(1, position if position is not None else waiting + 1)
    answered = session.execute(
        select(Call.queued_at, Call.answered_at, Call.ended_at).where(
            Call.answered_at >= since, Call.queued_at.is_not(None))
        .order_by(Call.answered_at.desc()).limit(ESTIMATE_SAMPLE)
    ).all()
    available = StaffUser.state == AgentState.AVAILABLE
    ringing_for_this_call = (
        StaffUser.connecting_call_id == select(Call.id).where(Call.call_sid == call_sid)
        .scalar_subquery() if call_sid else false())
    staffed = session.execute(
        select(func.count(),
               func.count().filter(available, StaffUser.connecting_call_id.is_(None)),
               func.count().filter(available, ringing_for_this_call))
        .select_from(StaffUser).where(
            StaffUser.active.is_(True), StaffUser.role != Role.ADMIN,
            StaffUser.hospital_id.is_(None),
            StaffUser.state.in_((AgentState.AVAILABLE, AgentState.ON_CALL,
                                 AgentState.WRAP_UP)))
    ).one()
    agents, free, mine = (int(n or 0) for n in staffed)
    waits = [(a - q).total_seconds() for q, a, _ in answered if q is not None and a is not None]
    handling = [(e - a).total_seconds() for _, a, e in answered
                if a is not None and e is not None and e > a]
    average_handling = int(sum(handling) / len(handling)) if handling else None
    if mine or free >= place:
        # An agent is ringing for this caller, or one is free for them (routing rings
        # them next): no wait to announce, whatever the last hour's figures say.
        return QueueEstimate(waiting, 0, True, agents, average_handling, free + mine)
    if average_handling is not None and agents:
        seconds = math.ceil(place * average_handling / agents)
    elif waits:
        seconds = place * max(1, int(sum(waits) / len(waits)))
    else:
        return QueueEstimate(waiting, place * default_wait_seconds, False, agents,
                             average_handling, free)
    return QueueEstimate(waiting, seconds, True, agents, average_handling, free)


def queue_estimate(session: Session, now: dt.datetime | None = None,
                   default_wait_seconds: int = 120) -> tuple[int, int]:
    """(callers waiting now, expected wait in seconds for a new caller): see
    ``estimate_queue``."""
    estimate = estimate_queue(session, now=now, default_wait_seconds=default_wait_seconds)
    return estimate.waiting, estimate.wait_seconds
