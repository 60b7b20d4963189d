"""Staff accounts, the call log and callback requests."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking_core.base import Base, UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AgentState(enum.StrEnum):
    """What an agent is doing; routing (``contact_centre.routing``) connects waiting
    callers only to AVAILABLE agents, and to a WRAP_UP agent once the wrap-up time is
    over."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"  # the call ended; notes and a disposition before the next one
    BREAK = "break"


class CallDevice(enum.StrEnum):
    """Where an agent takes routed calls: their own phone (``StaffUser.phone``) or the
    console in their browser (Twilio Client identity ``agent-<id>``)."""

    PHONE = "phone"
    BROWSER = "browser"


class Disposition(enum.StrEnum):
    """How an agent sums up a call they took (``Call.disposition``), chosen in wrap-up."""

    RESOLVED = "resolved"  # question answered, nothing more to do
    BOOKED = "booked"  # an appointment was booked, moved or cancelled
    GRIEVANCE = "grievance"  # a grievance was registered or updated
    CALLBACK = "callback"  # the caller needs a call back
    WRONG_NUMBER = "wrong_number"
    DROPPED = "dropped"  # the line dropped before anything was done


class StaffUser(Base):
    """A console account: an agent, a supervisor or an admin. An account with
    ``hospital_id`` set is that hospital's staff (the OPD counter, its resource figures,
    its own grievances), not the helpline's: see ``grievance_hospital``,
    ``works_the_helpline`` and ``oversees_the_helpline``, the one place that rule is
    written (README, "Who sees what")."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role, 12))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="en")
    # The agent's own phone, called to bridge callbacks and queued callers.
    phone: Mapped[str | None] = mapped_column(String(16))
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospital.id"))
    state: Mapped[AgentState] = mapped_column(
        enum_column(AgentState, 12), default=AgentState.OFFLINE
    )
    state_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    call_device: Mapped[CallDevice] = mapped_column(
        enum_column(CallDevice, 8), default=CallDevice.PHONE
    )
    # The call routing has offered this agent and that is ringing them (``Call.id``);
    # None once they answer, miss it, or the caller hangs up. Routing skips an agent
    # holding one, and writes it under the agent row's lock.
    connecting_call_id: Mapped[int | None]
    # What the agent asked to be once their call and its wrap-up end (Break or
    # Offline chosen during a call, or the state they made a callback from); None:
    # Available. Applied and cleared by routing when the wrap-up ends.
    state_after_call: Mapped[AgentState | None] = mapped_column(enum_column(AgentState, 12))
    # When a call rang this agent unanswered (``routing.agent_missed``), which put them
    # on a break: the desk says why while that break lasts (``state_changed_at`` equal).
    missed_call_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def grievance_hospital(self) -> int | None:
        """The one hospital whose grievances this account may see and work, or None for
        every grievance: agents and supervisors attached to a hospital are its staff;
        admins (who run the whole helpline) and helpline staff see them all."""
        return None if self.role == Role.ADMIN else self.hospital_id

    @property
    def works_the_helpline(self) -> bool:
        """Whether the account takes the helpline's own work: calls routed from the
        queue, callbacks, the desk's Available/Offline panel. Hospital staff never do
        (routing's query says the same: ``StaffUser.hospital_id.is_(None)``)."""
        return self.hospital_id is None

    @property
    def oversees_the_helpline(self) -> bool:
        """Whether the account sees the contact centre's own operations: the wallboard
        (queue, agents' states, service level), the call and phone-menu figures of the
        reports, and the SMS outbox's failed messages. The helpline's supervisors and
        admins do; a hospital's supervisor does not (its reports and escalations keep
        to its hospital: ``grievance_hospital``)."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN) and self.grievance_hospital is None


class CallOutcome(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    GRIEVANCE = "grievance"
    INFORMATION = "information"
    AGENT = "agent"
    CALLBACK = "callback"
    EMERGENCY = "emergency"
    ABANDONED = "abandoned"


# Twilio ``QueueResult`` values: the caller hung up while waiting; an agent took the call.
QUEUE_ABANDONED = frozenset({"hangup"})
QUEUE_ANSWERED = frozenset({"bridged", "bridging-in-process"})


class QueueFate(enum.StrEnum):
    WAITING = "waiting"  # in the agent queue now
    ANSWERED = "answered"  # an agent took the call
    CALLBACK = "callback"  # asked to be called back instead of waiting
    ABANDONED = "abandoned"  # queued, not answered, no callback, and gone
    LEFT = "left"  # out of the queue without an agent (queue full, error), still on the line


def queue_fate(*, queued_at: dt.datetime | None, answered_at: dt.datetime | None,
               ended_at: dt.datetime | None, outcome: CallOutcome | str | None,
               queue_result: str | None) -> QueueFate | None:
    """How a call's wait for an agent went (None: it never entered the agent queue).

    The one rule for the wallboard's abandonment: a call is abandoned only if it entered
    the agent queue, was not answered, did not become a callback, and the caller hung up
    in the queue or the call ended. A caller who hangs up in a menu is never counted,
    although the call log's ``outcome`` says ``abandoned`` for them too.
    """
    if queued_at is None:
        return None
    if answered_at is not None:
        return QueueFate.ANSWERED
    if outcome == CallOutcome.CALLBACK:
        return QueueFate.CALLBACK
    if ended_at is not None or queue_result in QUEUE_ABANDONED:
        return QueueFate.ABANDONED
    return QueueFate.WAITING if not queue_result else QueueFate.LEFT


# Twilio ends any call after 4 hours (``<Dial timeLimit>``'s default and the longest
# call it places): an answered call that started earlier is not on the line any more,
# even when its status callback never came.
LONGEST_CALL = dt.timedelta(hours=4)


class Call(Base):
    """One phone call, inbound or outbound, as the flow and Twilio's status callback
    saw it. The phone number is kept for screen pops; logs only ever show it masked."""

    __tablename__ = "call"
    __table_args__ = (
        Index("ix_call_started", "started_at"),
        # An agent's calls: the desk, the screen pop and wrap-up ask every second or two.
        Index("ix_call_agent_ended", "agent_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    from_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    language: Mapped[str | None] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    # The menus visited, in order: ["language", "main", "book.hospital", ...].
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[CallOutcome | None] = mapped_column(
        enum_column(CallOutcome, 12)
    )
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int | None]
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set while the caller waits in the agent queue for routing to pick them, in the
    # order they are picked (their first entry into the queue); None once an agent is
    # ringing, or the caller left the queue.
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The agent's summary of the call, chosen in wrap-up.
    disposition: Mapped[Disposition | None] = mapped_column(enum_column(Disposition, 20))


class CallbackStatus(enum.StrEnum):
    WAITING = "waiting"
    CLAIMED = "claimed"
    CALLING = "calling"
    DONE = "done"
    FAILED = "failed"


# Why a caller asked to be called back (``CallbackRequest.reason``), as the IVR writes it.
# ``complainant``: an agent phoned a grievance's citizen from its page.
CALLBACK_REASONS = ("agent", "after_hours", "long_wait", "queue_wait", "fault", "queue_full",
                    "complainant", "no_agent")
# Twilio's call statuses, as ``Call.status`` holds them.
CALL_STATUSES = ("queued", "initiated", "ringing", "in-progress", "completed", "busy",
                 "failed", "no-answer", "canceled")


# A callback request still to be worked: waiting, in an agent's hands, or being called.
# A number has at most one (``uq_callback_request_one_open``): asking again adds nothing.
OPEN_CALLBACK_STATUSES = (CallbackStatus.WAITING, CallbackStatus.CLAIMED,
                          CallbackStatus.CALLING)
_OPEN_CALLBACK_SQL = "status IN ('waiting', 'claimed', 'calling')"


class CallbackRequest(Base):
    __tablename__ = "callback_request"
    __table_args__ = (
        Index("ix_callback_status_requested", "status", "requested_at"),
        Index("uq_callback_request_one_open", "phone", unique=True,
              postgresql_where=text(_OPEN_CALLBACK_SQL),
              sqlite_where=text(_OPEN_CALLBACK_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(5), default="hi")
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(40), default="agent")  # after_hours, long_wait, ...
    status: Mapped[CallbackStatus] = mapped_column(
        enum_column(CallbackStatus, 12), default=CallbackStatus.WAITING
    )
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(String(1000))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The result an agent saved for the present attempt (what happened, ``notes``): who
    # and when. None while nobody has saved one (also when only Twilio has reported).
    result_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    result_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # How many results agents have saved on this request, never reset: a form carries
    # the count it was drawn with, and one drawn before a later save is refused
    # (``contact_centre.callbacks.record_callback_outcome``).
    result_version: Mapped[int] = mapped_column(default=0, server_default="0")

    result_by: Mapped[StaffUser | None] = relationship(foreign_keys=[result_by_id])
    # The agent holding it (claimed or calling), or who worked it to its end.
    claimed_by: Mapped[StaffUser | None] = relationship(foreign_keys=[claimed_by_id])

    @property
    def result_saved(self) -> bool:
        """Whether an agent saved this attempt's result: then it is finished (done or
        failed) and its card shows the result instead of a form."""
        return self.result_at is not None


# The Twilio queue callers wait in for an agent (<Enqueue>, hold music and position);
# routing (``contact_centre.routing``) takes each out to ring the agent it chose.
AGENT_QUEUE_NAME = "helpline-agents"
