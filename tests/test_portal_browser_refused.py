"""A refused portal form in headless Chromium (scripts off, as on a cheap phone): the
POST answers 303 to the form's GET page, so Back and reload send nothing again (no
"Confirm Form Resubmission") and what was typed stays in the field, with the message
in Hindi. Screenshots: /tmp/portal-refused-hi-<width>.png."""

from __future__ import annotations

import pytest

from tests.fixtures_browser import BROWSER_TIMEOUT_MS
from tests.test_portal_browser import fits, site  # noqa: F401  (site: a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

NEEDED = "अपने एसएमएस से शिकायत नंबर लिखें।"


@pytest.mark.parametrize("width", [390, 1366])
def test_back_and_reload_after_a_refused_form_send_nothing(site, browser, width):  # noqa: F811
    base, _helpline = site
    context = browser.new_context(locale="hi-IN", java_script_enabled=False,
                                  viewport={"width": width, "height": 844 if width < 500
                                            else 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    seen: list[tuple[str, str]] = []
    page.on("request", lambda r: seen.append((r.method, r.url))
            if r.resource_type == "document" else None)
    try:
        page.goto(f"{base}/portal/")
        page.goto(f"{base}/portal/grievances/status")
        page.fill("#mobile", "98123")
        page.click("main form button[type=submit]")
        assert page.url == f"{base}/portal/grievances/status"
        assert NEEDED in page.locator("main").inner_text()
        assert page.input_value("#mobile") == "98123"
        fits(page, width)
        page.screenshot(path=f"/tmp/portal-refused-hi-{width}.png", full_page=True)
        posts = [url for method, url in seen if method == "POST"]
        assert len(posts) == 1, seen
        seen.clear()
        page.reload()
        assert "chrome-error" not in page.url and page.url.endswith("/grievances/status")
        assert page.input_value("#mobile") == "98123" and NEEDED in page.inner_text("main")
        page.go_back()
        assert "chrome-error" not in page.url and page.url.endswith("/grievances/status")
        page.go_forward()
        assert "chrome-error" not in page.url and page.url.endswith("/grievances/status")
        assert page.input_value("#mobile") == "98123"
        assert all(method == "GET" for method, _ in seen), seen
    finally:
        context.close()
