"""The supervisors' reports: a day, a week or a month of calls, bookings and grievances.

Every figure is aggregated by the database (``GROUP BY``), so a month of 50,000 calls
costs a handful of queries returning at most a few hundred rows; the same SQL runs on
PostgreSQL and SQLite (the two spots where they differ, seconds between timestamps and
the local hour, are built per dialect below).

Definitions (the wallboard's, ``contact_centre.wallboard``; queue fates as
``contact_centre.models.queue_fate`` decides them):
- calls: inbound calls that started in the period; offered: those that entered the
  agent queue; answered: an agent took them; abandoned: queued, not answered, not a
  callback, and gone; callback: left the queue by asking to be called back;
- service level: answered within ``answer_within`` seconds of joining the queue, over
  answered plus abandoned;
- average wait: joining the queue to an agent answering, over answered calls; average
  handling: answered to ended, over answered calls that ended;
- IVR containment: calls that ended without a person: never queued, no callback, not
  put through to the ambulance line (a caller who hung up in a menu counts; how many of
  them were served by the menus alone is ``self_served``);
- called back: callback requests made in the period (by the hour they were made) and
  how many of them an agent has completed.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, bindparam, case, cast, func, or_, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.base import InvalidDay, InvalidInput, UTCDateTime, utcnow
from booking_core.hospitals import Department, Hospital
from contact_centre.models import (
    QUEUE_ABANDONED,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallOutcome,
)
from grievances.models import Grievance, GrievanceCategory

DEFAULT_ANSWER_WITHIN = 30
REPORT_WORK_MEM = "64MB"
# Nodes in a call's path where the caller reaches a person (or asks to be called back).
PERSON_NODES = ("agent", "callback.offer")
# Outcomes the menus achieve on their own.
SELF_SERVED = (CallOutcome.BOOKED, CallOutcome.CANCELLED, CallOutcome.GRIEVANCE,
               CallOutcome.INFORMATION)
NOT_CONTAINED = (CallOutcome.AGENT, CallOutcome.CALLBACK, CallOutcome.EMERGENCY)


class PeriodKind(enum.StrEnum):
    DAY = "day"
    WEEK = "week"  # Monday to Sunday
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first_day: dt.date  # local dates, inclusive
    last_day: dt.date
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    tz: str


def report_period(kind: str, day: dt.date, tz: str = "Asia/Kolkata",
                  today: dt.date | None = None) -> Period:
    """The day, week (Monday to Sunday) or calendar month holding local date ``day``.

    Raises ``InvalidInput`` (field ``period``) for any other kind, and, given ``today``
    (the helpline's local date), ``InvalidDay`` (reason ``future``) for a period that
    has not begun: it has no figures yet, and an empty report would read as a day on
    which nobody called."""
    try:
        period = PeriodKind(kind)
    except ValueError:
        raise InvalidInput("a report covers a day, a week or a month", field="period") from None
    if period is PeriodKind.DAY:
        first, last = day, day
    elif period is PeriodKind.WEEK:
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=6)
    else:
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if today is not None and first > today:
        raise InvalidDay("a report covers a period that has begun", field="day",
                         reason="future")
    zone = ZoneInfo(tz)

    def at_midnight(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(0), zone).astimezone(dt.UTC)
    return Period(period, first, last, at_midnight(first),
                  at_midnight(last + dt.timedelta(days=1)), tz)


# --- the two things PostgreSQL and SQLite say differently ------------------------------

def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    """``later - earlier`` in seconds, as SQL."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def local_hour(dialect: str, column: Any, period: Period) -> ColumnElement[int]:
    """The hour (0-23) of a UTC timestamp column in the period's time zone. SQLite has no
    zones: it shifts by the zone's offset at the period's start (exact for India, which
    keeps no summer time)."""
    if dialect == "postgresql":
        return cast(func.extract("hour", func.timezone(period.tz, column)), Integer)
    offset = period.start.astimezone(ZoneInfo(period.tz)).utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    return cast(func.strftime("%H", column, f"{minutes:+d} minutes"), Integer)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


# --- calls -------------------------------------------------------------------------------

@dataclass
class CallFigures:
    """Counts for one hour of the day (``hour``) or the whole period (``hour`` None)."""

    hour: int | None = None
    calls: int = 0
    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    callback: int = 0
    contained: int = 0
    self_served: int = 0
    callbacks_requested: int = 0
    called_back: int = 0
    wait_seconds_total: float = 0.0
    handled: int = 0
    handling_seconds_total: float = 0.0

    def add(self, other: CallFigures) -> None:
        for name in ("calls", "offered", "answered", "answered_in_target", "abandoned",
                     "callback", "contained", "self_served", "callbacks_requested",
                     "called_back", "wait_seconds_total", "handled",
                     "handling_seconds_total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def service_level(self) -> float | None:
        """0..1: answered in time over answered plus abandoned (None: nobody queued)."""
        left = self.answered + self.abandoned
        return self.answered_in_target / left if left else None

    @property
    def abandonment_rate(self) -> float | None:
        left = self.answered + self.abandoned
        return self.abandoned / left if left else None

    @property
    def average_wait_seconds(self) -> int | None:
        return round(self.wait_seconds_total / self.answered) if self.answered else None

    @property
    def average_handling_seconds(self) -> int | None:
        return round(self.handling_seconds_total / self.handled) if self.handled else None

    @property
    def containment(self) -> float | None:
        return self.contained / self.calls if self.calls else None


def call_figures_by_hour(session: Session, period: Period, *,
                         answer_within: int = DEFAULT_ANSWER_WITHIN) -> list[CallFigures]:
    """Twenty-four ``CallFigures``, one per local hour of the day, summed over the
    period's days (calls by the hour they started; callback requests by the hour they
    were made)."""
    dialect = session.get_bind().dialect.name
    queued = Call.queued_at.is_not(None)
    answered = Call.answered_at.is_not(None)
    not_answered = and_(queued, Call.answered_at.is_(None))
    is_callback = Call.outcome == CallOutcome.CALLBACK
    queue_result = Call.details["queue_result"].as_string()
    abandoned = and_(not_answered, or_(Call.outcome.is_(None), ~is_callback),
                     or_(Call.ended_at.is_not(None), queue_result.in_(sorted(QUEUE_ABANDONED))))
    wait = seconds_between(dialect, Call.answered_at, Call.queued_at)
    handled = and_(answered, Call.ended_at.is_not(None))
    handling = seconds_between(dialect, Call.ended_at, Call.answered_at)
    contained = and_(~queued, Call.ended_at.is_not(None),
                     or_(Call.outcome.is_(None), Call.outcome.not_in(NOT_CONTAINED)))
    hour = local_hour(dialect, Call.started_at, period).label("hour")
    rows = session.execute(
        select(hour, func.count(), _count_if(queued), _count_if(answered),
               _count_if(and_(answered, wait <= answer_within)), _count_if(abandoned),
               _count_if(and_(not_answered, is_callback)), _count_if(contained),
               _count_if(and_(~queued, Call.outcome.in_(SELF_SERVED))),
               _sum_if(answered, wait), _count_if(handled), _sum_if(handled, handling))
        .where(Call.direction == "inbound", Call.started_at >= period.start,
               Call.started_at < period.end)
        .group_by(hour)
    ).all()
    hours = {h: CallFigures(hour=h) for h in range(24)}
    for (h, calls, offered, n_answered, in_target, n_abandoned, callback, n_contained,
         self_served, wait_total, n_handled, handling_total) in rows:
        hours[int(h)] = CallFigures(
            hour=int(h), calls=calls, offered=int(offered), answered=int(n_answered),
            answered_in_target=int(in_target), abandoned=int(n_abandoned),
            callback=int(callback), contained=int(n_contained), self_served=int(self_served),
            wait_seconds_total=float(wait_total), handled=int(n_handled),
            handling_seconds_total=float(handling_total))
    requested_hour = local_hour(dialect, CallbackRequest.requested_at, period).label("hour")
    for h, requested, done in session.execute(
        select(requested_hour, func.count(),
               _count_if(CallbackRequest.status == CallbackStatus.DONE))
        .where(CallbackRequest.requested_at >= period.start,
               CallbackRequest.requested_at < period.end)
        .group_by(requested_hour)
    ):
        hours[int(h)].callbacks_requested = requested
        hours[int(h)].called_back = int(done)
    return [hours[h] for h in range(24)]


def totals(hours: list[CallFigures]) -> CallFigures:
    whole = CallFigures()
    for figures in hours:
        whole.add(figures)
    return whole


@dataclass(frozen=True)
class FunnelStep:
    """One IVR node: calls that reached it, hung up there, or asked for a person from it."""

    node: str
    reached: int
    hung_up: int
    asked_for_person: int

    @property
    def drop_off(self) -> float:
        return self.hung_up / self.reached if self.reached else 0.0


# The funnel's one query per dialect: (node, calls that reached it, calls that went from
# it straight to a person). PostgreSQL dedupes each call's few nodes inside a LATERAL
# subquery (no sort of the whole month's visits) and pairs up nodes only in calls that
# reached a person; SQLite, which has no LATERAL, finds
# the next node with a window function and dedupes per call and node.
_FUNNEL_SQL = {
    "postgresql": """
        SELECT node, sum(reached), sum(asked) FROM (
          SELECT v.node, 1 AS reached, 0 AS asked
          FROM call c CROSS JOIN LATERAL (
            SELECT DISTINCT x.node FROM json_array_elements_text(c.path) AS x(node)) AS v
          WHERE c.direction = 'inbound' AND c.started_at >= :start AND c.started_at < :end
          UNION ALL
          SELECT a.node, 0, 1
          FROM call c CROSS JOIN LATERAL (
            SELECT DISTINCT p.node
            FROM json_array_elements_text(c.path) WITH ORDINALITY AS p(node, i)
            JOIN json_array_elements_text(c.path) WITH ORDINALITY AS q(node, j)
              ON q.j = p.i + 1 AND q.node IN ({person})) AS a
          WHERE c.direction = 'inbound' AND c.started_at >= :start AND c.started_at < :end
            AND ({person_like})
        ) AS visits GROUP BY node""",
    "sqlite": """
        SELECT node, count(*), sum(asked) FROM (
          SELECT id, node, max(CASE WHEN next_node IN ({person}) THEN 1 ELSE 0 END) AS asked
          FROM (
            SELECT c.id AS id, e.value AS node,
                   lead(e.value) OVER (PARTITION BY c.id ORDER BY e.key) AS next_node
            FROM call c CROSS JOIN json_each(c.path) AS e
            WHERE c.direction = 'inbound' AND c.started_at >= :start AND c.started_at < :end
          ) AS steps GROUP BY id, node
        ) AS visits GROUP BY node""",
}


def ivr_funnel(session: Session, period: Period) -> list[FunnelStep]:
    """Each node callers reached in the period, most reached first: how many calls
    reached it, hung up there (without ever being queued), or went from it straight to
    an agent or a callback offer (``PERSON_NODES``). A call counts once per node,
    however often it came back to it."""
    dialect = session.get_bind().dialect.name
    person = ", ".join(f"'{n}'" for n in PERSON_NODES)
    # Only calls whose path names a person node can have gone to one (a cheap test on
    # the path's text before its elements are paired up).
    person_like = " OR ".join(f"CAST(c.path AS text) LIKE '%\"{n}\"%'" for n in PERSON_NODES)
    sql = _FUNNEL_SQL[dialect].format(person=person, person_like=person_like)
    reached = session.execute(text(sql).bindparams(
        bindparam("start", period.start, type_=UTCDateTime()),
        bindparam("end", period.end, type_=UTCDateTime()))).all()
    ended_in = Call.details["ended_in"].as_string()
    hung_up = session.execute(
        select(ended_in, func.count())
        .where(Call.direction == "inbound", Call.started_at >= period.start,
               Call.started_at < period.end, Call.queued_at.is_(None),
               Call.outcome == CallOutcome.ABANDONED, ended_in.is_not(None))
        .group_by(ended_in)
    ).all()
    hung_by = {str(n): int(k) for n, k in hung_up}
    steps = [FunnelStep(str(n), int(k), hung_by.get(str(n), 0), int(asked))
             for n, k, asked in reached if str(n) not in PERSON_NODES]
    return sorted(steps, key=lambda s: (-s.reached, s.node))


# --- bookings ----------------------------------------------------------------------------

def _at_hospital(column: Any, hospital_id: int | None) -> ColumnElement[bool]:
    """Rows at ``hospital_id``, or every row when it is None (a report of the whole
    helpline)."""
    return true() if hospital_id is None else column == hospital_id


@dataclass(frozen=True)
class BookingRow:
    hospital_id: int
    hospital_en: str
    hospital_hi: str
    department_id: int
    department_en: str
    department_hi: str
    booked: int  # made in the period
    cancelled: int  # of those, cancelled since
    visits: int  # appointments whose day fell in the period (not cancelled)
    attended: int
    no_shows: int

    def hospital(self, lang: str) -> str:
        return self.hospital_hi if lang == "hi" else self.hospital_en

    def department(self, lang: str) -> str:
        return self.department_hi if lang == "hi" else self.department_en


@dataclass
class BookingFigures:
    by_channel: dict[str, int] = field(default_factory=dict)
    rows: list[BookingRow] = field(default_factory=list)

    @property
    def booked(self) -> int:
        return sum(self.by_channel.values())


def booking_figures(session: Session, period: Period, *,
                    within_hospital: int | None) -> BookingFigures:
    """Appointments made in the period by channel, and by hospital and department with
    the visits that fell in the period: attended, and no-shows
    (``AppointmentStatus.NO_SHOW``). With ``within_hospital``, that hospital's only."""
    made = and_(Appointment.created_at >= period.start, Appointment.created_at < period.end,
                _at_hospital(Appointment.hospital_id, within_hospital))
    visited = and_(Appointment.visit_day >= period.first_day,
                   Appointment.visit_day <= period.last_day,
                   Appointment.status != AppointmentStatus.CANCELLED,
                   _at_hospital(Appointment.hospital_id, within_hospital))
    figures = BookingFigures(by_channel={c.value: 0 for c in Channel})
    for channel, n in session.execute(
        select(Appointment.channel, func.count()).where(made).group_by(Appointment.channel)
    ):
        figures.by_channel[Channel(channel).value] = n
    rows = session.execute(
        select(Hospital.id, Hospital.name_en, Hospital.name_hi, Department.id,
               Department.name_en, Department.name_hi, _count_if(made),
               _count_if(and_(made, Appointment.status == AppointmentStatus.CANCELLED)),
               _count_if(visited),
               _count_if(and_(visited, Appointment.status == AppointmentStatus.ATTENDED)),
               _count_if(and_(visited, Appointment.status == AppointmentStatus.NO_SHOW)))
        .join(Hospital, Hospital.id == Appointment.hospital_id)
        .join(Department, Department.id == Appointment.department_id)
        .where(or_(made, visited))
        .group_by(Hospital.id, Hospital.name_en, Hospital.name_hi, Department.id,
                  Department.name_en, Department.name_hi)
        .order_by(Hospital.name_en, Department.name_en)
    ).all()
    figures.rows = [BookingRow(*row[:6], *(int(n) for n in row[6:])) for row in rows]
    return figures


# --- grievances --------------------------------------------------------------------------

@dataclass(frozen=True)
class GrievanceRow:
    category: str
    hospital_id: int | None
    hospital_en: str | None
    hospital_hi: str | None
    registered: int
    acknowledged_in_time: int
    resolved_in_time: int
    escalated: int
    appeals: int
    # Of those registered, the ones whose acknowledgement (resolution) is decided: done,
    # or its deadline passed. A complaint still inside its time is neither in time nor
    # late, so it is no part of the share (a complaint registered an hour ago would
    # otherwise read as 0% acknowledged in time).
    acknowledgements_due: int = 0
    resolutions_due: int = 0

    def hospital(self, lang: str) -> str | None:
        return self.hospital_hi if lang == "hi" else self.hospital_en

    @property
    def acknowledged_share(self) -> float | None:
        """Acknowledged by the deadline, of those acknowledged or past it; None: none yet."""
        due = self.acknowledgements_due
        return self.acknowledged_in_time / due if due else None

    @property
    def resolved_share(self) -> float | None:
        """Resolved by the deadline, of those resolved or past it; None: none yet."""
        return self.resolved_in_time / self.resolutions_due if self.resolutions_due else None


def grievance_figures(session: Session, period: Period, *, within_hospital: int | None,
                      now: dt.datetime | None = None) -> list[GrievanceRow]:
    """Grievances registered in the period by category and hospital: how many were
    acknowledged by their acknowledgement deadline and resolved by their resolution
    deadline (so far), of how many are decided by ``now`` (done, or past the deadline),
    escalated, and appealed (appeals opened in the period). With ``within_hospital``,
    that hospital's only."""
    now = now or utcnow()
    here = _at_hospital(Grievance.hospital_id, within_hospital)
    made = and_(Grievance.created_at >= period.start, Grievance.created_at < period.end, here)
    appealed = and_(Grievance.appeal_opened_at >= period.start,
                    Grievance.appeal_opened_at < period.end, here)
    rows = session.execute(
        select(Grievance.category, Grievance.hospital_id, Hospital.name_en, Hospital.name_hi,
               _count_if(made),
               _count_if(and_(made, Grievance.acknowledged_at <= Grievance.acknowledge_due_at)),
               _count_if(and_(made, Grievance.resolved_at <= Grievance.resolve_due_at)),
               _count_if(and_(made, Grievance.escalated_at.is_not(None))),
               _count_if(appealed),
               _count_if(and_(made, or_(Grievance.acknowledged_at.is_not(None),
                                        Grievance.acknowledge_due_at <= now))),
               _count_if(and_(made, or_(Grievance.resolved_at.is_not(None),
                                        Grievance.resolve_due_at <= now))))
        .outerjoin(Hospital, Hospital.id == Grievance.hospital_id)
        .where(or_(made, appealed))
        .group_by(Grievance.category, Grievance.hospital_id, Hospital.name_en,
                  Hospital.name_hi)
        .order_by(Grievance.category, Hospital.name_en)
    ).all()
    return [GrievanceRow(GrievanceCategory(c).value, h, en, hi, *(int(n) for n in counts))
            for c, h, en, hi, *counts in rows]


def grievances_by_category(rows: list[GrievanceRow]) -> dict[str, int]:
    """Registered grievances per category (every category, zero included)."""
    counts = {c.value: 0 for c in GrievanceCategory}
    for row in rows:
        counts[row.category] += row.registered
    return counts


# --- the whole report --------------------------------------------------------------------

@dataclass
class Report:
    period: Period
    answer_within: int
    hours: list[CallFigures]
    calls: CallFigures
    funnel: list[FunnelStep]
    bookings: BookingFigures
    grievances: list[GrievanceRow]
    # None: the whole helpline; else the one hospital the report keeps to (no call or
    # phone-menu figures: those are the contact centre's own work).
    hospital_id: int | None = None

    @property
    def grievance_totals(self) -> GrievanceRow:
        sums = [sum(getattr(r, f) for r in self.grievances) for f in
                ("registered", "acknowledged_in_time", "resolved_in_time", "escalated",
                 "appeals", "acknowledgements_due", "resolutions_due")]
        return GrievanceRow("", None, None, None, *sums)


def build_report(session: Session, period: Period, *, within_hospital: int | None,
                 answer_within: int = DEFAULT_ANSWER_WITHIN,
                 table: str | None = None, now: dt.datetime | None = None) -> Report:
    """Every figure of the reports page for ``period`` (read only), or with ``table``
    (a key of ``CSV_COLUMNS``) only what that table needs, the others left empty.

    With ``within_hospital`` (a hospital's supervisor: ``StaffUser.grievance_hospital``)
    the report holds that hospital's bookings and grievances only, and none of the
    contact centre's call or phone-menu figures (``HELPLINE_TABLES``).

    On PostgreSQL the transaction gets ``REPORT_WORK_MEM`` for its sorts and hashes (a
    month's call paths are ~85,000 menu visits) and no JIT compilation (it costs more
    than it saves on queries this size)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))
    wanted = {table} if table else set(CSV_COLUMNS)
    if within_hospital is not None:
        wanted -= HELPLINE_TABLES
    hours = (call_figures_by_hour(session, period, answer_within=answer_within)
             if "calls" in wanted else [])
    return Report(
        period, answer_within, hours, totals(hours),
        ivr_funnel(session, period) if "ivr" in wanted else [],
        booking_figures(session, period, within_hospital=within_hospital)
        if wanted & {"bookings", "channels"} else BookingFigures(),
        grievance_figures(session, period, within_hospital=within_hospital, now=now)
        if "grievances" in wanted else [],
        within_hospital)


# Columns of each CSV export, in order (stable codes: spreadsheets and scripts read them).
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "calls": ("hour", "calls", "offered", "answered", "answered_in_target", "abandoned",
              "callback", "callbacks_requested", "called_back", "contained",
              "average_wait_seconds", "average_handling_seconds"),
    "ivr": ("node", "reached", "hung_up", "asked_for_person", "drop_off_percent"),
    "bookings": ("hospital", "department", "booked", "cancelled", "visits", "attended",
                 "no_shows"),
    "channels": ("channel", "booked"),
    "grievances": ("category", "hospital", "registered", "acknowledged_in_time",
                   "resolved_in_time", "escalated", "appeals", "acknowledgements_due",
                   "resolutions_due"),
}


# The tables about the contact centre's own work, which a hospital's report leaves out.
HELPLINE_TABLES = frozenset({"calls", "ivr"})


def csv_rows(report: Report, table: str, lang: str = "en") -> list[tuple[object, ...]]:
    """One table of the report as rows under ``CSV_COLUMNS[table]`` (names of hospitals
    and departments in ``lang``). Raises ``InvalidInput`` (field ``table``)."""
    if table == "calls":
        return [(f"{h.hour:02d}:00", h.calls, h.offered, h.answered, h.answered_in_target,
                 h.abandoned, h.callback, h.callbacks_requested, h.called_back, h.contained,
                 _blank(h.average_wait_seconds), _blank(h.average_handling_seconds))
                for h in report.hours]
    if table == "ivr":
        return [(s.node, s.reached, s.hung_up, s.asked_for_person, round(s.drop_off * 100, 1))
                for s in report.funnel]
    if table == "bookings":
        return [(r.hospital(lang), r.department(lang), r.booked, r.cancelled, r.visits,
                 r.attended, r.no_shows) for r in report.bookings.rows]
    if table == "channels":
        return list(report.bookings.by_channel.items())
    if table == "grievances":
        return [(r.category, r.hospital(lang) or "", r.registered, r.acknowledged_in_time,
                 r.resolved_in_time, r.escalated, r.appeals, r.acknowledgements_due,
                 r.resolutions_due) for r in report.grievances]
    raise InvalidInput("no such table in the report", field="table")


def _blank(value: object) -> object:
    return "" if value is None else value

