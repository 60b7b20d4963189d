"""The portal's eHealth card page without JavaScript: verify the mobile with its code,
get cards for a family on one phone, download them; bad input answered on the page in
the citizen's language, what was typed kept; CSRF; another mobile's card refused."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image

from booking_core.card_seal import verify_seal
from booking_core.ehealth import CardIssuer, issue_card
from helpline.settings import card_signing_key
from tests.fixtures_api import latest_code

PHONE, E164 = "98123 45678", "+919812345678"


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _post(client, page: str, **form):
    return client.post("/portal/card", data={"csrf_token": _csrf(page), **form},
                       follow_redirects=True)  # as a browser does: the 303 after a step


def _refused(answer) -> bool:
    """Refused the Post/Redirect/Get way: a 303 to the card page, shown again (200)."""
    return [r.status_code for r in answer.history] == [303] and \
        answer.request.method == "GET" and answer.status_code == 200


def _language(client, lang: str) -> None:
    client.get(f"/portal/lang/{lang}")


def _verified(client, session, lang="en") -> str:
    _language(client, lang)
    page = client.get("/portal/card").get_data(as_text=True)
    sent = _post(client, page, step="send_code", mobile=PHONE).get_data(as_text=True)
    checked = _post(client, sent, step="check_code", mobile=PHONE,
                    code=latest_code(session, E164))
    assert checked.status_code == 200
    return checked.get_data(as_text=True)


def test_card_page_in_both_languages_and_csrf(client):
    _language(client, "en")
    english = client.get("/portal/card").get_data(as_text=True)
    assert "Your eHealth card" in english and 'lang="en"' in english
    assert "no medical records" in english and 'name="mobile"' in english
    _language(client, "hi")
    hindi = client.get("/portal/card").get_data(as_text=True)
    assert "आपका ई-हेल्थ कार्ड" in hindi and 'lang="hi"' in hindi
    assert 'href="/portal/card"' in hindi  # in the portal's menu
    forged = client.post("/portal/card", data={"csrf_token": "x" * 43, "step": "send_code",
                                               "mobile": PHONE})
    assert forged.status_code == 400


def test_verify_get_cards_for_a_family_and_download(client, session, helpline):
    page = _verified(client, session)
    assert "Mobile +91******5678 verified." in page and "no card for this mobile" in page
    made = _post(client, page, step="issue", name="Asha Devi", year_of_birth="1984",
                 sex="female").get_data(as_text=True)
    assert "The card for Asha Devi is ready." in made
    number = re.search(r'name="card_number" value="(5\d{10})"', made).group(1)
    assert f"{number[:4]} {number[4:8]} {number[8:]}" in made
    again = _post(client, made, step="issue", name="ASHA  DEVI", year_of_birth="1984")
    assert "already has this card" in again.get_data(as_text=True)
    child = _post(client, made, step="issue", name="रवि कुमार", year_of_birth="2015")
    html = child.get_data(as_text=True)
    assert "रवि कुमार" in html and html.count('data-card="') == 2

    png = client.post("/portal/card/download", data={
        "csrf_token": _csrf(html), "card_number": number, "format": "png", "language": "hi"})
    assert png.status_code == 200 and png.mimetype == "image/png"
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    key = card_signing_key(helpline.settings).public_key()
    assert verify_seal(code.text, key).number == number
    pdf = client.post("/portal/card/download", data={
        "csrf_token": _csrf(html), "card_number": number, "format": "pdf", "language": "en"})
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert number not in pdf.headers["Content-Disposition"]


def test_bad_input_is_answered_on_the_page_in_hindi_and_kept(client, session):
    page = _verified(client, session, lang="hi")
    refused = _post(client, page, step="issue", name="आशा देवी", year_of_birth="18",
                    abha_number="")
    html = refused.get_data(as_text=True)
    assert _refused(refused)
    # "18" is a year no one living was born in: the sentence says which years are.
    assert "जन्म का साल" in html and "के बीच होना चाहिए" in html and 'value="आशा देवी"' in html
    abha = _post(client, page, step="issue", name="आशा देवी", year_of_birth="1984",
                 abha_number="12-34")
    assert "आभा नंबर में 14 अंक होते हैं।" in abha.get_data(as_text=True)
    assert 'value="12-34"' in abha.get_data(as_text=True)
    fresh = client.get("/portal/card").get_data(as_text=True)
    assert "इस मोबाइल पर अभी कोई कार्ड नहीं है।" in fresh  # nothing was issued


def test_wrong_code_and_bad_mobile_are_answered(client, session):
    _language(client, "en")
    page = client.get("/portal/card").get_data(as_text=True)
    bad = _post(client, page, step="send_code", mobile="12345")
    assert _refused(bad) and "10-digit Indian mobile" in bad.get_data(as_text=True)
    assert 'value="12345"' in bad.get_data(as_text=True)  # kept, to be corrected
    sent = _post(client, page, step="send_code", mobile=PHONE).get_data(as_text=True)
    wrong_code = "000000" if latest_code(session, E164) != "000000" else "111111"
    wrong = _post(client, sent, step="check_code", mobile=PHONE, code=wrong_code)
    assert "That code is not right." in wrong.get_data(as_text=True)
    issue = _post(client, sent, step="issue", name="Asha", year_of_birth="1984")
    assert _refused(issue)  # not verified: no card
    assert "Verify your mobile number first." in issue.get_data(as_text=True)


def test_another_mobiles_card_cannot_be_downloaded(client, session):
    other = issue_card(session, phone="9876543210", name="Stranger", year_of_birth=1970,
                       via=CardIssuer.COUNTER).card.number
    session.commit()
    page = _verified(client, session)
    refused = client.post("/portal/card/download", data={
        "csrf_token": _csrf(page), "card_number": other, "format": "pdf", "language": "en"},
        follow_redirects=True)
    assert _refused(refused) and "This mobile has no such card." in (
        refused.get_data(as_text=True))


JUNK_LANGUAGES = ["fr", "HI ", "hindi", "<script>", "x" * 5000, "hi\x00", "", "EN"]
JUNK_FORMATS = ["doc", "PDF", "", "png\n", "x" * 5000]


def test_a_garbled_download_says_what_was_wrong_not_no_such_card(client, session):
    """The download buttons send a format and a language from the page's own lists;
    anything else is a 400 that says to use the buttons, in the citizen's language, and
    never "this mobile has no such card" for the mobile's own card."""
    page = _verified(client, session, lang="hi")
    made = _post(client, page, step="issue", name="Asha Devi", year_of_birth="1984",
                 sex="female").get_data(as_text=True)
    number = re.search(r'name="card_number" value="(5\d{10})"', made).group(1)
    for field, junk, words in (
            [("language", j, "हिन्दी या अंग्रेज़ी में डाउनलोड") for j in JUNK_LANGUAGES]
            + [("format", j, "PDF या तस्वीर") for j in JUNK_FORMATS]):
        form = {"csrf_token": _csrf(made), "card_number": number, "format": "pdf",
                "language": "hi", field: junk}
        answer = client.post("/portal/card/download", data=form)
        assert answer.status_code in (303, 400), (field, junk[:20], answer.status_code)
        html = client.get("/portal/card").get_data(as_text=True) \
            if answer.status_code == 303 else answer.get_data(as_text=True)
        assert words in html, (field, junk[:20])
        assert "ऐसा कोई कार्ड नहीं" not in html
        assert answer.mimetype != "application/pdf"
