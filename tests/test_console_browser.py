"""The console in headless Chromium against a real server thread: login, working a
grievance end to end, live updates, a callback claim, booking on behalf, the language
switch. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment
from contact_centre.models import CallbackRequest, CallbackStatus
from grievances.models import Grievance, GrievanceStatus
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import login, shot
from tests.fixtures_console import make_grievance, next_mobile

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]


def test_login_and_language_switch(served, page):
    base, _ = served
    page.goto(f"{base}/console/")
    assert "/console/login" in page.url
    page.fill("#username", "agent.asha")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").inner_text() == "Wrong username or password."
    login(page, base)
    shot(page, "queue-en")
    page.click("#lang-switch")
    page.wait_for_selector("h1:has-text('शिकायतें')")
    assert page.locator("html").get_attribute("lang") == "hi"
    assert page.locator("nav a", has_text="कॉल-बैक").count() == 1
    shot(page, "queue-hi")
    page.click("#lang-switch")
    page.wait_for_selector("h1:has-text('Grievances')")


def test_working_a_grievance_end_to_end(served, page):
    base, helpline = served
    with helpline.session() as s:
        hospital = make_hospital(s, name_en="Lok Nayak Hospital")
        g = make_grievance(s, hospital_id=hospital.id, language="hi",
                           description="<b>No water</b> in ward 7")
    login(page, base)
    page.click("a:has-text('Team queue')")
    page.click(f"a:has-text('{g.reference}')")
    assert page.locator("#description").inner_text() == "<b>No water</b> in ward 7"
    page.click("#form-claim button")
    page.wait_for_selector(".flash:has-text('The grievance is yours.')")
    page.fill("#note", "Called the ward sister; tanker arranged")
    page.click("#form-note button")
    page.select_option("#reply", "action")
    page.click("#form-reply button")
    page.fill("#resolution", "Water supply restored to ward 7")
    page.click("#form-resolve button")
    page.wait_for_selector("#status:has-text('Resolved')")
    page.once("dialog", lambda dialog: dialog.accept())  # "Close this grievance?"
    page.click("#form-close button")
    page.wait_for_selector("#status:has-text('Closed')")
    assert "Called the ward sister; tanker arranged" in page.locator("#events").inner_text()
    shot(page, "grievance-closed")
    with helpline.session() as s:
        done = s.get(Grievance, g.id)
        assert done.status == GrievanceStatus.CLOSED
        assert [e.kind for e in done.events] == [
            "registered", "claimed", "acknowledged", "note", "replied", "resolved", "closed"]


def test_new_grievances_and_callbacks_appear_without_reload(served, page):
    base, helpline = served
    login(page, base)
    page.click("a:has-text('Team queue')")
    page.wait_for_selector("text=Nothing here.")
    with helpline.session() as s:
        g = make_grievance(s)
        with s.begin():
            s.add(CallbackRequest(phone=next_mobile(), language="hi", reason="long_wait"))
    page.wait_for_selector(f"#queue a:has-text('{g.reference}')")
    page.wait_for_selector("#cb-count:has-text('1')")
    shot(page, "live-update")


def test_claiming_a_callback(served, page):
    base, helpline = served
    phone = next_mobile()
    with helpline.session() as s, s.begin():
        s.add(CallbackRequest(phone=phone, language="en", reason="after_hours"))
    login(page, base)
    page.click("nav a:has-text('Callbacks')")
    row = page.locator("tr[data-callback-id]")
    assert phone not in row.inner_text() and phone[-4:] in row.inner_text()
    row.locator("button:has-text('Claim')").click()
    page.wait_for_selector(".flash:has-text('The callback is yours.')")
    assert phone in page.locator(".card-item").inner_text()
    shot(page, "callback-claimed")
    with helpline.session() as s:
        cb = s.scalars(select(CallbackRequest)).one()
        assert cb.status == CallbackStatus.CLAIMED


def test_booking_on_a_callers_behalf(served, page):
    base, helpline = served
    with helpline.session() as s:
        hospital = make_hospital(s, name_en="GTB Hospital")
        department = make_department(s, hospital, name_en="Orthopaedics")
        slot = make_slot(s, department, starts_in=dt.timedelta(days=2))
    phone = next_mobile()
    login(page, base)
    page.click("nav a:has-text('Book for a caller')")
    page.fill("#booking-phone", phone[3:])
    page.select_option("#booking-hospital", str(hospital.id))
    page.click("#booking-find button")
    page.select_option("#booking-department", str(department.id))
    page.click("#booking-find button")
    page.click(".days a")
    page.fill("#patient_name", "Ravi Kumar")
    page.click("#book-form button[type=submit]")
    page.wait_for_selector(".flash:has-text('Booked. The booking number is')")
    shot(page, "booked")
    with helpline.session() as s:
        appointment = s.scalars(select(Appointment)).one()
        assert (appointment.slot_id, appointment.patient_name, appointment.channel.value) == (
            slot.id, "Ravi Kumar", "agent")
    assert page.locator(f".card-item[data-reference='{appointment.reference}']").count() == 1
