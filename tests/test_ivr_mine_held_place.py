"""Menu 4 with a waiting-list place held for the caller: a caller who missed the offer's
call and rings the helpline while the hold lasts hears the place first (where, which
day, at what time, until when it is held) and takes it with "4"; a hold that ran out
before the key is said to have ended; nobody else hears it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    book_appointment,
    cancel_appointment,
)
from booking_core.waiting_list import WaitingListEntry, WaitStatus, join_waiting_list
from locales import render
from locales.formatting import format_date, spoken_time
from tests.factories import IST, make_department, make_hospital, make_slot, same_day_other_time
from tests.fixtures_ivr import CALLER
from tests.opd_factories import mobile
from tests.test_ivr_services import into_menu

HELD = {0: "ivr.mine.held_today", 1: "ivr.mine.held_tomorrow"}


def _held_for(session, phone: str, *, days_ahead: int, language: str = "en"):
    """A department whose one slot (``days_ahead`` days from today, at least 20 minutes
    from now) was full, ``phone`` first on its waiting list, then a booking cancelled:
    the place is held for ``phone``. Returns the slot and the entry."""
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    starts = now + dt.timedelta(minutes=20, days=days_ahead)
    if days_ahead == 0 and starts.astimezone(IST).date() != now.astimezone(IST).date():
        pytest.skip("Delhi's day ends within 20 minutes: no slot today is still to come")
    department = make_department(session, make_hospital(session))
    slot = make_slot(session, department, at=starts, capacity=1)
    taken = book_appointment(session, slot_id=slot.id, phone=mobile(), channel=Channel.PORTAL)
    entry, _ = join_waiting_list(session, department_id=department.id, day=slot.local_day,
                                 phone=phone, channel=Channel.PORTAL, language=language)
    cancel_appointment(session, taken.reference, channel=Channel.PORTAL)
    session.commit()
    session.refresh(entry)
    assert entry.status == WaitStatus.OFFERED
    return slot, entry


def _held_words(lang: str, slot, entry, days_ahead: int) -> str:
    return render(lang, HELD.get(days_ahead, "ivr.mine.held_later"), key="4",
                  hospital=slot.department.hospital.short_name(lang),
                  department=slot.department.name(lang),
                  date=format_date(lang, slot.local_day),
                  time=spoken_time(lang, slot.starts_at),
                  until=spoken_time(lang, entry.hold_until))


@pytest.mark.parametrize("days_ahead", [0, 1, 3])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_held_place_is_said_first_in_menu_4_and_4_takes_it(
        phone, ivr_session, lang, days_ahead):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=days_ahead)
    words = _held_words(lang, slot, entry, days_ahead)
    entry_id, slot_id = entry.id, slot.id
    ivr_session.commit()
    into_menu(phone, lang, "4")
    said = phone.said
    assert words in said, said
    # Said before menu 4's own choices, and the day as the read-back says it.
    assert said.index(words) < said.index(render(lang, "ivr.mine.appointments", key="1"))
    if days_ahead > 1:
        assert format_date(lang, slot.local_day) in words
    else:
        assert ("आज" if days_ahead == 0 else "कल") in words if lang == "hi" else (
            ("today" if days_ahead == 0 else "tomorrow") in words)
    phone.press("4")
    ivr_session.expire_all()
    appointment = ivr_session.scalar(select(Appointment).where(
        Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED))
    status = ivr_session.get(WaitingListEntry, entry_id).status
    reference, holder = appointment.reference, appointment.citizen.phone
    ivr_session.commit()
    assert holder == CALLER and status == WaitStatus.BOOKED
    # The booking number, read digit by digit, as after any booking.
    assert " ".join(reference[:4]) in phone.said, phone.said
    assert "/ivr/book/done" in phone.gather.get("action")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_hold_that_ran_out_before_the_key_is_said_to_have_ended(phone, ivr_session, lang):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=2)
    words = _held_words(lang, slot, entry, 2)
    entry_id = entry.id
    ivr_session.commit()
    into_menu(phone, lang, "4")
    assert words in phone.said
    # The hold runs out while the caller listens.
    ivr_session.execute(update(WaitingListEntry).where(WaitingListEntry.id == entry_id).values(
        hold_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    ivr_session.commit()
    phone.press("4")
    said = phone.said
    assert render(lang, "ivr.offer.gone") in said, said
    assert render(lang, "ivr.retry.wrong_key") not in said
    assert words not in said  # menu 4 again, without the place
    assert render(lang, "ivr.mine.appointments", key="1") in said
    ivr_session.expire_all()
    assert ivr_session.scalar(select(Appointment).where(
        Appointment.slot_id == slot.id, Appointment.status == AppointmentStatus.BOOKED)) is None
    ivr_session.commit()


def test_another_numbers_held_place_is_not_said_and_4_takes_nothing(phone, ivr_session):
    slot, _ = _held_for(ivr_session, mobile(), days_ahead=2)
    slot_id = slot.id
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert "opened up" not in phone.said
    phone.press("4")
    assert render("en", "ivr.retry.wrong_key") in phone.said
    ivr_session.expire_all()
    assert ivr_session.scalar(select(Appointment).where(
        Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED)) is None
    ivr_session.commit()


def test_a_day_the_caller_booked_elsewhere_passes_the_place_on(phone, ivr_session):
    """Between the offer and "4" the caller booked that department's day another way
    (the portal): the place goes to the next person waiting, and the caller hears why."""
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=2)
    other = same_day_other_time(ivr_session, slot, capacity=5)
    entry_id = entry.id
    ivr_session.commit()
    into_menu(phone, "en", "4")
    book_appointment(ivr_session, slot_id=other.id, phone=CALLER, channel=Channel.PORTAL)
    ivr_session.commit()
    phone.press("4")
    assert render("en", "ivr.offer.day_held") in phone.said, phone.said
    ivr_session.expire_all()
    assert ivr_session.get(WaitingListEntry, entry_id).status == WaitStatus.DECLINED
    ivr_session.commit()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_offer_sms_says_until_when_the_place_is_held_and_how_to_call_back(
        ivr_session, lang):
    from booking_core.outbox import OutboxKind, OutboxMessage
    from locales.formatting import written_time

    waiting = mobile()
    slot, entry = _held_for(ivr_session, waiting, days_ahead=2, language=lang)
    body = ivr_session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.kind == OutboxKind.SMS, OutboxMessage.to_phone == waiting,
        OutboxMessage.template == "waiting_list_offer"))
    ivr_session.commit()
    until = written_time(lang, entry.hold_until)
    held, call_back = {
        "hi": (f"यह {until} तक आपके लिए रखी है।",
               "कॉल छूटे तो इसी फ़ोन से हेल्पलाइन पर कॉल करके 4 दबाएँ।"),
        "en": (f"It is held for you until {until}.",
               "Missed the call? Call the helpline from this phone and press 4."),
    }[lang]
    assert held in body and call_back in body, body


@pytest.mark.parametrize(("joined_in", "lang"), [("en", "hi"), ("hi", "en")])
def test_a_place_taken_on_a_call_is_booked_in_the_calls_language(
        phone, ivr_session, joined_in, lang):
    """Joined the list in one language (the portal's page), taken on a call in the
    other: the booking, its SMS and the caller's remembered language are the call's,
    as for any booking made on the phone."""
    from booking_core.citizens import Citizen
    from booking_core.outbox import OutboxKind, OutboxMessage

    slot, _ = _held_for(ivr_session, CALLER, days_ahead=2, language=joined_in)
    slot_id = slot.id
    ivr_session.commit()
    into_menu(phone, lang, "4")
    phone.press("4")
    ivr_session.expire_all()
    appointment = ivr_session.scalar(select(Appointment).where(
        Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED))
    confirmation = ivr_session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == OutboxKind.SMS, OutboxMessage.appointment_id == appointment.id,
        OutboxMessage.template == "appointment_confirmation"))
    remembered = ivr_session.scalar(select(Citizen.preferred_language).where(
        Citizen.phone == CALLER))
    booked_in, sms_in = appointment.language, confirmation.language
    ivr_session.commit()
    assert (booked_in, sms_in, remembered) == (lang, lang, lang)
