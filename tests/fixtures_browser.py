"""Fixtures and helpers for the console in headless Chromium against a real server
thread. Screenshots go to test-artifacts/."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from werkzeug.serving import make_server

from helpline.app import create_app
from tests.conftest import make_settings
from tests.fixtures_api import latest_code
from tests.fixtures_console import CONSOLE_PASSWORD, make_staff

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# How long a page action or navigation may take before a browser test fails. Under
# the whole suite on a shared two-core machine one POST has taken 12 s; a page that
# truly hangs still fails.
BROWSER_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def served(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        make_staff(s, "agent.asha", display_name="Asha Verma", language="en")
    yield f"http://127.0.0.1:{server.server_port}", helpline
    server.shutdown()
    helpline.engine.dispose()


@pytest.fixture
def page(browser):
    context, page = console_page(browser, 1366, 900)
    yield page
    context.close()


def login(page, base: str, username: str = "agent.asha") -> None:
    page.goto(f"{base}/console/")
    page.fill("#username", username)
    page.fill("#password", CONSOLE_PASSWORD)
    page.keyboard.press("Enter")  # keyboard only
    page.wait_for_selector("h1:has-text('Grievances')")


def console_page(browser, width: int = 1366, height: int = 860):
    """A new browser context and page at ``width`` x ``height`` px, with the tests'
    action timeout: (context, page)."""
    context = browser.new_context(locale="en-IN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    return context, page


def citizen_page(browser, lang: str, width: int):
    """A citizen's phone (390 px) or desktop browser with scripts off, in ``lang``'s
    locale, with the tests' action timeout: (context, page)."""
    context = browser.new_context(locale="hi-IN" if lang == "hi" else "en-IN",
                                  viewport={"width": width, "height": 844 if width < 500
                                            else 900}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    return context, page


def sign_in(page, base: str, username: str, lang: str | None = None) -> None:
    """Sign ``username`` in to the console and, with ``lang``, switch the console to that
    language if the account last chose the other one."""
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", CONSOLE_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#main h1")
    if lang and page.evaluate("document.documentElement.lang") != lang:
        page.click("#lang-switch")  # the account keeps the last language chosen
        page.wait_for_function(f"() => document.documentElement.lang === '{lang}'")


def fits(page) -> bool:
    """No sideways scrolling once the page has settled (fonts and polled panels load
    after the first paint; a loaded machine can catch them half-way)."""
    try:
        page.wait_for_function(
            "() => document.documentElement.scrollWidth <= window.innerWidth + 1",
            timeout=2_000)
    except PlaywrightTimeout:
        return False
    return True


def page_width(page) -> int:
    """The page's whole width in CSS pixels, once it has loaded. A click that follows a
    link returns when the new document is committed, before it has an ``html``
    element: measured then, ``document.documentElement`` is still null."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def verify_with_code(page, helpline, digits: str) -> None:
    """On a portal page's verification block: type the 10-digit mobile ``digits``, ask
    for its code, then type the code the portal texted (read from the outbox) and check
    it, as a citizen does."""
    page.fill("#mobile", digits)
    page.click("button[value=send_code]")
    enter_code(page, helpline, digits)


def enter_code(page, helpline, digits: str) -> None:
    """The second half of ``verify_with_code``: the code just texted to ``digits``,
    typed and checked."""
    with helpline.session() as session:
        code = latest_code(session, "+91" + digits)
    page.fill("#code", code)
    page.click("button[value=check_code]")
