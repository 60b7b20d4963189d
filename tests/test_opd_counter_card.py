"""The eHealth card at the OPD counter: its number in any spacing, its signed QR code,
refusals of forged codes and of cards with nothing booked today, a choice when the card
holder has several appointments, in the clerk's language."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.card_seal import derived_seed, seal, signing_key
from booking_core.ehealth import CardIssuer, book_with_card, issue_card
from booking_core.refs import spaced_card_number
from helpline.settings import card_signing_key
from tests.fixtures_console import ConsoleClient, make_staff
from tests.opd_factories import booking_time, mobile, opd_today
from tests.test_opd_counter import _check_in, _flash


@pytest.fixture
def today(session):
    return opd_today(session, capacity=10)


@pytest.fixture
def clerk(session, today):
    return make_staff(session, "counter.card", hospital_id=today.hospital.id)


@pytest.fixture
def clerk_hi(session, today):
    return make_staff(session, "counter.card.hi", hospital_id=today.hospital.id, language="hi")


def _card(session, name="Sunita Devi", year=1958):
    return issue_card(session, phone=mobile(), name=name, year_of_birth=year,
                      via=CardIssuer.AGENT).card


def _book(session, card, morning):
    slot = morning.slots[0]
    return book_with_card(session, card_number=card.number, slot_id=slot.id,
                          channel=Channel.PORTAL, now=booking_time(slot))


def _qr(app, card):
    return seal(card.number, card.year_of_birth,
                card_signing_key(app.extensions["helpline"].settings))


def _status(session, appointment):
    session.expire_all()
    return session.scalar(select(Appointment.status).where(Appointment.id == appointment.id))


@pytest.mark.parametrize("form", ["spaced", "plain", "dashed", "qr"])
def test_a_card_number_or_its_qr_code_checks_in_the_holders_booking(
        console, session, app, today, clerk, form):
    card = _card(session)
    booked = _book(session, card, today)
    typed = {"spaced": spaced_card_number(card.number), "plain": card.number,
             "dashed": f" {card.number[:5]}-{card.number[5:]} ", "qr": _qr(app, card)}[form]
    dep = today.department.id
    console.login(clerk.username)
    page = _check_in(console, dep, typed)
    assert _flash(page) == "Checked in: Sunita Devi, token 1."
    assert _status(session, booked) == AppointmentStatus.ATTENDED
    session.close()
    assert _flash(_check_in(console, dep, typed)) == "Already checked in: Sunita Devi, token 1."


def test_a_forged_or_altered_card_code_is_refused_and_checks_nobody_in(
        console, session, app, today, clerk_hi):
    card = _card(session)
    booked = _book(session, card, today)
    other_key = signing_key(derived_seed("some other deployment's secret"))
    forged = seal(card.number, card.year_of_birth, other_key)
    genuine = _qr(app, card)
    prefix, number, year, signature = genuine.split(":")
    altered_year = f"{prefix}:{number}:{int(year) + 1}:{signature}"
    cut = genuine[:-6]
    raw = base64.b32decode(signature + "=" * (-len(signature) % 8))
    flipped = base64.b32encode(bytes([raw[0] ^ 1]) + raw[1:]).decode().rstrip("=")
    bad_signature = f"{prefix}:{number}:{year}:{flipped}"
    console.login(clerk_hi.username)
    for code in (forged, altered_year, cut, bad_signature):
        assert _flash(_check_in(console, today, code)) == (
            "इस कार्ड का क्यूआर कोड हेल्पलाइन का जारी किया हुआ नहीं है: यह नकली या खराब हो "
            "सकता है। इसकी जगह कार्ड नंबर लिखें।"), code
    assert _status(session, booked) == AppointmentStatus.BOOKED


def test_a_card_with_no_appointment_today_is_told_in_the_clerks_language(
        console, session, app, today, clerk, clerk_hi):
    card = _card(session)
    console.login(clerk.username)
    assert _flash(_check_in(console, today, spaced_card_number(card.number))) == (
        "This card holder has no appointment today at this hospital. "
        "They can take a counter token.")
    hindi = ConsoleClient(app.test_client())
    hindi.login(clerk_hi.username)
    assert _flash(_check_in(hindi, today, _qr(app, card))) == (
        "इस कार्ड वाले मरीज़ का आज इस अस्पताल में कोई अपॉइंटमेंट नहीं है। "
        "वे काउंटर टोकन ले सकते हैं।")
    mistyped = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    assert _flash(_check_in(hindi, today, mistyped)) == (
        "यह ई-हेल्थ कार्ड नंबर सही नहीं बैठता: शायद कोई अंक ग़लत लिखा गया है या दो अंक "
        "आपस में बदल गए हैं। कार्ड से मिलाकर देखें, या बुकिंग नंबर पूछें।")


def test_a_card_booked_in_another_department_names_it(console, session, today, clerk):
    eye = opd_today(session, hospital=today.hospital)
    card = _card(session)
    _book(session, card, eye)
    console.login(clerk.username)
    assert _flash(_check_in(console, today, card.number)) == (
        f"This booking is for {eye.department.name('en')}. Send the patient to that counter.")


def test_several_appointments_today_ask_which_then_check_in_the_one_chosen(
        console, session, today, clerk_hi):
    eye = opd_today(session, hospital=today.hospital)
    card = _card(session)
    _book(session, card, eye)
    _book(session, card, opd_today(session, hospital=today.hospital))
    console.login(clerk_hi.username)
    page = console.post("/console/opd/check-in",
                        data={"department": today.department.id, "code": card.number})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="card-choices"' in html
    assert "जिसकी हाज़िरी लगानी है, उसे चुनें।" in html
    choices = session.scalars(select(Appointment).where(
        Appointment.ehealth_card_id == card.id).order_by(Appointment.id)).all()
    assert all(f'data-reference="{a.reference}"' in html for a in choices)
    assert all(a.status == AppointmentStatus.BOOKED for a in choices)
    session.close()
    chosen = console.post("/console/opd/check-in", data={
        "department": eye.department.id, "code": choices[0].reference}, follow_redirects=True)
    assert _flash(chosen) == "हाज़िरी लग गई: Sunita Devi, टोकन 1।"
    assert _status(session, choices[0]) == AppointmentStatus.ATTENDED
    assert _status(session, choices[1]) == AppointmentStatus.BOOKED
