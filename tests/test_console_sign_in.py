"""Console sign-in throttling: only failed sign-ins count, per username and per client
address (behind a proxy, the real client's), so a whole shift signing in from one office
router is never refused. Runs with counts in memory and in Redis."""

from __future__ import annotations

import math

import pytest
from argon2 import PasswordHasher

from agent_console.auth import ADDRESS_LIMIT, LOGIN_LIMIT
from contact_centre import accounts
from helpline.app import create_app
from locales import render
from tests.conftest import make_settings
from tests.fixtures_console import CONSOLE_PASSWORD, csrf_from, make_staff

PROXY = "10.0.0.2"  # our load balancer; TRUSTED_PROXIES=1
OFFICE = "203.0.113.50"  # the call centre's router
ELSEWHERE = "198.51.100.7"


@pytest.fixture
def cheap_hashes(monkeypatch):
    """Light argon2 parameters for accounts made in these tests: they sign in hundreds
    of times and are about counting, not hashing."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                            parallelism=1))
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def console_app(database_url, rate_limit_storage, cheap_hashes):
    app = create_app(make_settings(database_url, trusted_proxies=1, **rate_limit_storage))
    yield app
    app.extensions["helpline"].engine.dispose()


def make_agents(app, count: int, prefix: str = "agent") -> list[str]:
    names = [f"{prefix}.{n:03d}" for n in range(count)]
    with app.extensions["helpline"].session() as session:
        for name in names:
            make_staff(session, name)
    return names


def sign_in(app, username: str, password: str = CONSOLE_PASSWORD, *, address: str = OFFICE,
            lang: str = "en", client=None):
    """One sign-in through the proxy from ``address``, in a fresh browser by default."""
    client = client or app.test_client()
    through_proxy = {"environ_overrides": {"REMOTE_ADDR": PROXY},
                     "headers": {"X-Forwarded-For": address}}
    page = client.get(f"/console/login?lang={lang}", **through_proxy)
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf_token": token}, **through_proxy)


def assert_throttled(answer, lang: str) -> None:
    assert answer.status_code == 429
    wait = int(answer.headers["Retry-After"])
    assert 14 * 60 < wait <= 15 * 60
    message = render(lang, "console.login_throttled", minutes=math.ceil(wait / 60))
    assert message in answer.get_data(as_text=True)


def test_a_whole_shift_signs_in_from_one_address(console_app):
    agents = make_agents(console_app, 200)
    typos = ADDRESS_LIMIT - 10
    for name in agents[:typos]:  # a few typos first, each on its own account
        assert sign_in(console_app, name, "wrong password!").status_code == 401
    for name in agents:
        answer = sign_in(console_app, name)
        assert answer.status_code == 302, name
        assert answer.headers["Location"].endswith("/console/")
    # None of the 200 successes counted: the office still has exactly its 10 failures.
    for name in agents[typos:ADDRESS_LIMIT]:
        assert sign_in(console_app, name, "wrong password!").status_code == 401
    assert_throttled(sign_in(console_app, agents[-1], "wrong password!"), "en")


def test_failed_sign_ins_from_one_address_are_throttled_there_only(console_app):
    agents = make_agents(console_app, ADDRESS_LIMIT + 1)
    for name in agents[:ADDRESS_LIMIT]:
        assert sign_in(console_app, name, "wrong password!").status_code == 401
    # Even the right password waits now, and the agent reads why in Hindi.
    assert_throttled(sign_in(console_app, agents[-1], lang="hi"), "hi")
    # Another client behind the same proxy is its own address.
    assert sign_in(console_app, agents[-1], address=ELSEWHERE).status_code == 302


def test_failed_sign_ins_for_one_username_are_throttled_from_everywhere(console_app):
    make_agents(console_app, 2)
    for n in range(LOGIN_LIMIT):
        answer = sign_in(console_app, "agent.000", "wrong password!", address=f"192.0.2.{n}")
        assert answer.status_code == 401
    browser = console_app.test_client()
    assert_throttled(sign_in(console_app, "agent.000", address=ELSEWHERE, client=browser), "en")
    assert browser.get("/console/").status_code == 302  # not signed in
    assert_throttled(sign_in(console_app, "Agent.000 ", address=ELSEWHERE), "en")
    # Other accounts, from the same addresses, are not affected.
    assert sign_in(console_app, "agent.001", address="192.0.2.1").status_code == 302


def test_a_success_clears_nothing_and_failures_below_the_limit_do_not_block(console_app):
    make_agents(console_app, 1)
    for _ in range(LOGIN_LIMIT - 1):
        assert sign_in(console_app, "agent.000", "wrong password!").status_code == 401
    assert sign_in(console_app, "agent.000").status_code == 302
    assert sign_in(console_app, "agent.000").status_code == 302
    # The tenth failure in the window reaches the limit, successes or not in between.
    assert sign_in(console_app, "agent.000", "wrong password!").status_code == 401
    assert_throttled(sign_in(console_app, "agent.000"), "en")
