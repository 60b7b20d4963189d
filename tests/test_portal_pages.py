"""The portal without JavaScript: every form posts and renders through the Flask test
client (as a browser with scripts off would), in Hindi and English; bad input is
answered on the page in the citizen's language with what they typed kept; CSRF, the
sealed short-lived verified-mobile cookie and the one-time code limits hold."""

from __future__ import annotations

import datetime as dt
import html
import re
import time

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.outbox import OutboxMessage
from booking_core.resources import update_resources
from grievances.models import Grievance, GrievanceStatus
from helpline.app import create_app
from portal_api.auth import issue_verification_token
from tests.conftest import make_settings
from tests.factories import make_slot
from tests.fixtures_api import latest_code, reading

PHONE, E164 = "98123 45678", "+919812345678"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Portal:
    """A browser without JavaScript: follows links, fills forms, keeps cookies."""

    def __init__(self, client, session) -> None:
        self.client = client
        self.session = session
        self.page = ""
        self.status = 0

    def get(self, path: str, **kw) -> str:
        answer = self.client.get(path, follow_redirects=True, **kw)
        self.status, self.page = answer.status_code, answer.get_data(as_text=True)
        return self.page

    def post(self, path: str, data: dict[str, str], follow: bool = True) -> str:
        found = CSRF.search(self.page)
        assert found, "the page has no form with a CSRF token"
        answer = self.client.post(path, data={"csrf_token": found.group(1), **data},
                                  follow_redirects=follow)
        self.status, self.page = answer.status_code, answer.get_data(as_text=True)
        self.location = answer.headers.get("Location", "")
        self.redirects = [r.status_code for r in answer.history]
        self.shown_by = answer.request.method  # what the page shown answered
        return self.page

    @property
    def refused(self) -> bool:
        """The form was refused the Post/Redirect/Get way: a 303 to its GET page, which
        shows it again (200), so the history holds no POST."""
        return self.redirects == [303] and self.shown_by == "GET" and self.status == 200

    def choose(self, lang: str) -> None:
        """The language switch in the header, as a citizen uses it."""
        self.client.get(f"/portal/lang/{lang}")

    def text(self) -> str:
        """The page's words, without tags."""
        return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.page)))

    def verify(self, path: str, extra: dict[str, str] | None = None) -> None:
        """The verification block on the form at ``path`` (already loaded)."""
        self.post(path, {**(extra or {}), "mobile": PHONE, "step": "send_code"})
        assert self.status == 200, self.text()
        code = latest_code(self.session, E164)
        self.post(path, {**(extra or {}), "mobile": PHONE, "code": code, "step": "check_code"})
        assert self.status == 200, self.text()


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def slot_choices(page: str) -> list[str]:
    """The times a citizen can choose (a disabled one is shown, not offered)."""
    return re.findall(r'name="slot" value="(\d+)"(?! disabled)', page)


