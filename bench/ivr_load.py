"""IVR load benchmark: simulated callers that follow the TwiML, against gunicorn.

Creates its own PostgreSQL database (dropped afterwards), loads the demo data, serves
the app with gunicorn (``bench/gunicorn_server.py``: ``gunicorn.conf.py``, 4 sync
workers by default), then runs closed-loop callers, each one a whole booking call
(language, main menu, hospital, department, day, time, confirm, status callback;
signed like Twilio), and the same number of callers against the signed static TwiML
endpoint ``/ivr/ping`` of the same app (Flask, twilio's ``RequestValidator`` and TwiML
builder, no database) in the same run: the floor a webhook cannot go below. The app
uses Redis as in production (``BENCH_REDIS_URL``, default the local server, under a
namespace of its own that is removed afterwards).

    .venv/bin/python -m bench.ivr_load                      # saturation, 50 and 200 callers
    .venv/bin/python -m bench.ivr_load --realistic          # also 1,000 callers, 8 s apart

Saturation (``--think 0``, the default) is callers who never listen: each answers the
moment the TwiML arrives. ``--realistic`` adds a run at a real caller's pace: 1,000
callers, each sending one webhook every 8 s on average (uniform 4-12 s, a prompt's
length), started spread over the first 8 s; calls the window cuts off are not counted
(their webhooks' latencies are). It is off by default because it takes
``--realistic-seconds`` (120) plus a minute and loads a 2-core machine for that long.
Exits 1 when IVR calls/s fall below half the signed floor's at saturation, or the
realistic run's p99 is 150 ms or more.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from bench.gunicorn_server import free_port, gunicorn_server
from bench.route_cpu import CpuSampler, flush, read_route_cpu
from bench.support import save_results

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Redis as in production (the call log's live paths, job queues, rate limits), under a
# namespace of this run's own, removed afterwards.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_NAMESPACE = f"bench-ivr-{os.getpid()}"
TOKEN = "bench-token-" + secrets.token_hex(8)


def make_database() -> tuple[str, str]:
    name = f"helpline_bench_ivr_{os.getpid()}"
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def drop_redis_keys(namespace: str = REDIS_NAMESPACE) -> None:
    """Remove what a run left in Redis (live paths, queued jobs) under its namespace."""
    from redis import Redis

    conn = Redis.from_url(REDIS_URL)
    for pattern in (f"{namespace}*", f"rq:*{namespace}*"):
        keys = list(conn.scan_iter(pattern, count=1000))
        if keys:
            conn.delete(*keys)
    conn.close()


def prepare(url: str) -> None:
    from helpline.db import make_engine, make_session_factory
    from helpline.demo_data import load_demo_data
    from helpline.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        load_demo_data(session, weeks=3)
    engine.dispose()


class Caller:
    """Follows TwiML the way Twilio does: answers each Gather, follows Redirects."""

    def __init__(self, http: aiohttp.ClientSession, base: str, think: float,
                 latencies: list[float]) -> None:
        self.http = http
        self.base = base
        self.think = think
        self.latencies = latencies
        self.validator = RequestValidator(TOKEN)

    async def post(self, url: str, params: dict[str, str]) -> ET.Element:
        if not url.startswith("http"):
            url = self.base + url
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        started = time.perf_counter()
        async with self.http.post(url, data=params, headers=headers) as reply:
            body = await reply.text()
            if reply.status != 200:
                raise RuntimeError(f"HTTP {reply.status} on {url}")
        self.latencies.append(time.perf_counter() - started)
        return ET.fromstring(body)

    async def call(self, keys: list[str], first: str, status: bool,
                   deadline: float = float("inf")) -> bool | None:
        """One call; None when a paced caller's window closed in the middle of it."""
        sid = "CA" + secrets.token_hex(16)
        common = {"CallSid": sid, "From": f"+9198{random.randrange(10**8):08d}",
                  "To": "+911140000000", "CallStatus": "in-progress"}
        root = await self.post(first, common)
        for key in keys:
            gather = root.find("Gather")
            if gather is None:
                return False
            if self.think:
                await asyncio.sleep(random.uniform(0.5, 1.5) * self.think)
                if time.monotonic() > deadline:
                    return None
            root = await self.post(gather.get("action") or first, {**common, "Digits": key})
        done = root.find("Gather") is not None
        if status:
            await self.post("/ivr/status", {**common, "CallStatus": "completed",
                                            "CallDuration": "60"})
        return done


