"""Back and reload after booking on the portal, in headless Chromium (scripts off, as
on a cheap phone): the history holds only GET pages, so neither offers to send the
form again (Chromium's "Confirm Form Resubmission", net::ERR_CACHE_MISS) and no
second appointment is booked. Screenshots: test-artifacts/portal-<lang>-<width>-prg-*.png.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment
from tests.fixtures_browser import citizen_page, enter_code
from tests.test_portal_browser import fits, shot, site  # noqa: F401  (site: a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

MOBILES = {("hi", 390): "9812345611", ("hi", 1366): "9812345612",
           ("en", 390): "9812345613", ("en", 1366): "9812345614"}
BOOKED = {"hi": "आपका अपॉइंटमेंट बुक हो गया है।", "en": "Your appointment is booked."}


def _appointments(helpline, mobile: str) -> int:
    from booking_core.citizens import Citizen

    with helpline.session() as s:
        return int(s.scalar(select(func.count()).select_from(Appointment).join(
            Citizen, Appointment.citizen_id == Citizen.id).where(
            Citizen.phone == "+91" + mobile)) or 0)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_back_and_reload_after_booking_send_nothing_again(site, browser, lang, width):  # noqa: F811
    base, helpline = site
    mobile = MOBILES[(lang, width)]
    context, page = citizen_page(browser, lang, width)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    failed: list[str] = []  # navigations the browser refused (a POST it would resend)
    try:
        page.goto(f"{base}/portal/book?q=LNJP")
        page.click("ul.choices a >> nth=0")
        page.click("ul.choices a:has-text('General Medicine'), "
                   "ul.choices a:has-text('सामान्य चिकित्सा')")
        page.check("input[name=slot] >> nth=0")
        page.click("main form button[type=submit]")
        page.fill("#patient_name", "Asha Devi")
        page.fill("#mobile", mobile)
        page.click("button[value=send_code]")
        assert page.input_value("#patient_name") == "Asha Devi"
        fits(page, width)
        shot(page, lang, width, "prg-1-code-sent")
        enter_code(page, helpline, mobile)
        page.wait_for_selector(".verify .ok")
        assert page.input_value("#patient_name") == "Asha Devi"
        shot(page, lang, width, "prg-2-verified")
        page.click("button[value=book]")
        assert BOOKED[lang] in page.locator("main").inner_text()
        booked_url = page.url
        assert mobile not in booked_url
        assert _appointments(helpline, mobile) == 1

        # Reload the confirmation: the same page, nothing booked again.
        page.reload()
        assert page.url == booked_url
        assert "chrome-error" not in page.url
        # Back: the booking form as a GET page, not a resubmission prompt.
        try:
            page.go_back()
        except Exception as exc:  # Playwright raises net::ERR_CACHE_MISS for the prompt
            failed.append(str(exc).splitlines()[0])
        assert not failed, failed
        assert "chrome-error" not in page.url and "/portal/book/review" in page.url
        # The day is held now: the review says so and offers no confirm button for this
        # mobile's patient, which could only be refused: a family member's eHealth card
        # only (its number required), another day and the booking just made.
        assert page.locator("#held-day-card").count() == 1
        assert page.locator("#patient_name").count() == 0
        assert page.locator("#card-only #card_number[required]").count() == 1
        assert page.locator("main p.error").count() == 0  # nothing was refused
        assert page.locator(f"a[href='{booked_url.split('?')[0].removeprefix(base)}']"
                            ).count() == 1
        shot(page, lang, width, "prg-3-back")
        try:
            page.reload()
        except Exception as exc:
            failed.append(str(exc).splitlines()[0])
        assert not failed, failed
        page.go_forward()
        # The confirmation was said once (it rides in the carry, not the URL): forward,
        # the appointment's page as it stands.
        reference = booked_url.rsplit("/", 1)[1]
        main = page.locator("main").inner_text()
        assert page.url == booked_url and BOOKED[lang] not in main
        assert f"{reference[:4]} {reference[4:]}" in main
        page.reload()
        shot(page, lang, width, "prg-4-forward-reload")
        assert not dialogs, dialogs
        assert _appointments(helpline, mobile) == 1
        # Back again: still the card only; the link leads to the booking.
        page.go_back()
        assert page.locator("#patient_name").count() == 0
        assert page.locator("#card-only").count() == 1
        page.click(f"a[href='{booked_url.split('?')[0].removeprefix(base)}']")
        assert page.url.split("?")[0] == booked_url.split("?")[0]
        assert _appointments(helpline, mobile) == 1
    finally:
        context.close()
