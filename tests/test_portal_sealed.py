"""The portal's cookies and the API's verification token are sealed: a shared or
cyber-café computer's cookie store (or a log holding the header) shows neither the
verified mobile nor a carried draft, in any form, even after base64 and zlib; a
changed, cut, foreign-key, other-purpose or old signed token opens nothing; the
mobile proof still runs out after 15 minutes (the API's after 30) and says so."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import zlib

import pytest
from itsdangerous import URLSafeTimedSerializer

from helpline.sealing import BadSeal, SealExpired, open_sealed, seal
from portal_api.auth import issue_verification_token, read_verification_token
from portal_web.carry import MAX_COOKIE
from tests.fixtures_api import API, latest_code
from tests.test_portal_pages import CSRF, E164, PHONE, Portal

NUMBER_FORMS = ("9812345678", "919812345678", "98123 45678", "98123", "45678")
HINDI = "ओपीडी के पास शौचालय पूरे दिन साफ़ नहीं हुए, रोगी परेशान रहे।"
ENGLISH = "Toilets near the OPD were not cleaned all day"


def readable_forms(token: str) -> list[str]:
    """The token as written and everything base64 (of the whole or of any ``.``-part)
    and zlib can turn it back into, read as UTF-8 and with JSON escapes undone."""
    raws: list[bytes] = [token.encode()]
    for piece in [token, *token.split(".")]:
        try:
            raw = base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
        except (binascii.Error, ValueError):
            continue
        raws.append(raw)
        for start in range(0, min(len(raw), 48)):  # zlib data after any prefix
            try:
                raws.append(zlib.decompress(raw[start:]))
            except zlib.error:
                pass
    forms = []
    for raw in raws:
        text = raw.decode("utf-8", "replace")
        forms.append(text)
        try:
            forms.append(json.dumps(json.loads(text), ensure_ascii=False))
        except ValueError:
            forms.append(re.sub(r"\\u([0-9a-fA-F]{4})",
                                lambda m: chr(int(m.group(1), 16)), text))
    return forms


def assert_unreadable(token: str, *secrets: str) -> None:
    assert token
    for form in readable_forms(token):
        for secret in secrets:
            assert secret not in form, (secret, form[:200])
        assert not re.search(r"\d{10}", form), form[:200]


def _cookie(answer, name: str) -> str:
    found = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert found, answer.headers.getlist("Set-Cookie")
    return found[-1].split(";", 1)[0].split("=", 1)[1]


def _verified_cookie(portal: Portal) -> str:
    portal.choose("en")
    portal.get("/portal/appointments")
    portal.post("/portal/appointments", {"mobile": PHONE, "step": "send_code"})
    answer = portal.client.post("/portal/appointments", data={
        "csrf_token": CSRF.search(portal.page).group(1), "mobile": PHONE,
        "code": latest_code(portal.session, E164), "step": "check_code"})
    assert answer.status_code == 303
    return _cookie(answer, "portal_mobile")


def _says(client, token: str | None) -> str:
    client.delete_cookie("portal_mobile", path="/portal")
    if token is not None:
        client.set_cookie("portal_mobile", token, path="/portal")
    return client.get("/portal/appointments", headers={"Accept-Language": "en"}).get_data(
        as_text=True)


VERIFIED, ASKED, ENDED = ("Verified mobile: +91******5678", "Verify your mobile",
                          "Your verification has ended after 15 minutes")


def test_the_verified_mobile_cookie_shows_no_number(client, session, catalogue):
    token = _verified_cookie(Portal(client, session))
    assert_unreadable(token, E164, *NUMBER_FORMS)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # cookie and URL safe as it is
    assert VERIFIED in _says(client, token)


def test_a_carried_draft_shows_neither_its_text_nor_the_mobile(client, session, catalogue):
    portal = Portal(client, session)
    portal.choose("hi")
    portal.get("/portal/grievances/new")
    for text in (HINDI, ENGLISH):
        answer = portal.client.post("/portal/grievances/new", data={
            "csrf_token": CSRF.search(portal.page).group(1), "category": "cleanliness",
            "hospital": str(catalogue.hospital.id), "description": text, "mobile": PHONE,
            "step": "send_code"})
        assert answer.status_code == 303
        carried = _cookie(answer, "portal_carry")
        assert_unreadable(carried, text, text[:12], E164, *NUMBER_FORMS)
        assert len(carried) <= MAX_COOKIE
        # The page it names still shows both, once.
        assert text in portal.get("/portal/grievances/new")
        assert f'value="{PHONE}"' in portal.page


def test_the_api_verification_token_shows_no_number(client, session, app):
    client.post(f"{API}/verifications", json={"phone": PHONE, "language": "en"})
    token = client.post(f"{API}/verifications/confirm", json={
        "phone": PHONE, "code": latest_code(session, E164)}).json["verification_token"]
    assert_unreadable(token, E164, *NUMBER_FORMS)
    assert read_verification_token(app.config["SECRET_KEY"], token, 60) == E164


def _changed(token: str) -> list[str]:
    """The token with each byte flipped in turn, cut short, lengthened, re-padded."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    out = []
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:]
        out.append(base64.urlsafe_b64encode(flipped).decode().rstrip("="))
    out += [token[:-1], token[:-4], token[:16], token + "A", token + "AAAA", "", "." * 8,
            token + "=", "é" + token]
    return out


