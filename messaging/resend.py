"""Failed messages a supervisor deals with from the console: resend, or mark handled.

A failed or undelivered SMS can be resent once: the same text goes out again as a new
outbox row (``dedupe_key`` ``resend:<id>``), and the failed row records who handled it
and which row carries it again. The claim is one conditional UPDATE on the failed row
(``handled_at IS NULL``), in the same transaction as the new row, so two supervisors
pressing "resend" at once send one message: the second finds the row handled.
Calls are not redialled from here (a callback bridge needs an agent on the line) and
one-time codes are never resent (the citizen asks for a new one): both can only be
marked handled.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booking_core.base import Conflict, NotFound, unit_of_work, utcnow
from booking_core.outbox import (
    NEW_OUTBOX_KEY,
    SECRET_TEMPLATES,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)

FAILED_STATUSES = (OutboxStatus.FAILED, OutboxStatus.UNDELIVERED)


class AlreadyHandled(Conflict):
    code = "already_handled"


class NotResendable(Conflict):
    code = "not_resendable"


def can_resend(message: OutboxMessage) -> bool:
    return message.kind == OutboxKind.SMS and message.template not in SECRET_TEMPLATES


def _claim(session: Session, message_id: int, staff_id: int, now: dt.datetime) -> OutboxMessage:
    claimed = session.execute(  # type: ignore[attr-defined]
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.handled_at.is_(None),
               OutboxMessage.status.in_(FAILED_STATUSES))
        .values(handled_at=now, handled_by_id=staff_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        raise NotFound("no such message")
    if not claimed:
        raise AlreadyHandled("someone already dealt with this message")
    return message


def resend_failed_message(session: Session, message_id: int, *, staff_id: int,
                          now: dt.datetime | None = None) -> OutboxMessage:
    """Queue a failed SMS again (once) and return the new outbox row.

    Raises ``NotFound``, ``AlreadyHandled`` (resent or marked handled already, or not
    failed), ``NotResendable`` (a call or a one-time code)."""
    now = now or utcnow()
    with unit_of_work(session):
        current = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id))
        if current is not None and not can_resend(current):
            raise NotResendable("only text messages without a one-time code are resent")
        failed = _claim(session, message_id, staff_id, now)
        again = OutboxMessage(
            kind=failed.kind, to_phone=failed.to_phone, template=failed.template,
            language=failed.language, params=dict(failed.params), body=failed.body,
            not_before=now, dedupe_key=f"resend:{failed.id}",
            appointment_id=failed.appointment_id, grievance_id=failed.grievance_id)
        session.add(again)
        session.flush()
        failed.resent_as_id = again.id
        session.info.setdefault(NEW_OUTBOX_KEY, []).append(again.id)
    return again


def mark_failed_message_handled(session: Session, message_id: int, *, staff_id: int,
                                now: dt.datetime | None = None) -> OutboxMessage:
    """Take a failed message off the list without sending it (the citizen was phoned,
    the number was wrong). Raises ``NotFound`` or ``AlreadyHandled``."""
    with unit_of_work(session):
        return _claim(session, message_id, staff_id, now or utcnow())


def failed_messages(session: Session, limit: int = 200) -> list[OutboxMessage]:
    """Failed and undelivered messages nobody has dealt with yet, newest first."""
    return list(session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(FAILED_STATUSES), OutboxMessage.handled_at.is_(None))
        .order_by(OutboxMessage.updated_at.desc()).limit(limit)))
