"""The counter given a patient's mobile, in headless Chromium at 390 px and 1366 px, in
Hindi and English: its appointments today at this hospital are listed with the
patients' names (one booked for a relative on the same mobile too), nobody is checked
in until the clerk presses one, and then only that one. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import pytest

from tests.fixtures_browser import ARTIFACTS, console_page, page_width, sign_in
from tests.fixtures_console import make_staff
from tests.opd_factories import book, booking_time, mobile, opd_today

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_mobile_lists_its_appointments_and_the_clerk_checks_in_one(
        browser, served, lang, width):
    base, helpline = served
    family = mobile()
    with helpline.session() as session:
        today = opd_today(session, capacity=10)
        eye = opd_today(session, hospital=today.hospital)
        make_staff(session, f"mobile.{lang}{width}", hospital_id=today.hospital.id,
                   language=lang)
        for morning, name in ((today, "Kamla Devi"), (eye, "Ravi Kumar")):
            slot = morning.slots[0]
            book(session, slot, phone=family, patient_name=name, now=booking_time(slot))
        session.commit()
        department_id = today.department.id
    digits = family.removeprefix("+91")
    context, page = console_page(browser, width, 900)
    try:
        sign_in(page, base, f"mobile.{lang}{width}")
        page.goto(f"{base}/console/opd?department={department_id}")
        page.fill("#code", f"0{digits[:5]} {digits[5:]}")
        with page.expect_navigation():
            page.click("#check-in-form button[type=submit]")
        choices = page.locator("#card-choices form")
        assert choices.count() == 2
        listed = page.locator("#card-choices").inner_text()
        assert listed.index("Kamla Devi") < listed.index("Ravi Kumar")  # this counter's first
        said = page.locator(".flash").first.inner_text()
        assert f"{digits[:5]} {digits[5:]}" in said
        assert ("मरीज़ का नाम मिलाएँ" if lang == "hi" else "Match the patient's name") in said
        assert page.locator("#opd-queue").inner_text().count("Kamla Devi") == 0
        assert page_width(page) <= width
        page.screenshot(path=str(ARTIFACTS / f"console-opd-mobile-choice-{lang}-{width}.png"),
                        full_page=True)
        with page.expect_navigation():
            choices.first.locator("button").click()
        assert "Kamla Devi" in page.locator(".flash").first.inner_text()
        assert page.locator("#card-choices").count() == 0
    finally:
        context.close()
