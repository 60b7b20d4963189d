"""The console looks like a product at 1366 and 390 px, in English and Hindi: nothing
scrolls sideways, a favicon, a sign-in page, keyboard use. Screenshots go to
test-artifacts/ for a person to look at."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.appointments import Channel, book_appointment
from contact_centre.models import CallbackRequest
from grievances.workflow import claim_grievance
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import console_page, fits, shot, sign_in
from tests.fixtures_console import CONSOLE_PASSWORD, make_grievance, make_staff, next_mobile

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
WIDTHS = (1366, 390)


@pytest.fixture
def shift(served):
    """A supervisor's view of a working day: grievances in several states, a callback,
    an appointment."""
    base, helpline = served
    with helpline.session() as s:
        make_staff(s, "supervisor.meena", role="supervisor", display_name="Meena Kapoor",
                   language="en")
        hospital = make_hospital(s, name_en="Lok Nayak Hospital", name_hi="लोक नायक अस्पताल")
        department = make_department(s, hospital, name_en="Orthopaedics")
        phone = next_mobile()
        first = make_grievance(s, phone=phone, hospital_id=hospital.id, language="hi",
                               category="medicines_unavailable",
                               description="इंसुलिन दो हफ़्ते से नहीं मिल रहा")
        make_grievance(s, hospital_id=hospital.id, language="en",
                       now=dt.datetime.now(dt.UTC) - dt.timedelta(days=20))
        claim_grievance(s, first.id, agent_id=1, actor="agent.asha")
        slot = make_slot(s, department, starts_in=dt.timedelta(days=2))
        book_appointment(s, slot_id=slot.id, phone=phone, channel=Channel.AGENT,
                         patient_name="Kamla Devi")
        with s.begin():
            s.add(CallbackRequest(phone=phone, language="hi", reason="queue_wait"))
    return base, helpline, first, phone


def test_pages_fit_and_are_screenshotted_in_both_languages(shift, browser):
    base, _, grievance, phone = shift
    pages = {
        "queue": "/console/?scope=team", "grievance": f"/console/grievances/{grievance.id}",
        "search": f"/console/search?q={phone[-4:]}", "callbacks": "/console/callbacks",
        "booking": f"/console/booking?phone={phone}", "hospitals": "/console/hospitals",
        "wallboard": "/console/wallboard", "new": "/console/grievances/new",
    }
    for width in WIDTHS:
        for lang in ("en", "hi"):
            context, page = console_page(browser, width)
            page.goto(f"{base}/console/login?lang={lang}")
            assert fits(page)
            shot(page, f"look-login-{lang}-{width}")
            sign_in(page, base, "supervisor.meena", lang)
            wide = []
            for name, path in pages.items():
                page.goto(base + path)
                page.wait_for_selector("#main h1")
                if not fits(page):
                    wide.append(name)
                body = page.inner_text("body")
                for code in ("in_progress", "queue_wait", "medicines_unavailable", "in-progress"):
                    assert code not in body, (name, code)
                shot(page, f"look-{name}-{lang}-{width}")
            assert wide == [], (width, lang)
            context.close()


def test_favicon_sign_in_page_and_keyboard(served, page):
    base, _ = served
    page.goto(f"{base}/console/login")
    icon = page.get_attribute("link[rel=icon]", "href")
    answer = page.request.get(base + icon)
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg")
    assert page.locator(".signin-card h1").inner_text() == "Sign in to the console"
    assert page.evaluate("document.activeElement.id") == "username"
    css = page.request.get(base + "/console/static/vendor/bootstrap-5.3.8/bootstrap.min.css")
    assert css.status == 200 and "Bootstrap  v5.3.8" in css.text()
    page.keyboard.type("agent.asha")
    page.keyboard.press("Tab")
    page.keyboard.type(CONSOLE_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#main h1")
    page.keyboard.press("Tab")  # the first stop is "skip to content"
    assert page.evaluate("document.activeElement.className").startswith("skip")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_admin_and_supervisor_pages_fit_a_phone(shift, browser):
    base, helpline, _, _ = shift
    with helpline.session() as s:
        make_staff(s, "admin.one", role="admin", display_name="Helpline Admin", language="hi")
    context, page = console_page(browser, 390)
    sign_in(page, base, "admin.one")
    wide = []
    for name, path in {"users": "/console/admin/users", "routes": "/console/admin/routes",
                       "outbox": "/console/outbox"}.items():
        page.goto(base + path)
        page.wait_for_selector("#main h1")
        if not fits(page):
            wide.append(name)
        shot(page, f"look-{name}-hi-390")
    page.click("button.navbar-toggler")  # the sections menu opens from the keyboard too
    page.wait_for_selector("#sections.show")
    shot(page, "look-menu-hi-390")
    context.close()
    assert wide == []


CUT_IN_ACCOUNTS = """() => {
  const cut = [];
  for (const td of document.querySelectorAll('table.accounts td.username')) {
    const range = document.createRange();
    range.selectNodeContents(td);
    if (range.getClientRects().length > 1) cut.push('username ' + td.textContent);
  }
  const pen = document.createElement('canvas').getContext('2d');
  for (const list of document.querySelectorAll('table.accounts select')) {
    const style = getComputedStyle(list);
    pen.font = style.font;
    const shown = list.options[list.selectedIndex].text;
    const needs = pen.measureText(shown).width + parseFloat(style.paddingLeft)
      + parseFloat(style.paddingRight);
    if (list.clientWidth + 1 < needs) cut.push(list.name + ' ' + shown);
  }
  return cut;
}"""


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_accounts_table_shows_whole_usernames_and_choices_on_a_desktop(
        shift, browser, lang):
    """At 1366 px no username is broken mid-word ("supervisor.meen|a") and no list cuts
    its choice ("Administrato")."""
    base, helpline, _, _ = shift
    with helpline.session() as s:
        make_staff(s, "admin.one", role="admin", display_name="Helpline Admin", language=lang)
    context, page = console_page(browser, 1366)
    try:
        sign_in(page, base, "admin.one", lang)
        page.goto(base + "/console/admin/users")
        page.wait_for_selector("table.accounts")
        shot(page, f"look-users-{lang}-1366")
        assert page.evaluate(CUT_IN_ACCOUNTS) == []
        assert fits(page)
    finally:
        context.close()
