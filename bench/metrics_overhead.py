"""What counting every request costs: ``GET /healthz`` through the app, with metrics in
the app's own registry (``make run``) and in prometheus_client's multiprocess files
(gunicorn, ``PROMETHEUS_MULTIPROC_DIR``), runs interleaved so both see the same machine.

Each measurement runs in a process of its own, since prometheus_client chooses where it
keeps values when first imported. ``python -m bench.metrics_overhead [requests] [rounds]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from bench.support import ROOT, save_results

CHILD = r"""
import json, sys, time
from helpline.app import create_app
from helpline.settings import Settings
app = create_app(Settings(database_url="sqlite://", secret_key="bench" * 8))
client = app.test_client()
n = int(sys.argv[1])
for _ in range(200):
    client.get("/healthz")
started = time.perf_counter()
for _ in range(n):
    client.get("/healthz")
elapsed = time.perf_counter() - started
scrape = client.get("/metrics").get_data(as_text=True)
assert 'endpoint="healthz"' in scrape
print(json.dumps({"us_per_request": elapsed / n * 1e6}))
"""


def measure(requests: int, multiprocess: bool) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as directory:
        if multiprocess:
            env["PROMETHEUS_MULTIPROC_DIR"] = directory
        out = subprocess.run([sys.executable, "-c", CHILD, str(requests)], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["us_per_request"])


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rows = []
    for round_ in range(rounds):
        memory = measure(requests, multiprocess=False)
        files = measure(requests, multiprocess=True)
        rows.append({"round": round_ + 1, "registry_us": round(memory, 1),
                     "multiprocess_us": round(files, 1), "ratio": round(files / memory, 3)})
        print(f"round {round_ + 1}: app registry {memory:.1f} µs/request, "
              f"multiprocess files {files:.1f} µs/request, ratio {files / memory:.3f}")
    save_results("metrics_overhead", {"requests": requests, "rows": rows})


if __name__ == "__main__":
    main()