def test_the_front_page_links_the_portal(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/portal/"' in page


def test_language_follows_the_browser_then_the_choice_and_is_remembered(portal, catalogue):
    assert "अस्पताल खोजें" in portal.get("/portal/")  # no preference: Hindi
    assert 'lang="hi"' in portal.page
    english = portal.get("/portal/", headers={"Accept-Language": "en-IN,en;q=0.9"})
    assert "Find a hospital" in english and 'lang="en"' in english
    answer = portal.client.get("/portal/lang/en?next=/portal/book%3Fq%3Dlok")
    assert answer.status_code == 303 and answer.headers["Location"] == "/portal/book?q=lok"
    assert "Max-Age=31536000" in answer.headers["Set-Cookie"]
    assert "Choose a department" not in portal.get("/portal/book")
    assert "Book an OPD appointment" in portal.page
    assert 'lang="en"' in portal.get("/portal/hospitals")  # remembered on every page
    # Never a redirect off the portal.
    off = portal.client.get("/portal/lang/hi?next=https://evil.example/")
    assert off.headers["Location"] == "/portal/"
    assert 'lang="hi"' in portal.get("/portal/")


@pytest.mark.parametrize("query", ["lok nayak", "LNH", "लोक नायक", "नायक", "Lok"])
def test_find_a_hospital_by_name_in_either_script(portal, catalogue, query):
    portal.get(f"/portal/hospitals?q={query}")
    assert "लोक नायक अस्पताल" in portal.page
    assert "गुरु तेग बहादुर" not in portal.page


def test_find_hospitals_by_district_in_either_script(portal, catalogue):
    for district in ("Shahdara", "शाहदरा"):
        portal.get(f"/portal/hospitals?district={district}")
        assert "गुरु तेग बहादुर अस्पताल" in portal.page and "लोक नायक अस्पताल" not in portal.page
    portal.get("/portal/hospitals?q=xyz-no-such", headers={"Accept-Language": "en"})
    assert "No hospital matches" in portal.text()


def test_a_hospitals_page_shows_each_figure_with_its_age_and_stale_mark(
        portal, session, catalogue, now):
    hospital = catalogue.hospital
    update_resources(session, hospital.id, {
        "beds": {"icu": {"total": 10, "occupied": 7}},
        "ventilators": {"total": 8, "in_use": 5},
        "medicines": [{"item": "Insulin", "quantity": 12, "unit": "vials", "reorder_level": 20},
                      {"item": "ORS", "quantity": 0, "unit": "sachets"},
                      {"item": "Paracetamol", "quantity": 900, "unit": "tablets"}],
    }, source="test", now=now - dt.timedelta(hours=9))
    update_resources(session, hospital.id, {"staff": {"doctor": 12, "nurse": 40}},
                     source="test", now=now - dt.timedelta(minutes=25))
    portal.get(f"/portal/hospitals/{hospital.id}", headers={"Accept-Language": "en"})
    text = portal.text()
    assert "ICU 3 of 10 updated 9 hours ago may be out of date" in text
    assert "3 available out of 8 · updated 9 hours ago may be out of date" in text
    assert "Doctors 12 updated 25 minutes ago" in text
    assert "Doctors 12 updated 25 minutes ago may be" not in text  # fresh: no mark
    assert "Insulin Running low" in text and "ORS Out of stock" in text
    assert "Paracetamol In stock" in text and "900" not in text  # no raw quantities
    assert "Pharmacists" not in text  # roles never reported are not invented
    portal.get(f"/portal/hospitals/{hospital.id}")
    hindi = portal.text()
    # No gender to agree with: beds, doctors and ICU alike («अपडेट हुई» was said of all).
    assert "आईसीयू 3 कुल 10 में से अपडेट: 9 घंटे पहले पुरानी हो सकती है" in hindi
    assert "इंसुलिन" not in hindi and "Insulin कम बची है" in hindi  # names as the hospital wrote
    assert portal.get("/portal/hospitals/999999") and portal.status == 404


def test_book_verify_and_confirm_without_javascript(portal, session, catalogue):
    hospital, department = catalogue.hospital, catalogue.department
    portal.choose("en")
    portal.get("/portal/book?q=lok")
    assert f'href="/portal/book/{hospital.id}"' in portal.page
    portal.get(f"/portal/book/{hospital.id}")
    assert f'href="/portal/book/{hospital.id}/{department.id}"' in portal.page
    portal.get(f"/portal/book/{hospital.id}/{department.id}")
    slots = slot_choices(portal.page)
    assert slots == [str(catalogue.slot.id)]  # the first free day's times
    day = catalogue.later_slot.local_day.isoformat()
    portal.get(f"/portal/book/{hospital.id}/{department.id}?day={day}")
    assert slot_choices(portal.page) == [str(catalogue.later_slot.id)]
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    portal.get(review)
    assert "Confirm booking" not in portal.page  # not before the mobile is verified
    portal.verify("/portal/book/review", {"slot": str(catalogue.slot.id),
                                          "patient_name": "Asha Devi"})
    assert "Mobile +91******5678 verified." in portal.text()
    assert 'value="Asha Devi"' in portal.page  # the name typed before verifying stays
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id),
                                        "patient_name": "Asha Devi", "step": "book"},
                follow=False)
    assert portal.status == 303
    with reading(session):
        booked = session.scalar(select(Appointment))
        assert booked.channel == Channel.PORTAL and booked.citizen.phone == E164
        assert booked.patient_name == "Asha Devi" and booked.language == "en"
        sms = session.scalar(select(OutboxMessage).where(
            OutboxMessage.template == "appointment_confirmation"))
        assert sms.to_phone == E164 and booked.reference in sms.body
        reference, token = booked.reference, booked.token
    assert portal.location == f"/portal/appointments/{reference}"  # "booked" in no URL
    portal.get(portal.location)
    text = portal.text()
    assert "Your appointment is booked." in text
    assert f"{reference[:4]} {reference[4:]}" in text and f"Token {token}" in text
    assert "Lok Nayak Hospital" in text and "Orthopaedics" in text
    assert "A photo ID, such as an Aadhaar card." in text
    assert E164 not in portal.page and PHONE not in portal.page


