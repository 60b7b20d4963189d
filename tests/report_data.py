"""A small, hand-counted day of calls, bookings and grievances for the reports tests.

The day is Monday 30 November 2026 in Delhi; the figures each test expects are worked
out by hand in ``tests/test_reports.py`` from the rows below.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.base import unit_of_work
from booking_core.citizens import Citizen
from contact_centre.models import Call, CallbackRequest, CallbackStatus, CallOutcome
from grievances.models import Grievance, GrievanceCategory
from tests.factories import make_department, make_hospital, make_slot

IST = ZoneInfo("Asia/Kolkata")
DAY = dt.date(2026, 11, 30)
_n = itertools.count(1)


def ist(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=IST).astimezone(dt.UTC)


def at(hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return ist(DAY, hh, mm, ss)


def _call(started: dt.datetime, path: list[str], outcome: CallOutcome | None, *,
          queued: dt.datetime | None = None, answered: dt.datetime | None = None,
          ended: dt.datetime | None = None, direction: str = "inbound",
          **details: object) -> Call:
    return Call(call_sid=f"CAreport{next(_n):06d}", direction=direction, path=path,
                outcome=outcome, started_at=started, queued_at=queued, answered_at=answered,
                ended_at=ended, status="completed" if ended else "in-progress",
                details=dict(details))


def make_report_day(session: Session) -> dict[str, object]:
    """Insert the day's rows; returns the hospitals and departments made."""
    a = make_hospital(session, name_en="Aruna Asaf Ali Hospital", name_hi="अरुणा आसफ़ अली अस्पताल")
    b = make_hospital(session, name_en="Bhagwan Mahavir Hospital", name_hi="भगवान महावीर अस्पताल")
    ax = make_department(session, a, name_en="ENT", name_hi="नाक-कान-गला")
    ay = make_department(session, a, name_en="Medicine", name_hi="मेडिसिन")
    bz = make_department(session, b, name_en="Paediatrics", name_hi="शिशु रोग")
    slots = {d.id: make_slot(session, d, at=at(9, 0)) for d in (ax, ay, bz)}
    with unit_of_work(session):
        session.add_all([
            _call(at(9, 5), ["language", "main", "pick.hospital", "book.department", "book.done"],
                  CallOutcome.BOOKED, ended=at(9, 9)),
            _call(at(9, 20), ["language", "main", "agent"], CallOutcome.AGENT,
                  queued=at(9, 21), answered=at(9, 21, 20), ended=at(9, 26, 20),
                  queue_result="bridged"),
            _call(at(9, 40), ["language", "main", "beds", "agent"], CallOutcome.AGENT,
                  queued=at(9, 41), answered=at(9, 42), ended=at(9, 44),
                  queue_result="bridged"),
            _call(at(10, 10), ["language", "main", "agent"], CallOutcome.ABANDONED,
                  queued=at(10, 11), ended=at(10, 13), queue_result="hangup", ended_in="queue"),
            _call(at(10, 30), ["language", "main", "agent", "callback.offer"],
                  CallOutcome.CALLBACK, queued=at(10, 31), ended=at(10, 33),
                  queue_result="leave"),
            _call(at(10, 50), ["language", "main", "griev.category"], CallOutcome.ABANDONED,
                  ended=at(10, 52), ended_in="griev.category"),
            _call(at(11, 0), ["language", "emergency"], CallOutcome.EMERGENCY, ended=at(11, 1)),
            _call(at(11, 0), [], CallOutcome.AGENT, ended=at(11, 5), direction="outbound"),
            _call(ist(DAY - dt.timedelta(days=1), 23, 50), ["language", "main"],
                  CallOutcome.INFORMATION, ended=ist(DAY - dt.timedelta(days=1), 23, 55)),
            _call(ist(DAY + dt.timedelta(days=1), 0, 0), ["language", "main"],
                  CallOutcome.INFORMATION, ended=ist(DAY + dt.timedelta(days=1), 0, 3)),
            _call(at(23, 59), ["language"], CallOutcome.ABANDONED, ended=at(23, 59, 40),
                  ended_in="language"),
            CallbackRequest(phone="+919811100001", call_sid=None, reason="queue_wait",
                            status=CallbackStatus.DONE, requested_at=at(10, 32)),
            CallbackRequest(phone="+919811100002", reason="after_hours",
                            status=CallbackStatus.WAITING, requested_at=at(13, 0)),
        ])
        citizens = [Citizen(phone=f"+9198222{next(_n):05d}") for _ in range(10)]
        session.add_all(citizens)
        session.flush()
        before = ist(DAY - dt.timedelta(days=5), 10, 0)

        def appointment(citizen: Citizen, dep, created, channel, visit, status) -> Appointment:
            return Appointment(reference=f"9{next(_n):07d}", citizen_id=citizen.id,
                               hospital_id=dep.hospital_id, department_id=dep.id,
                               slot_id=slots[dep.id].id, visit_day=visit, token=next(_n),
                               status=status, channel=channel, created_at=created)
        d = DAY
        session.add_all([
            appointment(citizens[0], ax, at(10, 0), Channel.IVR, d + dt.timedelta(days=2),
                        AppointmentStatus.BOOKED),
            appointment(citizens[1], ax, at(11, 0), Channel.PORTAL, d + dt.timedelta(days=3),
                        AppointmentStatus.CANCELLED),
            appointment(citizens[2], ay, at(8, 0), Channel.AGENT, d, AppointmentStatus.ATTENDED),
            appointment(citizens[3], ay, before, Channel.SMS, d, AppointmentStatus.NO_SHOW),
            appointment(citizens[4], bz, before, Channel.IVR, d, AppointmentStatus.CANCELLED),
            appointment(citizens[5], bz, at(12, 0), Channel.IVR, d + dt.timedelta(days=5),
                        AppointmentStatus.BOOKED),
        ])

        def grievance(citizen: Citizen, category, hospital, created, **kw) -> Grievance:
            return Grievance(reference=f"8{next(_n):07d}", category=category,
                             hospital_id=hospital.id if hospital else None,
                             citizen_id=citizen.id, channel="ivr", created_at=created, **kw)
        session.add_all([
            grievance(citizens[6], GrievanceCategory.CLEANLINESS, a, at(9, 0),
                      acknowledge_due_at=ist(d + dt.timedelta(days=2), 23, 59),
                      acknowledged_at=at(12, 0),
                      resolve_due_at=ist(d + dt.timedelta(days=15), 23, 59),
                      resolved_at=ist(d + dt.timedelta(days=1), 10, 0)),
            grievance(citizens[7], GrievanceCategory.CLEANLINESS, a, at(9, 30),
                      acknowledge_due_at=at(10, 0), acknowledged_at=at(11, 0),
                      resolve_due_at=ist(d + dt.timedelta(days=15), 23, 59),
                      escalation_level=1, escalated_at=at(10, 5)),
            grievance(citizens[8], GrievanceCategory.MEDICINES, None, at(14, 0)),
            grievance(citizens[9], GrievanceCategory.CLEANLINESS, a,
                      ist(d - dt.timedelta(days=10), 9, 0), escalation_level=2,
                      appeal_opened_at=at(15, 0)),
        ])
    return {"a": a, "b": b, "ax": ax, "ay": ay, "bz": bz}
