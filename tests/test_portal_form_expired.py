"""A portal form sent with an expired CSRF token (cookies cleared, a page left open
across a browser restart) does nothing, and gives the form back with everything typed
and a fresh token, saying in the citizen's language that nothing was sent: sending it
again is one press, never retyping a long complaint."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from grievances.models import Grievance
from tests.fixtures_api import reading
from tests.test_portal_pages import CSRF, PHONE

KEPT = {
    "en": "This form had been open too long, or your browser's cookies were cleared, so "
          "nothing was sent. What you typed is still below: please check it and send it "
          "again.",
    "hi": "यह फ़ॉर्म बहुत देर तक खुला रहा, या ब्राउज़र की कुकीज़ मिट गईं, इसलिए कुछ नहीं भेजा "
          "गया। आपने जो लिखा था, वह नीचे है: कृपया उसे देखकर फिर से भेजें।",
}
COMPLAINT = {
    "hi": "वार्ड 7 के शौचालय तीन दिन से साफ़ नहीं हुए <b>बदबू</b> & पानी भी नहीं आता",
    "en": "Ward 7 toilets not cleaned for three days <b>smell</b> & no water either",
}


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _grievances(session) -> int:
    with reading(session):
        return int(session.scalar(select(func.count()).select_from(Grievance)))


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("token", ["cleared", "forged", "missing"])
def test_a_complaint_sent_with_an_expired_form_comes_back_whole(client, session, lang,
                                                                token):
    from tests.factories import make_hospital

    for name in ("Lok Nayak Hospital", "GTB Hospital"):
        make_hospital(session, name_en=name)
    session.commit()
    client.get(f"/portal/lang/{lang}")
    form = client.get("/portal/grievances/new").get_data(as_text=True)
    sent = CSRF.search(form).group(1)
    before = _grievances(session)
    if token == "cleared":  # the browser lost its cookies since the page was drawn
        client.delete_cookie("portal_csrf", path="/portal")
    data = {"category": "cleanliness", "description": COMPLAINT[lang], "mobile": PHONE,
            "step": "send_code"}
    if token != "missing":
        data["csrf_token"] = sent if token == "cleared" else "x" * 43
    hospital = re.search(r'<option value="(\d+)"', form).group(1)
    data["hospital"] = hospital
    data["page_lang"] = re.search(r'name="page_lang" value="(\w+)"', form).group(1)
    if token == "cleared":  # every cookie gone, the language's too
        client.delete_cookie("portal_lang", path="/portal")
    answer = client.post("/portal/grievances/new", data=data,
                         headers={"Accept-Language": "en-US,en;q=0.9"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert KEPT[lang] in _text(page)
    assert f'<html lang="{lang}"' in page  # in the page's own language still
    # The whole list of hospitals, the one chosen still chosen.
    assert f'<option value="{hospital}" selected>' in page
    assert page.count("<option value=") > 3
    # What was typed is in the fields again, escaped, never run as markup.
    assert html.escape(COMPLAINT[lang], quote=False) in page
    assert "<b>" not in page.split("<textarea", 1)[1].split("</textarea>", 1)[0]
    assert "9812345678" in re.sub(r"\D", "", page.split('name="mobile"', 1)[1][:200])
    assert 'value="cleanliness" selected' in page or 'value="cleanliness"  selected' in page
    assert _grievances(session) == before  # nothing was done
    # A fresh token came with it: sending the same form again goes on (the code step).
    fresh = CSRF.search(page).group(1)
    assert client.get_cookie("portal_csrf", path="/portal").value == fresh
    again = client.post("/portal/grievances/new", data={**data, "csrf_token": fresh})
    assert again.status_code == 303, again.get_data(as_text=True)[:500]


def test_a_button_with_nothing_to_give_back_still_says_go_back(client, session):
    """A form with nothing typed (taking a held place) keeps the general page: there is
    nothing to retype, and nothing was done."""
    client.get("/portal/lang/en")
    answer = client.post("/portal/waiting-list/1/take", data={})
    assert answer.status_code == 400
    assert "This form had expired. Please go back, reload the page and send it again." in (
        _text(answer.get_data(as_text=True)))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_status_lookup_sent_with_an_expired_form_keeps_its_numbers(client, lang):
    client.get(f"/portal/lang/{lang}")
    client.get("/portal/grievances/status")
    client.delete_cookie("portal_csrf", path="/portal")
    answer = client.post("/portal/grievances/status",
                         data={"csrf_token": "y" * 43, "reference": "4821 7730",
                               "mobile": "098123 45678"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert KEPT[lang] in _text(page)
    assert 'value="4821 7730"' in page and 'value="098123 45678"' in page
