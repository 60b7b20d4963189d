"""A booking's patient name and a citizen's name follow the card holder's rule
(``booking_core.person_names.clean_person_name``): letters of any script with spaces,
dots, apostrophes and hyphens; digits, signs and emoji refused; longer than 120 refused,
never cut. Through the domain and each door that books: the portal, the console and the
API, in Hindi and English; an empty name stays allowed."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.citizens import Citizen, get_or_create_citizen
from booking_core.person_names import NAME_MAX, InvalidName, NameTooLong
from locales import render
from tests.fixtures_api import API, latest_code
from tests.fixtures_console import make_staff, next_mobile

PHONE, E164 = "98123 45678", "+919812345678"

REFUSED = [
    ("Asha2", InvalidName), ("राम 🙏", InvalidName), ("Asha Devi 2", InvalidName),
    ("आशा ४", InvalidName), ("१२३ देवी", InvalidName), ("Asha@Devi", InvalidName),
    ("Asha_Devi", InvalidName), ("R2D2", InvalidName), ("-Asha", InvalidName),
    ("Asha\x00", InvalidName), ("सुनीता!", InvalidName), ("Asha  😀 Devi", InvalidName),
    ("A" * (NAME_MAX + 1), NameTooLong), ("आ" * 121, NameTooLong),
    ("राम " * 40, NameTooLong),
]
KEPT = [
    ("Asha Devi", "Asha Devi"), ("  Mohd.   Arif ", "Mohd. Arif"), ("D'Souza", "D'Souza"),
    ("राम-कुमार", "राम-कुमार"), (" श्रीमती  सुनीता देवी", "श्रीमती सुनीता देवी"),
    ("प्रज्ञा श्रद्धा", "प्रज्ञा श्रद्धा"), ("A" * NAME_MAX, "A" * NAME_MAX),
    ("\u0958ुरैशी", "\u0915\u093cुरैशी"),
]


def _appointments(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(Appointment)) or 0
    session.commit()  # end the read: SQLite's write lock would hold the app's next request
    return count


# --- the domain --------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "error"), REFUSED)
def test_book_appointment_refuses_a_name_and_books_nothing(session, catalogue, typed, error):
    with pytest.raises(error) as refused:
        book_appointment(session, slot_id=catalogue.slot.id, phone=PHONE,
                         channel=Channel.PORTAL, patient_name=typed)
    assert refused.value.details["field"] == "patient_name"
    assert _appointments(session) == 0


@pytest.mark.parametrize(("typed", "kept"), KEPT)
def test_book_appointment_keeps_the_tidied_name(session, catalogue, typed, kept):
    booked = book_appointment(session, slot_id=catalogue.slot.id, phone=PHONE,
                              channel=Channel.PORTAL, patient_name=typed)
    assert booked.patient_name == kept
    assert booked.citizen.name == kept


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_no_name_is_still_allowed_for_a_booking(session, catalogue, typed):
    booked = book_appointment(session, slot_id=catalogue.slot.id, phone=PHONE,
                              channel=Channel.PORTAL, patient_name=typed)
    assert booked.patient_name is None


@pytest.mark.parametrize(("typed", "error"), REFUSED[:5] + REFUSED[-2:])
def test_a_citizens_name_is_checked_too(session, typed, error):
    with pytest.raises(error):
        get_or_create_citizen(session, PHONE, name=typed)
    session.rollback()
    assert get_or_create_citizen(session, PHONE, name="  आशा  देवी ").name == "आशा देवी"
    assert get_or_create_citizen(session, PHONE, name="  ").name == "आशा देवी"
    session.rollback()


# --- the API ------------------------------------------------------------------------------

API_CASES = [("Asha2", "invalid_name"), ("राम 🙏", "invalid_name"), ("आशा ४", "invalid_name"),
             ("A" * (NAME_MAX + 1), "name_too_long"), ("आ" * 200, "name_too_long")]


@pytest.mark.parametrize(("typed", "code"), API_CASES)
def test_the_api_refuses_with_the_card_codes(client, session, catalogue, verify, typed, code):
    token = verify(PHONE, E164)
    answer = client.post(f"{API}/appointments", json={
        "slot_id": catalogue.slot.id, "patient_name": typed},
        headers={"X-Verification-Token": token})
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == code
    assert answer.json["error"]["details"]["field"] == "patient_name"
    assert _appointments(session) == 0


def test_the_api_books_a_valid_name_tidied(client, session, catalogue, verify):
    token = verify(PHONE, E164)
    answer = client.post(f"{API}/appointments", json={
        "slot_id": catalogue.slot.id, "patient_name": " श्रीमती  सुनीता देवी "},
        headers={"X-Verification-Token": token})
    assert answer.status_code == 201, answer.json
    assert answer.json["patient_name"] == "श्रीमती सुनीता देवी"


# --- the portal ---------------------------------------------------------------------------

def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _portal_verified(client, session, lang: str, slot_id: int) -> str:
    client.get(f"/portal/lang/{lang}")
    review = f"/portal/book/review?slot={slot_id}"
    page = client.get(review).get_data(as_text=True)
    sent = client.post("/portal/book/review", data={
        "csrf_token": _csrf(page), "slot": slot_id, "step": "send_code", "mobile": PHONE},
        follow_redirects=True).get_data(as_text=True)
    checked = client.post("/portal/book/review", data={
        "csrf_token": _csrf(sent), "slot": slot_id, "step": "check_code", "mobile": PHONE,
        "code": latest_code(session, E164)}, follow_redirects=True)
    assert checked.status_code == 200
    return checked.get_data(as_text=True)


def _name_error(page: str) -> str:
    found = re.search(r'<p class="error" id="name-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_says_why_and_keeps_what_was_typed(client, session, catalogue, lang):
    slot_id = catalogue.slot.id
    page = _portal_verified(client, session, lang, slot_id)
    assert 'maxlength="120"' not in page  # the browser does not cut a pasted name
    for typed, key in [("Asha2", "invalid_name"), ("राम 🙏", "invalid_name"),
                       ("A" * (NAME_MAX + 1), "name_too_long")]:
        answer = client.post("/portal/book/review", data={
            "csrf_token": _csrf(page), "slot": slot_id, "step": "book", "patient_name": typed},
            follow_redirects=True)  # refused: 303 to the review page, which says why
        shown = answer.get_data(as_text=True)
        assert [r.status_code for r in answer.history] == [303], typed
        assert answer.status_code == 200, typed
        assert _name_error(shown) == render(lang, f"portal.err.{key}"), typed
        assert f'value="{html.escape(typed)}"' in shown  # whole, not cut to 120
    assert _appointments(session) == 0
    booked = client.post("/portal/book/review", data={
        "csrf_token": _csrf(page), "slot": slot_id, "step": "book",
        "patient_name": " आशा  देवी "}, follow_redirects=True)
    assert booked.status_code == 200 and len(booked.history) == 1
    session.expire_all()
    assert session.scalars(select(Appointment.patient_name)).all() == ["आशा देवी"]


def test_the_portal_books_with_no_name(client, session, catalogue):
    slot_id = catalogue.slot.id
    page = _portal_verified(client, session, "hi", slot_id)
    booked = client.post("/portal/book/review", data={
        "csrf_token": _csrf(page), "slot": slot_id, "step": "book", "patient_name": ""},
        follow_redirects=True)
    assert booked.status_code == 200 and len(booked.history) == 1
    assert _appointments(session) == 1


# --- the console --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_console_says_why_and_keeps_what_was_typed(console, session, catalogue, lang):
    make_staff(session, f"agent.{lang}", language=lang)
    console.login(f"agent.{lang}")
    phone = next_mobile()
    slot = {"slot": catalogue.slot.id, "hospital": catalogue.hospital.id,
            "department": catalogue.department.id,
            "day": catalogue.slot.local_day.isoformat()}
    session.commit()
    for typed, key in [("Asha2", "invalid_name.characters"),
                       ("राम 🙏", "invalid_name.characters"),
                       ("A" * (NAME_MAX + 1), "name_too_long.patient_name")]:
        answer = console.post("/console/booking/book", {
            **slot, "phone": phone, "patient_name": typed}, follow_redirects=True)
        shown = answer.get_data(as_text=True)
        assert render(lang, f"console.err.{key}") in html.unescape(shown), typed
        assert f'value="{html.escape(typed)}"' in shown, typed  # kept in the form
        assert 'maxlength="120"' not in shown
    assert _appointments(session) == 0
    console.post("/console/booking/book", {**slot, "phone": phone,
                                           "patient_name": "  Mohd.  Arif "},
                 follow_redirects=True)
    session.expire_all()
    assert session.scalars(select(Appointment.patient_name)).all() == ["Mohd. Arif"]
    assert session.scalars(select(Citizen.name)).all() == ["Mohd. Arif"]
