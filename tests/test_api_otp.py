"""Verifying a mobile with a one-time code: SMS, expiry, tries, rate limit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from booking_core.outbox import OutboxMessage
from booking_core.verification import PhoneVerification
from portal_api.auth import read_verification_token
from tests.fixtures_api import API, latest_code, reading

PHONE, E164 = "098123 45678", "+919812345678"


def _send(client, phone=PHONE, language="hi"):
    return client.post(f"{API}/verifications", json={"phone": phone, "language": language})


def _confirm(client, code, phone=PHONE):
    return client.post(f"{API}/verifications/confirm", json={"phone": phone, "code": code})


def test_code_is_sent_by_sms_and_stored_hashed(client, session, conforms):
    res = _send(client)
    assert res.status_code == 202
    conforms(res.json, "VerificationSent")
    assert res.json["phone"] == "+91******5678" and res.json["expires_in_seconds"] == 600
    sms = session.scalar(select(OutboxMessage).where(OutboxMessage.template == "otp_code"))
    code = sms.params["code"]
    assert sms.to_phone == E164 and sms.language == "hi"
    assert len(code) == 6 and code.isdigit() and code in sms.body and "कोड" in sms.body
    row = session.scalar(select(PhoneVerification))
    assert row.phone == E164 and code not in row.code_hash and len(row.code_hash) == 64
    assert row.outbox_id == sms.id
    assert row.expires_at - row.created_at == dt.timedelta(seconds=600)


def test_right_code_gives_a_token_bound_to_the_phone(client, session, app, conforms):
    _send(client)
    res = _confirm(client, latest_code(session, E164))
    assert res.status_code == 200
    conforms(res.json, "VerificationToken")
    token = res.json["verification_token"]
    assert read_verification_token(app.config["SECRET_KEY"], token, 60) == E164
    # A code verifies once.
    again = _confirm(client, latest_code(session, E164))
    assert again.status_code == 422 and again.json["error"]["code"] == "otp_not_requested"


def test_wrong_code_counts_tries_and_five_wrong_lock_the_code(client, session):
    _send(client)
    code = latest_code(session, E164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    lefts = []
    for _ in range(5):
        res = _confirm(client, wrong)
        assert res.status_code == 422 and res.json["error"]["code"] == "otp_wrong_code"
        lefts.append(res.json["error"]["details"]["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    locked = _confirm(client, code)  # even the right code is refused now
    assert locked.status_code == 429 and locked.json["error"]["code"] == "otp_attempts_exhausted"
    with reading(session):
        assert session.scalar(select(PhoneVerification.attempts)) == 5
    # A new code works.
    _send(client)
    assert _confirm(client, latest_code(session, E164)).status_code == 200


def test_expired_code_is_refused(client, session):
    _send(client)
    code = latest_code(session, E164)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with session.begin():
        session.execute(update(PhoneVerification).values(expires_at=past))
    res = _confirm(client, code)
    assert res.status_code == 422 and res.json["error"]["code"] == "otp_expired"


def test_a_new_code_replaces_the_old_one(client, session):
    _send(client)
    first = latest_code(session, E164)
    _send(client)
    second = latest_code(session, E164)
    if first != second:
        assert _confirm(client, first).json["error"]["code"] == "otp_wrong_code"
    assert _confirm(client, second).status_code == 200


def test_codes_per_number_per_hour_are_limited(client, session):
    for _ in range(5):
        assert _send(client).status_code == 202
    res = _send(client, phone="+91 98123 45678")  # same number, written differently
    assert res.status_code == 429 and res.json["error"]["code"] == "otp_rate_limited"
    assert 0 < int(res.headers["Retry-After"]) <= 3601
    with reading(session):
        assert session.scalar(select(func.count()).select_from(PhoneVerification)) == 5
    # Another number is not affected.
    assert _send(client, phone="9812345679").status_code == 202


def test_bad_verification_input(client):
    cases = [
        ({"phone": "1234567890"}, 422, "invalid_mobile"),  # a landline
        ({"phone": "+1 415 555 2671"}, 422, "invalid_mobile"),
        ({"phone": 9812345678}, 400, "invalid_type"),
        ({}, 400, "missing_field"),
        ({"phone": PHONE, "language": "fr"}, 400, "invalid_field"),
    ]
    for body, status, code in cases:
        res = client.post(f"{API}/verifications", json=body)
        assert (res.status_code, res.json["error"]["code"]) == (status, code), body
    short = _confirm(client, "12345")
    assert short.status_code == 400 and short.json["error"]["details"]["field"] == "code"
    none = _confirm(client, "123456")
    assert none.status_code == 422 and none.json["error"]["code"] == "otp_not_requested"
