"""The reports page in Chromium, in English and Hindi, at 1366 and 390 px: charts drawn
on the server, bar names clear of their bars, no sideways scrolling, no raw codes, the
period form working without script. Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import pytest

from tests.fixtures_browser import BROWSER_TIMEOUT_MS, shot
from tests.fixtures_console import CONSOLE_PASSWORD, make_staff
from tests.report_data import DAY, make_report_day

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
WIDTHS = (1366, 390)
# Codes that must never reach a person's eyes on this page.
RAW = ("griev.category", "book.department", "pick.hospital", "medicines_unavailable",
       "no_show", "callback.offer", "{", "console.")
WORDS = {"en": ("Calls received", "Phone menus: where callers leave", "Choose a department",
                "Did not come", "Acknowledged in time", "Target 80% in 30 s"),
         "hi": ("आई कॉल", "फ़ोन मेनू: कॉल करने वाले कहाँ छोड़ते हैं", "विभाग चुनें",
                "नहीं आए", "समय पर स्वीकार हुईं", "लक्ष्य: 30 सेकंड में 80%")}


@pytest.fixture
def report_server(served):
    base, helpline = served
    with helpline.session() as s:
        make_report_day(s)
        for lang in ("en", "hi"):
            make_staff(s, f"supervisor.{lang}", role="supervisor", language=lang,
                       display_name="Meena Kapoor")
    return base


def test_reports_page_reads_in_both_languages_at_both_widths(report_server, browser):
    base = report_server
    for width in WIDTHS:
        for lang in ("en", "hi"):
            context = browser.new_context(locale="en-IN", java_script_enabled=(width == 390),
                                          viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(f"{base}/console/login")
            page.fill("#username", f"supervisor.{lang}")
            page.fill("#password", CONSOLE_PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_selector("#main h1")
            page.goto(f"{base}/console/reports?period=day&day={DAY}")
            assert page.evaluate("document.documentElement.lang") == lang
            body = page.inner_text("#main")
            for words in WORDS[lang]:
                assert words in body, (lang, words)
            assert [code for code in RAW if code in body] == []
            assert page.inner_text("#sl-figure") == "33%"
            assert "sl-missed" in page.get_attribute("#sl-figure", "class")
            # Charts are drawn by the server: present and given room with or without script.
            charts = page.locator("svg.chart")  # the calls by hour
            assert charts.count() == 1
            assert charts.first.bounding_box()["width"] > 200
            assert page.locator("svg.chart rect").count() > 24
            # By channel and by category: every name clear of its bar and count, and
            # as large as the page's own small text, at either width.
            assert page.locator("dl.hbars").count() == 2
            assert page.evaluate("""() => [...document.querySelectorAll('.hbar-row')].every(row => {
                const name = row.querySelector('.hbar-name').getBoundingClientRect();
                const bar = row.querySelector('.hbar').getBoundingClientRect();
                const size = parseFloat(getComputedStyle(row.querySelector('.hbar-name')).fontSize);
                return name.right <= bar.left + 0.5 && name.width > 0 && size >= 12;
            })"""), (width, lang)
            assert page.locator(".hbar-row").count() >= 9
            assert page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth + 1"), (width, lang)
            shot(page, f"reports-{lang}-{width}")
            # The period form is a plain GET form: a week, with no script needed.
            page.select_option("#period", "week")
            page.click("#report-form button[type=submit]")
            page.wait_for_url("**period=week**")
            assert page.inner_text("#rep-calls") == "9"
            csv = page.request.get(f"{base}/console/reports?period=day&day={DAY}"
                                   "&format=csv&table=bookings")
            assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
            assert csv.body().startswith(b"\xef\xbb\xbf")
            assert csv.body().decode("utf-8-sig").splitlines()[0] == (
                "hospital,department,booked,cancelled,visits,attended,no_shows")
            context.close()
