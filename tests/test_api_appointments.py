"""Booking, looking up, cancelling and rescheduling through /api/v1."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.outbox import OutboxMessage
from booking_core.refs import RefKind, new_reference
from booking_core.slots import Slot
from portal_api.auth import issue_verification_token
from tests.factories import make_slot
from tests.fixtures_api import API, reading

PHONE, E164 = "98123 45678", "+919812345678"
OTHER, OTHER_E164 = "9812300001", "+919812300001"
HEADER = "X-Verification-Token"


def _book(client, token, **body):
    return client.post(f"{API}/appointments", json=body, headers={HEADER: token})


def test_book_with_verified_mobile(client, session, catalogue, verify, conforms):
    token = verify(PHONE, E164)
    res = _book(client, token, slot_id=catalogue.slot.id, language="en",
                patient_name="Asha Devi", abha_number="12-3456-7890-1234")
    assert res.status_code == 201, res.json
    conforms(res.json, "Appointment")
    body = res.json
    assert body["status"] == "booked" and body["token"] == 1
    assert body["hospital"]["name_hi"] == "लोक नायक अस्पताल" and body["phone"] == "+91******5678"
    with reading(session):
        appt = session.scalar(select(Appointment).where(
            Appointment.reference == body["reference"]))
        assert appt.channel == Channel.PORTAL and appt.citizen.phone == E164
        assert appt.abha_number == "12345678901234" and appt.patient_name == "Asha Devi"
        assert session.get(Slot, catalogue.slot.id).booked == 1
        sms = session.scalar(select(OutboxMessage).where(
            OutboxMessage.appointment_id == appt.id,
            OutboxMessage.template == "appointment_confirmation"))
        assert sms.to_phone == E164 and body["reference"] in sms.body and sms.language == "en"


def test_booking_needs_a_valid_verification(client, session, catalogue, app):
    slot = catalogue.slot.id
    missing = client.post(f"{API}/appointments", json={"slot_id": slot})
    assert missing.status_code == 401
    assert missing.json["error"]["code"] == "verification_required"
    forged = issue_verification_token("another-secret", PHONE)
    assert _book(client, forged, slot_id=slot).json["error"]["code"] == "verification_invalid"
    old = issue_verification_token(app.config["SECRET_KEY"], PHONE, now=time.time() - 3600)
    expired = _book(client, old, slot_id=slot)
    assert expired.status_code == 401 and expired.json["error"]["code"] == "verification_expired"
    with reading(session):
        assert session.get(Slot, slot).booked == 0


def test_lookup_by_reference_and_phone(client, session, catalogue, verify, conforms):
    ref = _book(client, verify(PHONE, E164), slot_id=catalogue.slot.id).json["reference"]
    found = client.post(f"{API}/appointments/lookup", json={"reference": ref, "phone": E164})
    assert found.status_code == 200 and found.json["reference"] == ref
    conforms(found.json, "Appointment")
    stranger = client.post(f"{API}/appointments/lookup", json={"reference": ref, "phone": OTHER})
    assert stranger.status_code == 404
    typo = ref[:-1] + str((int(ref[-1]) + 1) % 10)
    bad = client.post(f"{API}/appointments/lookup", json={"reference": typo, "phone": PHONE})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_reference"


def test_cancel_frees_the_seat(client, session, catalogue, verify, conforms):
    token = verify(PHONE, E164)
    ref = _book(client, token, slot_id=catalogue.slot.id).json["reference"]
    res = client.post(f"{API}/appointments/{ref}/cancel", headers={HEADER: token})
    assert res.status_code == 200 and res.json["status"] == "cancelled"
    conforms(res.json, "Appointment")
    with reading(session):
        appt = session.scalar(select(Appointment).where(Appointment.reference == ref))
        assert appt.status == AppointmentStatus.CANCELLED and appt.cancelled_at is not None
        assert session.get(Slot, catalogue.slot.id).booked == 0
        assert [e.kind for e in appt.events] == ["booked", "cancelled"]


def test_only_the_verified_number_can_cancel(client, session, catalogue, verify):
    ref = _book(client, verify(PHONE, E164), slot_id=catalogue.slot.id).json["reference"]
    other = verify(OTHER, OTHER_E164)
    res = client.post(f"{API}/appointments/{ref}/cancel", headers={HEADER: other})
    assert res.status_code == 404
    assert client.post(f"{API}/appointments/{ref}/cancel").status_code == 401
    with reading(session):
        assert session.get(Slot, catalogue.slot.id).booked == 1


def test_reschedule_moves_the_seat(client, session, catalogue, verify, conforms):
    token = verify(PHONE, E164)
    ref = _book(client, token, slot_id=catalogue.slot.id).json["reference"]
    res = client.post(f"{API}/appointments/{ref}/reschedule",
                      json={"slot_id": catalogue.later_slot.id}, headers={HEADER: token})
    assert res.status_code == 200 and res.json["slot_id"] == catalogue.later_slot.id
    conforms(res.json, "Appointment")
    assert res.json["reference"] == ref
    with reading(session):
        assert session.get(Slot, catalogue.slot.id).booked == 0
        assert session.get(Slot, catalogue.later_slot.id).booked == 1
    other_dep = client.post(f"{API}/appointments/{ref}/reschedule",
                            json={"slot_id": 99999}, headers={HEADER: token})
    assert other_dep.status_code == 404


def test_full_slot_and_duplicate_booking_conflict(client, session, catalogue, verify):
    full = make_slot(session, catalogue.department, starts_in=dt.timedelta(days=6),
                     capacity=1, booked=1)
    token = verify(PHONE, E164)
    res = _book(client, token, slot_id=full.id)
    assert res.status_code == 409 and res.json["error"]["code"] == "slot_full"
    assert _book(client, token, slot_id=catalogue.slot.id).status_code == 201
    twice = _book(client, token, slot_id=catalogue.slot.id)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_booked"


def test_bad_booking_input(client, session, catalogue, verify, app):
    past = make_slot(session, catalogue.department, starts_in=dt.timedelta(hours=-2))
    token = verify(PHONE, E164)
    headers = {HEADER: token}
    slot = catalogue.slot.id
    cases = [
        ({"slot_id": "one"}, 400, "invalid_type"),
        ({"slot_id": True}, 400, "invalid_type"),
        ({}, 400, "missing_field"),
        ({"slot_id": slot, "surprise": 1}, 400, "unknown_field"),
        ({"slot_id": 987654}, 404, "not_found"),
        ({"slot_id": past.id}, 409, "slot_unavailable"),
        ({"slot_id": slot, "abha_number": "1234"}, 422, "invalid_abha"),
        ({"slot_id": slot, "language": "de"}, 400, "invalid_field"),
    ]
    for body, status, code in cases:
        res = client.post(f"{API}/appointments", json=body, headers=headers)
        assert (res.status_code, res.json["error"]["code"]) == (status, code), body
    malformed = client.post(f"{API}/appointments", data="{\"slot_id\": ", headers=headers,
                            content_type="application/json")
    assert malformed.status_code == 400 and malformed.json["error"]["code"] == "malformed_json"
    listed = client.post(f"{API}/appointments", json=[slot], headers=headers)
    assert listed.status_code == 400 and listed.json["error"]["code"] == "invalid_type"
    form = client.post(f"{API}/appointments", data={"slot_id": slot}, headers=headers)
    assert form.status_code == 415
    huge = client.post(f"{API}/appointments", headers=headers, content_type="application/json",
                       data='{"patient_name": "' + "x" * (app.config["MAX_CONTENT_LENGTH"]) + '"}')
    assert huge.status_code == 413 and huge.json["error"]["code"] == "payload_too_large"
    with reading(session):
        assert session.get(Slot, slot).booked == 0


def test_bad_lookup_input(client, catalogue):
    cases = [
        ({"reference": new_reference(RefKind.APPOINTMENT), "phone": "123"}, 422,
         "invalid_mobile"),
        ({"reference": 12345678, "phone": PHONE}, 400, "invalid_type"),
        ({"phone": PHONE}, 400, "missing_field"),
        ({"reference": "abc", "phone": PHONE}, 422, "invalid_reference"),
    ]
    for body, status, code in cases:
        res = client.post(f"{API}/appointments/lookup", json=body)
        assert (res.status_code, res.json["error"]["code"]) == (status, code), body
