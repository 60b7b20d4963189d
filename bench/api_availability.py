"""Availability at realistic size: 40 hospitals x 25 departments x 30 days of OPD
slots (8 half-hour slots a day: 240,000 slots) in a scratch PostgreSQL database.

Serves the app with gunicorn and, in one run and under the same settings, measures
the availability endpoint (random hospital, department and date per request) and
``/healthz`` (trivial JSON), alternating phases so drift hits both alike. Reports
p50/p99 latency of each and the throughput ratio availability / healthz.
"""

from __future__ import annotations

import datetime as dt
import http.client
import multiprocessing as mp
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.gunicorn_server import running_gunicorn
from bench.support import percentile, save_results, scratch_postgres

HOSPITALS, DEPARTMENTS, DAYS, SLOTS_PER_DAY, CAPACITY = 40, 25, 30, 8, 20
CLIENT_PROCESSES = 4
THREADS_PER_PROCESS = int(os.environ.get("BENCH_CLIENT_THREADS", "4"))
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "4"))
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "8"))
ROUNDS = 2
TZ = ZoneInfo("Asia/Kolkata")


def _seed(database_url: str) -> list[tuple[int, int]]:
    """Hospitals, departments and slots, a third of them partly or fully booked.
    Returns (hospital_id, department_id) pairs."""
    from booking_core.hospitals import Department, Hospital
    from booking_core.slots import Slot
    from helpline.db import make_engine

    rng = random.Random(7)
    engine = make_engine(database_url)
    today = dt.datetime.now(TZ).date()
    pairs = []
    with engine.begin() as conn:
        conn.execute(insert(Hospital), [
            {"id": h, "code": f"H{h:02d}", "name_en": f"Hospital {h}",
             "name_hi": f"अस्पताल {h}", "district": f"District {h % 11}", "district_hi": "",
             "short_en": "", "short_hi": "", "address": "", "phone": "", "aliases": [],
             "created_at": dt.datetime.now(dt.UTC)}
            for h in range(1, HOSPITALS + 1)])
        deps = []
        for h in range(1, HOSPITALS + 1):
            for d in range(DEPARTMENTS):
                dep_id = (h - 1) * DEPARTMENTS + d + 1
                pairs.append((h, dep_id))
                deps.append({"id": dep_id, "hospital_id": h, "code": f"d{d}",
                             "name_en": f"Department {d}", "name_hi": f"विभाग {d}",
                             "aliases": [], "position": d})
        conn.execute(insert(Department), deps)
        for h, dep_id in pairs:
            rows = []
            for offset in range(DAYS):
                day = today + dt.timedelta(days=offset + 1)
                for n in range(SLOTS_PER_DAY):
                    start = dt.datetime.combine(day, dt.time(9, 0), TZ) + dt.timedelta(
                        minutes=30 * n)
                    booked = rng.choice((0, 0, 5, CAPACITY))
                    rows.append({"hospital_id": h, "department_id": dep_id,
                                 "starts_at": start.astimezone(dt.UTC),
                                 "ends_at": (start + dt.timedelta(minutes=30)).astimezone(dt.UTC),
                                 "local_day": day, "capacity": CAPACITY, "booked": booked,
                                 "next_token": booked, "closed": False})
            conn.execute(insert(Slot), rows)
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return pairs


def _client(base: str, paths: list[str], seconds: float, go: Any, out: Any) -> None:
    url = urlsplit(base)

    def worker(offset: int) -> list[tuple[float, int]]:
        done = []
        deadline = time.monotonic() + seconds
        i = offset
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            started = time.perf_counter()
            conn.request("GET", paths[i % len(paths)])
            res = conn.getresponse()
            res.read()
            done.append((time.perf_counter() - started, res.status))
            conn.close()
            i += 7
        return done

    go.wait()
    with ThreadPoolExecutor(THREADS_PER_PROCESS) as pool:
        out.put([row for rows in pool.map(worker, range(THREADS_PER_PROCESS)) for row in rows])


def _phase(base: str, paths: list[str]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(base, paths[i::CLIENT_PROCESSES],
                                               PHASE_SECONDS, go, out))
             for i in range(CLIENT_PROCESSES)]
    for proc in procs:
        proc.start()
    time.sleep(1.5)
    started = time.monotonic()
    go.set()
    rows = [row for _ in procs for row in out.get(timeout=PHASE_SECONDS + 60)]
    elapsed = time.monotonic() - started
    for proc in procs:
        proc.join()
    return {"requests": len(rows), "seconds": elapsed,
            "non_200": sum(1 for _, status in rows if status != 200),
            "latencies_ms": [latency * 1000 for latency, _ in rows]}


def _summary(phases: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [x for p in phases for x in p["latencies_ms"]]
    requests = sum(p["requests"] for p in phases)
    seconds = sum(p["seconds"] for p in phases)
    return {"requests": requests, "non_200": sum(p["non_200"] for p in phases),
            "req_per_s": round(requests / seconds, 1),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p99_ms": round(percentile(latencies, 99), 2)}


def main() -> int:
    rng = random.Random(11)
    with scratch_postgres("helpline_bench_availability") as database_url:
        started = time.monotonic()
        pairs = _seed(database_url)
        seeded = time.monotonic() - started
        today = dt.datetime.now(TZ).date()
        availability = []
        for _ in range(5000):
            h, d = rng.choice(pairs)
            day = today + dt.timedelta(days=rng.randint(1, DAYS))
            query = "" if rng.random() < 0.2 else f"?date={day.isoformat()}"
            availability.append(f"/api/v1/hospitals/{h}/departments/{d}/availability{query}")
        healthz = ["/healthz"]
        env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench-availability",
               "API_RATE_LIMIT_PER_MINUTE": "100000000"}
        if os.environ.get("BENCH_REDIS_URL"):
            env.update(REDIS_URL=os.environ["BENCH_REDIS_URL"],
                       REDIS_NAMESPACE=f"bench-availability-{os.getpid()}")
        phases: dict[str, list[dict[str, Any]]] = {"healthz": [], "availability": []}
        with running_gunicorn(env, workers=GUNICORN_WORKERS,
                               threads=GUNICORN_THREADS) as base:
            _phase(base, availability[:200])  # warm up connections and caches
            for _ in range(ROUNDS):
                phases["healthz"].append(_phase(base, healthz * 8))
                phases["availability"].append(_phase(base, availability))
    avail, trivial = _summary(phases["availability"]), _summary(phases["healthz"])
    ratio = round(avail["req_per_s"] / trivial["req_per_s"], 3)
    results = {
        "benchmark": "api_availability",
        "setup": {"hospitals": HOSPITALS, "departments_per_hospital": DEPARTMENTS,
                  "days": DAYS, "slots": HOSPITALS * DEPARTMENTS * DAYS * SLOTS_PER_DAY,
                  "seed_seconds": round(seeded, 1), "gunicorn_workers": GUNICORN_WORKERS,
                  "gunicorn_threads": GUNICORN_THREADS,
                  "client_processes": CLIENT_PROCESSES,
                  "concurrent_connections": CLIENT_PROCESSES * THREADS_PER_PROCESS,
                  "phase_seconds": PHASE_SECONDS, "rounds": ROUNDS,
                  "rate_limiter": "redis" if "REDIS_URL" in env else "memory"},
        "availability": avail, "healthz": trivial, "throughput_ratio": ratio,
    }
    save_results("api_availability", results)
    print(f"RESULT: availability/healthz throughput ratio {ratio} (aim >= 0.5)")
    return 0 if avail["non_200"] == 0 and trivial["non_200"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
