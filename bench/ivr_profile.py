"""Where one IVR webhook's time goes: database work per webhook, in-process time, and
an optional cProfile of the whole booking call.

Builds its own PostgreSQL database (dropped afterwards) with the demo data and uses
Redis as production does (``bench.ivr_load``'s namespace, removed afterwards), then walks
booking calls through the Flask test client (no HTTP, no gunicorn), signed like
Twilio, and counts per webhook what reaches PostgreSQL: SQL statements, transactions
(each one a ``BEGIN`` and a ``COMMIT`` or ``ROLLBACK`` round trip) and pre-pings (a
``SELECT 1`` per checkout from a pool that pings; the phone line's own does not). The
in-process time of each webhook is the median over ``--calls`` calls; the signed
static ``/ivr/ping`` is timed the same way as a yardstick.

    .venv/bin/python -m bench.ivr_profile [--calls 30] [--profile 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import secrets
import statistics
import time
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event
from twilio.request_validator import RequestValidator

from bench.ivr_load import (
    REDIS_NAMESPACE,
    REDIS_URL,
    TOKEN,
    drop_database,
    drop_redis_keys,
    machine,
    make_database,
    prepare,
)
from helpline.app import create_app
from helpline.settings import Settings

BASE = "https://helpline.bench"


class Counters:
    """What one webhook sent to PostgreSQL, from SQLAlchemy's engine and pool events on
    every engine the app uses (the main one and the phone line's own): SQL statements,
    transactions (each a BEGIN and a COMMIT or ROLLBACK round trip; an autocommit
    statement sends neither) and pre-pings (a ``SELECT 1`` on each checkout from a pool
    that pings; the phone line's does not)."""

    def __init__(self, app: Any) -> None:
        self.now: Counter[str] = Counter()
        engines = [app.extensions["helpline"].engine]
        if "ivr.engine" in app.extensions:
            engines.append(app.extensions["ivr.engine"])
        for engine in engines:
            event.listen(engine, "before_cursor_execute", self._statement)
            event.listen(engine, "begin", self._begin)
            if engine.pool._pre_ping:
                event.listen(engine.pool, "checkout", lambda *a: self._bump("pings"))

    def _begin(self, conn: Any) -> None:
        if not getattr(conn.connection.dbapi_connection, "autocommit", False):
            self._bump("transactions")

    def _bump(self, what: str) -> None:
        self.now[what] += 1

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.now["statements"] += 1

    def take(self) -> Counter[str]:
        taken, self.now = self.now, Counter()
        return taken


def round_trips(c: Counter[str]) -> int:
    """Round trips to the database server: every statement, BEGIN and COMMIT, ping."""
    return c["statements"] + 2 * c["transactions"] + c["pings"]


class BenchPhone:
    def __init__(self, client: Any, counters: Counters) -> None:
        self.client = client
        self.counters = counters
        self.validator = RequestValidator(TOKEN)
        self.sid = "CA" + secrets.token_hex(16)
        self.caller = f"+9198{random.randrange(10**8):08d}"

    def post(self, url: str, **extra: str) -> tuple[ET.Element, float, Counter[str]]:
        if not url.startswith("http"):
            url = BASE + url
        form = {"CallSid": self.sid, "From": self.caller, "To": "+911140000000",
                "CallStatus": "in-progress", **extra}
        parts = urlsplit(url)
        signature = self.validator.compute_signature(url, form)
        self.counters.take()
        started = time.perf_counter()
        reply = self.client.post(parts.path + (f"?{parts.query}" if parts.query else ""),
                                 data=form, headers={"X-Twilio-Signature": signature})
        elapsed = time.perf_counter() - started
        if reply.status_code != 200:
            raise RuntimeError(f"HTTP {reply.status_code} on {parts.path}")
        return ET.fromstring(reply.get_data(as_text=True)), elapsed, self.counters.take()


STEPS = ["voice", "language", "main", "hospital", "department", "day", "slot", "confirm",
         "status"]


def booking_call(phone: BenchPhone, lang_key: str) -> list[tuple[str, float, Counter[str]]]:
    """One booking call; (webhook, seconds, database counters) per webhook."""
    keys = [lang_key, "1", random.choice("12345"), random.choice("123"), "1", "1", "1"]
    out = []
    root, took, counted = phone.post("/ivr/voice")
    out.append((STEPS[0], took, counted))
    for name, key in zip(STEPS[1:8], keys, strict=True):
        gather = root.find("Gather")
        if gather is None:
            raise RuntimeError(f"no Gather before {name}: {ET.tostring(root)!r}")
        root, took, counted = phone.post(gather.get("action") or "", Digits=key)
        out.append((name, took, counted))
    if "book/done" not in (root.find("Gather").get("action") or ""):  # type: ignore[union-attr]
        raise RuntimeError("the call did not end with a booking")
    _, took, counted = phone.post("/ivr/status", CallStatus="completed", CallDuration="60")
    out.append((STEPS[8], took, counted))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0,
                        help="print the top N functions by cumulative time (cProfile)")
    args = parser.parse_args()
    name, url = make_database()
    try:
        prepare(url)
        settings = Settings(database_url=url, secret_key=secrets.token_hex(16),
                            public_base_url=BASE, twilio_account_sid="AC" + "0" * 32,
                            twilio_auth_token=TOKEN, agent_hours="00:00-00:00",
                            log_level="WARNING", redis_url=REDIS_URL,
                            redis_namespace=REDIS_NAMESPACE)
        app = create_app(settings)
        engine = app.extensions["helpline"].engine
        counters = Counters(app)
        client = app.test_client()
        for _ in range(3):  # warm up: imports, catalogs, statement caches
            booking_call(BenchPhone(client, counters), random.choice("12"))
        times: dict[str, list[float]] = {s: [] for s in STEPS}
        counts: dict[str, Counter[str]] = {}
        profiler = cProfile.Profile() if args.profile else None
        for n in range(args.calls):
            if profiler:
                profiler.enable()
            steps = booking_call(BenchPhone(client, counters), "12"[n % 2])
            if profiler:
                profiler.disable()
            for step_name, took, counted in steps:
                times[step_name].append(took)
                counts[step_name] = counted  # the same on every call of the same shape
        ping = []
        pinger = BenchPhone(client, counters)
        for _ in range(args.calls * 9):
            ping.append(pinger.post("/ivr/ping")[1])
        print(f"machine: {machine()}; PostgreSQL; {args.calls} booking calls in-process")
        print("| webhook | statements | transactions | pre-pings | round trips "
              "| median ms |")
        print("|---|---|---|---|---|---|")
        total = Counter[str]()
        for step_name in STEPS:
            c = counts[step_name]
            total.update(c)
            print(f"| {step_name} | {c['statements']} | {c['transactions']} | "
                  f"{c['pings']} | {round_trips(c)} | "
                  f"{statistics.median(times[step_name]) * 1000:.1f} |")
        whole = sum(statistics.median(t) for t in times.values()) * 1000
        print(f"| whole call | {total['statements']} | {total['transactions']} | "
              f"{total['pings']} | {round_trips(total)} | {whole:.1f} |")
        print(f"| signed static /ivr/ping (per webhook) | 0 | 0 | 0 | 0 | "
              f"{statistics.median(ping) * 1000:.2f} |")
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
            print(out.getvalue())
        engine.dispose()
        app.extensions["ivr.engine"].dispose()
    finally:
        drop_database(name)
        drop_redis_keys()


if __name__ == "__main__":
    main()
