"""The browser phone's access token, the TwiML that rings an agent, the caller on
screen (screen pop, callback cards, pre-filled actions, call outcome) and phoning a
grievance's citizen through the callbacks' bridge."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import jwt
import pytest
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from booking_core.appointments import Channel, book_appointment
from booking_core.base import unit_of_work, utcnow
from booking_core.outbox import OutboxMessage
from contact_centre.callbacks import claim_callback
from contact_centre.caller_history import (
    IVR_AREAS,
    WRAP_UP_WINDOW,
    asked_for_a_person_in,
    caller_on_screen,
    ivr_area,
    ivr_areas,
)
from contact_centre.models import Call, CallbackRequest, CallbackStatus
from grievances.models import GrievanceEvent
from locales import has_message
from messaging.routing_calls import AgentEndpoint, agent_endpoint, client_identity, dial_agent
from tests.conftest import make_settings
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_console import ConsoleClient, make_grievance, make_staff, next_mobile
from tests.fixtures_messaging import deliver_now, parse_twiml, signed_post

API_KEY_SID = "SK" + "1" * 32
API_KEY_SECRET = "api-key-secret-for-tests-0123456789"
TWIML_APP_SID = "AP" + "2" * 32


def answered_call(session, agent_id: int, phone: str, *, path=None, language="en",
                  ended: dt.datetime | None = None, sid: str | None = None) -> Call:
    """A call the routing side connected to ``agent_id`` (the screen pop's contract)."""
    now = utcnow()
    with unit_of_work(session):
        call = Call(call_sid=sid or f"CA{next_mobile()[3:]}", from_phone=phone,
                    language=language, path=path or ["language", "main", "agent"],
                    details={"queue_result": "bridged"}, started_at=now - dt.timedelta(minutes=3),
                    queued_at=now - dt.timedelta(minutes=2),
                    answered_at=now - dt.timedelta(seconds=30), agent_id=agent_id,
                    ended_at=ended)
        session.add(call)
    return call


# --- the browser phone's token -------------------------------------------------------

@pytest.fixture
def phone_app(sqlite_database_url):
    from helpline.app import create_app

    app = create_app(make_settings(sqlite_database_url, twilio_api_key_sid=API_KEY_SID,
                                   twilio_api_key_secret=API_KEY_SECRET,
                                   twilio_twiml_app_sid=TWIML_APP_SID))
    yield app
    app.extensions["helpline"].engine.dispose()


def _token_request(console: ConsoleClient, **headers):
    return console.client.post("/console/phone/token", headers={
        "X-CSRF-Token": console.token, "X-Fragment": "1", **headers})


def test_a_signed_in_agent_gets_a_short_lived_voice_token_signed_with_the_api_secret(
        phone_app):
    helpline = phone_app.extensions["helpline"]
    with helpline.session() as s:
        agent = make_staff(s, "agent.one")
    console = ConsoleClient(phone_app.test_client())
    console.login("agent.one")
    answer = _token_request(console)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["identity"] == f"agent-{agent.id}" == client_identity(agent.id)
    claims = jwt.decode(body["token"], API_KEY_SECRET, algorithms=["HS256"])
    assert claims["iss"] == API_KEY_SID and claims["sub"] == "AC" + "0" * 32
    assert claims["grants"]["identity"] == f"agent-{agent.id}"
    assert claims["grants"]["voice"] == {"incoming": {"allow": True},
                                         "outgoing": {"application_sid": TWIML_APP_SID}}
    # Twilio's tokens say when they start to count (nbf) rather than iat: issued now.
    assert 0 < claims["exp"] - claims["nbf"] <= 600
    assert abs(claims["nbf"] - utcnow().timestamp()) < 60
    with pytest.raises(jwt.InvalidSignatureError):  # only the API secret signs it
        jwt.decode(body["token"], "test-auth-token-0123456789abcdef", algorithms=["HS256"])


def test_no_token_without_a_session_or_without_the_csrf_token(phone_app):
    client = phone_app.test_client()
    answer = client.post("/console/phone/token", headers={"X-Fragment": "1"})
    assert answer.status_code in (400, 401) and b"token" not in answer.data.lower()
    page = client.get("/console/login")  # a session with a CSRF token, nobody signed in
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    answer = client.post("/console/phone/token",
                         headers={"X-CSRF-Token": token, "X-Fragment": "1"})
    assert answer.status_code == 401 and b"eyJ" not in answer.data
    answer = client.post("/console/phone/token", headers={"X-CSRF-Token": token})
    assert answer.status_code in (302, 303) and "/console/login" in answer.headers["Location"]
    with phone_app.extensions["helpline"].session() as s:
        make_staff(s, "agent.one")
    console = ConsoleClient(client)
    console.login("agent.one")
    assert client.post("/console/phone/token", headers={"X-Fragment": "1"}).status_code == 400


@pytest.mark.parametrize("lang, words", [("en", "not configured"), ("hi", "चालू नहीं")])
def test_without_an_api_key_the_token_endpoint_says_why_in_the_agents_language(
        session, console, lang, words):
    make_staff(session, "agent.one", language=lang)
    console.login("agent.one")
    answer = _token_request(console)
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "browser_phone_not_configured" and words in error["message"]
    page = console.get("/console/phone").get_data(as_text=True)
    assert words in page and "twilio.min.js" not in page  # the SDK is not even loaded


def test_only_the_phone_page_may_reach_twilio(phone_app):
    with phone_app.extensions["helpline"].session() as s:
        make_staff(s, "agent.one")
    console = ConsoleClient(phone_app.test_client())
    console.login("agent.one")
    phone = console.get("/console/phone")
    assert phone.status_code == 200
    assert "wss://*.twilio.com" in phone.headers["Content-Security-Policy"]
    assert "vendor/twilio-voice-sdk-2.18.5/twilio.min.js" in phone.get_data(as_text=True)
    sdk = console.get("/console/static/vendor/twilio-voice-sdk-2.18.5/twilio.min.js")
    assert sdk.status_code == 200 and b"Twilio" in sdk.data[:2000] + sdk.data[-5000:]
    queue = console.get("/console/")
    assert "twilio.com" not in queue.headers["Content-Security-Policy"]


# --- the TwiML that rings an agent ---------------------------------------------------

def test_routing_rings_the_browser_phone_by_the_tokens_identity(session):
    """The token's identity is the one routing's ``<Dial><Client>`` rings."""
    from contact_centre.models import CallDevice

    agent = make_staff(session, "agent.one", phone="+919811111111")
    agent.call_device = CallDevice.BROWSER
    endpoint = agent_endpoint(agent)
    assert endpoint == AgentEndpoint("client", client_identity(agent.id))
    response = VoiceResponse()
    response.append(dial_agent(endpoint, action="https://h.test/done",
                               answered_url="https://h.test/answered", caller_id=None))
    [dial] = list(ET.fromstring(str(response)))
    assert dial.tag == "Dial" and dial.get("action") == "https://h.test/done"
    assert [(n.tag, n.text) for n in dial] == [("Client", f"agent-{agent.id}")]
    agent.call_device = CallDevice.PHONE
    root = ET.fromstring(str(VoiceResponse().append(dial_agent(
        agent_endpoint(agent), action="a", answered_url="b", caller_id=None))))
    assert [(n.tag, n.text) for n in root.find("Dial")] == [("Number", "+919811111111")]


# --- the caller on screen --------------------------------------------------------------

def test_the_path_reads_as_parts_of_the_line_and_says_where_a_person_was_asked_for():
    path = ["voice", "language", "main", "book.department", "book.day", "book.slot", "agent",
            "queue.wait"]
    assert ivr_areas(path) == ["greeting", "language", "main", "booking", "agent"]
    assert asked_for_a_person_in(path) == "booking"
    assert asked_for_a_person_in(["main", "beds", "main", "agent"]) == "main"
    assert asked_for_a_person_in(["voice", "agent"]) == "greeting"
    assert asked_for_a_person_in(["language", "callback", "callback.number"]) == "language"
    assert asked_for_a_person_in(["main", "beds", "goodbye"]) is None
    assert ivr_areas(["main", "mystery.node"]) == ["main", "other"]


def test_every_new_code_has_words_in_both_languages():
    from contact_centre.models import CALLBACK_REASONS
    from grievances.models import EVENT_KINDS

    keys = ([f"console.ivrarea.{a}" for a in IVR_AREAS]
            + [f"console.cbreason.{r}" for r in CALLBACK_REASONS]
            + [f"console.event.{k}" for k in EVENT_KINDS])
    assert [k for k in keys if not has_message(k)] == []


def _citizen_with_a_record(session, phone: str):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    slot = make_slot(session, department)
    appointment = book_appointment(session, slot_id=slot.id, phone=phone,
                                   channel=Channel.IVR, language="en")
    grievance = make_grievance(session, phone=phone, language="en")
    with unit_of_work(session):
        session.add(Call(call_sid="CAearlier", from_phone=phone, language="en",
                         path=["main", "beds"], details={},
                         started_at=utcnow() - dt.timedelta(days=2), status="completed"))
    return appointment, grievance


def test_the_agents_current_call_pops_the_callers_record(session, console, agent, other_agent):
    phone = next_mobile()
    appointment, grievance = _citizen_with_a_record(session, phone)
    console.login("agent.one")
    assert console.get("/console/caller", headers={"X-Fragment": "1"}).data == b""
    theirs = answered_call(session, other_agent.id, phone)  # not on my screen
    assert console.get("/console/caller", headers={"X-Fragment": "1"}).data == b""

    call = answered_call(session, agent.id, phone, path=[
        "voice", "language", "main", "book.department", "book.day", "agent"])
    html = console.get("/console/caller", headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert f'data-call-id="{call.id}"' in html
    assert phone not in html and f"******{phone[-4:]}" in html
    assert "English" in html and appointment.reference in html and grievance.reference in html
    assert "Booking an appointment" in html  # where they asked for a person
    assert "Welcome → Language choice → Main menu → Booking an appointment → Agent queue" in html
    assert "Bed availability" not in html  # the earlier call is listed, not its path
    assert html.count("<li>") >= 3
    assert f"/console/booking?call={call.id}" in html
    assert f"/console/grievances/new?call={call.id}" in html

    pop = caller_on_screen(session, agent.id)
    # The caller's other calls are their history; the one on the line is not repeated.
    assert pop is not None and [c.call_sid for c in pop.history.calls] == [theirs.call_sid,
                                                                            "CAearlier"]


def test_a_call_that_ended_stays_until_its_disposition_is_recorded(session, console, agent):
    phone, agent_id = next_mobile(), agent.id
    call_id = answered_call(session, agent_id, phone,
                            ended=utcnow() - dt.timedelta(seconds=5)).id
    console.login("agent.one")
    html = console.get("/console/caller", headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert "Call ended" in html and f'data-call-id="{call_id}"' in html
    answer = console.post("/console/me/wrap-up", {"disposition": "booked", "next": "/console/"})
    assert answer.status_code == 302
    session.expire_all()
    assert session.get(Call, call_id).disposition == "booked"
    session.commit()
    assert console.get("/console/caller", headers={"X-Fragment": "1"}).data == b""
    # Long ago: off the screen whatever its disposition.
    answered_call(session, agent_id, next_mobile(),
                  ended=utcnow() - WRAP_UP_WINDOW - dt.timedelta(minutes=1))
    assert caller_on_screen(session, agent_id) is None


def test_book_for_them_and_new_grievance_come_pre_filled_for_my_caller_only(
        session, console, agent, other_agent):
    phone = next_mobile()
    mine = answered_call(session, agent.id, phone, language="en")
    theirs = answered_call(session, other_agent.id, next_mobile())
    console.login("agent.one")
    booking = console.get(f"/console/booking?call={mine.id}").get_data(as_text=True)
    assert f'value="{phone}"' in booking
    assert re.search(r'<option value="en"\s+selected>English', booking)
    grievance = console.get(f"/console/grievances/new?call={mine.id}").get_data(as_text=True)
    assert f'value="{phone}"' in grievance
    assert re.search(r'<option value="en"\s+selected>English', grievance)
    for page in (f"/console/booking?call={theirs.id}", f"/console/grievances/new?call={theirs.id}",
                 "/console/booking?call=junk", "/console/grievances/new?callback=99999"):
        assert theirs.from_phone not in console.get(page).get_data(as_text=True)


def test_callback_cards_show_the_same_panel(session, console, agent):
    phone = next_mobile()
    _, grievance = _citizen_with_a_record(session, phone)
    with unit_of_work(session):
        session.add(Call(call_sid="CAasked", from_phone=phone, language="en",
                         path=["language", "main", "griev.category", "callback"], details={}))
        session.add(CallbackRequest(phone=phone, language="en", call_sid="CAasked",
                                    reason="long_wait"))
    callback = session.scalar(select(CallbackRequest))
    session.commit()  # (on SQLite a read holds the write lock until it ends)
    console.login("agent.one")
    before = console.get("/console/callbacks").get_data(as_text=True)
    assert grievance.reference not in before  # waiting: no panel before claiming
    claim_callback(session, callback.id, agent_id=agent.id)
    page = console.get("/console/callbacks").get_data(as_text=True)
    assert grievance.reference in page and "Registering a grievance" in page
    assert f"/console/booking?callback={callback.id}" in page
    booking = console.get(f"/console/booking?callback={callback.id}").get_data(as_text=True)
    assert f'value="{phone}"' in booking


# --- phoning a grievance's citizen -----------------------------------------------------

@pytest.fixture
def fake_console(msg_app):
    return ConsoleClient(msg_app.test_client())


def test_the_grievance_page_calls_the_citizen_through_the_callback_bridge(
        msg_app, msg_session, fake_twilio, fake_console):
    agent_phone = "+919811111111"
    agent = make_staff(msg_session, "agent.one", phone=agent_phone, language="en")
    grievance = make_grievance(msg_session, phone="+919812345678", language="en")
    fake_console.login("agent.one")
    page = fake_console.get(f"/console/grievances/{grievance.id}").get_data(as_text=True)
    button = re.search(r'<form method="post" action="/console/grievances/\d+/call"[^>]*>', page)
    assert button and 'data-confirm="Call the citizen on +91******5678?' in button[0]

    answer = fake_console.post(f"/console/grievances/{grievance.id}/call")
    assert answer.status_code == 302
    deliver_now(msg_app.extensions["helpline"], when=utcnow())
    [placed] = fake_twilio.created("Calls")
    assert placed.params["To"] == agent_phone  # the agent's phone rings first
    row = msg_session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "agent_callback"))
    msg_session.commit()
    root = parse_twiml(signed_post(msg_app.test_client(), f"/calls/{row.id}/answer",
                                   {"CallSid": placed.sid, "To": agent_phone}))
    dial = root.find("Dial")
    assert [(n.tag, n.text) for n in dial] == [("Number", "+919812345678")]
    msg_session.expire_all()
    callback = msg_session.scalar(select(CallbackRequest))
    assert (callback.reason, callback.status, callback.claimed_by_id) == (
        "complainant", CallbackStatus.CALLING, agent.id)
    kinds = [e.kind for e in msg_session.scalars(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id))]
    msg_session.commit()
    assert kinds[-1] == "called"
    history = fake_console.get(f"/console/grievances/{grievance.id}").get_data(as_text=True)
    assert "Agent called the citizen" in history
    cards = fake_console.get("/console/callbacks").get_data(as_text=True)
    assert "An agent called about their grievance" in cards


