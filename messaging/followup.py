"""The follow-up call after a grievance is closed: the citizen's answer and retries.

The answer goes to ``grievances.workflow.record_citizen_feedback`` (channel ``ivr``):
reopening the grievance and opening an appeal on "not solved" is the grievance
workflow's rule, not ours.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.orm import Session

from booking_core.base import DomainError, unit_of_work, utcnow
from booking_core.outbox import OutboxMessage, add_call
from grievances.models import Grievance
from grievances.workflow import CLOSED_STATUSES, record_citizen_feedback

log = logging.getLogger(__name__)

PURPOSE = "grievance_followup"
MAX_ATTEMPTS = 3  # the first call and two retries
RETRY_AFTER = dt.timedelta(hours=2)
UNANSWERED = ("no-answer", "busy", "failed", "canceled")


def attempt_of(row: OutboxMessage) -> int:
    return int((row.params or {}).get("attempt", 1))


def record_followup_answer(session: Session, grievance_id: int, solved: bool) -> bool:
    """Hand the citizen's answer to the grievance workflow (2 reopens it as an appeal).
    False when the workflow would not take it (e.g. the grievance was reopened by an
    agent meanwhile); the caller is thanked either way."""
    try:
        record_citizen_feedback(session, grievance_id, solved=solved, channel="ivr",
                                actor="citizen")
    except DomainError as exc:
        log.info("follow-up answer for grievance %s not taken: %s", grievance_id, exc.code)
        return False
    return True


def schedule_retry(session: Session, row: OutboxMessage, call_status: str,
                   now: dt.datetime | None = None) -> OutboxMessage | None:
    """Unanswered: queue the next attempt, up to ``MAX_ATTEMPTS`` calls in all. The
    dedupe key makes a repeated status callback queue it once."""
    attempt = attempt_of(row)
    if call_status not in UNANSWERED or attempt >= MAX_ATTEMPTS:
        return None
    params: dict[str, Any] = dict(row.params or {}) | {"attempt": attempt + 1}
    grievance_id = params.get("grievance_id")
    grievance = session.get(Grievance, grievance_id) if grievance_id else None
    if grievance is None or grievance.status not in CLOSED_STATUSES:
        return None  # reopened meanwhile: "was it solved?" is no longer the question
    with unit_of_work(session):
        return add_call(
            session, row.to_phone, PURPOSE, row.language, params,
            not_before=(now or utcnow()) + RETRY_AFTER,
            dedupe_key=f"grievance:{grievance_id}:followup:{attempt + 1}",
            grievance_id=grievance_id,
        )
