"""The issue's "done when", in a real browser and on the phone line: an administrator
onboards a hospital with two departments and a weekly schedule from the console alone,
and a caller books it a minute later. Also the master-data forms in both languages at
1366 and 390 px (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from booking_core.appointments import Appointment
from booking_core.hospitals import Hospital
from booking_core.master_data import Editor
from booking_core.opd_calendar import (
    ClosureInput,
    HolidayInput,
    SessionInput,
    SlotHorizon,
    add_holiday,
    close_opd,
    save_schedule,
)
from helpline.app import create_app
from ivr.directory import Directory
from ivr.flow import DIRECTORY
from tests.conftest import make_settings
from tests.factories import IST, make_department, make_hospital, make_slot
from tests.fixtures_browser import console_page, fits, shot, sign_in
from tests.fixtures_console import make_staff
from tests.fixtures_ivr import Phone

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
WIDTHS = (1366, 390)


class Clock:
    """The web process's monotonic clock, moved on by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def onboarding(pg_database_url):
    """A served app whose phone directory keeps the default 60-second TTL on a clock the
    test moves; one hospital already on the line, and an administrator."""
    app = create_app(make_settings(pg_database_url, agent_hours="00:00-00:00"))
    helpline = app.extensions["helpline"]
    clock = Clock()
    assert helpline.settings.ivr_directory_ttl_seconds == 60
    app.extensions[DIRECTORY] = Directory(helpline.sessions, 60, clock=clock)
    with helpline.session() as s:
        make_staff(s, "admin.one", role="admin", display_name="Helpline Admin", language="en")
        lnh = make_hospital(s, code="LNH", name_en="Lok Nayak Hospital",
                            name_hi="लोक नायक अस्पताल", short_en="Lok Nayak Hospital",
                            short_hi="लोक नायक अस्पताल")
        make_slot(s, make_department(s, lnh), starts_in=dt.timedelta(days=2))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, clock
    server.shutdown()
    helpline.engine.dispose()


def add_department(page, code: str, en: str, hi: str, aliases_en: str, aliases_hi: str):
    page.fill("#d-code", code)
    page.fill("#d-name_en", en)
    page.fill("#d-name_hi", hi)
    page.fill("#d-aliases_en", aliases_en)
    page.fill("#d-aliases_hi", aliases_hi)
    page.click("#department-form button[type=submit]")
    page.wait_for_selector("#schedule-form")


def set_weekly_schedule(page) -> None:
    """Monday to Saturday, 09:00-13:00, hourly slots of 12 with 2 kept for the counter."""
    for weekday in range(6):
        row = page.locator(f"tr[data-weekday='{weekday}']")
        row.locator("input[type=checkbox]").check()
        row.locator("input[name^=capacity]").fill("12")
        row.locator("input[name^=counter_seats]").fill("2")
    page.click("#schedule-form button[type=submit]")
    page.wait_for_selector(".flash.info")


def test_a_hospital_onboarded_in_the_console_is_booked_by_phone_a_minute_later(
        onboarding, browser):
    base, app, clock = onboarding
    helpline = app.extensions["helpline"]
    caller = Phone(app.test_client(), caller="+919812300001")
    caller.call()
    caller.press("2")
    caller.press("1")
    assert "Lok Nayak Hospital" in caller.said  # the directory is read and kept now

    context, page = console_page(browser, 1366, 900)
    sign_in(page, base, "admin.one")
    page.click("text=Hospitals and OPDs")
    page.click("#add-hospital")
    page.fill("#f-code", "SGM")
    page.fill("#f-name_en", "Sanjay Gandhi Memorial Hospital")
    page.fill("#f-name_hi", "संजय गांधी मेमोरियल अस्पताल")
    page.fill("#f-short_en", "Sanjay Gandhi Hospital")
    page.fill("#f-short_hi", "संजय गांधी अस्पताल")
    page.select_option("#f-district", "North West")
    page.fill("#f-address", "Mangolpuri, Delhi 110083")
    page.fill("#f-phone", "011-2792")  # too short for a Delhi number
    page.fill("#f-aliases_en", "SGM\nMangolpuri")
    page.fill("#f-aliases_hi", "संजय गांधी\nमंगोलपुरी")
    page.click("#hospital-form button[type=submit]")
    page.wait_for_selector("#form-refused")
    assert page.inner_text("#err-phone") == "This is not a valid Indian phone number."
    assert page.input_value("#f-address") == "Mangolpuri, Delhi 110083"  # nothing retyped
    shot(page, "md-onboard-refused-en-1366")
    page.fill("#f-phone", "011-27922843")
    page.click("#hospital-form button[type=submit]")
    page.wait_for_selector("#add-department")
    assert "Saved Sanjay Gandhi Hospital." in page.inner_text(".flash")

    add_department(page, "medicine", "General Medicine", "सामान्य चिकित्सा",
                   "medicine\nfever", "बुखार\nमेडिसिन")
    set_weekly_schedule(page)
    page.click("text=Sanjay Gandhi Memorial Hospital")  # back to the hospital
    page.wait_for_selector("#add-department")
    page.click("#add-department summary")
    add_department(page, "ortho", "Orthopaedics", "हड्डी रोग", "bone\northo", "हड्डी")
    set_weekly_schedule(page)
    shot(page, "md-onboard-schedule-en-1366")
    page.click("text=Sanjay Gandhi Memorial Hospital")
    page.wait_for_selector("#md-departments")
    table = page.inner_text("#md-departments")
    # The schedule's hours as every range is written (``format_time_range``).
    assert "General Medicine" in table and "Orthopaedics" in table
    assert "Sat 9:00 am – 1:00 pm" in table, table
    shot(page, "md-onboard-hospital-en-1366")
    context.close()

    clock.now += 61  # a minute later, by the directory's own clock
    caller = Phone(app.test_client(), caller="+919812300002")
    caller.call()
    caller.press("2")  # English
    caller.press("1")  # book
    caller.speak("Sanjay Gandhi")
    assert "Sanjay Gandhi Hospital" in caller.said and "Orthopaedics" in caller.said
    caller.speak("हड्डी")
    assert "Choose a day" in caller.said
    caller.press("1")
    assert "Choose a time" in caller.said
    caller.press("1")
    assert "Please check: Sanjay Gandhi Hospital, Orthopaedics" in caller.said
    caller.press("1")
    assert "is booked" in caller.said
    reference = re.search(r"(\d \d \d \d, \d \d \d \d)", caller.said).group(1)
    with helpline.session() as s:
        appointment = s.scalars(select(Appointment).where(
            Appointment.reference == reference.replace(" ", "").replace(",", ""))).one()
        hospital = s.get(Hospital, appointment.hospital_id)
        assert (hospital.code, appointment.department.code) == ("SGM", "ortho")
        assert appointment.slot.capacity == 10  # 12 a slot, 2 kept for the counter


