"""A refused card holder's name in headless Chromium, at 390 px and 1366 px, in Hindi
and English: the portal and the console say why next to what was typed, which comes back
whole (no ``maxlength`` cuts a pasted name). Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from locales import render
from tests.fixtures_browser import ARTIFACTS, BROWSER_TIMEOUT_MS, page_width, verify_with_code
from tests.fixtures_console import CONSOLE_PASSWORD, make_staff, next_mobile

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

LONG = {"hi": "श्रीमती " + "लक्ष्मीनारायण " * 9 + "देवी",
        "en": "Shrimati " + "Lakshminarayana " * 8 + "Devi"}


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_and_the_console_explain_a_refused_name(browser, served, lang, width):
    base, helpline = served
    phone_digits = f"97{width:04d}{ord(lang[0]):04d}"
    with helpline.session() as session:
        make_staff(session, f"agent.{lang}{width}", language=lang)
    context = browser.new_context(locale="en-IN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page.goto(f"{base}/portal/lang/{lang}?next=/portal/card")
        verify_with_code(page, helpline, phone_digits)
        page.fill("#name", LONG[lang])
        page.fill("#year_of_birth", "1979")
        page.click("button[value=issue]")
        assert page.inner_text("#name-error") == render(lang, "portal.card.err.name_too_long")
        assert page.input_value("#name") == LONG[lang]  # whole, not cut to 120
        assert page_width(page) <= width
        page.screenshot(path=str(ARTIFACTS / f"portal-card-name-long-{lang}-{width}.png"),
                        full_page=True)
        page.fill("#name", "Asha Devi 2" if lang == "en" else "आशा देवी २")
        page.click("button[value=issue]")
        assert page.inner_text("#name-error") == render(lang, "portal.card.err.invalid_name")
        page.screenshot(path=str(ARTIFACTS / f"portal-card-name-digits-{lang}-{width}.png"),
                        full_page=True)

        page.goto(f"{base}/console/login")
        page.fill("#username", f"agent.{lang}{width}")
        page.fill("#password", CONSOLE_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.goto(f"{base}/console/booking?phone={next_mobile()}")
        page.fill("#card_name", "Asha@Devi 2")
        page.fill("#card-issue #year_of_birth", "1979")
        page.click("#card-issue button[type=submit]")
        page.wait_for_selector("p.flash")
        assert render(lang, "console.err.invalid_name.characters") in page.inner_text("body")
        assert page_width(page) <= width
        page.screenshot(path=str(ARTIFACTS / f"console-card-name-{lang}-{width}.png"),
                        full_page=True)
    finally:
        context.close()
