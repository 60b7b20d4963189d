"""Every fault of a portal form at once, in headless Chromium (scripts off, as on a
cheap phone) at 390 px and 1366 px, in Hindi and English: the card form with four
wrong fields and the complaint form with three come back after one submit with each
message beside its field and everything typed still there. The card form draws one
border, not a box inside a box. Screenshots: /tmp/portal-errors-<form>-<lang>-<width>.png."""

from __future__ import annotations

import pytest

from tests.fixtures_browser import BROWSER_TIMEOUT_MS, page_width, verify_with_code

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

WORDS = {
    "hi": {"name": "कृपया नाम सिर्फ़ अक्षरों में लिखें", "year": "के बीच होना चाहिए",
           "abha": "आभा नंबर में 14 अंक होते हैं।", "sex": "कृपया सूची में से चुनें।",
           "category": "कृपया चुनें कि शिकायत किस बारे में है।", "short": "कम से कम 2 शब्द",
           "title": "आपका ई-हेल्थ कार्ड"},
    "en": {"name": "Please write the name in letters only.", "year": "between",
           "abha": "An ABHA number has 14 digits.", "sex": "Please choose from the list.",
           "category": "Please choose what the complaint is about.",
           "short": "at least 2 words", "title": "Your eHealth card"},
}


def _verify(page, helpline, digits: str) -> None:
    verify_with_code(page, helpline, digits)


def _one_border(page, selector: str) -> None:
    """Nothing inside the form draws a second frame around its fields."""
    page.wait_for_load_state("load")  # the stylesheet applied
    widths = page.eval_on_selector(
        selector, "form => [...form.querySelectorAll('fieldset')].map(f => "
                  "getComputedStyle(f).borderTopStyle === 'none' ? 0 : "
                  "parseFloat(getComputedStyle(f).borderTopWidth))")
    assert widths and all(w == 0 for w in widths), widths


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_card_and_complaint_forms_show_every_fault_at_once(browser, served, lang, width):
    base, helpline = served
    digits = f"97{width:04d}{ord(lang[0]):04d}"
    context = browser.new_context(locale="en-IN", java_script_enabled=False,
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    words = WORDS[lang]
    try:
        page.goto(f"{base}/portal/lang/{lang}?next=/portal/card")
        assert page.locator("h1").inner_text() == words["title"]
        _verify(page, helpline, digits)
        form = "form:has(button[value=issue])"
        _one_border(page, form)
        page.screenshot(path=f"/tmp/portal-card-form-{lang}-{width}.png", full_page=True)
        page.fill("#name", "Asha 7")
        page.fill("#year_of_birth", "1800")
        page.fill("#abha_number", "1234")
        # A value the list does not offer (as a tampered or stale form would send).
        page.eval_on_selector("#sex", "s => { s.options[1].value = 'alien'; "
                                      "s.selectedIndex = 1; }")
        page.click("button[value=issue]")
        assert page.url == f"{base}/portal/card"
        assert words["name"] in page.inner_text("#name-error")
        assert words["year"] in page.inner_text("#year-error")
        assert page.inner_text("#sex-error") == words["sex"]
        assert page.inner_text("#abha-error") == words["abha"]
        for field in ("#name", "#year_of_birth", "#sex", "#abha_number"):
            assert page.get_attribute(field, "aria-invalid") == "true", field
        assert page.input_value("#name") == "Asha 7"
        assert page.input_value("#year_of_birth") == "1800"
        assert page.input_value("#abha_number") == "1234"
        _one_border(page, form)
        assert page_width(page) <= width
        page.screenshot(path=f"/tmp/portal-errors-card-{lang}-{width}.png", full_page=True)

        page.goto(f"{base}/portal/grievances/new")
        page.fill("#description", "a")
        page.select_option("#hospital", index=0)
        page.click("button[value=register]")
        assert page.url == f"{base}/portal/grievances/new"
        assert page.inner_text("#category-error") == words["category"]
        assert words["short"] in page.inner_text("#description-error")
        assert page.input_value("#description") == "a"
        assert page_width(page) <= width
        page.screenshot(path=f"/tmp/portal-errors-complaint-{lang}-{width}.png",
                        full_page=True)
    finally:
        context.close()
