"""The card page in headless Chromium, at a phone's 390 px and a desktop's 1366 px, in
Hindi and English: verify the mobile, get a card, download it as PNG and PDF; the PNG's
QR code decodes and its signature checks out. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from booking_core.card_seal import verify_seal
from helpline.settings import card_signing_key
from tests.fixtures_api import latest_code
from tests.fixtures_browser import ARTIFACTS, BROWSER_TIMEOUT_MS, page_width

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

WORDS = {"hi": {"title": "आपका ई-हेल्थ कार्ड", "ready": "का कार्ड बन गया है",
                "name": "सुनीता शर्मा"},
         "en": {"title": "Your eHealth card", "ready": "is ready", "name": "Sunita Sharma"}}


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_get_and_download_a_card(browser, served, lang, width):
    base, helpline = served
    phone_digits = f"98{width:04d}{ord(lang[0]):04d}"
    e164 = "+91" + phone_digits
    context = browser.new_context(accept_downloads=True, locale="en-IN",
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page.goto(f"{base}/portal/lang/{lang}?next=/portal/card")
        assert page.locator("h1").inner_text() == WORDS[lang]["title"]
        page.fill("#mobile", phone_digits)
        page.click("button[value=send_code]")
        with helpline.session() as session:
            code = latest_code(session, e164)
        page.fill("#code", code)
        page.click("button[value=check_code]")
        page.fill("#name", WORDS[lang]["name"])
        page.fill("#year_of_birth", "1979")
        page.select_option("#sex", "female")
        page.click("button[value=issue]")
        assert WORDS[lang]["ready"] in page.locator("#card-notice").inner_text()
        # Nothing wider than the screen: the page fits a phone without sideways scrolling.
        assert page_width(page) <= width
        page.screenshot(path=str(ARTIFACTS / f"portal-card-{lang}-{width}.png"), full_page=True)

        with page.expect_download() as png_download:
            page.click(f"[data-download=png-{lang}]")
        png = Path(png_download.value.path())
        assert png_download.value.suggested_filename == f"ehealth-card-{lang}.png"
        image = Image.open(png)
        image.save(ARTIFACTS / f"portal-card-download-{lang}-{width}.png")
        [qr] = zxingcpp.read_barcodes(image)
        sealed = verify_seal(qr.text, card_signing_key(helpline.settings).public_key())
        assert sealed.year_of_birth == 1979
        number = page.locator(".card-number").first.inner_text().replace(" ", "")
        assert sealed.number == number

        with page.expect_download() as pdf_download:
            page.click(f"[data-download=pdf-{lang}]")
        assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")
    finally:
        context.close()
