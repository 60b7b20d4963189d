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
- average handling time: answered to ended, over answered calls that ended.

The day's call figures come from ``contact_centre.reports`` (the same SQL as the reports
page, for today); the wallboard adds what is happening now: callers waiting, the
expected wait (``contact_centre.call_queue.estimate_queue``), callbacks, grievances and
agents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from booking_core.base import utcnow
from contact_centre.call_queue import estimate_queue
from contact_centre.models import (
    AgentState,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallOutcome,
    StaffUser,
)
from contact_centre.reports import call_figures_by_hour, report_period, totals
from grievances.models import OPEN_STATUSES, Grievance, GrievanceStatus

SERVICE_LEVEL_SECONDS = 30
SERVICE_LEVEL_TARGET_PERCENT = 80


def service_level_mark(level: float | None, target_percent: int) -> str | None:
    """``met`` or ``missed`` against the target (a share 0..1 against a percentage);
    None when nobody has left the queue yet."""
    if level is None:
        return None
    return "met" if level * 100 >= target_percent else "missed"


# The grievance statuses in the order a complaint goes through them (open ones first,
# a reopened one among them), as the wallboard lists them: every status, none left out
# when it counts none, so the bars keep their places from one refresh to the next.
STATUS_ORDER = (GrievanceStatus.REGISTERED, GrievanceStatus.ACKNOWLEDGED,
                GrievanceStatus.IN_PROGRESS, GrievanceStatus.REOPENED,
                GrievanceStatus.ESCALATED, GrievanceStatus.RESOLVED, GrievanceStatus.CLOSED)

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
    calls_by_hour: list[tuple[int, int, int]] = field(default_factory=list)  # hour, all, in time
    answer_within: int = SERVICE_LEVEL_SECONDS
    target_percent: int = SERVICE_LEVEL_TARGET_PERCENT
    expected_wait_seconds: int = 0  # for a caller joining the queue now
    estimate_measured: bool = False  # False: no answered call in the last hour to go by
    nobody_to_answer: bool = False  # no agent staffed: no wait is shown

    @property
    def service_level_mark(self) -> str | None:
        return service_level_mark(self.service_level, self.target_percent)


def wallboard(session: Session, *, now: dt.datetime | None = None,
              tz: str = "Asia/Kolkata", answer_within: int = SERVICE_LEVEL_SECONDS,
              target_percent: int = SERVICE_LEVEL_TARGET_PERCENT,
              default_wait_seconds: int = 120) -> Wallboard:
    """Today's figures (local day in ``tz``) and the queue as it is at ``now``."""
    now = now or utcnow()
    period = report_period("day", now.astimezone(ZoneInfo(tz)).date(), tz)
    hours = call_figures_by_hour(session, period, answer_within=answer_within)
    day = totals(hours)
    board = Wallboard(
        calls_today=day.calls, answered=day.answered, answered_in_time=day.answered_in_target,
        abandoned=day.abandoned, left_for_callback=day.callback,
        service_level=day.service_level, abandonment_rate=day.abandonment_rate,
        average_handling_seconds=day.average_handling_seconds,
        calls_by_hour=[(h.hour or 0, h.calls, h.answered_in_target) for h in hours],
        answer_within=answer_within, target_percent=target_percent)
    # Waiting now: queued today, no agent, no callback, no result from Twilio, not ended.
    waiting, first_queued = session.execute(
        select(func.count(), func.min(Call.queued_at)).where(
            Call.direction == "inbound", Call.started_at >= period.start,
            Call.queued_at.is_not(None), Call.answered_at.is_(None), Call.ended_at.is_(None),
            or_(Call.outcome.is_(None), Call.outcome != CallOutcome.CALLBACK),
            Call.details["queue_result"].as_string().is_(None))
    ).one()
    board.in_queue = int(waiting)
    if first_queued is not None:
        board.longest_wait_seconds = max(0, int((now - first_queued).total_seconds()))
    estimate = estimate_queue(session, now=now, default_wait_seconds=default_wait_seconds)
    # Nobody staffed: no wait to show ("—"), whatever the figures would say.
    board.expected_wait_seconds = 0 if estimate.nobody_to_answer else estimate.wait_seconds
    board.estimate_measured = estimate.measured
    board.nobody_to_answer = estimate.nobody_to_answer
    board.callbacks_waiting = session.scalar(
        select(func.count()).where(CallbackRequest.status == CallbackStatus.WAITING)) or 0
    counted = {GrievanceStatus(s): n for s, n in session.execute(
        select(Grievance.status, func.count()).group_by(Grievance.status))}
    board.grievances_by_status = {status.value: counted.get(status, 0)
                                  for status in STATUS_ORDER}
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
