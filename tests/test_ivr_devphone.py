"""The dev phone calls the app in-process like Twilio would and prints what is said."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import select

from booking_core.appointments import Appointment
from helpline.app import create_app
from ivr.devphone import DevPhoneCall, signed_sender
from tests.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN, make_settings
from tests.fixtures_ivr import build_world


def test_dev_phone_books_by_script_with_speech(database_url):
    app = create_app(make_settings(database_url, agent_hours="00:00-00:00"))
    helpline = app.extensions["helpline"]
    with helpline.session() as session:
        world = build_world(session)
    client = app.test_client()

    def post(url, params, headers):
        reply = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return reply.status_code, reply.get_data(as_text=True)

    printed: list[str] = []
    call = DevPhoneCall(signed_sender(TWILIO_TOKEN, post), PUBLIC_BASE_URL,
                        from_phone="+919812345678", to_phone="+911140000000",
                        inputs=iter(["2", "1", "~LNJP", "1", "1", "1", "1", "-"]),
                        echo=printed.append)
    call.run()
    text = "\n".join(printed)
    assert "[en-IN] Welcome to the Delhi Health Helpline" in text
    assert '> says "LNJP"' in text and "Your appointment is booked" in text
    assert "(call ended" in text
    with helpline.session() as session:
        appointment = session.scalar(select(Appointment))
        assert appointment.slot_id == world.slots[0].id
        assert appointment.reference[:4] in text.replace(" ", "")
    helpline.engine.dispose()


def test_dev_phone_cli_in_process(database_url):
    app = create_app(make_settings(database_url))
    helpline = app.extensions["helpline"]
    with helpline.session() as session:
        build_world(session)
    result = app.test_cli_runner().invoke(args=["dev-phone", "--press", "1", "9"])
    assert result.exit_code == 0, result.output
    assert "हिन्दी के लिए 1 दबाएँ" in result.output
    assert "(dialling 102" in result.output
    helpline.engine.dispose()


def test_hash_is_a_key_in_a_menu_and_ends_a_typed_number(database_url):
    """A menu's gather has no finish key (Twilio then sends ``#`` as a key: "for the main
    menu, press hash"); a number's gather ends on ``#`` and does not send it."""
    app = create_app(make_settings(database_url, agent_hours="00:00-00:00"))
    helpline = app.extensions["helpline"]
    with helpline.session() as session:
        build_world(session)
    client = app.test_client()
    sent: list[dict[str, str]] = []

    def post(url, params, headers):
        sent.append(dict(params))
        reply = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return reply.status_code, reply.get_data(as_text=True)

    printed: list[str] = []
    # English, book, first hospital, then # at the department menu: back to the main menu.
    call = DevPhoneCall(signed_sender(TWILIO_TOKEN, post), PUBLIC_BASE_URL,
                        from_phone="+919812345678", to_phone="+911140000000",
                        inputs=iter(["2", "1", "1", "#", "hangup"]), echo=printed.append)
    call.run()
    assert sent[4].get("Digits") == "#"
    text = "\n".join(printed)
    assert "Sorry, we did not hear anything" not in text
    assert text.count("To book an OPD appointment") >= 2  # the main menu came back
    helpline.engine.dispose()

    gather = ET.fromstring('<Gather finishOnKey="#" input="dtmf"/>')
    menu = ET.fromstring('<Gather finishOnKey="" input="dtmf"/>')
    default = ET.fromstring('<Gather input="dtmf"/>')
    assert call.keys_sent(gather, "9812345678#") == "9812345678"
    assert call.keys_sent(default, "0123#") == "0123"
    assert call.keys_sent(menu, "#") == "#"
    assert call.keys_sent(menu, "12") == "12"
