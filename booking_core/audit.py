"""The audit trail: who changed what, when, and the record before and after, as JSON.

Every service in ``booking_core.master_data`` writes one ``AuditEntry`` per record it
creates, changes or removes, inside its own transaction, so a change and its entry are
committed together or not at all. A callback's result saved or corrected by an agent
is recorded the same way (``contact_centre.callbacks.record_callback_outcome``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from booking_core.base import Base, UTCDateTime, enum_column, utcnow


class AuditAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


# What an entry may be about (``AuditEntry.entity``): master data, which its change log
# page lists, and callbacks' results.
MASTER_DATA_ENTITIES = ("hospital", "department", "schedule", "closure", "holiday")
AUDITED_ENTITIES = (*MASTER_DATA_ENTITIES, "callback")


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # a console username
    entity: Mapped[str] = mapped_column(String(20))
    # The record's id (or a holiday's ISO date): text, so every kind of key fits.
    entity_key: Mapped[str] = mapped_column(String(40))
    # The hospital the record belongs to, for its staff's view (none for a holiday).
    hospital_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, 8))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def record_change(
    session: Session, *, actor: str, entity: str, key: object, hospital_id: int | None,
    before: dict[str, Any] | None, after: dict[str, Any] | None,
) -> AuditEntry | None:
    """Add one entry for a change inside the caller's transaction. ``before`` is None
    for a new record, ``after`` None for a removed one; an update that changed nothing
    writes nothing (returns None)."""
    if entity not in AUDITED_ENTITIES:
        raise ValueError(f"not an audited entity: {entity}")
    if before is not None and after is not None and before == after:
        return None
    action = (AuditAction.CREATED if before is None else
              AuditAction.DELETED if after is None else AuditAction.UPDATED)
    entry = AuditEntry(actor=actor[:80], entity=entity, entity_key=str(key)[:40],
                       hospital_id=hospital_id, action=action, before=before, after=after)
    session.add(entry)
    return entry


def changed_fields(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field that differs, in a stable order."""
    before, after = entry.before or {}, entry.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [(f, before.get(f), after.get(f)) for f in fields if before.get(f) != after.get(f)]


def recent_entries(session: Session, *, hospital_id: int | None = None,
                   limit: int = 200) -> list[AuditEntry]:
    """The latest changes to master data, newest first; with ``hospital_id``, that
    hospital's only."""
    query = (select(AuditEntry).where(AuditEntry.entity.in_(MASTER_DATA_ENTITIES))
             .order_by(AuditEntry.id.desc()).limit(limit))
    if hospital_id is not None:
        query = query.where(AuditEntry.hospital_id == hospital_id)
    return list(session.scalars(query))
