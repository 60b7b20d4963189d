"""One test per bug the garbage walks found, each with the exact input that broke it
(a 500, an apology for a crash, a lock left behind) and the clear answer it gets now."""

from __future__ import annotations

import html
import re
import sqlite3

import pytest
from sqlalchemy import func, select

from booking_core.base import whole_number
from contact_centre.models import Call, StaffUser
from grievances.models import Grievance
from locales import catalogs, render
from tests.conftest import PUBLIC_BASE_URL
from tests.fixtures_ivr import signed_post
from tests.fixtures_robustness import CITIZEN

HUGE = "9" * 30


def _verified(client, phone: str) -> dict[str, str]:
    from portal_api.auth import issue_verification_token

    return {"X-Verification-Token": issue_verification_token(
        client.application.config["SECRET_KEY"], phone)}


def _error(response) -> str:
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    return response.get_json()["error"]["code"]


# --- ids and numbers beyond an INTEGER column ---------------------------------------------

@pytest.mark.parametrize("path", [
    f"/api/v1/hospitals/{HUGE}", f"/api/v1/hospitals/{2**31}",
    f"/api/v1/hospitals/1/departments/{2**63}/availability", "/api/v1/hospitals/１",
])
def test_ids_no_row_can_have_are_404_not_a_database_error(client, path):
    response = client.get(path)
    assert (response.status_code, _error(response)) == (404, "not_found")


@pytest.mark.parametrize("value", ["²", "99999999999", "-1", HUGE])
def test_query_numbers_are_checked_before_the_database(client, value):
    response = client.get("/api/v1/beds", query_string={"hospital_id": value})
    assert (response.status_code, _error(response)) == (400, "invalid_parameter")


def test_whole_number_accepts_only_what_a_column_holds():
    assert [whole_number(v) for v in ("7", " 42 ", str(2**31 - 1), "१२", "１")] \
        == [7, 42, 2**31 - 1, 12, 1]  # digits as typed in any script
    assert [whole_number(v) for v in ("", None, "-1", "1.5", "²", str(2**31), HUGE)] \
        == [None] * 7


def test_json_ids_beyond_an_integer_are_400(client):
    response = client.post("/api/v1/grievances", json={
        "phone": CITIZEN, "category": "cleanliness", "description": "Dirty ward",
        "hospital_id": 10**30})
    assert (response.status_code, _error(response)) == (400, "invalid_field")


# --- JSON that parses badly or not at all ----------------------------------------------------

@pytest.mark.parametrize("body", ["[" * 20000 + "]" * 20000, '{"a":' * 5000 + "1" + "}" * 5000,
                                  '{"phone": "\\ud800", "category": "cleanliness"}'])
def test_deep_or_non_unicode_json_is_malformed(client, body):
    response = client.post("/api/v1/grievances", data=body, content_type="application/json")
    assert (response.status_code, _error(response)) == (400, "malformed_json")


def test_nul_characters_are_dropped_not_a_500(client, session):
    response = client.post("/api/v1/grievances", json={
        "phone": CITIZEN, "category": "cleanliness", "description": "Ward\u00004 is dirty"},
        headers=_verified(client, CITIZEN))
    assert response.status_code == 201, response.get_data(as_text=True)
    stored = session.scalar(select(Grievance))
    assert stored.description == "Ward4 is dirty"
    session.rollback()  # SQLite: let go of the read before the app writes
    assert client.get("/api/v1/hospitals", query_string={"district": "a\x00b"}).status_code == 200


def test_references_with_lookalike_digits_are_refused_and_devanagari_ones_found(client):
    made = client.post("/api/v1/grievances", json={
        "phone": CITIZEN, "category": "cleanliness", "description": "Dirty ward"},
        headers=_verified(client, CITIZEN)).get_json()
    refused = client.post("/api/v1/grievances/lookup",
                          json={"reference": "6²" + made["reference"][2:], "phone": CITIZEN})
    assert (refused.status_code, _error(refused)) == (422, "invalid_reference")
    devanagari = made["reference"].translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    found = client.post("/api/v1/grievances/lookup",
                        json={"reference": devanagari, "phone": CITIZEN})
    assert found.status_code == 200 and found.get_json()["reference"] == made["reference"]


def test_abha_numbers_are_ascii_digits(robust_world):
    client = robust_world.app.test_client()
    for abha in ("²" * 14, "१" * 13):  # "²" is no digit a person types; 13 are too few
        response = client.post("/api/v1/appointments", json={
            "slot_id": robust_world.ids["slot"][1], "abha_number": abha},
            headers={"X-Verification-Token": robust_world.verification_token})
        assert (response.status_code, _error(response)) == (422, "invalid_abha")


# --- oversized bodies, before anything else answers ------------------------------------------