def test_bad_input_is_answered_on_the_page_in_hindi_and_nothing_typed_is_lost(
        portal, session, catalogue):
    complaint = "ओपीडी में तीन घंटे इंतज़ार कराया गया, कोई जवाब नहीं मिला।\n" * 3
    portal.get("/portal/grievances/new")
    form = {"category": "appointment_opd", "hospital": str(catalogue.hospital.id),
            "description": complaint}
    portal.post("/portal/grievances/new", {**form, "mobile": "12345", "step": "send_code"})
    assert portal.refused
    assert "10 अंकों का भारतीय मोबाइल नंबर लिखें" in portal.text()
    assert html.escape(complaint, quote=False) in portal.page
    assert 'value="12345"' in portal.page  # the mobile as typed, to correct it
    assert f'<option value="{catalogue.hospital.id}" selected>' in portal.page
    assert '<option value="appointment_opd" selected>' in portal.page
    portal.post("/portal/grievances/new", {**form, "mobile": PHONE, "step": "send_code"})
    portal.post("/portal/grievances/new", {**form, "mobile": PHONE, "code": "000000",
                                           "step": "check_code"})
    if latest_code(session, E164) == "000000":  # one in a million
        pytest.skip("the random code was 000000")
    assert portal.refused and "यह कोड सही नहीं है। बाक़ी कोशिशें: 4।" in portal.text()
    assert html.escape(complaint, quote=False) in portal.page
    portal.post("/portal/grievances/new", {**form, "mobile": PHONE,
                                           "code": latest_code(session, E164),
                                           "step": "check_code"})
    assert "मोबाइल +91******5678 की पुष्टि हो गई।" in portal.text()
    # Submitted without a category: the rest stays.
    portal.post("/portal/grievances/new", {**form, "category": "", "step": "register"})
    assert portal.refused and "कृपया चुनें कि शिकायत किस बारे में है।" in portal.text()
    assert html.escape(complaint, quote=False) in portal.page
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_register_a_grievance_and_see_its_status(portal, session, catalogue):
    portal.choose("en")
    portal.get("/portal/grievances/new")
    form = {"category": "cleanliness", "hospital": str(catalogue.hospital.id),
            "description": "Toilets near OPD block 2 not cleaned all day."}
    portal.verify("/portal/grievances/new", form)
    portal.post("/portal/grievances/new", {**form, "step": "register"})
    assert "Your complaint is registered." in portal.text()
    with reading(session):
        grievance = session.scalar(select(Grievance))
        assert grievance.channel == "portal" and grievance.citizen.phone == E164
        assert grievance.hospital_id == catalogue.hospital.id
        reference = grievance.reference
        sms = session.scalars(select(OutboxMessage).where(OutboxMessage.to_phone == E164)
                              .order_by(OutboxMessage.id.desc())).first()
        assert reference in sms.body
    assert f"{reference[:4]} {reference[4:]}" in portal.text()
    assert "Cleanliness" in portal.text() and "Lok Nayak Hospital" in portal.text()
    # Opened again later (a bookmark, the SMS's link): its status, not "just registered".
    portal.get(f"/portal/grievances/{reference}")
    assert portal.status == 200 and reference[:4] in portal.text()
    assert "Your complaint is registered." not in portal.text()
    # From another browser, by number and mobile.
    other = Portal(portal.client.application.test_client(), session)
    other.choose("en")
    other.get("/portal/grievances/status")
    wrong = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    other.post("/portal/grievances/status", {"reference": wrong, "mobile": PHONE})
    assert other.refused and "one of them seems wrong" in other.text()
    assert f'value="{wrong}"' in other.page
    other.post("/portal/grievances/status", {"reference": reference, "mobile": "9812300001"})
    assert other.refused and "We found no complaint" in other.text()
    other.post("/portal/grievances/status", {"reference": f"{reference[:4]} {reference[4:]}",
                                             "mobile": PHONE})
    assert other.status == 200 and "Registered" in other.text()
    with reading(session):
        session.get(Grievance, grievance.id).status = GrievanceStatus.IN_PROGRESS
    other.get("/portal/grievances/status")
    other.post("/portal/grievances/status", {"reference": reference, "mobile": PHONE})
    assert "Being worked on" in other.text() and "An officer is working on it." in other.text()