def test_an_agent_without_a_phone_is_told_why_and_nothing_is_queued(session, console):
    make_staff(session, "agent.one", phone=None)
    grievance = make_grievance(session)
    console.login("agent.one")
    console.post(f"/console/grievances/{grievance.id}/call")
    page = console.get(f"/console/grievances/{grievance.id}").get_data(as_text=True)
    assert "add your phone number" in page.lower() or "phone number" in page
    assert session.scalar(select(CallbackRequest)) is None
    assert session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "call")) is None


def test_a_withheld_number_pops_the_call_without_a_record(session, console, agent):
    call = answered_call(session, agent.id, "+91" + "9" * 10)
    with unit_of_work(session):
        session.get(Call, call.id).from_phone = None
    console.login("agent.one")
    html = console.get("/console/caller", headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert "Number withheld" in html and f'data-call-id="{call.id}"' in html
    assert 'data-action="book"' not in html  # nothing to pre-fill


def test_the_browser_phone_settings_come_from_the_environment():
    from helpline.settings import Settings

    env = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t" * 32,
           "TWILIO_API_KEY_SID": API_KEY_SID, "TWILIO_API_KEY_SECRET": API_KEY_SECRET,
           "TWILIO_TWIML_APP_SID": TWIML_APP_SID}
    settings = Settings.from_env(env)
    assert (settings.twilio_api_key_sid, settings.twilio_twiml_app_sid) == (API_KEY_SID,
                                                                             TWIML_APP_SID)
    assert settings.browser_phone_configured
    assert not Settings.from_env({**env, "TWILIO_API_KEY_SECRET": ""}).browser_phone_configured
    assert not Settings.from_env({k: v for k, v in env.items()
                                  if k != "TWILIO_ACCOUNT_SID"}).browser_phone_configured


def test_every_node_of_the_call_flow_belongs_to_a_named_part_of_the_line():
    """A new menu of the inbound line gets a place in the screen pop's path, not
    "another menu"."""
    import ivr.call_flow  # noqa: F401  (declares every node)
    from ivr.engine import FLOW

    unnamed = [name for name, node in FLOW.nodes.items() if node.flow == "inbound"
               and ivr_area(name) not in (*IVR_AREAS[:-1], None)]
    assert unnamed == []
