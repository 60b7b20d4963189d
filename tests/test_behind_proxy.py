"""TRUSTED_PROXIES: which X-Forwarded-* entries the app believes, and webhook signatures
still checked against PUBLIC_BASE_URL behind a proxy."""

from __future__ import annotations

import pytest
from flask import jsonify, request

from helpline.app import create_app
from helpline.settings import Settings
from tests.conftest import PUBLIC_BASE_URL, make_settings
from tests.fixtures_ivr import CALLER, signed_post

PROXY = "10.0.0.2"  # the address our own proxy connects from


def _app_with_probe(database_url: str, hops: int):
    app = create_app(make_settings(database_url, trusted_proxies=hops))

    @app.get("/probe")
    def probe():
        return jsonify(address=request.remote_addr, scheme=request.scheme, host=request.host)

    return app


def _probe(app, **headers: str) -> dict[str, str]:
    answer = app.test_client().get(
        "/probe", headers=headers, base_url="http://10.0.0.5:8000",
        environ_overrides={"REMOTE_ADDR": PROXY})
    return answer.json


@pytest.mark.parametrize("hops, forwarded_for, forwarded_proto, client", [
    (1, "6.6.6.6, 198.51.100.9", "https", "198.51.100.9"),
    (2, "6.6.6.6, 203.0.113.4, 198.51.100.9", "https, http", "203.0.113.4"),
])
def test_the_nth_address_from_the_right_is_the_client(database_url, hops, forwarded_for,
                                                      forwarded_proto, client):
    app = _app_with_probe(database_url, hops)
    try:
        # The client wrote "6.6.6.6" itself; each proxy appended what it saw.
        seen = _probe(app, **{"X-Forwarded-For": forwarded_for,
                              "X-Forwarded-Proto": forwarded_proto,
                              "X-Forwarded-Host": "evil.example"})
        assert seen == {"address": client, "scheme": "https", "host": "10.0.0.5:8000"}
        # A request that did not come through every proxy keeps the connecting address.
        assert _probe(app, **({"X-Forwarded-For": "6.6.6.6"} if hops > 1 else {})) == {
            "address": PROXY, "scheme": "http", "host": "10.0.0.5:8000"}
    finally:
        app.extensions["helpline"].engine.dispose()


def test_without_trusted_proxies_forwarded_headers_are_ignored(database_url):
    app = _app_with_probe(database_url, 0)
    try:
        seen = _probe(app, **{"X-Forwarded-For": "198.51.100.9",
                              "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
        assert seen == {"address": PROXY, "scheme": "http", "host": "10.0.0.5:8000"}
    finally:
        app.extensions["helpline"].engine.dispose()


def test_webhook_signatures_are_checked_against_the_public_url_behind_a_proxy(database_url):
    app = create_app(make_settings(database_url, trusted_proxies=1))
    try:
        client = app.test_client()
        proxied = {"X-Forwarded-For": "54.172.60.1", "X-Forwarded-Proto": "https",
                   "X-Forwarded-Host": "10.0.0.5:8000"}
        form = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": "+911140000000",
                "AccountSid": "AC" + "0" * 32, "CallStatus": "ringing"}
        client.environ_base.update(REMOTE_ADDR=PROXY)
        for name, value in proxied.items():
            client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
        answer = signed_post(client, f"{PUBLIC_BASE_URL}/ivr/voice", form)
        assert answer.status_code == 200 and answer.mimetype == "text/xml"
        assert b"<Gather" in answer.data
        # Signed for the inside address instead: refused.
        inside = signed_post(client, "https://10.0.0.5:8000/ivr/voice", form)
        assert inside.status_code == 403
    finally:
        app.extensions["helpline"].engine.dispose()


def test_trusted_proxies_setting():
    assert Settings.from_env({}).trusted_proxies == 0
    assert Settings.from_env({"TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings.from_env({"TRUSTED_PROXIES": "-1"})
