"""Benchmark: due reminders delivered by RQ workers to a fake Twilio API on loopback.

    python -m bench.messaging_delivery [--messages 20000] [--workers 2] [--latency 0.15]
        [--concurrency-limit 100] [--send-concurrency 32]

Runs on a scratch PostgreSQL database and a private Redis namespace, then reports:
1. messages per second with N SimpleWorkers and batch jobs, and the exactly-once count;
2. the same with one worker SIGKILLed halfway (then reconciliation and a new worker);
3. where the time goes: the Twilio client round trip alone, the database work alone
   (demo inbox: claim and record, no HTTP), and RQ's forking Worker vs SimpleWorker on
   one-message jobs (what the after-commit listener queues).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from booking_core.outbox import OutboxKind, OutboxMessage, OutboxStatus
from helpline.app import build_helpline
from helpline.migrate import upgrade
from helpline.settings import PROJECT_ROOT, Settings
from locales import render
from tests.fake_twilio import FakeTwilio

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SID, TOKEN = "AC" + "b" * 32, "bench-token"


def scratch_database() -> tuple[str, str]:
    name = f"helpline_bench_msg_{os.getpid()}"
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    return name, url


def drop_database(name: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def settings_for(url: str, fake: FakeTwilio | None, namespace: str, **extra: Any) -> Settings:
    return Settings(
        database_url=url, redis_url=REDIS_URL, redis_namespace=namespace,
        secret_key="bench", public_base_url="https://helpline.example",
        twilio_account_sid=SID if fake else "", twilio_auth_token=TOKEN if fake else "",
        twilio_phone_number="+911140000000",
        twilio_api_base_url=fake.base_url if fake else None, sms_quiet_hours="off",
        log_level="WARNING", **extra)


def env_for(settings: Settings) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    for name in ("database_url", "redis_url", "redis_namespace", "secret_key",
                 "public_base_url", "twilio_account_sid", "twilio_auth_token",
                 "twilio_phone_number", "twilio_api_base_url", "sms_quiet_hours", "log_level",
                 "outbox_batch_size", "outbox_send_concurrency", "outbox_lease_seconds"):
        value = getattr(settings, name)
        env[name.upper()] = "" if value is None else str(value)
    return env


def load_reminders(helpline: Any, count: int) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    rows = []
    for n in range(count):
        params = {"reference": f"{10000000 + n}", "hospital": "Lok Nayak Hospital",
                  "department": "General Medicine", "time": "9:30 am", "token": n % 120}
        rows.append(dict(
            kind=OutboxKind.SMS, to_phone=f"+9198{n % 100000:08d}"[:13],
            template="appointment_reminder_morning", language="en", params=params,
            body=render("en", "sms.appointment_reminder_morning", **params),
            status=OutboxStatus.PENDING, not_before=now, attempts=0,
            created_at=now, updated_at=now))
    with helpline.session() as session, session.begin():
        session.execute(text("TRUNCATE outbox_message RESTART IDENTITY CASCADE"))
        for start in range(0, count, 5000):
            session.execute(insert(OutboxMessage), rows[start:start + 5000])


def queue_batches(helpline: Any, count: int, per_message: bool = False) -> None:
    queue = helpline.jobs.queue("messages")
    queue.empty()
    if per_message:
        for row_id in range(1, count + 1):
            queue.enqueue("messaging.delivery.deliver_rows", [row_id])
        return
    for _ in range(math.ceil(count / helpline.settings.outbox_batch_size)):
        queue.enqueue("messaging.delivery.deliver_due")


def start_worker(settings: Settings, forking: bool = False) -> subprocess.Popen:
    args = [sys.executable, "-m", "flask", "--app", "helpline.app:create_app", "worker",
            "--burst", "--queues", "messages"] + (["--forking"] if forking else [])
    return subprocess.Popen(args, env=env_for(settings), cwd=PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unfinished(helpline: Any) -> int:
    with helpline.session() as session:
        return int(session.scalar(select(func.count()).where(OutboxMessage.status.in_(
            (OutboxStatus.PENDING, OutboxStatus.SENDING)))) or 0)


def exactly_once(helpline: Any, fake: FakeTwilio | None) -> str:
    with helpline.session() as session:
        statuses = Counter(s.value for s in session.scalars(select(OutboxMessage.status)))
        stored = {body: sid for body, sid in session.execute(
            select(OutboxMessage.body, OutboxMessage.twilio_sid))}
    if fake is None:
        return f"rows {dict(statuses)}"
    created = fake.created()
    per_body = Counter(m.params["Body"] for m in created)
    twice = sum(1 for c in per_body.values() if c > 1)
    matches = sum(1 for m in created if stored.get(m.params["Body"]) == m.sid)
    return (f"rows {dict(statuses)}; Twilio got {len(created)} messages, {twice} bodies twice, "
            f"{matches} SIDs match their rows")


def run(helpline: Any, settings: Settings, fake: FakeTwilio | None, count: int, workers: int,
        *, kill_one: bool = False, forking: bool = False, per_message: bool = False) -> str:
    load_reminders(helpline, count)
    if fake is not None:
        fake.resources.clear()
        fake.requests.clear()
        fake.most_in_flight = fake.throttled = 0
    queue_batches(helpline, count, per_message)
    started = time.perf_counter()
    procs = [start_worker(settings, forking) for _ in range(workers)]
    killed_at = None
    while (left := unfinished(helpline)) and time.perf_counter() - started < 900:
        if kill_one and killed_at is None and left <= count // 2:
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait()
            killed_at = time.perf_counter() - started
        if kill_one and killed_at is not None and all(p.poll() is not None for p in procs):
            # Survivors drained the queue; the dead worker's rows wait out their lease.
            from helpline import jobs
            from messaging.queueing import sweep_due
            from messaging.reconcile import reconcile_stuck

            jobs.activate(helpline)
            reconcile_stuck(dt.datetime.now(dt.UTC) + dt.timedelta(
                seconds=settings.outbox_lease_seconds + 1))
            sweep_due()
            procs.append(start_worker(settings))
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    for proc in procs:
        if proc.poll() is None:
            proc.wait(timeout=60)
    note = f", one worker SIGKILLed at {killed_at:.1f}s" if killed_at else ""
    at_twilio = (f"; at most {fake.most_in_flight} requests in flight, {fake.throttled} "
                 f"answered 429" if fake is not None else "")
    return (f"{count} messages, {workers} workers{note}: {elapsed:.1f}s, "
            f"{count / elapsed:.0f} msg/s. {exactly_once(helpline, fake)}{at_twilio}")


def client_round_trip(fake: FakeTwilio, settings: Settings) -> str:
    from messaging.gateway import TwilioGateway

    n = 500 if fake.latency < 0.01 else 40
    gateway = TwilioGateway(settings)
    started = time.perf_counter()
    for i in range(n):
        gateway.send_sms("+919800000000", f"probe {i}", "https://helpline.example/sms/status")
    per = (time.perf_counter() - started) / n
    return f"twilio client -> fake API, one thread: {per * 1000:.2f} ms per message"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake Twilio takes to answer each create")
    parser.add_argument("--concurrency-limit", type=int, default=100,
                        help="requests in flight above which the fake answers 429 "
                             "(Twilio's default per account: 100)")
    parser.add_argument("--send-concurrency", type=int, default=Settings.outbox_send_concurrency,
                        help="OUTBOX_SEND_CONCURRENCY: requests in flight per worker")
    parser.add_argument("--small", type=int, default=300, help="size of the comparison runs")
    parser.add_argument("--no-compare", action="store_true",
                        help="only the main and the SIGKILL runs")
    args = parser.parse_args()
    name, url = scratch_database()
    namespace = f"bench-msg-{uuid.uuid4().hex[:6]}"
    results = []
    try:
        with FakeTwilio(SID, TOKEN, latency=args.latency,
                        concurrency_limit=args.concurrency_limit) as fake:
            settings = settings_for(url, fake, namespace, outbox_lease_seconds=10,
                                    outbox_send_concurrency=args.send_concurrency)
            results.append(f"fake Twilio: {args.latency * 1000:.0f} ms per create, 429 above "
                           f"{args.concurrency_limit} in flight; {args.send_concurrency} "
                           "requests in flight per worker")
            helpline = build_helpline(settings)
            results.append(client_round_trip(fake, settings))
            results.append("full: " + run(helpline, settings, fake, args.messages, args.workers))
            results.append("kill: " + run(helpline, settings, fake, args.messages,
                                          args.workers, kill_one=True))
            if not args.no_compare:
                results.append("one-message jobs, SimpleWorker: " + run(
                    helpline, settings, fake, args.small, args.workers, per_message=True))
                results.append("one-message jobs, forking Worker: " + run(
                    helpline, settings, fake, args.small, args.workers, per_message=True,
                    forking=True))
            helpline.engine.dispose()
        if not args.no_compare:
            demo = settings_for(url, None, namespace)
            helpline = build_helpline(demo)
            results.append("database only (demo inbox): " + run(
                helpline, demo, None, args.messages, args.workers))
            helpline.engine.dispose()
    finally:
        from redis import Redis

        conn = Redis.from_url(REDIS_URL)
        for pattern in (f"{namespace}*", f"rq:*{namespace}*"):
            keys = list(conn.scan_iter(pattern, count=1000))
            if keys:
                conn.delete(*keys)
        drop_database(name)
    for line in results:
        print(line)


if __name__ == "__main__":
    main()
