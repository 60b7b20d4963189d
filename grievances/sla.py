"""The service-level clock: when a grievance must be acknowledged and resolved.

Delhi's public-grievance rules give 2 *working* days to acknowledge and 15 days to
resolve (``DEFAULT_ROUTES``); a category's ``GrievanceRoute`` row, edited by admins in
the console, overrides them without a release. Deadlines are the end of a day in the helpline's time
zone (a grievance registered on Friday afternoon is due for acknowledgement by the end
of Tuesday), so agents see whole days rather than odd hours.

Working days are Monday to Friday (Delhi government offices) minus ``PublicHoliday``
rows (``booking_core.holidays``, the table the OPD schedules honour too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from booking_core.holidays import holidays_between
from grievances.models import (
    Grievance,
    GrievanceCategory,
    GrievanceRoute,
    GrievanceStatus,
)

DEFAULT_TZ = "Asia/Kolkata"


@dataclass(frozen=True)
class Route:
    desk: str
    priority: int
    acknowledge_working_days: int
    resolve_days: int


# Delhi's public-grievance rules: acknowledge within 2 working days, resolve in 15. A
# ``GrievanceRoute`` row for a category overrides its entry here.
DEFAULT_ROUTES = {
    GrievanceCategory.STAFF_BEHAVIOUR: Route("medical_superintendent", 1, 2, 15),
    GrievanceCategory.MEDICINES: Route("pharmacy", 1, 2, 15),
    GrievanceCategory.CLEANLINESS: Route("sanitation", 2, 2, 15),
    GrievanceCategory.APPOINTMENT: Route("opd_registration", 2, 2, 15),
    GrievanceCategory.OTHER: Route("helpline", 3, 2, 15),
}
DESKS = tuple(dict.fromkeys(route.desk for route in DEFAULT_ROUTES.values()))
# How far ahead holidays are read when computing a deadline.
_HOLIDAY_HORIZON = dt.timedelta(days=120)


def _end_of_day(day: dt.date, tz: str) -> dt.datetime:
    """The first instant of the next local day, in UTC: "by the end of ``day``"."""
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), ZoneInfo(tz))
    return nxt.astimezone(dt.UTC)


def is_working_day(day: dt.date, holidays: set[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def working_days_deadline(
    start: dt.datetime, working_days: int, holidays: set[dt.date], tz: str = DEFAULT_TZ
) -> dt.datetime:
    """End of the ``working_days``-th working day after the local day of ``start``.

    The day of registration never counts: it has already begun.
    """
    day = start.astimezone(ZoneInfo(tz)).date()
    counted = 0
    while counted < max(working_days, 0):
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return _end_of_day(day, tz)


def calendar_days_deadline(start: dt.datetime, days: int, tz: str = DEFAULT_TZ) -> dt.datetime:
    day = start.astimezone(ZoneInfo(tz)).date() + dt.timedelta(days=days)
    return _end_of_day(day, tz)


def route_for(session: Session, grievance: Grievance) -> Route:
    row = session.get(GrievanceRoute, grievance.category)
    if row is None:
        return DEFAULT_ROUTES[GrievanceCategory(grievance.category)]
    return Route(row.desk, row.priority, row.acknowledge_working_days, row.resolve_days)


def start_clock(
    session: Session, grievance: Grievance, start: dt.datetime, tz: str = DEFAULT_TZ
) -> None:
    """Route ``grievance`` (desk, priority) and set both deadlines from ``start``.

    Called at registration and again when a grievance is reopened or appealed: the
    citizen is owed a fresh answer in the same time.
    """
    route = route_for(session, grievance)
    local_start = start.astimezone(ZoneInfo(tz)).date()
    holidays = holidays_between(session, local_start, local_start + _HOLIDAY_HORIZON)
    grievance.desk = route.desk
    grievance.priority = route.priority
    grievance.acknowledge_due_at = working_days_deadline(
        start, route.acknowledge_working_days, holidays, tz
    )
    grievance.resolve_due_at = calendar_days_deadline(start, route.resolve_days, tz)


@dataclass(frozen=True)
class SlaState:
    """Which deadline applies now and how far away it is (negative: overdue)."""

    deadline: str  # "acknowledge", "resolve" or "none"
    due_at: dt.datetime | None
    seconds_left: float

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.seconds_left < 0


def sla_state(grievance: Grievance, now: dt.datetime) -> SlaState:
    if grievance.status in (GrievanceStatus.RESOLVED, GrievanceStatus.CLOSED):
        return SlaState("none", None, 0.0)
    if grievance.acknowledged_at is None and grievance.acknowledge_due_at is not None:
        due = grievance.acknowledge_due_at
        # An unacknowledged grievance is late on either clock.
        if grievance.resolve_due_at is not None and grievance.resolve_due_at < due:
            due = grievance.resolve_due_at
        return SlaState("acknowledge", due, (due - now).total_seconds())
    if grievance.resolve_due_at is not None:
        return SlaState("resolve", grievance.resolve_due_at,
                        (grievance.resolve_due_at - now).total_seconds())
    return SlaState("none", None, 0.0)
