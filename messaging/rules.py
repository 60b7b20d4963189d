"""Who gets which message when: the delivery rules, in one place.

- Quiet hours (``SMS_QUIET_HOURS``, local time, default 21:00-08:00): reminders and
  follow-up calls due inside them wait until the hours end. Confirmations, cancellations,
  one-time codes and replies answer something the citizen just did and go at once
  (service messages may go at any hour under TRAI's rules). The hours themselves are
  ``booking_core.quiet_hours`` (one rule): a waiting-list offer (its SMS and call) made
  inside them is written to go out when they end, its hold counted from then
  (``booking_core.waiting_list.offer_freed_seat``). That is decided when the offer is
  made, not here: holding a daytime offer's row at delivery would let its hold run out
  unseen.
- Opt-out (``Citizen.sms_opted_out``, set by STOP): an opted-out number gets no
  reminders. It still gets messages that answer its own action (booking, move and
  cancel confirmations, its grievance reference and updates, codes it asked for,
  replies to its SMS): these are transactional, which TRAI allows to any number, and
  without them a citizen would hold no reference number.
- A reminder whose appointment is no longer booked, or which could only go out after
  the visit has started, is cancelled.
"""

from __future__ import annotations

import datetime as dt
import enum

from booking_core.outbox import OutboxKind, OutboxMessage
from booking_core.quiet_hours import quiet_hours_end

REMINDER_PREFIX = "appointment_reminder"
# Outbound calls a citizen did not ask for at that moment: not placed at night.
QUIET_HOURS_CALLS = frozenset({"grievance_followup"})


class Verdict(enum.Enum):
    SEND = "send"
    HOLD = "hold"  # not now: wait for ``hold_until``
    SUPPRESS = "suppress"  # the citizen opted out
    CANCEL = "cancel"  # no longer wanted


def is_reminder(row: OutboxMessage) -> bool:
    return row.kind == OutboxKind.SMS and row.template.startswith(REMINDER_PREFIX)


def respects_quiet_hours(row: OutboxMessage) -> bool:
    if row.kind == OutboxKind.CALL:
        return row.template in QUIET_HOURS_CALLS
    return is_reminder(row)


def suppressed_by_opt_out(row: OutboxMessage) -> bool:
    """The opt-out rule: only reminders stop (see the module docstring for why)."""
    return is_reminder(row)


def decide(
    row: OutboxMessage,
    *,
    now: dt.datetime,
    opted_out: bool,
    quiet_hours: str,
    tz: str,
    visit_starts_at: dt.datetime | None = None,
    appointment_active: bool = True,
) -> tuple[Verdict, dt.datetime | None]:
    """What to do with a due row now; with HOLD, the moment to try again."""
    if is_reminder(row) and row.appointment_id is not None and not appointment_active:
        return Verdict.CANCEL, None
    if opted_out and row.kind == OutboxKind.SMS and suppressed_by_opt_out(row):
        return Verdict.SUPPRESS, None
    if respects_quiet_hours(row):
        until = quiet_hours_end(now, quiet_hours, tz)
        if until is not None:
            if visit_starts_at is not None and until >= visit_starts_at:
                return Verdict.CANCEL, None
            return Verdict.HOLD, until
    if visit_starts_at is not None and now >= visit_starts_at:
        return Verdict.CANCEL, None
    return Verdict.SEND, None
