"""Start nginx with the repository's ``deploy/nginx.conf`` on a free port in front of
a server on 127.0.0.1, for tests and benchmarks (the production shape of the web tier)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from bench.gunicorn_server import ROOT, free_port, stop_process_group, wait_until_serving

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
        wait_until_serving(proc, base + probe, "nginx", timeout, interval=0.1)
        yield base
    finally:
        stop_process_group(proc, signal.SIGQUIT)
        shutil.rmtree(prefix, ignore_errors=True)
