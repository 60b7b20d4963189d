"""The booking QR code on the portal's appointment page, as a phone shows it: a
screenshot of it decodes to the signed booking code, at phone and desktop widths, in
Hindi and English. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from booking_core.opd_day import read_booking_code
from helpline.opd_jobs import booking_code_key
from tests.fixtures_browser import (  # noqa: F401
    ARTIFACTS,
    BROWSER_TIMEOUT_MS,
    browser,
    served,
    verify_with_code,
)
from tests.opd_factories import book, booking_time, opd_today

MOBILE = "9812300077"


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_appointment_page_shows_a_booking_qr_a_camera_reads(
        served, browser, lang, width):  # noqa: F811
    base, helpline = served
    with helpline.session() as s:
        today = opd_today(s, capacity=10)
        reference = book(s, today.slots[0], phone="+91" + MOBILE,
                         now=booking_time(today.slots[0])).reference
    context = browser.new_context(locale="hi-IN" if lang == "hi" else "en-IN",
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(f"{base}/portal/lang/{lang}?next=/portal/appointments/{reference}")
    verify_with_code(page, helpline, MOBILE)
    figure = page.locator("#booking-qr")
    figure.wait_for()
    box = figure.locator("img").bounding_box()
    assert box and box["width"] >= 150 and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert reference[:4] in figure.locator("figcaption").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"portal-booking-qr-{lang}-{width}.png"),
                    full_page=True)
    shown = Image.open(io.BytesIO(figure.screenshot()))
    codes = zxingcpp.read_barcodes(shown)
    assert len(codes) == 1
    assert read_booking_code(codes[0].text, booking_code_key(helpline.settings)) == reference
    context.close()
