"""A shift in Chromium: two agents go Available, three callers queue, each caller
reaches exactly one agent, the desk shows the call without a reload, and wrap-up with
a disposition brings the third caller. Screenshots at 1366 and 390 px in English and
Hindi go to test-artifacts/."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from contact_centre.models import AgentState, Call, Disposition, StaffUser
from tests.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.fake_twilio import FakeTwilio
from tests.fixtures_browser import BROWSER_TIMEOUT_MS, shot
from tests.fixtures_console import CONSOLE_PASSWORD, make_staff
from tests.fixtures_messaging import messaging_app
from tests.fixtures_routing import Switchboard

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
ASHA, RAHUL = "+919810000101", "+919810000102"


@pytest.fixture
def floor(pg_database_url):
    with FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as fake:
        app = messaging_app(pg_database_url, fake, agent_hours="00:00-00:00")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        helpline = app.extensions["helpline"]
        with helpline.session() as s:
            make_staff(s, "agent.asha", display_name="Asha Verma", language="en", phone=ASHA)
            make_staff(s, "agent.rahul", display_name="Rahul Singh", language="hi", phone=RAHUL)
        yield f"http://127.0.0.1:{server.server_port}", Switchboard(app, fake, helpline)
        server.shutdown()
        helpline.engine.dispose()


def _desk(browser, base: str, username: str):
    context = browser.new_context(locale="en-IN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    # Polls change the page within a few seconds; the bound is generous, for a loaded
    # machine: what is tested is that they change without a reload, not how fast.
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", CONSOLE_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk [data-desk-state]")
    return page


def _go_available(page) -> None:
    page.select_option("#state-select", "available")
    page.click("#state-select ~ button")
    page.wait_for_selector('#desk [data-desk-state="available"]')


def _state(board, username: str) -> AgentState:
    with board.helpline.session() as s:
        return s.query(StaffUser).filter_by(username=username).one().state


def _both_widths(page, name: str) -> None:
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_two_agents_three_callers_and_wrap_up_brings_the_next(floor, browser):
    base, board = floor
    asha, rahul = _desk(browser, base, "agent.asha"), _desk(browser, base, "agent.rahul")
    assert rahul.evaluate("document.documentElement.lang") == "hi"
    _go_available(asha)
    _go_available(rahul)
    _both_widths(asha, "routing-available-en")
    callers = [board.caller(f"+91981234000{n}") for n in range(3)]
    for phone in callers:
        board.queue(phone)
    board.deliver()
    rings = board.follow_redirects()
    assert {r.caller_sid for r in rings} == {callers[0].call_sid, callers[1].call_sid}
    assert {r.to for r in rings} == {ASHA, RAHUL}  # one caller each
    for ring in rings:
        board.agent_answers(ring)
    # The desks change without a reload (polled every 2 s).
    for page in (asha, rahul):
        page.wait_for_selector('#desk [data-desk-state="on_call"]')
    assert "+91******000" in asha.inner_text("#desk")
    assert "कॉल पर: +91******000" in rahul.inner_text("#desk")
    # Each call pops its caller's record on the agent's screen (polled every second).
    for page in (asha, rahul):
        page.wait_for_selector("#caller-pop .caller-pop")
    popped = {asha.get_attribute("#caller-pop .caller-pop", "data-call-id"),
              rahul.get_attribute("#caller-pop .caller-pop", "data-call-id")}
    with board.helpline.session() as s:
        routed = {str(s.query(Call).filter_by(call_sid=r.caller_sid).one().id) for r in rings}
    assert popped == routed  # each agent sees their own caller
    _both_widths(asha, "routing-on-call-en")
    _both_widths(rahul, "routing-on-call-hi")

    asha_ring = next(r for r in rings if r.to == ASHA)
    board.dial_ends(asha_ring, "completed")
    asha.wait_for_selector('#desk [data-desk-state="wrap_up"]')
    assert _state(board, "agent.asha") == AgentState.WRAP_UP
    board.deliver()
    assert board.follow_redirects() == []  # the third caller waits for Asha's wrap-up
    _both_widths(asha, "routing-wrap-up-en")

    asha.select_option("#disposition", "booked")
    asha.click("#desk .desk-wrap button[type=submit]")
    asha.wait_for_selector('#desk [data-desk-state="available"]')
    assert "Saved. You are ready for the next caller." in asha.inner_text("#main")
    board.deliver()
    [third] = board.follow_redirects()
    assert (third.caller_sid, third.to) == (callers[2].call_sid, ASHA)
    board.agent_answers(third)
    with board.helpline.session() as s:
        third_id = str(s.query(Call).filter_by(call_sid=third.caller_sid).one().id)
    asha.wait_for_selector(f'#caller-pop .caller-pop[data-call-id="{third_id}"]')
    with board.helpline.session() as s:
        first = s.query(Call).filter_by(call_sid=asha_ring.caller_sid).one()
        assert first.disposition == Disposition.BOOKED

    rahul_ring = next(r for r in rings if r.to == RAHUL)
    board.dial_ends(rahul_ring, "completed")
    rahul.wait_for_selector('#desk [data-desk-state="wrap_up"]')
    _both_widths(rahul, "routing-wrap-up-hi")
    for page in (asha, rahul):
        page.context.close()


def test_the_profile_page_in_both_languages(floor, browser):
    base, board = floor
    for username, lang in (("agent.asha", "en"), ("agent.rahul", "hi")):
        page = _desk(browser, base, username)
        page.click("text=" + ("My profile" if lang == "en" else "मेरी प्रोफ़ाइल"))
        page.wait_for_selector("#phone")
        page.fill("#phone", "011 2345 6789")
        page.click(".profile-form button[type=submit]")
        error = page.inner_text(".flash.error")
        assert error == ("That is a landline: enter a mobile number." if lang == "en"
                         else "यह लैंडलाइन नंबर है: मोबाइल नंबर लिखिए।")
        _both_widths(page, f"routing-profile-error-{lang}")
        page.fill("#phone", "098100 00199")
        page.click(".profile-form button[type=submit]")
        page.wait_for_selector(".flash.info")
        assert page.input_value("#phone") == "+919810000199"
        _both_widths(page, f"routing-profile-{lang}")
        page.context.close()