def listed(page: str) -> list[str]:
    """Booking numbers linked from a list, in order."""
    return list(dict.fromkeys(re.findall(r'href="/portal/appointments/(\d{8})"', page)))


def _booked(session, slot, phone=E164) -> Appointment:
    from booking_core.appointments import book_appointment

    return book_appointment(session, slot_id=slot.id, phone=phone, channel=Channel.IVR,
                            language="en")


def test_my_appointments_list_reschedule_and_cancel(portal, session, catalogue):
    first = _booked(session, catalogue.slot)
    other_dep = make_slot(session, catalogue.other_department, starts_in=dt.timedelta(days=1))
    sooner = _booked(session, other_dep)
    _booked(session, catalogue.later_slot, phone="+919812300001")  # someone else's
    portal.choose("en")
    portal.get("/portal/appointments")
    assert "Verify your mobile number to see" in portal.text()
    portal.verify("/portal/appointments")
    assert listed(portal.page) == [sooner.reference, first.reference]  # soonest first, mine only
    portal.get(f"/portal/appointments/{first.reference}")
    portal.get(f"/portal/appointments/{first.reference}/reschedule")
    # Its own day has no other time: the page opens on the next day with times.
    assert slot_choices(portal.page) == [str(catalogue.later_slot.id)]
    portal.get(f"/portal/appointments/{first.reference}/reschedule"
               f"?day={catalogue.slot.local_day.isoformat()}")
    # Its own time is shown as the time held now, not offered as a new one (choosing
    # it said "moved" and changed nothing).
    assert slot_choices(portal.page) == []
    assert re.search(rf'value="{catalogue.slot.id}" disabled>\s*<span><strong[^>]*>[^<]+'
                     r'</strong><small>Your time now</small>', portal.page)
    portal.get(f"/portal/appointments/{first.reference}/reschedule"
               f"?day={catalogue.later_slot.local_day.isoformat()}")
    portal.post(f"/portal/appointments/{first.reference}/reschedule",
                {"slot": str(catalogue.later_slot.id)})
    assert "Your appointment has been moved." in portal.text()
    with reading(session):
        moved = session.get(Appointment, first.id)
        assert moved.slot_id == catalogue.later_slot.id and moved.reference == first.reference
    portal.get(f"/portal/appointments/{first.reference}/cancel")  # asks first
    portal.post(f"/portal/appointments/{first.reference}/cancel", {"confirm": "yes"})
    assert "Your appointment is cancelled." in portal.text()
    assert "Cancel this appointment" not in portal.page
    with reading(session):
        assert session.get(Appointment, first.id).status == AppointmentStatus.CANCELLED
        cancelled_sms = session.scalar(select(OutboxMessage).where(
            OutboxMessage.appointment_id == first.id,
            OutboxMessage.template == "appointment_cancelled"))
        assert cancelled_sms.to_phone == E164
    portal.get("/portal/appointments")
    assert listed(portal.page) == [sooner.reference]
    # Someone else's booking number shows nothing of it.
    theirs = session.scalar(select(Appointment.reference).where(
        Appointment.id != first.id, Appointment.id != sooner.id))
    session.commit()
    portal.get(f"/portal/appointments/{theirs}")
    assert portal.status == 404


