"""Start the real app under gunicorn on 127.0.0.1 for benchmarks and HTTP-level tests."""

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_gunicorn(env: dict[str, str], *, workers: int = 4, threads: int = 1,
                     timeout: float = 30.0, extra_args: Sequence[str] = (),
                     port: int | None = None) -> Iterator[str]:
    """Serve ``helpline.app:create_app()`` with ``env`` (DATABASE_URL, SECRET_KEY, ...)
    and yield its base URL; stopped (SIGTERM, then SIGKILL) on exit. ``extra_args`` go
    to gunicorn before the app (e.g. an access log)."""
    port = port or free_port()
    # Only what the caller passes configures the app, not this shell's settings.
    inherited = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    full_env = {**inherited, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env}
    args = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
            "--log-level", "warning", *extra_args, "helpline.app:create_app()"]
    proc = subprocess.Popen(args, cwd=ROOT, env=full_env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as res:
                    if res.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start in time")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
