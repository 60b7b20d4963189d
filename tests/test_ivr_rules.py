"""Rules every menu shares, the agent queue and callbacks, the call log, signatures,
junk input and a database that is down."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from booking_core.appointments import Appointment
from booking_core.citizens import Citizen
from contact_centre.models import AGENT_QUEUE_NAME, Call, CallbackRequest, CallOutcome
from helpline.app import create_app
from helpline.db import make_engine
from tests.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN, make_settings
from tests.fixtures_ivr import CALLER, Phone, agent_hours_excluding_now, signed_post
from tests.test_ivr_booking import start_booking

# Agent hours with an agent signed in: asking for a person queues the caller.
pytestmark = pytest.mark.usefixtures("agent_signed_in")


def the_call(session, phone) -> Call:
    return session.scalar(select(Call).where(Call.call_sid == phone.call_sid))


def test_no_input_is_retried_then_the_agent_queue(phone, ivr_world, ivr_session):
    phone.call()
    phone.press("2")
    redirect = phone.root.find("Redirect")
    assert phone.verbs() == ["Gather", "Redirect"]
    assert redirect.text.startswith(PUBLIC_BASE_URL + "/ivr/main?s=")
    phone.silence()
    assert phone.said.startswith("Sorry, we did not hear anything.")
    phone.silence()
    assert "did not hear anything" in phone.said
    phone.silence()
    enqueue = phone.root.find("Enqueue")
    assert enqueue is not None and enqueue.text == AGENT_QUEUE_NAME
    assert "Let us get you some help" in phone.said
    call = the_call(ivr_session, phone)
    assert call.path == ["language", "main", "agent"]  # retries are not new visits
    assert call.queued_at is not None and call.outcome == CallOutcome.AGENT


def test_wrong_keys_three_strikes_and_star_repeats(phone, ivr_world):
    phone.call()
    phone.press("1")
    phone.press("7")
    assert phone.said.startswith("माफ़ कीजिए, यह विकल्प उपलब्ध नहीं है।")
    phone.press("*")  # a repeat is free
    assert not phone.said.startswith("माफ़")
    phone.press("6")
    phone.press("5")
    assert phone.root.find("Enqueue") is not None


def test_zero_reaches_an_agent_from_a_submenu(phone, ivr_world, ivr_session):
    start_booking(phone, "en")
    phone.press("2")
    phone.press("0")
    enqueue = phone.root.find("Enqueue")
    assert enqueue.get("waitUrl").startswith(PUBLIC_BASE_URL + "/ivr/queue/wait?s=")
    assert enqueue.get("action").startswith(PUBLIC_BASE_URL + "/ivr/queue/done?s=")
    assert enqueue.get("method") == "POST" and enqueue.get("waitUrlMethod") == "POST"
    assert "connect you to an agent" in phone.said

    wait_url, done_url = enqueue.get("waitUrl"), enqueue.get("action")
    phone.post(wait_url, QueuePosition="3", QueueTime="10", AvgQueueTime="50")
    assert "You are number 3 in the queue" in phone.said and "6 minutes" in phone.said
    assert phone.gather.get("numDigits") == "1" and phone.verbs()[-1] == "Redirect"
    phone.press("1")
    assert phone.verbs() == ["Leave"]
    phone.post(done_url, QueueResult="leave", QueueTime="25")
    assert "call you back on the number ending 5 6 7 8" in phone.said
    assert phone.verbs()[-1] == "Hangup"
    request = ivr_session.scalar(select(CallbackRequest))
    assert request.phone == CALLER and request.language == "en"
    assert request.reason == "queue_wait" and request.call_sid == phone.call_sid
    assert the_call(ivr_session, phone).outcome == CallOutcome.CALLBACK


@pytest.mark.parametrize("result,outcome", [("bridged", CallOutcome.AGENT),
                                            ("hangup", CallOutcome.ABANDONED)])
def test_queue_result_is_logged_for_the_wallboard(phone, ivr_world, ivr_session, result,
                                                  outcome):
    phone.call()
    phone.press("2")
    phone.press("0")
    done_url = phone.root.find("Enqueue").get("action")
    queued = the_call(ivr_session, phone).queued_at
    phone.post(done_url, QueueResult=result, QueueTime="17")
    call = the_call(ivr_session, phone)
    assert call.outcome == outcome and call.details["queue_result"] == result
    if result == "bridged":
        assert call.answered_at == queued + dt.timedelta(seconds=17)
        assert phone.verbs()[-1] == "Hangup"
    else:
        assert call.answered_at is None and phone.verbs() == []
    phone.hang_up(duration=80)
    call = the_call(ivr_session, phone)
    assert call.duration_seconds == 80 and call.status == "completed"
    assert call.ended_at is not None and call.outcome == outcome


def test_status_callback_marks_a_silent_hangup_abandoned(phone, ivr_world, ivr_session):
    phone.call()
    phone.press("1")
    phone.hang_up(duration=12)
    call = the_call(ivr_session, phone)
    assert call.outcome == CallOutcome.ABANDONED and call.details["ended_in"] == "main"
    assert call.from_phone == CALLER and call.language == "hi"


def after_hours_app(database_url, **overrides):
    return create_app(make_settings(database_url, agent_hours=agent_hours_excluding_now(),
                                    **overrides))


def test_after_hours_the_agent_key_offers_a_callback(database_url, ivr_session, ivr_world):
    app = after_hours_app(database_url)
    phone = Phone(app.test_client(), session=ivr_session)
    phone.call()
    phone.press("2")
    phone.press("7")  # a wrong key: the retry says what 0 does now
    assert "To be called back by an agent, press 0." in phone.said
    phone.press("0")
    assert "Our agents answer calls from" in phone.said and phone.root.find("Enqueue") is None
    phone.press("1")
    assert "when our agents are next on duty" in phone.said and phone.verbs()[-1] == "Hangup"
    request = ivr_session.scalar(select(CallbackRequest))
    assert request.reason == "after_hours" and request.phone == CALLER
    app.extensions["helpline"].engine.dispose()


def test_a_long_wait_offers_a_callback_first(database_url, ivr_session, ivr_world):
    app = create_app(make_settings(database_url, agent_hours="00:00-00:00",
                                   ivr_long_wait_seconds=60))
    phone = Phone(app.test_client(), session=ivr_session)
    phone.call()
    phone.press("1")
    phone.press("0")
    assert "लगभग 2 मिनट" in phone.said
    phone.press("2")  # wait anyway
    assert phone.root.find("Enqueue") is not None
    app.extensions["helpline"].engine.dispose()


def test_nine_dials_the_ambulance(phone, ivr_world, ivr_session, ivr_app):
    phone.call()
    phone.press("2")
    phone.press("9")
    dial = phone.root.find("Dial")
    assert dial is not None and dial.text == "102"
    assert "ambulance service, 1 0 2" in phone.said
    assert the_call(ivr_session, phone).outcome == CallOutcome.EMERGENCY


@pytest.mark.parametrize("known", [False, True])
def test_nine_works_from_the_first_prompt_and_is_said_first(phone, ivr_world, ivr_session,
                                                             new_phone, known):
    if known:
        phone.call()
        phone.press("2")  # now a known caller: the first prompt is the main menu
        phone = new_phone()
    phone.call()
    # Every language the greeting speaks (for a known caller: theirs; the other language
    # only says how to switch).
    says = [s for s in phone.says() if not known or s.get("language") == "en-IN"]
    for say in says:
        first_option = re.search(r"(press (\d)|(\d) दबाएँ)", say.text or "")
        assert first_option and "9" in first_option.group(0), say.text
    phone.press("9")
    assert phone.root.find("Dial").text == "102"
    assert the_call(ivr_session, phone).outcome == CallOutcome.EMERGENCY


def test_language_can_be_changed_and_is_remembered(phone, ivr_world, ivr_session, new_phone):
    phone.call()
    phone.press("1")
    assert ivr_session.scalar(select(Citizen.preferred_language)) == "hi"
    known = new_phone()
    known.call()  # a known caller: greeted in Hindi, told in English how to switch
    english = [s for s in known.says() if s.get("language") == "en-IN"]
    assert english and english[0].text == "For English, press 8."
    assert known.said.startswith("दिल्ली स्वास्थ्य हेल्पलाइन में आपका फिर से स्वागत है।")
    known.press("8")
    assert "To book an OPD appointment" in known.said
    # The way back, in Hindi's own words.
    assert [s.text for s in known.says() if s.get("language") == "hi-IN"] == [
        "हिन्दी के लिए 8 दबाएँ।"]
    assert ivr_session.scalar(select(Citizen.preferred_language)) == "en"
    again = new_phone()
    again.call()
    assert again.said.startswith("Welcome back")


def test_forged_or_missing_signature_is_refused_and_changes_nothing(ivr_app, ivr_session,
                                                                    ivr_world):
    client = ivr_app.test_client()
    form = {"CallSid": "CA" + "1" * 32, "From": CALLER}
    assert client.post("/ivr/voice", data=form).status_code == 403
    forged = client.post("/ivr/voice", data=form, headers={"X-Twilio-Signature": "bm90IGl0"})
    assert forged.status_code == 403
    wrong_token = signed_post(client, PUBLIC_BASE_URL + "/ivr/voice", form, token="other")
    assert wrong_token.status_code == 403
    assert client.post("/ivr/status", data={**form, "CallStatus": "completed"}).status_code == 403
    assert ivr_session.scalar(select(func.count()).select_from(Call)) == 0


def test_a_forged_confirm_books_nothing(phone, ivr_world, ivr_session):
    start_booking(phone, "en")
    for key in ("2", "1", "1", "1"):
        phone.press(key)
    action = phone.gather.get("action")
    path = action[len(PUBLIC_BASE_URL):]
    response = phone.client.post(path, data={"CallSid": phone.call_sid, "From": CALLER,
                                             "Digits": "1"},
                                 headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    assert response.status_code == 403
    assert ivr_session.scalar(select(func.count()).select_from(Appointment)) == 0


@pytest.mark.parametrize("params", [
    {"Digits": "abc"}, {"Digits": "1" * 40}, {"SpeechResult": "<xml>&", "Confidence": "high"},
    {"Digits": "", "SpeechResult": ""}, {"Digits": "#5"},
])
def test_junk_input_gets_a_spoken_retry(phone, ivr_world, params):
    start_booking(phone, "en")
    phone.post(phone.gather.get("action"), **params)
    assert phone.said.startswith("Sorry")
    assert phone.gather is not None


def test_junk_urls_and_queue_parameters_still_answer_twiml(phone, ivr_world):
    phone.post("/ivr/main?s=not-a-state", Digits="1")
    assert "हिन्दी के लिए 1" in phone.said  # untrusted state: start again
    phone.post("/ivr/queue/wait", QueuePosition="many")
    assert phone.gather is not None
    phone.post("/ivr/status", CallStatus="completed", CallDuration="soon")
    assert phone.verbs() == []
    # A number misconfigured to GET: Twilio signs that request too, and still hears TwiML.
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + "/ivr/voice", {})
    response = phone.client.get("/ivr/voice", headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert ET.fromstring(response.get_data(as_text=True)).find("Gather") is not None
    # Anyone else gets the plain status, as the webhooks answer unsigned requests.
    assert phone.client.get("/ivr/voice").status_code == 405


def test_static_ping_endpoint_is_signed_fixed_twiml(ivr_app, phone):
    """The benchmarks' yardstick checks the signature like every webhook."""
    assert ivr_app.test_client().post("/ivr/ping").status_code == 403
    root = phone.post("/ivr/ping")
    action = ivr_app.extensions["helpline"].settings.public_base_url.rstrip("/") + "/ivr/ping"
    assert root.find("Gather").get("action") == action
    assert root.find("Gather/Say").text == "Test menu. Press 1."
    assert root.find("Redirect").text == action


DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/helpline_unreachable"


@pytest.fixture
def dead_app():
    app = create_app(make_settings(DEAD_DATABASE, agent_hours="00:00-00:00"))
    yield app
    app.extensions["helpline"].engine.dispose()


def test_database_down_the_caller_hears_an_apology_in_both_languages(dead_app):
    phone = Phone(dead_app.test_client())
    phone.call()
    says = phone.says()
    assert [s.get("language") for s in says] == ["hi-IN", "en-IN"]
    assert "तकनीकी समस्या" in says[0].text and "technical problem" in says[1].text
    assert phone.gather.get("action").startswith(PUBLIC_BASE_URL + "/ivr/callback?s=")
    assert phone.verbs() == ["Gather", "Redirect"]
    phone.silence()  # stay on the line: the agent queue needs no database
    assert phone.root.find("Enqueue") is not None


def test_database_down_mid_call_apologises_in_the_callers_language(dead_app):
    with dead_app.test_request_context():
        from ivr.flow import step_url

        url = step_url("main", {"l": "en"})
    phone = Phone(dead_app.test_client())
    phone.post(url, Digits="1")
    assert phone.said.startswith("Sorry, we have a technical problem")
    assert all(s.get("language") == "en-IN" for s in phone.says())
    phone.press("1")  # ask for a callback: kept in the spool until the database is back
    assert phone.said.startswith("Thank you. An agent will call you back")
    assert phone.verbs()[-1] == "Hangup"
    assert len(dead_app.extensions["helpline"].spool.pending()) == 1


