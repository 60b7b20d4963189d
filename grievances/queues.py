"""The lists agents work from: my queue, the team queue, filters and search.

Open grievances are read through partial indexes on the resolution deadline
(``ix_grievance_open_due``, ``ix_grievance_open_assignee_due``), so a page of the
queue costs the same with 50 or 50,000 grievances on file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import Select, and_, false, func, or_, select, text
from sqlalchemy.orm import Session, contains_eager

from booking_core.base import utcnow
from booking_core.citizens import Citizen
from booking_core.lookup import citizen_matches, read_term
from booking_core.refs import RefKind
from grievances.models import (
    OPEN_SQL,
    OPEN_STATUSES,
    Grievance,
    GrievanceCategory,
    GrievanceStatus,
)

PAGE_SIZE = 50
OPEN_SQL_QUALIFIED = OPEN_SQL.replace("status", "grievance.status", 1)


@dataclass(frozen=True)
class QueueFilter:
    scope: str = "team"  # "mine", "team" (all open), "escalated", "all" (incl. closed)
    hospital_id: int | None = None
    category: str | None = None
    status: str | None = None
    language: str | None = None
    overdue: bool = False
    search: str = ""


def filtered_query(query: Select, f: QueueFilter, agent_id: int | None, now: dt.datetime,
                   *, within_hospital: int | None) -> Select:
    """The queue's rows for ``f``. A search term looks at every grievance, whatever the
    tab and status: the one a caller asks about may be someone else's or closed.
    ``within_hospital`` is the viewer's ``StaffUser.grievance_hospital``: a hospital's
    staff see its grievances only, whatever the filter or search says."""
    if within_hospital is not None:
        query = query.where(Grievance.hospital_id == within_hospital)
    term = read_term(f.search)
    if not term.empty:
        reference = (Grievance.reference == term.digits
                     if term.reference_kind == RefKind.GRIEVANCE else false())
        f = replace(f, scope="all")
        query = query.where(or_(reference, citizen_matches(term)))
    if f.scope == "mine":
        query = query.where(Grievance.assigned_to_id == agent_id)
    elif f.scope == "escalated":
        query = query.where(Grievance.escalation_level > 0)
    if f.scope != "all" and not f.status:
        # Written exactly as the partial indexes' predicate, so the planner uses them.
        query = query.where(text(OPEN_SQL_QUALIFIED))
    if f.status and f.status in GrievanceStatus.__members__.values():
        query = query.where(Grievance.status == f.status)
    if f.hospital_id:
        query = query.where(Grievance.hospital_id == f.hospital_id)
    if f.category and f.category in GrievanceCategory.__members__.values():
        query = query.where(Grievance.category == f.category)
    if f.language in ("hi", "en"):
        query = query.where(Grievance.language == f.language)
    if f.overdue:
        query = query.where(
            Grievance.status.in_(OPEN_STATUSES),
            or_(Grievance.resolve_due_at < now,
                and_(Grievance.acknowledged_at.is_(None), Grievance.acknowledge_due_at < now)))
    if f.search.strip() and term.empty:
        query = query.where(false())  # a term too short to search finds nothing
    return query


def queue_page(
    session: Session, f: QueueFilter, *, agent_id: int | None, within_hospital: int | None,
    page: int = 1, now: dt.datetime | None = None,
) -> tuple[list[Grievance], int]:
    """One page of the queue, most urgent first (earliest deadline, then priority),
    and how many grievances match in all; ``within_hospital`` as in ``filtered_query``."""
    now = now or utcnow()
    base = select(Grievance).join(Citizen, Citizen.id == Grievance.citizen_id)
    query = filtered_query(base, f, agent_id, now, within_hospital=within_hospital)
    order = (
        (Grievance.created_at.desc(), Grievance.id.desc()) if f.scope == "all" or f.search
        else (Grievance.resolve_due_at, Grievance.id)
    )
    rows = list(session.scalars(
        query.options(contains_eager(Grievance.citizen))
        .order_by(*order).limit(PAGE_SIZE).offset(max(page - 1, 0) * PAGE_SIZE)
    ))
    total = session.scalar(
        filtered_query(select(func.count()).select_from(Grievance)
                  .join(Citizen, Citizen.id == Grievance.citizen_id), f, agent_id, now,
                  within_hospital=within_hospital)
    ) or 0
    return rows, total


def latest_grievance_id(session: Session, *, within_hospital: int | None) -> int:
    query = select(func.max(Grievance.id))
    if within_hospital is not None:
        query = query.where(Grievance.hospital_id == within_hospital)
    return session.scalar(query) or 0
