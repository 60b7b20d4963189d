"""What agents, supervisors, jobs and citizens do to a grievance after it is registered.

Statuses move registered -> acknowledged -> in_progress -> resolved -> closed, with
escalated (SLA breached, by the escalation job, or by staff with a reason:
``grievances.escalation``) and reopened (by an agent, or by the
citizen saying it was not solved) on the side. Every change is a ``GrievanceEvent``
(who, when, what, from which channel) in the same transaction, and every message to
the citizen is an outbox SMS in their language, so the audit trail and what the
citizen was told never disagree.

Each function locks the grievance's row (``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises writers), so two agents acting at once are applied one
after the other, never half each.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booking_core.base import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    fit_words,
    unit_of_work,
    utcnow,
)
from booking_core.hospitals import Department, Hospital
from booking_core.outbox import OutboxMessage, OutboxStatus, add_call, add_sms
from contact_centre.models import Role, StaffUser
from grievances.access import may_see
from grievances.models import OPEN_STATUSES, Grievance, GrievanceStatus
from grievances.services import record_event
from grievances.sla import DEFAULT_TZ, start_clock
from locales import render
from locales.formatting import sms_date

MAX_TRANSFERS = 3
MAX_NOTE = 2000
# A rating of 1-5 from the follow-up call; this or lower opens an appeal.
POOR_RATING = 2
REPLY_KINDS = ("called", "details", "action")
CLOSED_STATUSES = (GrievanceStatus.RESOLVED, GrievanceStatus.CLOSED)


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class TransferLimitReached(Conflict):
    code = "transfer_limit_reached"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class AssigneeCannotSee(Forbidden):
    """The account a grievance would be given to may not see it (another hospital's
    staff: ``access.may_see``), so could never open or work it."""

    code = "assignee_cannot_see"


class ChooseReply(InvalidInput):
    code = "choose_reply"


class ChooseHospital(InvalidInput):
    code = "choose_hospital"


def load_for_update(session: Session, grievance_id: int) -> Grievance:
    grievance = session.scalar(
        select(Grievance).where(Grievance.id == grievance_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if grievance is None:
        raise NotFound("no such grievance", entity="grievance")
    return grievance


def require_open(grievance: Grievance) -> None:
    """Refuse a step that needs an open grievance (``InvalidTransition``)."""
    if grievance.status not in OPEN_STATUSES:
        raise InvalidTransition("this grievance is resolved or closed; reopen it first")


def _sms_params(session: Session, grievance: Grievance, tz: str,
                due: dt.datetime | None = None) -> dict[str, str]:
    lang = grievance.language
    hospital = session.get(Hospital, grievance.hospital_id) if grievance.hospital_id else None
    name = hospital.short_name(lang) if hospital else render(lang, "grievance.helpline_name")
    params = {"reference": grievance.reference, "hospital": fit_words(name)}
    due = due or grievance.resolve_due_at
    if due is not None:
        # Deadlines are "the end of a day": the day to tell is the one just before.
        last_day = (due - dt.timedelta(seconds=1)).astimezone(ZoneInfo(tz)).date()
        params["date"] = sms_date(lang, last_day)
    return params


# Templates that name the hospital dealing with a complaint, and their whole sentence for
# a complaint about no hospital, which the helpline itself deals with (the helpline's name
# dropped into the hospital's place would read "Delhi Health Helpline: ... is with Delhi
# Health Helpline", and Hindi's verb would not agree with «हेल्पलाइन»).
MAX_REOPEN_REASON = 300  # characters; the history keeps the reason whole

WITHOUT_HOSPITAL = {
    "grievance_acknowledged": "grievance_acknowledged_helpline",
    "grievance_reply_action": "grievance_reply_action_helpline",
}


def text_to_citizen(session: Session, grievance: Grievance, template: str, tz: str,
                    key: str, due: dt.datetime | None = None) -> None:
    """Queue the SMS ``template`` to the grievance's citizen, in their language, in the
    caller's transaction; ``key`` makes it once per grievance (the outbox's dedupe key),
    so a repeated step texts nothing more."""
    if grievance.hospital_id is None:
        template = WITHOUT_HOSPITAL.get(template, template)
    add_sms(session, grievance.citizen.phone, template, grievance.language,
            _sms_params(session, grievance, tz, due),
            dedupe_key=f"grievance:{grievance.id}:{key}", grievance_id=grievance.id)


def _acknowledge(session: Session, grievance: Grievance, *, actor: str | None, channel: str,
                 now: dt.datetime, tz: str) -> None:
    if grievance.acknowledged_at is not None:
        return
    grievance.acknowledged_at = now
    if grievance.status in (GrievanceStatus.REGISTERED, GrievanceStatus.REOPENED):
        grievance.status = GrievanceStatus.ACKNOWLEDGED
    record_event(session, grievance, "acknowledged", actor=actor, channel=channel)
    text_to_citizen(session, grievance, "grievance_acknowledged", tz,
                    f"acknowledged:{int(now.timestamp())}")


def claim_grievance(
    session: Session, grievance_id: int, *, agent_id: int, actor: str, channel: str = "agent",
    now: dt.datetime | None = None, tz: str = DEFAULT_TZ,
) -> Grievance:
    """Take an unassigned grievance. One conditional UPDATE decides the race: of two
    agents claiming at once exactly one wins, the other gets ``AlreadyClaimed``.
    Claiming acknowledges it to the citizen if nobody had."""
    now = now or utcnow()
    with unit_of_work(session):
        taken = session.execute(  # type: ignore[attr-defined]
            update(Grievance)
            .where(Grievance.id == grievance_id, Grievance.assigned_to_id.is_(None),
                   Grievance.status.in_(OPEN_STATUSES))
            .values(assigned_to_id=agent_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        grievance = load_for_update(session, grievance_id)
        if not taken:
            if grievance.assigned_to_id == agent_id:
                return grievance
            require_open(grievance)
            raise AlreadyClaimed("another agent has claimed this grievance",
                                 assigned_to_id=grievance.assigned_to_id)
        record_event(session, grievance, "claimed", actor=actor, channel=channel,
                     agent_id=agent_id)
        _acknowledge(session, grievance, actor=actor, channel=channel, now=now, tz=tz)
    return grievance


def assignable_staff(session: Session, grievance: Grievance) -> list[StaffUser]:
    """Whom a supervisor may give ``grievance`` to: active agents and supervisors who
    may see it (``access.may_see``: never another hospital's staff), by name."""
    people = session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role != Role.ADMIN)
        .order_by(StaffUser.display_name, StaffUser.id))
    return [person for person in people if may_see(person, grievance)]


