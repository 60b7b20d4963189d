"""The supervisor's wallboard figures, from the call log and the grievance records.

Definitions (the ones Indian public call centres report):
- service level: calls answered within 30 s of joining the agents' queue, over calls
  that left the queue (answered or abandoned);
- abandonment: callers who entered the agents' queue and were neither answered nor
  called back: they hung up while queued, or their call ended after leaving the queue
  without an agent (``contact_centre.models.queue_fate``, the one rule). A caller who
  left the queue by asking for a callback is *not* abandoned (they will be called), and
  one who hung up in a menu never reached the queue: the call log's outcome
  ``abandoned`` alone does not count;
- average handling time: answered to ended (or the call's duration when Twilio gave
  only that), over answered calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from booking_core.base import utcnow
from contact_centre.models import (
    AgentState,
    Call,
    CallbackRequest,
    CallbackStatus,
    QueueFate,
    StaffUser,
    queue_fate,
)
from grievances.models import OPEN_STATUSES, Grievance, GrievanceStatus

SERVICE_LEVEL_SECONDS = 30


@dataclass
class Wallboard:
    calls_today: int = 0
    in_queue: int = 0
    longest_wait_seconds: int = 0
    answered: int = 0
    answered_in_time: int = 0
    abandoned: int = 0
    left_for_callback: int = 0
    service_level: float | None = None  # 0..1
    abandonment_rate: float | None = None
    average_handling_seconds: int | None = None
    callbacks_waiting: int = 0
    grievances_by_status: dict[str, int] = field(default_factory=dict)
    sla_breaches: int = 0
    agents_by_state: dict[str, int] = field(default_factory=dict)
    calls_by_hour: list[tuple[int, int, int]] = field(default_factory=list)  # hour, all, in 30 s


def _start_of_day(now: dt.datetime, tz: str) -> dt.datetime:
    local = now.astimezone(ZoneInfo(tz))
    return dt.datetime.combine(local.date(), dt.time(0), ZoneInfo(tz)).astimezone(dt.UTC)


def wallboard(session: Session, *, now: dt.datetime | None = None,
              tz: str = "Asia/Kolkata") -> Wallboard:
    now = now or utcnow()
    start = _start_of_day(now, tz)
    board = Wallboard()
    rows = session.execute(
        select(Call.started_at, Call.queued_at, Call.answered_at, Call.ended_at,
               Call.outcome, Call.duration_seconds, Call.details)
        .where(Call.started_at >= start, Call.direction == "inbound")
    ).all()
    hours: dict[int, list[int]] = {h: [0, 0] for h in range(24)}
    handling: list[float] = []
    for started, queued, answered, ended, outcome, duration, details in rows:
        board.calls_today += 1
        hour = started.astimezone(ZoneInfo(tz)).hour
        hours[hour][0] += 1
        fate = queue_fate(queued_at=queued, answered_at=answered, ended_at=ended,
                          outcome=outcome, queue_result=(details or {}).get("queue_result"))
        if fate == QueueFate.ANSWERED:
            board.answered += 1
            if (answered - queued).total_seconds() <= SERVICE_LEVEL_SECONDS:
                board.answered_in_time += 1
                hours[hour][1] += 1
            if ended is not None:
                handling.append((ended - answered).total_seconds())
            elif duration is not None:
                handling.append(float(duration))
        elif fate == QueueFate.CALLBACK:
            board.left_for_callback += 1
        elif fate == QueueFate.ABANDONED:
            board.abandoned += 1
        elif fate == QueueFate.WAITING:
            board.in_queue += 1
            board.longest_wait_seconds = max(board.longest_wait_seconds,
                                             int((now - queued).total_seconds()))
    left_queue = board.answered + board.abandoned
    if left_queue:
        board.service_level = board.answered_in_time / left_queue
        board.abandonment_rate = board.abandoned / left_queue
    if handling:
        board.average_handling_seconds = int(sum(handling) / len(handling))
    board.calls_by_hour = [(h, a, b) for h, (a, b) in hours.items()]
    board.callbacks_waiting = session.scalar(
        select(func.count()).where(CallbackRequest.status == CallbackStatus.WAITING)) or 0
    board.grievances_by_status = {
        GrievanceStatus(s).value: n for s, n in session.execute(
            select(Grievance.status, func.count()).group_by(Grievance.status))
    }
    board.sla_breaches = session.scalar(
        select(func.count()).select_from(Grievance).where(
            Grievance.status.in_(OPEN_STATUSES),
            or_(Grievance.resolve_due_at < now,
                and_(Grievance.acknowledged_at.is_(None), Grievance.acknowledge_due_at < now)),
        )) or 0
    board.agents_by_state = {
        AgentState(s).value: n for s, n in session.execute(
            select(StaffUser.state, func.count())
            .where(StaffUser.active.is_(True), StaffUser.role != "admin")
            .group_by(StaffUser.state))
    }
    return board
