"""Post/Redirect/Get on the portal: every POST that changes something (a one-time code
sent or checked, a booking, a complaint, an eHealth card) answers 303 to a GET page
that shows the result, so the browser's history holds no POST for Back or reload to
send again. What that page shows beyond its URL travels in a sealed cookie; no URL
carries the mobile, a health id or a card number. Refused input is answered the same
way: 303 to the form's GET page, which shows what was typed and why (200). Flask test
client on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from booking_core.appointments import Appointment
from booking_core.ehealth import EHealthCard
from tests.fixtures_api import latest_code, reading
from tests.test_portal_pages import CSRF, E164, PHONE

DIGITS = re.compile(r"\d")


class Browser:
    """A browser without JavaScript that follows redirects itself and keeps history."""

    def __init__(self, client) -> None:
        self.client = client
        self.page = ""
        self.history: list[tuple[str, str]] = []  # (method, url) of each page shown

    def get(self, url: str) -> int:
        answer = self.client.get(url)
        self.page = answer.get_data(as_text=True)
        self.history.append(("GET", url))
        return answer.status_code

    def post(self, url: str, data: dict[str, str]) -> tuple[int, str]:
        """Send the form on the page; a 303 is followed with a GET, as a browser does.
        Answers the POST's status and the Location it gave."""
        token = CSRF.search(self.page)
        assert token, "the page has no form"
        answer = self.client.post(url, data={"csrf_token": token.group(1), **data})
        location = answer.headers.get("Location", "")
        if answer.status_code == 303:
            self.get(location)
        else:
            self.page = answer.get_data(as_text=True)
            self.history.append(("POST", url))
        return answer.status_code, location


def _no_personal_number(location: str) -> None:
    """A redirect's URL names no mobile (nor any other long number than a reference)."""
    assert "9812345678" not in location and E164 not in location
    assert not re.search(r"\d{10,}", location), location


def test_booking_leaves_only_get_pages_in_the_history(client, session, catalogue):
    browser = Browser(client)
    client.get("/portal/lang/en")
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    browser.get(review)
    form = {"slot": str(catalogue.slot.id), "patient_name": "Asha Devi"}
    status, location = browser.post("/portal/book/review",
                                     {**form, "mobile": PHONE, "step": "send_code"})
    assert status == 303 and location == review
    _no_personal_number(location)
    # The page after the step: the name as typed, the mobile as typed, the code box.
    assert 'value="Asha Devi"' in browser.page and f'value="{PHONE}"' in browser.page
    assert 'id="code"' in browser.page and "portal_carry" not in browser.page
    status, location = browser.post("/portal/book/review", {
        **form, "mobile": PHONE, "code": latest_code(session, E164), "step": "check_code"})
    assert status == 303 and location == review
    assert "Mobile +91******5678 verified." in browser.page
    assert 'value="Asha Devi"' in browser.page
    status, location = browser.post("/portal/book/review", {**form, "step": "book"})
    assert status == 303 and location.startswith("/portal/appointments/") and "?" not in location
    _no_personal_number(location)
    assert "Your appointment is booked." in browser.page
    assert all(method == "GET" for method, _ in browser.history), browser.history

    # Back, then reload of every page in the history: GETs only, and one appointment.
    for _method, url in browser.history:
        assert client.get(url).status_code == 200, url
    # The review page after Back shows what was typed no more (the carry was read once).
    assert 'value="Asha Devi"' not in client.get(review).get_data(as_text=True)
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_a_wrong_code_comes_back_on_the_get_page_with_what_was_typed(client, session, catalogue):
    browser = Browser(client)
    client.get("/portal/lang/hi")
    browser.get("/portal/grievances/new")
    form = {"category": "cleanliness", "hospital": str(catalogue.hospital.id),
            "description": "ओपीडी के पास शौचालय पूरे दिन साफ़ नहीं हुए।"}
    status, location = browser.post("/portal/grievances/new",
                                    {**form, "mobile": PHONE, "step": "send_code"})
    assert status == 303 and location == "/portal/grievances/new"
    assert form["description"] in browser.page
    assert f'<option value="{catalogue.hospital.id}" selected>' in browser.page
    assert '<option value="cleanliness" selected>' in browser.page
    wrong = "000000" if latest_code(session, E164) != "000000" else "111111"
    status, _ = browser.post("/portal/grievances/new",
                             {**form, "mobile": PHONE, "code": wrong, "step": "check_code"})
    assert status == 303 and location == "/portal/grievances/new"  # refused: PRG too
    assert form["description"] in browser.page
    assert "यह कोड सही नहीं है।" in browser.page
    assert all(method == "GET" for method, _ in browser.history), browser.history


