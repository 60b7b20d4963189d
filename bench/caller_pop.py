"""Benchmark: the screen pop's one-second poll with a busy call log in PostgreSQL.

Every console page an agent has open asks ``/console/caller`` each second, so its cost
is paid by every agent all day. Loads ``--calls`` calls over 30 days (a quarter of them
answered by one of 50 agents), signs an agent in through the real login form and times
whole Flask requests: with no call on the agent's screen (nearly every poll), and with a
caller whose record holds appointments, grievances and calls. Prints p50/p95/p99 and
the EXPLAIN ANALYZE of the current-call query; saves ``bench/results/caller_pop.json``.

    python -m bench.caller_pop [--calls 200000] [--requests 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import sys
import time

from sqlalchemy import create_engine, insert, text, update

from bench.support import percentile, save_results, scratch_postgres
from contact_centre.accounts import create_staff_user
from contact_centre.caller_history import call_on_screen, call_on_screen_query
from contact_centre.models import Call
from helpline.app import create_app
from helpline.settings import Settings

PASSWORD = "benchmark password"
AGENTS = 50


def load(url: str, calls: int, agent_ids: list[int], seed: int = 11) -> None:
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    engine = create_engine(url)
    rows = []
    for n in range(calls):
        started = now - dt.timedelta(seconds=rng.randint(60, 30 * 86400))
        answered = rng.random() < 0.25
        rows.append({
            "call_sid": f"CA{n:032d}", "direction": "inbound",
            "from_phone": f"+9198{rng.randint(0, 40_000):08d}", "language": "hi",
            "status": "completed", "path": ["language", "main", "agent"], "details": {},
            "started_at": started, "ended_at": started + dt.timedelta(minutes=4),
            "queued_at": started + dt.timedelta(seconds=40) if answered else None,
            "answered_at": started + dt.timedelta(seconds=70) if answered else None,
            "agent_id": rng.choice(agent_ids) if answered else None,
        })
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Call.__table__), rows[start:start + 5000])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def timed(client, requests: int) -> list[float]:
    for _ in range(5):
        client.get("/console/caller", headers={"X-Fragment": "1"})
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        answer = client.get("/console/caller", headers={"X-Fragment": "1"})
        times.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 200
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with scratch_postgres("helpline_bench_pop") as url:
        app = create_app(Settings(database_url=url, secret_key="bench", testing=True,
                                  log_level="WARNING"))
        helpline = app.extensions["helpline"]
        with helpline.session() as s:
            agent_ids = [create_staff_user(s, username=f"bench.agent{i}", password=PASSWORD,
                                           role="agent").id for i in range(AGENTS)]
        started = time.perf_counter()
        load(url, args.calls, agent_ids)
        print(f"loaded {args.calls} calls in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/console/login").get_data(as_text=True)).group(1)
        assert client.post("/console/login", data={"username": "bench.agent0",
                           "password": PASSWORD, "csrf_token": token}).status_code == 302
        results = {"calls": args.calls, "requests": args.requests, "views": {}}
        nobody = timed(client, args.requests)
        # A caller on the line: the agent's latest call becomes the current one, from a
        # number with several earlier calls.
        with helpline.engine.begin() as conn:
            phone = conn.scalar(text("SELECT from_phone FROM call GROUP BY from_phone "
                                     "ORDER BY count(*) DESC LIMIT 1"))
            now = dt.datetime.now(dt.UTC)
            conn.execute(update(Call).where(Call.call_sid == f"CA{0:032d}").values(
                agent_id=agent_ids[0], from_phone=phone, started_at=now, queued_at=now,
                answered_at=now, ended_at=None))
        on_call = timed(client, args.requests)
        for label, times in (("no call on screen", nobody), ("a caller on screen", on_call)):
            results["views"][label] = {"p50_ms": round(statistics.median(times), 1),
                                       "p95_ms": round(percentile(times, 95), 1),
                                       "p99_ms": round(percentile(times, 99), 1)}
        with helpline.session() as s:  # an agent with no call: the usual poll
            assert call_on_screen(s, agent_ids[1]) is None
            compiled = call_on_screen_query(agent_ids[1], dt.datetime.now(dt.UTC)).compile(
                helpline.engine, compile_kwargs={"literal_binds": True})
            plan = s.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}")).scalars()
            results["explain_current_call"] = list(plan)
        save_results("caller_pop", results)
        helpline.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
