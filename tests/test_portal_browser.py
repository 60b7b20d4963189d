"""The portal in headless Chromium at 390 px (a cheap Android phone) and 1366 px, in
Hindi and English, against a real server thread on PostgreSQL: book with the mobile's
code, list, reschedule and cancel, register a complaint and check its status.
Screenshots go to test-artifacts/portal-<lang>-<width>-<step>.png."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.resources import update_resources
from grievances.models import Grievance
from helpline.app import create_app
from tests.conftest import make_settings
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import ARTIFACTS, citizen_page, page_width, verify_with_code

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

IST = ZoneInfo("Asia/Kolkata")
WORDS = {
    "hi": {"booked": "आपका अपॉइंटमेंट बुक हो गया है।", "moved": "आपका अपॉइंटमेंट बदल दिया गया है।",
           "cancelled": "आपका अपॉइंटमेंट रद्द हो गया है।",
           "registered": "आपकी शिकायत दर्ज हो गई है।", "status": "दर्ज",
           "bad_mobile": "10 अंकों का भारतीय मोबाइल नंबर लिखें", "stale": "पुरानी हो सकती है"},
    "en": {"booked": "Your appointment is booked.", "moved": "Your appointment has been moved.",
           "cancelled": "Your appointment is cancelled.",
           "registered": "Your complaint is registered.", "status": "Registered",
           "bad_mobile": "Enter a 10-digit Indian mobile number", "stale": "may be out of date"},
}
MOBILES = {("hi", 390): "9812345601", ("hi", 1366): "9812345602",
           ("en", 390): "9812345603", ("en", 1366): "9812345604"}


@pytest.fixture(scope="module")
def site(migrated_pg, browser):
    """The app on this run's PostgreSQL database, a hospital with figures and a week of
    OPD slots, served on a free port for the whole module."""
    from tests.conftest import _truncate_pg

    _truncate_pg(migrated_pg)
    app = create_app(make_settings(migrated_pg))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        hospital = make_hospital(s, code="LNH", name_en="Lok Nayak Hospital",
                                 name_hi="लोक नायक अस्पताल", short_en="LNJP",
                                 short_hi="एलएनजेपी", district="Central", district_hi="मध्य",
                                 address="Jawaharlal Nehru Marg, New Delhi 110002",
                                 phone="011-23232400", aliases=["LNJP", "इरविन अस्पताल"])
        make_hospital(s, code="GTB", name_en="Guru Teg Bahadur Hospital",
                      name_hi="गुरु तेग बहादुर अस्पताल", district="Shahdara",
                      district_hi="शाहदरा")
        medicine = make_department(s, hospital, code="medicine", name_en="General Medicine",
                                   name_hi="सामान्य चिकित्सा")
        make_department(s, hospital, code="eye", name_en="Ophthalmology", name_hi="नेत्र रोग")
        today = dt.datetime.now(IST).date()
        for days in range(1, 5):
            for hour in (9, 10, 11):
                start = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), IST)
                make_slot(s, medicine, at=start.astimezone(dt.UTC), capacity=20)
        now = dt.datetime.now(dt.UTC)
        update_resources(s, hospital.id, {
            "beds": {"general": {"total": 800, "occupied": 680},
                     "oxygen": {"total": 240, "occupied": 192},
                     "icu": {"total": 80, "occupied": 74}},
            "ventilators": {"total": 48, "in_use": 40},
            "staff": {"doctor": 32, "specialist": 9, "nurse": 84, "pharmacist": 4},
        }, source="test", now=now - dt.timedelta(minutes=35))
        update_resources(s, hospital.id, {
            "beds": {"ventilator": {"total": 40, "occupied": 38}},
            "medicines": [
                {"item": "Paracetamol 500 mg", "quantity": 20000, "unit": "tablets",
                 "reorder_level": 5000},
                {"item": "Insulin (regular)", "quantity": 150, "unit": "vials",
                 "reorder_level": 200},
                {"item": "Anti-rabies vaccine", "quantity": 0, "unit": "vials"},
                {"item": "ORS sachet", "quantity": 3000, "unit": "sachets",
                 "reorder_level": 1000}],
        }, source="test", now=now - dt.timedelta(hours=8))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", helpline
    server.shutdown()
    helpline.engine.dispose()


def shot(page, lang: str, width: int, step: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"portal-{lang}-{width}-{step}.png"), full_page=True)


def fits(page, width: int) -> None:
    """Nothing scrolls sideways."""
    assert page_width(page) <= width, page.url


def verify_mobile(page, helpline, mobile: str, lang: str) -> None:
    page.fill("#mobile", "12345")
    page.click("button[value=send_code]")
    assert WORDS[lang]["bad_mobile"] in page.locator("#mobile-error").inner_text()
    verify_with_code(page, helpline, mobile)
    page.wait_for_selector(".verify .ok")


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_book_list_reschedule_cancel_and_complain(site, browser, lang, width):
    base, helpline = site
    mobile = MOBILES[(lang, width)]
    # On the phone, a name with one long word (as some South Indian names are): the
    # confirmation and the list must still fit the screen.
    name = "Asha Devi" if width > 500 else "Asha Venkatanarasimharajuvaripetasubrahmanyam"
    context, page = citizen_page(browser, lang, width)
    try:
        page.goto(f"{base}/portal/")
        assert page.locator("html").get_attribute("lang") == lang
        fits(page, width)
        shot(page, lang, width, "1-home")

        # Find the hospital by its Hindi name; its figures with their age.
        page.fill("#q", "लोक नायक")
        page.click("form.search button[type=submit]")
        page.click("ul.list h2 a")
        assert WORDS[lang]["stale"] in page.locator("main").inner_text()
        fits(page, width)
        shot(page, lang, width, "2-hospital")

        # Book: hospital -> department -> day -> time -> code -> confirm.
        page.click("main a.button")
        page.click("ul.choices a >> nth=0")
        page.click("ul.days a >> nth=1")  # the second day
        page.check("input[name=slot] >> nth=1")  # its second time
        fits(page, width)
        shot(page, lang, width, "3-times")
        page.click("main form button[type=submit]")
        page.fill("#patient_name", name)
        verify_mobile(page, helpline, mobile, lang)
        assert page.input_value("#patient_name") == name
        fits(page, width)
        shot(page, lang, width, "4-review")
        page.click("button[value=book]")
        page.wait_for_selector(f".notice:has-text('{WORDS[lang]['booked']}')")
        number = page.locator("#booking-number").inner_text()
        with helpline.session() as s:
            booked = s.scalar(select(Appointment).join(Appointment.citizen).where(
                Appointment.patient_name == name,
                Appointment.citizen.has(phone="+91" + mobile)))
            assert number == f"{booked.reference[:4]} {booked.reference[4:]}"
            assert booked.slot.starts_at.astimezone(IST).hour == 10
            first_slot = booked.slot_id
        fits(page, width)
        shot(page, lang, width, "5-confirmation")

        # My appointments: listed; reschedule to another day; cancel.
        page.click("nav a[href='/portal/appointments']")
        assert page.locator("li.appt").count() == 1
        shot(page, lang, width, "6-mine")
        page.click("li.appt h2 a")
        page.click("a[href$='/reschedule']")
        page.click("ul.days a >> nth=1")  # the appointment's own day: its time is
        assert page.locator("label.time.held input[disabled]").count() == 1  # not offered
        shot(page, lang, width, "6b-move")
        page.click("ul.days a >> nth=2")
        page.check("input[name=slot] >> nth=0")
        page.click("button.primary")
        page.wait_for_selector(f".notice:has-text('{WORDS[lang]['moved']}')")
        assert page.locator("#booking-number").inner_text() == number
        shot(page, lang, width, "7-rescheduled")
        page.click("a#cancel")  # asks first: one tap never cancels
        assert page.locator("#confirm-cancel").count() == 1
        with helpline.session() as s:
            assert s.get(Appointment, booked.id).status == AppointmentStatus.BOOKED
        fits(page, width)
        shot(page, lang, width, "8a-cancel-question")
        page.click("#confirm-cancel")
        page.wait_for_selector(f".notice:has-text('{WORDS[lang]['cancelled']}')")
        with helpline.session() as s:
            held = s.get(Appointment, booked.id)
            assert held.status == AppointmentStatus.CANCELLED and held.slot_id != first_slot
        shot(page, lang, width, "8-cancelled")

        # A complaint, then its status from the status page.
        page.click("nav a[href='/portal/grievances/new']")
        page.select_option("#category", "cleanliness")
        page.select_option("#hospital", label="लोक नायक अस्पताल" if lang == "hi"
                           else "Lok Nayak Hospital")
        page.click("button[value=register]")  # already verified in this browser
        assert page.locator("#description-error").count() == 1  # no text yet
        assert page.locator("#category").input_value() == "cleanliness"
        page.fill("#description", "OPD ब्लॉक 2 के शौचालय पूरे दिन साफ़ नहीं किए गए।")
        fits(page, width)
        shot(page, lang, width, "9-complaint")
        page.click("button[value=register]")
        page.wait_for_selector(f".notice:has-text('{WORDS[lang]['registered']}')")
        reference = page.locator("#grievance-number").inner_text().replace(" ", "")
        with helpline.session() as s:
            grievance = s.scalar(select(Grievance).where(Grievance.reference == reference))
            assert grievance.citizen.phone == "+91" + mobile and grievance.channel == "portal"
        page.click("nav a[href='/portal/grievances/status']")
        page.fill("#reference", reference)
        page.fill("#mobile", mobile)
        page.click("button.primary")
        assert WORDS[lang]["status"] in page.locator(".summary").inner_text()
        fits(page, width)
        shot(page, lang, width, "10-status")
    finally:
        context.close()


def test_language_switch_is_remembered(site, browser):
    base, _ = site
    context = browser.new_context(locale="hi-IN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{base}/portal/book")
        assert page.locator("html").get_attribute("lang") == "hi"
        page.click("a.lang")
        assert page.url.endswith("/portal/book")
        assert page.locator("html").get_attribute("lang") == "en"
        page.goto(f"{base}/portal/grievances/status")
        assert page.locator("h1").inner_text() == "Complaint status"
    finally:
        context.close()
