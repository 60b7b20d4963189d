"""The agent's desk in Chromium: search from any page, confirmations that can be
declined, typed text that survives an expired session."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent_console import auth
from grievances.models import Grievance, GrievanceStatus
from grievances.workflow import claim_grievance, close_grievance, resolve_grievance
from tests.fixtures_browser import login, shot
from tests.fixtures_console import CONSOLE_PASSWORD, make_grievance

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]


def test_search_from_my_queue_finds_a_closed_grievance(served, page):
    base, helpline = served
    with helpline.session() as s:
        g = make_grievance(s, language="en")
        claim_grievance(s, g.id, agent_id=1, actor="agent.asha")
        resolve_grievance(s, g.id, "Cleaned", actor="agent.asha")
        close_grievance(s, g.id, actor="agent.asha")
    login(page, base)
    page.wait_for_load_state("load")  # the page's script, which knows the shortcut
    page.keyboard.press("/")  # the shortcut puts the cursor in the search box
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type(g.reference)
    page.keyboard.press("Enter")
    page.wait_for_selector("#search-hits")
    hit = page.locator("#search-hits .hit").first
    assert hit.get_attribute("data-kind") == "grievance"
    assert "Grievance" in hit.inner_text() and "Closed" in hit.inner_text()
    shot(page, "search-en")
    hit.locator("a.ref").click()
    page.wait_for_selector(f"h1:has-text('{g.reference}')")


def test_close_asks_first_and_can_be_declined(served, page):
    base, helpline = served
    with helpline.session() as s:
        g = make_grievance(s, language="en")
        claim_grievance(s, g.id, agent_id=1, actor="agent.asha")
        resolve_grievance(s, g.id, "Cleaned", actor="agent.asha")
    login(page, base)
    page.goto(f"{base}/console/grievances/{g.id}")
    questions: list[str] = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.click("#form-close button")
    page.wait_for_timeout(300)
    assert questions and questions[0].startswith("Close this grievance?")
    with helpline.session() as s:
        assert s.get(Grievance, g.id).status == GrievanceStatus.RESOLVED
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#form-close button")
    page.wait_for_selector("#status:has-text('Closed')")


def test_typed_note_survives_an_expired_session(served, page, monkeypatch):
    base, helpline = served
    with helpline.session() as s:
        g = make_grievance(s, language="en")
    login(page, base)
    page.goto(f"{base}/console/grievances/{g.id}")
    words = "Spoke to the ward sister; tanker arriving at 4 pm"
    page.fill("#note", words)
    monkeypatch.setattr(auth, "IDLE_TIMEOUT", -1)  # the agent went for lunch
    page.click("#form-note button")
    page.wait_for_selector("#login-form")
    assert "what you typed is kept" in page.locator(".flash").inner_text()
    monkeypatch.setattr(auth, "IDLE_TIMEOUT", 30 * 60)
    page.fill("#username", "agent.asha")
    page.fill("#password", CONSOLE_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"h1:has-text('{g.reference}')")
    page.wait_for_function("() => window.location.hash === ''")  # the draft was put back
    assert page.url.endswith(f"/console/grievances/{g.id}")
    assert page.input_value("#note") == words
    page.click("#form-note button")
    page.wait_for_selector(f"#events:has-text('{words}')")


def test_typed_note_survives_signing_out_in_another_tab(served, page):
    """The desk's poll finds the session ended: with a note typed and not sent, the page
    is not reloaded (that would lose it) but says so; sending it signs in again and puts
    it back. Without a draft the page goes to the sign-in page, in the agent's language."""
    base, helpline = served
    with helpline.session() as s:
        g = make_grievance(s, language="en")
    login(page, base)
    page.goto(f"{base}/console/grievances/{g.id}")
    words = "Called the ward sister; water back by 6 pm"
    page.fill("#note", words)
    other = page.context.new_page()
    other.goto(f"{base}/console/")
    other.click("form[action='/console/logout'] button")
    other.wait_for_selector("#login-form")
    page.wait_for_selector("#signed-out-note")  # the desk polls every 2 s
    assert "What you typed is kept" in page.inner_text("#signed-out-note")
    assert page.input_value("#note") == words
    shot(page, "signed-out-draft-kept")
    page.click("#form-note button")
    page.wait_for_selector("#login-form")
    page.fill("#username", "agent.asha")
    page.fill("#password", CONSOLE_PASSWORD)
    page.keyboard.press("Enter")
    # Back on the grievance (the sign-in page's address has no hash either), then the
    # draft put back.
    page.wait_for_selector(f"h1:has-text('{g.reference}')")
    page.wait_for_function("() => window.location.hash === ''")
    assert page.input_value("#note") == words
    page.click("#form-note button")
    page.wait_for_selector(f"#events:has-text('{words}')")
    # Nothing typed now: the next poll after signing out shows the sign-in page.
    other.goto(f"{base}/console/")  # signed in again (the tabs share the session)
    other.click("form[action='/console/logout'] button")
    page.wait_for_selector("#login-form")
    other.close()


def test_a_hindi_agent_signing_out_sees_the_sign_in_page_in_hindi(served, page):
    base, helpline = served
    from tests.fixtures_console import make_staff

    with helpline.session() as s:
        make_staff(s, "agent.meena", language="hi")
    page.goto(f"{base}/console/")
    page.fill("#username", "agent.meena")
    page.fill("#password", CONSOLE_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk")
    page.click("form[action='/console/logout'] button")
    page.wait_for_selector("#login-form")
    assert page.evaluate("document.documentElement.lang") == "hi"


def test_booking_an_overlapping_slot_asks_first(served, page):
    import datetime as dt

    from booking_core.appointments import Appointment, Channel, book_appointment
    from tests.factories import make_department, make_hospital, make_slot
    from tests.fixtures_console import next_mobile

    base, helpline = served
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    phone = next_mobile()
    with helpline.session() as s:
        hospital = make_hospital(s, name_en="GTB Hospital")
        ortho = make_department(s, hospital, name_en="Orthopaedics")
        eye = make_department(s, hospital, name_en="Ophthalmology")
        book_appointment(s, slot_id=make_slot(s, ortho, at=start).id, phone=phone,
                         channel=Channel.AGENT)
        clash = make_slot(s, eye, at=start)
    login(page, base)
    page.goto(f"{base}/console/booking?phone={phone[3:]}&hospital={hospital.id}"
              f"&department={eye.id}&day={clash.local_day.isoformat()}")
    assert "Orthopaedics" in page.locator(f".overlap[data-slot='{clash.id}']").inner_text()
    shot(page, "overlap-warning")
    questions: list[str] = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.click("#book-form button[type=submit]")
    page.wait_for_timeout(300)
    assert questions and "overlap" in questions[0]
    with helpline.session() as s:
        assert len(s.scalars(select(Appointment)).all()) == 1
