"""A complaint's link opened in a browser that has not proved the mobile, in headless
Chromium at 390 px and 1366 px, in Hindi and English, scripts off: the page asks for the
code, and after it shows that same complaint (its query kept), never the lookup form.
A junk ``next`` in the link is ignored. Screenshots go to
test-artifacts/grievance-after-code-<lang>-<width>-<step>.png."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.fixtures_browser import ARTIFACTS, citizen_page, enter_code, page_width
from tests.fixtures_console import make_grievance

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

WORDS = {
    "hi": {"asks": "देखने के लिए उस मोबाइल नंबर की पुष्टि करें", "title": "शिकायत की स्थिति",
           "status": "दर्ज हुई"},
    "en": {"asks": "verify the mobile number it was registered from",
           "title": "Complaint status", "status": "Registered"},
}


def shot(page, lang: str, width: int, step: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"grievance-after-code-{lang}-{width}-{step}.png"),
                    full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_complaints_link_asks_for_the_code_then_shows_that_complaint(served, browser,
                                                                      lang, width):
    base, helpline = served
    mobile = f"98{width:04d}{ord(lang[0]):04d}"
    with helpline.session() as s:
        reference = make_grievance(s, phone="+91" + mobile, channel="ivr").reference
    spaced = f"{reference[:4]} {reference[4:]}"
    link = f"/portal/grievances/{reference}?done=registered"
    context, page = citizen_page(browser, lang, width)
    try:
        # A junk way on in the link is ignored, the page's own query is kept.
        page.goto(f"{base}{link}&next={quote('//evil.example/portal/', safe='')}")
        main = page.locator("main").inner_text()
        assert page.locator("html").get_attribute("lang") == lang
        assert WORDS[lang]["asks"] in main and spaced in main
        assert page.locator("main a[href='/portal/grievances/status']").count() == 1
        assert page_width(page) <= width
        shot(page, lang, width, "1-asks")

        page.fill("#mobile", mobile)
        page.click("button[value=send_code]")
        assert page.locator("#code").count() == 1
        assert page_width(page) <= width
        shot(page, lang, width, "2-code")
        enter_code(page, helpline, mobile)

        assert page.url == f"{base}{link}"  # the complaint asked for, query kept
        main = page.locator("main").inner_text()
        assert WORDS[lang]["title"] in main and spaced in main
        assert WORDS[lang]["status"] in main and page.locator("#code").count() == 0
        assert mobile not in page.url
        assert page_width(page) <= width
        shot(page, lang, width, "3-complaint")
    finally:
        context.close()