def test_a_reschedule_without_a_time_keeps_the_page(portal, session, catalogue):
    held = _booked(session, catalogue.slot)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(f"/portal/appointments/{held.reference}/reschedule")
    portal.post(f"/portal/appointments/{held.reference}/reschedule", {"slot": ""})
    assert portal.refused and "कृपया समय चुनें।" in portal.text()


def test_a_form_without_its_csrf_token_changes_nothing(client, session, catalogue):
    client.get("/portal/grievances/new")
    answer = client.post("/portal/grievances/new", data={
        "mobile": PHONE, "step": "send_code", "category": "other", "description": "x"})
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    # Nothing was sent, and the form comes back as typed (test_portal_form_expired).
    assert "इसलिए कुछ नहीं भेजा गया" in answer.get_data(as_text=True)
    forged = client.post("/portal/grievances/new", data={
        "csrf_token": "A" * 43, "mobile": PHONE, "step": "send_code"})
    assert forged.status_code == 400
    with reading(session):
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_verified_mobile_cookie_is_sealed_short_lived_and_private(portal, app, catalogue):
    portal.get("/portal/appointments")
    portal.post("/portal/appointments", {"mobile": PHONE, "step": "send_code"})
    answer = portal.client.post("/portal/appointments", data={
        "csrf_token": CSRF.search(portal.page).group(1), "mobile": PHONE,
        "code": latest_code(portal.session, E164), "step": "check_code"})
    cookie = next(c for c in answer.headers.getlist("Set-Cookie")
                  if c.startswith("portal_mobile="))
    for attribute in ("Max-Age=900", "HttpOnly", "SameSite=Lax", "Path=/portal"):
        assert attribute in cookie
    assert "98123" not in cookie and "5678" not in cookie.split(";")[0][-12:]
    # Another key's token, or a damaged one, proves nothing.
    fresh = app.test_client()
    fresh.set_cookie("portal_mobile", issue_verification_token("other-key", PHONE),
                     path="/portal")
    assert "Verify your mobile" in fresh.get(
        "/portal/appointments", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # 15 minutes after the code, the page asks again and says why.
    old = issue_verification_token(app.config["SECRET_KEY"], PHONE, now=time.time() - 16 * 60)
    fresh.set_cookie("portal_mobile", old, path="/portal")
    page = fresh.get("/portal/appointments", headers={"Accept-Language": "en"})
    assert "Your verification has ended after 15 minutes" in page.get_data(as_text=True)


def test_one_time_codes_are_rate_limited_as_for_the_api(database_url, catalogue):
    app = create_app(make_settings(database_url, otp_per_number_per_hour=2))
    try:
        with app.extensions["helpline"].session() as session:
            portal = Portal(app.test_client(), session)
            portal.choose("en")
            portal.get("/portal/appointments")
            for _ in range(2):
                portal.post("/portal/appointments", {"mobile": PHONE, "step": "send_code"})
                assert portal.status == 200
            portal.post("/portal/appointments", {"mobile": PHONE, "step": "send_code"})
            assert portal.refused
            assert re.search(r"Too many codes for this number. Please try again in "
                             r"(60|59) minutes.", portal.text())
    finally:
        app.extensions["helpline"].engine.dispose()


def test_pages_work_with_unknown_or_damaged_addresses(portal, catalogue):
    for path in ("/portal/no/such/page", "/portal/book/999999", "/portal/hospitals/0",
                 f"/portal/book/{catalogue.hospital.id}/999999",
                 "/portal/appointments/12345678", "/portal/grievances/abc"):
        portal.get(path)
        assert portal.status in (400, 404) or 'name="mobile"' in portal.page, path
        assert 'lang="hi"' in portal.page, path
    portal.get(f"/portal/book/{catalogue.hospital.id}/{catalogue.department.id}?day=2001-01-01")
    assert portal.status == 200 and "वह दिन बीत चुका है" in portal.text()
    assert slot_choices(portal.page) == [str(catalogue.slot.id)]
    portal.get(f"/portal/book/{catalogue.hospital.id}/{catalogue.department.id}?day=nonsense")
    assert "यह दिन सही नहीं है" in portal.text()


def test_a_complaint_sent_after_the_verification_ran_out_is_kept(app, session, catalogue):
    client = app.test_client()
    old = issue_verification_token(app.config["SECRET_KEY"], PHONE, now=time.time() - 20 * 60)
    client.set_cookie("portal_mobile", old, path="/portal")
    portal = Portal(client, session)
    portal.choose("en")
    portal.get("/portal/grievances/new")
    text = "The pharmacy counter was closed at 11 am although the board says 9 to 4. " * 20
    portal.post("/portal/grievances/new", {"category": "medicines_unavailable",
                                           "hospital": "", "description": text,
                                           "step": "register"})
    assert portal.refused
    assert "Your verification has ended after 15 minutes" in portal.text()
    assert "Verify your mobile number first." in portal.text()
    assert html.escape(text, quote=False) in portal.page
    assert '<option value="medicines_unavailable" selected>' in portal.page
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Grievance)) == 0
    portal.verify("/portal/grievances/new", {"category": "medicines_unavailable",
                                             "description": text})
    portal.post("/portal/grievances/new", {"category": "medicines_unavailable",
                                           "description": text, "step": "register"})
    assert "Your complaint is registered." in portal.text()
    with reading(session):
        assert session.scalar(select(Grievance.description)) == text.strip()


