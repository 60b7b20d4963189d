"""Playing Twilio's part in routed calls: callers who press 0 and wait in the queue,
the fake REST API's redirects followed like Twilio follows them, agents' phones that
answer, hang up or ring out. Every step is a signed webhook to the real app."""

from __future__ import annotations

import secrets
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import pytest

from messaging.delivery import deliver
from tests.conftest import PUBLIC_BASE_URL
from tests.fake_twilio import FakeTwilio
from tests.fixtures_console import ConsoleClient, make_staff
from tests.fixtures_ivr import Phone, signed_post
from tests.fixtures_messaging import messaging_app


@dataclass
class Ringing:
    """A caller's call redirected by routing: the ``<Dial>`` it now runs."""

    caller_sid: str
    to: str  # the agent's phone number, or "client:agent-<id>"
    answered_url: str
    done_url: str


@dataclass
class Switchboard:
    app: Any
    fake: FakeTwilio
    helpline: Any
    followed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def caller(self, number: str) -> Phone:
        return Phone(self.app.test_client(), caller=number,
                     call_sid="CA" + secrets.token_hex(16))

    def queue(self, phone: Phone) -> ET.Element:
        """The caller presses 0 for an agent: the answer must put them in the queue (when
        nobody is signed in yet, they are offered a callback first and choose to wait)."""
        phone.call()
        root = phone.press("0")
        if root.find("Enqueue") is None and "2" in phone.said:
            root = phone.press("2")  # no agent signed in yet: "to keep waiting, press 2"
        assert root.find("Enqueue") is not None, ET.tostring(root, encoding="unicode")
        return root

    def deliver(self) -> int:
        """A worker delivering due outbox rows (routing's redirects among them)."""
        return deliver(self.helpline, ids=None, limit=1000)

    def follow_redirects(self) -> list[Ringing]:
        """Twilio runs each new redirect's URL on the caller's call: the answer must be
        a ``<Dial>`` ringing one agent."""
        with self.lock:
            new = self.fake.redirects[self.followed:]
            self.followed = len(self.fake.redirects)
        ringing = []
        client = self.app.test_client()
        for sid, url in new:
            root = _post(client, url, {"CallSid": sid, "CallStatus": "in-progress"})
            dial = root.find("Dial")
            assert dial is not None, ET.tostring(root, encoding="unicode")
            assert dial.get("timeout") == "20" and dial.get("method") == "POST"
            [target] = list(dial)
            to = target.text or ""
            if target.tag == "Client":
                to = f"client:{to}"
            else:
                assert target.tag == "Number"
            ringing.append(Ringing(sid, to, target.get("url", ""), dial.get("action", "")))
        return ringing

    def agent_answers(self, ring: Ringing) -> ET.Element:
        return _post(self.app.test_client(), ring.answered_url,
                     {"CallSid": "CA" + secrets.token_hex(16), "ParentCallSid": ring.caller_sid,
                      "CallStatus": "in-progress"})

    def dial_ends(self, ring: Ringing, status: str) -> ET.Element:
        """The ``<Dial>`` is over (``completed`` after a conversation; ``no-answer``,
        ``busy``...): Twilio posts its action on the caller's call."""
        return _post(self.app.test_client(), ring.done_url,
                     {"CallSid": ring.caller_sid, "DialCallStatus": status,
                      "CallStatus": "in-progress"})

    def caller_hangs_up(self, caller_sid: str) -> None:
        self.fake.hang_up(caller_sid)
        _post(self.app.test_client(), f"{PUBLIC_BASE_URL}/ivr/status",
              {"CallSid": caller_sid, "CallStatus": "completed", "CallDuration": "60"})


def _post(client: Any, url: str, params: dict[str, str]) -> ET.Element:
    response = signed_post(client, url, params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return root


@pytest.fixture
def board(database_url, fake_twilio):
    """A switchboard on an app whose agents work round the clock."""
    app = messaging_app(database_url, fake_twilio, agent_hours="00:00-00:00")
    helpline = app.extensions["helpline"]
    yield Switchboard(app, fake_twilio, helpline)
    helpline.engine.dispose()


def signed_in_agent(board: Switchboard, username: str, phone: str,
                    language: str = "en") -> ConsoleClient:
    """A new agent with ``phone``, signed in to the console of ``board``'s app."""
    with board.helpline.session() as s:
        make_staff(s, username, phone=phone, language=language)
    console = ConsoleClient(board.app.test_client())
    console.login(username)
    return console
