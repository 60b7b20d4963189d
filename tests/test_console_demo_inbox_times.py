"""The demo inbox shows a message still to come (a reminder) as scheduled for the time
it is due, not at the time it was written; one sent at the time it was sent
(``agent_console.views_supervisor.demo_inbox``)."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select

from booking_core.appointments import Channel, book_appointment
from booking_core.outbox import OutboxKind, OutboxMessage, OutboxStatus
from locales.formatting import format_time
from tests.factories import IST, make_slot
from tests.fixtures_console import next_mobile


def _words(response) -> str:
    page = response.get_data(as_text=True)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_a_reminder_is_shown_scheduled_for_when_it_is_due(session, app, console, supervisor,
                                                          department):
    slot = make_slot(session, department, at=dt.datetime.combine(
        dt.datetime.now(IST).date() + dt.timedelta(days=3), dt.time(10), IST))
    book_appointment(session, slot_id=slot.id, phone=next_mobile(), channel=Channel.IVR,
                     language="en")
    with session.begin():
        reminders = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == OutboxKind.SMS,
            OutboxMessage.template.like("appointment_reminder%"))).all()
        assert reminders and all(r.status == OutboxStatus.PENDING for r in reminders)
        due = {r.id: (r.not_before, r.created_at, r.body) for r in reminders}
    app.extensions["helpline"].settings = app.extensions["helpline"].settings.with_overrides(
        twilio_account_sid="", twilio_auth_token="")
    console.login("super.one")
    words = _words(console.get("/console/demo-inbox"))
    for not_before, _, body in due.values():
        # Right under its text, the day and time it is due (not when it was written).
        due_at = format_time("en", not_before, "Asia/Kolkata")
        assert re.search(re.escape(body) + r" Not sent yet: scheduled to be sent on "
                         r"\d+ \w+ \d{4} " + re.escape(due_at) + r"\.", words), (due_at, words)
    assert len({not_before for not_before, _, _ in due.values()}) == len(due)
    assert all(not_before > created_at for not_before, created_at, _ in due.values())
