"""Registering and looking up grievances through /api/v1."""

from __future__ import annotations

from sqlalchemy import select

from booking_core.outbox import OutboxMessage
from grievances.models import Grievance, GrievanceStatus
from tests.fixtures_api import API, reading

PHONE, E164 = "+91 98123 45678", "+919812345678"


def _register(client, **overrides):
    body = {"phone": PHONE, "category": "medicines_unavailable", "language": "hi",
            "description": "दवा नहीं मिली"}
    body.update(overrides)
    return client.post(f"{API}/grievances", json=body)


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
    ]
    for override, status, code in cases:
        res = _register(client, **override)
        assert (res.status_code, res.json["error"]["code"]) == (status, code), override
    missing = client.post(f"{API}/grievances", json={"phone": PHONE})
    assert missing.status_code == 400 and missing.json["error"]["code"] == "missing_field"
    bad_ref = client.post(f"{API}/grievances/lookup", json={"reference": "1", "phone": PHONE})
    assert bad_ref.status_code == 422 and bad_ref.json["error"]["code"] == "invalid_reference"
