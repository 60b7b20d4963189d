"""A booking promises only the reminders that will be sent. Reminders go at 18:00 the
evening before and 08:00 on the day (Asia/Kolkata), and only when that moment is after
the booking and before the visit: a booking made at 22:00 for tomorrow gets no evening
reminder, one made on the day none, and the portal's confirmation says so in a whole
sentence per case, in Hindi and English."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from booking_core.appointments import Channel, book_appointment, reminders_ahead
from booking_core.base import unit_of_work
from booking_core.citizens import set_sms_opt_out
from locales import LANGUAGES, render
from portal_web.views_appointments import _SMS_SENT
from tests.factories import make_department, make_hospital, make_slot

IST = ZoneInfo("Asia/Kolkata")
EVENING = "appointment_reminder_evening"
MORNING = "appointment_reminder_morning"
VISIT = dt.datetime(2030, 12, 6, 10, 30, tzinfo=IST)  # a Friday morning OPD


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 12, day, hour, minute, tzinfo=IST).astimezone(dt.UTC)


@pytest.mark.parametrize(("booked_at", "promised"), [
    (_at(4, 22), (EVENING, MORNING)),  # two nights before
    (_at(5, 12), (EVENING, MORNING)),  # the day before, at noon
    (_at(5, 17, 59), (EVENING, MORNING)),  # one minute before the evening reminder
    (_at(5, 18), (MORNING,)),  # its time: it is not sent for this booking
    (_at(5, 22), (MORNING,)),  # at night for tomorrow
    (_at(6, 7, 59), (MORNING,)),  # early on the day
    (_at(6, 8), ()),  # on the day, once the morning reminder's time has come
    (_at(6, 9), ()),  # for today
])
def test_reminders_ahead_are_exactly_those_scheduled(session, booked_at, promised):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    slot = make_slot(session, department, at=VISIT.astimezone(dt.UTC))
    appointment = book_appointment(session, slot_id=slot.id, phone="9812345678",
                                   channel=Channel.PORTAL, now=booked_at)
    assert reminders_ahead(session, appointment) == promised


def test_an_early_visit_gets_no_morning_reminder(session):
    """A visit at 08:00 starts with its morning reminder: only the evening is promised."""
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    slot = make_slot(session, department,
                     at=dt.datetime(2030, 12, 6, 8, 0, tzinfo=IST).astimezone(dt.UTC))
    appointment = book_appointment(session, slot_id=slot.id, phone="9812345678",
                                   channel=Channel.PORTAL, now=_at(4, 22))
    assert reminders_ahead(session, appointment) == (EVENING,)


def test_a_mobile_that_stopped_reminders_is_promised_none(session):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    slot = make_slot(session, department, at=VISIT.astimezone(dt.UTC))
    appointment = book_appointment(session, slot_id=slot.id, phone="9812345678",
                                   channel=Channel.PORTAL, now=_at(4, 22))
    with unit_of_work(session):
        set_sms_opt_out(session, appointment.citizen.phone, True)
    session.expire_all()
    assert reminders_ahead(session, appointment) == ()


def test_each_case_is_a_whole_sentence_that_promises_only_its_reminders():
    """Every answer ``reminders_ahead`` can give has its own sentence in both languages;
    none names a reminder it does not have."""
    cases = {(EVENING, MORNING), (EVENING,), (MORNING,), ()}
    assert set(_SMS_SENT) == cases
    for reminders, case in _SMS_SENT.items():
        hindi = render("hi", f"portal.appointment.sms_sent_{case}")
        english = render("en", f"portal.appointment.sms_sent_{case}")
        assert ("शाम" in hindi) == (EVENING in reminders), hindi
        assert ("सुबह" in hindi) == (MORNING in reminders), hindi
        assert ("evening" in english) == (EVENING in reminders), english
        assert ("morning" in english) == (MORNING in reminders), english
        assert ("remind" in english) == bool(reminders)
        assert ("याद दिलाएँगे" in hindi) == bool(reminders)
        for text in (hindi, english):
            assert text.endswith((".", "।")), text
    for lang in LANGUAGES:
        assert render(lang, "portal.appointment.sms_sent_none").count(".") + render(
            lang, "portal.appointment.sms_sent_none").count("।") == 1
