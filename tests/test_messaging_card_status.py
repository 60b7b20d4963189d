"""``STATUS <eHealth card number>`` by SMS: the card's own upcoming appointments, one
text each, only to the card's mobile; a stranger or a mistyped card learns nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.appointments import Channel, book_appointment
from booking_core.ehealth import CardIssuer, book_with_card, issue_card
from booking_core.refs import spaced_card_number
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_messaging import CITIZEN_PHONE
from tests.test_messaging_sms_webhooks import _inbound, _rows


@pytest.fixture
def client(msg_app):
    return msg_app.test_client()


def _family(session):
    """Two cards on one phone; the child has two appointments, the mother one, and the
    phone owner one booked without a card."""
    hospital = make_hospital(session, short_en="Lok Nayak Hospital",
                             short_hi="लोक नायक अस्पताल")
    department = make_department(session, hospital)
    other = make_department(session, hospital, code="eye", name_en="Eye", name_hi="नेत्र")
    slots = [make_slot(session, department, starts_in=dt.timedelta(days=d)) for d in (2, 3, 4)]
    eye = make_slot(session, other, starts_in=dt.timedelta(days=2))
    mother = issue_card(session, phone=CITIZEN_PHONE, name="Asha Devi", year_of_birth=1984,
                        via=CardIssuer.PORTAL).card
    child = issue_card(session, phone=CITIZEN_PHONE, name="Ravi", year_of_birth=2015,
                       via=CardIssuer.AGENT).card
    later = book_with_card(session, card_number=child.number, slot_id=slots[2].id,
                           channel=Channel.PORTAL, language="en")
    sooner = book_with_card(session, card_number=child.number, slot_id=eye.id,
                            channel=Channel.PORTAL, language="en")
    book_with_card(session, card_number=mother.number, slot_id=slots[0].id,
                   channel=Channel.PORTAL, language="en")
    book_appointment(session, slot_id=slots[1].id, phone="9000000001", channel=Channel.IVR)
    numbers = (mother.number, child.number, sooner.reference, later.reference)
    session.expunge_all()
    return numbers


def test_status_with_a_card_lists_that_cards_appointments(client, msg_session):
    _, child, sooner, later = _family(msg_session)
    _inbound(client, f"STATUS {spaced_card_number(child)}", "SM" + "1" * 32)
    first, second = _rows(msg_session, template="reply_appointment_status_booked")
    assert first.body.startswith(f"Delhi Health Helpline: booking number {sooner} is booked: ")
    assert f"booking number {later} is booked: " in second.body
    assert {first.to_phone, second.to_phone} == {CITIZEN_PHONE}
    # The same message delivered twice by Twilio: no more texts.
    _inbound(client, f"STATUS {spaced_card_number(child)}", "SM" + "1" * 32)
    assert len(_rows(msg_session, template="reply_appointment_status_booked")) == 2


def test_a_card_without_appointments_says_so_in_hindi(client, msg_session):
    hospital = make_hospital(msg_session)
    make_department(msg_session, hospital)
    card = issue_card(msg_session, phone=CITIZEN_PHONE, name="आशा", year_of_birth=1984,
                      via=CardIssuer.PORTAL).card.number
    _inbound(client, f"स्थिति {card}", "SM" + "2" * 32)
    [reply] = _rows(msg_session, template="reply_card_no_appointments")
    assert reply.body.startswith(
        f"दिल्ली स्वास्थ्य हेल्पलाइन: ई-हेल्थ कार्ड {spaced_card_number(card)} पर आगे की कोई")


def test_another_phone_or_a_mistyped_card_reveals_nothing(client, msg_session):
    mother, _, _, _ = _family(msg_session)
    _inbound(client, f"STATUS {mother}", "SM" + "3" * 32, phone="+919000000001")
    slip = mother[:-1] + str((int(mother[-1]) + 1) % 10)
    _inbound(client, f"STATUS {slip}", "SM" + "4" * 32)
    [stranger] = _rows(msg_session, template="reply_unknown_card")
    assert stranger.to_phone == "+919000000001"
    assert "Asha" not in stranger.body and "OPD" not in stranger.body
    [mistyped] = _rows(msg_session, template="reply_unknown_reference")  # no card at all
    assert mistyped.to_phone == CITIZEN_PHONE
    assert _rows(msg_session, template="reply_appointment_status_booked") == []
