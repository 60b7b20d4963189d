"""Callers who asked to be called back, worked by agents.

A callback goes waiting -> claimed (one agent, decided by one conditional UPDATE) ->
calling (an outbound call in the outbox: Twilio rings the agent first, then bridges
the citizen) -> done, failed, or back to waiting when nobody answered. The attempt
ends with its result, saved by the agent or reported by Twilio, whichever comes
first; the agent's On a call ends with it (``routing.end_outbound_call``). A result
the agent saved shows on their card as finished, and is changed only by a deliberate
correction (``record_callback_outcome``); both are kept in the audit trail
(``booking_core.audit``, entity ``callback``).

A claimed callback can also go back to waiting without a result: a helpline supervisor
returns it (``release_callback``: the agent went home, is on a long break), or the
agent signs out holding it (``return_claimed_callbacks``, from
``contact_centre.agents.sign_out``). It keeps its ``requested_at``, so its place in the
list, and the audit trail records who returned it. One being called (``calling``) is
never returned: its call is ringing or on the line, and ends with its own result.

A number has at most one open request (waiting, claimed or calling): every request is
made by ``request_callback`` (the phone line, its spool, an agent phoning a
complainant), and the partial unique index ``uq_callback_request_one_open`` holds it
when two are made at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from booking_core.audit import record_change
from booking_core.base import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    unit_of_work,
    utcnow,
)
from booking_core.outbox import add_call
from contact_centre.call_log import call_row
from contact_centre.models import (
    OPEN_CALLBACK_STATUSES,
    CallbackRequest,
    CallbackStatus,
    CallOutcome,
    StaffUser,
)
from contact_centre.routing import end_outbound_call, start_outbound_call
from grievances.models import Grievance
from grievances.services import record_event

# What the agent says happened, and where the callback goes next (``settle``).
OUTCOMES = {
    "reached": CallbackStatus.DONE,
    "wrong_number": CallbackStatus.FAILED,
    "no_answer": CallbackStatus.WAITING,  # back in the list for another try
}
MAX_NOTES = 1000
DEFAULT_TZ = "Asia/Kolkata"


class CallbackTaken(Conflict):
    code = "callback_taken"


class CallbackChanged(Conflict):
    """A result sent from a form drawn before another result was saved."""

    code = "callback_changed"


class ClaimChanged(Conflict):
    """A supervisor's "return to the waiting list" sent from a page drawn before the
    callback changed: ``details["reason"]`` says how (``waiting``: already returned;
    ``calling``: the agent is calling it; ``finished``: a result was saved;
    ``other_hands``: taken again since, by this agent or another)."""

    code = "callback_claim_changed"


class NoAgentPhone(InvalidInput):
    code = "no_agent_phone"


@dataclass(frozen=True)
class CallbackBooking:
    """The number's open callback request, and whether it was already open before this
    request (made by an earlier call or by an agent): then nothing new was queued, and
    the caller is told a callback is already booked rather than thanked for a new one."""

    callback: CallbackRequest
    already_booked: bool


def request_callback(session: Session, *, phone: str, language: str, reason: str,
                     call_sid: str | None = None, caller: str | None = None,
                     direction: str = "inbound",
                     now: dt.datetime | None = None) -> CallbackBooking:
    """Ask an agent to call ``phone`` back: the one way a callback request is made.

    One open request per number: while the number has one (waiting, claimed or being
    called) nothing is added, and the booking says ``already_booked``; a waiting one
    takes the latest ``language`` (the agent speaks it), and keeps its first reason and
    place in the list. A settled request (done, failed) does not count: the number may
    ask again. The same call asking twice (the key pressed again, Twilio retrying the
    webhook) gets its own request back, not ``already_booked``: the caller has not yet
    heard it confirmed. The call (``call_sid``) ends as a callback either way; should
    it have no row in the call log yet, ``caller`` (its caller id, or the number a call
    the helpline placed went to) and ``direction`` make one (``call_log.call_row``).

    Safe when requests race: the insert is ``ON CONFLICT DO NOTHING`` on the partial
    unique index (never a unique violation, which PostgreSQL would log with the full
    number), and a request that loses reads the winner's. Runs in its own unit of work,
    or as part of the caller's."""
    moment = now or utcnow()
    phone = phone[:20]
    for _ in range(3):  # the open request may be settled between our insert and read
        with unit_of_work(session):
            own = _requested_by_call(session, call_sid)
            if own is not None:
                return CallbackBooking(own, already_booked=False)
            new_id = _insert_if_none_open(
                session, phone=phone, language=language[:5], call_sid=call_sid,
                reason=reason[:40], status=CallbackStatus.WAITING, requested_at=moment)
            if new_id is not None:
                booking = CallbackBooking(_locked(session, new_id), already_booked=False)
            else:  # this call's request made meanwhile, or the number's open one
                own = _requested_by_call(session, call_sid)
                if own is not None:
                    return CallbackBooking(own, already_booked=False)
                open_id = session.scalar(select(CallbackRequest.id).where(
                    CallbackRequest.phone == phone,
                    CallbackRequest.status.in_(OPEN_CALLBACK_STATUSES)))
                if open_id is None:
                    continue
                booking = CallbackBooking(_locked(session, open_id), already_booked=True)
                if booking.callback.status == CallbackStatus.WAITING:
                    booking.callback.language = language[:5]
            if call_sid:
                call_row(session, call_sid, caller, direction).outcome = CallOutcome.CALLBACK
        return booking
    raise Conflict("the number's callback request kept changing; ask again")


