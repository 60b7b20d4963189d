"""Telling supervisors about escalations: a badge in the console and an SMS.

When the clock escalates a grievance, or a member of staff escalates one by hand with a
reason (``grievances.escalation``), the supervisors
responsible for its hospital each get a ``StaffNotification`` row (the console's badge
counts the unseen ones) and, if their account has a phone, an SMS through the outbox, in
the same transaction as the escalation. Who is responsible: active supervisors attached
to the grievance's hospital; if it has none, the helpline's own supervisors (no
hospital); an appeal that passes its deadline goes to the administrators as well, the
senior officers an appeal is heard by. Each person is told once per grievance and kind
(a unique row and the SMS's dedupe key), however often the scheduler runs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from booking_core.base import Base, UTCDateTime, fit_words, unit_of_work, utcnow
from booking_core.hospitals import Hospital
from booking_core.outbox import add_sms
from contact_centre.models import Role, StaffUser
from grievances.models import Grievance
from locales import render

# What a notification says happened (``StaffNotification.kind``), and its SMS template:
# the clock's two (a deadline passed) and the same two raised by hand, with a reason.
NOTIFICATION_KINDS = ("grievance_escalated", "appeal_overdue",
                      "escalated_by_staff", "appeal_escalated_by_staff")
SMS_TEMPLATES = {"grievance_escalated": "supervisor_escalation",
                 "appeal_overdue": "supervisor_appeal_overdue",
                 "escalated_by_staff": "supervisor_escalated_by_staff",
                 "appeal_escalated_by_staff": "supervisor_escalated_by_staff"}
# Kinds about an appeal: the administrators are told as well.
APPEAL_KINDS = frozenset({"appeal_overdue", "appeal_escalated_by_staff"})


class StaffNotification(Base):
    __tablename__ = "staff_notification"
    __table_args__ = (
        UniqueConstraint("staff_id", "kind", "grievance_id"),
        Index("ix_staff_notification_unseen", "staff_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    kind: Mapped[str] = mapped_column(String(32))
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievance.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # An escalation by hand: who raised it and why (None for the clock's).
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reason_text: Mapped[str | None] = mapped_column(Text)  # their own words, not a code


def responsible_staff(session: Session, hospital_id: int | None, *,
                      appeal: bool = False) -> list[StaffUser]:
    """The supervisors an escalation of a grievance at ``hospital_id`` goes to (see the
    module's rule); with ``appeal``, the administrators too."""
    active = select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)
    people: list[StaffUser] = []
    supervisors = active.where(StaffUser.role == Role.SUPERVISOR)
    if hospital_id is not None:
        people = list(session.scalars(supervisors.where(StaffUser.hospital_id == hospital_id)))
    if not people:
        people = list(session.scalars(supervisors.where(StaffUser.hospital_id.is_(None))))
    if appeal or not people:
        people += list(session.scalars(active.where(StaffUser.role == Role.ADMIN)))
    return people


def notify_escalation(session: Session, grievance: Grievance, kind: str, *,
                      now: dt.datetime | None = None, raised_by_id: int | None = None,
                      reason: str | None = None) -> int:
    """Badge and SMS for each responsible person, inside the caller's transaction;
    returns how many people were newly told. An escalation by hand passes who raised it
    and why: the escalations page shows both."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = now or utcnow()
    hospital = session.get(Hospital, grievance.hospital_id) if grievance.hospital_id else None
    told = 0
    for person in responsible_staff(session, grievance.hospital_id,
                                    appeal=kind in APPEAL_KINDS):
        exists = session.scalar(select(StaffNotification.id).where(
            StaffNotification.staff_id == person.id, StaffNotification.kind == kind,
            StaffNotification.grievance_id == grievance.id))
        if exists is not None:
            continue
        session.add(StaffNotification(staff_id=person.id, kind=kind,
                                      grievance_id=grievance.id, created_at=now,
                                      raised_by_id=raised_by_id, reason_text=reason))
        told += 1
        if person.phone:
            lang = person.language
            name = (hospital.short_name(lang) if hospital
                    else render(lang, "grievance.helpline_name"))
            add_sms(session, person.phone, SMS_TEMPLATES[kind], lang,
                    {"reference": grievance.reference, "hospital": fit_words(name)},
                    dedupe_key=f"staff:{person.id}:{kind}:{grievance.id}",
                    grievance_id=grievance.id)
    session.flush()
    return told


def _within(hospital_id: int | None) -> ColumnElement[bool]:
    """Notifications whose grievance is at ``hospital_id`` (None: every grievance). A
    notification stays with the person it was written for, but a grievance moved to
    another hospital since, or an account attached to a hospital since, must not show
    another hospital's grievance (``StaffUser.grievance_hospital``)."""
    return true() if hospital_id is None else Grievance.hospital_id == hospital_id


def unseen_count(session: Session, staff_id: int, *, within_hospital: int | None) -> int:
    """The console badge: notifications this person has not looked at, about grievances
    they may see (``within_hospital``: their ``grievance_hospital``)."""
    return int(session.scalar(
        select(func.count()).select_from(StaffNotification)
        .join(Grievance, Grievance.id == StaffNotification.grievance_id)
        .where(StaffNotification.staff_id == staff_id, StaffNotification.seen_at.is_(None),
               _within(within_hospital))) or 0)


def notifications_for(session: Session, staff_id: int, *, within_hospital: int | None,
                      limit: int = 100) -> list[tuple[StaffNotification, Grievance]]:
    """This person's notifications, newest first, with their grievances; only about
    grievances at ``within_hospital`` when given (the account's ``grievance_hospital``)."""
    return [(n, g) for n, g in session.execute(
        select(StaffNotification, Grievance)
        .join(Grievance, Grievance.id == StaffNotification.grievance_id)
        .where(StaffNotification.staff_id == staff_id, _within(within_hospital))
        .order_by(StaffNotification.created_at.desc(), StaffNotification.id.desc())
        .limit(limit))]


def mark_seen(session: Session, staff_id: int, *, now: dt.datetime | None = None) -> int:
    """Clear this person's badge; returns how many notifications it covered."""
    with unit_of_work(session):
        return int(session.execute(  # type: ignore[attr-defined]
            update(StaffNotification)
            .where(StaffNotification.staff_id == staff_id, StaffNotification.seen_at.is_(None))
            .values(seen_at=now or utcnow())
            .execution_options(synchronize_session=False)).rowcount)
