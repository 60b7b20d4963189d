"""Benchmark: a busy OPD morning at one department's counter and hall display.

    python -m bench.opd_morning [--tokens 300] [--rooms 3] [--speedup 200] [--no-show 0.08]

One department, ``--tokens`` booked seats today in four slots, three consulting rooms.
Patients check in at the counter (typed booking numbers) a little before their turn,
``--no-show`` of them never come; each room presses "call next" when its patient is done
(2.4 minutes a patient, so 300 patients take a 4-hour morning, played ``--speedup``
times faster). Everything goes through the real app over HTTP (werkzeug, threaded, on
loopback), a scratch PostgreSQL database, RQ on Redis with one ``flask worker`` process,
and the fake Twilio API (``tests/fake_twilio.py``) on loopback.

Measured, against the moment each "call next" answered:
- the display lag: until ``/opd/display/<id>.json`` (polled every 100 ms) shows the
  token in its room; the hall screen itself polls every 3 s, so a person sees it at
  most 3 s later than this;
- the SMS lag: until the fake Twilio API received the "turn is near" SMS of the patient
  that call brought within 3 tokens;
- exactly once: every patient but token 1 got exactly one "turn is near" SMS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from bench.support import percentile, save_results, scratch_postgres
from booking_core.appointments import Channel, book_appointment
from booking_core.base import unit_of_work
from booking_core.hospitals import Department, Hospital
from booking_core.outbox import OutboxMessage
from booking_core.slots import Slot
from contact_centre.accounts import create_staff_user
from helpline.app import create_app
from helpline.settings import PROJECT_ROOT, Settings
from tests.fake_twilio import FakeTwilio

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SID, TOKEN = "AC" + "c" * 32, "bench-token"
PASSWORD = "a-long-bench-password"
MINUTES_PER_PATIENT = 2.4
NEAR = 3


def _settings(url: str, fake: FakeTwilio, namespace: str) -> Settings:
    return Settings(
        database_url=url, redis_url=REDIS_URL, redis_namespace=namespace, secret_key="bench",
        public_base_url="https://helpline.example", twilio_account_sid=SID,
        twilio_auth_token=TOKEN, twilio_phone_number="+911140000000",
        twilio_api_base_url=fake.base_url, sms_quiet_hours="off", log_level="WARNING",
        opd_near_tokens=NEAR)


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    for name in ("database_url", "redis_url", "redis_namespace", "secret_key",
                 "public_base_url", "twilio_account_sid", "twilio_auth_token",
                 "twilio_phone_number", "twilio_api_base_url", "sms_quiet_hours", "log_level",
                 "opd_near_tokens"):
        env[name.upper()] = str(getattr(settings, name))
    return env


def _morning(helpline: Any, tokens: int) -> tuple[int, int, dict[str, int], dict[int, str]]:
    """A hospital, a department with four slots today, ``tokens`` bookings and a
    counter account. Returns (hospital, department, phone -> token, token -> reference)."""
    ist = ZoneInfo("Asia/Kolkata")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    day_start = dt.datetime.combine(now.astimezone(ist).date(), dt.time(9, 0), ist)
    per_slot = -(-tokens // 4)
    with helpline.session() as session:
        with unit_of_work(session):
            hospital = Hospital(code="BENCH", name_en="Bench Hospital", name_hi="बेंच अस्पताल",
                                district="Central", district_hi="मध्य")
            department = Department(hospital=hospital, code="med", name_en="General Medicine",
                                    name_hi="सामान्य चिकित्सा")
            session.add_all([hospital, department])
            session.flush()
            slots = []
            for n in range(4):
                starts = (day_start + dt.timedelta(hours=n)).astimezone(dt.UTC)
                slot = Slot(hospital_id=hospital.id, department_id=department.id,
                            starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                            local_day=starts.astimezone(ist).date(), capacity=per_slot)
                session.add(slot)
                slots.append(slot)
        booked_at = slots[0].starts_at - dt.timedelta(days=1)
        phones: dict[str, int] = {}
        references: dict[int, str] = {}
        for n in range(tokens):
            phone = f"+9197{n:08d}"
            appointment = book_appointment(session, slot_id=slots[n // per_slot].id,
                                           phone=phone, channel=Channel.PORTAL,
                                           language="en", now=booked_at)
            day_token = (n // per_slot) * per_slot + appointment.token
            phones[phone], references[day_token] = day_token, appointment.reference
        create_staff_user(session, username="counter.bench", password=PASSWORD, role="agent",
                          hospital_id=hospital.id)
        return hospital.id, department.id, phones, references


def _signed_in(base: str) -> tuple[requests.Session, str]:
    web = requests.Session()
    page = web.get(f"{base}/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    web.post(f"{base}/console/login", data={"username": "counter.bench", "password": PASSWORD,
                                            "csrf_token": token})
    home = web.get(f"{base}/console/").text
    return web, re.search(r'name="csrf_token" value="([^"]+)"', home).group(1)  # type: ignore[union-attr]


def _wait_for_worker(helpline: Any, limit: float = 60) -> None:
    """The morning starts once the worker listens (starting one takes seconds here)."""
    from rq import Worker

    until = time.time() + limit
    while time.time() < until:
        mine = helpline.settings.redis_namespace + "-"
        if any(w.name.startswith(mine) for w in Worker.all(connection=helpline.jobs.redis)):
            return
        time.sleep(0.2)
    raise RuntimeError("the RQ worker did not start")


FLASH = re.compile(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>')


def run(tokens: int, rooms: int, speedup: float, no_show: float) -> dict[str, Any]:
    rng = random.Random(14)
    with scratch_postgres("helpline_bench_opd") as url, FakeTwilio(SID, TOKEN) as fake:
        namespace = f"bench-opd-{uuid.uuid4().hex[:6]}"
        settings = _settings(url, fake, namespace)
        app = create_app(settings)
        helpline = app.extensions["helpline"]
        _, department, phones, references = _morning(helpline, tokens)
        fake.requests.clear()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "helpline.app:create_app", "worker",
             "--queues", "messages"], env=_env(settings), cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # As deployed (Procfile): the scheduler sweeps due rows whose job could not be
        # queued at commit (Redis timing out under load), every 15 s.
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "helpline.app:create_app", "scheduler"],
            env=_env(settings), cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        _wait_for_worker(helpline)
        consult = MINUTES_PER_PATIENT * 60 * rooms / speedup  # seconds per patient per room
        stop = threading.Event()
        calls: list[tuple[int, int, float]] = []  # (room, token, answered at)
        seen: dict[tuple[int, int], float] = {}
        lock = threading.Lock()

        def poll_display() -> None:
            web = requests.Session()
            while not stop.is_set():
                try:
                    board = web.get(f"{base}/opd/display/{department}.json", timeout=5).json()
                except requests.RequestException:
                    continue
                now = time.time()
                with lock:
                    for room in board["rooms"]:
                        seen.setdefault((room["room"], room["token"]), now)
                time.sleep(0.1)

        start = time.time()
        coming = [t for t in sorted(references) if rng.random() >= no_show]

        def check_ins() -> None:
            web, csrf = _signed_in(base)
            for token in coming:
                # Arrive about 25 patients (10 minutes) before the turn, give or take.
                due = start + (token - 25 + rng.uniform(-10, 10)) * consult / rooms
                time.sleep(max(0.0, due - time.time()))
                web.post(f"{base}/console/opd/check-in", allow_redirects=False,
                         data={"csrf_token": csrf, "department": department,
                               "code": references[token]})

        def room(number: int) -> None:
            web, csrf = _signed_in(base)
            while not stop.is_set():
                answer = web.post(f"{base}/console/opd/call-next", allow_redirects=False,
                                  data={"csrf_token": csrf, "department": department,
                                        "room": number})
                answered = time.time()
                if answer.status_code != 303:  # the server was too busy: press again
                    continue
                page = web.get(base + answer.headers["Location"]).text
                flash = FLASH.search(page)
                called = re.search(r"Token (\d+) called to room", flash.group(1)) if flash else None
                if called is None:  # nobody waiting yet (or the page failed: press again)
                    time.sleep(consult / 10)
                    continue
                with lock:
                    calls.append((number, int(called.group(1)), answered))
                time.sleep(consult * rng.uniform(0.6, 1.4))

        threads = [threading.Thread(target=poll_display, daemon=True),
                   threading.Thread(target=check_ins, daemon=True),
                   *(threading.Thread(target=room, args=(n,), daemon=True)
                     for n in range(1, rooms + 1))]
        for thread in threads:
            thread.start()
        threads[1].join()
        deadline = time.time() + 300
        while time.time() < deadline and len(calls) < len(coming):
            time.sleep(0.5)
        time.sleep(3)  # the last SMS and display polls
        stop.set()
        elapsed = time.time() - start
        for process in (worker, scheduler):
            process.terminate()
            process.wait(10)
        server.shutdown()

        display_lags = [seen[(r, t)] - at for r, t, at in calls if (r, t) in seen]
        missed_on_display = sum(1 for r, t, _ in calls if (r, t) not in seen)
        near = [r for r in fake.requests if r.path.endswith("/Messages.json")
                and "turn is near" in r.params.get("Body", "")]
        per_phone = Counter(r.params["To"] for r in near)
        sms_lags = []
        for r in near:
            token = phones[r.params["To"]]
            triggers = [at for _, t, at in calls if t >= token - NEAR]
            if triggers:
                sms_lags.append(r.at - min(triggers))
        with helpline.session() as session:
            rows = session.execute(
                select(OutboxMessage.created_at, OutboxMessage.sent_at, OutboxMessage.attempts,
                       OutboxMessage.last_error).where(
                    OutboxMessage.template == "opd_turn_near"
                    )).all()
        queued = [(r.sent_at - r.created_at).total_seconds() for r in rows if r.sent_at]
        retried = Counter((r.attempts, (r.last_error or "")[:80]) for r in rows
                          if r.attempts > 1 or r.last_error)
        helpline.engine.dispose()
        return {
            "tokens": tokens, "rooms": rooms, "speedup": speedup,
            "checked_in": len(coming), "calls": len(calls), "seconds": round(elapsed, 1),
            "calls_per_minute": round(len(calls) / elapsed * 60, 1),
            "display_lag_ms": {p: round(percentile(display_lags, p) * 1000)
                               for p in (50, 90, 99, 100)},
            "calls_never_seen_on_display": missed_on_display,
            "sms_lag_ms": {p: round(percentile(sms_lags, p) * 1000) for p in (50, 90, 99, 100)},
            "sms_outbox_to_twilio_ms": {p: round(percentile(queued, p) * 1000)
                                        for p in (50, 99)},
            "sms_sent_after_a_retry": {f"{n} attempts: {e or '-'}": c
                                       for (n, e), c in retried.items()},
            "turn_near_sms": len(near),
            "patients_with_exactly_one": sum(1 for n in per_phone.values() if n == 1),
            "patients_with_more_than_one": sum(1 for n in per_phone.values() if n > 1),
            "patients_expected": tokens - 1,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rooms", type=int, default=3)
    parser.add_argument("--speedup", type=float, default=200)
    parser.add_argument("--no-show", type=float, default=0.08)
    args = parser.parse_args()
    save_results("opd_morning", run(args.tokens, args.rooms, args.speedup, args.no_show))


if __name__ == "__main__":
    main()
