"""Registering and looking up grievances through /api/v1."""

from __future__ import annotations

from sqlalchemy import select

from booking_core.outbox import OutboxMessage
from grievances.models import Grievance, GrievanceStatus
from portal_api.auth import issue_verification_token
from tests.fixtures_api import API, reading

PHONE, E164 = "+91 98123 45678", "+919812345678"


def _verified(client, phone: str = PHONE) -> dict[str, str]:
    token = issue_verification_token(client.application.config["SECRET_KEY"], phone)
    return {"X-Verification-Token": token}


def _register(client, **overrides):
    body = {"phone": PHONE, "category": "medicines_unavailable", "language": "hi",
            "description": "दवा नहीं मिली"}
    body.update(overrides)
    return client.post(f"{API}/grievances", json=body, headers=_verified(client))


def test_register_and_look_up(client, session, catalogue, conforms):
    res = _register(client, hospital_id=catalogue.hospital.id,
                    department_id=catalogue.department.id)
    assert res.status_code == 201, res.json
    conforms(res.json, "Grievance")
    ref = res.json["reference"]
    assert res.json["status"] == "registered" and res.json["hospital_id"] == catalogue.hospital.id
    with reading(session):
        row = session.scalar(select(Grievance).where(Grievance.reference == ref))
        assert row.channel == "portal" and row.citizen.phone == E164
        assert row.description == "दवा नहीं मिली" and row.status == GrievanceStatus.REGISTERED
        sms = session.scalar(select(OutboxMessage).where(OutboxMessage.grievance_id == row.id))
        assert sms.template == "grievance_registered" and ref in sms.body
    found = client.post(f"{API}/grievances/lookup", json={"reference": ref, "phone": "9812345678"})
    assert found.status_code == 200 and found.json["reference"] == ref
    conforms(found.json, "Grievance")
    other = client.post(f"{API}/grievances/lookup", json={"reference": ref, "phone": "9812300001"})
    assert other.status_code == 404


def test_bad_grievance_input(client, catalogue):
    cases = [
        ({"category": "noise"}, 400, "invalid_field"),
        ({"description": ""}, 400, "invalid_field"),
        ({"description": "x" * 4001}, 400, "invalid_field"),
        ({"hospital_id": "LNH"}, 400, "invalid_type"),
        ({"hospital_id": 999}, 422, "invalid_input"),
        ({"hospital_id": catalogue.hospital.id, "department_id": catalogue.other_department.id},
         422, "invalid_input"),
        ({"phone": "011 2323 2400"}, 422, "invalid_mobile"),
        ({"phone": "9812300001"}, 403, "phone_mismatch"),
    ]
    for override, status, code in cases:
        res = _register(client, **override)
        assert (res.status_code, res.json["error"]["code"]) == (status, code), override
    missing = client.post(f"{API}/grievances", json={"phone": PHONE}, headers=_verified(client))
    assert missing.status_code == 400 and missing.json["error"]["code"] == "missing_field"
    bad_ref = client.post(f"{API}/grievances/lookup", json={"reference": "1", "phone": PHONE})
    assert bad_ref.status_code == 422 and bad_ref.json["error"]["code"] == "invalid_reference"


def test_registering_needs_a_verified_mobile_and_texts_only_that_number(client, session):
    body = {"category": "cleanliness", "description": "Ward 4 not cleaned"}
    unverified = client.post(f"{API}/grievances", json=body)
    assert unverified.status_code == 401
    assert unverified.json["error"]["code"] == "verification_required"
    forged = client.post(f"{API}/grievances", json=body, headers={
        "X-Verification-Token": issue_verification_token("another-secret", PHONE)})
    assert forged.status_code == 401
    with reading(session):
        assert session.scalar(select(Grievance.id)) is None
        assert session.scalar(select(OutboxMessage.id)) is None
    # Without a phone in the body the verified number is used.
    filed = client.post(f"{API}/grievances", json=body, headers=_verified(client))
    assert filed.status_code == 201, filed.json
    with reading(session):
        row = session.scalar(select(Grievance))
        assert row.citizen.phone == E164
        sms = session.scalar(select(OutboxMessage))
        assert sms.to_phone == E164
