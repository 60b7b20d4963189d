"""Every portal form says everything wrong with it at once: each refused field gets
its own message beside it, in the citizen's language, with what was typed kept, after
one submit (the Post/Redirect/Get carry holds several messages), never one fault per
submit. Flask test client; the same forms in Chromium: test_portal_browser_errors.py."""

from __future__ import annotations

import re

import pytest

from tests.test_portal_pages import PHONE, Portal

WORDS = {
    "hi": {"name": "कृपया नाम सिर्फ़ अक्षरों में लिखें", "year": "के बीच होना चाहिए",
           "abha": "आभा नंबर में 14 अंक होते हैं।", "category": "कृपया चुनें कि शिकायत किस बारे में है।",
           "short": "कम से कम 2 शब्द", "hospital": "कृपया सूची में से अस्पताल चुनें।",
           "verify": "पहले अपने मोबाइल नंबर", "mobile": "10 अंकों का भारतीय मोबाइल नंबर लिखें",
           "code": "6 अंक"},
    "en": {"name": "Please write the name in letters only.", "year": "between",
           "abha": "An ABHA number has 14 digits.",
           "category": "Please choose what the complaint is about.",
           "short": "at least 2 words", "hospital": "Please choose a hospital from the list.",
           "verify": "Verify your mobile number first.",
           "mobile": "10-digit Indian mobile", "code": "6 digits"},
}


@pytest.fixture(params=["hi", "en"])
def lang(request):
    return request.param


def error_of(page: str, element_id: str) -> str:
    """The words of the message with ``element_id`` (one beside its field)."""
    found = re.search(rf'<p class="error" id="{element_id}">([^<]*)</p>', page)
    assert found, f"no #{element_id} on the page"
    return found.group(1)


def described_by(page: str, field_id: str) -> str:
    tag = re.search(rf'<(?:input|select|textarea) id="{field_id}"[^>]*>', page)
    assert tag, field_id
    return tag.group(0)


def test_a_card_form_with_four_faults_says_all_four(client, session, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/card")
    portal.verify("/portal/card")
    portal.post("/portal/card", {"step": "issue", "name": "Asha 7", "year_of_birth": "1800",
                                 "sex": "alien", "abha_number": "1234"})
    assert portal.refused
    words = WORDS[lang]
    assert words["name"] in error_of(portal.page, "name-error")
    assert words["year"] in error_of(portal.page, "year-error")
    assert error_of(portal.page, "sex-error")
    assert words["abha"] in error_of(portal.page, "abha-error")
    for field in ("name", "year_of_birth", "abha_number", "sex"):
        assert 'aria-invalid="true"' in described_by(portal.page, field), field
    assert 'value="Asha 7"' in portal.page and 'value="1800"' in portal.page
    assert 'value="1234"' in portal.page
    # A reload says the same, in the same language.
    portal.get("/portal/card")
    assert words["year"] in error_of(portal.page, "year-error")
    assert words["abha"] in error_of(portal.page, "abha-error")


def test_a_complaint_with_three_faults_says_all_three(client, session, catalogue, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/grievances/new")
    portal.verify("/portal/grievances/new")
    portal.post("/portal/grievances/new", {"category": "", "hospital": "abc",
                                           "description": "a", "step": "register"})
    assert portal.refused
    words = WORDS[lang]
    assert error_of(portal.page, "category-error") == words["category"]
    assert words["short"] in error_of(portal.page, "description-error")
    assert error_of(portal.page, "hospital-error") == words["hospital"]
    assert re.search(r'<textarea id="description"[^>]*>a</textarea>', portal.page)


def test_an_unverified_complaint_is_told_its_faults_with_the_mobile(client, session,
                                                                     catalogue, lang):
    """A form sent before the mobile was verified hears what else is wrong too, not only
    "verify first" and then the rest after the code."""
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/grievances/new")
    portal.post("/portal/grievances/new", {"category": "", "description": "!!! ...",
                                           "step": "register"})
    assert portal.refused
    words = WORDS[lang]
    assert error_of(portal.page, "category-error") == words["category"]
    assert words["short"] in error_of(portal.page, "description-error")
    assert words["verify"] in error_of(portal.page, "mobile-error")


def test_a_booking_with_a_bad_name_before_verifying_says_both(client, session, catalogue,
                                                             lang):
    portal = Portal(client, session)
    portal.choose(lang)
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    portal.get(review)
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id),
                                        "patient_name": "Asha #1", "step": "book"})
    assert portal.refused
    assert WORDS[lang]["verify"] in error_of(portal.page, "mobile-error")
    assert error_of(portal.page, "name-error")
    assert 'value="Asha #1"' in portal.page


def test_a_bad_mobile_and_a_short_code_are_said_together(client, session, catalogue, lang):
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.post("/portal/appointments", {"mobile": PHONE, "step": "send_code"})
    portal.post("/portal/appointments", {"mobile": "98123", "code": "12",
                                         "step": "check_code"})
    assert portal.refused
    assert WORDS[lang]["mobile"] in error_of(portal.page, "mobile-error")
    assert WORDS[lang]["code"] in error_of(portal.page, "code-error")
    assert 'value="98123"' in portal.page