def test_every_page_gives_the_configured_ambulance_number(database_url):
    app = create_app(make_settings(database_url, ambulance_number="112"))
    try:
        client = app.test_client()
        for path in ("/portal/", "/portal/no/such/page"):
            page = client.get(path).get_data(as_text=True)
            assert "एम्बुलेंस के लिए 112 पर कॉल करें।" in page, path
    finally:
        app.extensions["helpline"].engine.dispose()


def test_after_the_code_the_form_asks_for_no_other_and_the_last_try_says_so(
        portal, session, catalogue):
    """Once the mobile is verified the block says so and offers no code boxes (pressing
    "Verify" again with nothing typed made the Confirm button vanish); the fifth wrong
    code says the code is used up, not just "not right"."""
    portal.get("/portal/grievances/new")
    form = {"category": "other", "description": "The water cooler is broken."}
    portal.post("/portal/grievances/new", {**form, "mobile": PHONE, "step": "send_code"})
    right = latest_code(session, E164)
    wrong = "000001" if right != "000001" else "000002"
    said = []
    for _ in range(5):
        portal.post("/portal/grievances/new", {**form, "mobile": PHONE, "code": wrong,
                                               "step": "check_code"})
        said.append(portal.text())
    assert "Tries left: 1" in said[3] or "बाक़ी कोशिशें: 1" in said[3]
    last = said[4]
    assert "बाक़ी कोशिशें" not in last and "Tries left" not in last
    assert "नया कोड" in last or "new code" in last, last
    portal.post("/portal/grievances/new", {**form, "mobile": PHONE, "step": "send_code"})
    portal.post("/portal/grievances/new", {**form, "mobile": PHONE,
                                           "code": latest_code(session, E164),
                                           "step": "check_code"})
    assert portal.status == 200
    assert 'name="code"' not in portal.page and 'value="send_code"' not in portal.page
    assert 'value="register"' in portal.page  # the complaint can be sent
    portal.get("/portal/grievances/new")  # later, the same verified browser
    assert 'name="code"' not in portal.page and 'value="register"' in portal.page


def test_a_time_that_has_passed_is_refused_before_any_code_is_asked(portal, session, catalogue):
    """Opening (or posting) the read-back of a slot whose time has passed says so at once
    and offers another time; it used to ask for the SMS code first."""
    import datetime as dt

    from booking_core.slots import Slot
    from locales import render as i18n_text
    from tests.factories import make_slot

    past = make_slot(session, catalogue.department, starts_in=-dt.timedelta(hours=2),
                     capacity=3)
    session.commit()
    portal.get(f"/portal/book/review?slot={past.id}")
    assert portal.status == 422  # a GET of a time gone: the page itself says so
    assert i18n_text("hi", "portal.err.slot_unavailable") in portal.text()
    assert 'name="mobile"' not in portal.page and 'value="book"' not in portal.page
    assert "/portal/book/" in portal.page  # the way to another time
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    assert portal.status == 200 and 'name="mobile"' in portal.page
    with reading(session):
        assert session.get(Slot, past.id).booked == 0


