"""The console's background polls (the desk, the caller pop, queues, ``/console/live``)
never write the session cookie, so a poll answered after a form's answer cannot put
back the session as it was before the form (losing its message or a sign-out); they
keep an open console signed in through a keep-alive cookie of their own."""

from __future__ import annotations

import pytest

from agent_console import auth
from tests.fixtures_console import ConsoleClient

POLLS = ("/console/me/desk", "/console/caller", "/console/callbacks", "/console/?scope=mine")


def _set_cookies(response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    return cookies


def _poll(console: ConsoleClient, path: str, session_cookie: str):
    """A poll the page sent with the cookie it had then (a second client: no jar)."""
    raw = console.client.application.test_client(use_cookies=False)
    return raw.get(path, headers={"X-Fragment": "1", "Cookie": f"session={session_cookie}"})


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import time

    clock = Clock(time.time())
    monkeypatch.setattr(auth, "time", clock)
    return clock


def test_a_poll_answered_after_a_form_keeps_the_forms_message(console, agent):
    console.login("agent.one")
    before = console.client.get_cookie("session").value
    # Wrap-up with nothing to wrap up: the answer's message travels in the session.
    answer = console.post("/console/me/wrap-up", {"disposition": "booked", "next": "/console/"})
    assert answer.status_code == 302
    after = console.client.get_cookie("session").value
    assert after != before
    for path in POLLS:  # polls the page sent before the form, answered after it
        polled = _poll(console, path, before)
        assert polled.status_code == 200, path
        assert "session" not in _set_cookies(polled), path
    page = console.get("/console/").get_data(as_text=True)
    assert 'class="flash error' in page


def test_the_live_counters_do_not_write_the_session_either(console, agent, clock):
    console.login("agent.one")
    clock.now += 2 * 60
    answer = console.get("/console/live")  # fetched without X-Fragment by older pages
    assert answer.status_code == 200 and "callbacks_waiting" in answer.get_json()
    assert "session" not in _set_cookies(answer)
    assert auth.KEEPALIVE_COOKIE in _set_cookies(answer)
    # Renewed at most once a minute, not on every poll.
    clock.now += 30
    assert _set_cookies(console.get("/console/me/desk", headers={"X-Fragment": "1"})) == {}
    clock.now += 31
    assert auth.KEEPALIVE_COOKIE in _set_cookies(
        console.get("/console/me/desk", headers={"X-Fragment": "1"}))


def test_a_poll_answered_after_sign_out_does_not_sign_back_in(console, agent):
    console.login("agent.one")
    before = console.client.get_cookie("session").value
    console.post("/console/logout")
    polled = _poll(console, "/console/me/desk", before)
    assert "session" not in _set_cookies(polled)
    answer = console.get("/console/")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]


def test_polls_keep_an_open_console_signed_in(console, agent, clock):
    console.login("agent.one")
    start = clock.now
    for minutes in (20, 40, 60):  # the desk sits open; only its polls reach the server
        clock.now = start + minutes * 60
        assert console.get("/console/me/desk", headers={"X-Fragment": "1"}).status_code == 200
    clock.now = start + 85 * 60  # 25 min after the last poll: still signed in
    assert console.get("/console/").status_code == 200


def test_without_polls_the_idle_session_ends(console, agent, clock):
    console.login("agent.one")
    clock.now += 31 * 60  # the tab was closed
    answer = console.get("/console/")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]


def test_an_expired_session_answers_polls_401_not_the_sign_in_page(console, agent, clock):
    console.login("agent.one")
    clock.now += 31 * 60
    for path in POLLS:
        answer = console.get(path, headers={"X-Fragment": "1"})
        assert answer.status_code == 401, path  # the script reloads; the page says why
        assert "session" not in _set_cookies(answer)
    page = console.client.get("/console/", follow_redirects=True).get_data(as_text=True)
    assert 'id="login-form"' in page


def test_a_keep_alive_cookie_only_counts_for_its_own_sign_in(console, agent, other_agent,
                                                            clock):
    console.login("agent.one")
    clock.now += 20 * 60
    polled = console.get("/console/me/desk", headers={"X-Fragment": "1"})
    kept = _set_cookies(polled)[auth.KEEPALIVE_COOKIE]
    # Another agent's session (or a later sign-in) with that cookie: not kept alive.
    other = ConsoleClient(console.client.application.test_client())
    other.login("agent.two")
    other.client.set_cookie(auth.KEEPALIVE_COOKIE, kept)
    clock.now += 31 * 60
    assert other.get("/console/").status_code == 302
    # A forged or damaged cookie is ignored the same way.
    third = ConsoleClient(console.client.application.test_client())
    third.login("agent.one")
    for forged in ("x", kept[:-3] + "abc", ""):
        third.client.set_cookie(auth.KEEPALIVE_COOKIE, forged)
        clock.now += 1
        assert third.get("/console/").status_code == 200  # its own seen: fresh
    clock.now += 31 * 60
    third.client.set_cookie(auth.KEEPALIVE_COOKIE, kept[:-3] + "abc")
    assert third.get("/console/").status_code == 302


def test_signing_out_takes_an_available_agent_off_the_calls(console, agent, session):
    from contact_centre.models import AgentState, StaffUser

    console.login("agent.one")
    with session.begin():
        session.get(StaffUser, agent.id).phone = "+919810000199"
    console.post("/console/me/state", {"state": "available", "next": "/console/"})
    session.expire_all()
    assert session.get(StaffUser, agent.id).state == AgentState.AVAILABLE
    session.commit()
    console.post("/console/logout")
    session.expire_all()
    assert session.get(StaffUser, agent.id).state == AgentState.OFFLINE
    session.commit()  # end the read: SQLite's app transactions wait for it
    # On a break (or on a call) the state is left as it is.
    console.login("agent.one")
    answer = console.post("/console/me/state", {"state": "break", "next": "/console/"})
    assert answer.status_code == 302
    session.commit()
    console.post("/console/logout")
    session.expire_all()
    assert session.get(StaffUser, agent.id).state == AgentState.BREAK


def test_the_pages_files_do_not_write_the_session(console, agent, clock):
    console.login("agent.one")
    clock.now += 5 * 60
    for path in ("/console/static/console.css", "/console/static/console.js",
                 "/console/static/favicon.svg"):
        answer = console.get(path)
        assert answer.status_code == 200, path
        assert "session" not in _set_cookies(answer), path
