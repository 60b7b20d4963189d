"""A day's work already under way for the demo: citizens, grievances in every state
with notes, a voice message, calls in the call log and callers waiting for a callback,
so a new agent lands on a working queue. Loading it twice changes nothing: each
grievance is known by its citizen and words, each call and callback by its CallSid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work, utcnow
from booking_core.citizens import Citizen, get_or_create_citizen
from booking_core.hospitals import Hospital
from contact_centre.models import Call as CallRow
from contact_centre.models import CallbackRequest, CallOutcome, StaffUser
from grievances import workflow
from grievances.escalation import escalate_overdue
from grievances.models import Grievance
from grievances.services import register_grievance

# The demo's voice message is served by the app itself (``helpline.demo_audio``).
DEMO_RECORDING_URL = "demo:voice-message"

# Citizens who called: mobile, name, ABHA number, language.
CITIZENS = [
    ("+919810000201", "Kamla Devi", "91-2345-6789-0123", "hi"),
    ("+919810000202", "Ramesh Kumar", None, "hi"),
    ("+919810000203", "Farah Khan", None, "en"),
    ("+919810000204", "Suresh Yadav", "91-2345-6789-0456", "hi"),
    ("+919810000205", "Priya Sharma", None, "en"),
    ("+919810000206", "Mohd. Salim", None, "hi"),
]

# citizen index, category, hospital code, days ago, description, what happened since:
# (action, agent username, argument).
GRIEVANCES: list[tuple[int, str, str | None, int, str, list[tuple[str, str, str]]]] = [
    (0, "medicines_unavailable", "LNH", 1, "इंसुलिन दो हफ़्ते से फ़ार्मेसी में नहीं मिल रहा।", []),
    (1, "cleanliness", "GTB", 0, "ओपीडी ब्लॉक के शौचालय गंदे हैं, पानी भी नहीं है।", []),
    (2, "staff_behaviour", "DDU", 2, "The registration clerk shouted at my mother and sent "
     "us away without a card.", [("claim", "agent.rahul", ""),
                                 ("note", "agent.rahul", "Spoke to the OPD in-charge; "
                                  "clerk's name noted, meeting tomorrow.")]),
    (3, "appointment_opd", "BSA", 3, "मेरी हड्डी रोग ओपीडी की अपॉइंटमेंट थी पर टोकन "
     "नहीं मिला।", [("claim", "agent.asha", ""), ("reply", "agent.asha", "called"),
                    ("note", "agent.asha", "मरीज़ से बात हुई, अगले हफ़्ते की अपॉइंटमेंट "
                     "बुक करनी है।")]),
    (4, "cleanliness", "LBS", 20, "Ward 4 bedsheets were not changed for three days.",
     [("claim", "agent.rahul", "")]),
    (5, "medicines_unavailable", "SGMH", 9, "एंटी-रेबीज़ का टीका दो दिन से ख़त्म है।",
     [("claim", "agent.asha", ""), ("reply", "agent.asha", "action"),
      ("resolve", "agent.asha", "फ़ार्मेसी में 50 शीशियाँ आ गईं; मरीज़ को बता दिया।")]),
    (2, "other", None, 12, "The helpline kept me on hold for twenty minutes.",
     [("claim", "supervisor.meena", ""), ("reply", "supervisor.meena", "details"),
      ("resolve", "supervisor.meena", "Apologised; queue staffing raised for mornings."),
      ("close", "supervisor.meena", "")]),
    (1, "staff_behaviour", "RGSSH", 5, "गार्ड ने व्हीलचेयर देने से मना किया।",
     [("claim", "agent.asha", ""), ("transfer", "agent.asha", "GTB")]),
]
VOICE_MESSAGE = (4, "other", "MMMH", 0, 4)  # citizen, category, hospital, days ago, seconds

# Calls in today's log: CallSid, citizen index, minutes ago, menus, outcome, seconds,
# waited in the agent queue for (None: never queued), answered.
CALLS = [
    ("CADEMO0001", 0, 190, ["language", "main", "book.hospital", "book.department",
                            "book.day", "book.slot", "book.confirm"], "booked", 150, None),
    ("CADEMO0002", 1, 150, ["language", "main", "griev.category", "griev.hospital",
                            "griev.record"],
     "grievance", 120, None),
    ("CADEMO0003", 2, 95, ["language", "main", "agent"], "agent", 300, 25),
    ("CADEMO0004", 3, 60, ["language", "main", "beds"], "information", 70, None),
    ("CADEMO0005", 5, 40, ["language", "main", "agent"], "callback", 95, 80),
    ("CADEMO0006", 4, 20, ["language", "main", "agent"], "abandoned", 45, 40),
]
# Callers waiting for a callback: CallSid, citizen index, reason, minutes ago.
CALLBACKS = [
    ("CADEMO0005", 5, "queue_wait", 38),
    ("CADEMO-CB-2", 3, "after_hours", 600),
    ("CADEMO-CB-3", 0, "long_wait", 12),
]


def load_demo_activity(session: Session, *, tz: str = "Asia/Kolkata",
                       now: dt.datetime | None = None) -> dict[str, int]:
    """Add what is missing of the demo's activity; returns how many of each were added."""
    now = now or utcnow()
    added = {"grievances": 0, "calls": 0, "callbacks": 0}
    with unit_of_work(session):
        for phone, name, abha, language in CITIZENS:
            known = session.scalar(select(Citizen).where(Citizen.phone == phone))
            if known is None or known.name is None:
                get_or_create_citizen(session, phone, name=name, abha_number=abha,
                                      language=language)
    hospitals = {h.code: h.id for h in session.scalars(select(Hospital))}
    staff = {u.username: u.id for u in session.scalars(select(StaffUser))}
    for index, category, code, days, words, steps in GRIEVANCES:
        phone, _, _, language = CITIZENS[index]
        if _exists(session, phone, words):
            continue
        grievance = register_grievance(
            session, phone=phone, category=category, channel="ivr" if language == "hi"
            else "portal", language=language, description=words,
            hospital_id=hospitals.get(code) if code else None,
            now=now - dt.timedelta(days=days, hours=2))
        for action, username, argument in steps:
            _act(session, grievance.id, action, username, argument, staff, hospitals, tz)
        added["grievances"] += 1
    index, category, code, days, seconds = VOICE_MESSAGE
    phone, _, _, language = CITIZENS[index]
    if not _exists(session, phone, ""):
        register_grievance(session, phone=phone, category=category, channel="ivr",
                           language=language, hospital_id=hospitals.get(code),
                           recording_sid="REDEMO0001", recording_url=DEMO_RECORDING_URL,
                           recording_seconds=seconds, now=now - dt.timedelta(hours=1))
        added["grievances"] += 1
    if added["grievances"]:
        escalate_overdue(session, now=now, tz=tz)
    added["calls"] = _calls(session, now)
    added["callbacks"] = _callbacks(session, now)
    return added


