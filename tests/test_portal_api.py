"""What the API gained for a separately hosted portal or app: "my appointments" for a
verified mobile, the public resource figures of a hospital, and CORS for the
configured origins only."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.resources import update_resources
from helpline.app import create_app
from helpline.settings import SettingsError, cors_origins
from tests.conftest import make_settings
from tests.factories import make_slot
from tests.fixtures_api import API

PHONE, E164 = "98123 45678", "+919812345678"
OTHER, OTHER_E164 = "9812300001", "+919812300001"
HEADER = "X-Verification-Token"
PORTAL_ORIGIN = "https://portal.delhi.example"


def test_a_verified_mobile_lists_its_coming_appointments(client, session, catalogue, verify,
                                                          conforms):
    token = verify(PHONE, E164)
    later = client.post(f"{API}/appointments", json={"slot_id": catalogue.later_slot.id},
                        headers={HEADER: token}).json
    sooner = client.post(f"{API}/appointments", json={"slot_id": catalogue.slot.id},
                         headers={HEADER: token}).json
    other_day = make_slot(session, catalogue.other_department, starts_in=dt.timedelta(days=1))
    first = client.post(f"{API}/appointments", json={"slot_id": other_day.id},
                        headers={HEADER: token}).json
    cancelled_slot = make_slot(session, catalogue.other_department,
                               starts_in=dt.timedelta(days=6))
    gone = client.post(f"{API}/appointments", json={"slot_id": cancelled_slot.id},
                       headers={HEADER: token}).json
    client.post(f"{API}/appointments/{gone['reference']}/cancel", headers={HEADER: token})
    other_token = verify(OTHER, OTHER_E164)
    assert client.post(f"{API}/appointments", json={"slot_id": catalogue.slot.id},
                       headers={HEADER: other_token}).status_code == 201

    listed = client.get(f"{API}/appointments", headers={HEADER: token})
    assert listed.status_code == 200
    conforms(listed.json, "AppointmentList")
    # Soonest first, cancelled and other people's left out.
    assert [a["reference"] for a in listed.json["appointments"]] == [
        first["reference"], sooner["reference"], later["reference"]]
    assert client.get(f"{API}/appointments", headers={HEADER: other_token}).json[
        "appointments"][0]["phone"] == "+91******0001"


def test_listing_needs_a_verification(client):
    answer = client.get(f"{API}/appointments")
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "verification_required"
    forged = client.get(f"{API}/appointments", headers={HEADER: "not-a-token"})
    assert forged.json["error"]["code"] == "verification_invalid"


def test_public_resource_figures_of_a_hospital(client, session, catalogue, conforms, now):
    hospital = catalogue.hospital
    update_resources(session, hospital.id, {
        "beds": {"icu": {"total": 10, "occupied": 7}, "general": {"total": 50, "occupied": 50}},
        "ventilators": {"total": 8, "in_use": 5},
        "medicines": [{"item": "Paracetamol 500 mg", "quantity": 4000, "unit": "tablets",
                       "reorder_level": 1000},
                      {"item": "Insulin", "quantity": 12, "unit": "vials", "reorder_level": 20},
                      {"item": "ORS", "quantity": 0, "unit": "sachets"}],
    }, source="test", now=now - dt.timedelta(hours=8))
    update_resources(session, hospital.id, {"staff": {"nurse": 40, "doctor": 12}},
                     source="test", now=now - dt.timedelta(minutes=20))
    answer = client.get(f"{API}/hospitals/{hospital.id}/resources")
    assert answer.status_code == 200
    body = answer.json
    conforms(body, "HospitalResources")
    assert [(b["bed_type"], b["vacant"], b["total"], b["stale"]) for b in body["beds"]] == [
        ("general", 0, 50, True), ("icu", 3, 10, True)]
    assert body["ventilators"]["free"] == 3 and body["ventilators"]["stale"] is True
    assert [(s["role"], s["on_duty"], s["stale"]) for s in body["staff"]] == [
        ("doctor", 12, False), ("nurse", 40, False)]
    assert {m["item"]: m["availability"] for m in body["medicines"]} == {
        "Paracetamol 500 mg": "in_stock", "Insulin": "low", "ORS": "out"}
    assert "quantity" not in body["medicines"][0]
    assert body["updated_at"].startswith((now - dt.timedelta(minutes=20)).astimezone(
        dt.timezone(dt.timedelta(hours=5, minutes=30))).strftime("%Y-%m-%dT%H:%M"))


def test_a_hospital_that_never_reported_has_empty_figures(client, catalogue):
    body = client.get(f"{API}/hospitals/{catalogue.other_hospital.id}/resources").json
    assert body["beds"] == [] and body["ventilators"] is None and body["updated_at"] is None
    assert client.get(f"{API}/hospitals/999999/resources").status_code == 404


@pytest.fixture
def cors_client(database_url):
    app = create_app(make_settings(
        database_url, cors_allowed_origins=f"{PORTAL_ORIGIN}, http://localhost:8080"))
    yield app.test_client()
    app.extensions["helpline"].engine.dispose()


def test_cors_answers_configured_origins_only(cors_client, catalogue):
    allowed = cors_client.get(f"{API}/hospitals", headers={"Origin": PORTAL_ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = cors_client.get(f"{API}/hospitals", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]
    local = cors_client.get(f"{API}/hospitals", headers={"Origin": "http://localhost:8080"})
    assert local.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    # A prefix or another port of an allowed origin is another origin.
    for near in (PORTAL_ORIGIN + ".evil.example", "http://localhost:8081", "null"):
        answer = cors_client.get(f"{API}/hospitals", headers={"Origin": near})
        assert "Access-Control-Allow-Origin" not in answer.headers, near


def test_cors_preflight_allows_the_verification_header(cors_client):
    preflight = cors_client.options(f"{API}/appointments", headers={
        "Origin": PORTAL_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-verification-token"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN
    allowed = {h.strip().lower() for h in
               preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-verification-token"} <= allowed
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    refused = cors_client.options(f"{API}/appointments", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_errors_carry_cors_headers_so_the_portal_can_read_them(cors_client):
    answer = cors_client.get(f"{API}/appointments", headers={"Origin": PORTAL_ORIGIN})
    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN
    # URLs and methods no route matches never reach the API's own hooks.
    for method, path, status in (("get", "/hospitals/1/nothing", 404),
                                 ("get", "/hospitals/99999999999999999999/resources", 404),
                                 ("delete", "/hospitals/1", 405)):
        answer = getattr(cors_client, method)(f"{API}{path}", headers={"Origin": PORTAL_ORIGIN})
        assert answer.status_code == status, path
        assert answer.headers.get("Access-Control-Allow-Origin") == PORTAL_ORIGIN, path
        assert "Origin" in answer.headers.get("Vary", ""), path
    # Outside the API nothing changes.
    page = cors_client.get("/portal/", headers={"Origin": PORTAL_ORIGIN})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_no_origin_is_allowed_by_default(client):
    answer = client.get(f"{API}/hospitals", headers={"Origin": PORTAL_ORIGIN})
    assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize("raw", ["*", "https://*.delhi.gov.in", "portal.delhi.gov.in",
                                 "https://portal.delhi.gov.in/app", "ftp://x.example"])
def test_a_wildcard_or_a_non_origin_stops_the_app(raw):
    with pytest.raises(SettingsError, match="CORS_ALLOWED_ORIGINS"):
        cors_origins(raw)
    with pytest.raises(SystemExit):
        create_app(make_settings("sqlite://", cors_allowed_origins=raw))


def test_origins_are_read_exactly():
    assert cors_origins(" https://A.example , http://localhost:8080,") == {
        "https://a.example", "http://localhost:8080"}
    assert cors_origins("") == frozenset()
