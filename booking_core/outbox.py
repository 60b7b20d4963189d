"""The outbox: messages to citizens and calls to place, written in the same
transaction as the change that causes them.

The domain only writes rows; delivery (RQ jobs, Twilio) reads them. Each row renders its
text from ``locales`` when written, so what an agent sees is what the citizen gets.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking_core.base import NEW_OUTBOX_KEY, Base, UTCDateTime, enum_column, utcnow
from locales import normalise_language, render


class OutboxKind(enum.StrEnum):
    SMS = "sms"
    CALL = "call"  # a call we place
    REDIRECT = "redirect"  # a call in progress sent to new TwiML (a caller to an agent)


# The outbound calls the outbox places (``OutboxMessage.template`` of a CALL row).
CALL_PURPOSES = ("agent_callback", "grievance_followup", "waiting_list_offer")
# What a REDIRECT row does to the call it names (``params["call_sid"]``).
REDIRECT_PURPOSES = ("route_caller",)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its time or a worker
    SENDING = "sending"  # a worker claimed it
    SENT = "sent"  # Twilio accepted it (has a SID)
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # no longer wanted (appointment cancelled or moved)
    SUPPRESSED = "suppressed"  # the citizen opted out


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_column(OutboxKind, 8))
    to_phone: Mapped[str] = mapped_column(String(20), index=True)
    template: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(5))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, 12), default=OutboxStatus.PENDING
    )
    # Not to be sent before this moment (reminders, quiet hours).
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # One row per purpose: "appointment:12:confirmation". A second write with the same
    # key is ignored, so retried requests never queue a message twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievance.id"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )
    # A failed row a supervisor dealt with (``messaging.resend``): when, who, and the
    # new row that carries it again when it was resent.
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    resent_as_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))


# Templates whose text carries a secret (one-time codes). Once Twilio holds the
# message, the row keeps only a masked body, so the database never holds a usable code
# longer than it takes to send it.
SECRET_TEMPLATES = frozenset({"otp_code"})
SCRUBBED_BODY = "[one-time code removed after sending]"

# ``NEW_OUTBOX_KEY`` (``booking_core.base``): the session.info key under which each
# transaction lists the outbox rows it wrote, so the wiring layer can wake a worker
# after commit.


def add_sms(
    session: Session,
    to_phone: str,
    template: str,
    language: str | None,
    params: dict[str, Any] | None = None,
    *,
    not_before: dt.datetime | None = None,
    dedupe_key: str | None = None,
    appointment_id: int | None = None,
    grievance_id: int | None = None,
    fresh_key: bool = False,
) -> OutboxMessage | None:
    """Queue an SMS rendered from ``locales`` message ``sms.<template>``.

    Returns None when a message with the same ``dedupe_key`` is already queued.
    ``fresh_key``: the key names something made in this same transaction, so no row
    can hold it yet: it is not looked up, and the row is written by
    ``flush_new_messages`` (several such rows are one INSERT); None is returned.
    """
    return _add(
        session, OutboxKind.SMS, to_phone, template, language, params or {},
        not_before=not_before, dedupe_key=None if fresh_key else dedupe_key,
        stored_key=dedupe_key, flush=not fresh_key,
        appointment_id=appointment_id, grievance_id=grievance_id,
        body=render(language, f"sms.{template}", **(params or {})),
    )


def add_call(
    session: Session,
    to_phone: str,
    purpose: str,
    language: str | None,
    params: dict[str, Any] | None = None,
    *,
    not_before: dt.datetime | None = None,
    dedupe_key: str | None = None,
    grievance_id: int | None = None,
) -> OutboxMessage | None:
    """Queue an outbound call (agent callback bridge, grievance follow-up, ...)."""
    return _add(
        session, OutboxKind.CALL, to_phone, purpose, language, params or {},
        not_before=not_before, dedupe_key=dedupe_key, grievance_id=grievance_id, body="",
    )


def add_redirect(
    session: Session,
    call_sid: str,
    to_phone: str,
    purpose: str,
    language: str | None,
    params: dict[str, Any],
    *,
    dedupe_key: str,
) -> OutboxMessage | None:
    """Queue a redirect of the call in progress ``call_sid`` (Twilio's call update):
    the call leaves what it is doing and runs ``/calls/<row id>/answer``. ``to_phone``
    is whom the call is with, for the console's lists and masked logs."""
    return _add(
        session, OutboxKind.REDIRECT, to_phone, purpose, language,
        {**params, "call_sid": call_sid}, not_before=None, dedupe_key=dedupe_key, body="",
    )


def _add(
    session: Session,
    kind: OutboxKind,
    to_phone: str,
    template: str,
    language: str | None,
    params: dict[str, Any],
    *,
    body: str,
    not_before: dt.datetime | None,
    dedupe_key: str | None,
    appointment_id: int | None = None,
    grievance_id: int | None = None,
    stored_key: str | None = None,
    flush: bool = True,
) -> OutboxMessage | None:
    """``dedupe_key`` is looked for first; the row keeps ``stored_key`` (default: it).
    Without ``flush`` the row waits for ``flush_new_messages`` (and None is returned)."""
    if dedupe_key is not None:
        exists = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if exists is not None:
            return None
    values: dict[str, Any] = {
        "kind": kind,
        "to_phone": to_phone,
        "template": template,
        "language": normalise_language(language),
        "params": params,
        "body": body,
        "not_before": not_before or utcnow(),
        "dedupe_key": stored_key or dedupe_key,
        "appointment_id": appointment_id,
        "grievance_id": grievance_id,
    }
    if not flush:
        session.info.setdefault(_UNFLUSHED_KEY, []).append(values)
        return None
    row = OutboxMessage(**values)
    session.add(row)
    session.flush()
    session.info.setdefault(NEW_OUTBOX_KEY, []).append(row.id)
    return row


_UNFLUSHED_KEY = "helpline.outbox_unflushed"
_INSERT_MESSAGES = insert(OutboxMessage).returning(OutboxMessage.id)


def flush_new_messages(session: Session) -> None:
    """Write the rows queued without a flush (one INSERT for all of them, the session's
    own pending changes left alone) and list them for the after-commit wake-up, like
    every other new row."""
    rows: list[dict[str, Any]] = session.info.pop(_UNFLUSHED_KEY, [])
    if rows:
        # Only the columns given (an ORM flush would name all twenty, NULLs included):
        # three rows then stay under the driver's limit for a statement it caches.
        ids = session.connection().scalars(_INSERT_MESSAGES, rows)
        session.info.setdefault(NEW_OUTBOX_KEY, []).extend(ids)


def cancel_pending(session: Session, *, appointment_id: int, templates: tuple[str, ...]) -> int:
    """Cancel messages not yet sent for an appointment (e.g. reminders after a cancel)."""
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.template.in_(templates),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ).all()
    for row in rows:
        row.status = OutboxStatus.CANCELLED
    return len(rows)


def cancel_pending_keys(session: Session, dedupe_keys: list[str]) -> int:
    """Cancel the messages and calls with these dedupe keys not yet sent (a waiting-list
    offer's SMS and call once its day has closed)."""
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.dedupe_key.in_(dedupe_keys),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ).all()
    for row in rows:
        row.status = OutboxStatus.CANCELLED
    return len(rows)
