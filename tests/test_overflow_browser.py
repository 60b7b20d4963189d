"""No page is wider than the screen, whatever users typed: a grievance described in one
300-letter word or a long URL, a 60-character search, the OPD hall display on a phone.
Each page at 390 px and 1366 px, in Hindi and English, in headless Chromium.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from booking_core.opd_day import call_next, check_in, open_session
from tests.fixtures_browser import BROWSER_TIMEOUT_MS, shot
from tests.fixtures_console import CONSOLE_PASSWORD, make_grievance, make_staff
from tests.opd_factories import QR_KEY, book, booking_time, opd_today

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

LONG_WORD = "पानी" * 30 + "a" * 180  # 300 characters, no break anywhere
LONG_URL = "https://example.org/" + "/".join(["ward7-water-supply-complaint"] * 8)
LONG_QUERY = "x" * 60


def _fits(page) -> None:
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"page is {width} px wide in a {inner} px window"


@pytest.fixture
def opened(browser):
    contexts = []

    def open_page(width: int):
        context = browser.new_context(locale="en-IN",
                                      viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", CONSOLE_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_console_pages_with_long_unbroken_text_fit_the_screen(served, opened, lang, width):
    base, helpline = served
    username = f"agent.wrap.{lang}{width}"
    with helpline.session() as s:
        make_staff(s, username, language=lang)
        word = make_grievance(s, language=lang, description=f"Water problem: {LONG_WORD}")
        url = make_grievance(s, language=lang, description=f"See {LONG_URL}")
        word_id, url_id = word.id, url.id
    page = opened(width)
    _login(page, base, username)
    for name, grievance_id in (("word", word_id), ("url", url_id)):
        page.goto(f"{base}/console/grievances/{grievance_id}")
        assert page.locator("#description").inner_text().strip() != ""
        page.fill("#note", LONG_URL if name == "url" else LONG_WORD)  # a note as long
        page.click("#form-note button")
        page.wait_for_selector("p.flash")
        shot(page, f"wrap-grievance-{name}-{lang}-{width}")
        _fits(page)
    page.goto(f"{base}/console/?scope=team")
    shot(page, f"wrap-queue-{lang}-{width}")
    _fits(page)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_long_search_echoed_back_fits_the_screen(served, opened, lang, width):
    base, helpline = served
    username = f"agent.search.{lang}{width}"
    with helpline.session() as s:
        make_staff(s, username, language=lang)
    page = opened(width)
    _login(page, base, username)
    page.goto(f"{base}/console/search?q={quote(LONG_QUERY)}")
    assert LONG_QUERY in page.inner_text("main")
    shot(page, f"wrap-search-{lang}-{width}")
    _fits(page)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_opd_hall_display_fits_a_phone_and_a_television(served, opened, lang, width):
    base, helpline = served
    with helpline.session() as session:
        today = opd_today(session, capacity=200)
        slot = today.slots[0]
        visits = [check_in(session, book(session, slot, now=booking_time(slot),
                                         patient_name=f"Patient {chr(65 + n % 26)}").reference,
                           hospital_id=today.hospital.id,
                           department_id=today.department.id, key=QR_KEY)
                  for n in range(112)]
        opd = open_session(session, today.hospital.id, today.department.id, slot.local_day)
        for n in range(112):  # tokens 109 to 112 end up called, one per room
            call_next(session, opd.id, n % 4 + 1)
        department_id = today.department.id
    assert len(visits) == 112
    page = opened(width)
    page.set_extra_http_headers({"Accept-Language": lang})
    page.goto(f"{base}/opd/display/{department_id}")
    assert page.locator("[data-token]").count() == 4
    shot(page, f"wrap-opd-display-{lang}-{width}")
    _fits(page)
    clipped = page.evaluate("""[...document.querySelectorAll('.room')].filter(
        r => r.scrollWidth > r.clientWidth + 1).length""")
    assert clipped == 0, f"{clipped} token(s) wider than their room"
