"""Grievance records and their audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking_core.base import Base, UTCDateTime, enum_column, utcnow
from booking_core.citizens import Citizen


class GrievanceCategory(enum.StrEnum):
    STAFF_BEHAVIOUR = "staff_behaviour"
    MEDICINES = "medicines_unavailable"
    CLEANLINESS = "cleanliness"
    APPOINTMENT = "appointment_opd"
    OTHER = "other"


class GrievanceStatus(enum.StrEnum):
    REGISTERED = "registered"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


OPEN_STATUSES = (
    GrievanceStatus.REGISTERED,
    GrievanceStatus.ACKNOWLEDGED,
    GrievanceStatus.IN_PROGRESS,
    GrievanceStatus.ESCALATED,
    GrievanceStatus.REOPENED,
)


class Grievance(Base):
    __tablename__ = "grievance"
    __table_args__ = (Index("ix_grievance_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    category: Mapped[GrievanceCategory] = mapped_column(
        enum_column(GrievanceCategory, 32)
    )
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospital.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # A voice message: Twilio's recording SID and URL, kept for the console to proxy.
    # The URL is never logged nor sent to a browser.
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(5), default="hi")
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[GrievanceStatus] = mapped_column(
        enum_column(GrievanceStatus, 16), default=GrievanceStatus.REGISTERED
    )
    # The last thing said to the citizen about it, in their language's message key.
    last_update_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    citizen: Mapped[Citizen] = relationship()
    events: Mapped[list[GrievanceEvent]] = relationship(
        back_populates="grievance", order_by="GrievanceEvent.id"
    )


class GrievanceEvent(Base):
    """Audit trail: who did what, when, from which channel."""

    __tablename__ = "grievance_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(8))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grievance: Mapped[Grievance] = relationship(back_populates="events")
