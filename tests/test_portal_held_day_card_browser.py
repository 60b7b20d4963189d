"""A family sharing one mobile, in headless Chromium without JavaScript at 390 px (a
cheap Android phone) and 1366 px in Hindi and English: the mother holds General
Medicine on a day; that day's times are still shown with the sentence saying so, and
its read-back offers only her father's eHealth card (registered to the same mobile),
which books him. Nothing scrolls sideways. Screenshots go to
test-artifacts/portal-held-day-card-<lang>-<width>-<step>.png."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.ehealth import CardIssuer, issue_card
from booking_core.hospitals import Department
from booking_core.refs import spaced_card_number
from booking_core.slots import Slot
from tests.fixtures_browser import ARTIFACTS, citizen_page, page_width
from tests.test_portal_browser import (
    site,  # noqa: F401  (the module's served portal)
    verify_mobile,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

MOBILES = {("hi", 390): "9812345631", ("hi", 1366): "9812345632",
           ("en", 390): "9812345633", ("en", 1366): "9812345634"}
WORDS = {"hi": {"held": "इस मोबाइल से बुक किया गया आपका अपॉइंटमेंट",
                "family": "परिवार के किसी सदस्य का अपॉइंटमेंट उस दिन",
                "button": "इस ई-हेल्थ कार्ड से बुक करें",
                "booked": "आपका अपॉइंटमेंट बुक हो गया है।"},
         "en": {"held": "You already have an appointment in this department on",
                "family": "A family member can still be booked that day",
                "button": "Book with this eHealth card",
                "booked": "Your appointment is booked."}}


def _shot(page, lang: str, width: int, step: str) -> None:
    assert page_width(page) <= width, (page.url, step)  # nothing scrolls sideways
    page.screenshot(path=str(ARTIFACTS / f"portal-held-day-card-{lang}-{width}-{step}.png"),
                    full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_held_day_books_a_family_members_card(site, browser, lang, width):  # noqa: F811
    base, helpline = site
    mobile = MOBILES[(lang, width)]
    with helpline.session() as s:
        medicine = s.scalar(select(Department).where(Department.code == "medicine"))
        slots = s.scalars(select(Slot).where(Slot.department_id == medicine.id)
                          .order_by(Slot.starts_at)).all()
        # The mother's own appointment (this mobile, no card) on the second day, 9:00;
        # her father's card on the same mobile.
        mothers_slot, fathers_slot = slots[3], slots[4]
        assert mothers_slot.local_day == fathers_slot.local_day
        mothers = book_appointment(s, slot_id=mothers_slot.id, phone="+91" + mobile,
                                   channel=Channel.IVR, language=lang).reference
        card = issue_card(s, phone="+91" + mobile, name="Ram Prasad", year_of_birth=1948,
                          via=CardIssuer.COUNTER).card.number
        hospital_id, department_id = medicine.hospital_id, medicine.id
        day, fathers_slot_id = mothers_slot.local_day.isoformat(), fathers_slot.id
        s.commit()
    context, page = citizen_page(browser, lang, width)
    try:
        page.goto(f"{base}/portal/book/review?slot={fathers_slot_id}")
        verify_mobile(page, helpline, mobile, lang)
        page.goto(f"{base}/portal/book/{hospital_id}/{department_id}?day={day}#times")
        notice = page.locator("#held-day-card").inner_text()
        assert WORDS[lang]["held"] in notice and WORDS[lang]["family"] in notice
        assert page.get_attribute("#held", "href") == f"/portal/appointments/{mothers}"
        assert page.locator("input[name=slot]").count() == 3  # the day's times, not hidden
        _shot(page, lang, width, "1-times")
        page.check(f"input[name=slot][value='{fathers_slot_id}']")
        page.click("form[action$='/book/review'] button[type=submit]")
        page.wait_for_selector("#card-only")
        assert page.locator("#patient_name").count() == 0
        assert page.locator("button[value=book]").inner_text().strip() == \
            WORDS[lang]["button"]
        assert WORDS[lang]["held"] in page.locator("#held-day-card").inner_text()
        _shot(page, lang, width, "2-review")
        page.fill("#card_number", spaced_card_number(card))
        page.click("button[value=book]")
        page.wait_for_selector(f".notice:has-text('{WORDS[lang]['booked']}')")
        _shot(page, lang, width, "3-booked")
        with helpline.session() as s:
            booked = s.scalar(select(Appointment).where(
                Appointment.slot_id == fathers_slot_id,
                Appointment.ehealth_card_id.is_not(None),
                Appointment.patient_name == "Ram Prasad",
                Appointment.citizen.has(phone="+91" + mobile)))
            assert booked is not None
    finally:
        context.close()
