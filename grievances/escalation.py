"""The clock's consequences, run by the scheduler (``helpline/grievance_jobs.py``).

``run_escalations`` escalates every open grievance whose acknowledgement or
resolution deadline has passed to a supervisor (level 0 to 1), escalates an appeal
that passes its own deadline to the senior officers (level 2 to 3), tells the people
responsible (``grievances.notifications``: a console badge and an SMS, in the same
transaction) and the citizen (an SMS in their language, ``tell_citizen``), and
closes grievances resolved more than ``AUTO_CLOSE_DAYS`` ago (which queues the
citizen's follow-up call). Each row is changed by a conditional UPDATE, so
two schedulers running at once, or one running twice, escalate a grievance exactly once.

``escalate_grievance`` is the same step taken by a person before any deadline passes (a
citizen threatening harm, a death or serious harm alleged, a case the desk cannot solve,
a repeat complaint): the same levels, the same conditional UPDATE (``_raise_level``) and
the same notifications, with who raised it and why.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from booking_core.base import Conflict, InvalidInput, NotFound, unit_of_work, utcnow
from contact_centre.models import StaffUser
from grievances.access import may_see
from grievances.models import OPEN_STATUSES, Grievance, GrievanceEvent, GrievanceStatus
from grievances.notifications import notify_escalation
from grievances.services import record_event
from grievances.sla import DEFAULT_TZ, start_clock
from grievances.workflow import (
    MAX_REOPEN_REASON,
    close_grievance,
    load_for_update,
    require_open,
    text_to_citizen,
)

log = logging.getLogger(__name__)

AUTO_CLOSE_DAYS = 7
# Escalation levels (``Grievance.escalation_level``): what each level escalates to, and
# what the people responsible are told when a passed deadline did it.
# The levels: 0 not escalated, 1 with the supervisors, 2 a citizen's appeal, 3 the
# appeal with the senior officers.
APPEAL_WITH_SENIOR_OFFICERS = 3
ESCALATIONS = {0: (1, "grievance_escalated"), 2: (3, "appeal_overdue")}
# ... and when a person did it by hand. Only these levels escalate: at 1 the grievance is
# already with the supervisors, at 3 with the senior officers (and 1 to 2 is the
# citizen's appeal, never staff's).
BY_HAND = {0: "escalated_by_staff", 2: "appeal_escalated_by_staff"}
# What the citizen is told when their complaint moves up, by the clock or by hand: to
# the supervisors (level 1), or their appeal to the senior officers (level 3). Once per
# grievance and level, whoever escalated it.
CITIZEN_SMS = {1: "grievance_escalated", APPEAL_WITH_SENIOR_OFFICERS: "grievance_appeal_escalated"}
MAX_ESCALATION_REASON = MAX_REOPEN_REASON  # characters, like a reopening's reason
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
            grievance = _raise_level(session, grievance_id, level, now)
            if grievance is None:
                continue
            breached = ("acknowledge" if grievance.acknowledged_at is None
                        and grievance.acknowledge_due_at is not None
                        and grievance.acknowledge_due_at < now else "resolve")
            record_event(session, grievance, "escalated", actor=SYSTEM, channel=SYSTEM,
                         deadline=breached, level=to_level)
            notify_escalation(session, grievance, kind, now=now)
            tell_citizen(session, grievance)
            escalated += 1
    return escalated


def _raise_level(session: Session, grievance_id: int, level: int,
                 now: dt.datetime) -> Grievance | None:
    """Move an open grievance from ``level`` to the next one in ``ESCALATIONS``, if it is
    still at ``level``: one conditional UPDATE, so of two escalations at once (two
    schedulers, two agents, a form sent twice) exactly one changes the row. Returns the
    reloaded grievance, or None when another got there first."""
    to_level = ESCALATIONS[level][0]
    changed = session.execute(  # type: ignore[attr-defined]
        update(Grievance)
        .where(Grievance.id == grievance_id, Grievance.escalation_level == level,
               Grievance.status.in_(OPEN_STATUSES))
        .values(escalation_level=to_level, escalated_at=now, status=GrievanceStatus.ESCALATED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return None
    return session.get_one(Grievance, grievance_id, populate_existing=True)


class AlreadyEscalated(Conflict):
    """The grievance is already with the supervisors (level 1) or, as an appeal, with
    the senior officers (level 3): escalating by hand has nowhere further to send it."""

    code = "already_escalated"


class GrievanceChanged(Conflict):
    """The grievance was escalated (or appealed) since the page was opened: look at it
    again before escalating."""

    code = "grievance_changed"


def may_escalate(grievance: Grievance) -> bool:
    """Whether the grievance is in a state staff may escalate by hand: open (not
    resolved or closed: reopen it first) and at a level that escalates (``BY_HAND``)."""
    return grievance.status in OPEN_STATUSES and grievance.escalation_level in BY_HAND


def escalate_grievance(
    session: Session, grievance_id: int, *, staff_id: int, reason: str,
    seen_level: int | None = None, channel: str = "agent", now: dt.datetime | None = None,
) -> Grievance:
    """A member of staff escalates a grievance now, without waiting for its deadline:
    one level up (0 to the supervisors, an appeal at 2 to the senior officers), the
    people responsible told by badge and SMS (``notify_escalation``), the citizen by
    SMS (``tell_citizen``) and an
    ``escalated_by_staff`` event with the reason and who, in one transaction.

    Anyone who may see the grievance may escalate it (``access.may_see``: a colleague on
    the phone with a citizen threatening harm need not be its assignee); another
    hospital's staff get ``NotFound``, as its page answers 404. The reason is required
    (1 to ``MAX_ESCALATION_REASON`` characters): ``InvalidInput``, field
    ``escalation_reason``. A resolved or closed grievance is refused
    (``InvalidTransition``: reopen it first), one already escalated too
    (``AlreadyEscalated``).

    ``seen_level`` is the level the form showed. A form sent twice escalates once: the
    second finds the grievance a level up, escalated by this same person from that
    level, and returns it unchanged. Escalated meanwhile by someone else, or appealed:
    ``AlreadyEscalated`` or ``GrievanceChanged``.
    """
    text = (reason or "").strip()
    if not text or len(text) > MAX_ESCALATION_REASON:
        raise InvalidInput(f"say why it is escalated (1 to {MAX_ESCALATION_REASON} characters)",
                           field="escalation_reason")
    now = now or utcnow()
    with unit_of_work(session):
        staff = session.get(StaffUser, staff_id)
        grievance = load_for_update(session, grievance_id)
        if staff is None or not may_see(staff, grievance):
            raise NotFound("no such grievance", entity="grievance")
        require_open(grievance)
        level = grievance.escalation_level if seen_level is None else seen_level
        raised = _raise_level(session, grievance.id, level, now) if level in BY_HAND else None
        if raised is None:
            if _escalated_by(session, grievance, staff_id, level):
                return grievance  # the same form again: done already
            if grievance.escalation_level not in BY_HAND:
                raise AlreadyEscalated("this grievance is already escalated",
                                       level=grievance.escalation_level)
            raise GrievanceChanged("this grievance changed since the page was opened",
                                   level=grievance.escalation_level)
        record_event(session, raised, "escalated_by_staff", actor=staff.username,
                     channel=channel, reason=text, level=raised.escalation_level,
                     staff_id=staff.id)
        notify_escalation(session, raised, BY_HAND[level], now=now, raised_by_id=staff.id,
                          reason=text)
        tell_citizen(session, raised)
    return raised


def tell_citizen(session: Session, grievance: Grievance) -> None:
    """The citizen's SMS for the level their grievance has just reached
    (``CITIZEN_SMS``), in their language, in the escalation's transaction. Staff's
    reason stays inside: the citizen hears that it moved up and to whom, never why."""
    template = CITIZEN_SMS.get(grievance.escalation_level)
    if template is not None:
        text_to_citizen(session, grievance, template, DEFAULT_TZ,
                        f"escalated:{grievance.escalation_level}")


def _escalated_by(session: Session, grievance: Grievance, staff_id: int, level: int) -> bool:
    """Whether the grievance's last escalation was this person's, from ``level``."""
    last = session.scalar(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id,
                                     GrievanceEvent.kind.in_(("escalated",
                                                              "escalated_by_staff")))
        .order_by(GrievanceEvent.id.desc()).limit(1))
    return (last is not None and last.kind == "escalated_by_staff"
            and last.details.get("staff_id") == staff_id
            and level in ESCALATIONS and grievance.escalation_level == ESCALATIONS[level][0])


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
