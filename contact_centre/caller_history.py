"""Who is on the line: a caller's record as an agent needs it on screen.

One look-up of a caller's history (appointments, grievances, recent calls) by their
mobile, used by a grievance's page, by the screen pop when a call reaches an agent and
by the callback cards. The screen pop adds what the phone line knows of the call: the
menus the caller went through (``Call.path``, grouped into the parts of the line a
person recognises) and where they asked for a person.

"The agent's current call" is the ``Call`` row with ``agent_id`` = the agent,
``answered_at`` set and ``ended_at`` empty (the routing side keeps it so). After it
ends, it stays on the agent's screen for ``WRAP_UP_WINDOW`` until the agent records its
disposition (wrap-up: ``contact_centre.routing.finish_wrap_up``), so the panel does not
vanish while they finish the call's work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, select, true
from sqlalchemy.orm import Session

from booking_core.appointments import Appointment
from booking_core.base import utcnow
from booking_core.citizens import Citizen
from contact_centre.models import LONGEST_CALL, Call, CallbackRequest
from grievances.models import Grievance

HISTORY_LIMIT = 10
WRAP_UP_WINDOW = dt.timedelta(minutes=10)

# The parts of the phone line, as the console names them (``console.ivrarea.<area>``),
# and which of the flow's nodes (``ivr.call_flow``, by their name's first word) belong
# to each.
IVR_AREAS = ("greeting", "language", "main", "booking", "beds", "grievance", "mine",
             "emergency", "agent", "callback", "followup", "other")
_AREA_OF = {"voice": "greeting", "language": "language", "main": "main", "book": "booking",
            "pick": "booking", "beds": "beds", "griev": "grievance", "mine": "mine",
            "emergency": "emergency", "agent": "agent", "queue": "agent",
            "callback": "callback", "followup": "followup"}
_REACHING_A_PERSON = ("agent", "callback")


def ivr_area(node: str) -> str | None:
    """The part of the line a node of ``Call.path`` belongs to (None: "goodbye")."""
    first = node.split(".", 1)[0]
    if first == "goodbye":
        return None
    return _AREA_OF.get(first, "other")


def ivr_areas(path: list[str]) -> list[str]:
    """``Call.path`` as the parts of the line in the order visited, a part repeated
    only when the caller came back to it: ``["language", "main", "booking", "agent"]``."""
    areas: list[str] = []
    for node in path or []:
        area = ivr_area(str(node))
        if area and (not areas or areas[-1] != area):
            areas.append(area)
    return areas


def asked_for_a_person_in(path: list[str]) -> str | None:
    """The part of the line the caller was in when they asked for a person (pressed
    ``0``, chose the agent option, or ran out of tries there); None when the call never
    went to the agent queue or a callback offer."""
    areas = ivr_areas(path)
    for index in range(len(areas) - 1, -1, -1):
        if areas[index] in _REACHING_A_PERSON:
            earlier = [a for a in areas[:index] if a not in _REACHING_A_PERSON]
            return earlier[-1] if earlier else "greeting"
    return None


@dataclass(frozen=True)
class CallerHistory:
    """A caller's record: newest first, at most ``HISTORY_LIMIT`` of each."""

    phone: str
    citizen: Citizen | None
    appointments: list[Appointment]  # as patient or as the one who booked
    grievances: list[Grievance]
    calls: list[Call]
    # A hospital's staff looking (``caller_history``'s ``within_hospital``): the lists
    # hold that hospital's records only, and no calls, so an empty list is not "none".
    within_hospital: int | None = None

    @property
    def language(self) -> str | None:
        return self.citizen.preferred_language if self.citizen else None


