"""Many processes racing for the last seats of one slot: never over capacity.

Each worker process builds its own engine (as gunicorn workers and RQ workers do) and
books through the same service the IVR, console and portal use.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, AppointmentStatus, Channel, book_appointment
from booking_core.base import DomainError
from booking_core.slots import Slot
from helpline.db import make_engine, make_session_factory
from tests.factories import make_department, make_hospital, make_slot

PROCESSES = 8
ATTEMPTS_PER_PROCESS = 6
FREE_SEATS = 5


def _book_many(database_url: str, slot_id: int, worker: int, start: mp.Event, out: mp.Queue):
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    start.wait(10)
    results = []
    for attempt in range(ATTEMPTS_PER_PROCESS):
        phone = f"98{worker:02d}{attempt:06d}"
        with sessions() as session:
            try:
                appt = book_appointment(session, slot_id=slot_id, phone=phone,
                                        channel=Channel.PORTAL)
                results.append(("ok", appt.token))
            except DomainError as exc:
                results.append((exc.code, None))
    engine.dispose()
    out.put(results)


def _race(database_url: str, slot_id: int) -> list[tuple[str, int | None]]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_book_many, args=(database_url, slot_id, n, start, out))
             for n in range(PROCESSES)]
    for proc in procs:
        proc.start()
    start.set()
    results = []
    for _ in procs:
        results.extend(out.get(timeout=120))
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    return results


@pytest.mark.slow
def test_processes_never_overbook_a_nearly_full_slot(session, database_url):
    dept = make_department(session, make_hospital(session))
    slot = make_slot(session, dept, starts_in=dt.timedelta(days=3), capacity=40,
                     booked=40 - FREE_SEATS)
    results = _race(database_url, slot.id)

    booked = [token for status, token in results if status == "ok"]
    refused = [status for status, _ in results if status != "ok"]
    assert len(results) == PROCESSES * ATTEMPTS_PER_PROCESS
    assert len(booked) == FREE_SEATS
    assert set(refused) == {"slot_full"}
    # Tokens continue after the seats already taken, each given once.
    assert sorted(booked) == list(range(40 - FREE_SEATS + 1, 41))
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 40
    active = session.scalar(select(func.count()).where(
        Appointment.slot_id == slot.id, Appointment.status == AppointmentStatus.BOOKED))
    assert active == FREE_SEATS


@pytest.mark.slow
def test_same_patient_racing_gets_one_appointment(session, database_url):
    """Two devices of one family booking the same patient at once: one wins."""
    dept = make_department(session, make_hospital(session))
    slot = make_slot(session, dept, capacity=50)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_same_patient, args=(database_url, slot.id, start, out))
             for _ in range(4)]
    for proc in procs:
        proc.start()
    start.set()
    outcomes = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} == {"already_booked"}
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 1


def _same_patient(database_url: str, slot_id: int, start: mp.Event, out: mp.Queue):
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    start.wait(10)
    with sessions() as session:
        try:
            book_appointment(session, slot_id=slot_id, phone="9876500000", channel=Channel.IVR)
            out.put("ok")
        except DomainError as exc:
            out.put(exc.code)
    engine.dispose()
