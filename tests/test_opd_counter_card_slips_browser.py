"""A card number typed at the counter with a letter among its digits, in headless
Chromium at 390 px and 1366 px, in Hindi and English: the refusal says so in the clerk's
language, the patient stays unchecked, and the page does not scroll sideways.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from booking_core.appointments import Channel
from booking_core.ehealth import CardIssuer, book_with_card, issue_card
from tests.fixtures_browser import ARTIFACTS, console_page, fits, sign_in
from tests.fixtures_console import make_staff
from tests.opd_factories import booking_time, mobile, opd_today

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

SAID = {"hi": "ई-हेल्थ कार्ड नंबर में सिर्फ़ अंक होते हैं",
        "en": "An eHealth card number has digits only"}


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_letter_in_a_card_number_is_refused_in_the_clerks_language(
        browser, served, lang, width):
    base, helpline = served
    with helpline.session() as session:
        today = opd_today(session, capacity=10)
        make_staff(session, f"slip.{lang}{width}", hospital_id=today.hospital.id,
                   language=lang)
        card = issue_card(session, phone=mobile(), name="Sunita Devi", year_of_birth=1958,
                          via=CardIssuer.AGENT).card
        book_with_card(session, card_number=card.number, slot_id=today.slots[0].id,
                       channel=Channel.PORTAL, now=booking_time(today.slots[0]))
        department_id, number = today.department.id, card.number
    context, page = console_page(browser, width, 900)
    try:
        sign_in(page, base, f"slip.{lang}{width}")
        page.goto(f"{base}/console/opd?department={department_id}")
        page.fill("#code", f"{number[:4]}a{number[4:]}")
        with page.expect_navigation():
            page.click("#check-in-form button[type=submit]")
        assert SAID[lang] in page.locator(".flash").first.inner_text()
        assert fits(page)
        page.screenshot(path=str(ARTIFACTS / f"console-opd-card-slip-{lang}-{width}.png"),
                        full_page=True)
    finally:
        context.close()
