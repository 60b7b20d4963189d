"""Grievance records and their audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking_core.base import Base, UTCDateTime, enum_column, utcnow
from booking_core.citizens import Citizen
from booking_core.holidays import PublicHoliday  # noqa: F401  (one table: the SLA's too)


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


# Grievances an agent can still act on, as SQL, for the partial indexes the queues use.
OPEN_SQL = "status NOT IN ('resolved', 'closed')"


class Grievance(Base):
    __tablename__ = "grievance"
    __table_args__ = (
        Index("ix_grievance_status_created", "status", "created_at"),
        # The queues: open grievances by resolution deadline, all and per assignee.
        Index("ix_grievance_open_due", "resolve_due_at", "id",
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
        Index("ix_grievance_open_assignee_due", "assigned_to_id", "resolve_due_at",
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
    )

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

    # Routing and service level (grievances/sla.py, grievances/workflow.py).
    desk: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(default=2, server_default="2")  # 1 urgent .. 3 low
    acknowledge_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolve_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # 0 with the agents' desk, 1 escalated to a supervisor (SLA breached), 2 an appeal
    # before a senior officer (the citizen said it was not solved), 3 an appeal past its
    # own deadline, escalated to the administrators as well.
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    appeal_opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    transfer_count: Mapped[int] = mapped_column(default=0, server_default="0")
    interim_reply_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    feedback_solved: Mapped[bool | None]
    feedback_rating: Mapped[int | None]
    feedback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    citizen: Mapped[Citizen] = relationship()
    events: Mapped[list[GrievanceEvent]] = relationship(
        back_populates="grievance", order_by="GrievanceEvent.id"
    )

    @property
    def shown_status(self) -> str:
        """The status as a citizen is told it, on every channel (phone, SMS, portal):
        ``escalated`` is with a supervisor; at level 3 (``APPEAL_WITH_SENIOR_OFFICERS``
        in ``grievances.escalation``) it is ``escalated_appeal``, the citizen's appeal
        with the senior officers, as their SMS said."""
        if self.status == GrievanceStatus.ESCALATED and self.escalation_level >= 3:
            return "escalated_appeal"
        return self.status.value

    @property
    def standing_reply(self) -> str | None:
        """The kind of the latest reply an agent sent the citizen (``called``,
        ``details``, ``action``: ``grievances.workflow.REPLY_KINDS``) while it still
        stands, else None. A reply speaks of the complaint as it was being worked on: a
        resolution, a closure or a reopening since supersedes it (the phone must never
        say "resolved" and "the hospital is taking action on it" together)."""
        if self.status not in OPEN_STATUSES:
            return None
        note = self.last_update_note or ""
        return note.removeprefix("sms.grievance_reply_") if note.startswith(
            "sms.grievance_reply_") else None


# What a ``GrievanceEvent.kind`` may say happened.
EVENT_KINDS = ("registered", "claimed", "acknowledged", "assigned", "unassigned", "note",
               "replied", "interim_reply", "transferred", "resolved", "closed", "reopened",
               "feedback", "appeal_opened", "escalated", "escalated_by_staff", "called")



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


class GrievanceRoute(Base):
    """Where a category goes and how fast: the desk that handles it, its priority and
    its service level. Rows are seeded by migration and edited by admins."""

    __tablename__ = "grievance_route"

    category: Mapped[GrievanceCategory] = mapped_column(
        enum_column(GrievanceCategory, 32), primary_key=True
    )
    desk: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(default=2)
    acknowledge_working_days: Mapped[int] = mapped_column(default=2)
    resolve_days: Mapped[int] = mapped_column(default=15)