def test_a_new_card_is_shown_after_a_redirect_that_names_no_card(client, session):
    browser = Browser(client)
    client.get("/portal/lang/en")
    browser.get("/portal/card")
    status, _ = browser.post("/portal/card", {"mobile": PHONE, "step": "send_code"})
    assert status == 303
    status, _ = browser.post("/portal/card", {"mobile": PHONE, "step": "check_code",
                                              "code": latest_code(session, E164)})
    assert status == 303
    status, location = browser.post("/portal/card", {
        "step": "issue", "name": "Asha Devi", "year_of_birth": "1984", "sex": "female"})
    assert status == 303 and location == "/portal/card"
    assert "The card for Asha Devi is ready." in browser.page
    assert 'class="card new"' in browser.page
    # A reload shows the card without issuing another, and the notice only once.
    again = client.get("/portal/card").get_data(as_text=True)
    assert again.count('data-card="') == 1 and "is ready" not in again
    with reading(session):
        assert session.scalar(select(func.count()).select_from(EHealthCard)) == 1


def test_my_appointments_verification_redirects_to_the_list(client, session, catalogue):
    browser = Browser(client)
    client.get("/portal/lang/en")
    browser.get("/portal/appointments")
    status, location = browser.post("/portal/appointments",
                                    {"mobile": PHONE, "step": "send_code"})
    assert (status, location) == (303, "/portal/appointments")
    status, _ = browser.post("/portal/appointments", {
        "mobile": PHONE, "code": latest_code(session, E164), "step": "check_code"})
    assert status == 303 and "Mobile +91******5678 verified." in browser.page


def test_a_carried_draft_is_for_its_own_page_and_sealed(client, session, catalogue):
    browser = Browser(client)
    client.get("/portal/lang/en")
    browser.get("/portal/grievances/new")
    status, _ = browser.post("/portal/grievances/new", {
        "category": "cleanliness", "description": "Dirty wards", "mobile": PHONE,
        "step": "send_code"})
    assert status == 303 and "Dirty wards" in browser.page
    # The code step stays on reload while its code works (test_portal_code_reload.py):
    # its carry is kept after the page read it, sealed.
    kept = client.get_cookie("portal_carry", path="/portal")
    assert kept is not None and "Dirty" not in kept.value
    # Carried to the complaint form, it is not shown on another form.
    browser.post("/portal/grievances/new", {"category": "cleanliness",
                                            "description": "Dirty wards", "mobile": PHONE,
                                            "step": "send_code"})
    browser.client.post("/portal/grievances/new", data={
        "csrf_token": CSRF.search(browser.page).group(1), "category": "cleanliness",
        "description": "Dirty wards", "mobile": PHONE, "step": "send_code"})
    assert "Dirty wards" not in client.get("/portal/card").get_data(as_text=True)
    assert "Dirty wards" in client.get("/portal/grievances/new").get_data(as_text=True)
    # A forged carry is ignored.
    client.set_cookie("portal_carry", "eyJ0byI6Ii9wb3J0YWwvZ3JpZXZhbmNlcy9uZXcifQ.x.y",
                      path="/portal")
    assert "Dirty wards" not in client.get("/portal/grievances/new").get_data(as_text=True)
