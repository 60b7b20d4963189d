"""The delivery rules on their own: quiet hours in Asia/Kolkata, opt-out, stale reminders.
(How an SMS is read into a command: ``tests/test_messaging_keywords.py``.)"""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.outbox import OutboxKind, OutboxMessage
from messaging.rules import Verdict, decide, quiet_hours_end

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def _row(kind=OutboxKind.SMS, template="appointment_reminder_evening", appointment_id=None):
    return OutboxMessage(kind=kind, template=template, to_phone="+919812345678",
                         appointment_id=appointment_id)


@pytest.mark.parametrize(("local", "expected"), [
    (dt.datetime(2030, 3, 4, 20, 59, tzinfo=IST), None),
    (dt.datetime(2030, 3, 4, 21, 0, tzinfo=IST), dt.datetime(2030, 3, 5, 8, 0, tzinfo=IST)),
    (dt.datetime(2030, 3, 5, 2, 0, tzinfo=IST), dt.datetime(2030, 3, 5, 8, 0, tzinfo=IST)),
    (dt.datetime(2030, 3, 5, 8, 0, tzinfo=IST), None),
])
def test_quiet_hours_end_at_eight_in_kolkata(local, expected):
    assert quiet_hours_end(local, "21:00-08:00", "Asia/Kolkata") == expected


def test_quiet_hours_can_be_switched_off_or_run_within_a_day():
    night = dt.datetime(2030, 3, 4, 23, 0, tzinfo=IST)
    assert quiet_hours_end(night, "off", "Asia/Kolkata") is None
    assert quiet_hours_end(dt.datetime(2030, 3, 4, 13, 0, tzinfo=IST), "12:00-14:00",
                           "Asia/Kolkata") == dt.datetime(2030, 3, 4, 14, 0, tzinfo=IST)


def _decide(row, when, **kw):
    return decide(row, now=when, quiet_hours="21:00-08:00", tz="Asia/Kolkata",
                  opted_out=kw.pop("opted_out", False), **kw)


NIGHT = dt.datetime(2030, 3, 4, 22, 0, tzinfo=IST)
NOON = dt.datetime(2030, 3, 4, 12, 0, tzinfo=IST)


def test_what_waits_for_the_morning_and_what_goes_at_once():
    assert _decide(_row(), NIGHT)[0] is Verdict.HOLD
    assert _decide(_row(template="appointment_confirmation"), NIGHT)[0] is Verdict.SEND
    assert _decide(_row(template="otp_code"), NIGHT)[0] is Verdict.SEND
    assert _decide(_row(OutboxKind.CALL, "grievance_followup"), NIGHT)[0] is Verdict.HOLD
    assert _decide(_row(OutboxKind.CALL, "agent_callback"), NIGHT)[0] is Verdict.SEND


def test_opt_out_stops_reminders_only():
    assert _decide(_row(), NOON, opted_out=True)[0] is Verdict.SUPPRESS
    assert _decide(_row(template="appointment_cancelled"), NOON, opted_out=True)[0] is (
        Verdict.SEND)


def test_reminders_for_gone_or_started_appointments_are_cancelled():
    row = _row(appointment_id=1)
    assert _decide(row, NOON, appointment_active=False)[0] is Verdict.CANCEL
    visit = dt.datetime(2030, 3, 5, 7, 30, tzinfo=IST)  # before the quiet hours end
    assert _decide(row, NIGHT, visit_starts_at=visit)[0] is Verdict.CANCEL
    assert _decide(row, NOON, visit_starts_at=visit) == (Verdict.SEND, None)
