"""The review page's eHealth card option in headless Chromium, without JavaScript, at
390 px (a cheap Android phone) and 1366 px in Hindi and English: opened, a number typed
a digit short refused beside the field (saying so), the card booked; nothing scrolls sideways.
Screenshots go to test-artifacts/portal-card-book-<lang>-<width>-<step>.png."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment
from booking_core.ehealth import CardIssuer, issue_card
from booking_core.refs import spaced_card_number
from booking_core.slots import Slot
from tests.fixtures_browser import ARTIFACTS, citizen_page, page_width
from tests.test_portal_browser import (
    site,  # noqa: F401  (the module's served portal)
    verify_mobile,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

MOBILES = {("hi", 390): "9812345621", ("hi", 1366): "9812345622",
           ("en", 390): "9812345623", ("en", 1366): "9812345624"}
# The number is typed a digit short, and the page says so, with the count typed.
WORDS = {"hi": {"invalid": "पर आपने सिर्फ़ 10 अंक लिखे हैं।",
                "booked": "Kamla Devi का अपॉइंटमेंट बुक हो गया है।",
                "title": "Kamla Devi का ओपीडी अपॉइंटमेंट",
                "question": "Kamla Devi का लोक नायक अस्पताल में"},
         "en": {"invalid": "but you typed only 10.",
                "booked": "The appointment for Kamla Devi is booked.",
                "title": "OPD appointment for Kamla Devi",
                "question": "Cancel the appointment for Kamla Devi at"}}


def _shot(page, lang: str, width: int, step: str) -> None:
    assert page_width(page) <= width, (page.url, step)  # nothing scrolls sideways
    page.screenshot(path=str(ARTIFACTS / f"portal-card-book-{lang}-{width}-{step}.png"),
                    full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_card_option_fits_and_books(site, browser, lang, width):  # noqa: F811
    base, helpline = site
    mobile = MOBILES[(lang, width)]
    run = list(MOBILES).index((lang, width))
    with helpline.session() as s:
        # Each run its own card holder (a family's phone) and slot.
        card = issue_card(s, phone=f"+91987650{run:04d}", name="Kamla Devi",
                          year_of_birth=1950, via=CardIssuer.COUNTER).card.number
        slot = s.scalars(select(Slot.id).order_by(Slot.starts_at)).all()[run]
        s.commit()
    context, page = citizen_page(browser, lang, width)
    try:
        page.goto(f"{base}/portal/book/review?slot={slot}")
        verify_mobile(page, helpline, mobile, lang)
        page.click("#card-option summary")
        assert page.is_visible("#card_number")
        _shot(page, lang, width, "1-option")
        page.fill("#card_number", "5123 4567 89")
        page.click("button[value=book]")
        assert WORDS[lang]["invalid"] in page.locator("#card-error").inner_text()
        assert page.is_visible("#card_number")  # opened again beside its message
        _shot(page, lang, width, "2-refused")
        page.fill("#card_number", spaced_card_number(card))
        page.click("button[value=book]")
        page.wait_for_selector(f".notice:has-text('{WORDS[lang]['booked']}')")
        assert page.locator("h1").inner_text() == WORDS[lang]["title"]
        _shot(page, lang, width, "3-booked")
        page.click("#cancel")  # the question names the patient too
        assert WORDS[lang]["question"] in page.locator("main").inner_text()
        _shot(page, lang, width, "4-cancel-question")
        with helpline.session() as s:
            booked = s.scalar(select(Appointment).where(Appointment.slot_id == slot))
            assert booked.ehealth_card_id is not None
            assert booked.booked_by_phone == "+91" + mobile
    finally:
        context.close()