def _requested_by_call(session: Session, call_sid: str | None) -> CallbackRequest | None:
    if not call_sid:
        return None
    return session.scalar(select(CallbackRequest).where(CallbackRequest.call_sid == call_sid)
                          .execution_options(populate_existing=True))


def _insert_if_none_open(session: Session, **values: object) -> int | None:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: the new request's id, or None
    when the number has an open request (or the call has one), whoever committed it
    first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CallbackRequest.__table__
    return session.scalar(insert(table).values(**values)  # type: ignore[arg-type]
                          .on_conflict_do_nothing().returning(table.c.id))  # type: ignore[attr-defined]


def _locked(session: Session, callback_id: int) -> CallbackRequest:
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.id == callback_id).with_for_update()
        .execution_options(populate_existing=True)).one()


def waiting_callbacks(session: Session, limit: int = 50) -> list[CallbackRequest]:
    """Oldest first: the longest-waiting citizen is called back first."""
    return list(session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.status == CallbackStatus.WAITING)
        .order_by(CallbackRequest.requested_at, CallbackRequest.id)
        .limit(limit)
    ))


IN_HAND = (CallbackStatus.CLAIMED, CallbackStatus.CALLING)
SETTLED = (CallbackStatus.DONE, CallbackStatus.FAILED)


def claimed_callbacks(session: Session, limit: int = 200) -> list[CallbackRequest]:
    """Every callback in an agent's hands (claimed or being called), the one held
    longest first, each with its agent (``claimed_by``) loaded: the supervisor's view
    of callbacks nobody else can see or take."""
    return list(session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.status.in_(IN_HAND))
        .order_by(CallbackRequest.claimed_at, CallbackRequest.id)
        .options(selectinload(CallbackRequest.claimed_by))
        .limit(limit)
    ))


def start_of_today(now: dt.datetime, tz: str = DEFAULT_TZ) -> dt.datetime:
    """Midnight of ``now``'s day in the helpline's time zone: callbacks an agent
    finished since then are still theirs to see and correct."""
    zone = ZoneInfo(tz)
    return dt.datetime.combine(now.astimezone(zone).date(), dt.time(0), tzinfo=zone)


def my_callbacks(session: Session, agent_id: int, now: dt.datetime | None = None,
                 tz: str = DEFAULT_TZ) -> list[CallbackRequest]:
    """The agent's callbacks in hand (claimed or being called, the longest held first),
    then those they finished today, local time (done or failed, the latest first).

    A finished callback stays on the agent's list until midnight so they can see what
    they saved, add what was said to an outcome Twilio reported, or correct a result
    (``record_callback_outcome`` accepts exactly these); a shift's finished callbacks
    are gone the next day, not two hours into the shift. One whose result was "no
    answer" is back in the waiting list and no longer the agent's."""
    since = start_of_today(now or utcnow(), tz)
    rows = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.claimed_by_id == agent_id,
               CallbackRequest.status.in_(IN_HAND)
               | (CallbackRequest.status.in_(SETTLED) & (CallbackRequest.completed_at >= since)))
        .options(selectinload(CallbackRequest.result_by))
    ).all()
    in_hand = sorted((cb for cb in rows if cb.status in IN_HAND),
                     key=lambda cb: (cb.claimed_at or cb.requested_at, cb.id))
    finished = sorted((cb for cb in rows if cb.status in SETTLED),
                      key=lambda cb: (cb.completed_at or cb.requested_at, cb.id), reverse=True)
    return in_hand + finished