def test_the_status_form_names_each_missing_or_wrong_field(portal, catalogue):
    portal.get("/portal/grievances/status")
    portal.post("/portal/grievances/status", {"reference": "", "mobile": ""})
    assert portal.refused
    text = portal.text()
    assert "Enter the complaint number from your SMS." in text or \
        "अपने एसएमएस से शिकायत नंबर लिखें।" in text
    assert "98123 45678" in text  # the mobile's own message, with an example
    portal.post("/portal/grievances/status", {"reference": "abc", "mobile": "abc"})
    assert portal.refused and "98123 45678" in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_booking_number_in_the_address_that_is_not_this_mobiles_says_so(
        client, session, lang):
    """A bookmark, a mistyped or someone else's number in /portal/appointments/<number>:
    the sentence for a booking number (not "no such page" or "we could not understand
    this request"), never the other mobile's booking."""
    from booking_core.refs import RefKind, new_reference
    from portal_api.auth import issue_verification_token
    from tests.factories import make_department, make_hospital, make_slot
    from tests.opd_factories import book

    theirs = book(session, make_slot(session, make_department(session, make_hospital(session))),
                  phone="+919812300077")
    session.commit()
    client.get(f"/portal/lang/{lang}")
    client.set_cookie("portal_mobile", issue_verification_token(
        client.application.config["SECRET_KEY"], E164), path="/portal")
    words = {"en": ("We found no booking with that number for this mobile.",
                    "A booking number has 8 digits."),
             "hi": ("इस मोबाइल पर इस नंबर की कोई बुकिंग नहीं मिली।",
                    "बुकिंग नंबर में 8 अंक होते हैं")}[lang]
    for number in (theirs.reference, new_reference(RefKind.APPOINTMENT)):
        answer = client.get(f"/portal/appointments/{number}")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 404 and words[0] in page, page
        assert theirs.department.name(lang) not in page
    short = client.get(f"/portal/appointments/{theirs.reference[:6]}")
    assert short.status_code == 400
    assert words[1] in short.get_data(as_text=True)


@pytest.mark.parametrize("lang,words", [("en", "Please choose a time."),
                                        ("hi", "कृपया समय चुनें।")])
@pytest.mark.parametrize("slot", [None, "", "abc", "-1", "1.5"])
def test_continuing_without_a_time_comes_back_to_the_days_times(client, catalogue, lang,
                                                                words, slot):
    """The times page sent on with no time (the browser's check bypassed, or junk) goes
    back to that day's times saying so, not to the list of hospitals."""
    client.get(f"/portal/lang/{lang}")
    where, day = catalogue.hospital.id, catalogue.slot.local_day.isoformat()
    form = client.get(f"/portal/book/{where}/{catalogue.department.id}?day={day}")
    page = form.get_data(as_text=True)
    assert f'name="hospital" value="{where}"' in page and f'name="day" value="{day}"' in page
    query = f"hospital={where}&department={catalogue.department.id}&day={day}"
    if slot is not None:
        query += f"&slot={slot}"
    sent = client.get(f"/portal/book/review?{query}")
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(
        f"/portal/book/{where}/{catalogue.department.id}?day={day}#times")
    shown = client.get(sent.headers["Location"])
    assert shown.status_code == 422
    text = html.unescape(shown.get_data(as_text=True))
    assert words in text
    assert f'name="slot" value="{catalogue.slot.id}"' in text  # the day's times again
    # Shown once: a reload of the times page is the plain page.
    assert words not in client.get(sent.headers["Location"]).get_data(as_text=True)


def test_a_review_that_does_not_say_where_it_was_goes_to_the_hospitals(client, catalogue):
    sent = client.get("/portal/book/review?slot=abc")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/portal/book")
