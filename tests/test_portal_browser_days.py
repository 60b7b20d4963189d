"""The booking page's day list on a phone, in headless Chromium at 390 px and 1366 px,
in Hindi and English, scripts off, against a real server thread on PostgreSQL: four
weeks of OPD days take a few rows of small day buttons, not a screen each, and choosing
a day opens the page at that day's times instead of at its top (behind every day
again). Screenshots go to test-artifacts/days-<lang>-<width>-<step>.png."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server

from helpline.app import create_app
from tests.conftest import make_settings
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import ARTIFACTS, BROWSER_TIMEOUT_MS, page_width

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

IST = ZoneInfo("Asia/Kolkata")
WINDOW = 29  # days ahead with OPD slots, inside the 30-day booking window
HEIGHT = {390: 844, 1366: 900}


@pytest.fixture
def site(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        hospital = make_hospital(s, code="LNH", name_en="Lok Nayak Hospital",
                                 name_hi="लोक नायक अस्पताल")
        department = make_department(s, hospital, code="medicine",
                                     name_en="General Medicine", name_hi="सामान्य चिकित्सा")
        today, opd_days = dt.datetime.now(IST).date(), 0
        for ahead in range(1, WINDOW + 1):  # every day but Sunday, as in the demo data
            day = today + dt.timedelta(days=ahead)
            if day.weekday() == 6:
                continue
            for hour in (9, 10, 11, 12):
                make_slot(s, department, capacity=20, at=dt.datetime.combine(
                    day, dt.time(hour), IST).astimezone(dt.UTC))
            opd_days += 1
        where = f"/portal/book/{hospital.id}/{department.id}"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", where, opd_days
    server.shutdown()
    helpline.engine.dispose()


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_day_list_is_compact_and_a_day_opens_at_its_times(site, browser, lang, width):
    base, where, opd_days = site
    context = browser.new_context(locale="hi-IN" if lang == "hi" else "en-IN",
                                  viewport={"width": width, "height": HEIGHT[width]},
                                  java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page.goto(f"{base}{where}")
        assert page.locator("ul.days a").count() == opd_days >= 24
        # Several days a row: four weeks in at most ~10 rows of short buttons on a phone.
        days = page.locator("ul.days").bounding_box()
        first = page.locator("ul.days a >> nth=0").bounding_box()
        assert days and first
        assert first["width"] < width / 2.5, first
        assert first["height"] < 80, first
        assert days["height"] < (620 if width < 500 else 420), days
        assert page_width(page) <= width
        page.screenshot(path=str(ARTIFACTS / f"days-{lang}-{width}-1-list.png"),
                        full_page=True)

        page.click(f"ul.days a >> nth={opd_days - 4}")  # a day near the end of the list
        assert page.url.endswith("#times"), page.url
        assert page.locator("ul.days a[aria-current=date]").count() == 1
        # The chosen day's times are on screen, without scrolling.
        heading = page.locator("#times h2").bounding_box()
        first_time = page.locator("label.time >> nth=0").bounding_box()
        assert heading and first_time
        assert 0 <= heading["y"] and first_time["y"] + first_time["height"] <= HEIGHT[width], (
            heading, first_time)
        assert page.locator("#times h2").inner_text() in page.locator("main").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"days-{lang}-{width}-2-day-chosen.png"))
        page.screenshot(path=str(ARTIFACTS / f"days-{lang}-{width}-3-day-chosen-full.png"),
                        full_page=True)
    finally:
        context.close()
