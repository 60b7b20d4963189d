"""The hospital resource feed: per-hospital tokens, stored hashed."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from booking_core.feed_tokens import FeedToken, issue_feed_token
from booking_core.resources import BedCount, MedicineStock, ResourceUpdate, StaffOnDuty
from tests.fixtures_api import API, reading

REPORT = {
    "beds": {"icu": {"total": 30, "occupied": 22}, "oxygen": {"total": 50, "occupied": 10}},
    "ventilators": {"total": 12, "in_use": 9},
    "medicines": [{"item": "Paracetamol 500 mg", "quantity": 12000, "unit": "tablets",
                   "reorder_level": 5000}],
    "staff": {"doctor": 40, "nurse": 120},
}


def _post(client, hospital_id, token, body=REPORT):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"{API}/hospitals/{hospital_id}/resources", json=body, headers=headers)


def test_cli_issues_a_token_shown_once_and_stored_hashed(app, session, catalogue):
    result = app.test_cli_runner().invoke(args=["issue-feed-token", "lnh", "--label", "HIS"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("dhh_") and len(token) > 40
    with reading(session):
        row = session.scalar(select(FeedToken))
        assert row.hospital_id == catalogue.hospital.id and row.label == "HIS"
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.hint, row.label) and len(row.hint) < 12
    listed = app.test_cli_runner().invoke(args=["list-feed-tokens"])
    assert "LNH" in listed.output and token not in listed.output
    unknown = app.test_cli_runner().invoke(args=["issue-feed-token", "NOPE"])
    assert unknown.exit_code != 0 and "no such hospital" in unknown.output


def test_feed_updates_resources_with_history(client, session, catalogue, conforms):
    _, token = issue_feed_token(session, catalogue.hospital.id, "HIS")
    res = _post(client, catalogue.hospital.id, token)
    assert res.status_code == 200, res.json
    conforms(res.json, "ResourceReceipt")
    assert res.json["updated"] == {"beds": 2, "ventilators": 1, "medicines": 1, "staff": 2}
    with reading(session):
        icu = session.scalar(select(BedCount).where(BedCount.bed_type == "icu"))
        assert (icu.total, icu.occupied, icu.hospital_id) == (30, 22, catalogue.hospital.id)
        assert icu.source.startswith("feed:dhh_")
        assert session.scalar(select(MedicineStock.quantity)) == 12000
        assert session.scalar(select(StaffOnDuty.on_duty).where(StaffOnDuty.role == "nurse")) == 120
        assert session.scalar(select(ResourceUpdate.payload)) == REPORT
    beds = client.get(f"{API}/beds?hospital_id={catalogue.hospital.id}&bed_type=icu").json
    assert beds["beds"][0]["vacant"] == 8 and beds["beds"][0]["stale"] is False


def test_token_of_one_hospital_cannot_write_another(client, session, catalogue):
    _, token = issue_feed_token(session, catalogue.hospital.id)
    res = _post(client, catalogue.other_hospital.id, token)
    assert res.status_code == 403 and res.json["error"]["code"] == "forbidden"
    with reading(session):
        assert session.scalar(select(BedCount)) is None


def test_missing_wrong_or_revoked_token_is_401(client, app, session, catalogue):
    hid = catalogue.hospital.id
    for token in (None, "dhh_not-a-real-token"):
        res = _post(client, hid, token)
        assert res.status_code == 401 and res.json["error"]["code"] == "unauthenticated"
        assert res.headers["WWW-Authenticate"].startswith("Bearer")
    basic = client.post(f"{API}/hospitals/{hid}/resources", json=REPORT,
                        headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    row, token = issue_feed_token(session, hid)
    revoked = app.test_cli_runner().invoke(args=["revoke-feed-token", str(row.id)])
    assert revoked.exit_code == 0
    assert _post(client, hid, token).status_code == 401
    with reading(session):
        assert session.scalar(select(BedCount)) is None


def test_bad_reports_change_nothing(client, session, catalogue):
    _, token = issue_feed_token(session, catalogue.hospital.id)
    hid = catalogue.hospital.id
    cases = [
        ({}, 400, "invalid_field"),
        ({"beds": {"luxury": {"total": 1, "occupied": 0}}}, 400, "invalid_field"),
        ({"beds": {"icu": {"total": "30", "occupied": 1}}}, 400, "invalid_type"),
        ({"beds": {"icu": {"total": 3, "occupied": 5}}}, 422, "invalid_input"),
        ({"ventilators": {"total": 1}}, 400, "missing_field"),
        ({"staff": {"doctor": -1}}, 400, "invalid_field"),
        ({"staff": {"wizard": 1}}, 400, "invalid_field"),
        ({"beds": {"icu": {"total": 3, "occupied": 1}}, "staff": {"doctor": 1.5}}, 400,
         "invalid_type"),
    ]
    for body, status, code in cases:
        res = _post(client, hid, token, body)
        assert (res.status_code, res.json["error"]["code"]) == (status, code), body
    with reading(session):
        assert session.scalar(select(BedCount)) is None
        assert session.scalar(select(ResourceUpdate)) is None
