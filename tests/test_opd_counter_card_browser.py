"""The counter with an eHealth card whose holder has two appointments today in other
departments of the hospital (none in the counter's: that one would be checked in), in
headless Chromium at 390 px and 1366 px, in Hindi and English: the choice is shown,
and pressing one checks that one in. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from booking_core.appointments import Channel
from booking_core.ehealth import CardIssuer, book_with_card, issue_card
from booking_core.refs import spaced_card_number
from tests.fixtures_browser import ARTIFACTS, console_page, page_width, sign_in
from tests.fixtures_console import make_staff
from tests.opd_factories import booking_time, mobile, opd_today

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_card_with_two_appointments_today_offers_the_choice(browser, served, lang, width):
    base, helpline = served
    with helpline.session() as session:
        today = opd_today(session, capacity=10)
        # Booked in two other departments of this hospital, none at this counter's.
        eye, ent = (opd_today(session, hospital=today.hospital) for _ in range(2))
        make_staff(session, f"card.{lang}{width}", hospital_id=today.hospital.id,
                   language=lang)
        card = issue_card(session, phone=mobile(), name="Sunita Devi", year_of_birth=1958,
                          via=CardIssuer.AGENT).card
        for morning in (eye, ent):
            book_with_card(session, card_number=card.number, slot_id=morning.slots[0].id,
                           channel=Channel.PORTAL, now=booking_time(morning.slots[0]))
        department_id, number = today.department.id, card.number
    context, page = console_page(browser, width, 900)
    try:
        sign_in(page, base, f"card.{lang}{width}")
        page.goto(f"{base}/console/opd?department={department_id}")
        page.fill("#code", spaced_card_number(number))
        with page.expect_navigation():
            page.click("#check-in-form button[type=submit]")
        choices = page.locator("#card-choices form")
        assert choices.count() == 2
        assert ("जिसकी हाज़िरी लगानी है" if lang == "hi" else "Choose the one") in \
            page.locator(".flash").first.inner_text()
        assert page_width(page) <= width
        page.screenshot(path=str(ARTIFACTS / f"console-opd-card-choice-{lang}-{width}.png"),
                        full_page=True)
        with page.expect_navigation():
            choices.first.locator("button").click()
        assert "Sunita Devi" in page.locator(".flash").first.inner_text()
        assert page.locator("#card-choices").count() == 0
    finally:
        context.close()
