"""An offer whose person booked the same department's day by another channel after
joining cannot be taken: the offer ends as a decline (the place passes to the next
person in the same transaction, not held until the hold lapses), the domain says why
(``OfferEndedDayHeld``), and the call says so in a whole sentence, not "this offer has
ended"."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.appointments import Channel, cancel_appointment
from booking_core.slots import Slot
from booking_core.waiting_list import (
    OfferEndedDayHeld,
    OfferGone,
    WaitingListEntry,
    WaitStatus,
    accept_offer,
    join_waiting_list,
)
from locales import render
from tests.factories import make_slot
from tests.fixtures_messaging import parse_twiml, signed_post
from tests.opd_factories import book, mobile, opd_morning

BASE = "https://helpline.test"


def _offered_then_booked_elsewhere(session, languages=("en", "en")):
    """Two people wait for a full day; a cancellation offers the place to the first,
    who then books the same department's day by another channel (a slot added that
    day). Returns the morning, the two phones and the first one's other booking."""
    morning = opd_morning(session, slots=1, capacity=1)
    held = book(session, morning.slots[0])
    phones = [mobile() for _ in languages]
    for phone, lang in zip(phones, languages, strict=True):
        join_waiting_list(session, department_id=morning.department.id,
                          day=morning.slots[0].local_day, phone=phone,
                          channel=Channel.IVR, language=lang)
    cancel_appointment(session, held.reference, channel=Channel.PORTAL)
    extra = make_slot(session, morning.department, capacity=1,
                      at=morning.slots[0].starts_at + dt.timedelta(hours=1))
    elsewhere = book(session, extra, phone=phones[0])
    session.commit()
    return morning, phones, elsewhere


def _entry(session, phone) -> WaitingListEntry:
    session.expire_all()
    entry = session.scalar(select(WaitingListEntry).where(WaitingListEntry.phone == phone))
    session.commit()
    return entry


def test_taking_a_day_already_held_ends_the_offer_and_passes_the_place_on(session):
    morning, (first, second), elsewhere = _offered_then_booked_elsewhere(session)
    offered = _entry(session, first)
    assert offered.status == WaitStatus.OFFERED
    token = offered.offered_token
    with pytest.raises(OfferEndedDayHeld) as refused:
        accept_offer(session, offered.id)
    assert refused.value.details["reference"] == elsewhere.reference
    assert _entry(session, first).status == WaitStatus.DECLINED
    nxt = _entry(session, second)
    assert (nxt.status, nxt.offered_token) == (WaitStatus.OFFERED, token)
    assert session.get(Slot, morning.slots[0].id).booked == 1  # held for the next person
    with pytest.raises(OfferGone):  # pressed again: the offer has ended
        accept_offer(session, offered.id)
    assert accept_offer(session, nxt.id).token == token  # the next person takes it


@pytest.fixture
def client(msg_app):
    return msg_app.test_client()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_call_says_the_caller_already_has_an_appointment_that_day(
        client, msg_session, lang):
    from booking_core.outbox import OutboxKind, OutboxMessage

    _, (first, second), _ = _offered_then_booked_elsewhere(msg_session, (lang, "en"))
    msg_session.expire_all()
    row = msg_session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == OutboxKind.CALL, OutboxMessage.template == "waiting_list_offer",
        OutboxMessage.to_phone == first))
    msg_session.commit()
    root = parse_twiml(signed_post(client, f"/calls/{row.id}/answer", {"CallSid": "CAh"}))
    action = root[0].get("action").removeprefix(BASE)
    done = parse_twiml(signed_post(client, action, {"CallSid": "CAh", "Digits": "1"}))
    assert [el.tag for el in done] == ["Say", "Hangup"]
    said = done[0].text
    assert said == render(lang, "ivr.offer.day_held"), said
    assert render(lang, "ivr.offer.gone") not in said
    assert _entry(msg_session, first).status == WaitStatus.DECLINED
    assert _entry(msg_session, second).status == WaitStatus.OFFERED


def test_the_sentences_are_whole_and_avoid_seat():
    assert render("en", "ivr.offer.day_held") == (
        "You already have an appointment in this department that day, so this place goes "
        "to the next person waiting.")
    hindi = render("hi", "ivr.offer.day_held")
    assert "पहले से अपॉइंटमेंट है" in hindi and "जगह" in hindi and "सीट" not in hindi
