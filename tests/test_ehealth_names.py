"""The eHealth card holder's name: letters of any script with spaces, dots, apostrophes
and hyphens; digits, other signs, emoji and control characters refused; longer than 120
characters refused with its reason, never cut short; spaces tidied, Unicode NFC. Through
the domain and through each door that issues a card: the API (verified mobile and a
hospital counter), the portal and the console, in Hindi and English."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from sqlalchemy import func, select

from booking_core.base import InvalidInput
from booking_core.ehealth import CardIssuer, EHealthCard, issue_card
from booking_core.feed_tokens import issue_feed_token
from booking_core.person_names import NAME_MAX, InvalidName, NameTooLong, clean_person_name
from locales import render
from tests.fixtures_api import API, latest_code
from tests.fixtures_console import make_staff, next_mobile

PHONE, E164 = "98123 45678", "+919812345678"

# (typed, kept)
VALID = [
    ("Asha Devi", "Asha Devi"),
    ("Mohd. Arif", "Mohd. Arif"),
    ("D'Souza", "D'Souza"),
    ("Shaquille O’Neal", "Shaquille O’Neal"),
    ("Jean-Luc Picard", "Jean-Luc Picard"),
    ("राम-कुमार", "राम-कुमार"),
    ("श्रीमती सुनीता देवी", "श्रीमती सुनीता देवी"),
    ("आशा देवी क्षत्रिय", "आशा देवी क्षत्रिय"),
    ("प्रज्ञा श्रद्धा", "प्रज्ञा श्रद्धा"),  # virama conjuncts
    ("अंकित कृष्ण", "अंकित कृष्ण"),  # anusvara, vocalic r
    ("दुःखी राम", "दुःखी राम"),  # visarga
    ("\u0958ुरैशी", "\u0915\u093cुरैशी"),  # क़ typed as one character: NFC is क + nukta
    ("\u0915\u093cुरैशी", "\u0915\u093cुरैशी"),
    ("Zoe\u0308 Das", "Zoë Das"),  # a decomposed ë composed
    ("  Lakshmi \t Narayan\n ", "Lakshmi Narayan"),
    ("Asha\u00a0\u00a0Devi", "Asha Devi"),  # no-break spaces are spaces too
    ("Ravi S. Kumar", "Ravi S. Kumar"),
    ("क्\u200dष", "क्\u200dष"),  # a joiner after a virama: a half-form asked for
    ("A" * NAME_MAX, "A" * NAME_MAX),
    ("आ" * NAME_MAX, "आ" * NAME_MAX),
    ("A" * 60 + "     " + "B" * 59, "A" * 60 + " " + "B" * 59),  # 120 once tidied
]

BAD_CHARACTERS = [
    "Asha1", "Asha Devi 2", "R2D2", "आशा ४", "१२३ देवी", "Asha@Devi", "Asha_Devi",
    "Asha/Devi", "Asha, Devi", "Asha (Devi)", "Asha।", "<b>Asha</b>", "Asha 😀",
    "राम 🙏", "Asha\x00", "Asha\x07Devi", "Asha\x1cDevi", "Asha\u200bDevi",
    "Asha\u202eDevi", "Asha\u200dDevi", "-Asha", ".Arif", "'Asha", "Asha--Devi",
    "Mohd..Arif", "Asha - Devi", "\u093e", "\u093eराम", "Asha ा", "Asha#1", "Asha+Devi",
    "Asha&Devi", "Asha*", "$", "Dr. Asha ™",
]

TOO_LONG = [
    "A" * (NAME_MAX + 1),
    "आ" * (NAME_MAX + 1),
    " ".join(["Lakshminarayana"] * 8),  # 127 characters
    " ".join(["लक्ष्मीनारायण"] * 10),
    "Asha " * 30,
]

MISSING = ["", "   ", "\t\n", None]


# --- the rule ------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "kept"), VALID)
def test_a_name_of_letters_spaces_dots_apostrophes_and_hyphens_is_kept(typed, kept):
    name = clean_person_name(typed)
    assert name == kept and unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize("typed", BAD_CHARACTERS)
def test_digits_signs_emoji_and_control_characters_are_refused(typed):
    with pytest.raises(InvalidName) as refused:
        clean_person_name(typed)
    assert refused.value.code == "invalid_name"
    assert refused.value.details == {"field": "name", "reason": "characters"}


@pytest.mark.parametrize("typed", TOO_LONG)
def test_a_name_over_the_limit_is_refused_not_cut(typed):
    with pytest.raises(NameTooLong) as refused:
        clean_person_name(typed)
    assert refused.value.code == "name_too_long" and refused.value.details["max"] == NAME_MAX


@pytest.mark.parametrize("typed", MISSING)
def test_no_name_is_asked_for(typed):
    with pytest.raises(InvalidInput) as refused:
        clean_person_name(typed)
    assert refused.value.code == "invalid_input" and refused.value.details == {"field": "name"}


def _cards(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(EHealthCard)) or 0
    session.commit()  # end the read: SQLite's transactions hold the write lock
    return count


@pytest.mark.parametrize("typed", ["Asha Devi 2", "Asha 😀", "A" * (NAME_MAX + 5)])
def test_issue_card_refuses_and_issues_nothing(session, typed):
    with pytest.raises(InvalidInput):
        issue_card(session, phone=PHONE, name=typed, year_of_birth=1984,
                   via=CardIssuer.AGENT)
    assert _cards(session) == 0


def test_issue_card_keeps_the_tidied_name(session):
    issued = issue_card(session, phone=PHONE, name="  \u0958ुरैशी   Mohd.  ",
                        year_of_birth=1984, via=CardIssuer.AGENT)
    assert issued.card.name == "\u0915\u093cुरैशी Mohd."
    again = issue_card(session, phone=PHONE, name="\u0915\u093cुरैशी mohd.",
                       year_of_birth=1984, via=CardIssuer.PORTAL)
    assert again.card.id == issued.card.id and not again.new


# --- the API ----------------------------------------------------------------------------

@pytest.fixture
def api_token(verify) -> str:
    return verify(PHONE, E164)


API_CASES = [
    ("Asha Devi 2", "invalid_name"), ("राम 🙏", "invalid_name"), ("Asha\x00", "invalid_name"),
    ("Asha@Devi", "invalid_name"), ("आशा ४", "invalid_name"),
    ("A" * (NAME_MAX + 1), "name_too_long"), ("आ" * 200, "name_too_long"),
]


@pytest.mark.parametrize(("typed", "code"), API_CASES)
def test_the_api_refuses_with_a_code(client, session, api_token, typed, code):
    answer = client.post(f"{API}/ehealth-cards", json={"name": typed, "year_of_birth": 1984},
                         headers={"X-Verification-Token": api_token})
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == code
    assert answer.json["error"]["details"]["field"] == "name"
    assert _cards(session) == 0


@pytest.mark.parametrize(("typed", "kept"), [VALID[1], VALID[2], VALID[6], VALID[11],
                                             VALID[14], VALID[18]])
def test_the_api_issues_a_valid_name_tidied(client, api_token, typed, kept):
    answer = client.post(f"{API}/ehealth-cards", json={"name": typed, "year_of_birth": 1984},
                         headers={"X-Verification-Token": api_token})
    assert answer.status_code == 201, answer.json
    assert answer.json["name"] == kept


def test_a_hospital_counter_gets_the_same_refusals(client, session, catalogue):
    _, token = issue_feed_token(session, catalogue.hospital.id, "HIS")
    session.commit()
    url = f"{API}/hospitals/{catalogue.hospital.id}/ehealth-cards"
    for typed, code in API_CASES:
        answer = client.post(url, json={"phone": PHONE, "name": typed, "year_of_birth": 1984},
                             headers={"Authorization": f"Bearer {token}"})
        assert (answer.status_code, answer.json["error"]["code"]) == (422, code), typed
    good = client.post(url, json={"phone": PHONE, "name": "  D'Souza  Mohd. ",
                                  "year_of_birth": 1984},
                       headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 201 and good.json["name"] == "D'Souza Mohd."
    assert _cards(session) == 1


# --- the portal ------------------------------------------------------------------------

def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _portal_verified(client, session, lang: str) -> str:
    client.get(f"/portal/lang/{lang}")
    page = client.get("/portal/card").get_data(as_text=True)
    # Each step answers with a redirect to the page (Post/Redirect/Get), as a browser follows.
    sent = client.post("/portal/card", data={"csrf_token": _csrf(page), "step": "send_code",
                                             "mobile": PHONE},
                       follow_redirects=True).get_data(as_text=True)
    checked = client.post("/portal/card", data={
        "csrf_token": _csrf(sent), "step": "check_code", "mobile": PHONE,
        "code": latest_code(session, E164)}, follow_redirects=True)
    assert checked.status_code == 200
    return checked.get_data(as_text=True)


def _name_error(page: str) -> str:
    found = re.search(r'<p class="error" id="name-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_says_why_in_the_citizens_language(client, session, lang):
    page = _portal_verified(client, session, lang)
    for typed, key in [("Asha Devi 2", "invalid_name"), ("राम 🙏", "invalid_name"),
                       ("A" * (NAME_MAX + 1), "name_too_long"),
                       ("  ", "name")]:
        answer = client.post("/portal/card", data={
            "csrf_token": _csrf(page), "step": "issue", "name": typed, "year_of_birth": "1984"},
            follow_redirects=True)  # refused: 303 to the card page, which says why
        shown = answer.get_data(as_text=True)
        assert [r.status_code for r in answer.history] == [303], typed
        assert answer.status_code == 200, typed
        assert _name_error(shown) == render(lang, f"portal.card.err.{key}"), typed
        if typed.strip():  # what was typed comes back whole, not cut to 120
            assert f'value="{html.escape(typed)}"' in shown
    assert 'maxlength="120"' not in shown  # the browser does not cut a pasted name
    assert _cards(session) == 0
    issued = client.post("/portal/card", data={
        "csrf_token": _csrf(page), "step": "issue", "name": " श्रीमती  सुनीता देवी ",
        "year_of_birth": "1984"}, follow_redirects=True)
    assert issued.status_code == 200 and len(issued.history) == 1
    assert "श्रीमती सुनीता देवी" in issued.get_data(as_text=True)
    assert _cards(session) == 1


# --- the console ----------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_console_says_why_in_the_agents_language(console, session, lang):
    make_staff(session, f"agent.{lang}", language=lang)
    console.login(f"agent.{lang}")
    phone = next_mobile()
    session.commit()
    for typed, key in [("Asha Devi 2", "invalid_name.characters"),
                       ("Asha\x07Devi", "invalid_name.characters"),
                       ("A" * (NAME_MAX + 1), "name_too_long")]:
        answer = console.post("/console/cards/issue", {
            "phone": phone, "card_name": typed, "year_of_birth": "1950"},
            follow_redirects=True)
        shown = html.unescape(answer.get_data(as_text=True))
        assert render(lang, f"console.err.{key}") in shown, typed
    assert _cards(session) == 0
    page = console.post("/console/cards/issue", {
        "phone": phone, "card_name": "  Mohd.   Arif D'Souza ", "year_of_birth": "1950"},
        follow_redirects=True)
    assert "Mohd. Arif D'Souza" in html.unescape(page.get_data(as_text=True))
    assert 'maxlength="120"' not in page.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(EHealthCard.name)).all() == ["Mohd. Arif D'Souza"]
