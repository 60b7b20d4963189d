"""IVR load benchmark: simulated callers that follow the TwiML, against gunicorn.

Creates its own PostgreSQL database (dropped afterwards), loads the demo data, starts
gunicorn on 127.0.0.1, then runs closed-loop callers (each one a whole booking call:
language, main menu, hospital, department, day, time, confirm, status callback; signed
like Twilio) at each concurrency, and the same number of webhooks per call against the
static ``/ivr/ping`` endpoint of the same app, in the same run.

    .venv/bin/python -m bench.ivr_load --concurrency 50 200 --seconds 20 --think 0 1

``--think`` is the pause between a prompt and the caller's key (a real prompt plays
for 5-15 s, so 1 s is already a very impatient caller; 0 is saturation). With a pause,
callers start spread over the first call's length (real calls do not all arrive in
the same millisecond); without one they all start at once.
``--worker-class`` and ``--threads`` try gunicorn settings (``sync`` or ``gthread``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TOKEN = "bench-token-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    async def call(self, keys: list[str], first: str, status: bool) -> bool:
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
            if think:  # spread the callers over one call's length
                await asyncio.sleep(random.uniform(0, think * 8))
            while time.monotonic() < deadline:
                try:
                    if static:
                        ok = await caller.call(["1"] * 8, "/ivr/ping", status=False)
                    else:
                        ok = await caller.call(booking_keys(), "/ivr/voice", status=True)
                except (RuntimeError, aiohttp.ClientError, ET.ParseError):
                    ok = False
                completed += ok
                failed += not ok

        started = time.monotonic()
        await asyncio.gather(*(one_caller() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {"calls": completed, "failed": failed, "webhooks": len(latencies),
            "calls_per_s": completed / elapsed, "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def start_gunicorn(url: str, port: int, workers: int, worker_class: str,
                   threads: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "SECRET_KEY": secrets.token_hex(16),
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
           "AGENT_HOURS": "00:00-00:00", "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
         worker_class, "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "helpline.app:create_app()"],
        cwd=ROOT, env=env)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), "unknown")
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    return (f"{os.cpu_count()} CPUs ({cpu}), memory: {' '.join(mem[1].split()[1:2])} total, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think", type=float, nargs="+", default=[1.0, 0.0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    threads = args.threads if args.worker_class == "gthread" else 1

    name, url = make_database()
    port = free_port()
    proc = None
    try:
        prepare(url)
        proc = start_gunicorn(url, port, args.workers, args.worker_class, threads)
        base = f"http://127.0.0.1:{port}"
        print(f"machine: {machine()}; gunicorn {args.workers} {args.worker_class} workers"
              f" x {threads} threads; PostgreSQL")
        print("| think s | concurrent calls | endpoint | calls | calls/s | webhook p50 ms "
              "| webhook p99 ms | ratio (flow/static calls/s) | load avg |")
        print("|---|---|---|---|---|---|---|---|---|")
        # Warm every worker up (imports, catalogs, statement caches) before measuring.
        asyncio.run(run_load(base, args.workers * 2, 8, 0.0, False))
        asyncio.run(run_load(base, args.workers * 2, 2, 0.0, True))
        results = []
        for think in args.think:
            for concurrency in args.concurrency:
                flow_load = os.getloadavg()[0]
                flow = asyncio.run(run_load(base, concurrency, args.seconds, think, False))
                static_load = os.getloadavg()[0]
                static = asyncio.run(run_load(base, concurrency, args.seconds, think, True))
                ratio = flow["calls_per_s"] / static["calls_per_s"] if static["calls_per_s"] else 0
                for label, r, cell, load in (
                        ("IVR booking call", flow, f"{ratio:.2f}", flow_load),
                        ("static /ivr/ping", static, "", static_load)):
                    print(f"| {think:g} | {concurrency} | {label} | {r['calls']:.0f}"
                          f" ({r['failed']:.0f} failed) | {r['calls_per_s']:.1f} | "
                          f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {cell} | {load:.1f} |",
                          flush=True)
                results.append({"think": think, "concurrency": concurrency, "flow": flow,
                                "static": static, "ratio": ratio})
        print(json.dumps(results), file=sys.stderr)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        drop_database(name)


if __name__ == "__main__":
    main()
