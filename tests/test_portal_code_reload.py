"""A reload after "Send code" keeps the code step. The code box used to come from a
carry read once, so reloading the page (or coming back to it) dropped it, with what
was typed: the citizen had to ask for another code, one of the few an hour. The step
now stays on every reload while the code sent is still valid, in the page's language,
and goes when the code has run out. Flask test client on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import time

import pytest

from helpline.app import create_app
from locales import render
from tests.conftest import make_settings
from tests.fixtures_api import latest_code
from tests.test_portal_pages import CSRF, E164, PHONE

CODE_BOX = 'id="code"'


def _send_code(client, path: str, form: dict[str, str]) -> str:
    page = client.get(path).get_data(as_text=True)
    token = CSRF.search(page)
    assert token
    sent = client.post(path.split("?")[0], data={"csrf_token": token.group(1), **form,
                                                 "mobile": PHONE, "step": "send_code"})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    return sent.headers["Location"]


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_booking_reviews_code_step_stays_on_reload(client, session, catalogue, lang):
    client.get(f"/portal/lang/{lang}")
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    location = _send_code(client, review, {"slot": str(catalogue.slot.id),
                                           "patient_name": "Asha Devi"})
    assert location == review
    for _ in range(3):  # the page after the step, then two reloads
        page = client.get(review).get_data(as_text=True)
        assert CODE_BOX in page and f'value="{PHONE}"' in page
        assert 'value="Asha Devi"' in page
        assert "+91******5678" in _text(page)  # where the code went
        assert 'button type="submit" name="step" value="check_code"' in page
    # The code still works from the reloaded page, and then the step is over.
    code = latest_code(session, E164)
    checked = client.post("/portal/book/review", data={
        "csrf_token": CSRF.search(page).group(1), "slot": str(catalogue.slot.id),
        "patient_name": "Asha Devi", "mobile": PHONE, "code": code, "step": "check_code"},
        follow_redirects=True).get_data(as_text=True)
    assert render(lang, "portal.verify.done", mobile="+91******5678") in _text(checked)
    again = client.get(review).get_data(as_text=True)
    assert CODE_BOX not in again and 'value="book"' in again


def test_the_code_step_stays_in_the_language_chosen_after_it(client, catalogue):
    client.get("/portal/lang/hi")
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    _send_code(client, review, {"slot": str(catalogue.slot.id)})
    client.get(review)
    client.get("/portal/lang/en")
    page = client.get(review).get_data(as_text=True)
    assert CODE_BOX in page and 'lang="en"' in page
    said = _text(page)
    assert "A code has been sent to +91******5678." in said
    assert not re.search("[\u0900-\u097f]", said.split("A code has been sent")[1][:80])


def test_the_complaint_forms_code_step_stays_on_reload(client, catalogue):
    client.get("/portal/lang/en")
    form = {"category": "cleanliness", "hospital": str(catalogue.hospital.id),
            "description": "The toilets near the OPD have not been cleaned for days."}
    _send_code(client, "/portal/grievances/new", form)
    for _ in range(2):
        page = client.get("/portal/grievances/new").get_data(as_text=True)
        assert CODE_BOX in page and "have not been cleaned for days" in page


def test_the_code_step_goes_when_the_code_has_run_out(database_url, catalogue):
    app = create_app(make_settings(database_url, otp_ttl_seconds=1))
    try:
        client = app.test_client()
        client.get("/portal/lang/en")
        review = f"/portal/book/review?slot={catalogue.slot.id}"
        _send_code(client, review, {"slot": str(catalogue.slot.id)})
        assert CODE_BOX in client.get(review).get_data(as_text=True)
        time.sleep(1.2)
        page = client.get(review).get_data(as_text=True)
        # Nothing to type the dead code into: the mobile as typed and "Send code".
        assert CODE_BOX not in page and f'value="{PHONE}"' in page
        assert 'name="step" value="send_code"' in page
    finally:
        app.extensions["helpline"].engine.dispose()
