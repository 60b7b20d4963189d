"""Issue 11, section 4: call state that leaks nothing.

The IVR's state travels in its action URLs, which Twilio's logs and any proxy's access
log keep. After "book for someone else" it holds that person's mobile or ABHA number:
no URL of the call may show any of its digits but the last four the caller hears, in
plain text, percent-encoded, or base64-decoded (a signed-only state is readable JSON).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select

from booking_core.appointments import Appointment
from tests.fixtures_ivr import Phone

OTHER_MOBILE = "9876501234"
ABHA = "12345678901234"
# Every digit but the last four the caller hears back.
SECRETS = (OTHER_MOBILE[:-4], ABHA[:-4])


class RecordingPhone(Phone):
    """A phone that keeps every URL the app's TwiML hands out."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.urls: list[str] = []

    def post(self, url: str, **params: str):
        root = super().post(url, **params)
        for element in root.iter():
            for attribute in ("action", "waitUrl"):
                if element.get(attribute):
                    self.urls.append(element.get(attribute, ""))
            if element.tag == "Redirect" and element.text:
                self.urls.append(element.text)
        return root


def readable_forms(url: str) -> list[bytes]:
    """The URL as written, percent-decoded, and every piece of its state that base64
    (and zlib, as itsdangerous compresses) can turn back into bytes."""
    forms = [url.encode(), unquote(url).encode()]
    for state in parse_qs(urlsplit(url).query).get("s", []):
        for piece in state.split("."):
            if not piece:
                continue
            try:
                raw = base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
            except (binascii.Error, ValueError):
                continue
            forms.append(raw)
            try:
                forms.append(zlib.decompress(raw))
            except zlib.error:
                pass
    return forms


def test_no_action_url_of_a_call_shows_the_numbers_booked_for(ivr_app, ivr_world, ivr_session):
    phone = RecordingPhone(ivr_app.test_client(), session=ivr_session)
    phone.call()
    phone.press("2")  # English
    phone.press("1")  # book
    for key in ("2", "1", "1", "1"):
        phone.press(key)
    phone.press("3")  # someone else
    phone.press("1")  # by mobile
    phone.press(OTHER_MOBILE)
    # Read back whole to the caller (it is not their own number), never put in a URL.
    assert "mobile number is 9 8 7 6 5, 0 1 2 3 4" in phone.said
    phone.press("1")
    assert "is booked" in phone.said
    phone.press("#")  # main menu
    phone.press("1")
    for key in ("2", "1", "2", "1"):
        phone.press(key)
    phone.press("3")
    phone.press("2")  # by ABHA
    phone.press(ABHA)
    assert "ABHA number ends in 1 2 3 4" in phone.said
    phone.press("1")
    assert "is booked" in phone.said
    assert ivr_session.scalar(select(Appointment.id).where(
        Appointment.abha_number == ABHA)) is not None

    assert len(phone.urls) > 30
    leaks = [url for url in phone.urls
             if any(secret.encode() in form for form in readable_forms(url)
                    for secret in SECRETS)]
    assert not leaks, f"{len(leaks)} URLs show the numbers, e.g. {leaks[0]}"


def test_a_state_made_with_another_key_or_changed_is_refused(ivr_app):
    from ivr.flow import read_state, sign_state

    with ivr_app.test_request_context():
        token = sign_state({"l": "en", "ab": ABHA})
        assert read_state(token) == {"l": "en", "ab": ABHA}
        flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
        assert read_state(flipped) is None
        assert read_state(token + "x") is None and read_state("²" * 10) is None
    other = ivr_app.extensions["helpline"].settings.with_overrides(secret_key="another-key")
    helpline = ivr_app.extensions["helpline"]
    original = helpline.settings
    helpline.settings = other
    try:
        with ivr_app.test_request_context():
            assert read_state(token) is None
    finally:
        helpline.settings = original


def test_a_race_for_a_new_citizen_writes_no_number_to_the_server_log(private_postgres):
    """Eight first contacts from one new mobile at once: one citizen, and PostgreSQL's
    own log (of a private server) shows no duplicate-key error with the number."""
    import threading

    from booking_core.base import unit_of_work
    from booking_core.citizens import Citizen, get_or_create_citizen
    from helpline.db import make_engine, make_session_factory
    from tests.fixtures_faults import empty_private_database

    engine = make_engine(empty_private_database(private_postgres))
    sessions = make_session_factory(engine)
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def first_contact() -> None:
        with sessions() as session:
            start.wait()
            try:
                with unit_of_work(session):
                    get_or_create_citizen(session, "+91" + OTHER_MOBILE, language="en")
            except Exception as exc:
                failures.append(exc)

    threads = [threading.Thread(target=first_contact) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        assert len(session.scalars(select(Citizen)).all()) == 1
    engine.dispose()
    log = private_postgres.server_log()
    assert not failures, failures
    assert OTHER_MOBILE[:6] not in log, log[-2000:]
    assert "duplicate key" not in log
    assert failures == [], failures


def test_a_state_is_compressed_only_when_that_shortens_it_and_old_urls_still_read(ivr_app):
    """A call in progress across a release keeps working: a state compressed the way
    every state was before (even a small one) still reads."""
    import json
    import os

    from ivr.flow import STATE_AAD, _cipher, read_state, sign_state

    small = {"l": "hi", "p": "book"}
    large = {"l": "en", "so": list(range(100, 160)),
             "ds": [f"2030-01-0{d}" for d in range(1, 8)]}
    with ivr_app.test_request_context():
        key = ivr_app.extensions["helpline"].settings.secret_key
        for state in (small, large):
            token = sign_state(state)
            assert read_state(token) == state
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = _cipher(key).decrypt(raw[:12], raw[12:], STATE_AAD)
            written = json.dumps(state, separators=(",", ":")).encode()
            assert len(plain) <= len(written)
            assert (plain == written) is (state is small)
        nonce = os.urandom(12)
        old = _cipher(key).encrypt(nonce, zlib.compress(json.dumps(small).encode()), STATE_AAD)
        assert read_state(base64.urlsafe_b64encode(nonce + old).decode().rstrip("=")) == small
