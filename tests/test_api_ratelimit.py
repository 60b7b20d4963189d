"""Per-client rate limits on the public API: in memory, and in Redis shared by every
web process."""

from __future__ import annotations

import pytest

from helpline.app import create_app
from tests.conftest import make_settings
from tests.fixtures_api import API


def _exhaust(client, limit: int) -> None:
    for _ in range(limit):
        assert client.get(f"{API}/hospitals").status_code == 200
    res = client.get(f"{API}/hospitals")
    assert res.status_code == 429
    assert res.json["error"]["code"] == "rate_limited"
    assert 1 <= int(res.headers["Retry-After"]) <= 61
    # Every endpoint of the client is counted; the OpenAPI document is not.
    assert client.post(f"{API}/verifications", json={"phone": "9812345678"}).status_code == 429
    assert client.get(f"{API}/openapi.json").status_code == 200
    # Another client is unaffected.
    other = client.get(f"{API}/hospitals", environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_rate_limit_in_memory(database_url):
    app = create_app(make_settings(database_url, api_rate_limit_per_minute=3))
    try:
        _exhaust(app.test_client(), 3)
    finally:
        app.extensions["helpline"].engine.dispose()


@pytest.mark.redis
def test_rate_limit_in_redis_is_shared_between_processes(database_url, redis_url,
                                                         redis_namespace):
    settings = make_settings(database_url, api_rate_limit_per_minute=4, redis_url=redis_url,
                             redis_namespace=redis_namespace)
    first, second = create_app(settings), create_app(settings)
    try:
        # Two apps stand for two web processes: their counts add up.
        for app in (first, second):
            for _ in range(2):
                assert app.test_client().get(f"{API}/hospitals").status_code == 200
        res = second.test_client().get(f"{API}/hospitals")
        assert res.status_code == 429 and "Retry-After" in res.headers
        from redis import Redis

        keys = list(Redis.from_url(redis_url).scan_iter(f"{redis_namespace}:rl:api:*"))
        assert len(keys) == 1
    finally:
        for app in (first, second):
            app.extensions["helpline"].engine.dispose()