def test_changed_cut_foreign_and_old_signed_tokens_are_refused(client, session, app, catalogue):
    key = app.config["SECRET_KEY"]
    token = issue_verification_token(key, PHONE)
    assert read_verification_token(key, token, 60) == E164
    refused = _changed(token) + [
        issue_verification_token("another-key", PHONE),
        seal(key, "portal-carry", {"phone": E164}),  # another purpose, same key
        seal(key, "ivr-state", {"phone": E164}),
        # The old itsdangerous token, made with the right key and salt: signed, readable.
        URLSafeTimedSerializer(key, salt="portal.verified-mobile").dumps({"phone": E164}),
    ]
    for bad in refused:
        with pytest.raises(BadSeal):
            read_verification_token(key, bad, 900)
    # Through the portal's cookie and the API's header alike.
    for bad in refused[-4:] + refused[:3] + refused[-10:-4]:
        if bad:
            page = _says(client, bad)
            assert ASKED in page and VERIFIED not in page, bad
        answer = client.post(f"{API}/appointments", json={"slot_id": catalogue.slot.id},
                             headers={"X-Verification-Token": bad})
        assert answer.status_code == 401
        assert answer.json["error"]["code"] in ("verification_invalid",
                                                "verification_required"), bad


def test_the_proof_runs_out_after_15_minutes_and_the_api_token_after_30(client, app, catalogue):
    key, now = app.config["SECRET_KEY"], time.time()
    assert VERIFIED in _says(client, issue_verification_token(key, PHONE, now=now - 14 * 60))
    page = _says(client, issue_verification_token(key, PHONE, now=now - 16 * 60))
    assert ENDED in page and VERIFIED not in page
    # A forged token is "not verified", never "ended".
    assert ENDED not in _says(client, issue_verification_token("another-key", PHONE,
                                                               now=now - 16 * 60))
    for minutes, code in ((29, "slot"), (31, "verification_expired")):
        answer = client.post(f"{API}/appointments", json={"slot_id": 999999}, headers={
            "X-Verification-Token": issue_verification_token(key, PHONE,
                                                             now=now - minutes * 60)})
        if code == "slot":
            assert answer.status_code != 401, answer.json
        else:
            assert (answer.status_code, answer.json["error"]["code"]) == (401, code)


def test_sealing_keeps_purpose_key_and_age_apart():
    value = {"to": "/portal/grievances/new", "data": {"draft": HINDI * 3}}
    token = seal("k1", "portal-carry", value)
    assert open_sealed("k1", "portal-carry", token, 600) == value
    for key, purpose in (("k2", "portal-carry"), ("k1", "portal.verified-mobile")):
        with pytest.raises(BadSeal):
            open_sealed(key, purpose, token, 600)
    old = seal("k1", "portal-carry", value, now=time.time() - 601)
    with pytest.raises(SealExpired):
        open_sealed("k1", "portal-carry", old, 600)
    with pytest.raises(BadSeal):
        open_sealed("k1", "portal-carry", seal("k1", "portal-carry", value,
                                                now=time.time() + 3600), 600)
    # Two seals of one value differ (a fresh nonce): equal drafts are not seen as equal.
    assert seal("k1", "portal-carry", value) != seal("k1", "portal-carry", value)


def test_an_expired_carry_is_not_shown(client, session, app, catalogue):
    portal = Portal(client, session)
    portal.choose("en")
    portal.get("/portal/grievances/new")
    stale = seal(app.config["SECRET_KEY"], "portal-carry",
                 {"to": "/portal/grievances/new", "data": {"draft": {"description": ENGLISH}}},
                 now=time.time() - 11 * 60)
    client.set_cookie("portal_carry", stale, path="/portal")
    assert ENGLISH not in portal.get("/portal/grievances/new")
    fresh = seal(app.config["SECRET_KEY"], "portal-carry",
                 {"to": "/portal/grievances/new", "data": {"draft": {"description": ENGLISH}}})
    client.set_cookie("portal_carry", fresh, path="/portal")
    assert ENGLISH in portal.get("/portal/grievances/new")