@pytest.fixture
def master_data_world(onboarding):
    """Lok Nayak with a weekly schedule, a closure and a holiday, each made through the
    services, so the pages and the change log have something to show."""
    base, app, clock = onboarding
    admin = Editor("admin.one", "admin")
    horizon = SlotHorizon(days=14)
    in_a_week = (dt.datetime.now(IST) + dt.timedelta(days=7)).date().isoformat()
    with app.extensions["helpline"].session() as s:
        hospital = s.scalars(select(Hospital).where(Hospital.code == "LNH")).one()
        hospital_id, department_id = hospital.id, hospital.departments[0].id
        make_staff(s, "staff.lnh", display_name="Ravi Kumar", language="hi",
                   hospital_id=hospital_id)
        save_schedule(s, department_id, [SessionInput(str(d), "09:00", "13:00", "60", "15", "3")
                                         for d in range(6)], editor=admin, horizon=horizon)
        close_opd(s, hospital_id, ClosureInput(in_a_week, str(department_id),
                                               "Doctors' training", "डॉक्टरों का प्रशिक्षण"),
                  editor=admin, horizon=horizon)
        add_holiday(s, HolidayInput("2027-01-26", "Republic Day", "गणतंत्र दिवस"),
                    editor=admin, horizon=horizon)
    return base, hospital_id, department_id


def test_master_data_forms_fit_and_speak_both_languages(master_data_world, browser):
    base, hospital_id, department_id = master_data_world
    pages = {
        "hospitals": "/console/admin/hospitals", "new": "/console/admin/hospitals/new",
        "hospital": f"/console/admin/hospitals/{hospital_id}",
        "department": f"/console/admin/departments/{department_id}",
        "holidays": "/console/admin/holidays", "audit": "/console/admin/audit",
    }
    refusals = {"en": "Write this in Devanagari (Hindi).", "hi": "इसे देवनागरी (हिन्दी) में लिखें।"}
    for width in WIDTHS:
        for lang in ("en", "hi"):
            context, page = console_page(browser, width)
            sign_in(page, base, "admin.one", lang)
            wide = []
            for name, path in pages.items():
                page.goto(base + path)
                page.wait_for_selector("#main h1")
                if not fits(page):
                    wide.append(name)
                body = page.inner_text("body")
                for code in ("government", "opd_closed", "console.", "{"):
                    assert code not in body, (name, code)
                shot(page, f"md-{name}-{lang}-{width}")
            # A refused schedule: the row at fault says why, in the page's language.
            page.goto(base + pages["department"])
            row = page.locator("tr[data-weekday='2']")
            row.locator("input[type=checkbox]").check()
            row.locator("input[name^=capacity]").fill("9999")
            page.click("#schedule-form button[type=submit]")
            page.wait_for_selector("#form-refused")
            assert page.locator("tr[data-weekday='2'] .invalid-feedback").inner_text() == {
                "en": "Enter a whole number in the allowed range.",
                "hi": "तय सीमा के अंदर पूरी संख्या लिखें।"}[lang]
            if not fits(page):
                wide.append("schedule-refused")
            shot(page, f"md-schedule-refused-{lang}-{width}")
            page.goto(base + pages["new"])
            page.fill("#f-short_hi", "Lok Nayak")
            page.click("#hospital-form button[type=submit]")
            page.wait_for_selector("#form-refused")
            assert page.inner_text("#err-short_hi") == refusals[lang]
            shot(page, f"md-new-refused-{lang}-{width}")
            assert wide == [], (width, lang)
            context.close()


def test_hospital_staff_see_their_own_hospital_in_hindi(master_data_world, browser):
    base, hospital_id, _ = master_data_world
    context, page = console_page(browser, 390)
    sign_in(page, base, "staff.lnh")
    page.click("button.navbar-toggler")
    page.wait_for_selector("#sections.show")
    page.click("#sections >> text=अस्पताल और ओपीडी")
    page.wait_for_selector("#md-departments")
    assert page.url.endswith(f"/console/admin/hospitals/{hospital_id}")
    assert page.locator("#edit-hospital").count() == 0  # hospitals are for administrators
    assert "लोक नायक अस्पताल" in page.inner_text("#main h1")
    shot(page, "md-staff-hospital-hi-390")
    context.close()
