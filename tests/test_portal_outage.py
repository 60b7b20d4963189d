"""The portal's forms during a database outage: a 503 that gives the citizen their form
back with everything they typed and says, in their language, that it was not saved
and to try again in a few minutes or call the helpline.

A private PostgreSQL (``tests.fixtures_faults``) is stopped while the form is sent;
the shared server is never touched."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from helpline.app import create_app
from portal_api.auth import issue_verification_token
from tests.conftest import PRODUCTION_LIMITS, make_settings
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_browser import BROWSER_TIMEOUT_MS
from tests.fixtures_faults import PrivatePostgres, empty_private_database
from tests.opd_factories import book

pytestmark = [pytest.mark.slow]

MINE = "+919812345678"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOT_SAVED = {
    "hi": "माफ़ कीजिए, तकनीकी दिक़्क़त के कारण हम इसे अभी सेव नहीं कर पाए। आपने जो लिखा था, वह "
          "सब नीचे है। कृपया कुछ मिनट बाद फिर से भेजें, या हेल्पलाइन पर कॉल करें।",
    "en": "Sorry, a technical problem stopped us saving this just now. Everything you typed "
          "is still below. Please send it again in a few minutes, or call the helpline.",
}
COMPLAINT = {
    "hi": "ओपीडी ब्लॉक 2 के पास के शौचालय पूरे दिन साफ़ नहीं हुए, बदबू आ रही है & पानी भी नहीं",
    "en": "Toilets near OPD block 2 were not cleaned all day <and> there is no water.",
}


@pytest.fixture
def portal_app(private_postgres: PrivatePostgres) -> Iterator[tuple[Flask, dict[str, int]]]:

    url = empty_private_database(private_postgres)
    app = create_app(make_settings(url, **PRODUCTION_LIMITS))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        hospital = make_hospital(s, code="LNH", name_en="Lok Nayak Hospital",
                                 name_hi="लोक नायक अस्पताल")
        department = make_department(s, hospital, code="medicine",
                                     name_en="General Medicine", name_hi="सामान्य चिकित्सा")
        slot = make_slot(s, department)
        full = make_slot(s, department, starts_in=dt.timedelta(days=3), capacity=1)
        book(s, full)
        mine = book(s, make_slot(s, department, starts_in=dt.timedelta(days=5)), phone=MINE)
        ids = {"hospital": hospital.id, "slot": slot.id, "department": department.id,
               "full_day": full.local_day.isoformat(), "reference": mine.reference}
    try:
        yield app, ids
    finally:
        helpline.engine.dispose()
        reads = app.extensions.get("portal_api.read_sessions.engine")
        if reads is not None:
            reads.dispose()


def _form_page(client, path: str, lang: str, verified: str | None = None) -> str:
    client.get(f"/portal/lang/{lang}")
    if verified:
        token = issue_verification_token(client.application.config["SECRET_KEY"], verified)
        client.set_cookie("portal_mobile", token, path="/portal")
    answer = client.get(path)
    assert answer.status_code == 200
    return CSRF.search(answer.get_data(as_text=True)).group(1)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_complaint_sent_while_the_database_is_down_comes_back_whole(
        portal_app, private_postgres, lang):
    app, ids = portal_app
    verified, typing = app.test_client(), app.test_client()
    token = _form_page(verified, "/portal/grievances/new", lang, verified="+919812345678")
    token2 = _form_page(typing, "/portal/grievances/new", lang)
    form = {"category": "cleanliness", "hospital": str(ids["hospital"]),
            "description": COMPLAINT[lang]}
    private_postgres.stop()
    try:
        answer = verified.post("/portal/grievances/new",
                               data={"csrf_token": token, **form, "step": "register"})
        # Not verified yet: the mobile and the code step as typed come back too.
        typed = typing.post("/portal/grievances/new", data={
            "csrf_token": token2, **form, "mobile": "98123 45678", "code": "123456",
            "step": "check_code"})
    finally:
        private_postgres.start()
    for sent in (answer, typed):
        page = sent.get_data(as_text=True)
        assert sent.status_code == 503, page
        assert sent.headers["Retry-After"]
        assert NOT_SAVED[lang] in _text(page)
        assert f'lang="{lang}"' in page
        description = re.search(r'<textarea id="description"[^>]*>(.*?)</textarea>', page, re.S)
        assert html.unescape(description.group(1)) == COMPLAINT[lang]
        assert '<option value="cleanliness" selected>' in page
        assert f'<option value="{ids["hospital"]}" selected>' in page
        assert 'name="step" value="register"' in page or 'id="code"' in page
    assert 'name="step" value="register"' in answer.get_data(as_text=True)  # send again
    typed_page = typed.get_data(as_text=True)
    assert 'id="mobile"' in typed_page and 'value="98123 45678"' in typed_page
    assert 'id="code"' in typed_page


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_booking_and_a_card_sent_while_the_database_is_down_keep_what_was_typed(
        portal_app, private_postgres, lang):
    app, ids = portal_app
    booking, card = app.test_client(), app.test_client()
    token = _form_page(booking, f"/portal/book/review?slot={ids['slot']}", lang,
                       verified="+919812345678")
    token2 = _form_page(card, "/portal/card", lang, verified="+919812345678")
    private_postgres.stop()
    try:
        booked = booking.post("/portal/book/review", data={
            "csrf_token": token, "slot": str(ids["slot"]), "patient_name": "आशा देवी",
            "step": "book"})
        issued = card.post("/portal/card", data={
            "csrf_token": token2, "step": "issue", "name": "Asha Devi",
            "year_of_birth": "1984", "sex": "female", "abha_number": ""})
    finally:
        private_postgres.start()
    for sent in (booked, issued):
        page = sent.get_data(as_text=True)
        assert sent.status_code == 503, page
        assert NOT_SAVED[lang] in _text(page)
    page = booked.get_data(as_text=True)
    assert 'value="आशा देवी"' in page and f'name="slot" value="{ids["slot"]}"' in page
    assert 'name="step" value="book"' in page
    page = issued.get_data(as_text=True)
    assert 'value="Asha Devi"' in page and 'value="1984"' in page
    assert '<option value="female" selected>' in page


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_waiting_list_join_sent_while_the_database_is_down_keeps_the_mobile(
        portal_app, private_postgres, lang):
    app, ids = portal_app
    client = app.test_client()
    path = f"/portal/waiting-list/join?department={ids['department']}&day={ids['full_day']}"
    token = _form_page(client, path, lang)
    private_postgres.stop()
    try:
        sent = client.post("/portal/waiting-list/join", data={
            "csrf_token": token, "department": str(ids["department"]),
            "day": ids["full_day"], "mobile": "098123 45678", "step": "send_code"})
    finally:
        private_postgres.start()
    page = sent.get_data(as_text=True)
    assert sent.status_code == 503, page
    assert NOT_SAVED[lang] in _text(page)
    assert 'value="098123 45678"' in page
    assert f'name="department" value="{ids["department"]}"' in page
    assert f'name="day" value="{ids["full_day"]}"' in page


NOT_DONE = {
    "hi": "माफ़ कीजिए, तकनीकी दिक़्क़त के कारण यह अभी नहीं हो पाया, और कुछ भी नहीं बदला।",
    "en": "Sorry, a technical problem stopped us doing this just now, and nothing was changed.",
}


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_button_pressed_while_the_database_is_down_leads_back_to_its_page(
        portal_app, private_postgres, lang):
    """Cancel (or take, pass on, leave) has nothing typed to give back: the citizen is
    told nothing changed, and the way on is the page they pressed it on."""
    app, ids = portal_app
    client = app.test_client()
    path = f"/portal/appointments/{ids['reference']}/cancel"
    token = _form_page(client, path, lang, verified=MINE)
    private_postgres.stop()
    try:
        sent = client.post(path, data={"csrf_token": token, "confirm": "yes"},
                           headers={"Referer": f"http://localhost{path}"})
        foreign = client.post(path, data={"csrf_token": token, "confirm": "yes"},
                              headers={"Referer": "https://elsewhere.example/portal/x"})
    finally:
        private_postgres.start()
    page = sent.get_data(as_text=True)
    assert sent.status_code == 503, page
    assert NOT_DONE[lang] in _text(page)
    assert f'href="{path}" id="back"' in page
    assert 'id="back"' not in foreign.get_data(as_text=True)


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_in_a_browser_the_complaint_is_on_the_503_page_to_send_again(
        portal_app, private_postgres, browser, lang, width):
    import threading

    from werkzeug.serving import make_server

    from tests.test_portal_browser import fits, shot

    app, ids = portal_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    context = browser.new_context(locale="hi-IN" if lang == "hi" else "en-IN",
                                  viewport={"width": width, "height": 844 if width < 500
                                            else 900}, java_script_enabled=False)
    token = issue_verification_token(app.config["SECRET_KEY"], "+919812345678")
    context.add_cookies([{"name": "portal_mobile", "value": token, "url": base + "/portal/"}])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page.goto(f"{base}/portal/grievances/new")
        page.select_option("#category", "cleanliness")
        page.select_option("#hospital", str(ids["hospital"]))
        page.fill("#description", COMPLAINT[lang])
        private_postgres.stop()
        try:
            with page.expect_navigation() as sent:
                page.click("button[value=register]")
            assert sent.value.status == 503
            assert NOT_SAVED[lang] in page.locator("#outage").inner_text()
            assert page.input_value("#description") == COMPLAINT[lang]
            assert page.input_value("#category") == "cleanliness"
            assert page.input_value("#hospital") == str(ids["hospital"])
            fits(page, width)
            shot(page, lang, width, "outage-grievance")
        finally:
            private_postgres.start()
    finally:
        context.close()
        server.shutdown()
