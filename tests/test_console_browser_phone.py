"""In Chromium: the caller pops up on the agent's console within 2 s of the call
reaching them (both languages, 1366 and 390 px), and the browser phone says plainly when
it is not configured or Twilio cannot be reached. Screenshots go to test-artifacts/."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from booking_core.appointments import Channel, book_appointment
from booking_core.base import unit_of_work, utcnow
from contact_centre.models import Call, StaffUser
from helpline.app import create_app
from tests.conftest import make_settings
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import ARTIFACTS, BROWSER_TIMEOUT_MS, login, page_width
from tests.fixtures_console import make_grievance, make_staff

CALLER = "+919876512345"


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def served_phone(pg_database_url):
    """The console with the browser phone configured (an API key of a made-up account)."""
    app = create_app(make_settings(
        pg_database_url, twilio_api_key_sid="SK" + "1" * 32,
        twilio_api_key_secret="api-key-secret-for-tests-0123456789"))
    server = _serve(app)
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        make_staff(s, "agent.asha", display_name="Asha Verma", language="en")
    yield f"http://127.0.0.1:{server.server_port}", helpline
    server.shutdown()
    helpline.engine.dispose()


@pytest.fixture
def tab(browser):
    """A tab for which every address but this machine's goes to a closed port: Twilio's
    servers are "nothing", as when an office network blocks them."""
    context = browser.new_context(
        locale="en-IN", viewport={"width": 1366, "height": 900},
        proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield page
    context.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def _caller_with_a_record(helpline) -> tuple[str, str]:
    with helpline.session() as s:
        department = make_department(s, make_hospital(s))
        slot = make_slot(s, department)
        appointment = book_appointment(s, slot_id=slot.id, phone=CALLER,
                                       channel=Channel.IVR, language="hi")
        grievance = make_grievance(s, phone=CALLER, language="hi")
        return appointment.reference, grievance.reference


def _connect_caller(helpline, username: str, sid: str) -> None:
    """What the routing side does when the caller reaches the agent."""
    now = utcnow()
    with helpline.session() as s, unit_of_work(s):
        agent_id = s.scalar(select(StaffUser.id).where(StaffUser.username == username))
        s.add(Call(call_sid=sid, from_phone=CALLER, language="hi", details={},
                   path=["voice", "language", "main", "griev.category", "agent"],
                   started_at=now, queued_at=now, answered_at=now, agent_id=agent_id))


def _end_call(helpline, sid: str) -> None:
    with helpline.session() as s, unit_of_work(s):
        s.execute(update(Call).where(Call.call_sid == sid).values(ended_at=utcnow()))


def _wait_for_pop(page, started: float) -> float:
    page.wait_for_selector("#caller-pop .caller-pop")
    return time.monotonic() - started


def test_the_caller_pops_up_within_two_seconds_in_both_languages(served, page):
    base, helpline = served
    appointment_ref, grievance_ref = _caller_with_a_record(helpline)
    login(page, base)
    page.wait_for_timeout(1_500)  # the page has polled and found nobody
    assert page.locator("#caller-pop .caller-pop").count() == 0

    started = time.monotonic()
    _connect_caller(helpline, "agent.asha", "CApop1")
    assert _wait_for_pop(page, started) <= 2.0
    pop = page.locator("#caller-pop .caller-pop")
    text = pop.inner_text()
    assert "Caller on the line" in text and "+91******2345" in text and CALLER not in text
    # The caller's language, named in the agent's (an English console: "Hindi").
    assert pop.locator("[data-field=language]").inner_text() == "Hindi"
    assert appointment_ref in text and grievance_ref in text
    assert pop.locator("[data-field=path]").inner_text() == (
        "Welcome → Language choice → Main menu → Registering a grievance → Agent queue")
    assert "asked for an agent in: Registering a grievance" in text
    _shot(page, "caller-pop-en-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page_width(page) <= 390
    _shot(page, "caller-pop-en-390")

    # One click: book for them, with the caller's number already filled in.
    page.set_viewport_size({"width": 1366, "height": 900})
    pop.locator("[data-action=book]").click()
    page.wait_for_selector("#booking-phone")
    assert page.input_value("#booking-phone") == CALLER
    assert "call=" in page.url and CALLER.lstrip("+") not in page.url

    # The call ends: the panel stays, saying so, until the wrap-up records how it went.
    _end_call(helpline, "CApop1")
    page.wait_for_selector("#caller-pop h2:has-text('Call ended')")
    page.goto(f"{base}/console/")
    page.wait_for_selector("#disposition")
    page.select_option("#disposition", "booked")
    page.click(".desk-wrap button[type=submit]")
    page.wait_for_selector(".flash.info")
    page.wait_for_timeout(1_500)
    assert page.locator("#caller-pop .caller-pop").count() == 0

    # In Hindi.
    page.click("#lang-switch")
    page.wait_for_selector("html[lang=hi]")
    started = time.monotonic()
    _connect_caller(helpline, "agent.asha", "CApop2")
    assert _wait_for_pop(page, started) <= 2.0
    text = page.locator("#caller-pop .caller-pop").inner_text()
    assert "लाइन पर कॉलर" in text and "यहाँ से एजेंट माँगा: शिकायत दर्ज करना" in text
    assert "इनके लिए बुक करें" in text and grievance_ref in text
    _shot(page, "caller-pop-hi-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page_width(page) <= 390
    _shot(page, "caller-pop-hi-390")


def test_the_browser_phone_says_when_it_is_not_configured(served, tab):
    base, _ = served
    login(tab, base)
    tab.goto(f"{base}/console/phone")
    state = tab.locator("#phone-state")
    assert state.get_attribute("data-state") == "not-configured"
    assert "not configured" in state.inner_text()
    _shot(tab, "phone-not-configured-en")


def test_the_browser_phone_says_when_twilio_cannot_be_reached(served_phone, tab):
    base, helpline = served_phone
    login(tab, base)
    with tab.expect_response(lambda r: r.url.endswith("/console/phone/token")) as issued:
        tab.goto(f"{base}/console/phone")
    assert issued.value.status == 200  # a token came: it is Twilio that is missing
    assert tab.evaluate("typeof Twilio.Device") == "function"  # the vendored SDK runs
    tab.wait_for_selector("#phone-state[data-state=unreachable]")
    assert "Cannot reach Twilio" in tab.locator("#phone-state").inner_text()
    assert tab.locator("#phone-retry").is_visible()
    _shot(tab, "phone-unreachable-en")
    # In Hindi, too, and "try again" tries again.
    with helpline.session() as s, unit_of_work(s):
        s.execute(update(StaffUser).values(language="hi"))
    tab.reload()
    tab.wait_for_selector("#phone-state[data-state=unreachable]")
    assert "Twilio से संपर्क नहीं" in tab.locator("#phone-state").inner_text()
    tab.click("#phone-retry")
    assert tab.locator("#phone-state").get_attribute("data-state") in ("connecting",
                                                                       "unreachable")
    tab.wait_for_selector("#phone-state[data-state=unreachable]")
    tab.set_viewport_size({"width": 390, "height": 844})
    _shot(tab, "phone-unreachable-hi-390")
