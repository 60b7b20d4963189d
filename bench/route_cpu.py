"""Where a loaded server's CPU goes: per route inside each worker, and per process group
on the machine.

``create_app()`` is the helpline's app with one WSGI wrapper that adds up the CPU time
(``time.thread_time``: this worker thread's own, user and system) of every request by
route, and writes the totals as JSON to ``$ROUTE_CPU_DIR/<pid>.json`` at the end of a
request when the last write is ``WRITE_EVERY_S`` old (``flush`` makes every worker do so).
``bench.ivr_load --cpu`` serves it under gunicorn instead of the plain app. The wrapper
costs two clock reads and a dictionary update per request (about 2 µs); it is never
part of the product.

``CpuSampler`` reads ``/proc`` while a load runs and reports how many of the machine's
CPUs each group used: the gunicorn workers, PostgreSQL's processes, the load driver
(this process) and the rest.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask

FLUSH_ROUTE = "/healthz"
# A path segment this long is a state token or an id, not a route's name.
_LONG_SEGMENT = 20
WRITE_EVERY_S = 0.2


def route_of(path: str) -> str:
    """``path`` with long segments (state tokens) replaced by ``<token>``."""
    return "/".join("<token>" if len(part) >= _LONG_SEGMENT else part
                    for part in path.split("/"))


class RouteCpu:
    """WSGI middleware: CPU seconds and request counts per route, written to ``out``."""

    def __init__(self, app: Callable[..., Iterable[bytes]], out: Path) -> None:
        self.app = app
        self.out = out
        self.totals: dict[str, list[float]] = {}
        self.written = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        started = time.thread_time()
        try:
            # The body is a list for every route here (Flask builds it before returning).
            return list(self.app(environ, start_response))
        finally:
            entry = self.totals.setdefault(route_of(environ.get("PATH_INFO", "")), [0, 0.0])
            entry[0] += 1
            entry[1] += time.thread_time() - started
            if time.monotonic() - self.written >= WRITE_EVERY_S:
                self.write()
                self.written = time.monotonic()

    def write(self) -> None:
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.totals))
        tmp.replace(self.out)


def create_app() -> Flask:
    from helpline.app import create_app as helpline_app

    app = helpline_app()
    out_dir = Path(os.environ["ROUTE_CPU_DIR"])
    app.wsgi_app = RouteCpu(app.wsgi_app, out_dir / f"{os.getpid()}.json")  # type: ignore[method-assign]
    return app


def flush(base: str) -> None:
    """Make every worker write its totals: wait out ``WRITE_EVERY_S``, then send more
    requests to ``/healthz`` than a few workers could all take without each getting one."""
    time.sleep(WRITE_EVERY_S * 1.5)
    for _ in range(40):
        with urllib.request.urlopen(base + FLUSH_ROUTE, timeout=5) as reply:
            reply.read()


def read_route_cpu(out_dir: Path) -> dict[str, tuple[int, float]]:
    """Requests and CPU seconds per route, summed over the workers' files."""
    totals: dict[str, tuple[int, float]] = {}
    for file in out_dir.glob("*.json"):
        for route, (count, seconds) in json.loads(file.read_text()).items():
            if route == FLUSH_ROUTE:
                continue
            n, s = totals.get(route, (0, 0.0))
            totals[route] = (n + int(count), s + float(seconds))
    return totals


def _group_of(pid: int, cmdline: str, me: int) -> str:
    if pid == me:
        return "load driver"
    if "gunicorn" in cmdline:
        return "gunicorn"
    if cmdline.startswith("postgres") or "/postgres" in cmdline.split(" ", 1)[0]:
        return "PostgreSQL"
    return "other"


def _cpu_ticks() -> dict[str, int]:
    me = os.getpid()
    ticks: dict[str, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        group = _group_of(int(proc.name), cmdline, me)
        ticks[group] = ticks.get(group, 0) + int(fields[11]) + int(fields[12])
    return ticks


class CpuSampler:
    """CPUs used per process group between ``start()`` and ``stop()`` (Linux /proc).
    A process that ends in between loses its ticks from the count, so the groups
    measured here (long-lived workers, PostgreSQL backends of a pool) must outlive it."""

    def __init__(self) -> None:
        self._before: dict[str, int] = {}
        self._started = 0.0

    def start(self) -> None:
        self._before = _cpu_ticks()
        self._started = time.monotonic()

    def stop(self) -> dict[str, float]:
        after = _cpu_ticks()
        seconds = time.monotonic() - self._started
        hz = os.sysconf("SC_CLK_TCK")
        return {group: max(0, after.get(group, 0) - self._before.get(group, 0)) / hz / seconds
                for group in sorted(set(after) | set(self._before))}
