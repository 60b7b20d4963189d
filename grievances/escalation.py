"""The clock's consequences, run by the scheduler (``helpline/grievance_jobs.py``).

``run_escalations`` escalates every open grievance whose acknowledgement or
resolution deadline has passed to a supervisor (level 0 to 1), escalates an appeal
that passes its own deadline to the senior officers (level 2 to 3), tells the people
responsible (``grievances.notifications``: a console badge and an SMS, in the same
transaction), and closes grievances resolved more than ``AUTO_CLOSE_DAYS`` ago (which
queues the citizen's follow-up call). Each row is changed by a conditional UPDATE, so
two schedulers running at once, or one running twice, escalate a grievance exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from grievances.models import OPEN_STATUSES, Grievance, GrievanceStatus
from grievances.notifications import notify_escalation
from grievances.services import record_event
from grievances.sla import DEFAULT_TZ, start_clock
from grievances.workflow import close_grievance

log = logging.getLogger(__name__)

AUTO_CLOSE_DAYS = 7
# Escalation levels (``Grievance.escalation_level``): what a passed deadline moves to.
ESCALATIONS = {0: (1, "grievance_escalated"), 2: (3, "appeal_overdue")}
BATCH = 500
SYSTEM = "system"


def escalate_overdue(session: Session, *, now: dt.datetime | None = None,
                     tz: str = DEFAULT_TZ) -> int:
    """Escalate open, not yet escalated grievances past a deadline; returns how many."""
    now = now or utcnow()
    escalated = 0
    with unit_of_work(session):
        # Rows that never got deadlines (written by hand or before the clock existed).
        for grievance in session.scalars(
            select(Grievance).where(Grievance.resolve_due_at.is_(None),
                                    Grievance.status.in_(OPEN_STATUSES)).limit(BATCH)
        ):
            start_clock(session, grievance, grievance.created_at, tz)
    for level, (to_level, kind) in ESCALATIONS.items():
        escalated += _escalate_level(session, level, to_level, kind, now)
    if escalated:
        log.info("escalated %d overdue grievances", escalated)
    return escalated


def _escalate_level(session: Session, level: int, to_level: int, kind: str,
                    now: dt.datetime) -> int:
    escalated = 0
    with unit_of_work(session):
        late = session.scalars(
            select(Grievance.id)
            .where(
                Grievance.status.in_(OPEN_STATUSES),
                Grievance.escalation_level == level,
                or_(Grievance.resolve_due_at < now,
                    (Grievance.acknowledged_at.is_(None)) & (Grievance.acknowledge_due_at < now)),
            )
            .order_by(Grievance.resolve_due_at)
            .limit(BATCH)
        ).all()
        for grievance_id in late:
            changed = session.execute(  # type: ignore[attr-defined]
                update(Grievance)
                .where(Grievance.id == grievance_id, Grievance.escalation_level == level,
                       Grievance.status.in_(OPEN_STATUSES))
                .values(escalation_level=to_level, escalated_at=now,
                        status=GrievanceStatus.ESCALATED)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not changed:
                continue
            grievance = session.get_one(Grievance, grievance_id, populate_existing=True)
            breached = ("acknowledge" if grievance.acknowledged_at is None
                        and grievance.acknowledge_due_at is not None
                        and grievance.acknowledge_due_at < now else "resolve")
            record_event(session, grievance, "escalated", actor=SYSTEM, channel=SYSTEM,
                         deadline=breached, level=to_level)
            notify_escalation(session, grievance, kind, now=now)
            escalated += 1
    return escalated


def close_long_resolved(session: Session, *, now: dt.datetime | None = None,
                        after_days: int = AUTO_CLOSE_DAYS) -> int:
    """Close grievances resolved ``after_days`` ago that nobody closed by hand."""
    now = now or utcnow()
    ids = session.scalars(
        select(Grievance.id).where(
            Grievance.status == GrievanceStatus.RESOLVED,
            Grievance.resolved_at < now - dt.timedelta(days=after_days),
        ).limit(BATCH)
    ).all()
    session.rollback()  # end the read so each close runs its own transaction
    for grievance_id in ids:
        close_grievance(session, grievance_id, actor=SYSTEM, channel=SYSTEM, now=now)
    return len(ids)
