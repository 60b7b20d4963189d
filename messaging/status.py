"""Twilio's delivery news for a row: SMS status callbacks and call status callbacks.

Statuses only move forward (a late "sent" never overwrites "delivered"). A callback
whose SID no row holds yet, but whose URL names a row still waiting for its SID, is how
a row whose worker died after Twilio took the message learns its SID.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from booking_core.outbox import OutboxMessage, OutboxStatus

SMS_STATUSES = {
    "accepted": OutboxStatus.SENT, "queued": OutboxStatus.SENT,
    "sending": OutboxStatus.SENT, "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED, "read": OutboxStatus.DELIVERED,
    "undelivered": OutboxStatus.UNDELIVERED, "failed": OutboxStatus.FAILED,
}
RANK = {
    OutboxStatus.PENDING: 0, OutboxStatus.SENDING: 1, OutboxStatus.SENT: 2,
    OutboxStatus.DELIVERED: 3, OutboxStatus.UNDELIVERED: 3, OutboxStatus.FAILED: 3,
}


def row_for_callback(session: Session, sid: str, row_id: int | None) -> OutboxMessage | None:
    """The row a callback is about: by SID, else by the row id in the callback URL if
    that row has no SID yet (then the SID is attached)."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.twilio_sid == sid))
    if row is None and row_id is not None:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.twilio_sid is not None:
            return None
        row.twilio_sid = sid
        row.sent_at = row.sent_at or utcnow()
    return row


def advance(row: OutboxMessage, status: OutboxStatus, error: str | None,
            now: dt.datetime) -> bool:
    """Move ``row`` forward to ``status``; False when it is already as far or further."""
    if row.status not in RANK or RANK[status] <= RANK[row.status]:
        return False
    row.status = status
    row.updated_at = now
    if error:
        row.last_error = error[:300]
    return True


def record_sms_status(session: Session, *, sid: str, status: str, error_code: str | None,
                      row_id: int | None) -> OutboxMessage | None:
    """Apply one SMS status callback; unknown statuses and SIDs change nothing."""
    new = SMS_STATUSES.get(status.lower())
    with unit_of_work(session):
        row = row_for_callback(session, sid, row_id)
        if row is None or new is None:
            return row
        error = f"{error_code}: {status}" if error_code else None
        advance(row, new, error, utcnow())
    return row