def _exists(session: Session, phone: str, words: str) -> bool:
    return session.scalar(
        select(Grievance.id).join(Citizen, Citizen.id == Grievance.citizen_id)
        .where(Citizen.phone == phone, Grievance.description == words).limit(1)) is not None


def _act(session: Session, grievance_id: int, action: str, username: str, argument: str,
         staff: dict[str, int], hospitals: dict[str, int], tz: str) -> None:
    agent_id = staff.get(username)
    if agent_id is None:
        return
    steps: dict[str, Callable[[], Any]] = {
        "claim": lambda: workflow.claim_grievance(session, grievance_id, agent_id=agent_id,
                                                  actor=username, tz=tz),
        "note": lambda: workflow.add_note(session, grievance_id, argument, actor=username),
        "reply": lambda: workflow.reply_to_citizen(session, grievance_id, argument,
                                                   actor=username, tz=tz),
        "resolve": lambda: workflow.resolve_grievance(session, grievance_id, argument,
                                                      actor=username, tz=tz),
        "close": lambda: workflow.close_grievance(session, grievance_id, actor=username),
        "transfer": lambda: workflow.transfer_grievance(
            session, grievance_id, hospital_id=hospitals.get(argument), actor=username,
            reason="The hospital where it happened", tz=tz),
    }
    steps[action]()


def _calls(session: Session, now: dt.datetime) -> int:
    added = 0
    with unit_of_work(session):
        known = set(session.scalars(select(CallRow.call_sid).where(
            CallRow.call_sid.in_([c[0] for c in CALLS]))))
        for sid, index, minutes, path, outcome, seconds, waited in CALLS:
            if sid in known:
                continue
            phone, _, _, language = CITIZENS[index]
            started = now - dt.timedelta(minutes=minutes)
            queued = started + dt.timedelta(seconds=20) if waited is not None else None
            answered = (queued + dt.timedelta(seconds=waited)
                        if queued and outcome == "agent" else None)
            details: dict[str, Any] = {}
            if outcome == "abandoned":
                details = {"queue_result": "hangup", "ended_in": "queue"}
            session.add(CallRow(
                call_sid=sid, from_phone=phone, language=language, status="completed",
                path=path, outcome=CallOutcome(outcome), started_at=started,
                ended_at=started + dt.timedelta(seconds=seconds), duration_seconds=seconds,
                queued_at=queued, answered_at=answered, details=details))
            added += 1
    return added


def _callbacks(session: Session, now: dt.datetime) -> int:
    added = 0
    with unit_of_work(session):
        known = set(session.scalars(select(CallbackRequest.call_sid).where(
            CallbackRequest.call_sid.in_([c[0] for c in CALLBACKS]))))
        for sid, index, reason, minutes in CALLBACKS:
            if sid in known:
                continue
            phone, _, _, language = CITIZENS[index]
            session.add(CallbackRequest(phone=phone, language=language, call_sid=sid,
                                        reason=reason,
                                        requested_at=now - dt.timedelta(minutes=minutes)))
            added += 1
    return added
