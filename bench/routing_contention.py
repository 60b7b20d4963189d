"""Agent routing under contention: many processes pairing waiting callers with free
agents at once on PostgreSQL (``contact_centre.routing.connect_waiting_callers``).

Each round seeds ``AGENTS`` available agents and ``CALLERS`` waiting calls, then
``PROCESSES`` processes (own engine each, as web workers have) call routing in a loop
until nobody is left to pair. Checks: every agent paired once, each with a distinct
caller, and those callers are the longest-waiting ones. Reports the time until all were
paired and the latency of one routing transaction.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import sys
import time
from typing import Any

from bench.support import machine, percentile, save_results, scratch_postgres

AGENTS = 60
CALLERS = 300
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "8"))


def _worker(database_url: str, start: Any, out: Any) -> None:
    from contact_centre.routing import connect_waiting_callers
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    start.wait(30)
    pairs, latencies = [], []
    idle = 0
    while idle < 3:
        began = time.perf_counter()
        with sessions() as session:
            routes = connect_waiting_callers(session)
        latencies.append(time.perf_counter() - began)
        pairs.extend((r.call_id, r.agent_id) for r in routes)
        idle = idle + 1 if not routes else 0
    engine.dispose()
    out.put((pairs, latencies, time.perf_counter()))


def _seed(database_url: str) -> tuple[list[int], list[int]]:
    from sqlalchemy import insert

    from contact_centre.models import AgentState, Call, Role, StaffUser
    from helpline.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    base = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with make_session_factory(engine)() as session, session.begin():
        agents = session.scalars(insert(StaffUser).returning(StaffUser.id), [
            {"username": f"agent.{n}", "display_name": f"Agent {n}", "role": Role.AGENT,
             "password_hash": "x", "phone": f"+9198100{n:05d}", "state": AgentState.AVAILABLE,
             "state_changed_at": base + dt.timedelta(seconds=n)} for n in range(AGENTS)]).all()
        calls = session.scalars(insert(Call).returning(Call.id), [
            {"call_sid": f"CA{n:032d}", "from_phone": f"+9198123{n:05d}", "path": [],
             "details": {}, "queued_at": base + dt.timedelta(seconds=100 + n),
             "waiting_since": base + dt.timedelta(seconds=100 + n)}
            for n in range(CALLERS)]).all()
    engine.dispose()
    return list(agents), list(calls)


def main() -> int:
    with scratch_postgres("helpline_bench_routing") as database_url:
        agent_ids, call_ids = _seed(database_url)
        ctx = mp.get_context("spawn")
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(database_url, start, out))
                 for _ in range(PROCESSES)]
        for proc in procs:
            proc.start()
        time.sleep(2)  # let every process import and connect
        began = time.perf_counter()
        start.set()
        pairs, latencies, finished = [], [], []
        for _ in procs:
            p, lat, end = out.get(timeout=300)
            pairs.extend(p)
            latencies.extend(lat)
            finished.append(end)
        for proc in procs:
            proc.join(30)
    ok = (len(pairs) == AGENTS and len({c for c, _ in pairs}) == AGENTS
          and {a for _, a in pairs} == set(agent_ids)
          and {c for c, _ in pairs} == set(call_ids[:AGENTS]))
    results = {
        "machine": machine(), "agents": AGENTS, "callers": CALLERS, "processes": PROCESSES,
        "pairs": len(pairs), "correct": ok,
        "all_paired_s": round(max(finished) - began, 3),
        "transaction_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "transaction_p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "transactions": len(latencies),
    }
    print(results)
    save_results("routing_contention", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
