"""The follow-up call after a grievance is closed: the citizen's answer and retries.

The answer is kept on the grievance's audit trail as a ``citizen_feedback`` event
(solved or not, channel ``ivr``). Reopening the grievance and opening an appeal on
"not solved" is the grievance workflow's rule, not ours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from booking_core.outbox import OutboxMessage, add_call
from grievances.models import Grievance
from grievances.services import record_event

PURPOSE = "grievance_followup"
MAX_ATTEMPTS = 3  # the first call and two retries
RETRY_AFTER = dt.timedelta(hours=2)
UNANSWERED = ("no-answer", "busy", "failed", "canceled")


def attempt_of(row: OutboxMessage) -> int:
    return int((row.params or {}).get("attempt", 1))


def record_followup_answer(session: Session, grievance_id: int, solved: bool,
                           call_sid: str) -> Grievance | None:
    """Keep what the citizen pressed; a repeated webhook for the same call is ignored."""
    with unit_of_work(session):
        grievance = session.get(Grievance, grievance_id)
        if grievance is None:
            return None
        if any(e.kind == "citizen_feedback" and e.details.get("call_sid") == call_sid
               for e in grievance.events):
            return grievance
        record_event(session, grievance, "citizen_feedback", actor="citizen", channel="ivr",
                     solved=solved, call_sid=call_sid)
    return grievance


def schedule_retry(session: Session, row: OutboxMessage, call_status: str,
                   now: dt.datetime | None = None) -> OutboxMessage | None:
    """Unanswered: queue the next attempt, up to ``MAX_ATTEMPTS`` calls in all. The
    dedupe key makes a repeated status callback queue it once."""
    attempt = attempt_of(row)
    if call_status not in UNANSWERED or attempt >= MAX_ATTEMPTS:
        return None
    params: dict[str, Any] = dict(row.params or {}) | {"attempt": attempt + 1}
    grievance_id = params.get("grievance_id")
    with unit_of_work(session):
        return add_call(
            session, row.to_phone, PURPOSE, row.language, params,
            not_before=(now or utcnow()) + RETRY_AFTER,
            dedupe_key=f"grievance:{grievance_id}:followup:{attempt + 1}",
            grievance_id=grievance_id,
        )
