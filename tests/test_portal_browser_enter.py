"""Enter in the one-time-code box means Verify, on every portal form that asks for the
code, in headless Chromium with JavaScript off (the fix is the order of the buttons, not
a script). Before, Enter pressed the form's first submit button, "Send a new code": a
second SMS, the typed code void, one of the hourly codes used. Screenshots of the code
step go to test-artifacts/portal-enter-<lang>-<width>-<page>.png."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking_core.outbox import OutboxMessage
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_api import latest_code
from tests.fixtures_browser import ARTIFACTS, BROWSER_TIMEOUT_MS, page_width

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

VERIFIED = {"hi": "की पुष्टि हो गई", "en": "verified"}


def codes_sent(helpline, e164: str) -> int:
    with helpline.session() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.to_phone == e164, OutboxMessage.template == "otp_code")) or 0)


def open_page(browser, base: str, lang: str, width: int, path: str):
    context = browser.new_context(locale="en-IN", java_script_enabled=False,
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(f"{base}/portal/lang/{lang}?next={path}")
    return context, page


def verify_with_enter(page, helpline, digits: str, lang: str) -> None:
    """Type the mobile, Enter (sends the one code); type the code, Enter (verifies)."""
    e164 = "+91" + digits
    page.fill("#mobile", digits)
    with page.expect_navigation():
        page.press("#mobile", "Enter")
    assert codes_sent(helpline, e164) == 1
    assert page.locator("#code").count() == 1
    # The default button of the form is Verify, then "Send a new code".
    submits = page.locator("form:has(#code) [type=submit]")
    assert submits.first.get_attribute("value") == "check_code"
    with helpline.session() as s:
        code = latest_code(s, e164)
    page.fill("#code", code)
    with page.expect_navigation():
        page.press("#code", "Enter")
    assert VERIFIED[lang] in page.locator("main .notice").first.inner_text()
    assert page.locator("#code").count() == 0
    assert codes_sent(helpline, e164) == 1, "Enter in the code box sent another SMS"


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_enter_in_the_code_box_verifies_on_the_card_page(browser, served, lang, width):
    base, helpline = served
    digits = f"97{width:04d}{ord(lang[0]):04d}"
    context, page = open_page(browser, base, lang, width, "/portal/card")
    try:
        page.fill("#mobile", digits)
        with page.expect_navigation():
            page.press("#mobile", "Enter")
        page.screenshot(path=str(ARTIFACTS / f"portal-enter-{lang}-{width}-card.png"),
                        full_page=True)
        assert page_width(page) <= width
        with helpline.session() as s:
            code = latest_code(s, "+91" + digits)
        page.fill("#code", code)
        with page.expect_navigation():
            page.press("#code", "Enter")
        assert VERIFIED[lang] in page.locator("main .notice").first.inner_text()
        assert codes_sent(helpline, "+91" + digits) == 1
    finally:
        context.close()


def test_enter_verifies_on_my_appointments(browser, served):
    base, helpline = served
    context, page = open_page(browser, base, "en", 390, "/portal/appointments")
    try:
        verify_with_enter(page, helpline, "9712300001", "en")
    finally:
        context.close()


def test_enter_verifies_on_a_complaint_and_keeps_its_words(browser, served):
    base, helpline = served
    context, page = open_page(browser, base, "hi", 390, "/portal/grievances/new")
    words = "ओपीडी में पीने का पानी नहीं है, तीन दिन से कूलर बंद है।"
    try:
        page.fill("#description", words)
        verify_with_enter(page, helpline, "9712300002", "hi")
        assert page.input_value("#description") == words
        assert page.locator("button[value=register]").count() == 1
    finally:
        context.close()


def test_enter_verifies_on_the_booking_review(browser, served):
    base, helpline = served
    with helpline.session() as s:
        hospital = make_hospital(s, name_en="Lok Nayak Hospital", name_hi="लोक नायक अस्पताल")
        department = make_department(s, hospital)
        slot = make_slot(s, department,
                         at=dt.datetime.now(dt.UTC).replace(microsecond=0)
                         + dt.timedelta(days=2))
        slot_id = slot.id
    context, page = open_page(browser, base, "en", 1366, f"/portal/book/review?slot={slot_id}")
    try:
        page.fill("#patient_name", "Asha Devi")
        verify_with_enter(page, helpline, "9712300003", "en")
        assert page.input_value("#patient_name") == "Asha Devi"
        page.screenshot(path=str(ARTIFACTS / "portal-enter-en-1366-review.png"), full_page=True)
        assert page.locator("button[value=book]").count() == 1
    finally:
        context.close()
