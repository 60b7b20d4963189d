"""The waiting-list offer call on the phone line's engine: "press 1 to take it"."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus, Channel, cancel_appointment
from booking_core.outbox import OutboxKind, OutboxMessage
from booking_core.waiting_list import WaitingListEntry, WaitStatus, join_waiting_list, lapse_offers
from tests.fixtures_messaging import parse_twiml, signed_post
from tests.opd_factories import book, mobile, opd_morning

BASE = "https://helpline.test"


@pytest.fixture
def client(msg_app):
    return msg_app.test_client()


def _offer_call(session, phone):
    session.expire_all()
    row = session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == OutboxKind.CALL, OutboxMessage.template == "waiting_list_offer",
        OutboxMessage.to_phone == phone))
    session.commit()
    return row


def _waiting_day(session, languages):
    morning = opd_morning(session, slots=1, capacity=1)
    held = book(session, morning.slots[0])
    phones = []
    for lang in languages:
        phones.append(mobile())
        join_waiting_list(session, department_id=morning.department.id,
                          day=morning.slots[0].local_day, phone=phones[-1],
                          channel=Channel.IVR, language=lang)
    cancel_appointment(session, held.reference, channel=Channel.PORTAL)
    session.commit()
    return morning, phones


def _status(session, phone):
    session.expire_all()
    status = session.scalar(select(WaitingListEntry.status).where(
        WaitingListEntry.phone == phone))
    session.commit()
    return status


def test_pressing_1_takes_the_seat_and_hears_the_booking_number(client, msg_session):
    morning, (first, _) = _waiting_day(msg_session, ["hi", "en"])
    row = _offer_call(msg_session, first)
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAo"}))
    gather, redirect = list(root)
    assert gather.tag == "Gather" and redirect.tag == "Redirect"
    said = gather[0].text
    assert "एक अपॉइंटमेंट खाली हुआ है" in said and "हड्डी रोग" in said
    assert "लेने के लिए 1 दबाएँ" in said and "तो 2 दबाएँ" in said
    action = gather.get("action").removeprefix(BASE)
    assert action.startswith("/ivr/offer?s=")  # the phone line's engine
    done = parse_twiml(signed_post(client, action, {"CallSid": "CAo", "Digits": "1"}))
    assert [el.tag for el in done] == ["Say", "Hangup"]
    msg_session.expire_all()
    appointment = msg_session.scalar(select(Appointment).where(
        Appointment.slot_id == morning.slots[0].id,
        Appointment.status == AppointmentStatus.BOOKED))
    msg_session.commit()
    ref = appointment.reference
    spoken = f"{' '.join(ref[:4])}, {' '.join(ref[4:])}"  # digit by digit, in two groups
    assert spoken in done[0].text and "अपॉइंटमेंट आपका हो गया" in done[0].text
    assert _status(msg_session, first) == WaitStatus.BOOKED
    again = parse_twiml(signed_post(client, action, {"CallSid": "CAo", "Digits": "1"}))
    assert spoken in again[0].text  # a retried webhook: the same seat


def test_declined_goes_to_the_next_and_a_lapsed_offer_is_ended(client, msg_session):
    morning, (first, second) = _waiting_day(msg_session, ["en", "en"])
    row = _offer_call(msg_session, first)
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAa"}))
    done = parse_twiml(signed_post(client, root[0].get("action").removeprefix(BASE),
                                   {"CallSid": "CAa", "Digits": "2"}))
    assert "next person waiting" in done[0].text and done[1].tag == "Hangup"
    assert _status(msg_session, first) == WaitStatus.DECLINED
    assert _status(msg_session, second) == WaitStatus.OFFERED
    nxt = _offer_call(msg_session, second)
    # The hold's own end: this app keeps the production quiet hours, so a decline at
    # night (the real clock) offers the next person from 08:00.
    hold_until = msg_session.scalar(select(WaitingListEntry.hold_until).where(
        WaitingListEntry.phone == second))
    msg_session.commit()
    assert lapse_offers(msg_session, now=hold_until - dt.timedelta(seconds=1)) == 0
    assert lapse_offers(msg_session, now=hold_until) == 1
    late = parse_twiml(signed_post(client, f"/calls/{nxt.id}/answer", {"CallSid": "CAb"}))
    assert [el.tag for el in late] == ["Say", "Hangup"] and "offer has ended" in late[0].text


@pytest.mark.parametrize(("days_ahead", "words"), [
    (0, {"hi": ", आज ", "en": ", today at "}),
    (1, {"hi": ", कल ", "en": ", tomorrow at "}),
])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_offer_call_for_today_or_tomorrow_says_so_not_the_date(
        client, msg_session, lang, days_ahead, words):
    from locales.formatting import format_date
    from tests.factories import IST, make_department, make_hospital, make_slot

    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    starts = now + dt.timedelta(minutes=20, days=days_ahead)
    if starts.astimezone(IST).date() != (now + dt.timedelta(days=days_ahead)).astimezone(
            IST).date():
        pytest.skip("Delhi's day ends within 20 minutes")
    department = make_department(msg_session, make_hospital(msg_session))
    slot = make_slot(msg_session, department, at=starts, capacity=1)
    held = book(msg_session, slot)
    waiting = mobile()
    join_waiting_list(msg_session, department_id=department.id, day=slot.local_day,
                      phone=waiting, channel=Channel.IVR, language=lang)
    cancel_appointment(msg_session, held.reference, channel=Channel.PORTAL)
    msg_session.commit()
    day = format_date(lang, slot.local_day)
    row = _offer_call(msg_session, waiting)
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAt"}))
    said = root.find("Gather")[0].text
    assert words[lang] in said, said
    assert day not in said


def test_an_offer_call_is_logged_as_a_call_the_helpline_placed(client, msg_session):
    """Twilio says which calls the helpline placed (Direction "outbound-api"): the call
    log's row for an offer call says so, names the number called, and the wallboard's
    and reports' counts of calls to the helpline leave it out."""
    from contact_centre.models import Call
    from contact_centre.wallboard import wallboard

    morning, (first, _) = _waiting_day(msg_session, ["en", "hi"])
    row = _offer_call(msg_session, first)
    placed = {"CallSid": "CAplaced", "Direction": "outbound-api", "From": "+911140000000",
              "To": first}
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", placed))
    action = root[0].get("action").removeprefix(BASE)
    agent = parse_twiml(signed_post(client, action, {**placed, "Digits": "0"}))
    assert [el.tag for el in agent if el.tag in ("Enqueue", "Gather")], \
        "0 reaches a person (the queue, or a callback offer when nobody is on duty)"
    offer = agent.find("Gather")
    if offer is not None:  # nobody on duty: the callback taken makes the row
        signed_post(client, offer.get("action").removeprefix(BASE), {**placed, "Digits": "1"})
    msg_session.expire_all()
    call = msg_session.scalar(select(Call).where(Call.call_sid == "CAplaced"))
    board = wallboard(msg_session)
    msg_session.commit()
    assert call is not None and call.direction == "outbound"
    assert call.from_phone == first
    assert board.calls_today == 0
