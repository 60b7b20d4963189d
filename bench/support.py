"""Helpers every benchmark may use: machine details, percentiles, a scratch
PostgreSQL database, and where results go."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True,
                                check=False).stdout.splitlines()[1].split()[1]
    except (OSError, IndexError):
        memory = "unknown"
    return {"nproc": str(os.cpu_count()), "memory": memory, "cpu": cpu,
            "python": platform.python_version(), "platform": platform.platform()}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database for one benchmark, dropped afterwards."""
    from helpline.migrate import upgrade

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def save_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (not committed) and print it."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    results = {"machine": machine(), **results}
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    json.dump(results, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return path