def test_oversized_bodies_are_413_before_credentials_or_signatures(client, settings):
    body = "x" * (settings.max_request_bytes + 1)
    feed = client.post("/api/v1/hospitals/1/resources", data=body, content_type="application/json")
    assert (feed.status_code, _error(feed)) == (413, "payload_too_large")  # was 401
    ivr = client.post("/ivr/voice", data={"Body": body})
    assert (ivr.status_code, ivr.mimetype) == (413, "text/plain")  # was a 200 apology
    console = client.post("/console/login", data={"username": body})
    assert console.status_code == 413 and console.mimetype == "text/html"


def test_webhook_errors_are_twiml_only_for_twilio(client):
    stranger = client.get("/ivr/nowhere")
    assert (stranger.status_code, stranger.mimetype) == (404, "text/plain")
    twilio = signed_post(client, PUBLIC_BASE_URL + "/ivr/nowhere", {"CallSid": "CA1"})
    assert (twilio.status_code, twilio.mimetype) == (200, "text/xml")
    # The caller's language is not known: the apology in both, 2 for English.
    assert render("hi", "ivr.apology") in twilio.get_data(as_text=True)
    assert render("en", "ivr.apology_press_2") in twilio.get_data(as_text=True)


# --- the IVR -------------------------------------------------------------------------------

@pytest.mark.parametrize("junk", ["²", "١", "a", "1²"])
def test_keys_no_keypad_has_are_a_wrong_key_not_a_crash(phone, ivr_world, junk):
    phone.call()
    phone.press("2")  # English
    phone.press("3")  # grievance categories, chosen by number
    phone.post(phone.gather.get("action"), Digits=junk)  # "²".isdigit(), int("²") fails
    assert phone.said.startswith(render("en", "ivr.retry.wrong_key")), phone.said
    assert "technical problem" not in phone.said


def test_absurd_twilio_numbers_are_ignored(phone, ivr_world, ivr_session):
    phone.call()
    phone.post("/ivr/queue/wait", QueuePosition=HUGE)
    assert phone.gather is not None and "technical problem" not in phone.said
    phone.post("/ivr/status", CallStatus="completed", CallDuration="9" * 40)
    assert phone.verbs() == []
    ivr_session.rollback()
    call = ivr_session.scalar(select(Call).where(Call.call_sid == phone.call_sid))
    assert call.status == "completed" and call.duration_seconds is None


# --- the console ---------------------------------------------------------------------------

def _flash(console, answer) -> str:
    assert answer.status_code == 302, answer.get_data(as_text=True)[:200]
    return console.get(answer.location).get_data(as_text=True)


def test_unknown_agents_hospitals_and_languages_get_a_message(console, session, admin_user,
                                                              agent, hospital):
    from tests.fixtures_console import make_grievance

    item = make_grievance(session)
    console.login("admin.one")
    # Each refusal says its own reason (``agent_console.i18n.error_text``): one of the
    # console's error sentences, never the page without a message.
    sentences = {v for k, v in catalogs()["en"].items() if k.startswith("console.err.")}

    def refused(page: str) -> str:
        found = re.search(r'<(?:p class="flash error|div class="[^"]*field-error)[^"]*"'
                          r'[^>]*>([^<]+)</', page)
        assert found, page[-600:]
        message = html.unescape(found.group(1))
        assert message in sentences, message
        return message

    for agent_id in ("999999", "0"):
        refused(_flash(console, console.post(f"/console/grievances/{item.id}/assign",
                                             data={"agent": agent_id})))
    refused(_flash(console, console.post(f"/console/grievances/{item.id}/transfer",
                                         data={"hospital": HUGE, "reason": "x"})))
    refused(_flash(console, console.post(f"/console/admin/users/{agent.id}", data={
        "role": "agent", "hospital": "999999", "active": "1", "language": "en"})))
    session.expire_all()
    assert session.get(StaffUser, agent.id).hospital_id is None
    session.rollback()
    # A language that is not the helpline's is refused, never saved as Hindi.
    before = session.scalar(select(func.count()).select_from(Grievance))
    session.rollback()
    answer = console.post("/console/grievances/new", data={
        "phone": "9812345679", "category": "cleanliness", "description": "Dirty ward",
        "language": "x" * 500})
    assert render("en", "console.err.invalid_input.language") in html.unescape(
        answer.get_data(as_text=True))
    assert session.scalar(select(func.count()).select_from(Grievance)) == before


def test_console_booking_with_ids_no_row_can_have(console, agent):
    console.login("agent.one")
    page = console.get("/console/booking", query_string={"hospital": HUGE, "phone": "98123"})
    assert page.status_code == 200
    answer = console.post("/console/booking/book", data={"slot": HUGE, "phone": CITIZEN})
    assert answer.status_code == 302


def test_csv_export_lets_go_of_the_database_when_read(console, supervisor, session, database_url):
    from tests.fixtures_console import make_grievance

    make_grievance(session)
    session.commit()
    console.login("super.one")
    response = console.get("/console/grievances.csv")
    assert response.get_data(as_text=True).count("\n") == 2
    if database_url.startswith("sqlite"):
        other = sqlite3.connect(database_url.split("///", 1)[1], timeout=0.2)
        other.execute("BEGIN IMMEDIATE")  # raised "database is locked" while streamed
        other.execute("ROLLBACK")
        other.close()
