"""Start the real app under gunicorn on 127.0.0.1 for benchmarks and HTTP-level tests,
with the production settings of ``gunicorn.conf.py`` (bind, workers and the rest
overridden on the command line)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(proc: subprocess.Popen[bytes], url: str, name: str, timeout: float,
                       interval: float = 0.2) -> None:
    """Return once ``url`` answers 200; RuntimeError if ``proc`` exits or ``timeout``
    seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as res:
                if res.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start in time")
        time.sleep(interval)


def stop_process_group(proc: subprocess.Popen[bytes], first: signal.Signals) -> None:
    """Send ``first`` to the process group (a graceful stop), SIGKILL after 10 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, first)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass(frozen=True)
class GunicornServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def worker_pids(self) -> set[int]:
        """The master's live child processes (Linux ``/proc``)."""
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # "pid (name) state ppid ...": the name may hold spaces and parentheses.
                state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, IndexError, ValueError):
                continue
            if int(ppid) == self.process.pid and state != "Z":
                pids.add(int(stat.parent.name))
        return pids


@contextmanager
def gunicorn_server(env: dict[str, str], *, workers: int = 4, threads: int = 1,
                    timeout: float = 30.0, probe: str = "/healthz",
                    extra_args: Sequence[str] = (), port: int | None = None,
                    app: str = "helpline.app:create_app()") -> Iterator[GunicornServer]:
    """Serve ``app`` (the helpline's by default) with ``env`` (DATABASE_URL, SECRET_KEY, ...)
    and yield it once ``probe`` answers 200; stopped (SIGTERM, then SIGKILL) on exit.
    ``extra_args`` go to gunicorn before the app (e.g. an access log)."""
    port = port or free_port()
    # Only what the caller passes configures the app, not this shell's settings.
    inherited = {k: v for k, v in os.environ.items()
                 if k not in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    full_env = {**inherited, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env}
    args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
            "--log-level", "warning", *extra_args, app]
    proc = subprocess.Popen(args, cwd=ROOT, env=full_env, start_new_session=True)
    server = GunicornServer("127.0.0.1", port, proc)
    try:
        wait_until_serving(proc, server.base + probe, "gunicorn", timeout)
        yield server
    finally:
        stop_process_group(proc, signal.SIGTERM)


@contextmanager
def running_gunicorn(env: dict[str, str], *, workers: int = 4, threads: int = 1,
                     timeout: float = 30.0, extra_args: Sequence[str] = (),
                     port: int | None = None) -> Iterator[str]:
    """``gunicorn_server`` for callers that need only its base URL."""
    with gunicorn_server(env, workers=workers, threads=threads, timeout=timeout,
                         extra_args=extra_args, port=port) as server:
        yield server.base
