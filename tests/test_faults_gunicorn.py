"""Issue 11, section 1, as production runs: the Procfile's gunicorn (4 sync workers, a
15 s timeout) in front of a private PostgreSQL that is then frozen (SIGSTOP).

Four times as many callers as workers ring at once. Each webhook must still answer
valid TwiML within 10 s of being sent, counting the time it queued behind the others,
and gunicorn must not have killed a worker. Without the per-process database pause
(``helpline.pause``), every request waits out its own 6 s deadline, so the fourth wave
of callers behind four workers hears Twilio's error.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bench.gunicorn_server import free_port, gunicorn_server
from tests.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.fixtures_faults import PrivatePostgres, empty_private_database
from tests.fixtures_ivr import build_world

pytestmark = [pytest.mark.slow]

WORKERS = 4
CALLERS = 4 * WORKERS
WITHIN = 10.0  # seconds from sending: Twilio gives up at 15


def ring(base: str, caller: str) -> tuple[float, int, str]:
    """One signed incoming-call webhook: (seconds to answer, status, body)."""
    url = base + "/ivr/voice"
    form = {"CallSid": "CA" + uuid.uuid4().hex, "From": caller, "To": "+911140000000",
            "AccountSid": TWILIO_SID}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                     headers={"X-Twilio-Signature": signature})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body, status = response.read().decode(), response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode(), exc.code
    return time.monotonic() - started, status, body


def wave(base: str) -> list[tuple[float, int, str]]:
    callers = [f"+9198{n:08d}" for n in range(CALLERS)]
    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        return list(pool.map(lambda caller: ring(base, caller), callers))


def spoken(body: str) -> str:
    return " ".join(say.text or "" for say in ET.fromstring(body).iter("Say"))


def test_four_callers_per_worker_hear_us_in_time_with_the_database_frozen(
        private_postgres: PrivatePostgres, tmp_path):
    url = empty_private_database(private_postgres)
    engine = create_engine(url)
    with Session(engine) as session:
        build_world(session)
        session.commit()
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"DATABASE_URL": url, "SECRET_KEY": "fault-test-key", "PUBLIC_BASE_URL": base,
           "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "TWILIO_PHONE_NUMBER": "+911140000000", "SPOOL_DIR": str(tmp_path / "spool"),
           "REDIS_URL": ""}
    with gunicorn_server(env, workers=WORKERS, port=port,
                         extra_args=["--timeout", "15"]) as server:
        healthy = wave(base)
        assert all(status == 200 and "Welcome" in spoken(body)
                   for _, status, body in healthy), healthy[0]
        workers = server.worker_pids()
        private_postgres.freeze()
        try:
            first = wave(base)
            second = wave(base)
        finally:
            private_postgres.thaw()
        answers = first + second
        late = sorted(round(seconds, 1) for seconds, _, _ in answers if seconds >= WITHIN)
        print("frozen database behind gunicorn: slowest answers",
              sorted(round(s, 1) for s, _, _ in answers)[-5:])
        assert not late, f"{len(late)} of {len(answers)} callers waited {late} s"
        for _, status, body in answers:
            assert status == 200, body
            root = ET.fromstring(body)
            assert root.tag == "Response"
            assert root.find("Gather") is not None, body  # the apology offers a callback
            assert "Welcome" not in spoken(body)
        # No worker was killed by gunicorn's timeout (a killed worker loses its caller).
        assert server.worker_pids() == workers
        # Once the database answers again, so do the menus (after the pause at most).
        deadline = time.monotonic() + 20
        while True:
            _, status, body = ring(base, "+919812345678")
            if status == 200 and "Welcome" in spoken(body):
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.5)
