"""A patient's name given for a booking stays on the appointment: it never replaces the
name (or ABHA number) of the mobile's citizen, who is often someone else (a caller
booking for a relative). It names the citizen only while the citizen has no name.
Search still finds the owner by their own name and the booking by the patient's.
Through the domain on every channel, and through the console, the portal and the API;
on SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.citizens import Citizen, get_or_create_citizen
from contact_centre.caller_history import caller_history
from contact_centre.search import HitKind, search_records
from tests.fixtures_api import API, latest_code, reading
from tests.fixtures_console import make_staff

OWNER_PHONE, OWNER_E164 = "98100 00204", "+919810000204"
OWNER = "Suresh Yadav"
OWNER_ABHA = "91234567890456"

# (a relative's name as typed, as kept): Devanagari, Latin, and both in one name.
RELATIVES = [
    pytest.param("मोहd. आरिफ़", "मोहd. आरिफ़", id="mixed"),
    pytest.param("  Kamla   Devi ", "Kamla Devi", id="latin"),
    pytest.param("श्रीमती सुनीता देवी", "श्रीमती सुनीता देवी", id="devanagari"),
]


def _owner(session, name: str = OWNER, abha: str | None = OWNER_ABHA) -> int:
    with session.begin():
        citizen = get_or_create_citizen(session, OWNER_PHONE, name=name, abha_number=abha)
    return citizen.id


def _citizen(session) -> Citizen:
    session.expire_all()
    citizen = session.scalars(select(Citizen).where(Citizen.phone == OWNER_E164)).one()
    session.commit()  # end the read (SQLite's write lock)
    return citizen


def _patient_names(session) -> list[str | None]:
    session.expire_all()
    names = list(session.scalars(select(Appointment.patient_name).order_by(Appointment.id)))
    session.commit()
    return names


def _assert_owner_kept_and_both_found(session, patient: str) -> None:
    citizen = _citizen(session)
    assert citizen.name == OWNER
    assert citizen.abha_number == OWNER_ABHA
    history = caller_history(session, OWNER_E164)  # what the caller's card shows
    assert history.citizen is not None and history.citizen.name == OWNER
    by_owner = search_records(session, "Suresh", within_hospital=None)
    assert [h.record.phone for h in by_owner.hits if h.kind == HitKind.CITIZEN] == [OWNER_E164]
    by_patient = search_records(session, patient.split()[-1], within_hospital=None)
    assert [h.record.patient_name for h in by_patient.hits
            if h.kind == HitKind.APPOINTMENT] == [patient]
    session.commit()


# --- the domain: every channel that books by mobile ---------------------------------------

@pytest.mark.parametrize("channel", [Channel.AGENT, Channel.PORTAL, Channel.IVR])
@pytest.mark.parametrize(("typed", "kept"), RELATIVES)
def test_a_booking_for_a_relative_keeps_the_owners_name(session, catalogue, channel, typed,
                                                        kept):
    _owner(session)
    booked = book_appointment(session, slot_id=catalogue.slot.id, phone=OWNER_PHONE,
                              channel=channel, patient_name=typed,
                              abha_number="12-3456-7890-1234")
    assert booked.patient_name == kept
    assert booked.abha_number == "12345678901234"  # the relative's, on the appointment
    _assert_owner_kept_and_both_found(session, kept)


def test_a_booking_names_a_citizen_who_has_no_name_yet_and_only_once(session, catalogue):
    first = book_appointment(session, slot_id=catalogue.slot.id, phone=OWNER_PHONE,
                             channel=Channel.PORTAL, patient_name="सुरेश यादव")
    assert first.citizen.name == "सुरेश यादव"
    book_appointment(session, slot_id=catalogue.later_slot.id, phone=OWNER_PHONE,
                     channel=Channel.AGENT, patient_name="Mohd. Arif")
    assert _citizen(session).name == "सुरेश यादव"
    assert _patient_names(session) == ["सुरेश यादव", "Mohd. Arif"]


def test_the_citizens_details_given_again_are_filled_in_never_replaced(session):
    with session.begin():
        citizen = get_or_create_citizen(session, OWNER_PHONE, language="hi")
        assert citizen.name is None
        get_or_create_citizen(session, OWNER_PHONE, name=OWNER, year_of_birth=1970,
                              abha_number=OWNER_ABHA, language="en")
        get_or_create_citizen(session, OWNER_PHONE, name="मोहd. आरिफ़", year_of_birth=2001,
                              abha_number="12345678901234", language="hi")
    citizen = _citizen(session)
    assert (citizen.name, citizen.year_of_birth, citizen.abha_number) == (
        OWNER, 1970, OWNER_ABHA)
    assert citizen.preferred_language == "hi"  # a preference: the latest one counts


# --- the console (the reported case) ------------------------------------------------------

@pytest.mark.parametrize(("typed", "kept"), RELATIVES)
def test_the_console_booking_for_a_caller_keeps_the_callers_name(console, session, catalogue,
                                                                  typed, kept):
    _owner(session)
    make_staff(session, "agent.names")
    session.commit()
    console.login("agent.names")
    answer = console.post("/console/booking/book", {
        "slot": catalogue.slot.id, "hospital": catalogue.hospital.id,
        "department": catalogue.department.id, "day": catalogue.slot.local_day.isoformat(),
        "phone": OWNER_PHONE, "patient_name": typed, "abha": "12-3456-7890-1234"})
    assert answer.status_code == 302
    assert _patient_names(session) == [kept]
    _assert_owner_kept_and_both_found(session, kept)
    found = console.get("/console/search?q=Suresh").get_data(as_text=True)
    assert OWNER in found and 'data-kind="citizen"' in found


# --- the portal and the API ---------------------------------------------------------------

def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.mark.parametrize(("typed", "kept"), RELATIVES[:2])
def test_the_portal_booking_keeps_the_mobiles_owner(client, session, catalogue, typed, kept):
    _owner(session)
    slot_id = catalogue.slot.id
    page = client.get(f"/portal/book/review?slot={slot_id}").get_data(as_text=True)
    sent = client.post("/portal/book/review", data={
        "csrf_token": _csrf(page), "slot": slot_id, "step": "send_code",
        "mobile": OWNER_PHONE}, follow_redirects=True).get_data(as_text=True)
    checked = client.post("/portal/book/review", data={
        "csrf_token": _csrf(sent), "slot": slot_id, "step": "check_code",
        "mobile": OWNER_PHONE, "code": latest_code(session, OWNER_E164)},
        follow_redirects=True).get_data(as_text=True)
    booked = client.post("/portal/book/review", data={
        "csrf_token": _csrf(checked), "slot": slot_id, "step": "book", "patient_name": typed})
    assert booked.status_code == 303, booked.get_data(as_text=True)
    assert _patient_names(session) == [kept]
    _assert_owner_kept_and_both_found(session, kept)


@pytest.mark.parametrize(("typed", "kept"), [RELATIVES[0], RELATIVES[2]])
def test_the_api_booking_keeps_the_mobiles_owner(client, session, catalogue, verify, typed,
                                                 kept):
    _owner(session)
    token = verify(OWNER_PHONE, OWNER_E164)
    answer = client.post(f"{API}/appointments", json={
        "slot_id": catalogue.slot.id, "patient_name": typed,
        "abha_number": "12-3456-7890-1234"}, headers={"X-Verification-Token": token})
    assert answer.status_code == 201, answer.json
    assert answer.json["patient_name"] == kept
    with reading(session):
        pass
    _assert_owner_kept_and_both_found(session, kept)
