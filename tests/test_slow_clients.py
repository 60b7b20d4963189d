"""The production web process (gunicorn.conf.py) keeps answering Twilio while slow
clients hold connections open: some trickle their headers, some their body, a byte at a
time. A sync worker would be held by each of them for the whole of its request."""

from __future__ import annotations

import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import requests
from twilio.request_validator import RequestValidator

from bench.gunicorn_server import gunicorn_server
from bench.nginx_server import nginx_available, nginx_proxy
from tests.conftest import IN_CI, PUBLIC_BASE_URL, TWILIO_SID, TWILIO_TOKEN

SLOW_HEADERS = 8
SLOW_BODIES = 8
BYTE_EVERY = 0.25  # seconds between two bytes of a slow client


def _trickle(address: tuple[str, int], head: bytes, data: bytes, stop: threading.Event,
             connected: threading.Barrier) -> None:
    """Send ``head`` at once, then ``data`` a byte every BYTE_EVERY seconds."""
    with socket.create_connection(address, timeout=5) as sock:
        if head:
            sock.sendall(head)
        connected.wait()
        for byte in data:
            if stop.is_set():
                return
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return
            time.sleep(BYTE_EVERY)


@contextmanager
def slow_clients(base: str) -> Iterator[None]:
    """SLOW_HEADERS clients sending a request's headers byte by byte and SLOW_BODIES
    sending a form body byte by byte after complete headers; all connected and sending
    before the block starts, and still sending (for minutes) while it runs."""
    host = urlsplit(base).netloc
    headers = (f"POST /ivr/voice HTTP/1.1\r\nHost: {host}\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               "User-Agent: slow-client\r\n" + "X-Padding: x\r\n" * 200).encode()
    body = ("CallSid=CA" + "1" * 32 + "&From=%2B919812345678" + "&x=1" * 200).encode()
    complete = (f"POST /ivr/voice HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
    stop = threading.Event()
    connected = threading.Barrier(SLOW_HEADERS + SLOW_BODIES + 1)
    address = (urlsplit(base).hostname or "", urlsplit(base).port or 80)
    threads = [threading.Thread(target=_trickle, daemon=True,
                                args=(address, b"", headers, stop, connected))
               for _ in range(SLOW_HEADERS)]
    threads += [threading.Thread(target=_trickle, daemon=True,
                                 args=(address, complete, body, stop, connected))
                for _ in range(SLOW_BODIES)]
    for thread in threads:
        thread.start()
    connected.wait(timeout=10)
    time.sleep(1.0)  # every slow client has sent its first bytes
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def answer_time(base: str, timeout: float = 60.0) -> tuple[float, ET.Element]:
    """A signed incoming-call webhook, as Twilio posts it: seconds to the answer, TwiML."""
    params = {"CallSid": "CA" + "2" * 32, "From": "+919812345678", "To": "+911140000000",
              "AccountSid": TWILIO_SID}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        PUBLIC_BASE_URL + "/ivr/voice", params)
    started = time.monotonic()
    answer = requests.post(base + "/ivr/voice", data=params, timeout=timeout,
                           headers={"X-Twilio-Signature": signature})
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/xml")
    return elapsed, ET.fromstring(answer.content)


def server_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "SECRET_KEY": "slow-clients-test",
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_PHONE_NUMBER": "+911140000000"}


def measure(base: str, calls: int = 3) -> list[float]:
    """Seconds each of ``calls`` signed webhooks took while the slow clients send."""
    answer_time(base)  # the app warmed up in some worker
    with slow_clients(base):
        times = []
        for _ in range(calls):
            elapsed, twiml = answer_time(base)
            assert twiml.tag == "Response" and len(twiml) > 0
            times.append(elapsed)
    return times


@pytest.fixture
def nginx() -> None:
    if not nginx_available():
        message = "nginx is not installed (Debian package nginx)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.mark.slow
def test_behind_nginx_a_call_is_answered_within_two_seconds_while_slow_clients_send(
        nginx, sqlite_database_url, tmp_path):
    env = server_env(sqlite_database_url) | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "m"),
                                             "TRUSTED_PROXIES": "1"}
    with gunicorn_server(env, workers=4) as server, nginx_proxy(server.port) as base:
        times = measure(base)
    assert max(times) < 2.0, f"calls waited {times} s"
