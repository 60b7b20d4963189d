"""Numbers as people type them: Devanagari (or any other script's decimal) digits with
spaces around them are the same number on every form (one-time code, year of birth,
ABHA, booking and complaint numbers), through ``booking_core.base.typed_digits``; and a
year of birth no living person has says which years are allowed, in the person's
language (portal, console) or with its own code (API)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from booking_core.base import InvalidInput, typed_digits, whole_number
from booking_core.citizens import YearOutOfRange, normalise_abha, validate_year_of_birth
from booking_core.ehealth import CardIssuer, EHealthCard, issue_card
from booking_core.refs import normalise_reference
from booking_core.verification import PhoneVerification, check_code
from locales import render
from tests.fixtures_api import API, latest_code
from tests.fixtures_console import make_staff, next_mobile

PHONE, E164 = "98123 45678", "+919812345678"
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
BENGALI = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
THIS_YEAR = dt.date.today().year
FIRST_YEAR = THIS_YEAR - 125


def hindi(text: str) -> str:
    return text.translate(DEVANAGARI)


# --- the helper --------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "digits"), [
    ("१९८०", "1980"), (" १९८० ", "1980"), ("\t४८२९१७\n", "482917"), ("०", "0"),
    ("१२३४५६७८९०", "1234567890"), ("1980", "1980"), (" 42 ", "42"),
    ("১৯৮০", "1980"), ("１９８０", "1980"), ("१9८0", "1980"),
])
def test_digits_of_any_script_are_read_as_ascii(typed, digits):
    assert typed_digits(typed) == digits
    assert whole_number(typed) == int(digits)


@pytest.mark.parametrize("typed", [
    "", "   ", None, "१९ ८०", "-१९८०", "+1980", "१९८०.५", "²", "१९८०a", "एक", "1,980",
])
def test_what_is_not_a_number_is_none(typed):
    assert typed_digits(typed) is None
    assert whole_number(typed) is None


@pytest.mark.parametrize("table", [DEVANAGARI, BENGALI, FULLWIDTH])
def test_abha_and_references_read_any_script(table):
    assert normalise_abha("12-3456-7890-1234".translate(table)) == "12345678901234"
    assert normalise_reference(" 4123-456 ".translate(table)) == "4123456"


# --- the one-time code -------------------------------------------------------------------

def _send(client) -> None:
    sent = client.post(f"{API}/verifications", json={"phone": PHONE, "language": "hi"})
    assert sent.status_code == 202, sent.json


@pytest.mark.parametrize("table", [DEVANAGARI, BENGALI])
def test_a_code_in_devanagari_digits_verifies_with_one_try(client, session, table):
    _send(client)
    code = latest_code(session, E164)
    assert check_code(session, PHONE, f" {code.translate(table)} ") == E164
    row = session.scalar(select(PhoneVerification).where(PhoneVerification.phone == E164))
    assert row is not None and row.verified_at is not None and row.attempts == 1


def test_the_api_confirms_a_code_in_devanagari_digits(client, session):
    _send(client)
    confirmed = client.post(f"{API}/verifications/confirm",
                            json={"phone": hindi(PHONE), "code": hindi(latest_code(session, E164))})
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["verification_token"]


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _portal_code_sent(client, lang: str) -> str:
    client.get(f"/portal/lang/{lang}")
    page = client.get("/portal/card").get_data(as_text=True)
    return client.post("/portal/card", data={"csrf_token": _csrf(page), "step": "send_code",
                                             "mobile": PHONE},
                       follow_redirects=True).get_data(as_text=True)


def _portal_verified(client, session, lang: str) -> str:
    sent = _portal_code_sent(client, lang)
    checked = client.post("/portal/card", data={
        "csrf_token": _csrf(sent), "step": "check_code", "mobile": PHONE,
        "code": f" {hindi(latest_code(session, E164))} "}, follow_redirects=True)
    assert checked.status_code == 200
    page = checked.get_data(as_text=True)
    assert render(lang, "portal.err.otp_wrong_code") not in html.unescape(page)
    assert 'name="year_of_birth"' in page  # verified: the card form is shown
    return page


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_takes_a_code_in_devanagari_digits(client, session, lang):
    _portal_verified(client, session, lang)
    row = session.scalar(select(PhoneVerification).where(PhoneVerification.phone == E164))
    assert row is not None and row.verified_at is not None and row.attempts == 1


def test_the_portal_code_field_lets_any_digits_through(client, session):
    page = _portal_code_sent(client, "hi")
    field = re.search(r'<input id="code"[^>]*>', page, re.S)
    assert field and "pattern=" not in field.group(0)


# --- year of birth: any digits --------------------------------------------------------

def _cards(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(EHealthCard)) or 0


def _year_error(page: str) -> str:
    found = re.search(r'<p class="error" id="year-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("typed", ["१९८०", " १९८० ", "১৯৮০"])
def test_the_portal_card_takes_a_year_in_devanagari_digits(client, session, lang, typed):
    page = _portal_verified(client, session, lang)
    issued = client.post("/portal/card", data={
        "csrf_token": _csrf(page), "step": "issue", "name": "आशा देवी", "year_of_birth": typed},
        follow_redirects=True)
    assert issued.status_code == 200, _year_error(issued.get_data(as_text=True))
    session.expire_all()
    assert session.scalars(select(EHealthCard.year_of_birth)).all() == [1980]


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_console_card_takes_a_year_in_devanagari_digits(console, session, lang):
    make_staff(session, f"agent.{lang}", language=lang)
    console.login(f"agent.{lang}")
    phone = next_mobile()
    session.commit()
    console.post("/console/cards/issue", {"phone": phone, "card_name": "Asha Devi",
                                          "year_of_birth": " १९५० "}, follow_redirects=True)
    session.expire_all()
    assert session.scalars(select(EHealthCard.year_of_birth)).all() == [1950]


# --- year of birth: out of range ----------------------------------------------------------

OUT_OF_RANGE = [1800, 1066, FIRST_YEAR - 1, THIS_YEAR + 1, 9999, 0]


@pytest.mark.parametrize("year", OUT_OF_RANGE)
def test_a_year_no_living_person_has_says_which_years(year):
    with pytest.raises(YearOutOfRange) as refused:
        validate_year_of_birth(year)
    assert refused.value.code == "year_out_of_range"
    assert (refused.value.details["first"], refused.value.details["last"]) == \
        (FIRST_YEAR, THIS_YEAR)


@pytest.mark.parametrize("year", [FIRST_YEAR, 1984, THIS_YEAR])
def test_the_first_and_this_year_are_allowed(year):
    assert validate_year_of_birth(year) == year


def test_no_year_is_not_out_of_range(session):
    with pytest.raises(InvalidInput) as refused:
        issue_card(session, phone=PHONE, name="Asha", year_of_birth=None,
                   via=CardIssuer.PORTAL)
    assert refused.value.code == "invalid_input"
    assert refused.value.details["field"] == "year_of_birth"


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_says_which_years(client, session, lang):
    page = _portal_verified(client, session, lang)
    expected = render(lang, "portal.card.err.year_out_of_range", first=FIRST_YEAR,
                      last=THIS_YEAR)
    for typed in ["1800", str(THIS_YEAR + 1), hindi("1800")]:
        answer = client.post("/portal/card", data={
            "csrf_token": _csrf(page), "step": "issue", "name": "Asha", "year_of_birth": typed},
            follow_redirects=True)  # refused: 303 to the card page, which says why
        shown = answer.get_data(as_text=True)
        assert [r.status_code for r in answer.history] == [303], typed
        assert answer.status_code == 200, typed
        assert _year_error(shown) == expected
        assert str(FIRST_YEAR) in expected and str(THIS_YEAR) in expected
        assert "{" not in expected and "year_out_of_range" not in expected
        assert f'value="{typed}"' in shown  # what was typed stays in the form
    empty = client.post("/portal/card", data={
        "csrf_token": _csrf(page), "step": "issue", "name": "Asha", "year_of_birth": ""},
        follow_redirects=True)
    assert _year_error(empty.get_data(as_text=True)) == render(
        lang, "portal.card.err.year_of_birth")
    assert _cards(session) == 0


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_console_says_which_years(console, session, lang):
    make_staff(session, f"agent.{lang}", language=lang)
    console.login(f"agent.{lang}")
    phone = next_mobile()
    session.commit()
    expected = render(lang, "console.err.year_out_of_range", first=FIRST_YEAR,
                      last=THIS_YEAR)
    for typed in ["1800", str(THIS_YEAR + 1)]:
        answer = console.post("/console/cards/issue", {
            "phone": phone, "card_name": "Asha Devi", "year_of_birth": typed},
            follow_redirects=True)
        assert expected in html.unescape(answer.get_data(as_text=True)), typed
    assert _cards(session) == 0


@pytest.fixture
def api_token(verify) -> str:
    return verify(PHONE, E164)


@pytest.mark.parametrize("year", [1800, FIRST_YEAR - 1, THIS_YEAR + 1])
def test_the_api_answers_a_year_out_of_range_with_its_code(client, session, api_token, year):
    answer = client.post(f"{API}/ehealth-cards", json={"name": "Asha", "year_of_birth": year},
                         headers={"X-Verification-Token": api_token})
    assert answer.status_code == 422, answer.json
    error = answer.json["error"]
    assert error["code"] == "year_out_of_range"
    assert error["details"]["field"] == "year_of_birth"
    assert (error["details"]["first"], error["details"]["last"]) == (FIRST_YEAR, THIS_YEAR)
    assert _cards(session) == 0