def caller_history(session: Session, phone: str, *, leave_out_grievance: int | None = None,
                   leave_out_call: int | None = None, within_hospital: int | None = None,
                   limit: int = HISTORY_LIMIT) -> CallerHistory:
    """Everything the helpline holds for the mobile ``phone`` (E.164): appointments where
    it is the patient's or the booker's number, grievances filed from it and calls from
    it. ``leave_out_*`` drops the record the page is about (a grievance's own page, the
    call on the line). ``within_hospital`` (a hospital's staff looking,
    ``StaffUser.grievance_hospital``) keeps that hospital's appointments and grievances
    and none of the helpline's calls."""
    citizen = session.scalar(select(Citizen).where(Citizen.phone == phone))
    appointments = list(session.scalars(
        select(Appointment).join(Citizen, Citizen.id == Appointment.citizen_id)
        .where((Citizen.phone == phone) | (Appointment.booked_by_phone == phone),
               true() if within_hospital is None
               else Appointment.hospital_id == within_hospital)
        .order_by(Appointment.visit_day.desc(), Appointment.id.desc()).limit(limit)))
    grievances: list[Grievance] = []
    if citizen is not None:
        query = select(Grievance).where(Grievance.citizen_id == citizen.id)
        if leave_out_grievance is not None:
            query = query.where(Grievance.id != leave_out_grievance)
        if within_hospital is not None:
            query = query.where(Grievance.hospital_id == within_hospital)
        grievances = list(session.scalars(
            query.order_by(Grievance.created_at.desc(), Grievance.id.desc()).limit(limit)))
    calls_query = select(Call).where(Call.from_phone == phone)
    if leave_out_call is not None:
        calls_query = calls_query.where(Call.id != leave_out_call)
    calls = [] if within_hospital is not None else list(session.scalars(
        calls_query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)))
    return CallerHistory(phone=phone, citizen=citizen, appointments=appointments,
                         grievances=grievances, calls=calls, within_hospital=within_hospital)


@dataclass(frozen=True)
class CallerPop:
    """What the agent's screen shows about the person on (or about to be on) the line."""

    phone: str
    language: str | None
    history: CallerHistory
    call: Call | None = None  # the call that reached the agent (or the callback's call)
    callback: CallbackRequest | None = None
    areas: list[str] = field(default_factory=list)  # ``ivr_areas(call.path)``
    asked_in: str | None = None  # ``asked_for_a_person_in(call.path)``

    @property
    def ended(self) -> bool:
        """The call is over and waits only for its outcome."""
        return self.call is not None and self.call.ended_at is not None

    @property
    def waited_seconds(self) -> int | None:
        """How long the caller waited in the agent queue."""
        call = self.call
        if call is None or call.queued_at is None or call.answered_at is None:
            return None
        return max(0, int((call.answered_at - call.queued_at).total_seconds()))


def _pop(session: Session, phone: str, language: str | None, call: Call | None,
         callback: CallbackRequest | None = None) -> CallerPop:
    history = (caller_history(session, phone, leave_out_call=call.id if call else None)
               if phone else CallerHistory(phone="", citizen=None, appointments=[],
                                           grievances=[], calls=[]))  # number withheld
    path = list(call.path or []) if call else []
    return CallerPop(phone=phone, language=language or history.language, history=history,
                     call=call, callback=callback, areas=ivr_areas(path),
                     asked_in=asked_for_a_person_in(path))


def call_on_screen_query(agent_id: int, now: dt.datetime) -> Select[Call]:
    """The statement behind ``call_on_screen`` (the ongoing call first, else the latest
    that ended within ``WRAP_UP_WINDOW``)."""
    return (select(Call).where(Call.agent_id == agent_id, Call.answered_at.is_not(None),
                               Call.started_at >= now - LONGEST_CALL)
            .where(Call.ended_at.is_(None) | (Call.ended_at >= now - WRAP_UP_WINDOW))
            .order_by(Call.ended_at.is_not(None), Call.answered_at.desc(), Call.id.desc())
            .limit(1))


def call_on_screen(session: Session, agent_id: int,
                   now: dt.datetime | None = None) -> Call | None:
    """The call the agent is on now, or the one that just ended and still waits for
    its outcome (for ``WRAP_UP_WINDOW``); None otherwise. One indexed read: the pages
    ask every second."""
    call = session.scalar(call_on_screen_query(agent_id, now or utcnow()))
    if call is None:
        return None
    if call.ended_at is not None and call.disposition is not None:
        return None
    return call


def caller_on_screen(session: Session, agent_id: int,
                     now: dt.datetime | None = None) -> CallerPop | None:
    """The screen pop for the agent's current call (None: no call is with them). A
    withheld number has no record to look up: the panel says the number is withheld."""
    call = call_on_screen(session, agent_id, now)
    if call is None:
        return None
    return _pop(session, call.from_phone or "", call.language, call)


def callback_caller(session: Session, callback: CallbackRequest) -> CallerPop:
    """The same panel for a callback card: the caller's record and, when they asked
    from the phone line, the call they asked on."""
    call = None
    if callback.call_sid:
        call = session.scalar(select(Call).where(Call.call_sid == callback.call_sid))
    return _pop(session, callback.phone, callback.language, call, callback)


def call_for_agent(session: Session, call_id: int, agent_id: int) -> Call | None:
    """A call the agent answered (None for anyone else's): what the console's
    pre-filled forms read the caller's number from, so it never travels in a URL."""
    call = session.get(Call, call_id)
    if call is None or call.agent_id != agent_id:
        return None
    return call
