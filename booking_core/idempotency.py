"""Use cases that must happen once, however often they are asked for.

Twilio retries a webhook that timed out and may deliver one twice; a caller's "1 to
confirm" must still book one appointment and register one grievance, and a retry must
hear the reference the first request produced. The adapter passes a key naming the
request (the call and its step); the use case claims the key, acts and records its
result in its own single transaction, so no crash can leave an action done without
its result, or a result without its action.

On PostgreSQL a duplicate arriving while the first request works waits on the key's
unique index until the first commits (then it reads the result) or rolls back (then it
acts itself); SQLite's write transactions run one at a time anyway.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking_core.base import Base, UTCDateTime, utcnow

MAX_KEY = 120


class IdempotencyRecord(Base):
    """One claimed key and the reference its use case produced (table ``call_action``,
    its name from when only calls used it)."""

    __tablename__ = "call_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY), unique=True)
    # Who asked (for the phone line, the call): for finding a call's actions.
    owner: Mapped[str] = mapped_column("call_sid", String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # book, grievance
    result: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


_CLAIM = insert(IdempotencyRecord)


def claim_key(session: Session, key: str, *, kind: str, owner: str,
              result: str | None = None) -> None:
    """Claim ``key`` inside the caller's open transaction, with its ``result`` (a use
    case knows its reference up front: the claim and the result are then one
    statement). A key claimed before raises ``IntegrityError`` (on PostgreSQL, once the
    other transaction has committed)."""
    session.connection().execute(_CLAIM, {"key": key[:MAX_KEY], "call_sid": owner[:64],
                                          "kind": kind, "result": result})


def earlier_result(session: Session, key: str) -> str | None:
    """The result recorded for ``key``, or None when it was never done."""
    return session.scalar(select(IdempotencyRecord.result)
                          .where(IdempotencyRecord.key == key[:MAX_KEY]))
