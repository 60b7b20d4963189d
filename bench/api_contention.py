"""Contention: 1,000 concurrent booking attempts from 8 client processes through the
HTTP API (gunicorn on 127.0.0.1) against one OPD slot of 100 seats on PostgreSQL.

Checks that exactly 100 are booked and no slot is over capacity; reports successful
bookings per second and p50/p99 latency. Each attempt is a different citizen whose
mobile is already verified: the script signs verification tokens with the app's own
signer and SECRET_KEY (what POST /verifications/confirm returns), so no test-only
route exists in the app.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import multiprocessing as mp
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.gunicorn_server import running_gunicorn
from bench.support import percentile, save_results, scratch_postgres

ATTEMPTS = 1000
SEATS = 100
CLIENT_PROCESSES = 8
THREADS_PER_PROCESS = 4
GUNICORN_WORKERS, GUNICORN_THREADS = 4, 4
SECRET = "bench-contention-secret"


def _seed(database_url: str) -> int:
    from booking_core.base import unit_of_work
    from booking_core.hospitals import Department, Hospital
    from booking_core.slots import Slot
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        hospital = Hospital(code="LNH", name_en="Lok Nayak Hospital", name_hi="लोक नायक अस्पताल",
                            district="Central", district_hi="मध्य")
        department = Department(hospital=hospital, code="medicine", name_en="General Medicine",
                                name_hi="सामान्य चिकित्सा")
        session.add_all([hospital, department])
        session.flush()
        starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(
            minute=0, second=0, microsecond=0)
        slot = Slot(hospital_id=hospital.id, department_id=department.id, starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=3),
                    local_day=starts.astimezone(ZoneInfo("Asia/Kolkata")).date(),
                    capacity=SEATS)
        session.add(slot)
        session.flush()
        slot_id = slot.id
    engine.dispose()
    return slot_id


def _client(base: str, slot_id: int, tokens: list[str], go: Any, out: Any) -> None:
    url = urlsplit(base)
    body = json.dumps({"slot_id": slot_id})

    def attempt(token: str) -> tuple[float, float, int, str]:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        started = time.time()
        conn.request("POST", "/api/v1/appointments", body=body,
                     headers={"Content-Type": "application/json",
                              "X-Verification-Token": token})
        res = conn.getresponse()
        data = json.loads(res.read() or b"{}")
        finished = time.time()
        conn.close()
        return started, finished, res.status, data.get("error", {}).get("code", "")

    go.wait()
    with ThreadPoolExecutor(THREADS_PER_PROCESS) as pool:
        out.put(list(pool.map(attempt, tokens)))


def _check_database(database_url: str, slot_id: int) -> dict[str, Any]:
    from booking_core.appointments import Appointment
    from booking_core.slots import Slot
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        slot = session.get(Slot, slot_id)
        tokens = sorted(session.scalars(select(Appointment.token)))
        over = session.scalar(select(func.count()).where(Slot.booked > Slot.capacity))
        result = {"slot_booked": slot.booked, "slot_capacity": slot.capacity,
                  "appointments": len(tokens), "tokens_are_1_to_100":
                  tokens == list(range(1, SEATS + 1)), "slots_over_capacity": over}
    engine.dispose()
    return result


def main() -> int:
    from portal_api.auth import issue_verification_token

    with scratch_postgres("helpline_bench_contention") as database_url:
        slot_id = _seed(database_url)
        phones = [f"9{i:09d}" for i in range(100_000_000, 100_000_000 + ATTEMPTS)]
        tokens = [issue_verification_token(SECRET, p) for p in phones]
        env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET,
               "API_RATE_LIMIT_PER_MINUTE": "1000000"}
        with running_gunicorn(env, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS) as base:
            ctx = mp.get_context("spawn")
            go, out = ctx.Event(), ctx.Queue()
            share = ATTEMPTS // CLIENT_PROCESSES
            procs = [ctx.Process(target=_client, args=(
                base, slot_id, tokens[i * share:(i + 1) * share], go, out))
                for i in range(CLIENT_PROCESSES)]
            for proc in procs:
                proc.start()
            time.sleep(2)  # let every client process import and reach the start line
            go.set()
            attempts = [row for _ in procs for row in out.get(timeout=600)]
            for proc in procs:
                proc.join()
        db = _check_database(database_url, slot_id)
    ok = [a for a in attempts if a[2] == 201]
    statuses: dict[str, int] = {}
    for _, _, status, code in attempts:
        key = f"{status} {code}".strip()
        statuses[key] = statuses.get(key, 0) + 1
    first = min(a[0] for a in attempts)
    last_ok = max(a[1] for a in ok) if ok else first
    last = max(a[1] for a in attempts)
    latencies = [(a[1] - a[0]) * 1000 for a in attempts]
    ok_latencies = [(a[1] - a[0]) * 1000 for a in ok]
    results = {
        "benchmark": "api_contention",
        "setup": {"attempts": ATTEMPTS, "seats": SEATS, "client_processes": CLIENT_PROCESSES,
                  "concurrent_connections": CLIENT_PROCESSES * THREADS_PER_PROCESS,
                  "gunicorn_workers": GUNICORN_WORKERS, "gunicorn_threads": GUNICORN_THREADS,
                  "database": "PostgreSQL"},
        "responses": statuses,
        "database": db,
        "successful_bookings": len(ok),
        "successful_bookings_per_s": round(len(ok) / (last_ok - first), 1),
        "attempts_per_s": round(len(attempts) / (last - first), 1),
        "latency_ms_all": {"p50": round(percentile(latencies, 50), 1),
                           "p99": round(percentile(latencies, 99), 1)},
        "latency_ms_successful": {"p50": round(percentile(ok_latencies, 50), 1),
                                  "p99": round(percentile(ok_latencies, 99), 1)},
    }
    save_results("api_contention", results)
    correct = (len(ok) == SEATS and db["slot_booked"] == SEATS and db["appointments"] == SEATS
               and db["tokens_are_1_to_100"] and db["slots_over_capacity"] == 0
               and statuses.get("409 slot_full", 0) == ATTEMPTS - SEATS)
    print("RESULT:", "exactly 100 booked, none over capacity" if correct else "WRONG")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
