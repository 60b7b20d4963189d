"""Per-client rate limits on the public API: counted in memory and in Redis (shared by
every web process), keyed on the real client behind trusted proxies, and never a
lockout when Redis is unreachable."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from helpline.app import create_app
from tests.conftest import make_settings
from tests.fixtures_api import API

HOSPITALS = f"{API}/hospitals"
PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from our proxy


def _exhaust(client, limit: int, **kw) -> None:
    for _ in range(limit):
        assert client.get(HOSPITALS, **kw).status_code == 200
    res = client.get(HOSPITALS, **kw)
    assert res.status_code == 429
    assert res.json == {"error": {"code": "rate_limited",
                                  "message": "too many requests; slow down",
                                  "details": {"limit_per_minute": limit}}}
    assert 1 <= int(res.headers["Retry-After"]) <= 60


def _app(database_url: str, storage: dict[str, object], **overrides: object):
    return create_app(make_settings(database_url, **storage, **overrides))


def test_each_client_has_its_own_limit(database_url, rate_limit_storage):
    app = _app(database_url, rate_limit_storage, api_rate_limit_per_minute=3)
    try:
        client = app.test_client()
        _exhaust(client, 3)
        # Every endpoint of the client is counted; the OpenAPI document is not.
        assert client.post(f"{API}/verifications", json={"phone": "9812345678"}).status_code == 429
        assert client.get(f"{API}/openapi.json").status_code == 200
        # Another client is unaffected; nothing outside the API is limited.
        other = client.get(HOSPITALS, environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 200
        assert client.get("/healthz").status_code == 200
    finally:
        app.extensions["helpline"].engine.dispose()


def test_behind_a_proxy_clients_are_told_apart(database_url, rate_limit_storage):
    app = _app(database_url, rate_limit_storage, api_rate_limit_per_minute=3, trusted_proxies=1)
    try:
        client = app.test_client()
        first = {"environ_overrides": PROXY, "headers": {"X-Forwarded-For": "203.0.113.7"}}
        _exhaust(client, 3, **first)
        second = {"environ_overrides": PROXY, "headers": {"X-Forwarded-For": "198.51.100.2"}}
        for _ in range(3):
            assert client.get(HOSPITALS, **second).status_code == 200
        # The first client cannot pass for another by writing its own X-Forwarded-For
        # entry: the proxy appends the address it saw, and only that one is believed.
        forged = {"environ_overrides": PROXY,
                  "headers": {"X-Forwarded-For": "192.0.2.99, 203.0.113.7"}}
        assert client.get(HOSPITALS, **forged).status_code == 429
    finally:
        app.extensions["helpline"].engine.dispose()


def test_without_trusted_proxies_a_forged_address_does_not_escape(database_url,
                                                                   rate_limit_storage):
    app = _app(database_url, rate_limit_storage, api_rate_limit_per_minute=3)
    try:
        client = app.test_client()
        statuses = [client.get(HOSPITALS, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code
                    for n in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
    finally:
        app.extensions["helpline"].engine.dispose()


@pytest.mark.redis
def test_counts_in_redis_are_shared_between_processes(database_url, redis_url, redis_namespace):
    settings = make_settings(database_url, api_rate_limit_per_minute=4, redis_url=redis_url,
                             redis_namespace=redis_namespace)
    first, second = create_app(settings), create_app(settings)
    try:
        # Two apps stand for two web processes: their counts add up.
        for app in (first, second):
            for _ in range(2):
                assert app.test_client().get(HOSPITALS).status_code == 200
        res = second.test_client().get(HOSPITALS)
        assert res.status_code == 429 and "Retry-After" in res.headers
        from redis import Redis

        keys = list(Redis.from_url(redis_url).scan_iter(f"{redis_namespace}:rl:*"))
        assert len(keys) == 1 and b"/127.0.0.1/api/" in keys[0]
    finally:
        for app in (first, second):
            app.extensions["helpline"].engine.dispose()


@pytest.mark.parametrize("redis_state", ["refusing", "silent"])
def test_unreachable_redis_locks_nobody_out_and_costs_little(database_url, caplog, redis_state):
    """A Redis that refuses connections, or accepts them and never answers (frozen, or a
    network partition): requests are answered at once, counted in the process's memory
    until Redis is back."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        if redis_state == "silent":
            server.listen(16)  # the kernel accepts connections; nothing ever answers
        port = server.getsockname()[1]
        app = create_app(make_settings(database_url, api_rate_limit_per_minute=3,
                                       redis_url=f"redis://127.0.0.1:{port}/0"))
        try:
            client = app.test_client()
            with caplog.at_level(logging.WARNING):
                started = time.perf_counter()
                assert client.get(HOSPITALS).status_code == 200
                first = time.perf_counter() - started
                started = time.perf_counter()
                assert [client.get(HOSPITALS).status_code for _ in range(3)] == [200, 200, 429]
                rest = time.perf_counter() - started
        finally:
            app.extensions["helpline"].engine.dispose()
    # The first request pays a timeout or two (0.5 s each); the next ones ask Redis
    # nothing, where each would take 0.5 s if they did.
    assert first < 2.0 and rest < 1.0, (first, rest)
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
