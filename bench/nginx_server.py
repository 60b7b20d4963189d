"""Start nginx with the repository's ``deploy/nginx.conf`` on a free port in front of
a server on 127.0.0.1, for tests and benchmarks (the production shape of the web tier)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from bench.gunicorn_server import ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONFIG = ROOT / "deploy" / "nginx.conf"


def nginx_available() -> bool:
    return os.access(NGINX, os.X_OK)


@contextmanager
def nginx_proxy(upstream_port: int, *, probe: str = "/healthz",
                timeout: float = 15.0) -> Iterator[str]:
    """Yield the base URL of nginx (deploy/nginx.conf, its ports swapped for a free one
    and ``upstream_port``) once ``probe`` answers 200 through it; stopped on exit."""
    port = free_port()
    config = CONFIG.read_text()
    for production, here in (("listen 8080;", f"listen 127.0.0.1:{port};"),
                             ("server 127.0.0.1:5000;", f"server 127.0.0.1:{upstream_port};")):
        assert production in config, production
        config = config.replace(production, here)
    prefix = tempfile.mkdtemp(prefix="helpline-nginx-")
    conf_path = os.path.join(prefix, "nginx.conf")
    with open(conf_path, "w") as conf:
        conf.write(config)
    # As root nginx would switch its workers to "nobody", who cannot use this directory.
    globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    proc = subprocess.Popen([NGINX, "-p", prefix, "-c", conf_path, "-g", globals_],
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(base + probe, timeout=1) as res:
                    if res.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start in time")
            time.sleep(0.1)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGQUIT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(prefix, ignore_errors=True)
