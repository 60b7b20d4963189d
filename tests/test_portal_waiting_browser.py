"""The waiting list in headless Chromium at 390 px and 1366 px, in Hindi and English,
against a real server thread on PostgreSQL, scripts off: a full day offered on the
booking page, joined with the mobile's code, the place shown, listed on My appointments
and left. Screenshots go to test-artifacts/waiting-<lang>-<width>-<step>.png."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from booking_core.appointments import Channel, book_appointment
from booking_core.slots import Slot
from booking_core.waiting_list import WaitStatus, join_waiting_list
from helpline.app import create_app
from tests.conftest import make_settings
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import ARTIFACTS, citizen_page, page_width, verify_with_code

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

IST = ZoneInfo("Asia/Kolkata")
WORDS = {
    "hi": {"ahead": "आपसे पहले 2 लोग हैं।", "joined": "आप प्रतीक्षा सूची में जुड़ गए हैं।",
           "left": "आपने प्रतीक्षा सूची छोड़ दी है।", "mine": "आपकी प्रतीक्षा सूचियाँ",
           "gone": "समय पर जवाब न मिलने से अब आप इस प्रतीक्षा सूची में नहीं हैं।"},
    "en": {"ahead": "2 people are ahead of you.", "joined": "You are on the waiting list.",
           "left": "You have left the waiting list.", "mine": "Your waiting lists",
           "gone": "It was not taken in time, so you are no longer on this waiting list."},
}


@pytest.fixture
def site(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        hospital = make_hospital(s, code="LNH", name_en="Lok Nayak Hospital",
                                 name_hi="लोक नायक अस्पताल", district="Central",
                                 district_hi="मध्य")
        department = make_department(s, hospital, code="medicine",
                                     name_en="General Medicine", name_hi="सामान्य चिकित्सा")
        day = dt.datetime.now(IST).date() + dt.timedelta(days=2)
        slot = make_slot(s, department, capacity=1, at=dt.datetime.combine(
            day, dt.time(9), IST).astimezone(dt.UTC))
        book_appointment(s, slot_id=slot.id, phone="+919811100001", channel=Channel.IVR)
        for n in (2, 3):
            join_waiting_list(s, department_id=department.id, day=day,
                              phone=f"+91981110000{n}", channel=Channel.IVR)
        where = f"/portal/book/{hospital.id}/{department.id}"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", helpline, where
    server.shutdown()
    helpline.engine.dispose()


def shot(page, lang: str, width: int, step: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"waiting-{lang}-{width}-{step}.png"), full_page=True)


def fits(page, width: int) -> None:
    assert page_width(page) <= width, page.url


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_join_see_the_place_and_leave_a_full_days_list(site, browser, lang, width):
    base, helpline, where = site
    mobile = "9812345699"
    context, page = citizen_page(browser, lang, width)
    try:
        page.goto(f"{base}{where}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("#waiting-list a.button").count() == 1
        fits(page, width)
        shot(page, lang, width, "1-full")

        page.click("#waiting-list a.button")
        fits(page, width)
        verify_with_code(page, helpline, mobile)
        page.wait_for_selector(".verify .ok")
        shot(page, lang, width, "2-join")
        page.click("#join")
        main = page.locator("main").inner_text()
        assert WORDS[lang]["joined"] in main and WORDS[lang]["ahead"] in main
        fits(page, width)
        shot(page, lang, width, "3-place")

        page.goto(f"{base}/portal/appointments")
        assert WORDS[lang]["mine"] in page.locator("main").inner_text()
        fits(page, width)
        shot(page, lang, width, "4-mine")

        page.click("#waiting-lists + ul a[href$='/leave']")
        fits(page, width)
        shot(page, lang, width, "5-leave")
        page.click("#confirm-leave")
        assert WORDS[lang]["left"] in page.locator("main").inner_text()
        fits(page, width)
        shot(page, lang, width, "6-left")
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_place_that_ran_out_is_shown_as_gone_on(site, browser, lang, width):
    """A place held for this mobile ran out unanswered: My appointments and the entry's
    page say it was not taken in time and the mobile is off that list, with the way to
    another day."""
    base, helpline, where = site
    mobile = "9812345677"
    with helpline.session() as s:
        day = dt.datetime.now(IST).date() + dt.timedelta(days=2)
        department_id = int(where.rsplit("/", 1)[1])
        entry, _ = join_waiting_list(s, department_id=department_id, day=day,
                                     phone="+91" + mobile, channel=Channel.IVR)
        slot = s.scalars(select(Slot).where(Slot.department_id == department_id)).one()
        entry.status, entry.offered_slot_id = WaitStatus.LAPSED, slot.id
        entry.hold_until = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        entry_id = entry.id
        s.commit()
    context, page = citizen_page(browser, lang, width)
    try:
        page.goto(f"{base}/portal/appointments")
        verify_with_code(page, helpline, mobile)
        page.wait_for_selector("#waiting-lists")
        gone = WORDS[lang]["gone"]
        assert gone in page.locator("main").inner_text()
        fits(page, width)
        shot(page, lang, width, "7-ran-out-mine")
        page.goto(f"{base}/portal/waiting-list/{entry_id}")
        assert gone in page.locator("#ended").inner_text()
        assert page.locator(f"#book-other-day[href='{where}']").count() == 1
        fits(page, width)
        shot(page, lang, width, "8-ran-out-entry")
    finally:
        context.close()
