"""Benchmark: the reports page over 90 days of data in PostgreSQL.

Builds its own database (``BENCH_POSTGRES_URL``), loads 90 days of a busy helpline:
50,000 calls (menu paths, agent queue times, callbacks), 5,000 callback requests,
15,000 appointments over 12 hospitals and 72 departments, 8,000 grievances. Signs a
supervisor in through the real login form and times the whole Flask request of the
reports page (session, queries, template, SVG charts) for a day, a week and a month,
the month's CSV export, and the report's queries over all 90 days at once. Prints
p50/p95/max per case and the machine, and drops the database afterwards.

    python -m bench.reports [--calls 50000] [--requests 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, select, text

from bench.support import percentile, save_results, scratch_postgres
from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.citizens import Citizen
from booking_core.hospitals import Department, Hospital
from booking_core.slots import Slot
from contact_centre.accounts import create_staff_user
from contact_centre.models import Call, CallbackRequest, CallbackStatus, CallOutcome
from contact_centre.reports import Period, PeriodKind, build_report
from grievances.models import Grievance, GrievanceCategory, GrievanceStatus
from helpline.app import create_app
from helpline.settings import Settings

TZ = ZoneInfo("Asia/Kolkata")
DAYS = 90
PASSWORD = "benchmark password"
# Menu paths callers take, with how often, what they achieve, and whether they queue.
PATHS: list[tuple[list[str], int, CallOutcome | None, bool]] = [
    (["language", "main", "pick.hospital", "book.department", "book.day", "book.slot",
      "book.confirm", "book.done"], 30, CallOutcome.BOOKED, False),
    (["language", "main", "beds", "beds.district", "beds.result"], 15,
     CallOutcome.INFORMATION, False),
    (["language", "main", "griev.category", "griev.record", "griev.done"], 10,
     CallOutcome.GRIEVANCE, False),
    (["language", "main", "mine", "mine.appointments", "mine.cancel"], 5,
     CallOutcome.CANCELLED, False),
    (["language", "main", "agent"], 20, CallOutcome.AGENT, True),
    (["language", "main", "pick.hospital", "book.department", "agent"], 6,
     CallOutcome.AGENT, True),
    (["language", "main", "pick.hospital"], 6, CallOutcome.ABANDONED, False),
    (["language"], 4, CallOutcome.ABANDONED, False),
    (["language", "emergency"], 2, CallOutcome.EMERGENCY, False),
    (["language", "main", "agent", "callback.offer"], 2, CallOutcome.CALLBACK, True),
]


def seed(url: str, calls: int, rng: random.Random) -> dict[str, int]:
    engine = create_engine(url)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = now - dt.timedelta(days=DAYS)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(insert(Hospital), [
            {"code": f"B{i}", "name_en": f"Bench Hospital {i}", "name_hi": f"अस्पताल {i}",
             "district": "Central", "district_hi": "मध्य", "short_en": f"Bench {i}",
             "short_hi": f"अस्पताल {i}", "address": "", "phone": "", "aliases": [],
             "created_at": now} for i in range(12)])
        hospitals = list(conn.scalars(select(Hospital.id)))
        conn.execute(insert(Department), [
            {"hospital_id": h, "code": f"d{j}", "name_en": f"Department {j}",
             "name_hi": f"विभाग {j}", "aliases": []} for h in hospitals for j in range(6)])
        departments = list(conn.execute(select(Department.id, Department.hospital_id)))
        conn.execute(insert(Slot), [
            {"hospital_id": h, "department_id": d, "starts_at": now, "ends_at": now,
             "local_day": now.date(), "capacity": 10_000, "booked": 0, "next_token": 0}
            for d, h in departments])
        slots = dict(conn.execute(select(Slot.department_id, Slot.id)).all())
        conn.execute(insert(Citizen), [
            {"phone": f"+9197{i:08d}", "created_at": now, "updated_at": now,
             "sms_opted_out": False} for i in range(20_000)])
        citizens = list(conn.scalars(select(Citizen.id)))

    weights = [w for _, w, _, _ in PATHS]
    rows: list[dict[str, Any]] = []
    for i in range(calls):
        path, _, outcome, queued = rng.choices(PATHS, weights)[0]
        started = first + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
        ended = started + dt.timedelta(seconds=rng.randint(40, 400))
        row: dict[str, Any] = {"call_sid": f"CAbench{i:08d}", "direction": "inbound",
                               "path": path, "outcome": outcome, "started_at": started,
                               "ended_at": ended, "status": "completed", "details": {},
                               "queued_at": None, "answered_at": None}
        if outcome == CallOutcome.ABANDONED:
            row["details"] = {"ended_in": path[-1]}
        if queued:
            row["queued_at"] = started + dt.timedelta(seconds=45)
            fate = rng.random()
            if outcome == CallOutcome.CALLBACK:
                row["details"] = {"queue_result": "leave"}
            elif fate < 0.8:
                wait = int(rng.expovariate(1 / 25))
                row["answered_at"] = row["queued_at"] + dt.timedelta(seconds=wait)
                row["ended_at"] = row["answered_at"] + dt.timedelta(seconds=rng.randint(60, 600))
                row["details"] = {"queue_result": "bridged", "queue_seconds": wait}
            else:
                row["outcome"] = CallOutcome.ABANDONED
                row["details"] = {"queue_result": "hangup", "ended_in": "queue"}
        rows.append(row)
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            conn.execute(insert(Call), rows[chunk:chunk + 5000])
        conn.execute(insert(CallbackRequest), [
            {"phone": f"+9196{i:08d}", "language": "hi", "reason": "queue_wait",
             "status": rng.choice([CallbackStatus.DONE] * 4 + [CallbackStatus.WAITING]),
             "requested_at": first + dt.timedelta(seconds=rng.randrange(DAYS * 86400))}
            for i in range(5000)])
        channels = [Channel.IVR] * 5 + [Channel.PORTAL] * 3 + [Channel.AGENT] + [Channel.SMS]
        statuses = ([AppointmentStatus.ATTENDED] * 6 + [AppointmentStatus.NO_SHOW] * 2
                    + [AppointmentStatus.CANCELLED] * 2)
        appointments = []
        for i in range(15_000):
            department, _ = rng.choice(departments)
            hospital = next(h for d, h in departments if d == department)
            created = first + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
            appointments.append({
                "reference": f"7{i:07d}", "citizen_id": citizens[i], "hospital_id": hospital,
                "department_id": department, "slot_id": slots[department],
                "visit_day": (created + dt.timedelta(days=rng.randint(1, 14))).date(),
                "token": i, "status": rng.choice(statuses), "channel": rng.choice(channels),
                "language": "hi", "created_at": created})
        conn.execute(insert(Appointment), appointments)
        grievances = []
        for i in range(8000):
            created = first + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
            acknowledged = created + dt.timedelta(hours=rng.randint(1, 96))
            grievances.append({
                "reference": f"6{i:07d}", "category": rng.choice(list(GrievanceCategory)),
                "hospital_id": rng.choice(hospitals), "citizen_id": rng.choice(citizens),
                "channel": "ivr", "language": "hi", "status": GrievanceStatus.CLOSED,
                "created_at": created, "updated_at": created,
                "acknowledge_due_at": created + dt.timedelta(days=2),
                "acknowledged_at": acknowledged,
                "resolve_due_at": created + dt.timedelta(days=15),
                "resolved_at": created + dt.timedelta(days=rng.randint(1, 25)),
                "escalation_level": 2 if rng.random() < 0.05 else 0,
                "appeal_opened_at": created + dt.timedelta(days=20) if rng.random() < 0.05
                else None})
        conn.execute(insert(Grievance), grievances)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # what autovacuum does after a load this size
    engine.dispose()
    counts.update(calls=calls, callback_requests=5000, appointments=15_000, grievances=8000,
                  hospitals=12, departments=len(departments))
    return counts


def _timed(client: Any, path: str, n: int) -> dict[str, float]:
    client.get(path)  # warm the template and the connection
    times = []
    for _ in range(n):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(12)
    with scratch_postgres("helpline_bench_reports") as url:
        started = time.monotonic()
        counts = seed(url, args.calls, rng)
        seeded = round(time.monotonic() - started, 1)
        app = create_app(Settings(database_url=url, secret_key="bench-reports"))
        helpline = app.extensions["helpline"]
        with helpline.session() as s:
            create_staff_user(s, username="bench.super", role="supervisor", password=PASSWORD)
        client = app.test_client()
        form = client.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        client.post("/console/login", data={"username": "bench.super", "password": PASSWORD,
                                            "csrf_token": token})
        today = dt.datetime.now(TZ).date() - dt.timedelta(days=1)
        cases = {
            "day": f"/console/reports?period=day&day={today}",
            "week": f"/console/reports?period=week&day={today}",
            "month": f"/console/reports?period=month&day={today}",
            "month_csv_calls": f"/console/reports?period=month&day={today}&format=csv&table=calls",
        }
        results: dict[str, Any] = {name: _timed(client, path, args.requests)
                                   for name, path in cases.items()}
        end = dt.datetime.now(dt.UTC)
        whole = Period(PeriodKind.MONTH, (end - dt.timedelta(days=DAYS)).date(), end.date(),
                       end - dt.timedelta(days=DAYS + 1), end, "Asia/Kolkata")
        times = []
        with helpline.session() as s:
            for _ in range(args.requests):
                began = time.perf_counter()
                report = build_report(s, whole, within_hospital=None)
                times.append((time.perf_counter() - began) * 1000)
                s.rollback()
        results["all_90_days_queries"] = {
            "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1), "calls_counted": report.calls.calls}
        helpline.engine.dispose()
    save_results("reports", {"benchmark": "reports", "setup": {**counts, "days": DAYS,
                                                              "seed_seconds": seeded,
                                                              "requests": args.requests},
                             "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