def settle(callback: CallbackRequest, outcome: str, now: dt.datetime,
           note: str | None = None) -> None:
    """Give a callback its outcome (``OUTCOMES``): "reached" finishes it as done,
    "wrong number" as failed, both staying with the agent who worked it; "no answer"
    is the one outcome that means "try again": the callback goes back to the waiting
    list for anyone (its claim, finish time and saved result cleared, so the next
    attempt starts blank). Twilio's reports (``outbound_calls``) and the agent's
    result both come through here. A finished callback settled again (a correction)
    keeps the time it first finished."""
    finished_at = callback.completed_at if callback.status in SETTLED else None
    callback.status = OUTCOMES[outcome]
    callback.outcome = note or outcome
    if callback.status == CallbackStatus.WAITING:
        callback.claimed_by_id = None
        callback.claimed_at = None
        callback.completed_at = None
        callback.result_by_id = None
        callback.result_at = None
    else:
        callback.completed_at = finished_at or now


def _mine(session: Session, callback_id: int, agent_id: int, *,
          finished_since: dt.datetime | None = None) -> CallbackRequest:
    """The agent's callback, locked: in hand, or (with ``finished_since``) finished by
    them since then. Else ``NotFound`` or ``CallbackTaken``."""
    callback = session.scalar(
        select(CallbackRequest).where(CallbackRequest.id == callback_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if callback is None:
        raise NotFound("no such callback", entity="callback")
    correctable = (
        callback.status in SETTLED and finished_since is not None
        and callback.completed_at is not None and callback.completed_at >= finished_since
    )
    if callback.claimed_by_id != agent_id or not (callback.status in IN_HAND or correctable):
        raise CallbackTaken("this callback is not yours to work")
    return callback


def _another_open(session: Session, callback: CallbackRequest) -> bool:
    return session.scalar(select(CallbackRequest.id).where(
        CallbackRequest.phone == callback.phone, CallbackRequest.id != callback.id,
        CallbackRequest.status.in_(OPEN_CALLBACK_STATUSES)).limit(1)) is not None


def claim_callback(session: Session, callback_id: int, *, agent_id: int,
                   now: dt.datetime | None = None) -> CallbackRequest:
    """Take a waiting callback; of two agents clicking at once exactly one gets it."""
    now = now or utcnow()
    with unit_of_work(session):
        taken = session.execute(  # type: ignore[attr-defined]
            update(CallbackRequest)
            .where(CallbackRequest.id == callback_id,
                   CallbackRequest.status == CallbackStatus.WAITING)
            .values(status=CallbackStatus.CLAIMED, claimed_by_id=agent_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            if session.get(CallbackRequest, callback_id) is None:
                raise NotFound("no such callback", entity="callback")
            raise CallbackTaken("another agent has taken this callback")
        return _mine(session, callback_id, agent_id)


def release_callback(session: Session, callback_id: int, *, by: StaffUser,
                     expected_agent_id: int,
                     seen_claimed_at: dt.datetime | None) -> CallbackRequest:
    """A helpline supervisor (or admin) returns a claimed callback to the waiting list:
    its agent has gone home or is away, and nobody else could take it. It keeps its
    place (``requested_at`` is untouched), the claim is cleared, the agent no longer
    has it in "my callbacks", and the audit trail records who returned it from whom.

    ``expected_agent_id`` and ``seen_claimed_at`` are the claim the supervisor's page
    showed. Anything else now (a result saved, the agent calling, already returned,
    taken again since) is refused with ``ClaimChanged`` and changes nothing: a
    supervisor only ever returns the claim they saw. A callback being called is never
    returned (reason ``calling``): Twilio is ringing the agent or the citizen, and the
    attempt ends with its own result (the agent's, or Twilio's when nobody answers).

    Takes the agent's row lock before the callback's, as the agent's own steps do
    (``record_callback_outcome``, ``call_back``): of a release and the agent's result
    sent at the same moment exactly one is applied. ``Forbidden`` for anyone who does
    not oversee the helpline (an agent, a hospital's supervisor)."""
    if not by.oversees_the_helpline:
        raise Forbidden("only the helpline's supervisors return callbacks")
    with unit_of_work(session):
        session.get(StaffUser, expected_agent_id, with_for_update=True)
        callback = session.scalar(
            select(CallbackRequest).where(CallbackRequest.id == callback_id)
            .with_for_update().execution_options(populate_existing=True))
        if callback is None:
            raise NotFound("no such callback", entity="callback")
        if callback.status != CallbackStatus.CLAIMED:
            reason = ("calling" if callback.status == CallbackStatus.CALLING else
                      "waiting" if callback.status == CallbackStatus.WAITING else "finished")
            raise ClaimChanged("the callback is not claimed any more", reason=reason)
        if (callback.claimed_by_id != expected_agent_id
                or callback.claimed_at != seen_claimed_at):
            raise ClaimChanged("the callback was taken again", reason="other_hands")
        _return_to_waiting(session, callback, actor=by.username)
    return callback


def return_claimed_callbacks(session: Session, agent: StaffUser) -> int:
    """Put every callback ``agent`` has claimed (not one being called) back in the
    waiting list, in its place, recorded in the audit trail under the agent's name:
    an agent signing out leaves no callback that nobody else can take. Part of the
    caller's transaction, which holds the agent's row lock. Returns how many."""
    held = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.claimed_by_id == agent.id,
               CallbackRequest.status == CallbackStatus.CLAIMED)
        .order_by(CallbackRequest.id).with_for_update()
        .execution_options(populate_existing=True)).all()
    for callback in held:
        _return_to_waiting(session, callback, actor=agent.username)
    return len(held)


def _return_to_waiting(session: Session, callback: CallbackRequest, *, actor: str) -> None:
    holder = session.get(StaffUser, callback.claimed_by_id) if callback.claimed_by_id else None
    before = {"status": callback.status.value,
              "claimed_by": holder.username if holder else None}
    callback.status = CallbackStatus.WAITING
    callback.claimed_by_id = None
    callback.claimed_at = None
    record_change(session, actor=actor, entity="callback", key=callback.id, hospital_id=None,
                  before=before, after={"status": CallbackStatus.WAITING.value,
                                        "claimed_by": None})


def call_back(session: Session, callback_id: int, *, agent: StaffUser,
              now: dt.datetime | None = None) -> CallbackRequest:
    """Queue the outbound call: Twilio calls the agent's phone first, then bridges the
    citizen (the messaging side builds that call from ``callback_id``). The agent is
    On a call from this transaction on (``routing.start_outbound_call``: routing never
    rings them meanwhile), and in wrap-up when it ends. Raises ``AgentBusy`` while a
    call holds the agent (on a call, in wrap-up, being rung), ``NoAgentPhone``,
    ``CallbackTaken``."""
    if not agent.phone:
        raise NoAgentPhone("add your phone number to your account to make calls")
    now = now or utcnow()
    with unit_of_work(session):
        start_outbound_call(session, agent.id, now)  # the agent's lock, then the callback's
        callback = _mine(session, callback_id, agent.id)
        callback.status = CallbackStatus.CALLING
        add_call(session, agent.phone, "agent_callback", agent.language,
                 {"callback_id": callback.id, "agent_id": agent.id},
                 dedupe_key=f"callback:{callback.id}:call:{int(now.timestamp())}")
    return callback


def call_complainant(session: Session, grievance_id: int, *, agent: StaffUser,
                     now: dt.datetime | None = None) -> CallbackRequest:
    """Phone the citizen who filed a grievance, through the callbacks' bridge: a
    callback (reason ``complainant``) in this agent's hands and the same outbound call
    (Twilio rings the agent's phone, then dials the citizen), so the call's result and
    the agent's notes land on the agent's callback card like any callback's. The
    grievance's history records that the agent called.

    The number's open callback, if it asked for one, is the one the agent takes (its
    first reason kept): one call answers both, and no second call is queued.

    The agent is On a call from this transaction on, as for any callback.

    Errors: ``NoAgentPhone``, ``AgentBusy``, ``NotFound`` (no such grievance),
    ``CallbackTaken`` (another agent has the number's callback in hand).
    """
    if not agent.phone:
        raise NoAgentPhone("add your phone number to your account to make calls")
    now = now or utcnow()
    with unit_of_work(session):
        start_outbound_call(session, agent.id, now)
        grievance = session.get(Grievance, grievance_id)
        if grievance is None:
            raise NotFound("no such grievance", entity="grievance")
        callback = request_callback(session, phone=grievance.citizen.phone,
                                    language=grievance.language, reason="complainant",
                                    now=now).callback
        if callback.status != CallbackStatus.WAITING and callback.claimed_by_id != agent.id:
            raise CallbackTaken("another agent is calling this number back")
        callback.status = CallbackStatus.CALLING
        callback.claimed_by_id = agent.id
        callback.claimed_at = callback.claimed_at or now
        session.flush()
        add_call(session, agent.phone, "agent_callback", agent.language,
                 {"callback_id": callback.id, "agent_id": agent.id},
                 dedupe_key=f"callback:{callback.id}:call:{int(now.timestamp())}")
        record_event(session, grievance, "called", actor=agent.username, channel="agent",
                     callback_id=callback.id)
    return callback


def record_callback_outcome(session: Session, callback_id: int, *, agent_id: int,
                            outcome: str, notes: str = "", seen_version: int | None = None,
                            now: dt.datetime | None = None,
                            tz: str = DEFAULT_TZ) -> CallbackRequest:
    """What the agent says happened on a callback, with their notes: its result, or a
    correction of the result they saved.

    The result of the callback being called ends the attempt, whatever Twilio has
    said so far (in demo mode it never says anything): the agent's call for it ends
    and they go into wrap-up like after any call (``routing.end_outbound_call``),
    then Available or the state they asked for. While their own phone is still on
    the line (its leg answered, its end not yet reported) that call holds them until
    it ends. A later word from Twilio on this attempt changes nothing more.

    Saved, the result is the callback's (who, when: ``result_by_id``, ``result_at``)
    and the agent's card shows it finished. The agent may correct it (or complete an
    outcome Twilio reported with what was said) for as long as it is on their list:
    callbacks they finished today (``my_callbacks``). A correction goes where its new
    outcome says (``settle``): reached or wrong number keeps the callback finished
    (never back in the waiting list); only "no answer", which means "try again", puts
    it back in the list, and not even then when the number has asked again since (its
    newer request is the one in the list: this one stays failed, with the result).
    The same result sent again changes nothing.

    ``seen_version`` is the callback's ``result_version`` the agent's form was drawn
    with. A form drawn before a result was saved (the page from before the save sent
    again, a second tab, two saves at once) is refused with ``CallbackChanged`` and
    changes nothing: a saved result is only ever changed by someone who saw it. None
    skips the check (callers with no form). Other errors: ``InvalidInput`` (outcome,
    notes), ``NotFound``, ``CallbackTaken`` (another's, back in the list, finished
    before today).

    Every result saved and every correction is kept in the audit trail
    (``booking_core.audit``, entity ``callback``: the result before and after, and the
    agent's username), in the same transaction."""
    if outcome not in OUTCOMES:
        raise InvalidInput("choose what happened on the call", field="outcome")
    if len(notes or "") > MAX_NOTES:
        raise InvalidInput(f"notes have at most {MAX_NOTES} characters", field="notes")
    text = (notes or "").strip() or None
    now = now or utcnow()
    with unit_of_work(session):
        agent = session.get(StaffUser, agent_id, with_for_update=True)  # the agent's lock first
        if agent is None:
            raise CallbackTaken("this callback is not yours to work")
        callback = _mine(session, callback_id, agent_id,
                         finished_since=start_of_today(now, tz))
        if seen_version is not None and seen_version != callback.result_version:
            raise CallbackChanged("a result was saved since this form was drawn",
                                  entity="callback")
        before = _saved_result(callback)
        if before is not None and (before["outcome"], before["notes"]) == (outcome, text):
            return callback  # nothing to correct
        calling = callback.status == CallbackStatus.CALLING
        if (OUTCOMES[outcome] == CallbackStatus.WAITING and callback.status in SETTLED
                and _another_open(session, callback)):
            # Back in the list, but the number asked again since: its newer request is
            # the one in the list; this one stays settled, with what the agent says.
            callback.status = CallbackStatus.FAILED
            callback.outcome = outcome
        else:
            settle(callback, outcome, now)
        callback.notes = text
        callback.result_version += 1
        if callback.status in SETTLED:
            callback.result_by_id = agent_id
            callback.result_at = now
        record_change(session, actor=agent.username, entity="callback", key=callback.id,
                      hospital_id=None, before=before,
                      after={"outcome": outcome, "notes": text,
                             "status": callback.status.value})
        if calling:
            end_outbound_call(session, agent_id, callback.id, now, answered=True)
    return callback


def _saved_result(callback: CallbackRequest) -> dict[str, Any] | None:
    """The result an agent saved for the callback's present attempt, as the audit trail
    keeps it; None when there is none."""
    if not callback.result_saved:
        return None
    return {"outcome": callback.outcome, "notes": callback.notes,
            "status": callback.status.value}