def booking_keys() -> list[str]:
    # Language, book, hospital on page 1, department, day, time, confirm.
    return [random.choice("12"), "1", random.choice("12345"), random.choice("12345"),
            random.choice("123"), random.choice("123"), "1"]


async def run_load(base: str, concurrency: int, seconds: float, think: float,
                   static: bool) -> dict[str, float]:
    latencies: list[float] = []
    completed = failed = 0
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        caller = Caller(http, base, think, latencies)

        async def one_caller() -> None:
            nonlocal completed, failed
            if think:  # paced callers start spread over one pause, not all at once
                await asyncio.sleep(random.uniform(0, think))
            while time.monotonic() < deadline:
                ok: bool | None
                try:
                    if static:
                        ok = await caller.call(["1"] * 8, "/ivr/ping", False, deadline)
                    else:
                        ok = await caller.call(booking_keys(), "/ivr/voice", True, deadline)
                except (RuntimeError, aiohttp.ClientError, ET.ParseError):
                    ok = False
                if ok is None:  # cut off by the window: not counted either way
                    break
                completed += ok
                failed += not ok

        started = time.monotonic()
        await asyncio.gather(*(one_caller() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {"calls": completed, "failed": failed, "webhooks": len(latencies),
            "calls_per_s": completed / elapsed, "webhooks_per_s": len(latencies) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), "unknown")
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    return (f"{os.cpu_count()} CPUs ({cpu}), memory: {' '.join(mem[1].split()[1:2])} total, "
            f"Python {platform.python_version()}")


def serve(url: str, workers: int, worker_class: str, threads: int,
          route_cpu_dir: Path | None = None) -> Any:
    env = {"DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "SECRET_KEY": secrets.token_hex(16),
           "AGENT_HOURS": "00:00-00:00", "LOG_LEVEL": "WARNING",
           "REDIS_URL": REDIS_URL, "REDIS_NAMESPACE": REDIS_NAMESPACE}
    port = free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    extra = ["--worker-class", worker_class]
    app = "helpline.app:create_app()"
    if route_cpu_dir is not None:  # the same app, adding up each route's CPU time
        env["ROUTE_CPU_DIR"] = str(route_cpu_dir)
        app = "bench.route_cpu:create_app()"
    return gunicorn_server(env, workers=workers, threads=threads, port=port, extra_args=extra,
                           app=app)


def measured(base: str, concurrency: int, seconds: float, think: float, static: bool,
             route_cpu_dir: Path | None) -> tuple[dict[str, float], dict[str, float],
                                                  dict[str, tuple[int, float]]]:
    """``run_load`` with, when ``route_cpu_dir`` is set, the CPUs each process group used
    and each route's requests and CPU seconds during the run."""
    if route_cpu_dir is None:
        return asyncio.run(run_load(base, concurrency, seconds, think, static)), {}, {}
    flush(base)
    before = read_route_cpu(route_cpu_dir)
    sampler = CpuSampler()
    sampler.start()
    result = asyncio.run(run_load(base, concurrency, seconds, think, static))
    groups = sampler.stop()
    flush(base)
    after = read_route_cpu(route_cpu_dir)
    routes = {route: (n - before.get(route, (0, 0.0))[0], s - before.get(route, (0, 0.0))[1])
              for route, (n, s) in after.items()}
    return result, groups, {r: v for r, v in routes.items() if v[0] > 0}


def cpu_report(label: str, result: dict[str, float], groups: dict[str, float],
               routes: dict[str, tuple[int, float]]) -> None:
    """Print where the CPU went during one run (``--cpu``)."""
    per_webhook = {g: used / result["webhooks_per_s"] * 1000 if result["webhooks_per_s"]
                   else 0.0 for g, used in groups.items()}
    print(f"\n{label}: CPUs used (of {os.cpu_count()}) and CPU ms per webhook by group")
    for group, used in groups.items():
        print(f"  {group}: {used:.2f} CPUs, {per_webhook[group]:.2f} ms per webhook")
    print(f"  app CPU per request by route (inside the workers), {label}:")
    for route, (count, cpu) in sorted(routes.items(), key=lambda kv: -kv[1][1]):
        print(f"    {route}: {count} requests, {cpu / count * 1000:.2f} ms")


def row(think: float, concurrency: int, label: str, r: dict[str, float], ratio: str,
        load: float) -> str:
    return (f"| {think:g} | {concurrency} | {label} | {r['calls']:.0f} ({r['failed']:.0f} failed)"
            f" | {r['calls_per_s']:.1f} | {r['webhooks_per_s']:.1f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {ratio} | {load:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think", type=float, nargs="+", default=[0.0])
    parser.add_argument("--realistic", action="store_true",
                        help="also run 1,000 callers at one webhook per 8 s each")
    parser.add_argument("--realistic-callers", type=int, default=1000)
    parser.add_argument("--realistic-seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cpu", action="store_true",
                        help="also print the CPU each process group used and each route's "
                             "CPU per request (bench/route_cpu.py)")
    args = parser.parse_args()
    threads = args.threads if args.worker_class == "gthread" else 1

    name, url = make_database()
    results: list[dict[str, Any]] = []
    ok = True
    cpu_dir = Path(tempfile.mkdtemp(prefix="route-cpu-")) if args.cpu else None
    try:
        prepare(url)
        with serve(url, args.workers, args.worker_class, threads, cpu_dir) as server:
            base = server.base
            print(f"machine: {machine()}; gunicorn {args.workers} {args.worker_class} workers"
                  f" x {threads} threads; PostgreSQL")
            print("| think s | callers | endpoint | calls | calls/s | webhooks/s | "
                  "webhook p50 ms | webhook p99 ms | ratio (IVR/signed static calls/s) "
                  "| load avg |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            # Warm every worker up (imports, catalogs, statement caches) before measuring.
            asyncio.run(run_load(base, args.workers * 2, 8, 0.0, False))
            asyncio.run(run_load(base, args.workers * 2, 2, 0.0, True))
            runs = [(think, c, args.seconds) for think in args.think for c in args.concurrency]
            if args.realistic:
                runs.append((8.0, args.realistic_callers, args.realistic_seconds))
            for think, concurrency, seconds in runs:
                flow_load = os.getloadavg()[0]
                flow, flow_groups, flow_routes = measured(base, concurrency, seconds, think,
                                                          False, cpu_dir)
                static_load = os.getloadavg()[0]
                static, static_groups, static_routes = measured(base, concurrency, seconds,
                                                                think, True, cpu_dir)
                ratio = flow["calls_per_s"] / static["calls_per_s"] if static["calls_per_s"] else 0
                print(row(think, concurrency, "IVR booking call", flow, f"{ratio:.2f}",
                          flow_load), flush=True)
                print(row(think, concurrency, "signed static /ivr/ping", static, "",
                          static_load), flush=True)
                results.append({"think": think, "callers": concurrency, "flow": flow,
                                "static": static, "ratio": ratio,
                                "load": [flow_load, static_load]})
                if cpu_dir is not None:
                    cpu_report(f"IVR, {concurrency} callers", flow, flow_groups, flow_routes)
                    cpu_report(f"floor, {concurrency} callers", static, static_groups,
                               static_routes)
                    results[-1]["cpu"] = {"flow": [flow_groups, flow_routes],
                                          "static": [static_groups, static_routes]}
                if think == 0 and ratio < 0.5:
                    ok = False
                if think >= 8 and flow["p99_ms"] >= 150:
                    ok = False
    finally:
        drop_database(name)
        drop_redis_keys()
        if cpu_dir is not None:
            shutil.rmtree(cpu_dir, ignore_errors=True)
    save_results("ivr_load", {"workers": args.workers, "worker_class": args.worker_class,
                              "threads": threads, "runs": results})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
