"""Benchmark: the console's queue page with 50,000 grievances in PostgreSQL.

Builds its own database (``BENCH_POSTGRES_URL``, default the local server), loads
50,000 grievances from 20,000 citizens over 12 hospitals, signs an agent in through
the real login form and times the queue page (the whole Flask request: session,
CSRF, query, template) for the views agents use most. Prints p50/p95/p99 and the
EXPLAIN ANALYZE of the queue's queries, and drops the database afterwards.

    python -m bench.console_queue [--grievances 50000] [--requests 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import subprocess
import time
import uuid

from sqlalchemy import create_engine, insert, select, text

from booking_core.citizens import Citizen
from booking_core.hospitals import Hospital
from booking_core.refs import RefKind, new_reference
from contact_centre.accounts import create_staff_user
from grievances.models import OPEN_SQL, Grievance, GrievanceCategory, GrievanceStatus
from grievances.queues import PAGE_SIZE, QueueFilter, filtered_query
from helpline.app import create_app
from helpline.migrate import upgrade
from helpline.settings import Settings

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "benchmark password"
STATUSES = [(GrievanceStatus.REGISTERED, 20), (GrievanceStatus.ACKNOWLEDGED, 15),
            (GrievanceStatus.IN_PROGRESS, 15), (GrievanceStatus.ESCALATED, 5),
            (GrievanceStatus.REOPENED, 2), (GrievanceStatus.RESOLVED, 13),
            (GrievanceStatus.CLOSED, 30)]


def machine() -> str:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout
    total = memory.splitlines()[1].split()[1] if memory else "?"
    return f"nproc {os.cpu_count()}, RAM {total}, CPU {cpu}, Python {platform.python_version()}"


def load(url: str, grievances: int, seed: int = 7) -> tuple[int, list[int]]:
    rng = random.Random(seed)
    engine = create_engine(url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(Hospital), [
            {"code": f"B{i}", "name_en": f"Bench Hospital {i}", "name_hi": f"अस्पताल {i}",
             "district": "Central", "district_hi": "मध्य", "short_en": f"Bench {i}",
             "short_hi": f"अस्पताल {i}", "address": "", "phone": "", "aliases": [],
             "created_at": now} for i in range(12)])
        hospital_ids = list(conn.scalars(select(Hospital.id)))
        conn.execute(insert(Citizen), [
            {"phone": f"+9198{i:08d}", "created_at": now, "updated_at": now,
             "sms_opted_out": False} for i in range(20_000)])
        citizen_ids = list(conn.scalars(select(Citizen.id)))
    with engine.begin() as conn:
        agent_row = conn.execute(text("SELECT id FROM staff_user WHERE username='bench.agent'"))
        agent_id = agent_row.scalar_one()
        rows, refs = [], set()
        weights = [w for _, w in STATUSES]
        for _ in range(grievances):
            ref = new_reference(RefKind.GRIEVANCE)
            while ref in refs:
                ref = new_reference(RefKind.GRIEVANCE)
            refs.add(ref)
            created = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 90))
            status = rng.choices([s for s, _ in STATUSES], weights)[0]
            acknowledged = status != GrievanceStatus.REGISTERED
            rows.append({
                "reference": ref, "category": rng.choice(list(GrievanceCategory)).value,
                "hospital_id": rng.choice(hospital_ids), "citizen_id": rng.choice(citizen_ids),
                "description": "Bench grievance text " * 3,
                "language": rng.choice(["hi", "hi", "en"]), "channel": "ivr",
                "status": status.value, "created_at": created, "updated_at": created,
                "priority": rng.choice([1, 2, 2, 3]), "desk": "helpline",
                "acknowledge_due_at": created + dt.timedelta(days=3),
                "resolve_due_at": created + dt.timedelta(days=15),
                "acknowledged_at": created + dt.timedelta(days=1) if acknowledged else None,
                "assigned_to_id": agent_id if rng.random() < 0.004 else None,
                "escalation_level": 1 if status == GrievanceStatus.ESCALATED else 0,
                "transfer_count": 0,
            })
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Grievance.__table__), rows[start:start + 5000])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return agent_id, hospital_ids


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def explain(url: str, agent_id: int, hospital_id: int) -> list[tuple[str, str]]:
    """EXPLAIN ANALYZE of the page query and the count, as the console compiles them."""
    engine = create_engine(url)
    now = dt.datetime.now(dt.UTC)
    out = []
    cases = [("team queue", QueueFilter(scope="team")),
             ("my queue", QueueFilter(scope="mine")),
             ("team, one hospital", QueueFilter(scope="team", hospital_id=hospital_id)),
             ("team, overdue", QueueFilter(scope="team", overdue=True))]
    from booking_core.citizens import Citizen as C

    with engine.connect() as conn:
        for label, f in cases:
            base = select(Grievance.id).join(C, C.id == Grievance.citizen_id)
            query = filtered_query(base, f, agent_id, now, within_hospital=None).order_by(
                Grievance.resolve_due_at, Grievance.id).limit(PAGE_SIZE)
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}")).scalars()
            out.append((label, "\n".join(plan)))
        count = f"SELECT count(*) FROM grievance WHERE {OPEN_SQL}"
        plan = conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {count}")).scalars()
        out.append(("open count", "\n".join(plan)))
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grievances", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    name = f"helpline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        version = conn.execute(text("SHOW server_version")).scalar()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        app = create_app(Settings(database_url=url, secret_key="bench", testing=True,
                                  log_level="WARNING"))
        helpline = app.extensions["helpline"]
        with helpline.session() as s:
            create_staff_user(s, username="bench.agent", password=PASSWORD, role="agent")
        started = time.perf_counter()
        agent_id, hospital_ids = load(url, args.grievances)
        print(f"loaded {args.grievances} grievances in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/console/login").get_data(as_text=True)).group(1)
        assert client.post("/console/login", data={"username": "bench.agent",
                           "password": PASSWORD, "csrf_token": token}).status_code == 302
        views = {
            "team queue (page 1)": "/console/?scope=team",
            "my queue": "/console/?scope=mine",
            "team, one hospital": f"/console/?scope=team&hospital={hospital_ids[3]}",
            "team, overdue only": "/console/?scope=team&overdue=1",
            "team, page 20": "/console/?scope=team&page=20",
            "search by phone": "/console/?scope=all&q=9800001234",
            "live fragment": "/console/?scope=team",
        }
        print(f"machine: {machine()}, PostgreSQL {version}")
        print("| view | requests | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|")
        for label, path in views.items():
            headers = {"X-Fragment": "1"} if label == "live fragment" else {}
            for _ in range(5):
                client.get(path, headers=headers)  # warm caches and templates
            times = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                answer = client.get(path, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            print(f"| {label} | {args.requests} | {statistics.median(times):.1f} | "
                  f"{percentile(times, 95):.1f} | {percentile(times, 99):.1f} |")
        for label, plan in explain(url, agent_id, hospital_ids[3]):
            print(f"\nEXPLAIN ANALYZE, {label}:\n{plan}")
        helpline.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
