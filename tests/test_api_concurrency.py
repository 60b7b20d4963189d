"""Many citizens booking one nearly full slot through a real gunicorn server with
several worker processes, on PostgreSQL: exactly the free seats are given."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from bench.gunicorn_server import running_gunicorn
from booking_core.appointments import Appointment
from booking_core.slots import Slot
from helpline.db import make_engine, make_session_factory
from portal_api.auth import issue_verification_token
from tests.factories import make_department, make_hospital, make_slot

SECRET = "concurrency-test-secret"
CAPACITY, ALREADY_BOOKED, CLIENTS = 10, 6, 24


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_http_bookings_never_overbook(pg_database_url):
    engine = make_engine(pg_database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        dep = make_department(session, make_hospital(session))
        slot = make_slot(session, dep, starts_in=dt.timedelta(days=2), capacity=CAPACITY,
                         booked=ALREADY_BOOKED)
        slot_id = slot.id
    phones = [f"98{i:08d}" for i in range(CLIENTS)]
    tokens = [issue_verification_token(SECRET, p) for p in phones]
    env = {"DATABASE_URL": pg_database_url, "SECRET_KEY": SECRET,
           "API_RATE_LIMIT_PER_MINUTE": "100000"}
    with running_gunicorn(env, workers=3) as base:
        start = threading.Barrier(CLIENTS)

        def attempt(token: str) -> tuple[int, str]:
            with requests.Session() as http:
                start.wait(timeout=30)
                res = http.post(f"{base}/api/v1/appointments", json={"slot_id": slot_id},
                                headers={"X-Verification-Token": token}, timeout=30)
                code = res.json().get("error", {}).get("code", "") if res.status_code >= 400 \
                    else ""
                return res.status_code, code

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(attempt, tokens))
    free = CAPACITY - ALREADY_BOOKED
    assert sorted(results).count((201, "")) == free, results
    assert sorted(results).count((409, "slot_full")) == CLIENTS - free, results
    with sessions() as session:
        assert session.get(Slot, slot_id).booked == CAPACITY
        booked = session.scalars(select(Appointment.token).where(Appointment.slot_id == slot_id))
        assert sorted(booked) == list(range(ALREADY_BOOKED + 1, CAPACITY + 1))
        assert session.scalar(select(func.count()).select_from(Appointment)) == free
    engine.dispose()
