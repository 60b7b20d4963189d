"""Side effects a call asks for, done once per request however often Twilio sends it.

Twilio retries a webhook that timed out and may deliver one twice; a caller's "1 to
confirm" must still book one appointment and register one grievance. The adapter
claims a key (unique index) before acting and stores the result after; a duplicate
sees the claim and reads the stored result instead of acting again.

Claims and results commit without waiting for the disk flush on PostgreSQL (two fsyncs
fewer per booking): a claim is visible to a duplicate as soon as it commits either way,
and the booking it guards commits durably, which flushes the claim with it. A crash
may lose only a result written after the booking: a retried webhook then finds a claim
without a result, waits, and is told "not possible": it never books twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking_core.base import Base, UTCDateTime, unit_of_work, utcnow
from contact_centre.call_log import relaxed_commit


class CallAction(Base):
    __tablename__ = "call_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # book, grievance
    # The reference the action produced; None while the first request is still working.
    result: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def claim_action(
    session: Session, key: str, *, call_sid: str, kind: str
) -> tuple[CallAction, bool]:
    """(the action row, True when this request claimed it and must act)."""
    try:
        with unit_of_work(session):
            relaxed_commit(session)
            existing = session.scalar(select(CallAction).where(CallAction.key == key))
            if existing is not None:
                return existing, False
            action = CallAction(key=key[:120], call_sid=call_sid[:64], kind=kind)
            session.add(action)
        return action, True
    except IntegrityError:
        # A concurrent duplicate claimed it between our read and our insert.
        with unit_of_work(session):
            found = session.scalar(select(CallAction).where(CallAction.key == key))
        if found is None:
            raise
        return found, False


def complete_action(session: Session, action_id: int, result: str) -> None:
    with unit_of_work(session):
        relaxed_commit(session)
        action = session.get(CallAction, action_id)
        if action is not None:
            action.result = result


def release_action(session: Session, action_id: int) -> None:
    """Forget a claim whose action failed, so the caller may try again."""
    with unit_of_work(session):
        session.execute(delete(CallAction).where(CallAction.id == action_id))


def action_result(session: Session, key: str) -> str | None:
    return session.scalar(select(CallAction.result).where(CallAction.key == key))