def assign_grievance(
    session: Session, grievance_id: int, *, agent_id: int | None, actor: str,
    channel: str = "agent", now: dt.datetime | None = None,
) -> Grievance:
    """A supervisor gives a grievance to an agent (or back to the team with None): an
    active account, else invalid input (an unknown id would otherwise fail the write);
    one that may see the grievance, else ``AssigneeCannotSee`` (a hospital's staff
    never hold another hospital's grievance: they could not open it)."""
    now = now or utcnow()
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        require_open(grievance)
        agent = session.get(StaffUser, agent_id) if agent_id is not None else None
        if agent_id is not None and (agent is None or not agent.active):
            raise InvalidInput("no such agent", field="agent_id")
        if agent is not None and not may_see(agent, grievance):
            raise AssigneeCannotSee("that account cannot see this grievance",
                                    field="agent_id")
        grievance.assigned_to_id = agent_id
        grievance.claimed_at = now if agent_id else None
        record_event(session, grievance, "assigned" if agent_id else "unassigned",
                     actor=actor, channel=channel, agent_id=agent_id)
    return grievance


def add_note(session: Session, grievance_id: int, note: str, *, actor: str,
             channel: str = "agent") -> Grievance:
    """An internal note: for staff only, never sent to the citizen."""
    text = (note or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidInput(f"a note has 1 to {MAX_NOTE} characters", field="note")
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        record_event(session, grievance, "note", actor=actor, channel=channel, text=text)
    return grievance


def reply_to_citizen(
    session: Session, grievance_id: int, kind: str, *, actor: str, channel: str = "agent",
    now: dt.datetime | None = None, tz: str = DEFAULT_TZ,
) -> Grievance:
    """Text the citizen one of the registered reply templates (DLT allows only fixed
    texts), in their language. Replying means work has started."""
    if kind not in REPLY_KINDS:
        # Never a default: the agent picks the text the citizen will read.
        raise ChooseReply("choose the reply to send", field="reply")
    now = now or utcnow()
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        require_open(grievance)
        _acknowledge(session, grievance, actor=actor, channel=channel, now=now, tz=tz)
        if grievance.status in (GrievanceStatus.ACKNOWLEDGED, GrievanceStatus.REGISTERED):
            grievance.status = GrievanceStatus.IN_PROGRESS
        record_event(session, grievance, "replied", actor=actor, channel=channel, reply=kind)
        text_to_citizen(session, grievance, f"grievance_reply_{kind}", tz,
                        f"reply:{kind}:{int(now.timestamp())}")
        grievance.last_update_note = f"sms.grievance_reply_{kind}"
    return grievance


def send_interim_reply(
    session: Session, grievance_id: int, expected_by: dt.date, *, actor: str,
    channel: str = "agent", now: dt.datetime | None = None, tz: str = DEFAULT_TZ,
) -> Grievance:
    """Tell the citizen the deadline cannot be met and when to expect an answer. The
    SLA itself does not move: a late grievance still escalates."""
    now = now or utcnow()
    today = now.astimezone(ZoneInfo(tz)).date()
    if not today < expected_by <= today + dt.timedelta(days=90):
        raise InvalidInput("the new date must be within the next 90 days", field="expected_by")
    expected_end = dt.datetime.combine(expected_by + dt.timedelta(days=1), dt.time(0),
                                       ZoneInfo(tz)).astimezone(dt.UTC)
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        require_open(grievance)
        _acknowledge(session, grievance, actor=actor, channel=channel, now=now, tz=tz)
        grievance.interim_reply_at = now
        if grievance.status == GrievanceStatus.ACKNOWLEDGED:
            grievance.status = GrievanceStatus.IN_PROGRESS
        record_event(session, grievance, "interim_reply", actor=actor, channel=channel,
                     expected_by=expected_by.isoformat())
        text_to_citizen(session, grievance, "grievance_interim", tz,
                        f"interim:{int(now.timestamp())}", due=expected_end)
    return grievance


def transfer_grievance(
    session: Session, grievance_id: int, *, hospital_id: int | None,
    department_id: int | None = None, reason: str = "", actor: str, channel: str = "agent",
    now: dt.datetime | None = None, tz: str = DEFAULT_TZ,
) -> Grievance:
    """Send a grievance to the hospital or department that can act on it, instead of
    closing it as "not ours". At most ``MAX_TRANSFERS`` times, so it cannot bounce
    forever; it goes back to the team queue there. The hospital is always the agent's
    explicit choice (``None``: none chosen, refused)."""
    if hospital_id is None:
        raise ChooseHospital("choose the hospital to transfer to", field="hospital_id")
    now = now or utcnow()
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        require_open(grievance)
        if grievance.transfer_count >= MAX_TRANSFERS:
            raise TransferLimitReached(
                f"already transferred {MAX_TRANSFERS} times; a supervisor must decide")
        if session.get(Hospital, hospital_id) is None:
            raise InvalidInput("no such hospital", field="hospital_id")
        if department_id is not None:
            dep = session.get(Department, department_id)
            if dep is None or dep.hospital_id != hospital_id:
                raise InvalidInput("no such department", field="department_id")
        if (hospital_id, department_id) == (grievance.hospital_id, grievance.department_id):
            raise InvalidInput("it is already there", field="hospital_id")
        before = {"hospital_id": grievance.hospital_id, "department_id": grievance.department_id}
        grievance.hospital_id = hospital_id
        grievance.department_id = department_id
        grievance.transfer_count += 1
        grievance.assigned_to_id = None
        grievance.claimed_at = None
        record_event(session, grievance, "transferred", actor=actor, channel=channel,
                     reason=reason.strip()[:300], **{"from": before},
                     to={"hospital_id": hospital_id, "department_id": department_id},
                     count=grievance.transfer_count)
        text_to_citizen(session, grievance, "grievance_transferred", tz,
                        f"transferred:{grievance.transfer_count}")
    return grievance


def resolve_grievance(
    session: Session, grievance_id: int, resolution: str, *, actor: str,
    channel: str = "agent", now: dt.datetime | None = None, tz: str = DEFAULT_TZ,
) -> Grievance:
    """Record what was done and tell the citizen; the follow-up call after closure asks
    whether it really is solved."""
    text = (resolution or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidInput(f"describe the resolution (1 to {MAX_NOTE} characters)",
                           field="resolution")
    now = now or utcnow()
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        require_open(grievance)
        _acknowledge(session, grievance, actor=actor, channel=channel, now=now, tz=tz)
        grievance.status = GrievanceStatus.RESOLVED
        grievance.last_update_note = None  # the resolution supersedes any reply
        grievance.resolved_at = now
        record_event(session, grievance, "resolved", actor=actor, channel=channel,
                     resolution=text)
        text_to_citizen(session, grievance, "grievance_resolved", tz,
                        f"resolved:{int(now.timestamp())}")
    return grievance


def close_grievance(
    session: Session, grievance_id: int, *, actor: str | None, channel: str = "agent",
    now: dt.datetime | None = None,
) -> Grievance:
    """Close a resolved grievance and queue the follow-up call that asks the citizen
    whether it is solved (``record_citizen_feedback`` takes the answer)."""
    now = now or utcnow()
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        if grievance.status == GrievanceStatus.CLOSED:
            return grievance
        if grievance.status != GrievanceStatus.RESOLVED:
            raise InvalidTransition("resolve the grievance before closing it")
        _close(session, grievance, actor=actor, channel=channel, now=now)
    return grievance


def _close(session: Session, grievance: Grievance, *, actor: str | None, channel: str,
           now: dt.datetime) -> None:
    grievance.status = GrievanceStatus.CLOSED
    grievance.closed_at = now
    record_event(session, grievance, "closed", actor=actor, channel=channel)
    add_call(session, grievance.citizen.phone, "grievance_followup", grievance.language,
             {"grievance_id": grievance.id}, grievance_id=grievance.id,
             dedupe_key=f"grievance:{grievance.id}:followup")


def reopen_grievance(
    session: Session, grievance_id: int, reason: str, *, actor: str | None,
    channel: str = "agent", now: dt.datetime | None = None, tz: str = DEFAULT_TZ,
) -> Grievance:
    """Open a resolved or closed grievance again with a fresh SLA (the citizen called
    back, or a supervisor found the resolution wanting). The reason is required (1 to
    300 characters): it is the history's only record of why the case came back.

    Raises ``InvalidInput`` (field ``reason``) for an empty or too long reason."""
    text = (reason or "").strip()
    if not text or len(text) > MAX_REOPEN_REASON:
        raise InvalidInput(f"say why it is reopened (1 to {MAX_REOPEN_REASON} characters)",
                           field="reason")
    now = now or utcnow()
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        if grievance.status not in CLOSED_STATUSES:
            raise InvalidTransition("only a resolved or closed grievance can be reopened")
        _reopen(session, grievance, reason=text, actor=actor, channel=channel, now=now, tz=tz)
        text_to_citizen(session, grievance, "grievance_reopened", tz,
                        f"reopened:{int(now.timestamp())}")
    return grievance


def _reopen(session: Session, grievance: Grievance, *, reason: str, actor: str | None,
            channel: str, now: dt.datetime, tz: str) -> None:
    grievance.status = GrievanceStatus.REOPENED
    grievance.last_update_note = None  # the replies were to the case before it closed
    grievance.resolved_at = None
    grievance.closed_at = None
    grievance.acknowledged_at = None
    grievance.assigned_to_id = None
    grievance.claimed_at = None
    start_clock(session, grievance, now, tz)
    record_event(session, grievance, "reopened", actor=actor, channel=channel,
                 reason=(reason or "").strip()[:300])
    # "Was it solved?" no longer makes sense: no follow-up call waits to be placed.
    for row in session.scalars(select(OutboxMessage).where(
            OutboxMessage.grievance_id == grievance.id,
            OutboxMessage.template == "grievance_followup",
            OutboxMessage.status == OutboxStatus.PENDING)):
        row.status = OutboxStatus.CANCELLED


def record_citizen_feedback(
    session: Session, grievance_id: int, *, solved: bool, rating: int | None = None,
    channel: str, actor: str | None = None, now: dt.datetime | None = None,
    tz: str = DEFAULT_TZ,
) -> Grievance:
    """The citizen's answer after closure (the follow-up call, an agent on the phone).

    ``solved=False`` or a rating of ``POOR_RATING`` or less reopens the grievance as an
    appeal before a senior officer (escalation level 2) with a fresh SLA. Asking twice
    is harmless: an answer arriving after the appeal is open changes nothing more.
    """
    if rating is not None and (isinstance(rating, bool) or not 1 <= int(rating) <= 5):
        raise InvalidInput("a rating is 1 to 5", field="rating")
    now = now or utcnow()
    with unit_of_work(session):
        grievance = load_for_update(session, grievance_id)
        if grievance.status not in CLOSED_STATUSES:
            if grievance.appeal_opened_at is not None and grievance.feedback_at is not None:
                return grievance  # the same answer again: the appeal is already open
            raise InvalidTransition("feedback is taken once the grievance is resolved")
        grievance.feedback_solved = solved
        grievance.feedback_rating = rating
        grievance.feedback_at = now
        record_event(session, grievance, "feedback", actor=actor, channel=channel,
                     solved=solved, rating=rating)
        if not solved or (rating is not None and rating <= POOR_RATING):
            _reopen(session, grievance, reason="citizen feedback", actor=actor,
                    channel=channel, now=now, tz=tz)
            grievance.escalation_level = 2
            grievance.appeal_opened_at = now
            grievance.escalated_at = now
            record_event(session, grievance, "appeal_opened", actor=actor, channel=channel)
            text_to_citizen(session, grievance, "grievance_appeal", tz,
                            f"appeal:{int(now.timestamp())}")
        elif grievance.status == GrievanceStatus.RESOLVED:
            _close(session, grievance, actor=actor, channel=channel, now=now)
    return grievance