def test_database_broken_after_start_gives_twiml_not_500(phone, ivr_world, ivr_app):
    phone.call()
    phone.press("2")
    helpline = ivr_app.extensions["helpline"]
    dead = make_engine(DEAD_DATABASE)
    helpline.sessions.configure(bind=dead)  # the database goes away mid-call
    try:
        phone.session = None
        phone.press("1")
        assert "technical problem" in phone.said and "तकनीकी" not in phone.said
        assert phone.gather.get("action").startswith(PUBLIC_BASE_URL + "/ivr/callback?s=")
    finally:
        helpline.sessions.configure(bind=helpline.engine)
        dead.dispose()


@pytest.mark.parametrize("withheld", ["+266696687", "anonymous", "client:agent7"])
def test_a_withheld_number_is_asked_for_a_number_never_promised_a_callback(
        database_url, ivr_session, ivr_world, withheld):
    app = after_hours_app(database_url)
    phone = Phone(app.test_client(), caller=withheld, session=ivr_session)
    phone.call()
    phone.press("2")
    phone.press("0")
    phone.press("1")  # a callback, please
    assert "cannot see your number" in phone.said and "ending" not in phone.said
    assert phone.gather.get("finishOnKey") == "#"
    assert ivr_session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    phone.press("919812300041")  # 91 and ten digits, the Indian way
    assert "call you back on 9 8 1 2 3, 0 0 0 4 1" in phone.said
    assert phone.verbs()[-1] == "Hangup"
    request = ivr_session.scalar(select(CallbackRequest))
    assert request.phone == "+919812300041" and request.reason == "after_hours"
    app.extensions["helpline"].engine.dispose()


def test_the_queue_offers_no_callback_to_a_withheld_number(phone, ivr_world):
    phone.caller = "+266696687"
    phone.call()
    phone.press("2")
    phone.press("0")
    wait_url = phone.root.find("Enqueue").get("waitUrl")
    phone.post(wait_url, QueuePosition="2")
    assert "called back" not in phone.said
    phone.press("1")
    assert phone.verbs() != ["Leave"]
