"""A refused portal form answers 303 to its GET page, which shows the same form with
what was typed and the same messages in the citizen's language (200): Back or reload
after a refusal never offer to send the form again. A refusal whose typing does not fit
in a cookie is answered in place (422), so nothing typed is lost. Flask test client."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tests.fixtures_api import latest_code
from tests.test_portal_pages import CSRF, E164, PHONE, Portal, _booked


def _refused(portal: Portal, path: str, data: dict[str, str], back_to: str,
             lang: str) -> str:
    """Post the form at ``path`` (already loaded): it must answer 303 to ``back_to``,
    whose GET shows it again with 200. Answers the page's words."""
    answer = portal.client.post(path, data={"csrf_token": CSRF.search(portal.page).group(1),
                                            **data})
    assert answer.status_code == 303, (path, answer.status_code)
    assert answer.headers["Location"] == back_to
    portal.get(back_to)
    assert portal.status == 200 and f'lang="{lang}"' in portal.page
    return portal.text()


@pytest.fixture(params=["hi", "en"])
def lang(request):
    return request.param


WORDS = {
    "bad_mobile": {"hi": "10 अंकों का भारतीय मोबाइल नंबर लिखें",
                   "en": "10-digit Indian mobile"},
    "wrong_code": {"hi": "यह कोड सही नहीं है।", "en": "That code is not right."},
    "verify_first": {"hi": "पहले अपने मोबाइल नंबर", "en": "Verify your mobile number first."},
    "category": {"hi": "कृपया चुनें कि शिकायत किस बारे में है।",
                 "en": "Please choose what the complaint is about."},
    "choose_time": {"hi": "कृपया समय चुनें।", "en": "Please choose a time."},
}


def test_asking_for_a_code_with_a_bad_mobile(client, session, catalogue, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/appointments")
    text = _refused(portal, "/portal/appointments", {"mobile": "12345", "step": "send_code"},
                    "/portal/appointments", lang)
    assert WORDS["bad_mobile"][lang] in text and 'value="12345"' in portal.page
    # A reload shows the same refused form (nothing is sent again)...
    assert WORDS["bad_mobile"][lang] in portal.get("/portal/appointments")
    assert 'value="12345"' in portal.page
    # ...until the next form is sent.
    portal.post("/portal/appointments", {"mobile": PHONE, "step": "send_code"})
    assert 'value="12345"' not in portal.get("/portal/appointments")


def test_checking_a_wrong_code_on_the_booking_review(client, session, catalogue, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    portal.get(review)
    form = {"slot": str(catalogue.slot.id), "patient_name": "Asha Devi", "mobile": PHONE}
    portal.post("/portal/book/review", {**form, "step": "send_code"})
    wrong = "000000" if latest_code(session, E164) != "000000" else "111111"
    text = _refused(portal, "/portal/book/review", {**form, "code": wrong,
                                                    "step": "check_code"}, review, lang)
    assert WORDS["wrong_code"][lang] in text
    assert 'value="Asha Devi"' in portal.page and f'value="{PHONE}"' in portal.page
    assert 'id="code"' in portal.page  # the code box is still there


def test_booking_before_verifying(client, session, catalogue, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    portal.get(review)
    text = _refused(portal, "/portal/book/review", {
        "slot": str(catalogue.slot.id), "patient_name": "Asha Devi", "step": "book"},
        review, lang)
    assert WORDS["verify_first"][lang] in text and 'value="Asha Devi"' in portal.page


def test_a_complaint_without_a_category(client, session, catalogue, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/grievances/new")
    portal.verify("/portal/grievances/new")
    complaint = "ओपीडी में तीन घंटे इंतज़ार कराया गया।"
    text = _refused(portal, "/portal/grievances/new", {
        "category": "", "hospital": str(catalogue.hospital.id), "description": complaint,
        "step": "register"}, "/portal/grievances/new", lang)
    assert WORDS["category"][lang] in text and complaint in text
    assert f'<option value="{catalogue.hospital.id}" selected>' in portal.page


def test_complaint_status_with_missing_and_unknown_numbers(client, session, catalogue, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/grievances/status")
    text = _refused(portal, "/portal/grievances/status", {"reference": "", "mobile": "abc"},
                    "/portal/grievances/status", lang)
    assert "98123 45678" in text and 'value="abc"' in portal.page
    _refused(portal, "/portal/grievances/status", {"reference": "20000007", "mobile": PHONE},
             "/portal/grievances/status", lang)
    assert 'value="20000007"' in portal.page and f'value="{PHONE}"' in portal.page
    assert 'class="error"' in portal.page


@pytest.mark.parametrize(("reference", "mobile"), [
    ("1234", "abc"),  # too short, not a number
    ("2000 0007 9", "98123"),  # a digit too many, a digit short
    ("12345678", "011 2345 6789"),  # a booking-kind or mistyped number, a landline
    ("२००००००", "+44 20 7946 0958"),  # Devanagari digits one short, not Indian
])
def test_complaint_status_says_both_faults_at_once(client, session, catalogue, lang,
                                                   reference, mobile):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/grievances/status")
    _refused(portal, "/portal/grievances/status", {"reference": reference, "mobile": mobile},
             "/portal/grievances/status", lang)
    assert 'id="reference-error"' in portal.page and 'id="mobile-error"' in portal.page
    assert portal.page.count('aria-invalid="true"') == 2


def test_a_card_with_a_bad_year(client, session, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/card")
    portal.verify("/portal/card")
    text = _refused(portal, "/portal/card", {"step": "issue", "name": "Asha Devi",
                                             "year_of_birth": "18", "sex": "female"},
                    "/portal/card", lang)
    assert ("के बीच होना चाहिए" if lang == "hi" else "between") in text
    assert 'value="Asha Devi"' in portal.page and 'value="18"' in portal.page


def test_rescheduling_without_a_time_and_cancelling_one_that_began(client, session,
                                                                   catalogue, lang):
    held = _booked(session, catalogue.slot)
    session.commit()
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    moving = f"/portal/appointments/{held.reference}/reschedule"
    portal.get(moving)
    # No time is chosen for the citizen: "Change" pressed at once moves nothing.
    assert 'name="slot"' in portal.page and " checked" not in portal.page
    text = _refused(portal, moving, {"slot": ""}, moving, lang)
    assert WORDS["choose_time"][lang] in text
    session.refresh(held)
    assert held.slot_id == catalogue.slot.id
    session.commit()  # SQLite: the test's read ends before the next request writes
    page = f"/portal/appointments/{held.reference}"
    portal.get(page)
    portal.get(f"{page}/cancel")  # the question, then "Yes, cancel" once it has begun
    held.slot.starts_at = held.slot.starts_at - dt.timedelta(days=3)
    session.commit()
    _refused(portal, f"{page}/cancel", {"confirm": "yes"}, page, lang)
    assert 'role="alert"' in portal.page


def test_a_refusal_too_big_for_a_cookie_is_answered_in_place(client, session, catalogue):
    portal = Portal(client, session)
    portal.choose("hi")
    portal.get("/portal/grievances/new")
    rng = random.Random(7)  # Devanagari that zlib cannot shrink: far over 3.8 KB sealed
    complaint = "".join(rng.choice("कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह ") for _ in range(3900))
    portal.post("/portal/grievances/new", {"category": "", "description": complaint,
                                           "step": "register"}, follow=False)
    assert portal.status == 422 and complaint in portal.page
    assert WORDS["category"]["hi"] in portal.text()
