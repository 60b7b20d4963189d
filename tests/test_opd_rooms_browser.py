"""The counter after skip, call next and recall, in headless Chromium at 390 px and
1366 px, in Hindi and English: one token called to the room, the one it displaced
waiting again, the one before seen; the hall display shows the room's one token.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from booking_core.opd_day import call_next, check_in, open_session, skip
from locales import render
from tests.fixtures_browser import ARTIFACTS, BROWSER_TIMEOUT_MS, page_width
from tests.fixtures_console import CONSOLE_PASSWORD, make_staff
from tests.opd_factories import QR_KEY, book, booking_time, opd_today

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_counter_shows_one_called_token_after_a_recall(browser, served, lang, width):
    base, helpline = served
    with helpline.session() as session:
        today = opd_today(session, capacity=10)
        slot = today.slots[0]
        make_staff(session, f"counter.{lang}{width}", hospital_id=today.hospital.id,
                   language=lang)
        for name in ("Asha Devi", "Mohd. Arif", "Ravi Kumar", "Sunita"):
            check_in(session, book(session, slot, now=booking_time(slot),
                                   patient_name=name).reference,
                     hospital_id=today.hospital.id, department_id=today.department.id,
                     key=QR_KEY)
        opd = open_session(session, today.hospital.id, today.department.id,
                           slot.local_day)
        first = call_next(session, opd.id, 1)
        skip(session, first.id, hospital_id=today.hospital.id)
        call_next(session, opd.id, 1)  # token 2 to room 1
        call_next(session, opd.id, 2)  # token 3 to room 2
        call_next(session, opd.id, 2)  # token 4 to room 2: token 3 seen
        department_id = today.department.id
    context = browser.new_context(locale="en-IN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page.goto(f"{base}/console/login")
        page.fill("#username", f"counter.{lang}{width}")
        page.fill("#password", CONSOLE_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.goto(f"{base}/console/opd?department={department_id}")
        row = page.locator('tr[data-token="1"]')
        row.locator("select[name=room]").select_option("1")
        row.locator("button[type=submit]").click()
        page.wait_for_selector("p.flash")
        states = {t: page.get_attribute(f'tr[data-token="{t}"]', "data-state")
                  for t in (1, 2, 3, 4)}
        assert states == {1: "called", 2: "waiting", 3: "served", 4: "called"}
        assert page.inner_text('tr[data-token="2"] td:nth-of-type(3)').strip().endswith("—")
        assert render(lang, "console.visit.served") in page.inner_text('tr[data-token="3"]')
        assert page_width(page) <= width
        page.screenshot(path=str(ARTIFACTS / f"opd-counter-recall-{lang}-{width}.png"),
                        full_page=True)
        shown = page.request.get(f"{base}/opd/display/{department_id}.json").json()
        assert shown["rooms"] == [{"room": 1, "token": 1}, {"room": 2, "token": 4}]
    finally:
        context.close()
