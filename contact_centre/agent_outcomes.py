"""What the agent says a call they answered came to (the call's disposition).

Kept in the call log row (``Call.details``: ``agent_outcome``, ``agent_notes``,
``agent_outcome_at``), beside what the phone line itself recorded (``Call.outcome``),
so reports can tell "the menu booked it" from "an agent booked it".
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.base import Conflict, InvalidInput, NotFound, unit_of_work, utcnow
from contact_centre.models import Call

# What an agent may say a call came to (``console.agentoutcome.<code>``).
AGENT_OUTCOMES = ("information", "booked", "grievance", "callback_promised", "transferred",
                  "wrong_number", "dropped")
MAX_NOTES = 1000
# After a call ends its agent may still record or correct its outcome this long.
AMEND_WINDOW = dt.timedelta(hours=2)


class CallNotYours(Conflict):
    code = "call_not_yours"


def record_agent_outcome(session: Session, call_id: int, *, agent_id: int, outcome: str,
                         notes: str = "", now: dt.datetime | None = None) -> Call:
    """Record the outcome of a call the agent answered, while it lasts or within
    ``AMEND_WINDOW`` after it ended; a second record replaces the first.

    Errors: ``InvalidInput`` (unknown outcome, notes over ``MAX_NOTES`` characters),
    ``NotFound``, ``CallNotYours`` (another agent's call, or too long ago).
    """
    if outcome not in AGENT_OUTCOMES:
        raise InvalidInput("choose what the call came to", field="outcome")
    text = (notes or "").strip()
    if len(text) > MAX_NOTES:
        raise InvalidInput(f"notes have at most {MAX_NOTES} characters", field="notes")
    now = now or utcnow()
    with unit_of_work(session):
        call = session.scalar(select(Call).where(Call.id == call_id).with_for_update()
                              .execution_options(populate_existing=True))
        if call is None:
            raise NotFound("no such call", entity="call")
        if call.agent_id != agent_id or call.answered_at is None or (
                call.ended_at is not None and call.ended_at < now - AMEND_WINDOW):
            raise CallNotYours("this call is not yours to record")
        call.details = {**(call.details or {}), "agent_outcome": outcome,
                        "agent_notes": text or None, "agent_outcome_at": now.isoformat()}
    return call
